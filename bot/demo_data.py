"""`werkmaat demo-data`: a case store full of invented clients, for demos and load tests.

Every client is one consistent story: a first chat and consent, a case with a counselor who
speaks the language where one does, messages both ways over the case's life, appointments,
escalations, after-care check-ins and a rights check. Nothing reaches a real person: contacts
say "demo" and use the reserved example.org domain or a number no phone can have, and Telegram
chat ids lie beyond Telegram's range.

Rows are made per batch of clients and written in bulk (COPY on PostgreSQL), so 100,000
clients with 5,000,000 messages fit in memory and take minutes.
"""

from __future__ import annotations

import random
import secrets
import time
import unicodedata
from bisect import bisect
from collections.abc import Callable, Mapping
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from itertools import accumulate
from math import ceil
from typing import Generic, TypeVar

from argon2 import PasswordHasher
from sqlalchemy import Connection, func, select

from bot.demo_phrases import COUNSELOR_NAMES, EMPLOYERS, PHRASEBOOKS, DemoName, Phrasebook
from bot.demo_store import (
    TABLE_NAMES,
    AppointmentRow,
    BackgroundWriter,
    Batch,
    CaseRow,
    CheckinRow,
    ClientRow,
    ConsentRow,
    CounselorRow,
    EscalationRow,
    IdAllocator,
    IdentityRow,
    InteractionRow,
    JobRow,
    RightsCheckRow,
    TableRows,
    TaskRow,
    analyze,
    foreign_keys_checked_once,
    reset_sequences,
    table_rows,
    writer_for,
)
from dialogues.flows.first_contact import CONSENT_PURPOSE, HELP_CHOICES, consent_text
from dialogues.flows.rights import card
from dialogues.i18n import Translator
from dialogues.languages import LANGUAGES
from dialogues.nazorg import DEFAULT_SCHEDULE
from dialogues.rights_check import (
    CHILDREN,
    HOUSEHOLD,
    HOUSING,
    INCOME,
    YES_NO,
    RightsAnswers,
    possible_rights,
)
from dialogues.rights_content import rights_book
from dialogues.settings import DEFAULT_MUNICIPALITIES, DialogueSettings
from storage.records import (
    AppointmentKind,
    AppointmentMode,
    AppointmentStatus,
    Author,
    CaseOutcome,
    CaseStatus,
    CheckinAnswer,
    ClientStatus,
    ConsentState,
    ContractType,
    CounselorRole,
    Direction,
    EscalationReason,
    EscalationStatus,
    TaskKind,
    TaskPriority,
    TaskStatus,
)
from storage.sql import Database
from storage.sql import models as m

T = TypeVar("T")

DEMO_TELEGRAM_BASE = 9_000_000_000_000_000_000  # real Telegram chat ids stay below 2**52
BATCH_CLIENTS = 1_000  # clients made and written together: bounds memory at any size
HISTORY = timedelta(days=6 * 365)
SECOND, MINUTE = timedelta(seconds=1), timedelta(minutes=1)
HOUR, DAY = timedelta(hours=1), timedelta(days=1)
CASES_PER_COUNSELOR = 40  # open cases per counselor
OPEN_SHARE = 200 / 636  # of the trajectories started, this many are still running
COUNSELOR_SHARE = 0.15  # of a conversation's messages, in exchanges a counselor starts
RECENT = timedelta(days=5)  # tasks younger than this in an open case are still open
RESPONSE_DAYS = 3  # the promise in the bot's "a counselor contacts you within … days"
# enum values read millions of times: plain strings (an enum's .value is a slow property)
IN, OUT = Direction.IN.value, Direction.OUT.value
CLIENT, BOT, COUNSELOR = Author.CLIENT.value, Author.BOT.value, Author.COUNSELOR.value
URGENT, NORMAL = TaskPriority.URGENT.value, TaskPriority.NORMAL.value
OPEN_TASK, DONE_TASK = TaskStatus.OPEN.value, TaskStatus.DONE.value


class Weighted(Generic[T]):
    """Choosing among a few things with fixed weights, fast (called millions of times)."""

    def __init__(self, weights: Mapping[T, float]) -> None:
        self._items = list(weights)
        self._cumulative = list(accumulate(weights.values()))
        self._total = self._cumulative[-1]

    def pick(self, rng: random.Random) -> T:
        return self._items[bisect(self._cumulative, rng.random() * self._total)]


# how the programme's clients and cases are spread (ended trajectories: 59% lasting work,
# 11% training, the rest independent or stopped)
LANGUAGE_MIX = Weighted({"ar": 16, "uk": 12, "fa": 10, "ps": 8, "ti": 7, "so": 6, "ru": 6,
                         "tr": 6, "en": 6, "fr": 5, "nl": 5, "ro": 3, "bg": 3, "es": 3,
                         "pl": 2, "sk": 2})
STATUS_MIX = Weighted({CaseStatus.NEW: 3.0, CaseStatus.ACTIVE: 22.5, CaseStatus.NAZORG: 6.0,
                       CaseStatus.CLOSED: 68.5})
OUTCOME_MIX = Weighted({CaseOutcome.LASTING_JOB: 59, CaseOutcome.TRAINING: 11,
                        CaseOutcome.INDEPENDENT: 12, CaseOutcome.STOPPED_PRACTICAL: 10,
                        CaseOutcome.STOPPED_BY_CLIENT: 8})
STATUSES, OUTCOMES = tuple(CaseStatus) * 2, tuple(CaseOutcome)
MUNICIPALITY_MIX = Weighted({name: (40 if name == "Kortrijk" else 60 / 8)
                             for name in DEFAULT_MUNICIPALITIES})
