"""A counselor's words reach a web chat client, who fetches them; nothing is shown twice."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from fastapi.testclient import TestClient

from bot.composition import build
from bot.settings import Settings
from bot.web import COOKIE, create_app
from bot.web_outbox import WebChatOutbox
from dialogues import ChannelName
from dialogues.counselor_desk import CounselorDesk
from storage import CounselorRecord, CounselorRole


def test_counselor_reply_reaches_the_web_chat(tmp_path, nlu, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'w.db'}", voice_notes=False)
    werkmaat = build(settings, nlu=nlu)
    with werkmaat.database() as uow:
        uow.counselors.add(CounselorRecord("Sara Peeters", CounselorRole.COUNSELOR,
                                           datetime.now(UTC), telegram_user_id=42))
        uow.commit()
    web = TestClient(create_app(werkmaat))
    assert web.get("/chat").status_code == 200
    for body in ({"start": True}, {"payload": "lang:ar"}, {"payload": "consent:yes"},
                 {"payload": "area:Menen"}, {"payload": "nat:yes"}, {"payload": "seek:yes"},
                 {"text": "Yusuf"}, {"payload": "contact:chat"}, {"payload": "help:work"},
                 {"payload": "menu:human"}):
        answer = web.post("/chat/api/messages", json=body)
        assert answer.status_code == 200 and answer.json()["messages"]
    token = web.cookies[COOKIE]
    assert web.get("/chat/api/updates", params={"after": 0}).json()["messages"] == []

    with werkmaat.database() as uow:
        client = uow.clients.by_identity(ChannelName.WEB.value, token)
        assert client is not None
    desk = CounselorDesk(werkmaat.database, werkmaat.engine.settings, lambda: datetime.now(UTC))
    outcome = desk.reply(client.id, 42, "مرحبا يوسف")
    outbox = WebChatOutbox(werkmaat.database)
    for key, message in outcome.to_client:
        asyncio.run(outbox.send(key, message))

    news = web.get("/chat/api/updates", params={"after": 0}).json()
    [message] = news["messages"]
    assert "مرحبا يوسف" in message["text"] and message["dir"] == "rtl"
    assert web.get("/chat/api/updates", params={"after": news["last"]}).json()["messages"] == []
    stranger = TestClient(create_app(werkmaat))
    assert stranger.get("/chat/api/updates", params={"after": 0}).json()["messages"] == []
    quiet = web.post("/chat/api/messages", json={"text": "شكرا"}).json()["messages"]
    assert quiet == [], "the bot keeps quiet while Sara has the conversation"
    werkmaat.database.dispose()


def test_a_reminder_reaches_the_web_chat_with_its_buttons(tmp_path, nlu, monkeypatch):
    from datetime import timedelta

    from dialogues.appointments import Actor, AppointmentBook, AppointmentDetails
    from dialogues.dispatcher import Dispatcher

    monkeypatch.chdir(tmp_path)
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'w.db'}", voice_notes=False,
                        quiet_hours="off")
    werkmaat = build(settings, nlu=nlu)
    web = TestClient(create_app(werkmaat))
    for body in ({"start": True}, {"payload": "lang:uk"}, {"payload": "consent:yes"},
                 {"payload": "area:Menen"}, {"payload": "nat:yes"}, {"payload": "seek:yes"},
                 {"text": "Olena"}, {"payload": "contact:chat"}, {"payload": "help:work"}):
        assert web.post("/chat/api/messages", json=body).status_code == 200
    with werkmaat.database() as uow:
        client = uow.clients.by_identity(ChannelName.WEB.value, web.cookies[COOKIE])
    book = AppointmentBook(werkmaat.database, werkmaat.engine.settings,
                           lambda: datetime.now(UTC))
    planned = book.plan(client.id, AppointmentDetails(datetime.now(UTC) + timedelta(days=3),
                                                      location="Stadskantoor"), Actor("cli"))
    dispatcher = Dispatcher(werkmaat.database, werkmaat.engine.settings,
                            {ChannelName.WEB: WebChatOutbox(werkmaat.database)}, None,
                            lambda: datetime.now(UTC), "test")
    assert asyncio.run(dispatcher.run_until_idle()).sent == 1
    [notice] = web.get("/chat/api/updates", params={"after": 0}).json()["messages"]
    assert "📅" in notice["text"] and "Stadskantoor" in notice["text"]
    payloads = [b["payload"] for row in notice["buttons"] for b in row]
    assert payloads[0] == f"appt:yes:{planned.appointment.id}:1"
    answer = web.post("/chat/api/messages", json={"payload": payloads[0]}).json()["messages"]
    assert answer and planned.appointment is not None
    assert book.next_for(client.id).status.value == "confirmed"
    werkmaat.database.dispose()


def test_a_web_client_gets_their_data_as_a_file_and_erases_it(tmp_path, nlu, monkeypatch):
    import base64
    import json

    monkeypatch.chdir(tmp_path)
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'w.db'}", voice_notes=False)
    werkmaat = build(settings, nlu=nlu)
    web = TestClient(create_app(werkmaat))
    for body in ({"start": True}, {"payload": "lang:nl"}, {"payload": "consent:yes"},
                 {"payload": "area:Menen"}, {"payload": "nat:yes"}, {"payload": "seek:yes"},
                 {"text": "Mirela"}, {"payload": "contact:chat"}, {"payload": "help:work"}):
        assert web.post("/chat/api/messages", json=body).status_code == 200
    (message,) = web.post("/chat/api/messages", json={"text": "/mydata"}).json()["messages"]
    assert message["file_name"].endswith(".json")
    head, _, data = message["file"].partition(",")
    assert head == "data:application/json;base64"
    export = json.loads(base64.b64decode(data))
    assert export["tables"]["clients"][0]["first_name"] == "Mirela"
    web.post("/chat/api/messages", json={"text": "/delete"})
    done = web.post("/chat/api/messages", json={"payload": "privacy:erase:yes"}).json()
    assert "gewist" in done["messages"][0]["text"]
    with werkmaat.database() as uow:
        assert uow.clients.by_identity(ChannelName.WEB.value, web.cookies[COOKIE]) is None
