"""A client answers about an appointment: by the buttons under a notice or a reminder, or in
their own words ("ik kan morgen niet", "can we do Friday at 10", "wanneer is mijn afspraak").

Every answer reaches the counselor as a task; a proposed time comes with a button to accept it.
Buttons carry the appointment's version: a button under a message about an older time is
answered with the appointment as it stands now.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from dialogues.appointments import KIND_NAMES, next_appointment
from dialogues.flows.common import menu_buttons
from dialogues.i18n import N_
from dialogues.ids import parse_id
from dialogues.messages import Button
from dialogues.scheduled_messages import (
    APPOINTMENT,
    DESK_APPOINTMENT,
    answer_buttons,
    describe,
)
from dialogues.state import Step
from dialogues.turn import StepHandler, Turn
from nlu.dates import parse_when
from storage.records import AppointmentRecord, AppointmentStatus, TaskKind

NO_OTHER = "appt-none"  # "no other time, thanks" / "let my counselor choose"
INTENTS = {"appointment_confirm", "appointment_cancel", "appointment_reschedule",
           "appointment_query"}


def answer_button(turn: Turn) -> None:
    """appt:<yes|no|other>:<id>:<version> (or appt-none), from any step."""
    _ = turn.tr.gettext
    if turn.incoming.payload == NO_OTHER:
        if turn.step == Step.APPOINTMENT_PROPOSAL:
            answer_proposal(turn)
        else:
            turn.say(_("Goed. Je begeleider neemt contact met je op."), menu_buttons(turn))
        return
    parts = turn.incoming.payload.removeprefix(APPOINTMENT).split(":")
    appointment = None
    numbers = [parse_id(p) for p in parts[1:]] if len(parts) == 3 else []
    if len(numbers) == 2 and numbers[0] is not None and numbers[1] is not None:
        appointment = turn.uow.appointments.get(numbers[0])
    if appointment is None or appointment.client_id != turn.client.id:
        turn.say(_("Die knop werkt niet meer. Kies een van de knoppen hieronder."))
        turn.reprompt()
        return
    if not appointment.status.upcoming or appointment.starts_at <= turn.now:
        turn.say(_("Die afspraak is voorbij of gaat niet door."))
        turn.reprompt()
        return
    if numbers[1] != appointment.version:
        turn.say(turn.tr.format(_("Je afspraak is intussen verplaatst. Dit is het nieuwe "
                                  "moment:\n{details}"), details=describe(turn.tr, appointment)))
        turn.say(_("Kun je komen?"), answer_buttons(turn.tr, appointment))
        return
    act(turn, appointment, parts[0])


def act(turn: Turn, appointment: AppointmentRecord, answer: str) -> None:
    if answer == "yes":
        confirm(turn, appointment)
    elif answer == "no":
        cannot_come(turn, appointment)
    elif answer == "other":
        ask_for_time(turn, appointment)
    else:
        turn.reprompt()


def confirm(turn: Turn, appointment: AppointmentRecord) -> None:
    _ = turn.tr.gettext
    first = appointment.status != AppointmentStatus.CONFIRMED
    _set(turn, appointment, AppointmentStatus.CONFIRMED)
    if first:
        _tell_counselor(turn, appointment, N_("✅ {name} komt naar de afspraak van {when}."))
    turn.say(turn.tr.format(_("Fijn! Tot {when}."), when=turn.tr.datetime(appointment.starts_at)),
             menu_buttons(turn))
    turn.conversation.step = Step.REGISTERED


def cannot_come(turn: Turn, appointment: AppointmentRecord) -> None:
    _ = turn.tr.gettext
    _set(turn, appointment, AppointmentStatus.CANCEL_REQUESTED)
    _tell_counselor(turn, appointment, N_("❌ {name} kan niet komen naar de afspraak van "
                                          "{when}."))
    ref = f"{appointment.id}:{appointment.version}"
    turn.say(_("Dank je om het te laten weten. Ik zeg het aan je begeleider. "
               "Wil je een ander moment voorstellen?"),
             [[Button(_("🕒 Een ander moment"), f"{APPOINTMENT}other:{ref}")],
              [Button(_("Nee, bedankt"), NO_OTHER)]])
    turn.conversation.step = Step.REGISTERED


def ask_for_time(turn: Turn, appointment: AppointmentRecord) -> None:
    turn.conversation.appointment_id = appointment.id
    turn.go(Step.APPOINTMENT_PROPOSAL)


def prompt_proposal(turn: Turn) -> None:
    _ = turn.tr.gettext
    turn.say(_("Welke dag en welk uur passen jou? Typ het, bijvoorbeeld: donderdag om 10 uur."),
             [[Button(_("Laat mijn begeleider kiezen"), NO_OTHER)]])


def answer_proposal(turn: Turn) -> None:
    _ = turn.tr.gettext
    appointment = turn.uow.appointments.get(turn.conversation.appointment_id)
    if appointment is None or not appointment.status.upcoming:
        turn.conversation.step = Step.REGISTERED
        turn.say(_("Die afspraak is voorbij of gaat niet door."), menu_buttons(turn))
        return
    if turn.incoming.payload == NO_OTHER:
        _tell_counselor(turn, appointment, N_("🕒 {name} wil een ander moment dan {when} en "
                                              "laat de keuze aan de begeleider."))
        _set(turn, appointment, AppointmentStatus.RESCHEDULE_REQUESTED)
        turn.conversation.step = Step.REGISTERED
        turn.say(_("Goed. Je begeleider stelt een nieuw moment voor."), menu_buttons(turn))
        return
    when = proposed_time(turn, appointment)
    if when is None:
        turn.conversation.unclear += 1
        if turn.conversation.unclear >= 2:
            _tell_counselor(turn, appointment, N_("🕒 {name} wil een ander moment dan {when} "
                                                  "en schreef: {text}"), text=turn.text[:300])
            _set(turn, appointment, AppointmentStatus.RESCHEDULE_REQUESTED)
            turn.conversation.step = Step.REGISTERED
            turn.conversation.unclear = 0
            turn.say(_("Ik geef je bericht door aan je begeleider. "
                       "Je begeleider stelt een nieuw moment voor."), menu_buttons(turn))
            return
        turn.say(_("Ik vond geen dag en uur in je bericht. Probeer het zo: "
                   "donderdag om 10 uur."))
        return
    propose(turn, appointment, when)


def propose(turn: Turn, appointment: AppointmentRecord, when: datetime) -> None:
    """A time the client asks for goes to the counselor, with a button to accept it."""
    _ = turn.tr.gettext
    appointment.proposed_at = when
    _set(turn, appointment, AppointmentStatus.RESCHEDULE_REQUESTED)
    staff = turn.staff
    ref = f"{appointment.id}:{appointment.version}"
    _tell_counselor(turn, appointment,
                    N_("🕒 {name} vraagt de afspraak van {when} te verplaatsen naar {proposal}."),
                    proposal=staff.datetime(when),
                    actions=(Button(staff.format(staff.gettext(N_("✅ Verplaats naar {when}")),
                                                 when=staff.datetime(when)),
                                    f"{DESK_APPOINTMENT}accept:{ref}"),))
    turn.conversation.step = Step.REGISTERED
    turn.conversation.unclear = 0
    turn.say(turn.tr.format(_("Ik vraag aan je begeleider of {when} kan. "
                              "Je begeleider laat het je weten."), when=turn.tr.datetime(when)),
             menu_buttons(turn))


def proposed_time(turn: Turn, appointment: AppointmentRecord | None = None) -> datetime | None:
    """A future moment the client named in free text ('kan het vrijdag om 10u'), if any.

    About an appointment, half a moment is enough: a day alone ("kan het donderdag?") keeps
    the appointment's hour, an hour alone ("om 14u") keeps its day; the counselor decides.
    """
    if not turn.text:
        return None
    tz = ZoneInfo(turn.settings.timezone)
    proposal = parse_when(turn.text, turn.client.language, turn.now, tz)
    if proposal is None:
        return None
    when = proposal.resolve(tz)
    if when is None and appointment is not None:
        current = appointment.starts_at.astimezone(tz)
        if proposal.date is not None:
            when = _wall(datetime.combine(proposal.date, current.time()), tz)
        elif proposal.time is not None:
            when = _wall(datetime.combine(current.date(), proposal.time), tz)
    if when is None or when <= turn.now:
        return None
    if appointment is not None and when == appointment.starts_at:
        return None
    return when


def _wall(naive: datetime, tz: ZoneInfo) -> datetime:
    return naive.replace(tzinfo=tz).astimezone(UTC).astimezone(tz)


def respond_intent(turn: Turn, intent: str) -> bool:
    """Free text about the next appointment; False when the client has none (the caller goes
    on as for any question)."""
    _ = turn.tr.gettext
    appointment = next_appointment(turn.uow, turn.client.id, turn.now)
    if appointment is None:
        if intent == "appointment_query":
            turn.say(_("Je hebt nu geen afspraak gepland. Wil je er een? "
                       "Vraag het aan je begeleider."), menu_buttons(turn))
            return True
        return False
    if intent == "appointment_query":
        kind = _(KIND_NAMES[appointment.kind])
        turn.say(turn.tr.format(_("Je volgende afspraak: {kind}\n{details}"), kind=kind,
                                details=describe(turn.tr, appointment)),
                 answer_buttons(turn.tr, appointment))
    elif intent == "appointment_confirm":
        confirm(turn, appointment)
    elif intent == "appointment_cancel":
        when = proposed_time(turn)  # only a whole new moment: "morgen niet, wel vrijdag om 10"
        if when is not None and when.date() != appointment.starts_at.date():
            propose(turn, appointment, when)  # "not tomorrow, but Friday at 10"
        else:
            cannot_come(turn, appointment)
    else:
        when = proposed_time(turn, appointment)
        if when is not None:
            propose(turn, appointment, when)
        else:
            ask_for_time(turn, appointment)
    return True


def _set(turn: Turn, appointment: AppointmentRecord, status: AppointmentStatus) -> None:
    appointment.status, appointment.answered_at = status, turn.now
    appointment.client_answer, appointment.updated_at = status, turn.now
    turn.uow.appointments.save(appointment)


def _tell_counselor(turn: Turn, appointment: AppointmentRecord, template: str,
                    actions: tuple[Button, ...] = (), **values: object) -> None:
    staff = turn.staff
    summary = staff.format(staff.gettext(template), name=turn.client.first_name or
                           f"#{turn.client.id}", when=staff.datetime(appointment.starts_at),
                           **values)
    turn.add_task(TaskKind.APPOINTMENT_ANSWER, summary, case_id=appointment.case_id,
                  actions=actions)


HANDLERS: dict[Step, StepHandler] = {
    Step.APPOINTMENT_PROPOSAL: StepHandler(prompt_proposal, answer_proposal, (NO_OTHER,)),
}
