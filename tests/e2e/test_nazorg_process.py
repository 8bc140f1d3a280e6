"""Nazorg as a real process: `/werk` in the topic, a check-in on Telegram, problems →
transport → the counselor's topic, `/afsluiten duurzaam`, and nothing more after that."""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime

import pytest

from tests.e2e.test_appointments_process import (
    next_button,
    register,
    the_topic,
    with_a_counselor,
)
from tests.e2e.test_counselor_topics import wait_in_topic
from tests.e2e.test_telegram_process import TOKEN
from tests.fake_telegram import FakeTelegramServer

pytestmark = pytest.mark.e2e


def make_checkin_due(db, number: int) -> int:
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
    with sqlite3.connect(db) as conn:
        return conn.execute("UPDATE scheduled_messages SET due_at = ? WHERE key = ?",
                            (now, f"job:1:checkin:{number}")).rowcount


def test_job_check_in_problem_and_closing_in_the_topic(tmp_path):
    with FakeTelegramServer(token=TOKEN) as telegram:
        forum, sara, _env, process = with_a_counselor(
            telegram, tmp_path, WERKMAAT_OFFICE_HOURS="mon-sun 00:00-23:59")
        db = tmp_path / "werkmaat.db"
        process.start()
        try:
            client = register(telegram, "Hodan", "so")
            thread = the_topic(telegram, forum.id)
            telegram.send_text(sara, "/werk vandaag interim Randstad - Barco", chat=forum.id,
                               message_thread_id=thread)
            wait_in_topic(telegram, forum.id, thread, "Nazorg: 6 check-ins")
            assert make_checkin_due(db, 1) == 1
            checkin = next_button(client, "nz:problem:")
            assert "Randstad - Barco" in (checkin.plain_text or "")
            client.press(next(d for d in checkin.callback_data() if d.startswith("nz:problem")))
            next_button(client, "nz:kind:")
            client.press("nz:kind:transport")
            next_button(client, "nz:nonote")
            client.say("Bas ma jiro subaxdii hore")
            wait_in_topic(telegram, forum.id, thread, "vervoer")
            wait_in_topic(telegram, forum.id, thread, "Bas ma jiro subaxdii hore")

            telegram.send_text(sara, "/afsluiten duurzaam", chat=forum.id,
                               message_thread_id=thread)
            wait_in_topic(telegram, forum.id, thread, "afgesloten: duurzaam werk")
            assert make_checkin_due(db, 2) == 1  # cancelled by the closing: stays so
            seen = len(telegram.sent_messages(client.user.id))
            time.sleep(2)
            assert len(telegram.sent_messages(client.user.id)) == seen
        finally:
            process.stop()
