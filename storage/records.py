"""Plain records the repositories take and give: no ORM objects leave the storage package."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any


class ConsentState(StrEnum):
    UNKNOWN = "unknown"
    GRANTED = "granted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


class ClientStatus(StrEnum):
    CONTACT = "contact"  # talking to the bot, not registered (yet)
    REGISTERED = "registered"  # has a case
    INFO_ONLY = "info_only"  # declined consent or not eligible: nothing personal kept
    ERASED = "erased"  # asked for their data to be erased: only an anonymous record is left


class CaseStatus(StrEnum):
    NEW = "new"
    ACTIVE = "active"
    NAZORG = "nazorg"
    CLOSED = "closed"


class CaseOutcome(StrEnum):
    LASTING_JOB = "lasting_job"
    TRAINING = "training"
    INDEPENDENT = "independent"
    STOPPED_PRACTICAL = "stopped_practical"
    STOPPED_BY_CLIENT = "stopped_by_client"


class ContractType(StrEnum):
    PERMANENT = "permanent"
    FIXED_TERM = "fixed_term"
    INTERIM = "interim"
    DAY_CONTRACT = "day_contract"
    ARTICLE_60 = "article_60"
    TRAINING = "training"


class CheckinAnswer(StrEnum):
    GOOD = "good"
    SO_SO = "so_so"
    PROBLEM = "problem"
    JOB_LOST = "job_lost"


class Direction(StrEnum):
    IN = "in"
    OUT = "out"


class Author(StrEnum):
    CLIENT = "client"
    BOT = "bot"
    COUNSELOR = "counselor"


class TaskKind(StrEnum):
    NEW_CASE = "new_case"
    CONTACT_REQUEST = "contact_request"
    CLIENT_QUESTION = "client_question"
    CRISIS = "crisis"
    MEDIA_RECEIVED = "media_received"
    CLIENT_UNREACHABLE = "client_unreachable"  # blocked the bot: call them
    APPOINTMENT_ANSWER = "appointment_answer"  # the client confirmed, cancelled or asked to move
    APPOINTMENT_NO_ANSWER = "appointment_no_answer"  # no answer to the reminders by the time
    APPOINTMENT_OUTCOME = "appointment_outcome"  # it is over: mark attended or no-show
    MESSAGE_UNDELIVERED = "message_undelivered"  # a scheduled message could not be delivered
    JOB_STARTED = "job_started"
    RIGHTS_CHECK = "rights_check"  # the client took the guided rights check: follow it up
    NAZORG_SILENCE = "nazorg_silence"  # no answer to two check-ins in a row
    CLIENT_ERASED = "client_erased"  # the client erased their data (the task names no one)
    CONSENT_WITHDRAWN = "consent_withdrawn"  # messages are no longer kept: talk to the client


class TaskPriority(StrEnum):
    URGENT = "urgent"
    NORMAL = "normal"


class TaskStatus(StrEnum):
    OPEN = "open"
    DONE = "done"


class EscalationReason(StrEnum):
    ASKED_FOR_PERSON = "asked_for_person"
    UNCLEAR = "unclear"  # the NLU was unsure twice in a row
    SENSITIVE = "sensitive"  # paperwork, complex rights questions, trouble at work
    CRISIS = "crisis"
    NOT_ELIGIBLE = "not_eligible"  # not for the programme, but wants help
    FLOW_EVENT = "flow_event"  # raised by another flow (a cancelled appointment, after-care)


class EscalationStatus(StrEnum):
    OPEN = "open"
    CLAIMED = "claimed"
    RESOLVED = "resolved"


class AppointmentKind(StrEnum):
    INTAKE = "intake"
    FOLLOW_UP = "follow_up"
    TRAINING = "training"
    JOB_INTERVIEW = "job_interview"
    OTHER = "other"


class AppointmentMode(StrEnum):
    IN_PERSON = "in_person"
    PHONE = "phone"
    VIDEO = "video"


class AppointmentStatus(StrEnum):
    PLANNED = "planned"
    CONFIRMED = "confirmed"
    CANCEL_REQUESTED = "cancel_requested"
    RESCHEDULE_REQUESTED = "reschedule_requested"  # the client asked for another time
    CANCELLED = "cancelled"
    ATTENDED = "attended"
    NO_SHOW = "no_show"

    @property
    def upcoming(self) -> bool:
        """Still going to happen as far as the store knows: reminders apply."""
        return self in (AppointmentStatus.PLANNED, AppointmentStatus.CONFIRMED,
                        AppointmentStatus.CANCEL_REQUESTED,
                        AppointmentStatus.RESCHEDULE_REQUESTED)


class ScheduledKind(StrEnum):
    APPOINTMENT_NOTICE = "appointment_notice"  # planned or moved: the details, at once
    APPOINTMENT_CANCELLED = "appointment_cancelled"  # the counselor cancelled it
    APPOINTMENT_REMINDER = "appointment_reminder"
    APPOINTMENT_START = "appointment_start"  # no answer by now? the counselor hears
    APPOINTMENT_END = "appointment_end"  # over: the counselor marks attended or no-show
    NAZORG_CHECKIN = "nazorg_checkin"  # "how is work going?"
    NAZORG_SILENCE = "nazorg_silence"  # two check-ins unanswered? the counselor hears


class ScheduledStatus(StrEnum):
    PENDING = "pending"
    CLAIMED = "claimed"  # a dispatcher holds it until `lease_until`
    SENT = "sent"
    CANCELLED = "cancelled"  # its reason went away (moved, cancelled) before it was due
    SKIPPED = "skipped"  # due, but no longer right to send (blocked bot, appointment gone)
    FAILED = "failed"  # gave up after retries; a counselor was told


class CounselorRole(StrEnum):
    COUNSELOR = "counselor"
    COORDINATOR = "coordinator"
    ADMIN = "admin"


@dataclass(slots=True)
class ClientRecord:
    id: int
    language: str
    created_at: datetime
    last_seen_at: datetime
    first_name: str = ""
    contact: str = ""
    status: ClientStatus = ClientStatus.CONTACT
    consent: ConsentState = ConsentState.UNKNOWN
    reachable: bool = True


@dataclass(frozen=True, slots=True)
class IdentityRecord:
    client_id: int
    channel: str
    external_id: str


@dataclass(slots=True)
class StateRecord:
    """A conversation's place, as stored: the dialogue layer owns its meaning."""

    step: str
    data: dict[str, Any] = field(default_factory=dict)
    updated_at: datetime | None = None


