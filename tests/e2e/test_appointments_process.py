"""The issue's scenario as a real process: plan in the topic, notice and reminders on Telegram,
a Turkish request for another day, the counselor moves it, a SIGKILL in between.

Reminders are made due by moving their `due_at` in the database (the table is the truth);
nothing else is touched behind Werkmaat's back.
"""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.bot.test_cli import werkmaat as werkmaat_cli
from tests.e2e.test_counselor_topics import wait_in_topic
from tests.e2e.test_telegram_process import TOKEN, TelegramClient
from tests.fake_telegram import Chat, FakeTelegramServer, SentMessage, User
from tests.processes import WerkmaatProcess

pytestmark = pytest.mark.e2e
BXL = ZoneInfo("Europe/Brussels")


def next_button(client: TelegramClient, prefix: str, timeout: float = 20) -> SentMessage:
    """Wait for a new message offering a button whose payload starts with `prefix`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        fresh = client._new()
        for i, message in enumerate(fresh):
            if any(d.startswith(prefix) for d in message.callback_data()):
                client.seen += i + 1
                client.last = message
                return message
        time.sleep(0.05)
    raise AssertionError(f"no button {prefix!r}; bot said "
                         f"{[m.plain_text for m in client.server.sent_messages(client.user.id)]}")


def make_reminders_due(db: Path, version: int) -> int:
    """Move a version's pending reminders to now, as if the days had passed."""
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
    with sqlite3.connect(db) as conn:
        cursor = conn.execute(
            "UPDATE scheduled_messages SET due_at = ? WHERE kind = 'appointment_reminder' "
            "AND key LIKE ?", (now, f"%:v{version}:%"))
        return cursor.rowcount


def register(telegram: FakeTelegramServer, name: str, language: str) -> TelegramClient:
    """First contact by buttons, up to a registered case."""
    client = TelegramClient(telegram, telegram.create_user(name, language_code=language))
    client.say("/start")
    for payload in (f"lang:{language}", "consent:yes", "area:Menen", "nat:yes", "seek:yes"):
        next_button(client, payload.split(":")[0] + ":")
        client.press(payload)
    client.expect("?")  # the first-name question
    client.say(name)
    next_button(client, "contact:")
    client.press("contact:chat")
    next_button(client, "help:")
    client.press("help:work")
    client.expect("WM-")
    return client


def the_topic(telegram: FakeTelegramServer, forum_id: int, timeout: float = 20) -> int:
    """The client's topic, once the counselor desk created it (announcing a new case is not
    part of the client's reply, so it may come a moment later)."""
    deadline = time.monotonic() + timeout
    while not telegram.topics(forum_id):
        assert time.monotonic() < deadline, "no topic for the new client"
        time.sleep(0.05)
    [topic] = telegram.topics(forum_id)
    return topic.message_thread_id


def reminders(client: TelegramClient) -> list[str]:
    return [m.plain_text or "" for m in client.server.sent_messages(client.user.id)
            if (m.plain_text or "").startswith("⏰")]


def with_a_counselor(telegram: FakeTelegramServer, tmp_path: Path, **extra: str
                     ) -> tuple[Chat, User, dict[str, str], WerkmaatProcess]:
    """A forum group, Sara registered as counselor, and Werkmaat (not started yet) with
    quiet hours off and a quick dispatcher, as the tests' clock is the real one."""
    forum = telegram.create_forum("Begeleiders 't Werkt")
    sara = telegram.create_user("Sara", language_code="nl")
    env = {"WERKMAAT_TELEGRAM_TOKEN": TOKEN, "WERKMAAT_TELEGRAM_BASE_URL": telegram.base_url,
           "WERKMAAT_COUNSELOR_CHAT_ID": str(forum.id), "WERKMAAT_QUIET_HOURS": "off",
           "WERKMAAT_DISPATCH_INTERVAL": "0.5", "WERKMAAT_VOICE_NOTES": "false", **extra}
    process = WerkmaatProcess(tmp_path, **env)
    added = werkmaat_cli("counselor", "add", "--name", "Sara Peeters", "--telegram-id",
                         str(sara.id), env={"WERKMAAT_DATABASE_URL":
                                            process.env["WERKMAAT_DATABASE_URL"]})
    assert added.returncode == 0, added.stderr
    return forum, sara, env, process


