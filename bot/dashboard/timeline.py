"""One client's whole story, newest first: messages both ways, appointments and answers,
check-ins, rights checks, consent and escalations, merged into one list of events."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.dashboard import labels
from dialogues.i18n import Translator
from dialogues.rights_content import RightsBook, rights_book
from storage.records import (
    AppointmentRecord,
    Author,
    CaseRecord,
    CheckinRecord,
    ClientRecord,
    ConsentRecord,
    Direction,
    IdentityRecord,
    InteractionRecord,
    JobRecord,
    RightsCheckRecord,
)
from storage.repositories import UnitOfWorkFactory
from storage.sql.dashboard_reads import EscalationRow, TaskRow

MESSAGES_SHOWN = 150


@dataclass(frozen=True, slots=True)
class Event:
    at: datetime
    kind: str  # css class and filter: message-in, message-out, counselor, appointment, ...
    title: str
    text: str = ""
    language: str = ""  # the text's language, for lang= and dir=
    detail: str = ""


@dataclass
class ClientStory:
    client: ClientRecord
    case: CaseRecord | None
    identities: list[IdentityRecord]
    consents: list[ConsentRecord]
    appointments: list[AppointmentRecord]
    jobs: list[JobRecord]
    checkins: list[CheckinRecord]
    rights_checks: list[RightsCheckRecord]
    interactions: list[InteractionRecord]
    escalations: list[EscalationRow] = field(default_factory=list)
    tasks: list[TaskRow] = field(default_factory=list)

    @property
    def active_escalation(self) -> EscalationRow | None:
        active = [e for e in self.escalations if e.status.value != "resolved"]
        return active[-1] if active else None

    @property
    def active_job(self) -> JobRecord | None:
        jobs = [j for j in self.jobs if j.active]
        return jobs[-1] if jobs else None


def load_story(store: UnitOfWorkFactory, client_id: int) -> ClientStory | None:
    with store() as uow:
        client = uow.clients.get(client_id)
        if client is None:
            return None
        jobs = list(uow.jobs.for_client(client_id))
        return ClientStory(
            client=client, case=uow.cases.current_for(client_id),
            identities=list(uow.clients.identities(client_id)),
            consents=list(uow.consents.for_client(client_id)),
            appointments=list(uow.appointments.for_client(client_id)),
            jobs=jobs,
            checkins=[c for job in jobs for c in uow.checkins.for_job(job.id)],
            rights_checks=list(uow.rights_checks.for_client(client_id)),
            interactions=list(uow.interactions.for_client(client_id, limit=MESSAGES_SHOWN)))


def events(story: ClientStory, tr: Translator, names: dict[int, str]) -> list[Event]:
    """Everything that happened, newest first, described in the page's language."""
    _ = tr.gettext
    found: list[Event] = []
    for m in story.interactions:
        if m.direction == Direction.IN:
            title = _("Cliënt")
            kind = "message-in"
            detail = f"{m.intent} ({m.confidence:.2f})" if m.intent and m.confidence else ""
        elif m.author == Author.COUNSELOR:
            title = names.get(m.counselor_id or 0, _("Begeleider"))
            kind, detail = "counselor", ""
        else:
            title, kind, detail = _("Bot"), "message-out", ""
        # a button press keeps its code, not its label: "▸ appt:yes:12:1" still says which
        text = m.text or (f"▸ {m.payload}" if m.payload else f"[{m.kind}]")
        found.append(Event(m.created_at, kind, title, text, m.language, detail))
    for a in story.appointments:
        found.append(Event(a.created_at, "appointment", tr.format(
            _("Afspraak gepland: {kind} op {when}"), kind=_(labels.APPOINTMENT_KIND[a.kind]),
            when=_short(tr, a.starts_at)), a.location or _(labels.APPOINTMENT_MODE[a.mode]),
            detail=_(labels.APPOINTMENT_STATUS[a.status])))
        if a.answered_at and a.client_answer:
            found.append(Event(a.answered_at, "appointment", tr.format(
                _("Antwoord op de afspraak van {when}"), when=_short(tr, a.starts_at)),
                _(labels.APPOINTMENT_STATUS[a.client_answer]),
                detail=tr.format(_("voorstel: {when}"), when=_short(tr, a.proposed_at))
                if a.proposed_at else ""))
    for job in story.jobs:
        found.append(Event(job.created_at, "job", tr.format(
            _("Job gestart: {employer}"), employer=job.employer or "—"),
            tr.format(_("{contract}, vanaf {date}"), contract=_(labels.CONTRACT[job.contract]),
                      date=job.started_on.strftime("%d/%m/%Y"))))
        if job.ended_at:
            found.append(Event(job.ended_at, "job", _("Job beëindigd"), job.end_reason))
    for c in story.checkins:
        found.append(Event(c.sent_at, "checkin", tr.format(_("Nazorg check-in {number}"),
                                                           number=c.number),
                           _(labels.CHECKIN_ANSWER[c.answer]) if c.answer else _("geen antwoord"),
                           detail=" · ".join(x for x in (c.problem, c.note) if x)))
    book = rights_book()
    for r in story.rights_checks:
        titles = [_entry_title(book, x, tr.code) for x in r.results]
        found.append(Event(r.created_at, "rights", _("Rechtencheck"),
                           ", ".join(titles) or _("niets gevonden")))
    for consent in story.consents:
        found.append(Event(consent.created_at, "consent",
                           _("Toestemming gegeven") if consent.granted
                           else _("Toestemming geweigerd"),
                           consent.text, consent.language,
                           detail=tr.format(_("versie {version}"), version=consent.version)))
    for e in story.escalations:
        found.append(Event(e.created_at, "escalation", tr.format(
            _("Doorverwezen naar een persoon: {reason}"), reason=_(labels.REASON[e.reason])),
            e.summary, detail=_(labels.PRIORITY[e.priority])))
        if e.claimed_at:
            found.append(Event(e.claimed_at, "escalation", tr.format(
                _("Opgenomen door {name}"), name=e.claimed_by or "—")))
        if e.resolved_at:
            found.append(Event(e.resolved_at, "escalation", _("Teruggegeven aan de bot")))
    found.sort(key=lambda e: e.at, reverse=True)
    return found


def _entry_title(book: RightsBook, entry_id: str, code: str) -> str:
    entry = book.get(entry_id)
    return entry.text(code).title if entry else entry_id


def _short(tr: Translator, moment: datetime | None) -> str:
    return moment.astimezone(tr.tz).strftime("%d/%m/%Y %H:%M") if moment else "—"
