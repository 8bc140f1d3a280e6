"""The dispatcher: claims due scheduled messages with a lease, delivers them, records it.

The table is the truth; whatever wakes the dispatcher (APScheduler in the running process, a
test calling `run_once`) is only a clock. Several dispatchers may run against one PostgreSQL
database: a row is held by one lease at a time, and a crashed dispatcher's rows are taken over
when its lease runs out.

Exactly once, and the one window: a message is marked sent in its own short transaction right
after the channel confirmed it. If the process dies between the channel's confirmation and that
commit, the row's lease runs out and the message is sent again. The window is one database
round trip (about a millisecond on a local PostgreSQL); everything else (a crash before the
send, a failed send, a restart) loses nothing and sends nothing twice. A dispatcher never starts
a send on a lease with less than `LEASE_MARGIN` left, so a slow round cannot overlap another
dispatcher's.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from dialogues.channel import AlertSink, Channel
from dialogues.i18n import N_, Translator
from dialogues.messages import ChannelName, CounselorAlert
from dialogues.nazorg_messages import render_nazorg
from dialogues.scheduled_messages import Rendered, alert_for, render_appointment
from dialogues.settings import DialogueSettings
from storage.records import (
    Author,
    ConsentState,
    Direction,
    InteractionRecord,
    ScheduledKind,
    ScheduledMessageRecord,
    ScheduledStatus,
    TaskKind,
    TaskRecord,
)
from storage.repositories import UnitOfWorkFactory

log = logging.getLogger(__name__)

LEASE_SECONDS = 60.0
LEASE_MARGIN = timedelta(seconds=20)
MAX_ATTEMPTS = 6
RECORD_ATTEMPTS = 6  # waits 0.5 + 1 + 2 + 4 + 8 s for the store, within LEASE_MARGIN
NAZORG_KINDS = (ScheduledKind.NAZORG_CHECKIN, ScheduledKind.NAZORG_SILENCE)
PARALLEL_CLIENTS = 16  # clients served at once by one dispatcher; one client's rows in order


@dataclass
class DispatchStats:
    claimed: int = 0
    sent: int = 0
    skipped: int = 0
    retried: int = 0
    failed: int = 0
    lost_lease: int = 0

    def add(self, other: DispatchStats) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


class Dispatcher:
    def __init__(self, store: UnitOfWorkFactory, settings: DialogueSettings,
                 channels: Mapping[ChannelName, Channel], alerts: AlertSink | None,
                 clock: Callable[[], datetime], owner: str,
                 lease_seconds: float = LEASE_SECONDS, batch: int = 50) -> None:
        self.store = store
        self.settings = settings
        self.channels = channels
        self.alerts = alerts
        self.clock = clock
        self.owner = owner
        self.lease_seconds = lease_seconds
        self.batch = batch
        self.staff = Translator(settings.staff_language, settings.timezone)

    async def run_once(self) -> DispatchStats:
        """Claim one batch of due rows and deliver them; returns what happened."""
        rows = await asyncio.to_thread(self._claim)
        stats = DispatchStats(claimed=len(rows))
        by_client: dict[int, list[ScheduledMessageRecord]] = defaultdict(list)
        for row in rows:
            by_client[row.client_id].append(row)
        gate = asyncio.Semaphore(PARALLEL_CLIENTS)

        async def serve(client_rows: list[ScheduledMessageRecord]) -> DispatchStats:
            async with gate:
                result = DispatchStats()
                for row in client_rows:
                    result.add(await self._deliver(row))
                return result

        for result in await asyncio.gather(*(serve(r) for r in by_client.values())):
            stats.add(result)
        return stats

    async def run_until_idle(self, max_rounds: int = 1000) -> DispatchStats:
        """Rounds until nothing is due (tests, the benchmark, a catch-up after a restart)."""
        total = DispatchStats()
        for _ in range(max_rounds):
            stats = await self.run_once()
            total.add(stats)
            if stats.claimed == 0:
                break
        return total

    # ---- one row ----------------------------------------------------------------------------

    async def _deliver(self, row: ScheduledMessageRecord) -> DispatchStats:
        try:
            rendered = await asyncio.to_thread(self._render, row)
        except Exception:
            log.exception("could not prepare scheduled message %s", row.id)
            return await asyncio.to_thread(self._failed_attempt, row, "render failed")
        if rendered.skip:
            done = await asyncio.to_thread(self._finish, row, ScheduledStatus.SKIPPED, rendered)
            return DispatchStats(skipped=1) if done is not None else DispatchStats(lost_lease=1)
        if rendered.to is None:  # for the counselors only
            done = await asyncio.to_thread(self._finish, row, ScheduledStatus.SENT, rendered)
            if done is None:
                return DispatchStats(lost_lease=1)
            await self._announce(done)
            return DispatchStats(sent=1)
        channel = self.channels.get(rendered.to.channel)
        if channel is None:
            # another process may have the channel (Telegram in a dispatcher, say): retry later
            return await asyncio.to_thread(self._failed_attempt, row,
                                           f"no {rendered.to.channel.value} channel here")
        if row.lease_until is not None and row.lease_until - self.clock() < LEASE_MARGIN:
            await asyncio.to_thread(self._give_back, row)
            return DispatchStats(retried=1)
        delivered = True
        for message in rendered.messages:
            try:
                delivered = await channel.send(rendered.to, message) is not False
            except Exception:
                log.exception("sending scheduled message %s failed", row.id)
                delivered = False
            if not delivered:
                break
        if not delivered:
            return await asyncio.to_thread(self._failed_attempt, row, "not delivered")
        done = await self._record_sent(row, rendered)
        if done is None:
            log.warning("scheduled message %s was sent after its lease ran out", row.id)
            return DispatchStats(sent=1, lost_lease=1)
        return DispatchStats(sent=1)

    async def _record_sent(self, row: ScheduledMessageRecord,
                           rendered: Rendered) -> list[CounselorAlert] | None:
        """Mark a delivered row sent. The message is out, so a store away for a moment (a
        database restart) is waited for: giving up would send it again when the lease ends."""
        for attempt in range(1, RECORD_ATTEMPTS + 1):
            try:
                return await asyncio.to_thread(self._finish, row, ScheduledStatus.SENT, rendered)
            except Exception:
                if attempt == RECORD_ATTEMPTS:
                    raise
                log.warning("could not record scheduled message %s as sent (attempt %d of %d)",
                            row.id, attempt, RECORD_ATTEMPTS)
                await asyncio.sleep(0.5 * 2 ** (attempt - 1))
        raise AssertionError("unreachable")

    async def _announce(self, alerts: list[CounselorAlert]) -> None:
        if self.alerts is None:
            return
        for alert in alerts:
            try:
                await self.alerts.alert(alert)
            except Exception:
                log.exception("counselor alert %s not delivered now; it stays in the store",
                              alert.task_id)

    # ---- store (in a thread) ----------------------------------------------------------------

    def _claim(self) -> list[ScheduledMessageRecord]:
        with self.store() as uow:
            rows = list(uow.schedule.claim_due(self.clock(), self.owner, self.lease_seconds,
                                               self.batch))
            uow.commit()
        return rows

    def _render(self, row: ScheduledMessageRecord) -> Rendered:
        render = render_nazorg if row.kind in NAZORG_KINDS else render_appointment
        with self.store() as uow:
            return render(uow, row, self.settings, self.clock())

    def _finish(self, row: ScheduledMessageRecord, status: ScheduledStatus,
                rendered: Rendered) -> list[CounselorAlert] | None:
        """Mark the row done and keep what it did in the case; None if the lease was lost."""
        now = self.clock()
        alerts: list[CounselorAlert] = []
        with self.store() as uow:
            if not uow.schedule.finish(row.id, row.lease_owner, status, now, rendered.skip):
                return None
            for task, actions in zip(rendered.tasks, rendered.actions, strict=True):
                alerts.append(alert_for(uow.tasks.add(task), actions))
            if status == ScheduledStatus.SENT:
                for effect in rendered.effects:
                    effect(uow, now)
            client = uow.clients.get(row.client_id)
            if (status == ScheduledStatus.SENT and rendered.to is not None
                    and client is not None and client.consent == ConsentState.GRANTED):
                case = uow.cases.current_for(client.id)
                for message in rendered.messages:
                    uow.interactions.add(InteractionRecord(
                        client_id=client.id, case_id=case.id if case else None,
                        direction=Direction.OUT, author=Author.BOT,
                        channel=rendered.to.channel.value, created_at=now, kind=row.kind.value,
                        text=message.text, language=message.language,
                        payload=" ".join(b.payload for b in message.flat_buttons)[:200]))
            uow.commit()
        return alerts

    def _give_back(self, row: ScheduledMessageRecord) -> None:
        with self.store() as uow:
            uow.schedule.retry_later(row.id, row.lease_owner, self.clock(), "lease nearly over")
            uow.commit()

    def _failed_attempt(self, row: ScheduledMessageRecord, error: str) -> DispatchStats:
        """Try again later, or give up after `MAX_ATTEMPTS` and tell the counselors."""
        now = self.clock()
        with self.store() as uow:
            client = uow.clients.get(row.client_id)
            if client is not None and not client.reachable:
                uow.schedule.finish(row.id, row.lease_owner, ScheduledStatus.SKIPPED, now,
                                    "client blocked the bot")
                uow.commit()
                return DispatchStats(skipped=1)
            if row.attempts < MAX_ATTEMPTS:
                uow.schedule.retry_later(row.id, row.lease_owner, now + backoff(row.attempts),
                                         error)
                uow.commit()
                return DispatchStats(retried=1)
            if not uow.schedule.finish(row.id, row.lease_owner, ScheduledStatus.FAILED, now,
                                       error):
                return DispatchStats(lost_lease=1)
            name = client.first_name if client and client.first_name else f"#{row.client_id}"
            case = uow.cases.current_for(row.client_id)
            uow.tasks.add(TaskRecord(
                kind=TaskKind.MESSAGE_UNDELIVERED, created_at=now, client_id=row.client_id,
                case_id=case.id if case else None,
                summary=self.staff.format(self.staff.gettext(N_(
                    "⚠️ Een gepland bericht aan {name} ({kind}) kwam na {attempts} pogingen "
                    "niet aan. Neem zelf contact op.")), name=name,
                    kind=self.staff.gettext(N_("nazorg") if row.kind in NAZORG_KINDS
                                            else N_("afspraak")),
                    attempts=row.attempts)))
            uow.commit()
        return DispatchStats(failed=1)

