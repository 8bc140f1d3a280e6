"""What a due scheduled message becomes, decided when it is due, from the store as it is then.

Rendering late means a message never says something the store no longer holds: a reminder of
an appointment that moved (an older version) or was cancelled is skipped, a client who blocked
the bot gets nothing, and the words are in the client's language of today.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from dialogues.appointments import KIND_NAMES, AppointmentBook
from dialogues.i18n import N_, Translator
from dialogues.messages import (
    Button,
    CalendarEvent,
    ChannelName,
    ClientKey,
    CounselorAlert,
    Outgoing,
)
from dialogues.settings import DialogueSettings
from storage.records import (
    AppointmentRecord,
    AppointmentStatus,
    ClientRecord,
    ConsentState,
    ScheduledKind,
    ScheduledMessageRecord,
    TaskKind,
    TaskRecord,
)
from storage.repositories import UnitOfWork

APPOINTMENT = "appt:"  # appt:<yes|no|other>:<id>:<version>
DESK_APPOINTMENT = "desk:appt:"  # desk:appt:<accept|attended|noshow>:<id>:<version>
CHANNEL_PREFERENCE = (ChannelName.TELEGRAM, ChannelName.WEB)
TO_CLIENT = (ScheduledKind.APPOINTMENT_NOTICE, ScheduledKind.APPOINTMENT_REMINDER,
             ScheduledKind.APPOINTMENT_CANCELLED)


@dataclass
class Rendered:
    """A due row's content: messages for one client, or tasks for the counselors, or a reason
    to skip it."""

    to: ClientKey | None = None
    messages: list[Outgoing] = field(default_factory=list)
    tasks: list[TaskRecord] = field(default_factory=list)
    actions: list[tuple[Button, ...]] = field(default_factory=list)  # per task
    skip: str = ""
    effects: list[Callable[[UnitOfWork, datetime], None]] = field(default_factory=list)
    # ^ what else to record when it was sent (a check-in sent; a job paused after silence)


def answer_buttons(tr: Translator, appointment: AppointmentRecord) -> tuple[tuple[Button, ...],
                                                                             ...]:
    _ = tr.gettext
    ref = f"{appointment.id}:{appointment.version}"
    return ((Button(_("✅ Ik kom"), f"{APPOINTMENT}yes:{ref}"),),
            (Button(_("❌ Ik kan niet komen"), f"{APPOINTMENT}no:{ref}"),),
            (Button(_("🕒 Een ander moment"), f"{APPOINTMENT}other:{ref}"),))


def describe(tr: Translator, appointment: AppointmentRecord) -> str:
    """The appointment's facts, one per line, in the client's language."""
    _ = tr.gettext
    lines = [tr.format(_("🕙 {when}"), when=tr.datetime(appointment.starts_at)),
             tr.format(_("📍 {where}"), where=AppointmentBook.where(appointment, tr))]
    if appointment.with_whom:
        lines.append(tr.format(_("👤 {name}"), name=appointment.with_whom))
    return "\n".join(lines)


def calendar_event(tr: Translator, appointment: AppointmentRecord,
                   programme: str) -> CalendarEvent:
    return CalendarEvent(
        uid=f"appointment-{appointment.id}@werkmaat",
        starts_at=appointment.starts_at,
        ends_at=appointment.starts_at + timedelta(minutes=appointment.duration_minutes),
        title=f"{tr.gettext(KIND_NAMES[appointment.kind])} – {programme}",
        location=AppointmentBook.where(appointment, tr),
        description=appointment.with_whom, sequence=appointment.version - 1)


def client_address(uow: UnitOfWork, client: ClientRecord) -> ClientKey | None:
    """Where a client can be reached without them writing first: Telegram, else the web chat."""
    channels = {i.channel: i.external_id for i in uow.clients.identities(client.id)}
    for name in CHANNEL_PREFERENCE:
        if name.value in channels:
            return ClientKey(name, channels[name.value])
    return None


def render_appointment(uow: UnitOfWork, row: ScheduledMessageRecord,
                       settings: DialogueSettings, now: datetime) -> Rendered:
    client = uow.clients.get(row.client_id)
    if client is None:
        return Rendered(skip="client gone")
    appointment = uow.appointments.get(row.appointment_id) if row.appointment_id else None
    if appointment is None:
        return Rendered(skip="appointment gone")
    if row.kind in TO_CLIENT:
        return _to_client(uow, row, client, appointment, settings)
    if appointment.version != row.details.get("version") or not appointment.status.upcoming:
        return Rendered(skip="appointment changed")
    staff = Translator(settings.staff_language, settings.timezone)
    name = client.first_name or f"#{client.id}"
    when = staff.datetime(appointment.starts_at)
    if row.kind == ScheduledKind.APPOINTMENT_START:
        if appointment.status != AppointmentStatus.PLANNED:
            return Rendered(skip="answered")
        summary = staff.format(staff.gettext(N_(
            "⏳ {name} heeft niet geantwoord op de herinneringen voor de afspraak van {when}. "
            "Komt de cliënt?")), name=name, when=when)
        return Rendered(tasks=[_task(TaskKind.APPOINTMENT_NO_ANSWER, summary, row, appointment,
                                     now)], actions=[()])
    summary = staff.format(staff.gettext(N_(
        "📋 De afspraak met {name} van {when} is voorbij. Was de cliënt er?")),
        name=name, when=when)
    ref = f"{appointment.id}:{appointment.version}"
    actions = (Button(staff.gettext(N_("✅ Was er")), f"{DESK_APPOINTMENT}attended:{ref}"),
               Button(staff.gettext(N_("❌ Niet gekomen")), f"{DESK_APPOINTMENT}noshow:{ref}"))
    return Rendered(tasks=[_task(TaskKind.APPOINTMENT_OUTCOME, summary, row, appointment, now)],
                    actions=[actions])


def reachable(uow: UnitOfWork, client: ClientRecord) -> ClientKey | str:
    """Where to send a client a message we start, or why not."""
    if not client.reachable:
        return "client blocked the bot"
    if client.consent != ConsentState.GRANTED:
        return "no consent"
    return client_address(uow, client) or "no channel to reach the client"


def _to_client(uow: UnitOfWork, row: ScheduledMessageRecord, client: ClientRecord,
               appointment: AppointmentRecord, settings: DialogueSettings) -> Rendered:
    address = reachable(uow, client)
    if isinstance(address, str):
        return Rendered(skip=address)
    tr = Translator(client.language, settings.timezone)
    _ = tr.gettext
    kind = _(KIND_NAMES[appointment.kind])
    if row.kind == ScheduledKind.APPOINTMENT_CANCELLED:
        if appointment.status != AppointmentStatus.CANCELLED:
            return Rendered(skip="not cancelled after all")
        text = tr.format(_("📅 Je afspraak ({kind}) van {when} gaat niet door. "
                           "Je begeleider neemt contact op voor een nieuwe afspraak."),
                         kind=kind, when=tr.datetime(appointment.starts_at))
        return Rendered(address, [Outgoing(text, language=tr.code, rtl=tr.rtl)])
    if appointment.version != row.details.get("version") or not appointment.status.upcoming:
        return Rendered(skip="appointment changed")
    if row.kind == ScheduledKind.APPOINTMENT_NOTICE:
        head = (tr.format(_("📅 Je afspraak is verplaatst: {kind}"), kind=kind)
                if appointment.version > 1
                else tr.format(_("📅 Je hebt een nieuwe afspraak: {kind}"), kind=kind))
        text = f"{head}\n{describe(tr, appointment)}\n\n{_('Kun je komen?')}"
        return Rendered(address, [Outgoing(
            text, answer_buttons(tr, appointment), tr.code, tr.rtl,
            calendar=calendar_event(tr, appointment, settings.programme_name))])
    head = tr.format(_("⏰ Herinnering: {kind}"), kind=kind)
    question = (_("Je liet weten dat je komt. Tot dan!")
                if appointment.status == AppointmentStatus.CONFIRMED else _("Kun je komen?"))
    text = f"{head}\n{describe(tr, appointment)}\n\n{question}"
    return Rendered(address, [Outgoing(text, answer_buttons(tr, appointment), tr.code, tr.rtl)])


def _task(kind: TaskKind, summary: str, row: ScheduledMessageRecord,
          appointment: AppointmentRecord, now: datetime) -> TaskRecord:
    return TaskRecord(kind=kind, summary=summary, created_at=now, client_id=row.client_id,
                      case_id=appointment.case_id)


def alert_for(task: TaskRecord, actions: tuple[Button, ...] = ()) -> CounselorAlert:
    return CounselorAlert(task.id, task.summary, task.client_id, False, actions)
