"""Dashboard passwords, hashed with Argon2id (argon2-cffi's defaults follow RFC 9106)."""

from __future__ import annotations

import contextlib
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 10

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """True when the password matches; an empty or broken hash never matches."""
    if not stored_hash:
        _spend_time(password)
        return False
    try:
        return _hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)


def password_problem(password: str) -> str | None:
    """Why a new password is refused (in English: the CLI's language), or None."""
    if len(password) < MIN_LENGTH:
        return f"a password needs at least {MIN_LENGTH} characters"
    if password.strip() != password:
        return "a password cannot start or end with spaces"
    return None


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash("werkmaat-no-such-account")


def _spend_time(password: str) -> None:
    """Unknown logins cost as much as known ones, so timing does not tell which exist."""
    with contextlib.suppress(VerifyMismatchError, VerificationError, InvalidHashError):
        _hasher.verify(_dummy_hash(), password)