HELP_MIX = Weighted({"work": 55, "training": 15, "dutch": 15, "paperwork": 10, "other": 5})
CONTRACT_MIX = Weighted({ContractType.PERMANENT: 20, ContractType.FIXED_TERM: 25,
                         ContractType.INTERIM: 30, ContractType.ARTICLE_60: 15,
                         ContractType.DAY_CONTRACT: 10})
QUESTION_MIX = Weighted({"greet": 10, "appointment_query": 12, "appointment_cancel": 6,
                         "appointment_confirm": 10, "rights_income": 6, "rights_childcare": 5,
                         "seek_work": 10, "document_help": 8, "thanks": 15, "learn_dutch": 6})
AT_WORK_QUESTION_MIX = Weighted({"greet": 10, "appointment_query": 6, "thanks": 15,
                                 "job_going_well": 20, "document_help": 6,
                                 "rights_childcare": 4, "appointment_confirm": 5})
PASSED_ON = {"appointment_query", "seek_work", "document_help", "learn_dutch"}
PAST_APPOINTMENT_MIX = Weighted({AppointmentStatus.ATTENDED: 75, AppointmentStatus.NO_SHOW: 11,
                                 AppointmentStatus.CANCELLED: 14})
ANSWER_BEFORE: Mapping[AppointmentStatus, Weighted[AppointmentStatus | None]] = {
    AppointmentStatus.ATTENDED: Weighted({AppointmentStatus.CONFIRMED: 65, None: 35}),
    AppointmentStatus.NO_SHOW: Weighted({AppointmentStatus.CONFIRMED: 40, None: 60}),
    AppointmentStatus.CANCELLED: Weighted({AppointmentStatus.CANCEL_REQUESTED: 60,
                                           AppointmentStatus.RESCHEDULE_REQUESTED: 25,
                                           None: 15}),
}
APPOINTMENT_KIND_MIX = Weighted({AppointmentKind.FOLLOW_UP: 70, AppointmentKind.TRAINING: 10,
                                 AppointmentKind.JOB_INTERVIEW: 12, AppointmentKind.OTHER: 8})
MODE_MIX = Weighted({AppointmentMode.IN_PERSON: 70, AppointmentMode.PHONE: 20,
                     AppointmentMode.VIDEO: 10})
CHECKIN_MIX = Weighted({CheckinAnswer.GOOD: 72, CheckinAnswer.SO_SO: 14,
                        CheckinAnswer.PROBLEM: 9, None: 5})
# when people write (UTC; Belgium is an hour or two ahead): clients by day and evening,
# counselors in office hours
CLIENT_HOURS = Weighted({6: 2, 7: 4, 8: 6, 9: 7, 10: 7, 11: 7, 12: 6, 13: 6, 14: 6, 15: 6,
                         16: 6, 17: 6, 18: 7, 19: 7, 20: 5, 21: 3, 22: 1, 23: 1, 0: 1})
OFFICE_HOURS = Weighted({7: 3, 8: 5, 9: 5, 10: 5, 11: 3, 12: 5, 13: 5, 14: 4, 15: 2})
PROBLEMS = ("pay", "hours", "people", "language", "transport", "childcare", "health")
RESOLVED_REASON_MIX = Weighted({EscalationReason.ASKED_FOR_PERSON: 45,
                                EscalationReason.SENSITIVE: 22, EscalationReason.UNCLEAR: 13,
                                EscalationReason.CRISIS: 5, EscalationReason.FLOW_EVENT: 12,
                                EscalationReason.NOT_ELIGIBLE: 3})
ACTIVE_REASON_MIX = Weighted({EscalationReason.ASKED_FOR_PERSON: 45,
                              EscalationReason.SENSITIVE: 20, EscalationReason.UNCLEAR: 10,
                              EscalationReason.CRISIS: 12, EscalationReason.FLOW_EVENT: 13})
# what the client wrote that brought a person in
REASON_INTENT = {
    EscalationReason.ASKED_FOR_PERSON: "ask_human", EscalationReason.SENSITIVE: "document_help",
    EscalationReason.UNCLEAR: "out_of_scope", EscalationReason.CRISIS: "urgent_help",
    EscalationReason.FLOW_EVENT: "appointment_cancel",
    EscalationReason.NOT_ELIGIBLE: "seek_work",
}
# the staff note each escalation starts with, as the bot writes it (staff language: Dutch)
REASON_NOTE = {
    EscalationReason.ASKED_FOR_PERSON: "Een cliënt vraagt om met een persoon te praten.",
    EscalationReason.SENSITIVE: "Gevoelige vraag (onderwerp: document_help).",
    EscalationReason.UNCLEAR: "De bot begreep de cliënt twee keer niet.",
    EscalationReason.CRISIS: "DRINGEND: een cliënt schreef iets dat op een crisis wijst. "
                             "Neem zo snel mogelijk contact op.",
    EscalationReason.FLOW_EVENT: "{name} kan niet komen naar de afspraak en vraagt een ander "
                                 "moment.",
    EscalationReason.NOT_ELIGIBLE: "Een cliënt vraagt om met een persoon te praten.",
}

# the bot's replies, as msgids of the real catalogs (so every language is the bot's own)
PASS_ON = ("Die vraag geef ik door aan je begeleider. "
           "Je begeleider antwoordt zo snel mogelijk.")
