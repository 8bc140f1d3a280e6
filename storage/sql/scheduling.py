"""SQL repositories for appointments and durable scheduled messages (with leases)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from uuid import uuid4

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.records import (
    AppointmentKind,
    AppointmentMode,
    AppointmentRecord,
    AppointmentStatus,
    CheckinAnswer,
    CheckinRecord,
    ContractType,
    JobRecord,
    RightsCheckRecord,
    ScheduledKind,
    ScheduledMessageRecord,
    ScheduledStatus,
)
from storage.sql import models as m

ERROR_MAX = 300


def _appointment(row: m.Appointment) -> AppointmentRecord:
    return AppointmentRecord(
        id=row.id, client_id=row.client_id, case_id=row.case_id, counselor_id=row.counselor_id,
        starts_at=row.starts_at, duration_minutes=row.duration_minutes,
        kind=AppointmentKind(row.kind), mode=AppointmentMode(row.mode), location=row.location,
        with_whom=row.with_whom, status=AppointmentStatus(row.status),
        proposed_at=row.proposed_at, answered_at=row.answered_at,
        client_answer=AppointmentStatus(row.client_answer) if row.client_answer else None,
        created_at=row.created_at,
        updated_at=row.updated_at, version=row.version,
    )


class SqlAppointments:
    def __init__(self, session: Session) -> None:
        self._s = session

    def add(self, appointment: AppointmentRecord) -> AppointmentRecord:
        row = m.Appointment()
        self._copy(appointment, row)
        self._s.add(row)
        self._s.flush()
        return _appointment(row)

    def get(self, appointment_id: int) -> AppointmentRecord | None:
        row = self._s.get(m.Appointment, appointment_id)
        return _appointment(row) if row else None

    def save(self, appointment: AppointmentRecord) -> None:
        self._copy(appointment, self._s.get_one(m.Appointment, appointment.id))
        self._s.flush()

    def for_client(self, client_id: int) -> Sequence[AppointmentRecord]:
        rows = self._s.scalars(select(m.Appointment).where(m.Appointment.client_id == client_id)
                               .order_by(m.Appointment.starts_at, m.Appointment.id))
        return [_appointment(r) for r in rows]

    def between(self, start: datetime, end: datetime) -> Sequence[AppointmentRecord]:
        rows = self._s.scalars(select(m.Appointment)
                               .where(m.Appointment.starts_at >= start,
                                      m.Appointment.starts_at < end)
                               .order_by(m.Appointment.starts_at, m.Appointment.id))
        return [_appointment(r) for r in rows]

    @staticmethod
    def _copy(a: AppointmentRecord, row: m.Appointment) -> None:
        row.client_id, row.case_id, row.counselor_id = a.client_id, a.case_id, a.counselor_id
        row.starts_at, row.duration_minutes = a.starts_at, a.duration_minutes
        row.kind, row.mode, row.location = a.kind.value, a.mode.value, a.location
        row.with_whom, row.status = a.with_whom, a.status.value
        row.proposed_at, row.answered_at = a.proposed_at, a.answered_at
        row.client_answer = a.client_answer.value if a.client_answer else None
        row.created_at, row.updated_at, row.version = a.created_at, a.updated_at, a.version


def _scheduled(row: m.ScheduledMessage) -> ScheduledMessageRecord:
    return ScheduledMessageRecord(
        id=row.id, key=row.key, client_id=row.client_id, appointment_id=row.appointment_id,
        kind=ScheduledKind(row.kind), due_at=row.due_at, details=dict(row.details or {}),
        status=ScheduledStatus(row.status), attempts=row.attempts, lease_owner=row.lease_owner,
        lease_until=row.lease_until, done_at=row.done_at, error=row.error,
        created_at=row.created_at,
    )


S = m.ScheduledMessage
WAITING = (ScheduledStatus.PENDING.value, ScheduledStatus.CLAIMED.value)


class SqlSchedule:
    def __init__(self, session: Session) -> None:
        self._s = session

    def add(self, message: ScheduledMessageRecord) -> ScheduledMessageRecord:
        existing = self._s.scalar(select(S).where(S.key == message.key))
        if existing is not None:
            return _scheduled(existing)
        msg = message
        row = S(key=msg.key, client_id=msg.client_id, appointment_id=msg.appointment_id,
                kind=msg.kind.value, due_at=msg.due_at, details=dict(msg.details),
                status=msg.status.value, attempts=msg.attempts, lease_owner=msg.lease_owner,
                lease_until=msg.lease_until, done_at=msg.done_at, error=msg.error,
                created_at=msg.created_at)
        try:
            with self._s.begin_nested():  # another process may insert the same key right now
                self._s.add(row)
        except IntegrityError:
            return _scheduled(self._s.scalars(select(S).where(S.key == msg.key)).one())
        return _scheduled(row)

    def get(self, message_id: int) -> ScheduledMessageRecord | None:
        row = self._s.get(S, message_id)
        return _scheduled(row) if row else None

    def for_appointment(self, appointment_id: int) -> Sequence[ScheduledMessageRecord]:
        rows = self._s.scalars(select(S).where(S.appointment_id == appointment_id)
                               .order_by(S.due_at, S.id))
        return [_scheduled(r) for r in rows]

    def for_client(self, client_id: int) -> Sequence[ScheduledMessageRecord]:
        rows = self._s.scalars(select(S).where(S.client_id == client_id)
                               .order_by(S.due_at, S.id))
        return [_scheduled(r) for r in rows]

    def cancel_pending(self, appointment_id: int, now: datetime) -> int:
        result = self._s.execute(
            update(S).where(S.appointment_id == appointment_id, S.status.in_(WAITING))
            .values(status=ScheduledStatus.CANCELLED.value, done_at=now, lease_owner="",
                    lease_until=None))
        return int(getattr(result, "rowcount", 0) or 0)

    def cancel_pending_keys(self, prefix: str, now: datetime) -> int:
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        result = self._s.execute(
            update(S).where(S.key.like(escaped + "%", escape="\\"), S.status.in_(WAITING))
            .values(status=ScheduledStatus.CANCELLED.value, done_at=now, lease_owner="",
                    lease_until=None).execution_options(synchronize_session=False))
        return int(getattr(result, "rowcount", 0) or 0)

    def claim_due(self, now: datetime, owner: str, lease_seconds: float, limit: int
                  ) -> Sequence[ScheduledMessageRecord]:
        token = f"{owner[:60]}/{uuid4().hex[:16]}"
        due = or_(and_(S.status == ScheduledStatus.PENDING.value, S.due_at <= now),
                  and_(S.status == ScheduledStatus.CLAIMED.value, S.lease_until < now))
        candidates = (select(S.id).where(due).order_by(S.due_at, S.id).limit(limit)
                      .with_for_update(skip_locked=True))
        if self._s.get_bind().dialect.name == "postgresql":
            # `IN (subquery)` may run as a semi-join that re-evaluates the LIMIT per outer row
            # and claims far more than `limit` rows; ANY(ARRAY(...)) evaluates it once
            chosen = S.id == func.any(func.array(candidates.scalar_subquery()))
        else:
            chosen = S.id.in_(candidates)  # SQLite: one statement under the write lock
        self._s.execute(
            update(S).where(chosen, due)
            .values(status=ScheduledStatus.CLAIMED.value, lease_owner=token,
                    lease_until=now + timedelta(seconds=lease_seconds),
                    attempts=S.attempts + 1)
            .execution_options(synchronize_session=False))
        rows = self._s.scalars(select(S).where(S.lease_owner == token,
                                               S.status == ScheduledStatus.CLAIMED.value)
                               .order_by(S.due_at, S.id))
        return [_scheduled(r) for r in rows]

    def finish(self, message_id: int, owner: str, status: ScheduledStatus, now: datetime,
               error: str = "") -> bool:
        result = self._s.execute(
            update(S).where(S.id == message_id, S.lease_owner == owner,
                            S.status == ScheduledStatus.CLAIMED.value)
            .values(status=status.value, done_at=now, lease_until=None, error=error[:ERROR_MAX])
            .execution_options(synchronize_session=False))
        return bool(getattr(result, "rowcount", 0))

    def retry_later(self, message_id: int, owner: str, due_at: datetime, error: str) -> bool:
        result = self._s.execute(
            update(S).where(S.id == message_id, S.lease_owner == owner,
                            S.status == ScheduledStatus.CLAIMED.value)
            .values(status=ScheduledStatus.PENDING.value, due_at=due_at, lease_owner="",
                    lease_until=None, error=error[:ERROR_MAX])
            .execution_options(synchronize_session=False))
        return bool(getattr(result, "rowcount", 0))

    def next_due(self) -> datetime | None:
        return self._s.scalar(select(func.min(S.due_at))
                              .where(S.status == ScheduledStatus.PENDING.value))

    def counts(self) -> dict[ScheduledStatus, int]:
        rows = self._s.execute(select(S.status, func.count()).group_by(S.status))
        return {ScheduledStatus(status): int(n) for status, n in rows}


def _job(row: m.Job) -> JobRecord:
    return JobRecord(id=row.id, client_id=row.client_id, case_id=row.case_id,
                     started_on=row.started_on, contract=ContractType(row.contract),
                     employer=row.employer, created_at=row.created_at, ended_at=row.ended_at,
                     end_reason=row.end_reason, paused=row.paused)


class SqlJobs:
    def __init__(self, session: Session) -> None:
        self._s = session

    def add(self, job: JobRecord) -> JobRecord:
        row = m.Job()
        self._copy(job, row)
        self._s.add(row)
        self._s.flush()
        return _job(row)

    def get(self, job_id: int) -> JobRecord | None:
        row = self._s.get(m.Job, job_id)
        return _job(row) if row else None

    def save(self, job: JobRecord) -> None:
        self._copy(job, self._s.get_one(m.Job, job.id))
        self._s.flush()

    def for_client(self, client_id: int) -> Sequence[JobRecord]:
        rows = self._s.scalars(select(m.Job).where(m.Job.client_id == client_id)
                               .order_by(m.Job.id))
        return [_job(r) for r in rows]

    @staticmethod
    def _copy(job: JobRecord, row: m.Job) -> None:
        row.client_id, row.case_id, row.started_on = job.client_id, job.case_id, job.started_on
        row.contract, row.employer = job.contract.value, job.employer[:200]
        row.created_at, row.ended_at = job.created_at, job.ended_at
        row.end_reason, row.paused = job.end_reason, job.paused


def _checkin(row: m.Checkin) -> CheckinRecord:
    return CheckinRecord(id=row.id, job_id=row.job_id, client_id=row.client_id,
                         number=row.number, sent_at=row.sent_at,
                         answer=CheckinAnswer(row.answer) if row.answer else None,
                         problem=row.problem, note=row.note, answered_at=row.answered_at)


class SqlCheckins:
    def __init__(self, session: Session) -> None:
        self._s = session

    def add(self, checkin: CheckinRecord) -> CheckinRecord:
        row = m.Checkin()
        self._copy(checkin, row)
        self._s.add(row)
        self._s.flush()
        return _checkin(row)

    def save(self, checkin: CheckinRecord) -> None:
        self._copy(checkin, self._s.get_one(m.Checkin, checkin.id))
        self._s.flush()

    def for_job(self, job_id: int) -> Sequence[CheckinRecord]:
        rows = self._s.scalars(select(m.Checkin).where(m.Checkin.job_id == job_id)
                               .order_by(m.Checkin.number, m.Checkin.id))
        return [_checkin(r) for r in rows]

    @staticmethod
    def _copy(c: CheckinRecord, row: m.Checkin) -> None:
        row.job_id, row.client_id, row.number, row.sent_at = (c.job_id, c.client_id, c.number,
                                                              c.sent_at)
        row.answer = c.answer.value if c.answer else None
        row.problem, row.note, row.answered_at = c.problem, c.note[:2000], c.answered_at


class SqlRightsChecks:
    def __init__(self, session: Session) -> None:
        self._s = session

    def add(self, check: RightsCheckRecord) -> RightsCheckRecord:
        row = m.RightsCheck(client_id=check.client_id, case_id=check.case_id,
                            answers=dict(check.answers), results=list(check.results),
                            created_at=check.created_at)
        self._s.add(row)
        self._s.flush()
        return _rights_check(row)

    def for_client(self, client_id: int) -> Sequence[RightsCheckRecord]:
        rows = self._s.scalars(select(m.RightsCheck).where(m.RightsCheck.client_id == client_id)
                               .order_by(m.RightsCheck.id))
        return [_rights_check(r) for r in rows]


def _rights_check(row: m.RightsCheck) -> RightsCheckRecord:
    return RightsCheckRecord(id=row.id, client_id=row.client_id, case_id=row.case_id,
                             answers={str(k): str(v) for k, v in (row.answers or {}).items()},
                             results=tuple(str(r) for r in row.results or ()),
                             created_at=row.created_at)
