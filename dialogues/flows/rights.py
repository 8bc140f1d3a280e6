"""Rechtenverkenning: short, sourced answers about social rights, and a guided rights check.

An answer is a card from the content base (content/rights) in the client's language: what it
is, for whom, where and how, what to bring, the official source, and always "information, not
a decision", with a way to their counselor. The guided check asks six questions by buttons and
lists what may apply, with one line of why each; it is kept in the case and the counselor is
told, so they can follow up.
"""

from __future__ import annotations

from dialogues.flows.common import HUMAN, menu_buttons
from dialogues.i18n import N_, Translator
from dialogues.messages import Button
from dialogues.rights_check import (
    CHILDREN,
    HOUSEHOLD,
    HOUSING,
    INCOME,
    YES_NO,
    RightsAnswers,
    possible_rights,
)
from dialogues.rights_content import RightsBook, RightsEntry, rights_book
from dialogues.state import Step
from dialogues.turn import StepHandler, Turn
from storage.records import ConsentState, RightsCheckRecord, TaskKind

RIGHTS = "rights:"
SHOW = f"{RIGHTS}show:"
CHECK = f"{RIGHTS}check"
AGAIN = f"{RIGHTS}again"
MORE = f"{RIGHTS}more"
ANSWER = "rq:"  # rq:<question>:<answer> during the guided check
COMPLEX_WORDS = 30  # a long story about one's situation: a person should read it too
INTENTS = {"rights_income", "rights_childcare", "rights_housing", "rights_health",
           "rights_debt", "rights_discounts"}

LABELS = {
    "household": {"alone": N_("🧍 Alleen"), "partner": N_("👫 Met mijn partner"),
                  "single_parent": N_("👩‍👧 Alleen met mijn kinderen"),
                  "family": N_("🏠 Bij familie of anderen")},
    "children": {"none": N_("Geen kinderen"), "under3": N_("👶 Jonger dan 3 jaar"),
                 "school": N_("🧒 3 tot 12 jaar"), "teen": N_("🧑 12 tot 18 jaar")},
    "income": {"work": N_("💼 Werk"), "unemployment": N_("📄 Werkloosheidsuitkering"),
               "ocmw": N_("🏛 Leefloon of steun van het OCMW"),
               "other_benefit": N_("🩺 Andere uitkering (ziekte, handicap)"),
               "none": N_("❌ Geen inkomen")},
    "housing": {"private_rent": N_("🏠 Ik huur bij een gewone verhuurder"),
                "social_rent": N_("🏢 Ik huur een sociale woning"),
                "waiting_list": N_("⏳ Ik wacht op een sociale woning"),
                "with_others": N_("👥 Ik woon bij iemand in"),
                "own": N_("🔑 Ik heb een eigen huis"),
                "no_home": N_("🚪 Ik heb geen vaste woonplaats")},
    "health_costs": {"yes": N_("✅ Ja"), "no": N_("❌ Nee")},
    "debts": {"yes": N_("✅ Ja"), "no": N_("❌ Nee")},
}
QUESTIONS = {
    Step.RIGHTS_HOUSEHOLD: ("household", HOUSEHOLD, N_("1/6 · Met wie woon je?")),
    Step.RIGHTS_CHILDREN: ("children", CHILDREN, N_("2/6 · Wonen er kinderen bij je? "
                                                    "Hoe oud is het jongste?")),
    Step.RIGHTS_INCOME: ("income", INCOME, N_("3/6 · Waar komt je inkomen nu vooral van?")),
    Step.RIGHTS_HOUSING: ("housing", HOUSING, N_("4/6 · Hoe woon je?")),
    Step.RIGHTS_HEALTH: ("health_costs", YES_NO, N_("5/6 · Heb je veel kosten voor de dokter "
                                                    "of medicijnen?")),
    Step.RIGHTS_DEBTS: ("debts", YES_NO, N_("6/6 · Heb je rekeningen of schulden die je niet "
                                            "kunt betalen?")),
}
ORDER = list(QUESTIONS)


def book(turn: Turn) -> RightsBook:
    return rights_book(turn.settings.content_dir)


# ---- answers from the content base --------------------------------------------------------

