"""How long Werkmaat keeps what, and the daily run that lets go of the rest.

Defaults (each configurable, see bot/settings.py):
- what was said (messages, the web chat outbox, task texts, escalation summaries, check-in
  notes): 12 months after the client's last case closed;
- the client's personal fields and everything else personal (an erasure, as with /delete):
  24 months after the last case closed; the anonymous case stays for the figures;
- contacts who never registered (declined consent, not eligible, or stopped halfway): 30 days
  after they were last seen;
- web chat messages waiting to be fetched: 30 days.
Running it twice changes nothing more: each step only finds what is still there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from storage.records import AuditRecord
from storage.repositories import UnitOfWork, UnitOfWorkFactory

BATCH = 200  # clients per transaction, so a long first run never holds locks for long


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    messages_months: int = 12
    client_months: int = 24
    contact_days: int = 30
    outbox_days: int = 30


@dataclass
class RetentionReport:
    messages_forgotten: int = 0  # messages deleted
    clients_with_messages_forgotten: int = 0
    clients_erased: int = 0
    outbox_pruned: int = 0

    def __str__(self) -> str:
        return (f"{self.clients_erased} clients erased, {self.messages_forgotten} messages of "
                f"{self.clients_with_messages_forgotten} closed cases deleted, "
                f"{self.outbox_pruned} old web chat messages deleted")


def months_ago(now: datetime, months: int) -> datetime:
    return now - timedelta(days=round(months * 30.44))


def run_retention(store: UnitOfWorkFactory, policy: RetentionPolicy,
                  clock: Callable[[], datetime]) -> RetentionReport:
    now = clock()
    report = RetentionReport()
    erase_before = months_ago(now, policy.client_months)
    seen_before = now - timedelta(days=policy.contact_days)
    while True:
        with store() as uow:
            batch = list(uow.privacy.erasable(erase_before, seen_before, limit=BATCH))
            for client_id in batch:
                uow.privacy.erase(client_id)
            _audit(uow, now, "retention.erase", len(batch))
            uow.commit()
        report.clients_erased += len(batch)
        if len(batch) < BATCH:
            break
    quiet_before = months_ago(now, policy.messages_months)
    while True:
        with store() as uow:
            batch = list(uow.privacy.closed_since(quiet_before, limit=BATCH))
            for client_id in batch:
                report.messages_forgotten += uow.privacy.forget_messages(client_id)
            _audit(uow, now, "retention.messages", len(batch))
            uow.commit()
        report.clients_with_messages_forgotten += len(batch)
        if len(batch) < BATCH:
            break
    with store() as uow:
        report.outbox_pruned = uow.privacy.prune_outbox(now - timedelta(days=policy.outbox_days))
        uow.staff_sessions.delete_expired(now)
        uow.commit()
    return report


def _audit(uow: UnitOfWork, now: datetime, action: str, count: int) -> None:
    if count:
        uow.audit.add(AuditRecord("retention", action, "clients", now, {"count": count}))
