"""Telegram's limits as Werkmaat books them: bulk never bursts into a chat, live replies may,
a 429 holds everyone back."""

from __future__ import annotations

import time

from bot.send_limits import TelegramPace
from storage.send_slots import MemorySendSlots


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
