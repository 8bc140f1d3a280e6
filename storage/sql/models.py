"""SQLAlchemy tables of the case store. Alembic migrations under storage/migrations follow these.

Message texts and free-text personal fields are `EncryptedText`, the conversation state
`EncryptedJSON` (docs/encryption.md): never compare or search them in SQL.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from storage.sql.encryption import EncryptedJSON, EncryptedText

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite (which keeps no zone) too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the case store")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON}


class Client(Base):
    __tablename__ = "clients"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    first_name: Mapped[str] = mapped_column(EncryptedText, default="")
    contact: Mapped[str] = mapped_column(EncryptedText, default="")
    language: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(20))
    consent: Mapped[str] = mapped_column(String(20))
    reachable: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]


class ChannelIdentity(Base):
    """How a client is reached on a channel: a Telegram chat id, a web chat token."""

    __tablename__ = "channel_identities"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"),
                                           index=True)
    channel: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]


class ConversationState(Base):
    __tablename__ = "conversation_states"
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"),
                                           primary_key=True)
    step: Mapped[str] = mapped_column(String(60))
    data: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON, default=dict)  # intake answers
    updated_at: Mapped[datetime]


class Counselor(Base):
    __tablename__ = "counselors"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    languages: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    login: Mapped[str | None] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200), default="", server_default="")
    created_at: Mapped[datetime]


class StaffSession(Base):
    """A dashboard login; the cookie holds the token, this table only its SHA-256."""

    __tablename__ = "staff_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    counselor_id: Mapped[int] = mapped_column(ForeignKey("counselors.id", ondelete="CASCADE"),
                                              index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)


class Case(Base):
    """A trajectory: from registration to an outcome."""

    __tablename__ = "cases"
    __table_args__ = (Index("ix_cases_counselor_status", "counselor_id", "status"),
                      Index("ix_cases_opened_at_id", "opened_at", "id"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"),
                                           index=True)
    counselor_id: Mapped[int | None] = mapped_column(ForeignKey("counselors.id"))
    status: Mapped[str] = mapped_column(String(20), index=True)
    outcome: Mapped[str | None] = mapped_column(String(40))
    municipality: Mapped[str] = mapped_column(String(100), default="")
    non_eu_nationality: Mapped[str] = mapped_column(String(20), default="")
    seeking: Mapped[str] = mapped_column(String(20), default="")
    help_wanted: Mapped[str] = mapped_column(String(40), default="")
    opened_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]


class Interaction(Base):
    """Every message, both ways, with what the NLU made of it."""

    __tablename__ = "interactions"
    __table_args__ = (Index("ix_interactions_client_created", "client_id", "created_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"))
    direction: Mapped[str] = mapped_column(String(4))
    author: Mapped[str] = mapped_column(String(12))
    counselor_id: Mapped[int | None] = mapped_column(ForeignKey("counselors.id"))
    channel: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(EncryptedText, default="")
    payload: Mapped[str] = mapped_column(String(200), default="")
    language: Mapped[str] = mapped_column(String(8), default="")
    intent: Mapped[str] = mapped_column(String(40), default="")
    confidence: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime]


class ConsentEntry(Base):
    __tablename__ = "consent_records"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"),
                                           index=True)
    purpose: Mapped[str] = mapped_column(String(40))
    version: Mapped[str] = mapped_column(String(20))
    granted: Mapped[bool] = mapped_column(Boolean)
    language: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(EncryptedText)
    created_at: Mapped[datetime]


class Task(Base):
    __tablename__ = "tasks"
    __table_args__ = (Index("ix_tasks_status_priority", "status", "priority"),
                      Index("ix_tasks_client_status", "client_id", "status"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(40))
    priority: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10))
    summary: Mapped[str] = mapped_column(EncryptedText)
    created_at: Mapped[datetime]
    notified_at: Mapped[datetime | None] = mapped_column(index=True)


class Escalation(Base):
    """A client handed to a person. At most one is active (open or claimed) per client."""

    __tablename__ = "escalations"
    __table_args__ = (Index("ix_escalations_client_status", "client_id", "status"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(String(30))
    priority: Mapped[str] = mapped_column(String(10))
    language: Mapped[str] = mapped_column(String(8))
    summary: Mapped[str] = mapped_column(EncryptedText)
    status: Mapped[str] = mapped_column(String(10), index=True)
    claimed_by: Mapped[int | None] = mapped_column(ForeignKey("counselors.id"))
    created_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    reminders: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    reminded_at: Mapped[datetime | None]


class CounselorTopic(Base):
    __tablename__ = "counselor_topics"
    __table_args__ = (UniqueConstraint("chat_id", "thread_id"),)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"),
                                           primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    thread_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime]
    handled_update: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class WebOutboxMessage(Base):
    __tablename__ = "web_outbox"
    __table_args__ = (Index("ix_web_outbox_external_id", "external_id", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(128))
    text: Mapped[str] = mapped_column(EncryptedText)
    language: Mapped[str] = mapped_column(String(8))
    rtl: Mapped[bool] = mapped_column(Boolean, default=False)
    buttons: Mapped[list[Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime]


class AuditEntry(Base):
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(60))
    subject: Mapped[str] = mapped_column(String(100))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(index=True)


class Appointment(Base):
    __tablename__ = "appointments"
    __table_args__ = (Index("ix_appointments_client_starts", "client_id", "starts_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    counselor_id: Mapped[int | None] = mapped_column(ForeignKey("counselors.id"))
    starts_at: Mapped[datetime] = mapped_column(index=True)
    duration_minutes: Mapped[int] = mapped_column(Integer, default=60)
    kind: Mapped[str] = mapped_column(String(20))
    mode: Mapped[str] = mapped_column(String(10))
    location: Mapped[str] = mapped_column(EncryptedText, default="")
    with_whom: Mapped[str] = mapped_column(EncryptedText, default="")
    status: Mapped[str] = mapped_column(String(25), index=True)
    proposed_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    client_answer: Mapped[str | None] = mapped_column(String(25))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=1)


class ScheduledMessage(Base):
    """Durable scheduled work; the partial index keeps the dispatcher's due-scan small."""

    __tablename__ = "scheduled_messages"
    __table_args__ = (
        Index("ix_scheduled_messages_due", "status", "due_at"),
        Index("ix_scheduled_messages_appointment", "appointment_id"),
        Index("ix_scheduled_messages_client", "client_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    appointment_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointments.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    due_at: Mapped[datetime]
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(10))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str] = mapped_column(String(100), default="")
    lease_until: Mapped[datetime | None]
    done_at: Mapped[datetime | None]
    error: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime]