def respond_intent(turn: Turn, intent: str) -> bool:
    """A rights_* question: a card, or a choice between a few; False when nothing fits."""
    _ = turn.tr.gettext
    rights = book(turn)
    candidates = rights.for_intent(intent)
    found = rights.search(turn.text, turn.client.language)
    chosen = [e for e in found if e in candidates] or found
    if chosen:
        show(turn, chosen[0])
    elif len(candidates) == 1:
        show(turn, candidates[0])
    elif candidates:
        turn.say(_("Waarover gaat je vraag?"),
                 [[Button(f"📘 {e.text(turn.client.language).title}", SHOW + e.id)]
                  for e in candidates] + [[Button(_("💬 Iets anders"), HUMAN)]])
    else:
        return False
    if len(turn.text.split()) >= COMPLEX_WORDS:
        pass_on_situation(turn)
    return True


def second_chance(turn: Turn) -> bool:
    """The NLU was unsure: a rights word in the message ("huurpremie", "UiTPAS") still finds
    the answer."""
    found = book(turn).search(turn.text, turn.client.language)
    if not found:
        return False
    show(turn, found[0])
    return True


def card(tr: Translator, entry: RightsEntry) -> str:
    _ = tr.gettext
    text = entry.text(tr.code)
    lines = [f"📘 {text.title}", text.what, "", _("Voor wie?")]
    lines += [f"• {line}" for line in text.who]
    lines += ["", _("Waar en hoe?"), text.where]
    if text.bring:
        lines += ["", _("Neem mee:")] + [f"• {line}" for line in text.bring]
    lines += ["", tr.format(_("🔗 Bron: {source}"), source=entry.source),
              _("ℹ️ Dit is informatie, geen beslissing. Je begeleider kan bekijken wat voor jou "
                "geldt.")]
    return "\n".join(lines)


def show(turn: Turn, entry: RightsEntry) -> None:
    _ = turn.tr.gettext
    turn.conversation.step = Step.REGISTERED
    turn.say(card(turn.tr, entry), [[Button(_("💬 Praten met mijn begeleider"), HUMAN)],
                                     [Button(_("❓ Een andere vraag"), MORE)],
                                     [Button(_("📋 Welke rechten heb ik?"), CHECK)]])


def pass_on_situation(turn: Turn) -> None:
    """A long story about one's situation: the card helps now, a person reads the rest."""
    _ = turn.tr.gettext
    staff = turn.staff
    turn.add_task(TaskKind.CLIENT_QUESTION, staff.format(staff.gettext(N_(
        "Vraag over rechten van {name}; de situatie lijkt ingewikkeld: {text}")),
        name=turn.client.first_name or f"#{turn.client.id}", text=turn.text[:600]))
    turn.say(_("Je situatie lijkt ingewikkeld. Ik geef je bericht ook door aan je begeleider."))


def answer_button(turn: Turn) -> None:
    """rights:… buttons, from any step."""
    _ = turn.tr.gettext
    payload = turn.incoming.payload
    if payload.startswith(SHOW):
        entry = book(turn).get(payload.removeprefix(SHOW))
        if entry is not None:
            show(turn, entry)
            return
    elif payload == MORE:
        turn.conversation.step = Step.REGISTERED
        turn.say(_("Typ je vraag. Bijvoorbeeld: heb ik recht op een huurpremie?"),
                 menu_buttons(turn))
        return
    elif payload == CHECK:
        start_or_show_last(turn)
        return
    elif payload == AGAIN:
        start(turn)
        return
    turn.say(_("Die knop werkt niet meer. Kies een van de knoppen hieronder."))
    turn.reprompt()


# ---- the guided check -------------------------------------------------------------------

def start_or_show_last(turn: Turn) -> None:
    """Back to the check: the last result, with the choice to do it again."""
    _ = turn.tr.gettext
    checks = turn.uow.rights_checks.for_client(turn.client.id)
    if not checks:
        start(turn)
        return
    last = checks[-1]
    rights = book(turn)
    entries = [e for e in (rights.get(i) for i in last.results) if e is not None]
    turn.say(turn.tr.format(_("📋 Je rechtencheck van {date}:"), date=turn.tr.date(
        last.created_at)) + "\n" + "\n".join(
        f"• {e.text(turn.client.language).title}" for e in entries),
        [[Button(f"📘 {e.text(turn.client.language).title}", SHOW + e.id)] for e in entries[:6]]
        + [[Button(_("🔄 Opnieuw doen"), AGAIN)]])


