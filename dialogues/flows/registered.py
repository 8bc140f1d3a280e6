"""A registered client writing freely: small talk, a person, or a question for the counselor.

Later flows (appointments, rights, after-care) take over their intents; until they do, every
question reaches the counselor as a task, so nothing a client asks is lost.
"""

from __future__ import annotations

from datetime import datetime

from dialogues.flows import appointment_answers, nazorg_answers, rights
from dialogues.flows.appointment_answers import proposed_time
from dialogues.flows.common import (
    HUMAN,
    menu_buttons,
    request_human,
    send_crisis_help,
    tell_when_a_person_answers,
)
from dialogues.i18n import N_
from dialogues.intent_labels import INTENT_LABELS
from dialogues.messages import Button
from dialogues.state import Step
from dialogues.turn import StepHandler, Turn
from storage.records import EscalationReason, TaskKind

SMALL_TALK = {"greet", "thanks", "goodbye", "affirm", "deny"}
SENSITIVE = {"document_help", "job_problem", "job_lost"}  # a person should look at these


def prompt_registered(turn: Turn) -> None:
    _ = turn.tr.gettext
    turn.say(_("Waarmee kan ik je helpen? Typ je vraag of kies een knop."), menu_buttons(turn))


CLARIFY_MIN = 0.12  # a meaning below this is not worth offering as a button
MEANT = "meant:"


def clarify(turn: Turn) -> None:
    """Not sure: offer the two likeliest meanings; the second time in a row, a person."""
    _ = turn.tr.gettext
    parse = turn.parse
    turn.conversation.unclear += 1
    if turn.conversation.unclear >= 2:
        turn.conversation.unclear = 0
        turn.escalate(EscalationReason.UNCLEAR,
                      turn.staff.gettext(N_("De bot begreep de cliënt twee keer niet.")))
        turn.say(_("Ik begrijp je niet goed. Ik vraag een begeleider om je verder te helpen."),
                 menu_buttons(turn))
        tell_when_a_person_answers(turn)
        return
    options = [s.intent for s in (parse.ranking if parse else ())
               if s.intent in INTENT_LABELS and s.confidence >= CLARIFY_MIN][:2]
    if options:
        buttons = [[Button(_(INTENT_LABELS[i]), MEANT + i)] for i in options]
        buttons.append([Button(_("💬 Iets anders"), HUMAN)])
        turn.say(_("Ik ben niet zeker dat ik je begrijp. Bedoel je dit?"), buttons)
    else:
        turn.say(_("Sorry, dat begrijp ik niet goed. Kun je het anders zeggen? "
                   "Of kies een knop."), menu_buttons(turn))


def answer_registered(turn: Turn) -> None:
    parse = turn.parse
    if turn.incoming.payload.startswith(MEANT):
        intent = turn.incoming.payload.removeprefix(MEANT)
        if intent in INTENT_LABELS:
            turn.conversation.unclear = 0
            respond(turn, intent)
            return
    if parse is None or not turn.text:
        turn.reprompt()
        return
    confident = parse.confidence >= turn.settings.nlu_confidence_threshold
    if not confident or parse.intent == "out_of_scope":
        if not rights.second_chance(turn):
            clarify(turn)
        return
    turn.conversation.unclear = 0
    respond(turn, parse.intent)


def respond(turn: Turn, intent: str) -> None:
    """What the bot does for a registered client who means `intent`."""
    _ = turn.tr.gettext
    name = turn.client.first_name
    if intent == "greet":
        turn.say(turn.tr.format(_("Dag {name}! Waarmee kan ik je helpen?"), name=name),
                 menu_buttons(turn))
    elif intent == "thanks":
        turn.say(_("Graag gedaan! 🙂"))
    elif intent == "goodbye":
        turn.say(turn.tr.format(_("Tot ziens, {name}! Je kunt me altijd weer schrijven."),
                                name=name))
    elif intent in ("affirm", "deny"):
        prompt_registered(turn)
    elif intent == "ask_human":
        request_human(turn)
    elif intent == "urgent_help":
        send_crisis_help(turn)
    elif intent == "change_language":
        turn.conversation.resume = Step.REGISTERED
        turn.go(Step.CHOOSE_LANGUAGE)
    elif taken_by_a_flow(turn, intent):
        pass
    elif intent == "appointment_reschedule" and (when := proposed_time(turn)) is not None:
        pass_on_proposal(turn, when)
    elif intent in SENSITIVE:
        staff = turn.staff
        turn.escalate(EscalationReason.SENSITIVE,
                      staff.format(staff.gettext(N_("Gevoelige vraag (onderwerp: {topic}).")),
                                   topic=intent))
        turn.say(_("Die vraag geef ik door aan je begeleider. "
                   "Je begeleider antwoordt zo snel mogelijk."), menu_buttons(turn))
        tell_when_a_person_answers(turn)
    else:
        pass_on_question(turn, intent)


def taken_by_a_flow(turn: Turn, intent: str) -> bool:
    """Appointments, after-care and rights answer their own intents when they can (a client
    with an appointment, with a job, a question the content base covers)."""
    for flow in (appointment_answers, nazorg_answers, rights):
        if intent in flow.INTENTS and flow.respond_intent(turn, intent):
            return True
    return False


def pass_on_proposal(turn: Turn, when: datetime) -> None:
    """Another time for an appointment: the counselor decides, the client hears so."""
    _ = turn.tr.gettext
    staff = turn.staff
    turn.add_task(TaskKind.CLIENT_QUESTION,
                  staff.format(staff.gettext(N_("{name} vraagt een ander moment voor de "
                                                "afspraak en stelt voor: {when}.")),
                               name=turn.client.first_name, when=staff.datetime(when)))
    turn.say(turn.tr.format(_("Ik vraag aan je begeleider of {when} kan. "
                              "Je begeleider laat het je weten."), when=turn.tr.datetime(when)),
             menu_buttons(turn))


def pass_on_question(turn: Turn, intent: str) -> None:
    """What the bot cannot answer itself goes to the counselor; nothing is lost."""
    _ = turn.tr.gettext
    staff = turn.staff
    turn.add_task(TaskKind.CLIENT_QUESTION,
                  staff.format(staff.gettext(N_("Vraag van {name} (onderwerp: {topic}). "
                                                "Lees het bericht in het dossier.")),
                               name=turn.client.first_name, topic=intent))
    turn.say(_("Die vraag geef ik door aan je begeleider. "
               "Je begeleider antwoordt zo snel mogelijk."), menu_buttons(turn))


HANDLERS: dict[Step, StepHandler] = {
    Step.REGISTERED: StepHandler(prompt_registered, answer_registered, (MEANT,)),
}
