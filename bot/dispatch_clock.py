"""The clock that wakes the dispatcher: APScheduler (the version python-telegram-bot pins).

Only a clock: what is due lives in the scheduled-message table, so several processes can run
a clock each (APScheduler 3 processes sharing a job store would run the same job twice; here
they share nothing but the table and its leases). `wake()` runs a round at once, for a
notice a counselor just planned.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from dialogues.dispatcher import Dispatcher, DispatchStats

log = logging.getLogger(__name__)

JOB_ID = "werkmaat-dispatch"


class DispatchClock:
    def __init__(self, dispatcher: Dispatcher, every_seconds: float) -> None:
        self.dispatcher = dispatcher
        self.every_seconds = every_seconds
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self.totals = DispatchStats()
        self._running = False
        self._again = False

    def start(self) -> None:
        self.scheduler.add_job(self._tick, "interval", seconds=self.every_seconds, id=JOB_ID,
                               max_instances=2, coalesce=True, replace_existing=True,
                               next_run_time=datetime.now(UTC))
        self.scheduler.start()

    def wake(self) -> None:
        """Look at the table now (or right after the round that is running)."""
        if self._running:
            self._again = True
        elif self.scheduler.running:
            self.scheduler.modify_job(JOB_ID, next_run_time=datetime.now(UTC))

    def daily(self, at: str, timezone: str, job: Callable[[], object], name: str) -> None:
        """Run a blocking job (retention) once a day at a local time, in a worker thread.

        Every process with a clock runs it; the job must be safe to run twice."""
        hour, minute = (int(x) for x in at.split(":"))

        async def run() -> None:
            try:
                result = await asyncio.to_thread(job)
                log.info("%s: %s", name, result)
            except Exception:
                log.exception("%s failed; it runs again tomorrow", name)

        self.scheduler.add_job(run, "cron", hour=hour, minute=minute,
                               timezone=ZoneInfo(timezone), id=f"werkmaat-{name}",
                               coalesce=True, misfire_grace_time=3600, replace_existing=True)

    def shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    async def _tick(self) -> None:
        """A tick during a long round asks for one more look afterwards, nothing else."""
        if self._running:
            self._again = True
            return
        await self._round()

    async def _round(self) -> None:
        self._running = True
        try:
            while True:
                self._again = False
                stats = await self.dispatcher.run_until_idle()
                self.totals.add(stats)
                if stats.claimed:
                    log.info("scheduled messages: %d sent, %d skipped, %d to retry, %d failed",
                             stats.sent, stats.skipped, stats.retried, stats.failed)
                if not self._again:
                    break
        except Exception:
            log.exception("the dispatcher's round failed; the next one tries again")
        finally:
            self._running = False
