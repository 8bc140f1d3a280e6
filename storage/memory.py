"""The in-memory twin of the case store, for fast dialogue tests; it passes the same contract."""

from __future__ import annotations

import copy
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from types import TracebackType
from typing import Self

from storage.records import (
    AppointmentRecord,
    AuditRecord,
    CaseRecord,
    CheckinRecord,
    ClientRecord,
    ConsentRecord,
    CounselorRecord,
    EscalationRecord,
    EscalationStatus,
    IdentityRecord,
    InteractionRecord,
    JobRecord,
    RightsCheckRecord,
    ScheduledMessageRecord,
    ScheduledStatus,
    StateRecord,
    TaskRecord,
    TaskStatus,
    TopicRecord,
    WebMessageRecord,
)
from storage.repositories import (
    AppointmentRepository,
    AuditRepository,
    CaseRepository,
    CheckinRepository,
    ClientRepository,
    ConsentRepository,
    CounselorRepository,
    EscalationRepository,
    InteractionRepository,
    JobRepository,
    RightsCheckRepository,
    ScheduleRepository,
    StateRepository,
    TaskRepository,
    TopicRepository,
    WebOutboxRepository,
)


@dataclass
class _Tables:
    clients: dict[int, ClientRecord] = field(default_factory=dict)
    identities: dict[tuple[str, str], IdentityRecord] = field(default_factory=dict)
    states: dict[int, StateRecord] = field(default_factory=dict)
    cases: dict[int, CaseRecord] = field(default_factory=dict)
    interactions: list[InteractionRecord] = field(default_factory=list)
    consents: list[ConsentRecord] = field(default_factory=list)
    tasks: dict[int, TaskRecord] = field(default_factory=dict)
    escalations: dict[int, EscalationRecord] = field(default_factory=dict)
    topics: dict[int, TopicRecord] = field(default_factory=dict)
    web_outbox: list[WebMessageRecord] = field(default_factory=list)
    audit: list[AuditRecord] = field(default_factory=list)
    counselors: dict[int, CounselorRecord] = field(default_factory=dict)
    appointments: dict[int, AppointmentRecord] = field(default_factory=dict)
    schedule: dict[int, ScheduledMessageRecord] = field(default_factory=dict)
    jobs: dict[int, JobRecord] = field(default_factory=dict)
    checkins: dict[int, CheckinRecord] = field(default_factory=dict)
    rights_checks: dict[int, RightsCheckRecord] = field(default_factory=dict)
    next_id: int = 1

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id - 1


class _Clients:
    def __init__(self, t: _Tables) -> None:
        self.t = t

    def by_identity(self, channel: str, external_id: str) -> ClientRecord | None:
        ident = self.t.identities.get((channel, external_id))
        return copy.copy(self.t.clients[ident.client_id]) if ident else None

    def add(self, channel: str, external_id: str, language: str, now: datetime) -> ClientRecord:
        if (channel, external_id) in self.t.identities:
            raise ValueError("identity exists")
        client = ClientRecord(id=self.t.new_id(), language=language, created_at=now,
                              last_seen_at=now)
        self.t.clients[client.id] = client
        self.t.identities[(channel, external_id)] = IdentityRecord(client.id, channel,
                                                                   external_id)
        return copy.copy(client)

    def get(self, client_id: int) -> ClientRecord | None:
        c = self.t.clients.get(client_id)
        return copy.copy(c) if c else None

    def save(self, client: ClientRecord) -> None:
        if client.id not in self.t.clients:
            raise KeyError(client.id)
        self.t.clients[client.id] = copy.copy(client)

    def identities(self, client_id: int) -> Sequence[IdentityRecord]:
        return [i for i in self.t.identities.values() if i.client_id == client_id]

    def all(self) -> Sequence[ClientRecord]:
        return [copy.copy(c) for _, c in sorted(self.t.clients.items())]


class _States:
    def __init__(self, t: _Tables) -> None:
        self.t = t

    def load(self, client_id: int) -> StateRecord | None:
        s = self.t.states.get(client_id)
        return copy.deepcopy(s) if s else None

    def save(self, client_id: int, state: StateRecord) -> None:
        self.t.states[client_id] = copy.deepcopy(state)


class _Cases:
    def __init__(self, t: _Tables) -> None:
        self.t = t

    def add(self, case: CaseRecord) -> CaseRecord:
        stored = replace(case, id=self.t.new_id())
        self.t.cases[stored.id] = stored
        return copy.copy(stored)

    def current_for(self, client_id: int) -> CaseRecord | None:
        mine = [c for c in self.t.cases.values() if c.client_id == client_id]
        return copy.copy(max(mine, key=lambda c: c.id)) if mine else None

    def get(self, case_id: int) -> CaseRecord | None:
        c = self.t.cases.get(case_id)
        return copy.copy(c) if c else None

    def save(self, case: CaseRecord) -> None:
        self.t.cases[case.id] = copy.copy(case)

    def recent(self, limit: int = 50) -> Sequence[CaseRecord]:
        return [copy.copy(c) for _, c in sorted(self.t.cases.items(), reverse=True)[:limit]]