@dataclass(slots=True)
class CaseRecord:
    client_id: int
    opened_at: datetime
    id: int = 0
    status: CaseStatus = CaseStatus.NEW
    municipality: str = ""
    non_eu_nationality: str = ""
    seeking: str = ""
    help_wanted: str = ""
    counselor_id: int | None = None
    outcome: CaseOutcome | None = None
    closed_at: datetime | None = None

    @property
    def reference(self) -> str:
        """The case number counselors and clients quote."""
        return f"WM-{self.id:05d}"


@dataclass(frozen=True, slots=True)
class InteractionRecord:
    client_id: int
    direction: Direction
    author: Author
    channel: str
    created_at: datetime
    kind: str = "text"
    text: str = ""
    payload: str = ""
    language: str = ""
    intent: str = ""
    confidence: float | None = None
    case_id: int | None = None
    counselor_id: int | None = None
    id: int = 0


@dataclass(frozen=True, slots=True)
class ConsentRecord:
    """What a client agreed to or declined: the text and its version as shown to them."""

    client_id: int
    purpose: str
    version: str
    granted: bool
    language: str
    text: str
    created_at: datetime


@dataclass(slots=True)
class TaskRecord:
    """Work for a counselor: a new case, a request to talk, a question the bot cannot answer."""

    kind: TaskKind
    summary: str
    created_at: datetime
    client_id: int | None = None
    case_id: int | None = None
    priority: TaskPriority = TaskPriority.NORMAL
    status: TaskStatus = TaskStatus.OPEN
    notified_at: datetime | None = None
    id: int = 0


@dataclass(slots=True)
class EscalationRecord:
    """A client handed to a person: why, how urgent, what was said, who has it, when."""

    client_id: int
    reason: EscalationReason
    priority: TaskPriority
    language: str
    summary: str
    created_at: datetime
    case_id: int | None = None
    status: EscalationStatus = EscalationStatus.OPEN
    claimed_by: int | None = None
    claimed_at: datetime | None = None
    resolved_at: datetime | None = None
    reminders: int = 0  # times announced again because nobody claimed it
    reminded_at: datetime | None = None
    id: int = 0


