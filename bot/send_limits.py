"""Telegram's flood limits, kept by every process that sends for the bot, together.

About 30 messages a second in all, one a second into one private chat (short bursts are
tolerated for a live conversation, never for bulk reminders), 20 a minute into one group.
python-telegram-bot's AIORateLimiter counts inside one process only and leaves the per-chat
limit alone; here each send books a slot in a shared book (`storage.send_slots`): in PostgreSQL
when several processes share the database, in memory otherwise.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from storage.send_slots import Limit, SendSlots

log = logging.getLogger(__name__)

# Evenly spaced at 29 a second, 30 messages fit in one second (29 gaps of 34.5 ms): a few
# milliseconds of network jitter then make a 31st, and Telegram answers 429 (measured with the
# dispatch benchmark). At 28.5 a second at most 29 fit, and it takes 50 ms of jitter to reach 31.
GLOBAL_PER_SECOND = 28.5
PRIVATE_INTERVAL = 1.0
GROUP_INTERVAL = 3.0  # 20 a minute
LIVE_BURST = 3  # a reply of up to three messages goes at once
LATE = 0.02  # seconds after its slot a message may still go
REBOOKS = 3


@dataclass(frozen=True)
class TelegramPace:
    slots: SendSlots
    per_second: float = GLOBAL_PER_SECOND
    scope: str = "telegram"  # one book per bot

    def limits(self, chat_id: int, bulk: bool) -> list[Limit]:
        group = chat_id < 0
        chat = Limit(f"{self.scope}:chat:{chat_id}",
                     GROUP_INTERVAL if group else PRIVATE_INTERVAL,
                     1 if bulk or group else LIVE_BURST)
        return [Limit(f"{self.scope}:all", 1.0 / self.per_second), chat]

    async def pause(self, seconds: float) -> None:
        """Telegram answered 429: every process holds back until `retry_after` has passed.
        Several 429s at once hold until the latest of them, they do not add up."""
        until = time.time() + seconds
        try:
            await asyncio.to_thread(self.slots.hold, f"{self.scope}:all", until)
        except Exception:  # the sender still waits out its own retry_after
            log.warning("the shared send book cannot be reached; this 429 holds only its sender")

    async def wait(self, chat_id: int, bulk: bool = False) -> float:
        """Book the next moment this message may go, and sleep until then; returns the wait.

        The moment is taken inside the booking (a busy thread pool must not book slots in the
        past), and a slot this task reaches more than `LATE` after its time is given up and
        booked again: sends that bunch up are what makes Telegram count 31 in a second.
        """
        limits = self.limits(chat_id, bulk)
        waited = 0.0
        for _attempt in range(REBOOKS):
            moment = await self._reserve(limits)
            delay = moment - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
                waited += delay
                delay = moment - time.time()
            if delay > -LATE:
                return waited
            # Only the bot's pace over all chats is booked again: a chat's own slot reached
            # late keeps that chat under its limit all the same, and booking it again would
            # push the chat's next message a second out each time (a busy process, late on
            # every slot, then fell further behind with each message).
            limits = limits[:1]
        return waited

    async def _reserve(self, limits: list[Limit]) -> float:
        """A moment from the shared book; while the book cannot be reached (its database is
        restarting, say) the message goes now: a reply waiting for the database would be a
        reply lost, and Telegram's 429s still hold the sender back."""
        try:
            return await asyncio.to_thread(self._book, limits)
        except Exception:
            log.warning("the shared send book cannot be reached; sending without it")
            return time.time()

    def _book(self, limits: list[Limit]) -> float:
        return self.slots.reserve(limits, time.time())