class _Interactions:
    def __init__(self, t: _Tables) -> None:
        self.t = t

    def add(self, interaction: InteractionRecord) -> None:
        self.t.interactions.append(replace(interaction, id=self.t.new_id()))

    def for_client(self, client_id: int, limit: int = 200) -> Sequence[InteractionRecord]:
        return [i for i in self.t.interactions if i.client_id == client_id][-limit:]


class _Consents:
    def __init__(self, t: _Tables) -> None:
        self.t = t

    def add(self, consent: ConsentRecord) -> None:
        self.t.consents.append(consent)

    def for_client(self, client_id: int) -> Sequence[ConsentRecord]:
        return [c for c in self.t.consents if c.client_id == client_id]


class _Tasks:
    def __init__(self, t: _Tables) -> None:
        self.t = t

    def add(self, task: TaskRecord) -> TaskRecord:
        stored = replace(task, id=self.t.new_id())
        self.t.tasks[stored.id] = stored
        return copy.copy(stored)

    def unnotified(self, limit: int = 100) -> Sequence[TaskRecord]:
        due = [t for _, t in sorted(self.t.tasks.items()) if t.notified_at is None]
        return [copy.copy(t) for t in due[:limit]]

    def mark_notified(self, task_id: int, at: datetime) -> None:
        self.t.tasks[task_id].notified_at = at

    def open(self, limit: int = 100) -> Sequence[TaskRecord]:
        items = sorted(self.t.tasks.items(), reverse=True)
        return [copy.copy(t) for _, t in items if t.status == TaskStatus.OPEN][:limit]


class _Escalations:
    def __init__(self, t: _Tables) -> None:
        self.t = t

    def add(self, escalation: EscalationRecord) -> EscalationRecord:
        stored = replace(escalation, id=self.t.new_id())
        self.t.escalations[stored.id] = stored
        return copy.copy(stored)

    def get(self, escalation_id: int) -> EscalationRecord | None:
        e = self.t.escalations.get(escalation_id)
        return copy.copy(e) if e else None

    def save(self, escalation: EscalationRecord) -> None:
        if escalation.id not in self.t.escalations:
            raise KeyError(escalation.id)
        self.t.escalations[escalation.id] = copy.copy(escalation)

    def active_for(self, client_id: int) -> EscalationRecord | None:
        mine = [e for _, e in sorted(self.t.escalations.items())
                if e.client_id == client_id and e.status != EscalationStatus.RESOLVED]
        return copy.copy(mine[-1]) if mine else None

    def active(self, limit: int = 100) -> Sequence[EscalationRecord]:
        items = sorted(self.t.escalations.items())
        return [copy.copy(e) for _, e in items if e.status != EscalationStatus.RESOLVED][:limit]


class _Topics:
    def __init__(self, t: _Tables) -> None:
        self.t = t

    def for_client(self, client_id: int) -> TopicRecord | None:
        return self.t.topics.get(client_id)

    def by_thread(self, chat_id: int, thread_id: int) -> TopicRecord | None:
        for topic in self.t.topics.values():
            if (topic.chat_id, topic.thread_id) == (chat_id, thread_id):
                return topic
        return None

    def save(self, topic: TopicRecord) -> None:
        other = self.by_thread(topic.chat_id, topic.thread_id)
        if other is not None and other.client_id != topic.client_id:
            raise ValueError("that topic belongs to another client")
        self.t.topics[topic.client_id] = topic

    def forget(self, client_id: int) -> None:
        self.t.topics.pop(client_id, None)


class _WebOutbox:
    def __init__(self, t: _Tables) -> None:
        self.t = t

    def add(self, message: WebMessageRecord) -> WebMessageRecord:
        stored = replace(message, id=self.t.new_id())
        self.t.web_outbox.append(stored)
        return stored

    def after(self, external_id: str, after_id: int, limit: int = 50
              ) -> Sequence[WebMessageRecord]:
        return [m for m in self.t.web_outbox
                if m.external_id == external_id and m.id > after_id][:limit]

    def latest_id(self, external_id: str) -> int:
        return max((m.id for m in self.t.web_outbox if m.external_id == external_id), default=0)


class _Audit:
    def __init__(self, t: _Tables) -> None:
        self.t = t

    def add(self, entry: AuditRecord) -> None:
        self.t.audit.append(entry)

    def recent(self, limit: int = 100) -> Sequence[AuditRecord]:
        return list(reversed(self.t.audit))[:limit]