BOT_MSGIDS = {
    "appointment_query": PASS_ON, "seek_work": PASS_ON, "document_help": PASS_ON,
    "learn_dutch": PASS_ON,
    "appointment_cancel": "Dank je om het te laten weten. Ik zeg het aan je begeleider. "
                          "Wil je een ander moment voorstellen?",
    "thanks": "Graag gedaan! 🙂",
    "job_going_well": "Fijn om te horen! Veel succes op je werk. 💪",
    "urgent_help": "Je bent niet alleen. Hulp is er nu, dag en nacht:\n"
                   "🚨 Gevaar of geweld: bel 112\n"
                   "💬 Zelfmoordlijn: bel 1813 (gratis)\n"
                   "📞 Tele-Onthaal: bel 106 (gratis)\n"
                   "🏠 Geen slaapplaats of hulp nodig: CAW, gratis nummer 0800 13 500\n\n"
                   "Ik vraag ook meteen aan een begeleider om contact met je op te nemen.",
    "out_of_scope": "Ik begrijp je niet goed. Ik vraag een begeleider om je verder te helpen.",
}
GREETING = "Dag {name}! Waarmee kan ik je helpen?"
SEE_YOU = "Fijn! Tot {when}."
ASKED_HUMAN = ("Ik heb je vraag doorgegeven. Een begeleider neemt binnen {days} werkdag "
               "contact met je op.",
               "Ik heb je vraag doorgegeven. Een begeleider neemt binnen {days} werkdagen "
               "contact met je op.")
CONSENT_YES, CONSENT_THANKS = "✅ Ik ga akkoord", "Dank je. Eerst een paar korte vragen."
RIGHTS_CARDS = {"rights_income": "leefloon", "rights_childcare": "kinderopvang"}


class StoreNotEmpty(Exception):
    """Demo data goes into an empty store only, unless asked to add to what is there."""

    def __init__(self, clients: int) -> None:
        super().__init__(f"The case store has {clients} client(s) already. Demo data only goes "
                         "into an empty store; use --add to add it anyway.")


@dataclass(frozen=True, slots=True)
class DemoLogin:
    """A dashboard account made for the demo; the password exists only here, to be shown once."""

    login: str
    role: CounselorRole
    password: str


@dataclass(frozen=True, slots=True)
class DemoSummary:
    counts: Mapping[str, int]  # table → rows added
    logins: tuple[DemoLogin, ...]
    seconds: float

    @property
    def passwords(self) -> dict[str, str]:
        return {login.login: login.password for login in self.logins}


@dataclass(frozen=True, slots=True)
class Voice:
    """One language, ready to speak: the client's lines, the bot's catalog replies, consent."""

    code: str
    tr: Translator
    book: Phrasebook
    replies: Mapping[str, str]  # client intent → the bot's answer
    consent: str
    consent_yes: str
    consent_thanks: str
    _greetings: dict[str, str] = field(default_factory=dict)
    _dates: dict[date, str] = field(default_factory=dict)

    def reply(self, intent: str, name: str, when: datetime) -> str:
        if intent == "greet":
            if name not in self._greetings:
                self._greetings[name] = self.tr.format(self.tr.gettext(GREETING), name=name)
            return self._greetings[name]
        if intent == "appointment_confirm":
            day = when.date()
            if day not in self._dates:  # formatting dates is slow; the same days recur
                self._dates[day] = self.tr.format(self.tr.gettext(SEE_YOU),
                                                  when=self.tr.date(when))
            return self._dates[day]
        return self.replies[intent]


def voice(code: str, programme: str) -> Voice:
    tr = Translator(code)
    book = rights_book()
    replies = {intent: tr.gettext(msgid) for intent, msgid in BOT_MSGIDS.items()}
    for intent, entry_id in RIGHTS_CARDS.items():
        entry = book.get(entry_id)
        replies[intent] = card(tr, entry) if entry else tr.gettext(PASS_ON)
    replies["ask_human"] = tr.format(tr.ngettext(*ASKED_HUMAN, RESPONSE_DAYS),
                                     days=RESPONSE_DAYS)
    return Voice(code, tr, PHRASEBOOKS[code], replies, consent_text(tr, programme),
                 tr.gettext(CONSENT_YES), tr.gettext(CONSENT_THANKS))


@dataclass(frozen=True, slots=True)
class Team:
    """The counselors cases go to: one who speaks the client's language where possible."""

    names: Mapping[int, str]
    speakers: Mapping[str, tuple[int, ...]]  # language → counselors who speak it
    everyone: tuple[int, ...]
    demo_counselor: int | None = None  # `counselor.demo`, who gets a share of all cases
    demo_share: float = 0.0

    def pick(self, rng: random.Random, language: str) -> int:
        if self.demo_counselor is not None and rng.random() < self.demo_share:
            return self.demo_counselor
        speakers = self.speakers.get(language)
        if speakers and rng.random() < 0.85:
            return rng.choice(speakers)
        return rng.choice(self.everyone)


@dataclass(slots=True)
class CasePlan:
    """One client's story in outline, decided before any row is made."""

    client_id: int
    case_id: int
    voice: Voice
    name: DemoName
    first_name: str
    contact: str
    channel: str
    status: CaseStatus
    outcome: CaseOutcome | None
    registered_at: datetime
    opened_at: datetime
    closed_at: datetime | None
    counselor_id: int | None
    working_since: datetime | None = None  # nazorg: since then the client asks about work
    last_seen_at: datetime | None = None

    @property
    def open(self) -> bool:
        return self.status != CaseStatus.CLOSED

    def ends(self, now: datetime) -> datetime:
        return self.closed_at or now


@dataclass(slots=True)
class Said:
    """A message before it gets its id: ids follow time order within a client."""

    at: datetime
    direction: str
    author: str
    text: str
    intent: str = ""
    confidence: float | None = None
    counselor_id: int | None = None
    kind: str = "text"
    payload: str = ""


def between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    return start + (end - start) * rng.random() if end > start else start


def at_hour(rng: random.Random, moment: datetime, hours: Weighted[int], earliest: datetime,
            latest: datetime) -> datetime:
    """The same day at a likely hour, unless that falls outside the allowed window."""
    moved = moment.replace(hour=hours.pick(rng))
    return moved if earliest <= moved <= latest else moment


def span(rng: random.Random, shortest: timedelta, longest: timedelta) -> timedelta:
    return shortest + (longest - shortest) * rng.random()


