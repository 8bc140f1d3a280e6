"""When the NLU is unsure: the two likeliest meanings as buttons, then a person."""

from __future__ import annotations

from storage import EscalationReason, TaskKind
from storage.memory import MemoryStore
from tests.dialogues.test_first_contact import DUTCH_TO_REGISTERED
from tests.fakes import ScriptedNLU
from tests.transcript import Conversation, forge, make_engine, press, say

UNSURE = [("rights_childcare", 0.31), ("rights_income", 0.27), ("greet", 0.05)]


def registered(nlu) -> tuple[Conversation, MemoryStore]:
    store = MemoryStore()
    chat = Conversation(make_engine(store, nlu))
    chat.run(*DUTCH_TO_REGISTERED)
    return chat, store


def test_unsure_offers_the_two_likeliest_meanings(nlu):
    scripted = ScriptedNLU({"hulp voor de kleine?": UNSURE, "Amina": [("out_of_scope", 0.2)]})
    chat, store = registered(scripted)
    chat.do(say("hulp voor de kleine?", "Bedoel je dit?"))
    payloads = [p for _, p in chat.buttons()]
    assert payloads == ["meant:rights_childcare", "meant:rights_income", "menu:human"]
    assert "👶 Opvang voor mijn kinderen" in [label for label, _ in chat.buttons()]
    chat.run(press("meant:rights_childcare", "Waarover gaat je vraag?"),
             press("rights:show:kinderopvang", "📘 Kinderopvang met inkomenstarief", "Bron"))


def test_a_meaning_nothing_answers_goes_to_the_counselor(nlu):
    scripted = ScriptedNLU({"dat papier?": [("seek_training", 0.3), ("greet", 0.2)]})
    chat, store = registered(scripted)
    chat.do(say("dat papier?", "Bedoel je dit?"))
    reply = chat.do(press("meant:seek_training", "begeleider"))
    assert reply.alerts and "seek_training" in reply.alerts[0].text
    with store() as uow:
        assert TaskKind.CLIENT_QUESTION in [t.kind for t in uow.tasks.open()]


def test_twice_unclear_brings_in_a_person_and_the_count_resets(nlu):
    scripted = ScriptedNLU({"hulp voor de kleine?": UNSURE, "hallo": [("greet", 0.9)]})
    chat, store = registered(scripted)
    chat.run(say("hulp voor de kleine?", "Bedoel je dit?"),
             say("blabla", "Ik vraag een begeleider om je verder te helpen"),
             say("hulp voor de kleine?", "Bedoel je dit?"),
             say("hallo", "Dag Amina!"),
             say("hulp voor de kleine?", "Bedoel je dit?"))
    with store() as uow:
        escalation = uow.escalations.active()[0]
        assert escalation.reason == EscalationReason.UNCLEAR
        assert "Cliënt: blabla" in escalation.summary
        assert "hulp voor de kleine?" in escalation.summary


def test_forged_meanings_and_buttons_are_refused_politely(nlu):
    chat, store = registered(ScriptedNLU())
    chat.run(forge("meant:bogus", "Waarmee kan ik je helpen?"),
             forge("lang:xx", "Die knop werkt niet meer"))
    with store() as uow:
        assert [t.kind for t in uow.tasks.open()] == [TaskKind.NEW_CASE]
