"""Bringing in a person: each trigger makes one escalation with what the counselor needs."""

from __future__ import annotations

from datetime import UTC, datetime

from dialogues import ChannelName, ClientKey
from storage import EscalationReason, EscalationStatus, TaskPriority
from storage.memory import MemoryStore
from tests.dialogues.test_first_contact import DUTCH_TO_REGISTERED
from tests.transcript import Conversation, FixedClock, forge, make_engine, press, say

MONDAY_MORNING = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 10:00 in Brussels
SATURDAY_NIGHT = datetime(2026, 11, 28, 21, 0, tzinfo=UTC)  # 22:00 in Brussels


def registered(nlu, clock: FixedClock | None = None) -> tuple[Conversation, MemoryStore]:
    store = MemoryStore()
    chat = Conversation(make_engine(store, nlu, clock or FixedClock(MONDAY_MORNING)))
    chat.run(*DUTCH_TO_REGISTERED)
    return chat, store


def active(store: MemoryStore):
    with store() as uow:
        return uow.escalations.active()


def test_asking_for_a_person_opens_one_escalation_with_the_conversation(nlu):
    chat, store = registered(nlu)
    chat.run(say("ik wil met mijn begeleider praten", "doorgegeven",
                 forbid=("werken nu niet",)))
    [escalation] = active(store)
    assert escalation.reason == EscalationReason.ASKED_FOR_PERSON
    assert escalation.status == EscalationStatus.OPEN and escalation.language == "nl"
    assert escalation.priority == TaskPriority.NORMAL and escalation.case_id is not None
    assert "Cliënt: ik wil met mijn begeleider praten" in escalation.summary
    assert "Bot:" in escalation.summary
    chat.run(forge("menu:human", "doorgegeven"))
    assert len(active(store)) == 1, "asking twice does not open a second one"


def test_danger_makes_it_urgent_and_gives_the_numbers_at_once(nlu):
    chat, store = registered(nlu)
    chat.run(press("menu:human"))
    reply = chat.do(say("mijn man slaat me, ik ben bang", "112", "0800 13 500"))
    [escalation] = active(store)
    assert escalation.priority == TaskPriority.URGENT
    assert "DRINGEND" in escalation.summary and "slaat me" in escalation.summary
    assert reply.alerts and "DRINGEND" in reply.alerts[0].text


def test_sensitive_topics_go_to_a_person(nlu):
    chat, store = registered(nlu)
    chat.run(say("ik kreeg een brief van de RVA en ik snap hem niet", "geef ik door"))
    [escalation] = active(store)
    assert escalation.reason == EscalationReason.SENSITIVE
    assert "document_help" in escalation.summary


def test_not_eligible_but_wants_help(nlu):
    store = MemoryStore()
    chat = Conversation(make_engine(store, nlu, FixedClock(MONDAY_MORNING)))
    chat.run(say("/start"), press("Nederlands"), press("consent:yes"), press("area:other"),
             press("nat:yes"), press("seek:yes", "VDAB"), press("menu:human", "doorgegeven"))
    [escalation] = active(store)
    assert escalation.reason == EscalationReason.NOT_ELIGIBLE


def test_a_dari_speaker_on_saturday_night_hears_when_a_person_will_answer(nlu):
    store = MemoryStore()
    chat = Conversation(make_engine(store, nlu, FixedClock(SATURDAY_NIGHT)),
                        ClientKey(ChannelName.TELEGRAM, "3003"))
    chat.run(say("/start"), press("lang:fa"), press("consent:yes"), press("area:Kortrijk"),
             press("nat:yes"), press("seek:yes"), say("Zahra"), press("contact:chat"),
             press("help:work"))
    reply = chat.do(press("menu:human"))
    text = "\n".join(m.text for m in reply.messages)
    assert "\u2068دوشنبه 30 نومبر 2026" in text, text  # Monday 09:00, in Dari, isolated
    assert "9:00" in text and "\u2068\u2068" not in text
    [escalation] = active(store)
    assert escalation.language == "fa"


def test_routing_prefers_a_counselor_who_speaks_the_language(nlu):
    from storage import CounselorRecord, CounselorRole

    chat, store = registered(nlu)
    with store() as uow:
        uow.counselors.add(CounselorRecord("Jan Smet", CounselorRole.COUNSELOR, MONDAY_MORNING,
                                           languages=("nl",)))
        uow.counselors.add(CounselorRecord("Leila Haddad", CounselorRole.COUNSELOR,
                                           MONDAY_MORNING, languages=("ar", "fr")))
        uow.commit()
    chat.run(press("menu:human"))
    assert "Voor: Jan Smet" in active(store)[0].summary