def start(turn: Turn) -> None:
    _ = turn.tr.gettext
    turn.conversation.rights = {}
    turn.say(_("Ik stel je 6 korte vragen. Daarna zie je welke rechten misschien iets voor jou "
               "zijn. Je antwoorden helpen je begeleider."))
    turn.go(ORDER[0])


def prompt(turn: Turn) -> None:
    _ = turn.tr.gettext
    key, options, question = QUESTIONS[turn.step]
    turn.say(_(question), [[Button(_(LABELS[key][o]), f"{ANSWER}{key}:{o}")] for o in options])


def answer(turn: Turn) -> None:
    key, options, _question = QUESTIONS[turn.step]
    choice = turn.incoming.payload.removeprefix(f"{ANSWER}{key}:")
    if not turn.incoming.payload.startswith(ANSWER) or choice not in options:
        _ = turn.tr.gettext
        turn.say(_("Kies een van de knoppen, dan gaan we verder."))
        turn.reprompt()
        return
    turn.conversation.rights[key] = choice
    position = ORDER.index(turn.step)
    if position + 1 < len(ORDER):
        turn.go(ORDER[position + 1])
    else:
        finish(turn)


def finish(turn: Turn) -> None:
    _ = turn.tr.gettext
    answers = RightsAnswers(**{k: v for k, v in turn.conversation.rights.items()
                               if k in RightsAnswers.__dataclass_fields__})
    findings = possible_rights(answers)
    rights = book(turn)
    turn.conversation.step = Step.REGISTERED
    turn.conversation.rights = {}
    shown = [(f, e) for f, e in ((f, rights.get(f.entry_id)) for f in findings) if e]
    if not shown:
        turn.say(_("Uit je antwoorden zie ik nu geen extra rechten. Je begeleider kan je "
                   "situatie beter bekijken."), menu_buttons(turn))
    else:
        lines = [_("📋 Deze rechten zijn misschien iets voor jou:")]
        for number, (finding, entry) in enumerate(shown, start=1):
            lines.append(f"{number}. {entry.text(turn.client.language).title} – "
                         f"{_(finding.why)}")
        lines += ["", _("ℹ️ Dit is informatie, geen beslissing. Je begeleider kan bekijken wat "
                        "voor jou geldt.")]
        turn.say("\n".join(lines),
                 [[Button(f"📘 {e.text(turn.client.language).title}", SHOW + e.id)]
                  for _f, e in shown[:6]] + [[Button(_("💬 Praten met mijn begeleider"),
                                                     HUMAN)]])
    keep(turn, answers, [e.id for _f, e in shown])


def keep(turn: Turn, answers: RightsAnswers, results: list[str]) -> None:
    """In the case, for the counselor to follow up (only for clients who let us keep data)."""
    if turn.client.consent != ConsentState.GRANTED:
        return
    case = turn.uow.cases.current_for(turn.client.id)
    turn.uow.rights_checks.add(RightsCheckRecord(
        client_id=turn.client.id, answers={k: v for k, v in vars_of(answers).items() if v},
        results=tuple(results), created_at=turn.now, case_id=case.id if case else None))
    if case is None:
        return
    staff = turn.staff
    rights = book(turn)
    names = [rights.get(r) for r in results]
    listed = ", ".join(e.text(staff.code).title for e in names if e) or "—"
    turn.add_task(TaskKind.RIGHTS_CHECK, staff.format(staff.gettext(N_(
        "📋 {name} deed de rechtencheck. Misschien van toepassing: {rights}. Bekijk het samen "
        "en help bij de aanvraag.")), name=turn.client.first_name or f"#{turn.client.id}",
        rights=listed))


def vars_of(answers: RightsAnswers) -> dict[str, str]:
    return {name: getattr(answers, name) for name in RightsAnswers.__dataclass_fields__}


HANDLERS: dict[Step, StepHandler] = {
    step: StepHandler(prompt, answer, (f"{ANSWER}{key}:",))
    for step, (key, _options, _question) in QUESTIONS.items()
}