class _Counselors:
    def __init__(self, t: _Tables) -> None:
        self.t = t

    def add(self, counselor: CounselorRecord) -> CounselorRecord:
        if counselor.telegram_user_id is not None and self.by_telegram_id(
                counselor.telegram_user_id):
            raise ValueError("telegram user id already registered")
        stored = replace(counselor, id=self.t.new_id())
        self.t.counselors[stored.id] = stored
        return copy.copy(stored)

    def by_telegram_id(self, telegram_user_id: int) -> CounselorRecord | None:
        for c in self.t.counselors.values():
            if c.telegram_user_id == telegram_user_id:
                return copy.copy(c)
        return None

    def all(self) -> Sequence[CounselorRecord]:
        return [copy.copy(c) for _, c in sorted(self.t.counselors.items())]


class _Appointments:
    def __init__(self, t: _Tables) -> None:
        self.t = t

    def add(self, appointment: AppointmentRecord) -> AppointmentRecord:
        stored = replace(appointment, id=self.t.new_id())
        self.t.appointments[stored.id] = stored
        return copy.copy(stored)

    def get(self, appointment_id: int) -> AppointmentRecord | None:
        found = self.t.appointments.get(appointment_id)
        return copy.copy(found) if found else None

    def save(self, appointment: AppointmentRecord) -> None:
        self.t.appointments[appointment.id] = copy.copy(appointment)

    def for_client(self, client_id: int) -> Sequence[AppointmentRecord]:
        return sorted((copy.copy(a) for a in self.t.appointments.values()
                       if a.client_id == client_id), key=lambda a: (a.starts_at, a.id))

    def between(self, start: datetime, end: datetime) -> Sequence[AppointmentRecord]:
        return sorted((copy.copy(a) for a in self.t.appointments.values()
                       if start <= a.starts_at < end), key=lambda a: (a.starts_at, a.id))


WAITING = (ScheduledStatus.PENDING, ScheduledStatus.CLAIMED)


class _Schedule:
    def __init__(self, t: _Tables) -> None:
        self.t = t

    def add(self, message: ScheduledMessageRecord) -> ScheduledMessageRecord:
        for existing in self.t.schedule.values():
            if existing.key == message.key:
                return copy.deepcopy(existing)
        stored = replace(message, id=self.t.new_id(), details=dict(message.details))
        self.t.schedule[stored.id] = stored
        return copy.deepcopy(stored)

    def get(self, message_id: int) -> ScheduledMessageRecord | None:
        found = self.t.schedule.get(message_id)
        return copy.deepcopy(found) if found else None

    def _sorted(self, rows: list[ScheduledMessageRecord]) -> list[ScheduledMessageRecord]:
        return [copy.deepcopy(r) for r in sorted(rows, key=lambda r: (r.due_at, r.id))]

    def for_appointment(self, appointment_id: int) -> Sequence[ScheduledMessageRecord]:
        return self._sorted([r for r in self.t.schedule.values()
                             if r.appointment_id == appointment_id])

    def for_client(self, client_id: int) -> Sequence[ScheduledMessageRecord]:
        return self._sorted([r for r in self.t.schedule.values() if r.client_id == client_id])

    def cancel_pending(self, appointment_id: int, now: datetime) -> int:
        n = 0
        for row in self.t.schedule.values():
            if row.appointment_id == appointment_id and row.status in WAITING:
                row.status, row.done_at, row.lease_owner, row.lease_until = (
                    ScheduledStatus.CANCELLED, now, "", None)
                n += 1
        return n

    def cancel_pending_keys(self, prefix: str, now: datetime) -> int:
        n = 0
        for row in self.t.schedule.values():
            if row.key.startswith(prefix) and row.status in WAITING:
                row.status, row.done_at, row.lease_owner, row.lease_until = (
                    ScheduledStatus.CANCELLED, now, "", None)
                n += 1
        return n

    def claim_due(self, now: datetime, owner: str, lease_seconds: float, limit: int
                  ) -> Sequence[ScheduledMessageRecord]:
        due = [r for r in self.t.schedule.values()
               if (r.status == ScheduledStatus.PENDING and r.due_at <= now)
               or (r.status == ScheduledStatus.CLAIMED and r.lease_until is not None
                   and r.lease_until < now)]
        taken = sorted(due, key=lambda r: (r.due_at, r.id))[:limit]
        token = f"{owner[:60]}/{self.t.new_id()}"
        for row in taken:
            row.status, row.lease_owner = ScheduledStatus.CLAIMED, token
            row.lease_until = now + timedelta(seconds=lease_seconds)
            row.attempts += 1
        return self._sorted(taken)

    def finish(self, message_id: int, owner: str, status: ScheduledStatus, now: datetime,
               error: str = "") -> bool:
        row = self.t.schedule.get(message_id)
        if row is None or row.lease_owner != owner or row.status != ScheduledStatus.CLAIMED:
            return False
        row.status, row.done_at, row.lease_until, row.error = status, now, None, error[:300]
        return True

    def retry_later(self, message_id: int, owner: str, due_at: datetime, error: str) -> bool:
        row = self.t.schedule.get(message_id)
        if row is None or row.lease_owner != owner or row.status != ScheduledStatus.CLAIMED:
            return False
        row.status, row.due_at, row.lease_owner, row.lease_until, row.error = (
            ScheduledStatus.PENDING, due_at, "", None, error[:300])
        return True

    def next_due(self) -> datetime | None:
        pending = [r.due_at for r in self.t.schedule.values()
                   if r.status == ScheduledStatus.PENDING]
        return min(pending) if pending else None

    def counts(self) -> dict[ScheduledStatus, int]:
        result: dict[ScheduledStatus, int] = {}
        for row in self.t.schedule.values():
            result[row.status] = result.get(row.status, 0) + 1
        return result


