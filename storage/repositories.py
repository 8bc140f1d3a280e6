"""The storage contract: small repositories behind one unit of work.

Both the SQL implementation and the in-memory twin pass the same contract tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from storage.records import (
    AuditRecord,
    CaseRecord,
    ClientRecord,
    ConsentRecord,
    CounselorRecord,
    IdentityRecord,
    InteractionRecord,
    StateRecord,
    TaskRecord,
)


class ClientRepository(Protocol):
    def by_identity(self, channel: str, external_id: str) -> ClientRecord | None: ...
    def add(self, channel: str, external_id: str, language: str, now: datetime) -> ClientRecord: ...
    def get(self, client_id: int) -> ClientRecord | None: ...
    def save(self, client: ClientRecord) -> None: ...
    def identities(self, client_id: int) -> Sequence[IdentityRecord]: ...
    def all(self) -> Sequence[ClientRecord]: ...


class StateRepository(Protocol):
    def load(self, client_id: int) -> StateRecord | None: ...
    def save(self, client_id: int, state: StateRecord) -> None: ...


class CaseRepository(Protocol):
    def add(self, case: CaseRecord) -> CaseRecord: ...
    def current_for(self, client_id: int) -> CaseRecord | None: ...
    def get(self, case_id: int) -> CaseRecord | None: ...
    def recent(self, limit: int = 50) -> Sequence[CaseRecord]: ...


class InteractionRepository(Protocol):
    def add(self, interaction: InteractionRecord) -> None: ...
    def for_client(self, client_id: int, limit: int = 200) -> Sequence[InteractionRecord]: ...


class ConsentRepository(Protocol):
    def add(self, consent: ConsentRecord) -> None: ...
    def for_client(self, client_id: int) -> Sequence[ConsentRecord]: ...


class TaskRepository(Protocol):
    def add(self, task: TaskRecord) -> TaskRecord: ...
    def unnotified(self, limit: int = 100) -> Sequence[TaskRecord]: ...
    def mark_notified(self, task_id: int, at: datetime) -> None: ...
    def open(self, limit: int = 100) -> Sequence[TaskRecord]: ...


class AuditRepository(Protocol):
    def add(self, entry: AuditRecord) -> None: ...
    def recent(self, limit: int = 100) -> Sequence[AuditRecord]: ...


class CounselorRepository(Protocol):
    def add(self, counselor: CounselorRecord) -> CounselorRecord: ...
    def by_telegram_id(self, telegram_user_id: int) -> CounselorRecord | None: ...
    def all(self) -> Sequence[CounselorRecord]: ...


class UnitOfWork(Protocol):
    """One transaction: used as a context manager, it rolls back unless `commit()` was called."""

    clients: ClientRepository
    states: StateRepository
    cases: CaseRepository
    interactions: InteractionRepository
    consents: ConsentRepository
    tasks: TaskRepository
    audit: AuditRepository
    counselors: CounselorRepository

    def commit(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...
