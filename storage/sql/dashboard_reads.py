"""What the counselor dashboard reads: the queue, case lists, one client's whole story, a week.

A read model beside the repositories: these queries join several tables to fill one page in a
few statements, where the repositories (one record type each) would need one per row. Access
rules live here too, as SQL, so a counselor's page never loads what they may not see:
coordinators and admins see everything; a counselor sees their own cases and the team's open
work (clients waiting for a person, cases nobody has taken yet).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, func, or_, select, union_all
from sqlalchemy.orm import aliased, sessionmaker

from storage.records import (
    AppointmentKind,
    AppointmentMode,
    AppointmentStatus,
    CaseStatus,
    CounselorRecord,
    EscalationReason,
    EscalationStatus,
    TaskKind,
    TaskPriority,
)
from storage.sql import models as m
from storage.sql.database import Database

ACTIVE_ESCALATION = (EscalationStatus.OPEN.value, EscalationStatus.CLAIMED.value)
OPEN_CASE = (CaseStatus.NEW.value, CaseStatus.ACTIVE.value, CaseStatus.NAZORG.value)
PAGE_SIZE = 50
WEEK_LIMIT = 1500  # appointments shown in one week view; beyond: a notice to narrow it


@dataclass(frozen=True, slots=True)
class QueueItem:
    escalation_id: int
    client_id: int
    first_name: str
    language: str
    reason: EscalationReason
    priority: TaskPriority
    status: EscalationStatus
    created_at: datetime
    summary: str
    case_id: int | None
    claimed_by: str  # the counselor's name, "" while open
    reminders: int


@dataclass(frozen=True, slots=True)
class CaseRow:
    client_id: int
    case_id: int
    first_name: str
    language: str
    status: CaseStatus
    opened_at: datetime
    counselor: str
    last_seen_at: datetime
    waiting: bool  # an open or claimed escalation

    @property
    def reference(self) -> str:
        return f"WM-{self.case_id:05d}"


@dataclass(frozen=True, slots=True)
class TaskRow:
    id: int
    kind: TaskKind
    priority: TaskPriority
    summary: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class EscalationRow:
    id: int
    reason: EscalationReason
    priority: TaskPriority
    status: EscalationStatus
    summary: str
    created_at: datetime
    claimed_at: datetime | None
    resolved_at: datetime | None
    claimed_by: str


@dataclass(frozen=True, slots=True)
class WeekItem:
    appointment_id: int
    client_id: int
    first_name: str
    language: str
    starts_at: datetime
    duration_minutes: int
    kind: AppointmentKind
    mode: AppointmentMode
    location: str
    status: AppointmentStatus
    counselor: str
    proposed_at: datetime | None


class DashboardReads:
    def __init__(self, database: Database) -> None:
        self._sessions = sessionmaker(database.engine, expire_on_commit=False)
        self._names_encrypted = database.cipher is not None  # then SQL cannot search them

    # ---- access -----------------------------------------------------------------------------

    def may_read(self, counselor: CounselorRecord, client_id: int) -> bool:
        with self._sessions() as s:
            if s.get(m.Client, client_id) is None:
                return False
            if counselor.sees_everything:
                return True
            return bool(s.scalar(select(_visible_to(counselor.id, m.Client.id))
                                 .where(m.Client.id == client_id)))

    # ---- the queue --------------------------------------------------------------------------

    def queue(self, limit: int = 100) -> list[QueueItem]:
        """Active escalations: urgent first, then the longest waiting; claimed ones after
        (at most `limit` of each: the page says how many more there are)."""
        # the few active escalations first, sorted and cut, then their names: joining all
        # clients before sorting made PostgreSQL scan every client
        order = ((m.Escalation.status == EscalationStatus.CLAIMED.value),
                 (m.Escalation.priority != TaskPriority.URGENT.value), m.Escalation.created_at)
        waiting = (select(m.Escalation).where(m.Escalation.status == EscalationStatus.OPEN.value)
                   .order_by(*order).limit(limit))
        held = (select(m.Escalation).where(m.Escalation.status == EscalationStatus.CLAIMED.value)
                .order_by(*order).limit(limit))
        # each side in its own subquery: SQLite accepts no LIMIT inside a bare UNION
        top = union_all(select(waiting.subquery()), select(held.subquery())).subquery()
        escalation = aliased(m.Escalation, top)
        claimer = aliased(m.Counselor)
        case = (select(func.max(m.Case.id)).where(m.Case.client_id == escalation.client_id)
                .scalar_subquery())
        query = (select(escalation, m.Client.first_name, claimer.name, case)
                 .join(m.Client, m.Client.id == escalation.client_id)
                 .outerjoin(claimer, claimer.id == escalation.claimed_by)
                 .order_by((escalation.status == EscalationStatus.CLAIMED.value),
                           (escalation.priority != TaskPriority.URGENT.value),
                           escalation.created_at))
        with self._sessions() as s:
            return [QueueItem(e.id, e.client_id, name or "", e.language,
                              EscalationReason(e.reason), TaskPriority(e.priority),
                              EscalationStatus(e.status), e.created_at, e.summary, case_id,
                              claimed or "", e.reminders)
                    for e, name, claimed, case_id in s.execute(query)]

    def queue_counts(self) -> tuple[int, int]:
        """(open, of which urgent): for the navigation badge."""
        with self._sessions() as s:
            row = s.execute(select(
                func.count(), func.count().filter(m.Escalation.priority == "urgent"))
                .where(m.Escalation.status == EscalationStatus.OPEN.value)).one()
        return int(row[0]), int(row[1])

    # ---- case lists -------------------------------------------------------------------------

    def cases(self, counselor: CounselorRecord, scope: str, status: str = "open",
              search: str = "", page: int = 0) -> list[CaseRow]:
        """scope: "mine", "team" (nobody's yet) or "all" (coordinators: every case).

        `search` is a case number (WM-00012, 12) or part of a first name; with encryption at
        rest only the case number finds anything.
        """
        newer = aliased(m.Case)  # each client's latest case only, without aggregating them all
        latest = ~exists().where(newer.client_id == m.Case.client_id, newer.id > m.Case.id)
        owner = aliased(m.Counselor)
        waiting = exists().where(m.Escalation.client_id == m.Case.client_id,
                                 m.Escalation.status.in_(ACTIVE_ESCALATION))
        query = (select(m.Case, m.Client.first_name, m.Client.language, m.Client.last_seen_at,
                        owner.name, waiting)
                 .join(m.Client, m.Client.id == m.Case.client_id)
                 .outerjoin(owner, owner.id == m.Case.counselor_id)
                 .where(latest))
        if scope == "mine":
            query = query.where(m.Case.counselor_id == counselor.id)
        elif scope == "team":
            query = query.where(m.Case.counselor_id.is_(None))
        elif not counselor.sees_everything:
            query = query.where(_visible_to(counselor.id, m.Case.client_id))
        if status == "open":
            query = query.where(m.Case.status.in_(OPEN_CASE))
        elif status in {s.value for s in CaseStatus}:
            query = query.where(m.Case.status == status)
        term = search.strip()
        if term:
            reference = term.upper().removeprefix("WM-").lstrip("0")
            if reference.isdigit():
                query = query.where(m.Case.id == int(reference))
            elif self._names_encrypted:
                return []  # a name can only be found by its case number then
            else:
                query = query.where(m.Client.first_name.ilike(f"%{_like(term[:100])}%",
                                                              escape="\\"))
        query = (query.order_by(m.Case.opened_at.desc(), m.Case.id.desc())
                 .limit(PAGE_SIZE).offset(max(page, 0) * PAGE_SIZE))
        with self._sessions() as s:
            return [CaseRow(c.client_id, c.id, name or "", language, CaseStatus(c.status),
                            c.opened_at, owner_name or "", seen, bool(is_waiting))
                    for c, name, language, seen, owner_name, is_waiting in s.execute(query)]

    # ---- one client -------------------------------------------------------------------------

    def escalations_for(self, client_id: int) -> list[EscalationRow]:
        claimer = aliased(m.Counselor)
        query = (select(m.Escalation, claimer.name)
                 .outerjoin(claimer, claimer.id == m.Escalation.claimed_by)
                 .where(m.Escalation.client_id == client_id).order_by(m.Escalation.id))
        with self._sessions() as s:
            return [EscalationRow(e.id, EscalationReason(e.reason), TaskPriority(e.priority),
                                  EscalationStatus(e.status), e.summary, e.created_at,
                                  e.claimed_at, e.resolved_at, name or "")
                    for e, name in s.execute(query)]

    def open_tasks_for(self, client_id: int) -> list[TaskRow]:
        query = (select(m.Task).where(m.Task.client_id == client_id, m.Task.status == "open")
                 .order_by(m.Task.id))
        with self._sessions() as s:
            return [TaskRow(t.id, TaskKind(t.kind), TaskPriority(t.priority), t.summary,
                            t.created_at) for t in s.scalars(query)]

    def counselor_names(self) -> tuple[dict[int, str], dict[int, str]]:
        """Every counselor's name (for history), and the active ones (to choose from)."""
        query = select(m.Counselor.id, m.Counselor.name, m.Counselor.active).order_by(
            m.Counselor.name)
        with self._sessions() as s:
            rows = s.execute(query).all()
        return {i: n for i, n, _ in rows}, {i: n for i, n, active in rows if active}

    # ---- the week ---------------------------------------------------------------------------

    def week(self, counselor: CounselorRecord, start: datetime, end: datetime,
             only_mine: bool) -> list[WeekItem]:
        owner = aliased(m.Counselor)
        query = (select(m.Appointment, m.Client.first_name, m.Client.language, owner.name)
                 .join(m.Client, m.Client.id == m.Appointment.client_id)
                 .outerjoin(owner, owner.id == m.Appointment.counselor_id)
                 .where(m.Appointment.starts_at >= start, m.Appointment.starts_at < end))
        if only_mine:
            query = query.where(m.Appointment.counselor_id == counselor.id)
        elif not counselor.sees_everything:
            query = query.where(or_(m.Appointment.counselor_id == counselor.id,
                                    _visible_to(counselor.id, m.Appointment.client_id)))
        query = query.order_by(m.Appointment.starts_at).limit(WEEK_LIMIT)
        with self._sessions() as s:
            return [WeekItem(a.id, a.client_id, name or "", language, a.starts_at,
                             a.duration_minutes, AppointmentKind(a.kind),
                             AppointmentMode(a.mode), a.location, AppointmentStatus(a.status),
                             owner_name or "", a.proposed_at)
                    for a, name, language, owner_name in s.execute(query)]


def _visible_to(counselor_id: int, client_id: ColumnElement[int] | object
                ) -> ColumnElement[bool]:
    """A counselor's view: their own cases, and the team's open work."""
    case = aliased(m.Case)  # its own name: the outer query may select from cases too
    own_or_untaken = exists().where(
        case.client_id == client_id,
        or_(case.counselor_id == counselor_id,
            and_(case.counselor_id.is_(None), case.status.in_(OPEN_CASE))))
    escalated = exists().where(m.Escalation.client_id == client_id,
                               m.Escalation.status.in_(ACTIVE_ESCALATION))
    return or_(own_or_untaken, escalated)


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


__all__ = ["CaseRow", "DashboardReads", "EscalationRow", "QueueItem", "TaskRow", "WeekItem"]