class _Jobs:
    def __init__(self, t: _Tables) -> None:
        self.t = t

    def add(self, job: JobRecord) -> JobRecord:
        stored = replace(job, id=self.t.new_id())
        self.t.jobs[stored.id] = stored
        return copy.copy(stored)

    def get(self, job_id: int) -> JobRecord | None:
        found = self.t.jobs.get(job_id)
        return copy.copy(found) if found else None

    def save(self, job: JobRecord) -> None:
        self.t.jobs[job.id] = copy.copy(job)

    def for_client(self, client_id: int) -> Sequence[JobRecord]:
        return [copy.copy(j) for _, j in sorted(self.t.jobs.items()) if j.client_id == client_id]


class _Checkins:
    def __init__(self, t: _Tables) -> None:
        self.t = t

    def add(self, checkin: CheckinRecord) -> CheckinRecord:
        stored = replace(checkin, id=self.t.new_id())
        self.t.checkins[stored.id] = stored
        return copy.copy(stored)

    def save(self, checkin: CheckinRecord) -> None:
        self.t.checkins[checkin.id] = copy.copy(checkin)

    def for_job(self, job_id: int) -> Sequence[CheckinRecord]:
        return sorted((copy.copy(c) for c in self.t.checkins.values() if c.job_id == job_id),
                      key=lambda c: (c.number, c.id))


class _RightsChecks:
    def __init__(self, t: _Tables) -> None:
        self.t = t

    def add(self, check: RightsCheckRecord) -> RightsCheckRecord:
        stored = replace(check, id=self.t.new_id(), answers=dict(check.answers))
        self.t.rights_checks[stored.id] = stored
        return stored

    def for_client(self, client_id: int) -> Sequence[RightsCheckRecord]:
        return [c for _, c in sorted(self.t.rights_checks.items()) if c.client_id == client_id]


class MemoryUnitOfWork:
    """Works on a private copy of the tables; `commit()` publishes it, leaving discards it."""

    clients: ClientRepository
    states: StateRepository
    cases: CaseRepository
    interactions: InteractionRepository
    consents: ConsentRepository
    tasks: TaskRepository
    escalations: EscalationRepository
    topics: TopicRepository
    web_outbox: WebOutboxRepository
    audit: AuditRepository
    counselors: CounselorRepository
    appointments: AppointmentRepository
    schedule: ScheduleRepository
    jobs: JobRepository
    checkins: CheckinRepository
    rights_checks: RightsCheckRepository

    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    def __enter__(self) -> Self:
        self._store.lock.acquire()
        self._tables = copy.deepcopy(self._store.tables)
        t = self._tables
        self.clients = _Clients(t)
        self.states = _States(t)
        self.cases = _Cases(t)
        self.interactions = _Interactions(t)
        self.consents = _Consents(t)
        self.tasks = _Tasks(t)
        self.escalations = _Escalations(t)
        self.topics = _Topics(t)
        self.web_outbox = _WebOutbox(t)
        self.audit = _Audit(t)
        self.counselors = _Counselors(t)
        self.appointments = _Appointments(t)
        self.schedule = _Schedule(t)
        self.jobs = _Jobs(t)
        self.checkins = _Checkins(t)
        self.rights_checks = _RightsChecks(t)
        return self

    def commit(self) -> None:
        self._store.tables = copy.deepcopy(self._tables)

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._store.lock.release()


class MemoryStore:
    """A unit-of-work factory whose data lives in this object only."""

    def __init__(self) -> None:
        self.tables = _Tables()
        self.lock = threading.RLock()

    def __call__(self) -> MemoryUnitOfWork:
        return MemoryUnitOfWork(self)
