"""Dashboard logins: who is behind a session cookie, for how long, and with which CSRF token.

Sessions live in the case store (not in a signed cookie) so that logging out, disabling an
account or a restart of any worker behaves the same everywhere. The cookie carries a random
token; the store keeps only its SHA-256, so a copy of the database opens no sessions.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.dashboard.passwords import hash_password, needs_rehash, verify_password
from storage.records import AuditRecord, CounselorRecord, StaffSessionRecord
from storage.repositories import UnitOfWorkFactory

IDLE_TIMEOUT = timedelta(hours=2)
MAX_AGE = timedelta(hours=12)
TOUCH_EVERY = timedelta(minutes=1)  # write last_seen_at at most this often


@dataclass(frozen=True, slots=True)
class StaffUser:
    """A logged-in counselor, as the pages see them."""

    counselor: CounselorRecord
    csrf_token: str
    token_hash: str

    @property
    def id(self) -> int:
        return self.counselor.id

    @property
    def label(self) -> str:
        return f"counselor:{self.counselor.id}"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class StaffLogins:
    def __init__(self, store: UnitOfWorkFactory, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.clock = clock

    def log_in(self, login: str, password: str, client_address: str = ""
               ) -> tuple[str, StaffUser] | None:
        """A new session for the right login and password; None (and an audit line) if not."""
        now = self.clock()
        login = login.strip().lower()[:100]
        with self.store() as uow:
            counselor = uow.counselors.by_login(login) if login else None
            ok = (verify_password(counselor.password_hash if counselor else "", password)
                  and counselor is not None and counselor.active)
            uow.audit.add(AuditRecord(
                actor=f"counselor:{counselor.id}" if counselor else "anonymous",
                action="dashboard.login" if ok else "dashboard.login.refused",
                subject=f"login:{login}"[:100], created_at=now,
                details={"from": client_address[:60]} if client_address else {}))
            if not ok or counselor is None:
                uow.commit()
                return None
            if needs_rehash(counselor.password_hash):
                counselor.password_hash = hash_password(password)
                uow.counselors.save(counselor)
            token = secrets.token_urlsafe(32)
            session = StaffSessionRecord(token_hash(token), counselor.id,
                                         secrets.token_urlsafe(32), now, now, now + MAX_AGE)
            uow.staff_sessions.add(session)
            uow.staff_sessions.delete_expired(now)
            uow.commit()
        return token, StaffUser(counselor, session.csrf_token, session.token_hash)

    def current(self, token: str | None) -> StaffUser | None:
        """The user behind a cookie, if the session is alive and the account still active."""
        if not token or len(token) > 100:
            return None
        now = self.clock()
        with self.store() as uow:
            session = uow.staff_sessions.get(token_hash(token))
            if session is None:
                return None
            if session.expires_at <= now or now - session.last_seen_at > IDLE_TIMEOUT:
                uow.staff_sessions.delete(session.token_hash)
                uow.commit()
                return None
            counselor = uow.counselors.get(session.counselor_id)
            if counselor is None or not counselor.active:
                uow.staff_sessions.delete(session.token_hash)
                uow.commit()
                return None
            if now - session.last_seen_at >= TOUCH_EVERY:
                session.last_seen_at = now
                uow.staff_sessions.save(session)
                uow.commit()
        return StaffUser(counselor, session.csrf_token, session.token_hash)

    def log_out(self, user: StaffUser) -> None:
        with self.store() as uow:
            uow.staff_sessions.delete(user.token_hash)
            uow.audit.add(AuditRecord(user.label, "dashboard.logout", user.label, self.clock()))
            uow.commit()
