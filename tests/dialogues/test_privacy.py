"""The client's own data from the chat: /mydata, /delete, withdrawing consent."""

from __future__ import annotations

import json

import pytest

from dialogues import ChannelName, ClientKey
from storage import ClientStatus, ConsentState, TaskKind
from storage.memory import MemoryStore
from tests.dialogues.test_first_contact import DUTCH_TO_REGISTERED
from tests.transcript import Conversation, forge, make_engine, press, say

ARABIC_TO_REGISTERED = (
    say("/start"), press("العربية"), press("consent:yes"), press("area:Menen"),
    press("nat:yes"), press("seek:yes"), say("يوسف"), say("0470 98 76 54"), press("help:work"),
)


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


def _client(store):
    with store() as uow:
        return uow.clients.by_identity("telegram", "1001")


def test_mydata_gives_a_summary_and_the_whole_export_as_a_file(store, nlu):
    chat = Conversation(make_engine(store, nlu)).run(*DUTCH_TO_REGISTERED)
    reply = chat.do(say("/mydata", "Dit bewaren we over jou", "Naam: Amina",
                        "0470 12 34 56", "WM-", "berichten", "Toestemming gegeven"))
    (message,) = reply.messages
    assert message.attachment is not None and message.attachment.filename.endswith(".json")
    export = json.loads(message.attachment.content)
    assert export["tables"]["clients"][0]["first_name"] == "Amina"
    assert any(row["text"] == "Amina" for row in export["tables"]["interactions"])
    assert export["tables"]["consent_records"][0]["granted"] is True
    assert {"Wis mijn gegevens", "Toestemming intrekken"} <= {
        label.split(" ", 1)[1] for label, _ in chat.buttons()}


def test_delete_asks_first_and_no_keeps_everything(store, nlu):
    chat = Conversation(make_engine(store, nlu)).run(*DUTCH_TO_REGISTERED)
    chat.run(say("/delete", "Wil je dat we al je gegevens wissen?", "niet ongedaan"),
             press("Nee, bewaar", "er verandert niets"))
    client = _client(store)
    assert client is not None and client.first_name == "Amina"


def test_delete_erases_at_once_tells_the_counselor_and_a_new_message_starts_afresh(store, nlu):
    chat = Conversation(make_engine(store, nlu)).run(*ARABIC_TO_REGISTERED)
    chat.do(say("/delete"))
    reply = chat.do(press("🗑️"))
    assert reply.messages and reply.messages[0].rtl
    (alert,) = reply.alerts
    assert "WM-" in alert.text and "يوسف" not in alert.text and alert.client_id is None
    with store() as uow:
        assert uow.clients.by_identity("telegram", "1001") is None
        (erased,) = uow.clients.all()
        export = json.dumps(uow.privacy.export(erased.id), ensure_ascii=False)
        case = uow.cases.current_for(erased.id)
        tasks = [t for t in uow.tasks.open() if t.kind == TaskKind.CLIENT_ERASED]
    assert erased.status == ClientStatus.ERASED and erased.first_name == ""
    for needle in ("يوسف", "0470 98 76 54"):
        assert needle not in export
    assert case is not None and case.help_wanted == "work"  # the anonymous record
    assert tasks and tasks[0].client_id is None
    chat.do(say("مرحبا", "Choose your language"))  # a stranger now: first contact again
    with store() as uow:
        assert len(uow.clients.all()) == 2


def test_privacy_commands_work_while_a_counselor_holds_the_conversation(store, nlu):
    from dialogues.counselor_desk import CounselorDesk
    from dialogues.settings import DialogueSettings
    from storage import CounselorRecord, CounselorRole
    from tests.transcript import FixedClock

    engine = make_engine(store, nlu)
    chat = Conversation(engine).run(*DUTCH_TO_REGISTERED, press("Praten met een persoon"))
    with store() as uow:
        uow.counselors.add(CounselorRecord("Sara", CounselorRole.COUNSELOR,
                                           FixedClock()(), telegram_user_id=7))
        escalation = uow.escalations.active_for(_client(store).id)
        uow.commit()
    CounselorDesk(store, DialogueSettings(), FixedClock()).claim(escalation.id, 7)
    chat.do(say("hallo?", forbid=("Dit bewaren",)))  # relayed: the bot is quiet
    chat.do(say("/mydata", "Dit bewaren we over jou"))


def test_withdrawing_consent_stops_the_message_log_and_tells_the_counselor(store, nlu):
    chat = Conversation(make_engine(store, nlu)).run(*DUTCH_TO_REGISTERED)
    chat.do(say("/mydata"))
    chat.do(press("Toestemming intrekken", "toestemming intrekken?"))
    reply = chat.do(press("Ja, trek", "bewaren je berichten niet meer"))
    assert reply.alerts and "Amina" in reply.alerts[0].text
    client = _client(store)
    assert client is not None and client.consent == ConsentState.WITHDRAWN
    with store() as uow:
        before = len(uow.interactions.for_client(client.id, limit=1000))
        consents = uow.consents.for_client(client.id)
    assert [c.granted for c in consents] == [True, False]
    chat.do(say("ik heb een vraag over kinderopvang"))
    with store() as uow:
        assert len(uow.interactions.for_client(client.id, limit=1000)) == before


def test_forged_privacy_buttons_change_nothing(store, nlu):
    chat = Conversation(make_engine(store, nlu)).run(*DUTCH_TO_REGISTERED)
    chat.do(forge("privacy:nonsense", "er verandert niets"))
    client = _client(store)
    assert client is not None and client.status == ClientStatus.REGISTERED


def test_a_web_client_erases_too(store, nlu):
    chat = Conversation(make_engine(store, nlu), key=ClientKey(ChannelName.WEB, "w" * 24))
    chat.run(*DUTCH_TO_REGISTERED, say("/delete"), press("🗑️", "gewist"))
    with store() as uow:
        assert uow.clients.by_identity("web", "w" * 24) is None