def test_plan_remind_request_move_and_survive_a_kill(tmp_path):
    with FakeTelegramServer(token=TOKEN) as telegram:
        forum, sara, env, process = with_a_counselor(telegram, tmp_path)
        db = tmp_path / "werkmaat.db"
        process.start()
        try:
            client = register(telegram, "Emre", "tr")
            thread = the_topic(telegram, forum.id)

            # Sara plans in the client's topic, in Dutch, four days from now at 10:00
            day = (datetime.now(BXL) + timedelta(days=4)).date()
            telegram.send_text(sara, f"/afspraak op {day.day}/{day.month} om 10u intake "
                                     "Stadskantoor Kortrijk", chat=forum.id,
                               message_thread_id=thread)
            wait_in_topic(telegram, forum.id, thread, "Afspraak gepland")
            notice = next_button(client, "appt:yes:")
            assert "📅" in (notice.plain_text or "") and "10:00" in (notice.plain_text or "")
            assert "Stadskantoor Kortrijk" in (notice.plain_text or "")
            deadline = time.monotonic() + 20
            while not [m for m in telegram.sent_messages(client.user.id)
                       if m.method == "sendDocument"]:
                assert time.monotonic() < deadline, "no calendar file"
                time.sleep(0.05)
            [ics] = [m for m in telegram.sent_messages(client.user.id)
                     if m.method == "sendDocument"]
            assert ics.file_name == "afspraak.ics"
            assert ics.file_bytes and b"BEGIN:VEVENT" in ics.file_bytes

            # killed; while it is down, the day-before and two-hour reminders fall due
            process.kill()
            assert make_reminders_due(db, 1) == 2
            process = WerkmaatProcess(tmp_path, **env)
            process.start()
            deadline = time.monotonic() + 20
            while len(reminders(client)) < 2:
                assert time.monotonic() < deadline, f"reminders: {reminders(client)}"
                time.sleep(0.05)
            time.sleep(2)  # a few more dispatcher rounds: nothing is sent twice
            assert len(reminders(client)) == 2
            assert len([m for m in telegram.sent_messages(client.user.id)
                        if m.method == "sendDocument"]) == 1

            # "Can it be Friday at 10 instead of Thursday?" in Turkish
            proposal = day + timedelta(days=1)
            client.say(f"{proposal.day}/{proposal.month} saat 11 olabilir mi?")
            card = wait_in_topic(telegram, forum.id, thread, "vraagt de afspraak")
            accept = next(d for d in card.callback_data() if d.startswith("desk:appt:accept:"))
            telegram.press_button(sara, card, accept)
            wait_in_topic(telegram, forum.id, thread, "Afspraak verplaatst")
            appointment_id = notice.callback_data()[0].split(":")[2]
            moved = next_button(client, f"appt:yes:{appointment_id}:2")
            assert "11:00" in (moved.plain_text or "")

            # the old version's reminders never come again; the new ones do, once each
            process.kill()
            assert make_reminders_due(db, 1) == 2  # cancelled rows: moved, but not revived
            assert make_reminders_due(db, 2) == 2
            process = WerkmaatProcess(tmp_path, **env)
            process.start()
            deadline = time.monotonic() + 20
            while len(reminders(client)) < 4:
                assert time.monotonic() < deadline, f"reminders: {reminders(client)}"
                time.sleep(0.05)
            time.sleep(2)
            later = reminders(client)[2:]
            assert len(later) == 2 and all("11:00" in text for text in later), later
        finally:
            process.stop()
