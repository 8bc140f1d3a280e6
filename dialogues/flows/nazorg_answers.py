"""A client answers "how is work going?": good, so-so, or problems → what kind → a few words →
their counselor. Free text works too (`job_going_well`, `job_problem`, `job_lost`).

A lost job puts the case back in active guidance and tells the counselor at once.
"""

from __future__ import annotations

from dialogues.flows.common import menu_buttons, tell_when_a_person_answers
from dialogues.i18n import N_
from dialogues.ids import parse_id
from dialogues.messages import Button
from dialogues.nazorg import CONTRACT_NAMES, PROBLEM_NAMES, active_job, end_job
from dialogues.nazorg_messages import NAZORG
from dialogues.state import Step
from dialogues.turn import StepHandler, Turn
from storage.records import CheckinAnswer, CheckinRecord, EscalationReason, JobRecord

PROBLEMS = {
    "pay": N_("💶 Loon of contract"),
    "hours": N_("🕒 Uren"),
    "people": N_("👥 Collega's of baas"),
    "language": N_("🗣 Taal op het werk"),
    "transport": N_("🚌 Vervoer"),
    "childcare": N_("👶 Kinderopvang"),
    "health": N_("🩺 Gezondheid"),
    "ended": N_("🚪 Mijn job is gestopt"),
}
NO_NOTE = f"{NAZORG}nonote"
TALK = f"{NAZORG}talk"
FINE = f"{NAZORG}fine"
INTENTS = {"job_going_well", "job_problem", "job_lost"}


def answer_button(turn: Turn) -> None:
    """Any nz: button, from any step."""
    _ = turn.tr.gettext
    payload = turn.incoming.payload
    if payload.startswith(f"{NAZORG}kind:") or payload == NO_NOTE:
        handler = {Step.NAZORG_PROBLEM: answer_problem, Step.NAZORG_NOTE: answer_note}
        if turn.step in handler:
            handler[turn.step](turn)
        else:
            turn.say(_("Die knop werkt niet meer. Kies een van de knoppen hieronder."))
            turn.reprompt()
        return
    if payload == TALK:
        _escalate(turn, turn.staff.gettext(
            N_("Nazorg: de cliënt zegt dat het werk maar matig gaat en wil praten.")))
        return
    if payload == FINE:
        turn.say(_("Goed. Schrijf me gerust als er iets is."), menu_buttons(turn))
        return
    parts = payload.removeprefix(NAZORG).split(":")
    job = None
    numbers = [parse_id(p) for p in parts[1:]] if len(parts) == 3 else []
    if len(numbers) == 2 and numbers[0] is not None:
        job = turn.uow.jobs.get(numbers[0])
    if job is None or job.client_id != turn.client.id or not job.active or numbers[1] is None:
        turn.say(_("Die knop werkt niet meer. Kies een van de knoppen hieronder."))
        turn.reprompt()
        return
    answer(turn, job, numbers[1], parts[0])


def answer(turn: Turn, job: JobRecord, number: int, kind: str) -> None:
    _ = turn.tr.gettext
    turn.conversation.job_id, turn.conversation.checkin = job.id, number
    if kind == "good":
        _record(turn, job, number, CheckinAnswer.GOOD)
        turn.conversation.step = Step.REGISTERED
        turn.say(_("Fijn om te horen! Veel succes op je werk. 💪"), menu_buttons(turn))
    elif kind == "soso":
        _record(turn, job, number, CheckinAnswer.SO_SO)
        turn.conversation.step = Step.REGISTERED
        turn.say(_("Dank je om het te zeggen. Wil je erover praten met je begeleider?"),
                 [[Button(_("💬 Ja, graag"), TALK)], [Button(_("Nee, het gaat"), FINE)]])
    elif kind == "problem":
        _record(turn, job, number, CheckinAnswer.PROBLEM)
        turn.go(Step.NAZORG_PROBLEM)
    else:
        turn.reprompt()


def prompt_problem(turn: Turn) -> None:
    _ = turn.tr.gettext
    turn.say(_("Vervelend. Waar gaat het over?"),
             [[Button(_(label), f"{NAZORG}kind:{key}")] for key, label in PROBLEMS.items()])


def answer_problem(turn: Turn) -> None:
    payload = turn.incoming.payload
    kind = payload.removeprefix(f"{NAZORG}kind:") if payload.startswith(NAZORG) else ""
    if kind not in PROBLEMS:
        if turn.parse is not None and turn.parse.intent == "job_lost":
            kind = "ended"
        elif turn.text:  # in their own words: that is the message for the counselor
            turn.conversation.problem = "other"
            _update_checkin(turn, problem="other", note=turn.text)
            _pass_on(turn, turn.text)
            return
        else:
            turn.reprompt()
            return
    turn.conversation.problem = kind
    if kind == "ended":
        lost_job(turn)
        return
    _update_checkin(turn, problem=kind)
    turn.go(Step.NAZORG_NOTE)


