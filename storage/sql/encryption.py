"""Encryption at rest for message texts and free-text personal fields (docs/encryption.md).

Columns typed `EncryptedText` (or `EncryptedJSON`) are encrypted with Fernet (AES-128-CBC and
HMAC-SHA256) as they are written and decrypted as they are read, by the `Cipher` attached to
the engine's dialect: per engine, so one process can hold a plaintext and an encrypted store
side by side. Several keys make rotation possible: the first encrypts, every one decrypts. A
value that is not a Fernet token is read as it is, so rows written before encryption was
switched on keep reading until `rotate` encrypts them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Engine, Integer, Table, Text, bindparam, column, select, table
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.expression import TableClause
from sqlalchemy.types import TypeDecorator

CIPHER_ATTRIBUTE = "werkmaat_cipher"  # where the cipher hangs on an engine's dialect

# A Fernet token: version byte 0x80 and a 64-bit timestamp whose top bytes stay zero until 2106,
# in url-safe base64: 1 + 8 + 16 (IV) + 16·n (ciphertext) + 32 (HMAC) bytes.
_TOKEN_PREFIX = "gAAAAA"
_TOKEN_CHARACTERS = re.compile(r"[A-Za-z0-9_-]+={0,2}")


class InvalidKeys(ValueError):
    """The configured keys are not Fernet keys (the message never repeats a key)."""


class UnreadableValue(Exception):
    """A stored value was encrypted with a key that is not among the configured keys."""


NOT_AMONG_THE_KEYS = ("a value in the case store was encrypted with a key that is not among "
                      "the configured encryption keys")


class Cipher:
    """Fernet under several keys: the first encrypts, every one decrypts."""

    def __init__(self, keys: Sequence[str | bytes]) -> None:
        if not keys:
            raise InvalidKeys("no encryption keys given")
        fernets = []
        for number, key in enumerate(keys, start=1):
            try:
                fernets.append(Fernet(key))
            except (ValueError, TypeError):
                raise InvalidKeys(
                    f"encryption key {number} of {len(keys)} is not a Fernet key (32 bytes in "
                    "url-safe base64, 44 characters): make one with `werkmaat encryption key`"
                ) from None
        self._current = fernets[0]
        self._all = MultiFernet(fernets)

    @classmethod
    def from_setting(cls, keys: str) -> Cipher:
        """Comma-separated keys, newest first, as WERKMAAT_ENCRYPTION_KEYS holds them."""
        return cls([k.strip() for k in keys.split(",") if k.strip()])

    def encrypt(self, text: str) -> str:
        """A token under the current key; the empty string stays empty (blank is not secret)."""
        if not text:
            return text
        return self._current.encrypt(text.encode("utf-8")).decode("ascii")

    def decrypt(self, value: str) -> str:
        """The plaintext of a token; a value that is no token (written before encryption) as
        it is. Raises UnreadableValue for a token none of the keys opens, never garbage."""
        if not is_token(value):
            return value
        try:
            return self._all.decrypt(value.encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise UnreadableValue(NOT_AMONG_THE_KEYS) from None

    def can_read(self, value: str) -> bool:
        try:
            self.decrypt(value)
        except UnreadableValue:
            return False
        return True

    def is_current(self, value: str) -> bool:
        """Whether the value is a token under the current (first) key: nothing to rotate."""
        if not is_token(value):
            return False
        try:
            self._current.decrypt(value.encode("ascii"))
        except InvalidToken:
            return False
        return True

    def rotate(self, value: str) -> str:
        """The value under the current key: tokens re-encrypted, plaintext encrypted."""
        if not is_token(value):
            return self.encrypt(value)
        try:
            return self._all.rotate(value.encode("ascii")).decode("ascii")
        except InvalidToken:
            raise UnreadableValue(NOT_AMONG_THE_KEYS) from None


def new_key() -> str:
    return Fernet.generate_key().decode("ascii")


def is_token(value: str) -> bool:
    """Whether a stored value has the shape of a Fernet token (and so is not plaintext)."""
    if not value.startswith(_TOKEN_PREFIX) or len(value) % 4:
        return False
    if not _TOKEN_CHARACTERS.fullmatch(value):
        return False
    size = len(value) * 3 // 4 - value.count("=")
    return size >= 57 + 16 and (size - 57) % 16 == 0


def attach(engine: Engine, cipher: Cipher | None) -> None:
    setattr(engine.dialect, CIPHER_ATTRIBUTE, cipher)


def cipher_of(dialect: Dialect) -> Cipher | None:
    cipher = getattr(dialect, CIPHER_ATTRIBUTE, None)
    return cipher if isinstance(cipher, Cipher) else None


class EncryptedText(TypeDecorator[str]):
    """Text encrypted by the engine's cipher; without one, plain text as before.

    Never compare or search such a column in SQL: each encryption of the same text differs.
    """

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        cipher = cipher_of(dialect)
        if cipher is None or not value:
            return value
        return cipher.encrypt(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        cipher = cipher_of(dialect)
        if cipher is None or not value:
            return value
        return cipher.decrypt(value)


class EncryptedJSON(TypeDecorator[dict[str, Any]]):
    """A JSON object kept as text, encrypted like EncryptedText (for conversation state, which
    holds the intake answers: a name, a phone number)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: dict[str, Any] | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        cipher = cipher_of(dialect)
        return cipher.encrypt(text) if cipher is not None else text

    def process_result_value(self, value: str | dict[str, Any] | None, dialect: Dialect
                             ) -> dict[str, Any] | None:
        if value is None or isinstance(value, dict):
            return value
        cipher = cipher_of(dialect)
        if cipher is not None:
            value = cipher.decrypt(value)
        elif is_token(value):
            raise UnreadableValue("an encrypted value in the case store, and no encryption keys")
        loaded = json.loads(value)
        return loaded if isinstance(loaded, dict) else {}