@dataclass(frozen=True, slots=True)
class TopicRecord:
    """The client's own topic in the counselors' forum group, reused for every escalation."""

    client_id: int
    chat_id: int
    thread_id: int
    created_at: datetime
    # The last Telegram update handled in this topic: one delivered again after a crash (the
    # update ids of a chat rise) is not relayed or carried out twice.
    handled_update: int = 0


@dataclass(frozen=True, slots=True)
class WebMessageRecord:
    """A message waiting for a web chat client who is not asking right now (a counselor's)."""

    external_id: str
    text: str
    language: str
    rtl: bool
    created_at: datetime
    id: int = 0
    buttons: tuple[tuple[tuple[str, str], ...], ...] = ()  # rows of (label, payload)


@dataclass(frozen=True, slots=True)
class AuditRecord:
    actor: str
    action: str
    subject: str
    created_at: datetime
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class CounselorRecord:
    name: str
    role: CounselorRole
    created_at: datetime
    telegram_user_id: int | None = None
    languages: tuple[str, ...] = ()
    active: bool = True
    login: str | None = None  # for the dashboard; None: Telegram only
    password_hash: str = ""  # argon2, never the password itself
    id: int = 0

    @property
    def sees_everything(self) -> bool:
        """Coordinators and admins see every case; counselors their own and the team's open work."""
        return self.role in (CounselorRole.COORDINATOR, CounselorRole.ADMIN)


@dataclass(slots=True)
class StaffSessionRecord:
    """A counselor logged in to the dashboard. Only a hash of the cookie's token is stored."""

    token_hash: str
    counselor_id: int
    csrf_token: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime


@dataclass(slots=True)
class AppointmentRecord:
    """A meeting with a client: when and where, with whom, what for, and how it stands.

    `version` goes up every time the appointment moves, so reminders planned for an older
    time are recognised as stale even if one slipped through a cancel.
    """

    client_id: int
    starts_at: datetime
    created_at: datetime
    kind: AppointmentKind = AppointmentKind.FOLLOW_UP
    mode: AppointmentMode = AppointmentMode.IN_PERSON
    location: str = ""
    with_whom: str = ""
    duration_minutes: int = 60
    status: AppointmentStatus = AppointmentStatus.PLANNED
    case_id: int | None = None
    counselor_id: int | None = None
    proposed_at: datetime | None = None  # another time the client asked for
    answered_at: datetime | None = None
    # what the client last answered (confirmed, cancel or reschedule requested); kept when the
    # status moves on to attended or no-show, for the reports
    client_answer: AppointmentStatus | None = None
    updated_at: datetime | None = None
    version: int = 1
    id: int = 0


@dataclass(slots=True)
class ScheduledMessageRecord:
    """Something to do at a set time, durably: the table is the truth, a clock only wakes it.

    `key` is unique (an idempotency key): scheduling the same thing twice keeps one row.
    A dispatcher claims due rows with a lease (`lease_owner`, `lease_until`); a crashed
    dispatcher's lease runs out and another takes the row over.
    """

    key: str
    client_id: int
    kind: ScheduledKind
    due_at: datetime
    created_at: datetime
    appointment_id: int | None = None
    details: dict[str, Any] = field(default_factory=dict)
    status: ScheduledStatus = ScheduledStatus.PENDING
    attempts: int = 0
    lease_owner: str = ""
    lease_until: datetime | None = None
    done_at: datetime | None = None
    error: str = ""
    id: int = 0


@dataclass(slots=True)
class JobRecord:
    """A job or training a client started: what after-care (nazorg) follows up on."""

    client_id: int
    started_on: date
    contract: ContractType
    created_at: datetime
    employer: str = ""
    case_id: int | None = None
    ended_at: datetime | None = None
    end_reason: str = ""
    paused: bool = False  # no automatic check-ins until a counselor resumes them
    id: int = 0

    @property
    def active(self) -> bool:
        return self.ended_at is None


@dataclass(slots=True)
class CheckinRecord:
    """One "how is work going?" sent, and what the client answered."""

    job_id: int
    client_id: int
    number: int
    sent_at: datetime
    answer: CheckinAnswer | None = None
    problem: str = ""  # what kind of trouble, when the answer is a problem
    note: str = ""
    answered_at: datetime | None = None
    id: int = 0


@dataclass(frozen=True, slots=True)
class RightsCheckRecord:
    """A guided rights check: the client's answers and the rights that may apply."""

    client_id: int
    answers: dict[str, str]
    results: tuple[str, ...]  # content entry ids, in the order shown
    created_at: datetime
    case_id: int | None = None
    id: int = 0
