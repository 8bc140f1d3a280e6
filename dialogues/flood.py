"""Per-client flood control: a client who sends a burst is slowed down; nobody else notices.

A GCRA (generic cell rate algorithm) per client: a burst of `burst` messages goes through at
once, after that one message every 1/`rate` seconds. Messages wait their turn (inside the
client's own ordering lock, so order is kept and other clients are not held up); nothing is
dropped unless one client has more than `max_backlog` messages waiting, which only a script
does — those are left unanswered on purpose and logged.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


class FloodGate:
    def __init__(self, rate: float = 5.0, burst: int = 20, max_backlog: int = 200,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.interval = 1.0 / rate
        self.tolerance = self.interval * (burst - 1)
        self.max_backlog = max_backlog
        self.clock = clock
        self.sleep = sleep
        self._tat: dict[str, float] = {}  # theoretical arrival time of the next message
        self.dropped = 0

    def too_many(self, backlog: int) -> bool:
        """More messages of one client waiting than any person could have typed."""
        if backlog > self.max_backlog:
            self.dropped += 1
            if self.dropped % 100 == 1:
                log.warning("a client flooded the bot: %d messages waiting; extra ones are "
                            "not answered", backlog)
            return True
        return False

    async def wait_turn(self, key: str) -> float:
        """Wait until this client's next message may be handled; returns the seconds waited."""
        now = self.clock()
        tat = max(self._tat.get(key, now), now)
        delay = tat - self.tolerance - now
        delay = delay if delay > 1e-6 else 0.0  # sums of intervals are not exact
        self._tat[key] = tat + self.interval
        if len(self._tat) > 10_000:
            self._forget_idle(now)
        if delay > 0:
            await self.sleep(delay)
        return delay

    def _forget_idle(self, now: float) -> None:
        for key in [k for k, tat in self._tat.items() if tat < now]:
            del self._tat[key]