class EncryptedColumn(NamedTuple):
    table: str
    key: str  # the table's integer primary key
    column: str


@dataclass(frozen=True, slots=True)
class ColumnRotation:
    """What `rotate` did to one column."""

    table: str
    column: str
    rotated: int = 0  # re-encrypted under the current key, or encrypted for the first time
    current: int = 0  # under the current key already
    changed: int = 0  # written by someone else meanwhile (so under the current key too)
    unreadable: int = 0  # encrypted with a key that is not among the keys: left as it was

    @property
    def name(self) -> str:
        return f"{self.table}.{self.column}"


def encrypted_columns(tables: Iterable[Table]) -> list[EncryptedColumn]:
    found = []
    for t in tables:
        for c in t.c:
            if isinstance(c.type, EncryptedText | EncryptedJSON):
                (key,) = t.primary_key.columns  # rotation walks the rows by it
                found.append(EncryptedColumn(t.name, key.name, c.name))
    return found


def rotate(engine: Engine, tables: Iterable[Table], batch_size: int = 500,
           progress: Callable[[ColumnRotation], None] | None = None) -> list[ColumnRotation]:
    """Bring every encrypted column of every row under the engine's current key; plaintext
    from before encryption is encrypted too.

    One transaction per batch, so the store stays in use; a value that someone else changed
    between reading and writing is left alone (it was written under the current key).
    """
    cipher = cipher_of(engine.dialect)
    if cipher is None:
        raise InvalidKeys("no encryption keys: nothing to rotate to")
    done = []
    for target in encrypted_columns(tables):
        raw = _raw(target)
        key, value = raw.c[target.key], raw.c[target.column]
        write = (raw.update()
                 .where(key == bindparam("row_key"), value == bindparam("old", type_=Text()))
                 .values({target.column: bindparam("new", type_=Text())}))
        counts = ColumnRotation(target.table, target.column)
        after: int | None = None
        while True:
            with engine.begin() as conn:
                page = select(key, value).order_by(key).limit(batch_size)
                rows = conn.execute(page if after is None else page.where(key > after)).all()
                if not rows:
                    break
                after = rows[-1][0]
                updates, current, unreadable = [], 0, 0
                for row_key, stored in rows:
                    if not stored:
                        continue
                    if cipher.is_current(stored):
                        current += 1
                        continue
                    try:
                        updates.append({"row_key": row_key, "old": stored,
                                        "new": cipher.rotate(stored)})
                    except UnreadableValue:
                        unreadable += 1
                written = _written(conn.execute(write, updates)) if updates else 0
            counts = ColumnRotation(target.table, target.column, counts.rotated + written,
                                    counts.current + current,
                                    counts.changed + len(updates) - written,
                                    counts.unreadable + unreadable)
            if progress is not None:
                progress(counts)
        done.append(counts)
    return done


def unreadable(engine: Engine, tables: Iterable[Table], sample: int = 5) -> str | None:
    """Why the engine's keys cannot read the store, judged by the newest rows; None if they can.

    Catches a process started without keys, or with the wrong ones, before it shows clients
    tokens or writes under a key nobody else has. The store counts as unreadable when its
    newest values are mostly tokens and none of them opens: a plaintext message that only
    looks like a token (a client may type anything) does not stop Werkmaat from starting.
    """
    cipher = cipher_of(engine.dialect)
    values, tokens, opened = 0, 0, 0
    first_closed = ""
    with engine.connect() as conn:
        for target in encrypted_columns(tables):
            raw = _raw(target)
            newest = (select(raw.c[target.column]).order_by(raw.c[target.key].desc())
                      .limit(sample))
            for stored in conn.scalars(newest):
                if not stored:
                    continue
                values += 1
                if not is_token(stored):
                    continue
                tokens += 1
                if cipher is not None and cipher.can_read(stored):
                    opened += 1
                else:
                    first_closed = first_closed or f"{target.table}.{target.column}"
    if not tokens or opened or tokens * 2 < values:
        return None
    if cipher is None:
        return f"{first_closed} holds encrypted values, and no encryption keys are set"
    return f"{first_closed} holds values encrypted with a key that is not among the keys"


def _raw(target: EncryptedColumn) -> TableClause:
    """The column as stored, without the encrypting type in between."""
    return table(target.table, column(target.key, Integer()), column(target.column, Text()))


def _written(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


__all__ = ["Cipher", "ColumnRotation", "EncryptedColumn", "EncryptedJSON", "EncryptedText",
           "InvalidKeys", "UnreadableValue", "attach", "cipher_of", "encrypted_columns",
           "is_token", "new_key", "rotate", "unreadable"]