class SendSlot(Base):
    """Shared send pacing: for each limit (all of Telegram, one chat) the next free moment.

    Seconds since the epoch as a float, so one atomic UPDATE can reserve a slot.
    """

    __tablename__ = "send_slots"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    next_at: Mapped[float] = mapped_column(Float)


class Job(Base):
    __tablename__ = "jobs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"),
                                           index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    started_on: Mapped[date] = mapped_column(Date)
    contract: Mapped[str] = mapped_column(String(20))
    employer: Mapped[str] = mapped_column(EncryptedText, default="")
    created_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str] = mapped_column(String(40), default="")
    paused: Mapped[bool] = mapped_column(Boolean, default=False)


class Checkin(Base):
    __tablename__ = "checkins"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    sent_at: Mapped[datetime]
    answer: Mapped[str | None] = mapped_column(String(20))
    problem: Mapped[str] = mapped_column(String(40), default="")
    note: Mapped[str] = mapped_column(EncryptedText, default="")
    answered_at: Mapped[datetime | None]


class RightsCheck(Base):
    __tablename__ = "rights_checks"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"),
                                           index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    results: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime]


class ReportSnapshot(Base):
    """Report figures computed in one go, so the reports page reads one row, not the history."""

    __tablename__ = "report_snapshots"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(index=True)
    figures: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
