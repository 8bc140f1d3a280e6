"""Telegram's limits as Werkmaat books them: bulk never bursts into a chat, live replies may,
a 429 holds everyone back."""

from __future__ import annotations

import time

from bot.send_limits import TelegramPace
from storage.send_slots import Limit, MemorySendSlots


def test_bulk_sends_never_burst_into_one_chat_live_replies_may():
    pace = TelegramPace(MemorySendSlots(), per_second=29)
    bulk = pace.limits(4242, bulk=True)
    live = pace.limits(4242, bulk=False)
    assert [limit.key for limit in bulk] == ["telegram:all", "telegram:chat:4242"]
    assert bulk[1].interval == 1.0 and bulk[1].burst == 1 and live[1].burst == 3
    assert abs(bulk[0].interval - 1 / 29) < 1e-9
    group = pace.limits(-100123, bulk=False)[1]
    assert group.interval == 3.0 and group.burst == 1  # 20 a minute into a group


async def test_waiting_spaces_messages_and_a_429_pauses_everyone():
    pace = TelegramPace(MemorySendSlots(), per_second=20)
    started = time.monotonic()
    for chat in range(5):
        await pace.wait(chat, bulk=True)
    assert time.monotonic() - started >= 4 / 20 - 0.01
    await pace.pause(0.3)
    started = time.monotonic()
    await pace.wait(99, bulk=True)
    assert time.monotonic() - started >= 0.25


async def test_several_429s_at_once_hold_until_the_latest_not_the_sum():
    slots = MemorySendSlots()
    pace = TelegramPace(slots, per_second=20)
    before = time.time()
    for _ in range(4):
        await pace.pause(0.3)
    held = slots.reserve([Limit("telegram:all", 0.05)], time.time())
    assert held - before < 0.6  # four pauses of 0.3 s would hold 1.2 s


def test_the_shared_book_holds_without_adding_up(tmp_path):
    from storage.sql import Database
    from storage.sql.send_slots import SqlSendSlots

    database = Database(f"sqlite:///{tmp_path / 'w.db'}")
    database.upgrade()
    slots = SqlSendSlots(database.engine)
    slots.hold("telegram:all", 1000.0)
    slots.hold("telegram:all", 999.0)  # an earlier hold does not shorten a later one
    assert slots.reserve([Limit("telegram:all", 0.1)], 900.0) == 1000.0
    database.dispose()
