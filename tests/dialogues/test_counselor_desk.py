"""A counselor takes over and hands back; the bot keeps quiet in between; strangers can't."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dialogues.counselor_desk import CounselorDesk
from dialogues.settings import DialogueSettings
from storage import (
    Author,
    CounselorRecord,
    CounselorRole,
    EscalationStatus,
)
from storage.memory import MemoryStore
from tests.dialogues.test_first_contact import DUTCH_TO_REGISTERED
from tests.transcript import Conversation, FixedClock, make_engine, press, say

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
SARA = 777_001
STRANGER = 999_999


@pytest.fixture
def setup(nlu):
    store = MemoryStore()
    clock = FixedClock(NOW)
    with store() as uow:
        uow.counselors.add(CounselorRecord("Sara Peeters", CounselorRole.COUNSELOR, NOW,
                                           telegram_user_id=SARA, languages=("nl", "fr")))
        uow.commit()
    chat = Conversation(make_engine(store, nlu, clock))
    chat.run(*DUTCH_TO_REGISTERED, press("menu:human", "doorgegeven"))
    desk = CounselorDesk(store, DialogueSettings(), clock)
    with store() as uow:
        escalation = uow.escalations.active()[0]
    return store, chat, desk, escalation


def test_only_registered_counselors_can_act(setup):
    store, _chat, desk, escalation = setup
    for outcome in (desk.claim(escalation.id, STRANGER),
                    desk.reply(escalation.client_id, STRANGER, "hallo"),
                    desk.hand_back(escalation.client_id, STRANGER)):
        assert not outcome.allowed and outcome.to_client == []
        assert "geregistreerde begeleiders" in outcome.note
    with store() as uow:
        assert uow.escalations.get(escalation.id).status == EscalationStatus.OPEN
        assert {a.action for a in uow.audit.recent()} >= {"escalation.claim.refused",
                                                          "client.message.refused"}


def test_claim_talk_and_hand_back(setup):
    store, chat, desk, escalation = setup
    claimed = desk.claim(escalation.id, SARA)
    assert claimed.allowed and "Sara Peeters neemt dit gesprek op" in claimed.note
    [(key, message)] = claimed.to_client
    assert key == chat.key and "Sara, je begeleider, leest nu mee" in message.text
    assert desk.claim(escalation.id, SARA).note.startswith("Dit gesprek is al opgenomen")

    reply = chat.do(say("ik heb een brief gekregen"))
    assert reply.messages == [], "the bot keeps quiet while a person has the conversation"
    assert [r.text for r in reply.relays] == ["ik heb een brief gekregen"]
    danger = chat.do(say("ik wil niet meer leven"))
    assert "1813" in danger.messages[0].text and danger.relays, "safety first, still relayed"

    answer = desk.reply(escalation.client_id, SARA, "Stuur gerust een foto van de brief.")
    [(_, message)] = answer.to_client
    assert message.text == "💬 Sara, je begeleider:\nStuur gerust een foto van de brief."

    back = desk.hand_back(escalation.client_id, SARA)
    assert "heeft het gesprek afgesloten" in back.to_client[0][1].text
    chat.run(say("hallo", "Dag Amina!"))
    with store() as uow:
        assert uow.escalations.get(escalation.id).status == EscalationStatus.RESOLVED
        said = uow.interactions.for_client(escalation.client_id, limit=500)
        mine = [i for i in said if i.author == Author.COUNSELOR]
        assert [i.text.splitlines()[-1] for i in mine][-1] == "Stuur gerust een foto van de brief."
        assert mine[-1].counselor_id is not None
        assert any(i.text == "ik heb een brief gekregen" for i in said)


def test_a_counselor_can_start_a_conversation(setup):
    store, chat, desk, escalation = setup
    desk.hand_back(escalation.client_id, SARA)
    outcome = desk.reply(escalation.client_id, SARA, "Hoe gaat het met de opleiding?")
    assert outcome.allowed and outcome.escalation is not None
    assert outcome.escalation.status == EscalationStatus.CLAIMED
    assert chat.do(say("goed, dank je")).messages == []


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def test_unclaimed_escalations_are_announced_again_then_to_coordinators(nlu):
    from datetime import timedelta

    store = MemoryStore()
    monday = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 10:00 in Brussels
    clock = Clock(monday)
    with store() as uow:
        uow.counselors.add(CounselorRecord("Els Claes", CounselorRole.COORDINATOR, NOW,
                                           telegram_user_id=555))
        uow.commit()
    chat = Conversation(make_engine(store, nlu, clock))
    chat.run(*DUTCH_TO_REGISTERED, press("menu:human"))
    desk = CounselorDesk(store, DialogueSettings(escalation_remind_minutes=30), clock)

    clock.now = monday + timedelta(minutes=20)
    assert desk.due_reminders() == []
    clock.now = monday + timedelta(minutes=31)
    [first] = desk.due_reminders()
    assert "Amina wacht al 31 minuten" in first.text and first.coordinators == ()
    assert desk.due_reminders() == [], "not again at once"
    clock.now = monday + timedelta(minutes=62)
    [second] = desk.due_reminders()
    assert [c.name for c in second.coordinators] == ["Els Claes"]
    desk.claim(second.escalation_id, 555)
    clock.now = monday + timedelta(minutes=120)
    assert desk.due_reminders() == [], "claimed: no more reminders"


def test_at_night_only_urgent_escalations_are_chased(nlu):
    from datetime import timedelta

    store = MemoryStore()
    saturday_night = datetime(2026, 11, 28, 21, 0, tzinfo=UTC)
    clock = Clock(saturday_night)
    chat = Conversation(make_engine(store, nlu, clock))
    chat.run(*DUTCH_TO_REGISTERED, press("menu:human"))
    desk = CounselorDesk(store, DialogueSettings(escalation_remind_minutes=30), clock)
    clock.now = saturday_night + timedelta(hours=3)
    assert desk.due_reminders() == [], "nobody is at work: the client was told when"
    chat.run(say("ik wil niet meer leven", "1813"))
    clock.now += timedelta(minutes=7)
    [urgent] = desk.due_reminders()
    assert "Amina" in urgent.text


ROLE_MATRIX = {  # who, in the counselors' Telegram group, may do what the desk offers
    "anonymous": False,  # someone in the group who is not registered
    "client": False,  # the client's own Telegram account (private chat id = user id)
    "disabled": False,  # a counselor whose access was stopped
    "counselor": True,
    "coordinator": True,
    "admin": True,
}
TOPIC_ACTIONS = ("topic.afspraak", "topic.verplaats", "topic.annuleer", "topic.aanwezig",
                 "topic.afwezig", "topic.afspraken", "topic.werk", "topic.afsluiten",
                 "topic.heropen", "topic.nazorg", "appointment.accept",
                 "appointment.attended", "appointment.noshow")


@pytest.mark.parametrize("who", list(ROLE_MATRIX))
def test_every_counselor_action_against_the_role_matrix(setup, who):
    store, _, desk, escalation = setup
    ids = {"anonymous": STRANGER, "client": 1001, "disabled": 777_010,
           "counselor": 777_011, "coordinator": 777_012, "admin": 777_013}
    roles = {"disabled": CounselorRole.COUNSELOR, "counselor": CounselorRole.COUNSELOR,
             "coordinator": CounselorRole.COORDINATOR, "admin": CounselorRole.ADMIN}
    with store() as uow:
        for name, role in roles.items():
            uow.counselors.add(CounselorRecord(name.title(), role, NOW,
                                               telegram_user_id=ids[name],
                                               active=name != "disabled"))
        uow.commit()
    user = ids[who]
    allowed = ROLE_MATRIX[who]
    for action in TOPIC_ACTIONS:  # every topic command and desk button asks the desk first
        assert (desk.authorise(user, action, "client:1") is not None) == allowed, action
    outcomes = [desk.claim(escalation.id, user),
                desk.reply(escalation.client_id, user, "Hallo, ik ben er."),
                desk.hand_back(escalation.client_id, user)]
    assert all(o.allowed for o in outcomes) == allowed
    assert all(bool(o.to_client) for o in outcomes) == allowed
    with store() as uow:
        lines = [a for a in uow.audit.recent(200)
                 if a.actor in (f"telegram:{user}",) or a.actor.startswith("counselor:")]
    refused = [a for a in lines if a.action.endswith(".refused")]
    assert bool(refused) != allowed, "refusals are audited, and only refusals"