def office_time(rng: random.Random, day: date) -> datetime:
    """A quarter hour between 9:00 and 16:00 in Belgium (UTC+1/+2, near enough for a demo)."""
    return datetime(day.year, day.month, day.day, rng.randint(7, 14), 15 * rng.randint(0, 3),
                    tzinfo=UTC)


def ascii_name(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(c for c in decomposed if c.isascii() and c.isalnum()) or "client"


@cache
def rights_results(answers: RightsAnswers) -> tuple[str, ...]:
    return tuple(finding.entry_id for finding in possible_rights(answers))


@cache
def right_title(entry_id: str) -> str:
    entry = rights_book().get(entry_id)
    return entry.text("nl").title if entry else entry_id


class Stories:
    """Makes each client's rows, consistent with each other, into a batch."""

    def __init__(self, rng: random.Random, now: datetime, ids: IdAllocator, team: Team,
                 per_client: int, open_escalation_chance: float) -> None:
        self.rng, self.now, self.ids, self.team = rng, now, ids, team
        self.per_client = per_client
        self.open_escalation_chance = open_escalation_chance
        self.settings = DialogueSettings()
        self.voices = {lang.code: voice(lang.code, self.settings.programme_name)
                       for lang in LANGUAGES}
        self.language_codes = tuple(lang.code for lang in LANGUAGES)
        self.closed = 0

    # ---- the outline ----------------------------------------------------------------------

    def add(self, batch: Batch, index: int) -> None:
        plan = self.plan(index)
        self.jobs(batch, plan)
        self.appointments(batch, plan)
        self.rights_check(batch, plan)
        self.conversation(batch, plan)
        self.registration(batch, plan)

    def plan(self, index: int) -> CasePlan:
        rng = self.rng
        # the first clients go round the languages, statuses and outcomes, so that even a
        # small demo shows them all
        code = (self.language_codes[index % len(self.language_codes)]
                if index < 2 * len(self.language_codes) else LANGUAGE_MIX.pick(rng))
        spoken = self.voices[code]
        status = STATUSES[index] if index < len(STATUSES) else STATUS_MIX.pick(rng)
        outcome = None
        if status == CaseStatus.CLOSED:
            outcome = (OUTCOMES[self.closed] if self.closed < len(OUTCOMES)
                       else OUTCOME_MIX.pick(rng))
            self.closed += 1
        opened, closed = self.case_dates(status)
        client_id = self.ids.take("clients")
        name = rng.choice(spoken.book.names)
        counselor = (None if status == CaseStatus.NEW and rng.random() < 0.5
                     else self.team.pick(rng, code))
        return CasePlan(
            client_id=client_id, case_id=self.ids.take("cases"), voice=spoken, name=name,
            first_name=name.shown if rng.random() < 0.7 else name.latin,
            contact=self.contact(client_id, name),
            channel="telegram" if rng.random() < 0.7 else "web", status=status,
            outcome=outcome,
            registered_at=opened - timedelta(minutes=rng.randint(2, 8)),
            opened_at=opened, closed_at=closed, counselor_id=counselor)

    def case_dates(self, status: CaseStatus) -> tuple[datetime, datetime | None]:
        """Open cases are recent; closed ones spread over six years, more of them lately."""
        rng, now = self.rng, self.now
        if status == CaseStatus.NEW:
            return now - span(rng, 20 * MINUTE, 21 * DAY), None
        if status == CaseStatus.ACTIVE:
            return now - span(rng, 21 * DAY, 540 * DAY), None
        if status == CaseStatus.NAZORG:
            return now - span(rng, 150 * DAY, 720 * DAY), None
        length = span(rng, 60 * DAY, 540 * DAY)
        age = length + (HISTORY - length - DAY) * rng.random() ** 1.6
        return now - age, now - age + length

    def contact(self, client_id: int, name: DemoName) -> str:
        """Clearly fake: a Belgian number with a leading 0 after +32 (which no phone has), or
        an address at example.org, the domain reserved for examples."""
        if self.rng.random() < 0.55:
            digits = f"{client_id % 1_000_000:06d}"
            return f"+32 000 {digits[:2]} {digits[2:4]} {digits[4:]} (demo)"
        return f"{ascii_name(name.latin)}.demo{client_id}@example.org"

    def registration(self, batch: Batch, plan: CasePlan) -> None:
        """The client, how they are reached, their consent and their case."""
        rng, cid, at = self.rng, plan.client_id, plan.registered_at
        batch.clients.append(ClientRow(
            id=cid, first_name=plan.first_name, contact=plan.contact, language=plan.voice.code,
            status=ClientStatus.REGISTERED.value, consent=ConsentState.GRANTED.value,
            reachable=rng.random() < 0.97, created_at=at,
            last_seen_at=plan.last_seen_at or at))
        external = (str(DEMO_TELEGRAM_BASE + cid) if plan.channel == "telegram"
                    else f"demo-{cid:07d}-{rng.getrandbits(48):012x}")
        batch.identities.append(IdentityRow(self.ids.take("channel_identities"), cid,
                                            plan.channel, external, at))
        batch.consents.append(ConsentRow(
            self.ids.take("consent_records"), cid, CONSENT_PURPOSE,
            self.settings.consent_version, True, plan.voice.code, plan.voice.consent,
            at + MINUTE))
        help_wanted = HELP_MIX.pick(rng)
        batch.cases.append(CaseRow(
            id=plan.case_id, client_id=cid, counselor_id=plan.counselor_id,
            status=plan.status.value, outcome=plan.outcome.value if plan.outcome else None,
            municipality=MUNICIPALITY_MIX.pick(rng), non_eu_nationality="yes", seeking="yes",
            help_wanted=help_wanted, opened_at=plan.opened_at, closed_at=plan.closed_at))
        self.task(batch, plan, TaskKind.NEW_CASE, plan.opened_at,
                  f"Nieuwe aanmelding WM-{plan.case_id:05d}: {plan.first_name} "
                  f"({plan.voice.code}), wil hulp bij: {HELP_CHOICES[help_wanted]}. "
                  f"Bereikbaar: {plan.contact}.",
                  still_open=plan.status == CaseStatus.NEW)

    def task(self, batch: Batch, plan: CasePlan, kind: TaskKind, at: datetime, summary: str,
             *, still_open: bool = False, urgent: bool = False) -> None:
        batch.tasks.append(TaskRow(
            id=self.ids.take("tasks"), client_id=plan.client_id, case_id=plan.case_id,
            kind=kind.value, priority=URGENT if urgent else NORMAL,
            status=OPEN_TASK if still_open else DONE_TASK,
            summary=summary, created_at=at, notified_at=min(at + 2 * SECOND, self.now)))

    # ---- after-care ------------------------------------------------------------------------

    def jobs(self, batch: Batch, plan: CasePlan) -> None:
        """Work found: nazorg now, or a closed case that ended in work or training; a few
        active cases lost a job on the way."""
        rng, now = self.rng, self.now
        if plan.status == CaseStatus.NAZORG:
            age = (now - plan.opened_at).days
            start = (now - timedelta(days=rng.randint(3, min(200, age - 60)))).date()
            self.job(batch, plan, start, CONTRACT_MIX.pick(rng), until=now)
            plan.working_since = office_time(rng, start)
        elif plan.outcome in (CaseOutcome.LASTING_JOB, CaseOutcome.TRAINING):
            assert plan.closed_at is not None
            nazorg = timedelta(days=rng.randint(60, 200))
            start = max(plan.opened_at + 30 * DAY, plan.closed_at - nazorg).date()
            contract = (ContractType.TRAINING if plan.outcome == CaseOutcome.TRAINING
                        else CONTRACT_MIX.pick(rng))
            self.job(batch, plan, start, contract, until=plan.closed_at)
        elif plan.status == CaseStatus.ACTIVE and rng.random() < 0.08:
            age = (now - plan.opened_at).days
            if age > 120:
                start = (plan.opened_at + timedelta(days=rng.randint(30, age - 60))).date()
                self.job(batch, plan, start, ContractType.INTERIM,
                         until=datetime.combine(start, datetime.min.time(), UTC)
                         + timedelta(days=rng.randint(10, 50)), lost=True)

    def job(self, batch: Batch, plan: CasePlan, start: date, contract: ContractType,
            until: datetime, lost: bool = False) -> None:
        rng = self.rng
        job_id = self.ids.take("jobs")
        registered = max(plan.opened_at, office_time(rng, start) - timedelta(
            days=rng.randint(0, 3)))
        answered = self.checkins(batch, plan, job_id, start, contract, until, lost)
        silent = not lost and len(answered) >= 2 and answered[-1] is None and answered[-2] is None
        ended = answered[-1] if lost and answered else None
        batch.jobs.append(JobRow(
            id=job_id, client_id=plan.client_id, case_id=plan.case_id, started_on=start,
            contract=contract.value, employer=rng.choice(EMPLOYERS), created_at=registered,
            ended_at=ended, end_reason="lost" if ended else "",
            paused=silent and plan.status == CaseStatus.NAZORG))
        self.task(batch, plan, TaskKind.JOB_STARTED, registered,
                  f"{plan.first_name} begint op {start.isoformat()} bij "
                  f"{batch.jobs[-1].employer} ({contract.value}).")
        if batch.jobs[-1].paused:
            self.task(batch, plan, TaskKind.NAZORG_SILENCE, self.now - DAY,
                      f"Nazorg: {plan.first_name} antwoordde twee keer niet. Neem contact op.",
                      still_open=True)

    def checkins(self, batch: Batch, plan: CasePlan, job_id: int, start: date,
                 contract: ContractType, until: datetime, lost: bool
                 ) -> list[datetime | None]:
        """The check-ins sent until `until`; what came back, and when (None: no answer)."""
        rng, now = self.rng, self.now
        sent_times = [office_time(rng, start + timedelta(days=day))
                      for day in DEFAULT_SCHEDULE[contract]]
        sent_times = [t for t in sent_times if t <= min(until, now)]
        answered: list[datetime | None] = []
        for number, sent in enumerate(sent_times, start=1):
            last = number == len(sent_times)
            answer = (CheckinAnswer.JOB_LOST if lost and last else CHECKIN_MIX.pick(rng))
            at = min(sent + span(rng, 5 * MINUTE, 2 * DAY), now) if answer else None
            batch.checkins.append(CheckinRow(
                id=self.ids.take("checkins"), job_id=job_id, client_id=plan.client_id,
                number=number, sent_at=sent, answer=answer.value if answer else None,
                problem=rng.choice(PROBLEMS) if answer == CheckinAnswer.PROBLEM else "",
                note="", answered_at=at))
            answered.append(at)
        return answered

    # ---- appointments ----------------------------------------------------------------------

    def appointments(self, batch: Batch, plan: CasePlan) -> None:
        """An intake soon after opening, then a follow-up every few weeks while the case
        runs; most open cases have the next one planned."""
        rng, now = self.rng, self.now
        end = plan.ends(now)
        day = (plan.opened_at + timedelta(days=rng.randint(2, 10))).date()
        kind = AppointmentKind.INTAKE
        for _ in range(8):
            starts = office_time(rng, day)
            if starts > end:
                break
            self.appointment(batch, plan, starts, kind)
            kind = APPOINTMENT_KIND_MIX.pick(rng)
            day += timedelta(days=rng.randint(21, 56))
        if plan.open and rng.random() < 0.7:
            later = (now + timedelta(days=rng.randint(1, 21))).date()
            self.appointment(batch, plan, office_time(rng, later), kind)

    def appointment(self, batch: Batch, plan: CasePlan, starts: datetime,
                    kind: AppointmentKind) -> None:
        rng, now = self.rng, self.now
        created = min(max(plan.opened_at + MINUTE, starts - timedelta(days=rng.randint(3, 20))),
                      now)
        answer: AppointmentStatus | None
        if starts < now:
            status = PAST_APPOINTMENT_MIX.pick(rng)
            answer = ANSWER_BEFORE[status].pick(rng)
            updated: datetime | None = min(starts + span(rng, HOUR, DAY), now)
        else:
            status = AppointmentStatus.CONFIRMED if rng.random() < 0.45 else \
                AppointmentStatus.PLANNED
            answer = AppointmentStatus.CONFIRMED if status == AppointmentStatus.CONFIRMED \
                else None
            updated = None
        answered = between(rng, created, min(starts, now)) if answer else None
        mode = MODE_MIX.pick(rng)
        appointment_id = self.ids.take("appointments")
        counselor = self.team.names.get(plan.counselor_id or 0, "")
        batch.appointments.append(AppointmentRow(
            id=appointment_id, client_id=plan.client_id, case_id=plan.case_id,
            counselor_id=plan.counselor_id, starts_at=starts, duration_minutes=60,
            kind=kind.value, mode=mode.value, location=self.location(mode, appointment_id),
            with_whom=counselor, status=status.value, proposed_at=None, answered_at=answered,
            client_answer=answer.value if answer else None, created_at=created,
            updated_at=updated, version=1))

    @staticmethod
    def location(mode: AppointmentMode, appointment_id: int) -> str:
        if mode == AppointmentMode.IN_PERSON:
            return "Demo-kantoor, Voorbeeldstraat 1, Kortrijk"
        if mode == AppointmentMode.VIDEO:
            return f"https://meet.example.org/demo-{appointment_id}"
        return ""

    # ---- rights ----------------------------------------------------------------------------

    def rights_check(self, batch: Batch, plan: CasePlan) -> None:
        rng = self.rng
        if rng.random() >= 0.35:
            return
        answers = RightsAnswers(household=rng.choice(HOUSEHOLD), children=rng.choice(CHILDREN),
                                income=rng.choice(INCOME), housing=rng.choice(HOUSING),
                                health_costs=rng.choice(YES_NO), debts=rng.choice(YES_NO))
        results = rights_results(answers)
        at = self.moment(plan.opened_at + 10 * MINUTE, plan.ends(self.now) - MINUTE)
        batch.rights_checks.append(RightsCheckRow(
            id=self.ids.take("rights_checks"), client_id=plan.client_id, case_id=plan.case_id,
            answers=asdict(answers),
            results=list(results), created_at=at))
        listed = ", ".join(right_title(r) for r in results) or "—"
        self.task(batch, plan, TaskKind.RIGHTS_CHECK, at,
                  f"📋 {plan.first_name} deed de rechtencheck. Misschien van toepassing: "
                  f"{listed}. Bekijk het samen en help bij de aanvraag.",
                  still_open=plan.open and at > self.now - RECENT)

    # ---- the conversation ------------------------------------------------------------------

    def conversation(self, batch: Batch, plan: CasePlan) -> None:
        """The messages of the case's life: the first chat, questions and the bot's answers,
        counselors writing, and the moments a person was brought in."""
        rng, now = self.rng, self.now
        budget = round(self.per_client * rng.triangular(0.2, 2.2, 0.6))  # mean: per_client
        said: list[Said] = []
        if budget >= 4:
            self.intake(plan, said)
        end = plan.ends(now) - MINUTE  # follow-ups (replies, claims) fit before `now`
        if plan.open and rng.random() < self.open_escalation_chance and budget - len(said) >= 2:
            at = max(plan.opened_at + 5 * MINUTE, now - span(rng, 5 * MINUTE, 3 * DAY))
            self.escalation(batch, plan, said, ACTIVE_REASON_MIX.pick(rng), at, active=True)
            end = at - MINUTE
        start = plan.opened_at + 5 * MINUTE
        for _ in range(rng.choice((0, 0, 0, 0, 0, 1, 1, 1, 2, 2))):
            if budget - len(said) >= 3:
                self.escalation(batch, plan, said, RESOLVED_REASON_MIX.pick(rng),
                                self.moment(start, end), active=False)
        for _ in range(round((budget - len(said)) * COUNSELOR_SHARE / 3)):
            self.counselor_chat(plan, said, self.moment(start, end, OFFICE_HOURS),
                                answered=True)
        while budget - len(said) >= 2:
            self.question(batch, plan, said, self.moment(start, end))
        if budget - len(said) == 1:
            self.counselor_chat(plan, said, self.moment(start, end, OFFICE_HOURS),
                                answered=False)
        self.emit(batch, plan, said)

    def moment(self, start: datetime, end: datetime, hours: Weighted[int] = CLIENT_HOURS
               ) -> datetime:
        """Any day of the window, at an hour people write."""
        return at_hour(self.rng, between(self.rng, start, end), hours, start, end)

    def intake(self, plan: CasePlan, said: list[Said]) -> None:
        """The first chat as stored: hello, the consent text, the client agrees."""
        spoken, at = plan.voice, plan.registered_at
        said += [
            Said(at, IN, CLIENT, spoken.book.client["greet"],
                 "greet", round(self.rng.uniform(0.7, 0.99), 3)),
            Said(at + timedelta(seconds=2), OUT, BOT,
                 spoken.consent, payload="consent:yes consent:no"),
            Said(at + timedelta(seconds=40), IN, CLIENT,
                 spoken.consent_yes, kind="button", payload="consent:yes"),
            Said(at + timedelta(seconds=42), OUT, BOT,
                 spoken.consent_thanks),
        ]

    def question(self, batch: Batch, plan: CasePlan, said: list[Said], at: datetime) -> None:
        """The client asks or says something; the bot answers as it would."""
        rng = self.rng
        at_work = plan.working_since is not None and at > plan.working_since
        intent = (AT_WORK_QUESTION_MIX if at_work else QUESTION_MIX).pick(rng)
        self.client_says(plan, said, at, intent, round(rng.uniform(0.55, 0.99), 3))
        if intent in PASSED_ON:
            self.task(batch, plan, TaskKind.CLIENT_QUESTION, at,
                      f"Vraag van {plan.first_name} (onderwerp: {intent}). Lees het bericht "
                      "in het dossier.", still_open=plan.open and at > self.now - RECENT)
        elif intent == "appointment_cancel":
            self.task(batch, plan, TaskKind.APPOINTMENT_ANSWER, at,
                      f"❌ {plan.first_name} kan niet komen naar de afspraak.",
                      still_open=plan.open and at > self.now - RECENT)

    def client_says(self, plan: CasePlan, said: list[Said], at: datetime, intent: str,
                    confidence: float) -> None:
        spoken = plan.voice
        said.append(Said(at, IN, CLIENT,
                         spoken.book.client[intent], intent, confidence))
        said.append(Said(at + timedelta(seconds=2), OUT, BOT,
                         spoken.reply(intent, plan.first_name, at + DAY)))

    def counselor_chat(self, plan: CasePlan, said: list[Said], at: datetime,
                       answered: bool) -> None:
        """A counselor writes; the client often thanks them, and the bot answers that."""
        rng = self.rng
        counselor = plan.counselor_id or self.team.pick(rng, plan.voice.code)
        said.append(Said(at, OUT, COUNSELOR,
                         rng.choice(plan.voice.book.counselor), counselor_id=counselor))
        if answered:
            later = min(at + span(rng, 5 * MINUTE, 5 * HOUR), plan.ends(self.now) - 30 * SECOND)
            self.client_says(plan, said, later, "thanks", round(rng.uniform(0.8, 0.99), 3))

    def escalation(self, batch: Batch, plan: CasePlan, said: list[Said],
                   reason: EscalationReason, at: datetime, active: bool) -> None:
        """A person is brought in. Resolved ones have a counselor's answer in the chat; active
        ones wait in the queue, open or claimed."""
        rng, now = self.rng, self.now
        intent = REASON_INTENT[reason]
        confidence = (round(rng.uniform(0.15, 0.4), 3) if reason == EscalationReason.UNCLEAR
                      else round(rng.uniform(0.6, 0.99), 3))
        self.client_says(plan, said, at, intent, confidence)
        counselor = plan.counselor_id or self.team.pick(rng, plan.voice.code)
        claimed: datetime | None = None
        resolved: datetime | None = None
        if active:
            status = (EscalationStatus.CLAIMED if rng.random() < 0.35
                      else EscalationStatus.OPEN)
            if status == EscalationStatus.CLAIMED:
                claimed = between(rng, at + MINUTE, now)
        else:
            status = EscalationStatus.RESOLVED
            latest = plan.ends(now)  # all of it before the case closed
            claimed = min(at + span(rng, 3 * MINUTE, 2 * DAY), latest - 40 * SECOND)
            answer = min(claimed + span(rng, MINUTE, 30 * MINUTE), latest - 20 * SECOND)
            said.append(Said(answer, OUT, COUNSELOR,
                             rng.choice(plan.voice.book.counselor), counselor_id=counselor))
            resolved = min(answer + span(rng, MINUTE, DAY), latest)
        waiting = now - at
        reminders = (min(3, int(waiting / (30 * MINUTE)))
                     if status == EscalationStatus.OPEN else 0)
        urgent = reason == EscalationReason.CRISIS
        summary = "\n".join((
            REASON_NOTE[reason].format(name=plan.first_name),
            f"Voor: {self.team.names.get(counselor, 'het team')}",
            f"Cliënt: {plan.voice.book.client[intent]}"))
        batch.escalations.append(EscalationRow(
            id=self.ids.take("escalations"), client_id=plan.client_id, case_id=plan.case_id,
            reason=reason.value,
            priority=URGENT if urgent else NORMAL,
            language=plan.voice.code, summary=summary, status=status.value,
            claimed_by=counselor if claimed else None, created_at=at, claimed_at=claimed,
            resolved_at=resolved, reminders=reminders,
            reminded_at=at + reminders * 30 * MINUTE if reminders else None))
        self.task(batch, plan, TaskKind.CRISIS if urgent else TaskKind.CONTACT_REQUEST, at,
                  summary, still_open=active, urgent=urgent)

    def emit(self, batch: Batch, plan: CasePlan, said: list[Said]) -> None:
        said.sort(key=lambda s: s.at)
        take, cid, case, channel, code = (self.ids.take, plan.client_id, plan.case_id,
                                          plan.channel, plan.voice.code)
        for s in said:
            batch.interactions.append(InteractionRow(
                take("interactions"), cid, case, s.direction, s.author, s.counselor_id, channel,
                s.kind, s.text, s.payload, code, s.intent, s.confidence, s.at))
            if s.author == CLIENT:
                plan.last_seen_at = s.at


# ---- the team ---------------------------------------------------------------------------------

def team_rows(rng: random.Random, now: datetime, ids: IdAllocator, clients: int
              ) -> list[CounselorRow]:
    """About one counselor per 40 open cases (at least three), each speaking Dutch, English or
    French and one or two of the clients' languages; and a coordinator."""
    count = max(3, ceil(clients * OPEN_SHARE / CASES_PER_COUNSELOR))
    others = [lang.code for lang in LANGUAGES if lang.code not in ("nl", "en", "fr")]
    rows = []
    for i in range(count):
        spoken = ["nl", rng.choice(("en", "fr")), others[i % len(others)]]
        if rng.random() < 0.3:
            spoken.append(rng.choice(others))
        name = f"{COUNSELOR_NAMES[i % len(COUNSELOR_NAMES)]} (demo)"
        rows.append(counselor_row(ids, name, CounselorRole.COUNSELOR,
                                  ",".join(dict.fromkeys(spoken)),
                                  now - span(rng, 30 * DAY, HISTORY)))
    rows.append(counselor_row(ids, "Marleen Vermeulen (demo)", CounselorRole.COORDINATOR,
                              "nl,en,fr", now - HISTORY))
    return rows


def counselor_row(ids: IdAllocator, name: str, role: CounselorRole, languages: str,
                  created_at: datetime, login: str | None = None, password_hash: str = ""
                  ) -> CounselorRow:
    return CounselorRow(ids.take("counselors"), name, None, languages, role.value, True, login,
                        password_hash, created_at)


DEMO_ACCOUNTS = (("coordinator.demo", "Demo Coördinator", CounselorRole.COORDINATOR, "nl,en,fr"),
                 ("counselor.demo", "Demo Begeleider", CounselorRole.COUNSELOR, "nl,en,ar,uk"))


def login_rows(connection: Connection, ids: IdAllocator, now: datetime
               ) -> tuple[list[CounselorRow], list[DemoLogin], dict[str, int]]:
    """The two dashboard accounts, each with a fresh random password; accounts that exist
    already are kept as they are (their password is not shown again)."""
    rows: list[CounselorRow] = []
    logins: list[DemoLogin] = []
    existing: dict[str, int] = {}
    hasher = PasswordHasher()
    for login, name, role, languages in DEMO_ACCOUNTS:
        found = connection.scalar(select(m.Counselor.id).where(m.Counselor.login == login))
        if found is not None:
            existing[login] = found
            continue
        password = secrets.token_urlsafe(12)
        rows.append(counselor_row(ids, name, role, languages, now, login, hasher.hash(password)))
        logins.append(DemoLogin(login, role, password))
    return rows, logins, existing


def team_of(rows: list[CounselorRow], demo_counselor: int | None, clients: int) -> Team:
    working = [r for r in rows if r.role == CounselorRole.COUNSELOR.value and r.login is None]
    speakers: dict[str, list[int]] = {}
    for row in working:
        for code in row.languages.split(","):
            speakers.setdefault(code, []).append(row.id)
    names = {r.id: r.name for r in rows}
    share = min(0.5, max(0.02, 40 / clients)) if demo_counselor is not None and clients else 0.0
    return Team(names, {k: tuple(v) for k, v in speakers.items()},
                tuple(r.id for r in working), demo_counselor, share)


# ---- the whole run ----------------------------------------------------------------------------

def open_escalation_chance(clients: int) -> float:
    """About 1% of clients wait in the queue, and at least a few dozen in a small demo."""
    wanted = max(round(clients * 0.01), min(36, clients // 4))
    return min(0.9, wanted / max(1.0, clients * OPEN_SHARE))


def count_clients(connection: Connection) -> int:
    return connection.scalar(select(func.count()).select_from(m.Client)) or 0


def generate(database: Database, clients: int, *, seed: int = 1,
             interactions_per_client: int = 50, now: datetime | None = None,
             logins: bool = False, add: bool = False,
             progress: Callable[[int, int], None] | None = None) -> DemoSummary:
    """Fill the store with `clients` invented clients and everything around them, in one
    transaction: all of it or nothing. The same seed (and `now`) gives the same data.

    Refuses a store that has clients already (`StoreNotEmpty`) unless `add` is set.
    """
    if clients < 0 or interactions_per_client < 0:
        raise ValueError("clients and interactions per client cannot be negative")
    started = time.perf_counter()
    now = now or datetime.now(UTC).replace(microsecond=0)
    rng = random.Random(seed)
    counts = dict.fromkeys(TABLE_NAMES, 0)
    with database.engine.begin() as connection:
        present = count_clients(connection)
        if present and not add:
            raise StoreNotEmpty(present)
        ids = IdAllocator(connection)
        team = team_rows(rng, now, ids, clients)
        made: list[DemoLogin] = []
        demo_counselor = None
        if logins:
            accounts, made, existing = login_rows(connection, ids, now)
            team += accounts
            demo_counselor = next((r.id for r in accounts if r.login == "counselor.demo"),
                                  existing.get("counselor.demo"))
        stories = Stories(rng, now, ids, team_of(team, demo_counselor, clients),
                          interactions_per_client, open_escalation_chance(clients))
        # a store in use keeps its constraints in place: no exclusive locks while loading
        checks = nullcontext() if present else foreign_keys_checked_once(connection)
        with checks:
            load(connection, table_rows(CounselorRow, team), stories, clients, counts,
                 progress)
        reset_sequences(connection)
    with database.engine.begin() as connection:
        analyze(connection)
    return DemoSummary(counts, tuple(made), time.perf_counter() - started)


def load(connection: Connection, team: TableRows, stories: Stories, clients: int,
         counts: dict[str, int], progress: Callable[[int, int], None] | None) -> None:
    """Make the clients batch by batch while the previous batch is written."""

    def written(rows: TableRows) -> None:
        counts[rows.table.name] += len(rows.rows)

    writer = writer_for(connection)
    writer.write(team)
    written(team)
    background = BackgroundWriter(writer, written)
    try:
        for first in range(0, clients, BATCH_CLIENTS):
            batch = Batch()
            for index in range(first, min(clients, first + BATCH_CLIENTS)):
                stories.add(batch, index)
            background.put(batch)
            if progress is not None:
                progress(min(clients, first + BATCH_CLIENTS), clients)
    finally:
        background.close()
