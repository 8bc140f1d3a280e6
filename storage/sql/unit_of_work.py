"""SQL repositories over one SQLAlchemy session: the unit of work for one inbound message."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from types import TracebackType
from typing import Self

from sqlalchemy import delete, func, select, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

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
    EscalationReason,
    EscalationRecord,
    EscalationStatus,
    IdentityRecord,
    InteractionRecord,
    StaffSessionRecord,
    StateRecord,
    TaskKind,
    TaskPriority,
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
    StoreUnavailable,
    TaskRepository,
    TopicRepository,
    WebOutboxRepository,
)
from storage.sql import models as m
from storage.sql.privacy import SqlPrivacy
from storage.sql.scheduling import (
    SqlAppointments,
    SqlCheckins,
    SqlJobs,
    SqlRightsChecks,
    SqlSchedule,
)


def _client(row: m.Client) -> ClientRecord:
    return ClientRecord(
        id=row.id, language=row.language, created_at=row.created_at,
        last_seen_at=row.last_seen_at, first_name=row.first_name, contact=row.contact,
        status=ClientStatus(row.status), consent=ConsentState(row.consent),
        reachable=row.reachable,
    )


def _case(row: m.Case) -> CaseRecord:
    return CaseRecord(
        id=row.id, client_id=row.client_id, opened_at=row.opened_at,
        status=CaseStatus(row.status), municipality=row.municipality,
        non_eu_nationality=row.non_eu_nationality, seeking=row.seeking,
        help_wanted=row.help_wanted, counselor_id=row.counselor_id,
        outcome=CaseOutcome(row.outcome) if row.outcome else None, closed_at=row.closed_at,
    )


def _task(row: m.Task) -> TaskRecord:
    return TaskRecord(
        id=row.id, kind=TaskKind(row.kind), summary=row.summary, created_at=row.created_at,
        client_id=row.client_id, case_id=row.case_id, priority=TaskPriority(row.priority),
        status=TaskStatus(row.status), notified_at=row.notified_at,
    )


def _counselor(row: m.Counselor) -> CounselorRecord:
    return CounselorRecord(
        id=row.id, name=row.name, role=CounselorRole(row.role), created_at=row.created_at,
        telegram_user_id=row.telegram_user_id,
        languages=tuple(x for x in row.languages.split(",") if x), active=row.active,
        login=row.login, password_hash=row.password_hash,
    )


class SqlClients:
    def __init__(self, session: Session) -> None:
        self._s = session

    def by_identity(self, channel: str, external_id: str) -> ClientRecord | None:
        row = self._s.scalar(
            select(m.Client).join(m.ChannelIdentity, m.ChannelIdentity.client_id == m.Client.id)
            .where(m.ChannelIdentity.channel == channel,
                   m.ChannelIdentity.external_id == external_id)
        )
        return _client(row) if row else None

    def add(self, channel: str, external_id: str, language: str, now: datetime) -> ClientRecord:
        row = m.Client(language=language, status=ClientStatus.CONTACT.value,
                       consent=ConsentState.UNKNOWN.value, created_at=now, last_seen_at=now,
                       first_name="", contact="", reachable=True)
        self._s.add(row)
        self._s.flush()
        self._s.add(m.ChannelIdentity(client_id=row.id, channel=channel,
                                      external_id=external_id, created_at=now))
        self._s.flush()
        return _client(row)

    def get(self, client_id: int) -> ClientRecord | None:
        row = self._s.get(m.Client, client_id)
        return _client(row) if row else None

    def save(self, client: ClientRecord) -> None:
        row = self._s.get_one(m.Client, client.id)
        row.first_name = client.first_name[:200]  # the bounds of the columns before encryption
        row.contact = client.contact[:300]
        row.language = client.language
        row.status = client.status.value
        row.consent = client.consent.value
        row.reachable = client.reachable
        row.last_seen_at = client.last_seen_at

    def identities(self, client_id: int) -> Sequence[IdentityRecord]:
        rows = self._s.scalars(select(m.ChannelIdentity)
                               .where(m.ChannelIdentity.client_id == client_id))
        return [IdentityRecord(r.client_id, r.channel, r.external_id) for r in rows]

    def all(self) -> Sequence[ClientRecord]:
        return [_client(r) for r in self._s.scalars(select(m.Client).order_by(m.Client.id))]

    def lock(self, channel: str, external_id: str) -> None:
        if self._s.get_bind().dialect.name != "postgresql":
            return
        digest = hashlib.blake2b(f"{channel}:{external_id}".encode(), digest_size=8).digest()
        key = int.from_bytes(digest, "big", signed=True)
        self._s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


class SqlStates:
    def __init__(self, session: Session) -> None:
        self._s = session

    def load(self, client_id: int) -> StateRecord | None:
        row = self._s.get(m.ConversationState, client_id)
        return StateRecord(row.step, dict(row.data or {}), row.updated_at) if row else None

    def save(self, client_id: int, state: StateRecord) -> None:
        row = self._s.get(m.ConversationState, client_id)
        assert state.updated_at is not None
        if row is None:
            self._s.add(m.ConversationState(client_id=client_id, step=state.step,
                                            data=dict(state.data), updated_at=state.updated_at))
        else:
            row.step, row.data, row.updated_at = state.step, dict(state.data), state.updated_at


class SqlCases:
    def __init__(self, session: Session) -> None:
        self._s = session

    def add(self, case: CaseRecord) -> CaseRecord:
        row = m.Case(
            client_id=case.client_id, counselor_id=case.counselor_id, status=case.status.value,
            outcome=case.outcome.value if case.outcome else None, municipality=case.municipality,
            non_eu_nationality=case.non_eu_nationality, seeking=case.seeking,
            help_wanted=case.help_wanted, opened_at=case.opened_at, closed_at=case.closed_at,
        )
        self._s.add(row)
        self._s.flush()
        return _case(row)

    def current_for(self, client_id: int) -> CaseRecord | None:
        row = self._s.scalar(select(m.Case).where(m.Case.client_id == client_id)
                             .order_by(m.Case.id.desc()).limit(1))
        return _case(row) if row else None

    def get(self, case_id: int) -> CaseRecord | None:
        row = self._s.get(m.Case, case_id)
        return _case(row) if row else None

    def save(self, case: CaseRecord) -> None:
        row = self._s.get_one(m.Case, case.id)
        row.status, row.counselor_id = case.status.value, case.counselor_id
        row.outcome = case.outcome.value if case.outcome else None
        row.closed_at = case.closed_at
        self._s.flush()

    def recent(self, limit: int = 50) -> Sequence[CaseRecord]:
        rows = self._s.scalars(select(m.Case).order_by(m.Case.id.desc()).limit(limit))
        return [_case(r) for r in rows]


class SqlInteractions:
    def __init__(self, session: Session) -> None:
        self._s = session

    def add(self, interaction: InteractionRecord) -> None:
        i = interaction
        self._s.add(m.Interaction(
            client_id=i.client_id, case_id=i.case_id, direction=i.direction.value,
            author=i.author.value, counselor_id=i.counselor_id, channel=i.channel, kind=i.kind,
            text=i.text, payload=i.payload, language=i.language, intent=i.intent,
            confidence=i.confidence, created_at=i.created_at,
        ))

    def for_client(self, client_id: int, limit: int = 200) -> Sequence[InteractionRecord]:
        rows = list(self._s.scalars(
            select(m.Interaction).where(m.Interaction.client_id == client_id)
            .order_by(m.Interaction.id.desc()).limit(limit)
        ))
        return [
            InteractionRecord(
                id=r.id, client_id=r.client_id, case_id=r.case_id,
                direction=Direction(r.direction), author=Author(r.author), channel=r.channel,
                created_at=r.created_at, kind=r.kind, text=r.text, payload=r.payload,
                language=r.language, intent=r.intent, confidence=r.confidence,
                counselor_id=r.counselor_id,
            )
            for r in reversed(rows)
        ]


class SqlConsents:
    def __init__(self, session: Session) -> None:
        self._s = session

    def add(self, consent: ConsentRecord) -> None:
        c = consent
        self._s.add(m.ConsentEntry(client_id=c.client_id, purpose=c.purpose, version=c.version,
                                   granted=c.granted, language=c.language, text=c.text,
                                   created_at=c.created_at))

    def for_client(self, client_id: int) -> Sequence[ConsentRecord]:
        rows = self._s.scalars(select(m.ConsentEntry).where(m.ConsentEntry.client_id == client_id)
                               .order_by(m.ConsentEntry.id))
        return [ConsentRecord(r.client_id, r.purpose, r.version, r.granted, r.language, r.text,
                              r.created_at) for r in rows]


class SqlTasks:
    def __init__(self, session: Session) -> None:
        self._s = session

    def add(self, task: TaskRecord) -> TaskRecord:
        row = m.Task(client_id=task.client_id, case_id=task.case_id, kind=task.kind.value,
                     priority=task.priority.value, status=task.status.value,
                     summary=task.summary, created_at=task.created_at,
                     notified_at=task.notified_at)
        self._s.add(row)
        self._s.flush()
        return _task(row)

    def unnotified(self, limit: int = 100) -> Sequence[TaskRecord]:
        rows = self._s.scalars(select(m.Task).where(m.Task.notified_at.is_(None))
                               .order_by(m.Task.id).limit(limit))
        return [_task(r) for r in rows]

    def mark_notified(self, task_id: int, at: datetime) -> None:
        self._s.get_one(m.Task, task_id).notified_at = at

    def open(self, limit: int = 100) -> Sequence[TaskRecord]:
        rows = self._s.scalars(select(m.Task).where(m.Task.status == TaskStatus.OPEN.value)
                               .order_by(m.Task.id.desc()).limit(limit))
        return [_task(r) for r in rows]

    def done(self, task_id: int) -> TaskRecord | None:
        row = self._s.get(m.Task, task_id)
        if row is None:
            return None
        before = _task(row)
        row.status = TaskStatus.DONE.value
        self._s.flush()
        return before


def _escalation(row: m.Escalation) -> EscalationRecord:
    return EscalationRecord(
        id=row.id, client_id=row.client_id, case_id=row.case_id,
        reason=EscalationReason(row.reason), priority=TaskPriority(row.priority),
        language=row.language, summary=row.summary, created_at=row.created_at,
        status=EscalationStatus(row.status), claimed_by=row.claimed_by,
        claimed_at=row.claimed_at, resolved_at=row.resolved_at, reminders=row.reminders,
        reminded_at=row.reminded_at,
    )


ACTIVE = (EscalationStatus.OPEN.value, EscalationStatus.CLAIMED.value)


class SqlEscalations:
    def __init__(self, session: Session) -> None:
        self._s = session

    def add(self, escalation: EscalationRecord) -> EscalationRecord:
        e = escalation
        row = m.Escalation(client_id=e.client_id, case_id=e.case_id, reason=e.reason.value,
                           priority=e.priority.value, language=e.language, summary=e.summary,
                           status=e.status.value, claimed_by=e.claimed_by,
                           created_at=e.created_at, claimed_at=e.claimed_at,
                           resolved_at=e.resolved_at, reminders=e.reminders,
                           reminded_at=e.reminded_at)
        self._s.add(row)
        self._s.flush()
        return _escalation(row)

    def get(self, escalation_id: int) -> EscalationRecord | None:
        row = self._s.get(m.Escalation, escalation_id)
        return _escalation(row) if row else None

    def save(self, escalation: EscalationRecord) -> None:
        row = self._s.get_one(m.Escalation, escalation.id)
        row.status = escalation.status.value
        row.priority = escalation.priority.value
        row.summary = escalation.summary
        row.claimed_by = escalation.claimed_by
        row.claimed_at = escalation.claimed_at
        row.resolved_at = escalation.resolved_at
        row.reminders = escalation.reminders
        row.reminded_at = escalation.reminded_at

    def active_for(self, client_id: int) -> EscalationRecord | None:
        row = self._s.scalar(select(m.Escalation)
                             .where(m.Escalation.client_id == client_id,
                                    m.Escalation.status.in_(ACTIVE))
                             .order_by(m.Escalation.id.desc()).limit(1))
        return _escalation(row) if row else None

    def active(self, limit: int = 100) -> Sequence[EscalationRecord]:
        rows = self._s.scalars(select(m.Escalation).where(m.Escalation.status.in_(ACTIVE))
                               .order_by(m.Escalation.id).limit(limit))
        return [_escalation(r) for r in rows]


class SqlTopics:
    def __init__(self, session: Session) -> None:
        self._s = session

    def for_client(self, client_id: int) -> TopicRecord | None:
        row = self._s.get(m.CounselorTopic, client_id)
        return TopicRecord(row.client_id, row.chat_id, row.thread_id, row.created_at,
                           row.handled_update) if row else None

    def by_thread(self, chat_id: int, thread_id: int) -> TopicRecord | None:
        row = self._s.scalar(select(m.CounselorTopic).where(
            m.CounselorTopic.chat_id == chat_id, m.CounselorTopic.thread_id == thread_id))
        return TopicRecord(row.client_id, row.chat_id, row.thread_id, row.created_at,
                           row.handled_update) if row else None

    def save(self, topic: TopicRecord) -> None:
        row = self._s.get(m.CounselorTopic, topic.client_id)
        if row is None:
            self._s.add(m.CounselorTopic(client_id=topic.client_id, chat_id=topic.chat_id,
                                         thread_id=topic.thread_id,
                                         created_at=topic.created_at,
                                         handled_update=topic.handled_update))
        else:
            row.chat_id, row.thread_id, row.created_at, row.handled_update = (
                topic.chat_id, topic.thread_id, topic.created_at, topic.handled_update)
        self._s.flush()

    def forget(self, client_id: int) -> None:
        row = self._s.get(m.CounselorTopic, client_id)
        if row is not None:
            self._s.delete(row)
            self._s.flush()


class SqlWebOutbox:
    def __init__(self, session: Session) -> None:
        self._s = session

    def add(self, message: WebMessageRecord) -> WebMessageRecord:
        row = m.WebOutboxMessage(external_id=message.external_id, text=message.text,
                                 language=message.language, rtl=message.rtl,
                                 buttons=[[list(b) for b in row] for row in message.buttons],
                                 created_at=message.created_at)
        self._s.add(row)
        self._s.flush()
        return replace(message, id=row.id)

    def after(self, external_id: str, after_id: int, limit: int = 50
              ) -> Sequence[WebMessageRecord]:
        rows = self._s.scalars(select(m.WebOutboxMessage)
                               .where(m.WebOutboxMessage.external_id == external_id,
                                      m.WebOutboxMessage.id > after_id)
                               .order_by(m.WebOutboxMessage.id).limit(limit))
        return [WebMessageRecord(r.external_id, r.text, r.language, r.rtl, r.created_at, r.id,
                                 tuple(tuple((str(b[0]), str(b[1])) for b in row)
                                       for row in r.buttons or ()))
                for r in rows]

    def latest_id(self, external_id: str) -> int:
        value = self._s.scalar(select(func.max(m.WebOutboxMessage.id))
                               .where(m.WebOutboxMessage.external_id == external_id))
        return int(value or 0)


class SqlAudit:
    def __init__(self, session: Session) -> None:
        self._s = session

    def add(self, entry: AuditRecord) -> None:
        self._s.add(m.AuditEntry(actor=entry.actor, action=entry.action, subject=entry.subject,
                                 details=dict(entry.details), created_at=entry.created_at))

    def recent(self, limit: int = 100) -> Sequence[AuditRecord]:
        rows = self._s.scalars(select(m.AuditEntry).order_by(m.AuditEntry.id.desc()).limit(limit))
        return [AuditRecord(r.actor, r.action, r.subject, r.created_at, dict(r.details))
                for r in rows]


class SqlCounselors:
    def __init__(self, session: Session) -> None:
        self._s = session

    def add(self, counselor: CounselorRecord) -> CounselorRecord:
        row = m.Counselor(created_at=counselor.created_at)
        self._copy(counselor, row)
        self._s.add(row)
        self._s.flush()
        return _counselor(row)

    def get(self, counselor_id: int) -> CounselorRecord | None:
        row = self._s.get(m.Counselor, counselor_id)
        return _counselor(row) if row else None

    def by_telegram_id(self, telegram_user_id: int) -> CounselorRecord | None:
        row = self._s.scalar(select(m.Counselor)
                             .where(m.Counselor.telegram_user_id == telegram_user_id))
        return _counselor(row) if row else None

    def by_login(self, login: str) -> CounselorRecord | None:
        row = self._s.scalar(select(m.Counselor)
                             .where(m.Counselor.login == login.strip().lower()))
        return _counselor(row) if row else None

    def save(self, counselor: CounselorRecord) -> None:
        self._copy(counselor, self._s.get_one(m.Counselor, counselor.id))
        self._s.flush()

    @staticmethod
    def _copy(c: CounselorRecord, row: m.Counselor) -> None:
        row.name, row.telegram_user_id, row.languages = c.name, c.telegram_user_id, \
            ",".join(c.languages)
        row.role, row.active = c.role.value, c.active
        row.login, row.password_hash = c.login, c.password_hash

    def all(self) -> Sequence[CounselorRecord]:
        rows = self._s.scalars(select(m.Counselor).order_by(m.Counselor.id))
        return [_counselor(r) for r in rows]


class SqlStaffSessions:
    def __init__(self, session: Session) -> None:
        self._s = session

    def add(self, session: StaffSessionRecord) -> None:
        self._s.add(m.StaffSession(**_session_fields(session)))
        self._s.flush()

    def get(self, token_hash: str) -> StaffSessionRecord | None:
        row = self._s.get(m.StaffSession, token_hash)
        if row is None:
            return None
        return StaffSessionRecord(row.token_hash, row.counselor_id, row.csrf_token,
                                  row.created_at, row.last_seen_at, row.expires_at)

    def save(self, session: StaffSessionRecord) -> None:
        row = self._s.get_one(m.StaffSession, session.token_hash)
        for name, value in _session_fields(session).items():
            setattr(row, name, value)
        self._s.flush()

    def delete(self, token_hash: str) -> None:
        self._s.execute(delete(m.StaffSession).where(m.StaffSession.token_hash == token_hash))

    def delete_expired(self, now: datetime) -> int:
        result = self._s.execute(delete(m.StaffSession).where(m.StaffSession.expires_at <= now))
        return int(getattr(result, "rowcount", 0) or 0)


def _session_fields(s: StaffSessionRecord) -> dict[str, object]:
    return {"token_hash": s.token_hash, "counselor_id": s.counselor_id,
            "csrf_token": s.csrf_token, "created_at": s.created_at,
            "last_seen_at": s.last_seen_at, "expires_at": s.expires_at}


class SqlUnitOfWork:
    """One session, one transaction; rolled back on leaving unless committed."""

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

    def __init__(self, sessions: sessionmaker[Session],
                 serial: threading.RLock | None = None) -> None:
        self._serial = serial
        self._sessions = sessions

    def __enter__(self) -> Self:
        if self._serial is not None:
            self._serial.acquire()
        try:
            self._session = self._sessions()
        except BaseException:
            if self._serial is not None:
                self._serial.release()
            raise
        s = self._session
        self.clients = SqlClients(s)
        self.states = SqlStates(s)
        self.cases = SqlCases(s)
        self.interactions = SqlInteractions(s)
        self.consents = SqlConsents(s)
        self.tasks = SqlTasks(s)
        self.escalations = SqlEscalations(s)
        self.topics = SqlTopics(s)
        self.web_outbox = SqlWebOutbox(s)
        self.audit = SqlAudit(s)
        self.counselors = SqlCounselors(s)
        self.staff_sessions = SqlStaffSessions(s)
        self.appointments = SqlAppointments(s)
        self.schedule = SqlSchedule(s)
        self.jobs = SqlJobs(s)
        self.checkins = SqlCheckins(s)
        self.rights_checks = SqlRightsChecks(s)
        self.privacy = SqlPrivacy(s)
        return self

    def commit(self) -> None:
        self._session.commit()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            self._session.rollback()
        finally:
            self._session.close()
            if self._serial is not None:
                self._serial.release()
        if isinstance(exc, DBAPIError) and (isinstance(exc, OperationalError)
                                            or exc.connection_invalidated):
            raise StoreUnavailable("the case store cannot be reached now") from exc
