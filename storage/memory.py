"""The in-memory twin of the case store, for fast dialogue tests; it passes the same contract."""

from __future__ import annotations

import copy
import threading
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, timedelta
from types import TracebackType
from typing import Any, Self

from storage.records import (
    AppointmentRecord,
    AuditRecord,
    CaseRecord,
    CaseStatus,
    CheckinRecord,
    ClientRecord,
    ClientStatus,
    ConsentRecord,
    ConsentState,
    CounselorRecord,
    EscalationRecord,
    EscalationStatus,
    IdentityRecord,
    InteractionRecord,
    JobRecord,
    RightsCheckRecord,
    ScheduledMessageRecord,
    ScheduledStatus,
    StaffSessionRecord,
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
    PrivacyRepository,
    RightsCheckRepository,
    ScheduleRepository,
    StaffSessionRepository,
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
    staff_sessions: dict[str, StaffSessionRecord] = field(default_factory=dict)
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

    def lock(self, channel: str, external_id: str) -> None:
        """One unit of work at a time holds the whole in-memory store already."""


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

    def done(self, task_id: int) -> TaskRecord | None:
        task = self.t.tasks.get(task_id)
        if task is None:
            return None
        before = copy.copy(task)
        task.status = TaskStatus.DONE
        return before


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
        if counselor.login is not None and self.by_login(counselor.login):
            raise ValueError("login already registered")
        stored = replace(counselor, id=self.t.new_id())
        self.t.counselors[stored.id] = stored
        return copy.copy(stored)

    def get(self, counselor_id: int) -> CounselorRecord | None:
        found = self.t.counselors.get(counselor_id)
        return copy.copy(found) if found else None

    def by_telegram_id(self, telegram_user_id: int) -> CounselorRecord | None:
        for c in self.t.counselors.values():
            if c.telegram_user_id == telegram_user_id:
                return copy.copy(c)
        return None

    def by_login(self, login: str) -> CounselorRecord | None:
        for c in self.t.counselors.values():
            if c.login is not None and c.login == login.strip().lower():
                return copy.copy(c)
        return None

    def save(self, counselor: CounselorRecord) -> None:
        self.t.counselors[counselor.id] = copy.copy(counselor)

    def all(self) -> Sequence[CounselorRecord]:
        return [copy.copy(c) for _, c in sorted(self.t.counselors.items())]


class _StaffSessions:
    def __init__(self, t: _Tables) -> None:
        self.t = t

    def add(self, session: StaffSessionRecord) -> None:
        self.t.staff_sessions[session.token_hash] = copy.copy(session)

    def get(self, token_hash: str) -> StaffSessionRecord | None:
        found = self.t.staff_sessions.get(token_hash)
        return copy.copy(found) if found else None

    def save(self, session: StaffSessionRecord) -> None:
        self.t.staff_sessions[session.token_hash] = copy.copy(session)

    def delete(self, token_hash: str) -> None:
        self.t.staff_sessions.pop(token_hash, None)

    def delete_expired(self, now: datetime) -> int:
        gone = [k for k, v in self.t.staff_sessions.items() if v.expires_at <= now]
        for k in gone:
            del self.t.staff_sessions[k]
        return len(gone)


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


class _Privacy:
    """The same contract as storage.sql.privacy, over the in-memory tables."""

    def __init__(self, t: _Tables) -> None:
        self.t = t

    def _lists(self, client_id: int) -> dict[str, list[Any]]:
        t = self.t
        tokens = {i.external_id for i in t.identities.values()
                  if i.client_id == client_id and i.channel == "web"}
        state = t.states.get(client_id)
        return {
            "channel_identities": [i for i in t.identities.values() if i.client_id == client_id],
            "conversation_states": [state] if state else [],
            "cases": [c for c in t.cases.values() if c.client_id == client_id],
            "interactions": [i for i in t.interactions if i.client_id == client_id],
            "consent_records": [c for c in t.consents if c.client_id == client_id],
            "tasks": [x for x in t.tasks.values() if x.client_id == client_id],
            "escalations": [e for e in t.escalations.values() if e.client_id == client_id],
            "counselor_topics": [x for x in t.topics.values() if x.client_id == client_id],
            "appointments": [a for a in t.appointments.values() if a.client_id == client_id],
            "scheduled_messages": [x for x in t.schedule.values() if x.client_id == client_id],
            "jobs": [j for j in t.jobs.values() if j.client_id == client_id],
            "checkins": [c for c in t.checkins.values() if c.client_id == client_id],
            "rights_checks": [r for r in t.rights_checks.values() if r.client_id == client_id],
            "web_outbox": [w for w in t.web_outbox if w.external_id in tokens],
        }

    def export(self, client_id: int) -> dict[str, list[dict[str, Any]]]:
        client = self.t.clients.get(client_id)
        found = {"clients": [_plain(asdict(client))]} if client else {}
        for name, rows in self._lists(client_id).items():
            if rows:
                found[name] = [_plain(asdict(r)) for r in rows]
        return found

    def erase(self, client_id: int) -> dict[str, int]:
        t = self.t
        lists = self._lists(client_id)
        counts = {name: len(rows) for name, rows in lists.items()
                  if rows and name != "cases"}
        t.identities = {k: v for k, v in t.identities.items() if v.client_id != client_id}
        t.states.pop(client_id, None)
        t.interactions = [i for i in t.interactions if i.client_id != client_id]
        t.consents = [c for c in t.consents if c.client_id != client_id]
        t.tasks = {k: v for k, v in t.tasks.items() if v.client_id != client_id}
        t.topics = {k: v for k, v in t.topics.items() if v.client_id != client_id}
        t.schedule = {k: v for k, v in t.schedule.items() if v.client_id != client_id}
        t.rights_checks = {k: v for k, v in t.rights_checks.items() if v.client_id != client_id}
        t.web_outbox = [w for w in t.web_outbox if w not in lists["web_outbox"]]
        for e in lists["escalations"]:
            e.summary = ""
        for a in lists["appointments"]:
            a.location, a.with_whom = "", ""
        for j in lists["jobs"]:
            j.employer, j.end_reason = "", ""
        for c in lists["checkins"]:
            c.note = ""
        client = t.clients.get(client_id)
        if client is not None:
            client.first_name, client.contact = "", ""
            client.status, client.consent = ClientStatus.ERASED, ConsentState.WITHDRAWN
            client.reachable = False
            counts["clients"] = 1
        return counts

    def forget_messages(self, client_id: int) -> int:
        t = self.t
        lists = self._lists(client_id)
        count = len(lists["interactions"])
        t.interactions = [i for i in t.interactions if i.client_id != client_id]
        t.web_outbox = [w for w in t.web_outbox if w not in lists["web_outbox"]]
        t.tasks = {k: v for k, v in t.tasks.items() if v.client_id != client_id}
        for e in lists["escalations"]:
            e.summary = ""
        for c in lists["checkins"]:
            c.note = ""
        return count

    def closed_since(self, before: datetime, limit: int = 500) -> list[int]:
        said = {i.client_id for i in self.t.interactions}
        return sorted(c for c in self.t.clients
                      if c in said and _closed_before(self.t, c, before))[:limit]

    def erasable(self, closed_before: datetime, seen_before: datetime, limit: int = 500
                 ) -> list[int]:
        found = []
        for client in sorted(self.t.clients.values(), key=lambda c: c.id):
            if client.status == ClientStatus.ERASED:
                continue
            has_case = any(c.client_id == client.id for c in self.t.cases.values())
            if _closed_before(self.t, client.id, closed_before) or (
                    not has_case and client.last_seen_at < seen_before):
                found.append(client.id)
        return found[:limit]

    def prune_outbox(self, before: datetime) -> int:
        kept = [w for w in self.t.web_outbox if w.created_at >= before]
        count = len(self.t.web_outbox) - len(kept)
        self.t.web_outbox = kept
        return count


def _closed_before(t: _Tables, client_id: int, before: datetime) -> bool:
    cases = [c for c in t.cases.values() if c.client_id == client_id]
    return bool(cases) and all(c.status == CaseStatus.CLOSED and c.closed_at is not None
                               and c.closed_at < before for c in cases)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


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
    staff_sessions: StaffSessionRepository
    appointments: AppointmentRepository
    schedule: ScheduleRepository
    jobs: JobRepository
    checkins: CheckinRepository
    rights_checks: RightsCheckRepository
    privacy: PrivacyRepository

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
        self.staff_sessions = _StaffSessions(t)
        self.appointments = _Appointments(t)
        self.schedule = _Schedule(t)
        self.jobs = _Jobs(t)
        self.checkins = _Checkins(t)
        self.rights_checks = _RightsChecks(t)
        self.privacy = _Privacy(t)
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
