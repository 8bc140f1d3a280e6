"""Werkmaat as a real process against a fake Telegram Bot API HTTP server.

A client walks first contact with button presses; the process is killed with SIGKILL in the
middle and started again, and the conversation goes on where it was.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator

import pytest

from tests.fake_telegram import FakeTelegramServer, SentMessage, User
from tests.processes import WerkmaatProcess

pytestmark = pytest.mark.e2e
TOKEN = "123456:TEST-token"


class TelegramClient:
    """A person in a private chat with the bot, as the fake server lets a test play one."""

    def __init__(self, server: FakeTelegramServer, user: User) -> None:
        self.server = server
        self.user = user
        self.seen = 0

    def _new(self) -> list[SentMessage]:
        return self.server.sent_messages(self.user.id)[self.seen:]

    def expect(self, phrase: str, timeout: float = 20) -> SentMessage:
        """Wait for a new bot message containing `phrase`; later messages stay unseen."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            fresh = self._new()
            for i, message in enumerate(fresh):
                if phrase in (message.plain_text or ""):
                    self.seen += i + 1
                    self.last = message
                    return message
            time.sleep(0.05)
        said = [m.plain_text for m in self.server.sent_messages(self.user.id)]
        raise AssertionError(f"no message with {phrase!r} within {timeout} s; bot said {said}")

    def say(self, text: str) -> None:
        self.server.send_text(self.user, text)

    def press(self, payload: str) -> None:
        self.server.press_button(self.user, self.last, payload)


@pytest.fixture
def telegram() -> Iterator[FakeTelegramServer]:
    with FakeTelegramServer(token=TOKEN) as server:
        yield server


def test_first_contact_on_telegram_survives_a_kill(telegram, tmp_path):
    counselors = telegram.create_forum("Begeleiders 't Werkt")
    env = {"WERKMAAT_TELEGRAM_TOKEN": TOKEN, "WERKMAAT_TELEGRAM_BASE_URL": telegram.base_url,
           "WERKMAAT_COUNSELOR_CHAT_ID": str(counselors.id)}
    werkmaat = WerkmaatProcess(tmp_path, **env).start()
    try:
        client = TelegramClient(telegram, telegram.create_user("Amina", language_code="nl"))
        client.say("/start")
        client.expect("Kies je taal")
        client.press("lang:nl")
        client.expect("Ga je akkoord?")
        client.press("consent:yes")
        client.expect("In welke gemeente")
        client.press("area:Menen")
        client.expect("Europese Unie")

        werkmaat.kill()  # a crash in the middle of the conversation
        werkmaat = WerkmaatProcess(tmp_path, **env)
        werkmaat.start()

        client.press("nat:yes")
        client.expect("Zoek je werk")
        client.press("seek:yes")
        client.expect("voornaam")
        client.say("Amina")
        client.expect("Dag Amina!")
        client.press("contact:chat")
        client.expect("Waarmee wil je hulp?")
        client.press("help:paperwork")
        done = client.expect("Je bent ingeschreven")
        assert "WM-" in (done.plain_text or "")
        assert done.reply_markup and done.reply_markup["inline_keyboard"], "menu buttons"

        speak = [b["callback_data"] for row in done.reply_markup["inline_keyboard"]
                 for b in row if b["callback_data"].startswith("speak:")]
        if shutil.which("espeak-ng") and shutil.which("opusenc"):
            client.press(speak[0])
            voice = telegram.wait_for_calls("sendVoice", 1, timeout=20)[0]
            note = telegram.sent_messages(client.user.id)[-1]
            assert voice.ok and note.method == "sendVoice"
            assert note.file_bytes and note.file_bytes[:4] == b"OggS"
            client.seen = len(telegram.sent_messages(client.user.id))

        posted = telegram.wait_for_messages(counselors.id, 2, timeout=20)
        [alert] = [m for m in posted if "Nieuwe aanmelding" in (m.plain_text or "")]
        assert "Amina" in (alert.plain_text or "") and alert.message_thread_id is not None, \
            "announced in the client's own topic"

        client.say("/help")
        client.expect("/language")
        telegram.send_sticker(client.user)
        client.expect("Dat kan ik niet lezen")
    finally:
        werkmaat.stop()
    menu = telegram.commands({"type": "all_private_chats"}, "en")
    assert [c["command"] for c in menu] == ["start", "language", "help", "stop", "mydata",
                                            "delete"]
    assert telegram.commands({"type": "all_private_chats"}, "")[0]["description"] == (
        "Beginnen of opnieuw beginnen")


def test_a_blocked_bot_marks_the_client_unreachable(telegram, tmp_path):
    werkmaat = WerkmaatProcess(tmp_path, WERKMAAT_TELEGRAM_TOKEN=TOKEN,
                               WERKMAAT_TELEGRAM_BASE_URL=telegram.base_url).start()
    try:
        client = TelegramClient(telegram, telegram.create_user("Oleh", language_code="uk"))
        client.say("/start")
        client.expect("🌐")
        telegram.block_bot(client.user, notify=False)
        client.press("lang:uk")
        deadline = time.monotonic() + 20
        import sqlite3

        db = werkmaat.env["WERKMAAT_DATABASE_URL"].removeprefix("sqlite:///")
        while time.monotonic() < deadline:
            with sqlite3.connect(db) as conn:
                row = conn.execute("SELECT reachable FROM clients").fetchone()
            if row and row[0] == 0:
                break
            time.sleep(0.1)
        else:
            raise AssertionError(f"client not marked unreachable:\n{werkmaat.log()}")
        assert werkmaat.proc is not None and werkmaat.proc.poll() is None, "still running"
    finally:
        werkmaat.stop()


def test_webhook_mode_checks_the_secret_token(telegram, tmp_path):
    import httpx

    process = WerkmaatProcess(tmp_path, WERKMAAT_TELEGRAM_TOKEN=TOKEN,
                              WERKMAAT_TELEGRAM_BASE_URL=telegram.base_url,
                              WERKMAAT_WEBHOOK_SECRET="s3cret-Token_1")
    process.env["WERKMAAT_WEBHOOK_URL"] = f"{process.url}/telegram/webhook"
    werkmaat = process.start()
    try:
        deadline = time.monotonic() + 10
        while telegram.webhook_url is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert telegram.webhook_url == f"{werkmaat.url}/telegram/webhook"
        assert telegram.webhook_secret_token == "s3cret-Token_1"
        assert not telegram.calls("getUpdates"), "no polling in webhook mode"

        client = TelegramClient(telegram, telegram.create_user("Sami", language_code="en"))
        client.say("/start")
        client.expect("Kies je taal")
        client.press("lang:en")
        client.expect("Do you agree?")

        forged = {"update_id": 99, "message": {"message_id": 1, "date": 0, "text": "/start",
                                               "chat": {"id": 5, "type": "private"}}}
        url = f"{werkmaat.url}/telegram/webhook"
        assert httpx.post(url, json=forged).status_code == 403
        assert httpx.post(url, json=forged, headers={
            "X-Telegram-Bot-Api-Secret-Token": "wrong"}).status_code == 403
        assert telegram.sent_messages(5) == []
    finally:
        werkmaat.stop()
