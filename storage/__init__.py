"""The case store. This package's top level is pure Python; SQL lives in `storage.sql`."""

from storage.records import (
    AuditRecord,
    Author,
    CaseOutcome,
    CaseRecord,
    CaseStatus,
    ClientRecord,
    ClientStatus,
    ConsentRecord,
    ConsentState,
    CounselorRecord,
    CounselorRole,
    Direction,
    IdentityRecord,
    InteractionRecord,
    StateRecord,
    TaskKind,
    TaskPriority,
    TaskRecord,
    TaskStatus,
)
from storage.repositories import UnitOfWork, UnitOfWorkFactory

__all__ = [
    "AuditRecord", "Author", "CaseOutcome", "CaseRecord", "CaseStatus", "ClientRecord",
    "ClientStatus", "ConsentRecord", "ConsentState", "CounselorRecord", "CounselorRole",
    "Direction", "IdentityRecord", "InteractionRecord", "StateRecord", "TaskKind",
    "TaskPriority", "TaskRecord", "TaskStatus", "UnitOfWork", "UnitOfWorkFactory",
]
