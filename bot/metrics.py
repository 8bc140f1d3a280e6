"""Prometheus metrics: how Werkmaat is doing, without a word of what anyone said.

One registry per process (not prometheus_client's global one), filled three ways: the engine
reports every turn (`turn_done`), the dispatcher's running totals are read at scrape time, and
the case store is asked at scrape time for what is waiting (open escalations and their age,
scheduled messages that are due). Labels are channels, languages, intents and kinds: a fixed,
small set, never client ids.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from dialogues.dispatcher import DispatchStats
from dialogues.engine import TurnFacts
from storage.records import EscalationStatus, ScheduledStatus
from storage.sql import Database
from storage.sql import models as m

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS = (0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    def __init__(self, database: Database | None = None) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.messages = Counter("werkmaat_messages", "Messages handled, by direction, channel "
                                "and language", ["direction", "channel", "language"],
                                registry=r)
        self.turns = Histogram("werkmaat_turn_seconds", "Time to handle one client message "
                               "(store and NLU included)", ["channel"],
                               buckets=LATENCY_BUCKETS, registry=r)
        self.turn_failures = Counter("werkmaat_turn_failures", "Messages whose handling failed "
                                     "(the client got an apology)", ["channel"], registry=r)
        self.nlu = Histogram("werkmaat_nlu_seconds", "Time the NLU took for one text",
                             buckets=LATENCY_BUCKETS, registry=r)
        self.confidence = Histogram("werkmaat_nlu_confidence", "The NLU's confidence in the "
                                    "intent it chose", ["intent"],
                                    buckets=(0.2, 0.3, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0),
                                    registry=r)
        self.telegram_errors = Counter("werkmaat_telegram_errors", "Telegram Bot API calls that "
                                       "failed, by kind", ["kind"], registry=r)
        if database is not None:
            r.register(StoreCollector(database))

    def turn_done(self, facts: TurnFacts) -> None:
        """The engine's observer: one client message handled."""
        language = facts.language or "unknown"
        self.messages.labels("in", facts.channel, language).inc()
        if facts.replies:
            self.messages.labels("out", facts.channel, language).inc(facts.replies)
        self.turns.labels(facts.channel).observe(facts.seconds)
        if facts.failed:
            self.turn_failures.labels(facts.channel).inc()
        if facts.nlu_seconds is not None:
            self.nlu.observe(facts.nlu_seconds)
        if facts.intent and facts.confidence is not None:
            self.confidence.labels(facts.intent).observe(facts.confidence)

    def telegram_error(self, kind: str) -> None:
        self.telegram_errors.labels(kind).inc()

    def watch_dispatcher(self, totals: Callable[[], DispatchStats]) -> None:
        self.registry.register(DispatchCollector(totals))

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class DispatchCollector(Collector):
    """The dispatcher's running totals in this process."""

    def __init__(self, totals: Callable[[], DispatchStats]) -> None:
        self.totals = totals

    def collect(self) -> Iterator[CounterMetricFamily]:
        stats = self.totals()
        family = CounterMetricFamily("werkmaat_scheduled_messages_handled",
                                     "Scheduled messages this process handled, by outcome",
                                     labels=["outcome"])
        for outcome in ("sent", "skipped", "retried", "failed", "lost_lease"):
            family.add_metric([outcome], getattr(stats, outcome))
        yield family


class StoreCollector(Collector):
    """What is waiting in the case store, asked at scrape time (a few indexed counts)."""

    def __init__(self, database: Database, clock: Callable[[], datetime] | None = None) -> None:
        self.database = database
        self.clock = clock or (lambda: datetime.now(UTC))

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = self.clock()
        with self.database.engine.connect() as connection:
            escalations = connection.execute(
                select(m.Escalation.status, func.count(), func.min(m.Escalation.created_at))
                .where(m.Escalation.status.in_((EscalationStatus.OPEN.value,
                                                EscalationStatus.CLAIMED.value)))
                .group_by(m.Escalation.status)).all()
            due = connection.execute(
                select(func.count()).select_from(m.ScheduledMessage)
                .where(m.ScheduledMessage.status == ScheduledStatus.PENDING.value,
                       m.ScheduledMessage.due_at <= now)).scalar_one()
            by_status = connection.execute(
                select(m.ScheduledMessage.status, func.count())
                .group_by(m.ScheduledMessage.status)).all()
        open_family = GaugeMetricFamily("werkmaat_escalations", "Escalations waiting for or "
                                        "with a person, by status", labels=["status"])
        age = GaugeMetricFamily("werkmaat_escalation_oldest_seconds", "Age of the oldest "
                                "escalation in each status", labels=["status"])
        found = {status: (count, oldest) for status, count, oldest in escalations}
        for status in (EscalationStatus.OPEN.value, EscalationStatus.CLAIMED.value):
            count, oldest = found.get(status, (0, None))
            open_family.add_metric([status], count)
            age.add_metric([status], _age(now, oldest))
        yield open_family
        yield age
        yield GaugeMetricFamily("werkmaat_scheduled_messages_due", "Scheduled messages due "
                                "and not yet sent", value=due)
        table = GaugeMetricFamily("werkmaat_scheduled_messages", "Scheduled messages in the "
                                  "store, by status", labels=["status"])
        for status, count in by_status:
            table.add_metric([status], count)
        yield table


def _age(now: datetime, oldest: datetime | None) -> float:
    if oldest is None:
        return 0.0
    if oldest.tzinfo is None:  # SQLite gives naive UTC back on a plain connection
        oldest = oldest.replace(tzinfo=UTC)
    return max(0.0, (now - oldest).total_seconds())
