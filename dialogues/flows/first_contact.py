"""First contact: language, welcome and consent, eligibility screening, intake, registration.

All by buttons, with free text where it is natural (a name, a phone number, 'yes').
"""

from __future__ import annotations

import difflib
import re

from dialogues.flows.common import (
    HUMAN,
    menu_buttons,
    send_referrals,
    yes_or_no,
)
from dialogues.i18n import N_, Translator
from dialogues.languages import LANGUAGES, match_language_name, supported
from dialogues.messages import Button
from dialogues.state import IntakeAnswers, Step
from dialogues.turn import StepHandler, Turn, column
from storage.records import (
    CaseRecord,
    ClientStatus,
    ConsentRecord,
    ConsentState,
    TaskKind,
)

CONSENT_PURPOSE = "case_registration"
AREA_OTHER = "area:other"
HELP_CHOICES = {
    "work": N_("💼 Werk zoeken"),
    "training": N_("🎓 Een opleiding"),
    "dutch": N_("🗣️ Nederlands leren"),
    "paperwork": N_("📄 Hulp met papieren"),
    "other": N_("💬 Iets anders"),
}
INTENT_TO_HELP = {"seek_work": "work", "seek_training": "training", "learn_dutch": "dutch",
                  "document_help": "paperwork"}
PHONE = re.compile(r"^\+?[\d\s./()-]{8,20}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_NAME = 60


def looks_like_phone(text: str) -> bool:
    return bool(PHONE.match(text)) and sum(ch.isdigit() for ch in text) >= 8


# ---- language -------------------------------------------------------------------------------

def prompt_language(turn: Turn) -> None:
    seen: list[str] = []
    for lang in LANGUAGES:
        line = Translator(lang.code).gettext("Kies je taal")
        if line not in seen:
            seen.append(line)
    buttons = [Button(f"{lang.native_name}", f"lang:{lang.code}") for lang in LANGUAGES]
    turn.say("🌐 " + " · ".join(seen), [buttons[i:i + 2] for i in range(0, len(buttons), 2)])


def answer_language(turn: Turn) -> None:
    code: str | None = None
    if turn.incoming.payload.startswith("lang:"):
        code = turn.incoming.payload.removeprefix("lang:")
    elif turn.text:
        code = match_language_name(turn.text)
    if not code or not supported(code):
        turn.reprompt()
        return
    turn.switch_language(code)
    resume = turn.conversation.resume
    turn.conversation.resume = None
    _ = turn.tr.gettext
    if resume is not None and resume not in (Step.START, Step.CHOOSE_LANGUAGE):
        turn.say(_("Goed, we praten verder in het Nederlands."))
        turn.go(resume)
    else:
        turn.go(Step.CONSENT)


# ---- welcome and consent --------------------------------------------------------------------

def consent_text(tr: Translator, programme: str) -> str:
    _ = tr.gettext
    return tr.format(
        _("Om je te helpen, bewaren we wat je hier vertelt: je antwoorden en je berichten.\n"
          "• Alleen de begeleiders van {programme} zien dat.\n"
          "• We gebruiken het alleen om je te helpen naar werk of een opleiding.\n"
          "• Je kunt altijd vragen wat we bewaren, of vragen om het te wissen.\n\n"
          "Ga je akkoord?"),
        programme=programme)


def prompt_consent(turn: Turn) -> None:
    _ = turn.tr.gettext
    turn.say(turn.tr.format(
        _("Welkom bij {programme}! 👋\n"
          "{programme} helpt mensen die naar België kwamen om werk of een opleiding te vinden. "
          "Een begeleider helpt je, ongeveer een jaar lang. Dat is gratis."),
        programme=turn.settings.programme_name))
    turn.say(consent_text(turn.tr, turn.settings.programme_name),
             [[Button(_("✅ Ik ga akkoord"), "consent:yes"),
               Button(_("❌ Ik ga niet akkoord"), "consent:no")]])


def answer_consent(turn: Turn) -> None:
    payload = turn.incoming.payload
    choice = {"consent:yes": "yes", "consent:no": "no"}.get(payload) or yes_or_no(turn)
    if choice is None:
        turn.reprompt()
        return
    granted = choice == "yes"
    turn.uow.consents.add(ConsentRecord(
        client_id=turn.client.id, purpose=CONSENT_PURPOSE,
        version=turn.settings.consent_version, granted=granted, language=turn.tr.code,
        text=consent_text(turn.tr, turn.settings.programme_name), created_at=turn.now))
    _ = turn.tr.gettext
    if granted:
        turn.client.consent = ConsentState.GRANTED
        turn.say(_("Dank je. Eerst een paar korte vragen."))
        turn.go(Step.AREA)
    else:
        turn.client.consent = ConsentState.DECLINED
        turn.client.status = ClientStatus.INFO_ONLY
        turn.conversation.answers = IntakeAnswers()
        turn.say(_("Dat is goed. We bewaren niets, alleen je keuze.\n"
                   "Zonder toestemming kunnen we je niet inschrijven. "
                   "Je kunt wel nog informatie krijgen."))
        send_referrals(turn)
        turn.go(Step.INFO_ONLY)


# ---- screening ------------------------------------------------------------------------------

def prompt_area(turn: Turn) -> None:
    _ = turn.tr.gettext
    places = [Button(name, f"area:{name}") for name in turn.settings.municipalities]
    layout = [places[i:i + 3] for i in range(0, len(places), 3)]
    layout.append([Button(_("📍 Ergens anders"), AREA_OTHER)])
    turn.say(_("In welke gemeente woon je?"), layout)


def match_area(text: str, municipalities: tuple[str, ...]) -> str | None:
    words = re.findall(r"[^\W\d_]+", text.casefold())
    by_fold = {m.casefold(): m for m in municipalities}
    for word in words:
        if word in by_fold:
            return by_fold[word]
    for word in words:
        close = difflib.get_close_matches(word, list(by_fold), n=1, cutoff=0.8)
        if close:
            return by_fold[close[0]]
    return None


def answer_area(turn: Turn) -> None:
    payload = turn.incoming.payload
    area: str | None
    if payload == AREA_OTHER:
        area = "other"
    elif payload.startswith("area:"):
        name = payload.removeprefix("area:")
        area = name if name in turn.settings.municipalities else None
    else:
        area = match_area(turn.text, turn.settings.municipalities) if turn.text else None
    if area is None:
        _ = turn.tr.gettext
        if turn.text:
            turn.say(_("Die gemeente ken ik niet. Kies een knop. "
                       "Woon je ergens anders? Kies dan ‘Ergens anders’."))
        turn.reprompt()
        return
    turn.conversation.answers.area = area
    turn.go(Step.NATIONALITY)


def prompt_nationality(turn: Turn) -> None:
    _ = turn.tr.gettext
    turn.say(_("Heb je nu of vroeger de nationaliteit van een land buiten de Europese Unie?"),
             [[Button(_("✅ Ja"), "nat:yes"), Button(_("❌ Nee"), "nat:no")],
              [Button(_("🤔 Ik weet het niet"), "nat:unsure")]])


def answer_nationality(turn: Turn) -> None:
    payload = turn.incoming.payload
    choice = {"nat:yes": "yes", "nat:no": "no", "nat:unsure": "unsure"}.get(payload)
    choice = choice or yes_or_no(turn)
    if choice is None:
        turn.reprompt()
        return
    turn.conversation.answers.non_eu = choice
    turn.go(Step.SEEKING)


def prompt_seeking(turn: Turn) -> None:
    _ = turn.tr.gettext
    turn.say(_("Zoek je werk of een opleiding?"),
             [[Button(_("✅ Ja"), "seek:yes"), Button(_("❌ Nee"), "seek:no")]])


def answer_seeking(turn: Turn) -> None:
    choice = {"seek:yes": "yes", "seek:no": "no"}.get(turn.incoming.payload) or yes_or_no(turn)
    if choice is None and turn.parse and turn.parse.intent in ("seek_work", "seek_training"):
        choice = "yes"
    if choice is None:
        turn.reprompt()
        return
    answers = turn.conversation.answers
    answers.seeking = choice
    if answers.area == "other" or answers.non_eu != "yes" or choice != "yes":
        turn.go(Step.NOT_ELIGIBLE)
    else:
        turn.go(Step.FIRST_NAME)


# ---- intake ---------------------------------------------------------------------------------

def prompt_first_name(turn: Turn) -> None:
    _ = turn.tr.gettext
    turn.say(_("Fijn, dan kunnen we je misschien helpen. Hoe is je voornaam?"))


def answer_first_name(turn: Turn) -> None:
    name = " ".join(turn.text.split())
    _ = turn.tr.gettext
    if not name or not any(ch.isalpha() for ch in name) or len(name) > MAX_NAME:
        turn.say(_("Typ alleen je voornaam, bijvoorbeeld: Amina."))
        return
    turn.conversation.answers.first_name = name
    turn.go(Step.CONTACT)


def prompt_contact(turn: Turn) -> None:
    _ = turn.tr.gettext
    turn.say(turn.tr.format(
        _("Dag {name}! Hoe kan je begeleider je bereiken?\n"
          "Typ je telefoonnummer, of kies ‘Via deze chat’."),
        name=turn.conversation.answers.first_name),
        [[Button(_("💬 Via deze chat"), "contact:chat")]])


def answer_contact(turn: Turn) -> None:
    _ = turn.tr.gettext
    if turn.incoming.payload == "contact:chat":
        contact = "chat"
    elif looks_like_phone(turn.text) or EMAIL.match(turn.text):
        contact = turn.text
    else:
        if turn.text:
            turn.say(_("Dat lijkt geen telefoonnummer. Typ het zo: 0470 12 34 56. "
                       "Of kies ‘Via deze chat’."))
        turn.reprompt()
        return
    turn.conversation.answers.contact = contact
    turn.go(Step.HELP_WANTED)


def prompt_help_wanted(turn: Turn) -> None:
    _ = turn.tr.gettext
    turn.say(_("Waarmee wil je hulp?"),
             column(Button(_(label), f"help:{key}") for key, label in HELP_CHOICES.items()))


def answer_help_wanted(turn: Turn) -> None:
    key: str | None = None
    if turn.incoming.payload.startswith("help:"):
        key = turn.incoming.payload.removeprefix("help:")
        key = key if key in HELP_CHOICES else None
    elif turn.parse and turn.parse.confidence >= turn.settings.nlu_confidence_threshold:
        key = INTENT_TO_HELP.get(turn.parse.intent)
    if key is None:
        turn.reprompt()
        return
    turn.conversation.answers.help_wanted = key
    register(turn)


def register(turn: Turn) -> None:
    """Open the case, tell the counselors at once, and tell the client what happens next."""
    answers = turn.conversation.answers
    client = turn.client
    client.first_name = answers.first_name
    client.contact = answers.contact
    client.status = ClientStatus.REGISTERED
    case = turn.uow.cases.add(CaseRecord(
        client_id=client.id, opened_at=turn.now, municipality=answers.area,
        non_eu_nationality=answers.non_eu, seeking=answers.seeking,
        help_wanted=answers.help_wanted))
    staff = turn.staff
    summary = staff.format(
        staff.gettext(N_("Nieuwe aanmelding {case}: {name} ({language}), woont in {area}, "
                         "wil hulp bij: {help}. Bereikbaar: {contact}.")),
        case=case.reference, name=client.first_name, language=client.language,
        area=answers.area, help=staff.gettext(HELP_CHOICES[answers.help_wanted]),
        contact=client.contact if client.contact != "chat" else
        staff.gettext(N_("via de chat ({channel})")).format(channel=turn.incoming.client.channel))
    turn.add_task(TaskKind.NEW_CASE, summary, case_id=case.id)
    turn.conversation.answers = IntakeAnswers()
    _ = turn.tr.gettext
    days = turn.settings.response_working_days
    how = (_("via deze chat") if client.contact == "chat"
           else turn.tr.format(_("op {contact}"), contact=client.contact))
    turn.conversation.step = Step.REGISTERED
    turn.say(turn.tr.format(
        turn.tr.ngettext(
            "Dank je, {name}. Je bent ingeschreven. Je dossiernummer is {case}.\n\n"
            "Wat gebeurt er nu? Een begeleider neemt binnen {days} werkdag contact met je "
            "op, {how}. Samen maken jullie een afspraak voor een eerste gesprek.",
            "Dank je, {name}. Je bent ingeschreven. Je dossiernummer is {case}.\n\n"
            "Wat gebeurt er nu? Een begeleider neemt binnen {days} werkdagen contact met je "
            "op, {how}. Samen maken jullie een afspraak voor een eerste gesprek.", days),
        name=client.first_name, case=case.reference, days=days, how=how),
        menu_buttons(turn))


# ---- not eligible, information only, stopped ------------------------------------------------

def prompt_not_eligible(turn: Turn) -> None:
    _ = turn.tr.gettext
    turn.say(_("Dank je voor je antwoorden. Ons programma is misschien niet voor jou. "
               "Maar je staat er niet alleen voor."))
    send_referrals(turn)
    turn.say(_("Twijfel je? Een begeleider kan met je bekijken wat past."),
             [[Button(_("👤 Praten met een persoon"), HUMAN)],
              [Button(_("🔁 Opnieuw beginnen"), "restart")]])


def answer_not_eligible(turn: Turn) -> None:
    if turn.incoming.payload == "restart":
        turn.conversation.answers = IntakeAnswers()
        turn.go(Step.AREA)
        return
    turn.reprompt()


def prompt_info_only(turn: Turn) -> None:
    _ = turn.tr.gettext
    turn.say(_("Wil je je toch inschrijven? Dat kan altijd."),
             [[Button(_("✅ Ik wil me inschrijven"), "consent:again")],
              [Button(_("👤 Praten met een persoon"), HUMAN)]])


def answer_info_only(turn: Turn) -> None:
    if turn.incoming.payload == "consent:again":
        turn.go(Step.CONSENT)
        return
    turn.reprompt()


def prompt_stopped(turn: Turn) -> None:
    _ = turn.tr.gettext
    turn.say(_("Goed, we stoppen hier. Ik stuur je niets meer.\n"
               "Wil je later verder? Typ /start."))


def answer_stopped(turn: Turn) -> None:
    """Writing again after /stop picks first contact up where it makes sense."""
    _ = turn.tr.gettext
    turn.say(_("Welkom terug! We beginnen opnieuw met de vragen."))
    turn.go(Step.AREA if turn.client.consent == ConsentState.GRANTED else Step.CONSENT)


def prompt_start(turn: Turn) -> None:
    turn.go(Step.CHOOSE_LANGUAGE)


HANDLERS: dict[Step, StepHandler] = {
    Step.START: StepHandler(prompt_start, prompt_start),
    Step.CHOOSE_LANGUAGE: StepHandler(prompt_language, answer_language, ("lang:",)),
    Step.CONSENT: StepHandler(prompt_consent, answer_consent, ("consent:yes", "consent:no")),
    Step.AREA: StepHandler(prompt_area, answer_area, ("area:",)),
    Step.NATIONALITY: StepHandler(prompt_nationality, answer_nationality, ("nat:",)),
    Step.SEEKING: StepHandler(prompt_seeking, answer_seeking, ("seek:",)),
    Step.FIRST_NAME: StepHandler(prompt_first_name, answer_first_name),
    Step.CONTACT: StepHandler(prompt_contact, answer_contact, ("contact:chat",)),
    Step.HELP_WANTED: StepHandler(prompt_help_wanted, answer_help_wanted, ("help:",)),
    Step.NOT_ELIGIBLE: StepHandler(prompt_not_eligible, answer_not_eligible, ("restart",)),
    Step.INFO_ONLY: StepHandler(prompt_info_only, answer_info_only, ("consent:again",)),
    Step.STOPPED: StepHandler(prompt_stopped, answer_stopped),
}
