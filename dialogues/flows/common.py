"""What every flow may say: help, the crisis answer, where else to go, yes/no understanding."""

from __future__ import annotations

import re
import unicodedata

from dialogues.i18n import N_
from dialogues.messages import Button
from dialogues.office_hours import OfficeHours
from dialogues.state import Step
from dialogues.turn import Turn
from storage.records import EscalationReason, TaskPriority

HUMAN = "menu:human"
HELP = "menu:help"
LANGUAGE = "menu:language"
RIGHTS_CHECK = "rights:check"  # the guided rights check (dialogues.flows.rights)

_YES = {"ja", "jaa", "jep", "ok", "oke", "oké", "okay", "yes", "yeah", "yep", "oui", "si", "sí",
        "da", "да", "так", "evet", "tak", "áno", "ano", "haa", "haan", "نعم", "اي", "ايه", "آره",
        "بله", "هو", "ሓቂ", "እወ", "wakha", "iyo", "👍", "✅"}
_NO = {"nee", "neen", "no", "non", "nein", "nope", "нет", "ні", "не", "hayır", "hayir", "nie",
       "nu", "maya", "لا", "نه", "نخیر", "نە", "ኣይፋል", "ኣይ", "la2", "👎", "❌"}


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFC", text.strip().casefold())
    return re.sub(r"[\s.!?,،؟]+$", "", text)


def yes_or_no(turn: Turn) -> str | None:
    """'yes', 'no' or None, from the NLU's affirm/deny or a short list of words in our languages."""
    folded = _fold(turn.text)
    if folded in _YES:
        return "yes"
    if folded in _NO:
        return "no"
    parse = turn.parse
    if parse and parse.confidence >= turn.settings.nlu_confidence_threshold:
        if parse.intent == "affirm":
            return "yes"
        if parse.intent == "deny":
            return "no"
    return None


def menu_buttons(turn: Turn) -> list[list[Button]]:
    _ = turn.tr.gettext
    return [[Button(_("👤 Praten met een persoon"), HUMAN)],
            [Button(_("📋 Mijn rechten"), RIGHTS_CHECK)],
            [Button(_("❓ Hulp"), HELP), Button(_("🌐 Taal"), LANGUAGE)]]


def send_help(turn: Turn) -> None:
    _ = turn.tr.gettext
    turn.say(turn.tr.format(
        _("Ik ben de chat-assistent van {programme}.\n"
          "Ik stel vragen met knoppen. Tik op een knop of typ je antwoord.\n\n"
          "/start – opnieuw beginnen\n"
          "/language – een andere taal kiezen\n"
          "/help – deze uitleg\n"
          "/stop – stoppen met de vragen\n"
          "/mydata – zien wat we over jou bewaren\n"
          "/delete – je gegevens wissen\n\n"
          "Wil je met een persoon praten? Zeg het, dan geef ik het door."),
        programme=turn.settings.programme_name))


def send_referrals(turn: Turn) -> None:
    """Where else to go: never a dead end."""
    _ = turn.tr.gettext
    turn.say(_("Je kunt ook hier terecht:\n"
               "• VDAB – hulp bij werk zoeken en opleidingen. Gratis nummer 0800 30 700, "
               "www.vdab.be\n"
               "• OCMW of Sociaal Huis van je gemeente – hulp bij geld, wonen en papieren\n"
               "• CAW – gratis hulp bij alle vragen en problemen. Gratis nummer 0800 13 500, "
               "www.caw.be"))


def send_crisis_help(turn: Turn) -> None:
    """Emergency numbers at once, and an urgent task for a counselor, in any state."""
    _ = turn.tr.gettext
    turn.say(_("Je bent niet alleen. Hulp is er nu, dag en nacht:\n"
               "🚨 Gevaar of geweld: bel 112\n"
               "💬 Zelfmoordlijn: bel 1813 (gratis)\n"
               "📞 Tele-Onthaal: bel 106 (gratis)\n"
               "🏠 Geen slaapplaats of hulp nodig: CAW, gratis nummer 0800 13 500\n\n"
               "Ik vraag ook meteen aan een begeleider om contact met je op te nemen."),
             [[Button(_("👤 Praten met een persoon"), HUMAN)]])
    turn.escalate(EscalationReason.CRISIS,
                  turn.staff.gettext(N_("DRINGEND: een cliënt schreef iets dat op een crisis "
                                        "wijst. Neem zo snel mogelijk contact op.")),
                  TaskPriority.URGENT)


def tell_when_a_person_answers(turn: Turn) -> None:
    """Outside office hours (evenings, weekends, Belgian holidays): say when people are back."""
    hours = OfficeHours(turn.settings.office_hours, turn.settings.timezone)
    if hours.is_open(turn.now):
        return
    _ = turn.tr.gettext
    when = turn.tr.datetime(hours.next_opening(turn.now))
    turn.say(turn.tr.format(_("Onze begeleiders werken nu niet. Een begeleider leest je bericht "
                              "vanaf {when}."), when=when))


def request_human(turn: Turn) -> None:
    """The client asked for a person: an escalation, and when to expect an answer."""
    reason = (EscalationReason.NOT_ELIGIBLE if turn.step == Step.NOT_ELIGIBLE
              else EscalationReason.ASKED_FOR_PERSON)
    turn.escalate(reason, turn.staff.gettext(N_("Een cliënt vraagt om met een persoon te "
                                                "praten.")))
    days = turn.settings.response_working_days
    turn.say(turn.tr.format(
        turn.tr.ngettext("Ik heb je vraag doorgegeven. Een begeleider neemt binnen {days} "
                         "werkdag contact met je op.",
                         "Ik heb je vraag doorgegeven. Een begeleider neemt binnen {days} "
                         "werkdagen contact met je op.", days),
        days=days))
    tell_when_a_person_answers(turn)