def prompt_note(turn: Turn) -> None:
    _ = turn.tr.gettext
    turn.say(_("Wil je er iets over vertellen? Schrijf een kort bericht voor je begeleider, "
               "of druk op de knop."), [[Button(_("➡️ Doorsturen zonder bericht"), NO_NOTE)]])


def answer_note(turn: Turn) -> None:
    note = "" if turn.incoming.payload == NO_NOTE else turn.text
    if note:
        _update_checkin(turn, note=note)
    _pass_on(turn, note)


def lost_job(turn: Turn) -> None:
    """The job ended: back to active guidance, the counselor told at once."""
    _ = turn.tr.gettext
    job = turn.uow.jobs.get(turn.conversation.job_id) or active_job(turn.uow, turn.client.id)
    if job is not None and job.active:
        if turn.conversation.checkin:
            _record(turn, job, turn.conversation.checkin, CheckinAnswer.JOB_LOST)
        end_job(turn.uow, job, "lost", turn.now)
    staff = turn.staff
    _escalate(turn, staff.format(staff.gettext(N_(
        "Nazorg: de job van {name} is gestopt ({contract}, {employer}). Het dossier is terug "
        "in actieve begeleiding.")), name=turn.client.first_name or f"#{turn.client.id}",
        contract=staff.gettext(CONTRACT_NAMES[job.contract]) if job else "—",
        employer=(job.employer if job else "") or "—"),
        _("Wat spijtig dat je job gestopt is. Ik laat het meteen weten aan je begeleider, "
          "die helpt je verder."))


def respond_intent(turn: Turn, intent: str) -> bool:
    """Free text about work from a client in after-care; False when they have no job."""
    _ = turn.tr.gettext
    job = active_job(turn.uow, turn.client.id)
    if job is None:
        return False
    checkins = list(turn.uow.checkins.for_job(job.id))
    number = checkins[-1].number if checkins else 0
    turn.conversation.job_id, turn.conversation.checkin = job.id, number
    if intent == "job_lost":
        lost_job(turn)
    elif intent == "job_problem":
        if number:
            _record(turn, job, number, CheckinAnswer.PROBLEM)
        turn.go(Step.NAZORG_PROBLEM)
    else:
        if number:
            _record(turn, job, number, CheckinAnswer.GOOD)
        turn.say(_("Fijn om te horen! Veel succes op je werk. 💪"), menu_buttons(turn))
    return True


# ---- helpers --------------------------------------------------------------------------------

def _pass_on(turn: Turn, note: str) -> None:
    staff = turn.staff
    job = turn.uow.jobs.get(turn.conversation.job_id)
    problem = turn.conversation.problem
    summary = staff.format(staff.gettext(N_(
        "Nazorg, check-in {number}: {name} meldt problemen op het werk: {problem} ({contract}, "
        "{employer}).")), number=turn.conversation.checkin or "—",
        name=turn.client.first_name or f"#{turn.client.id}",
        problem=staff.gettext(PROBLEM_NAMES.get(problem,
                                                          PROBLEM_NAMES["other"])),
        contract=staff.gettext(CONTRACT_NAMES[job.contract]) if job else "—",
        employer=(job.employer if job else "") or "—")
    if note:
        summary += "\n" + staff.format(staff.gettext(N_("Bericht: {text}")), text=note[:500])
    _escalate(turn, summary)


def _escalate(turn: Turn, summary: str, told: str = "") -> None:
    """The escalation brings its task: the counselor hears at once, with the summary."""
    _ = turn.tr.gettext
    turn.escalate(EscalationReason.FLOW_EVENT, summary)
    turn.conversation.step = Step.REGISTERED
    turn.conversation.problem = ""
    turn.say(told or _("Ik geef het door aan je begeleider. Je begeleider neemt contact met je "
                       "op."), menu_buttons(turn))
    tell_when_a_person_answers(turn)


def _checkin(turn: Turn, job: JobRecord, number: int) -> CheckinRecord | None:
    for checkin in turn.uow.checkins.for_job(job.id):
        if checkin.number == number:
            return checkin
    return None


def _record(turn: Turn, job: JobRecord, number: int, answer: CheckinAnswer) -> None:
    checkin = _checkin(turn, job, number)
    if checkin is None:
        return
    checkin.answer, checkin.answered_at = answer, turn.now
    turn.uow.checkins.save(checkin)


def _update_checkin(turn: Turn, problem: str = "", note: str = "") -> None:
    job = turn.uow.jobs.get(turn.conversation.job_id)
    checkin = _checkin(turn, job, turn.conversation.checkin) if job else None
    if checkin is None:
        return
    checkin.problem = problem or checkin.problem
    checkin.note = note[:2000] or checkin.note
    turn.uow.checkins.save(checkin)


HANDLERS: dict[Step, StepHandler] = {
    Step.NAZORG_PROBLEM: StepHandler(prompt_problem, answer_problem, (f"{NAZORG}kind:",)),
    Step.NAZORG_NOTE: StepHandler(prompt_note, answer_note, (NO_NOTE,)),
}
