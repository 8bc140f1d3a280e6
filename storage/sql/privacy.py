"""A client's own data: everything stored about them, and erasing it.

Both work table by table over the models' metadata, so a table added later that holds a
`client_id` is exported without anyone remembering to, and erasing refuses to run until the
new table has a rule here (tests/storage check every table is covered).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, and_, delete, or_, select, update
from sqlalchemy.orm import Session, aliased

from storage.records import CaseStatus, ClientStatus, ConsentState
from storage.sql import models as m

# What erasing does per table that holds a client_id: delete the rows, blank some columns
# (the row stays for the programme's anonymous figures), or keep the row as it is.
DELETE = "delete"
KEEP = "keep"
ERASURE: dict[str, str | tuple[str, ...]] = {
    "channel_identities": DELETE,  # the chat ids: a returning client starts afresh
    "conversation_states": DELETE,
    "interactions": DELETE,  # every message both ways
    "consent_records": DELETE,
    "tasks": DELETE,  # their summaries quote the client
    "counselor_topics": DELETE,
    "scheduled_messages": DELETE,  # nothing more is sent
    "rights_checks": DELETE,  # answers about income, health, debts
    "escalations": ("summary",),  # kept for the figures (reply times), without the words
    "appointments": ("location", "with_whom"),  # kept for the no-show figures
    "jobs": ("employer", "end_reason"),
    "checkins": ("note",),
    "cases": KEEP,  # the anonymous outcome record: dates, status, outcome, municipality
}


class UnknownTable(Exception):
    """A table holds client data but has no erasure rule: add one to ERASURE."""


def client_tables() -> list[Table]:
    return [t for t in m.Base.metadata.sorted_tables if "client_id" in t.c]


class SqlPrivacy:
    def __init__(self, session: Session) -> None:
        self._s = session

    def export(self, client_id: int) -> dict[str, list[dict[str, Any]]]:
        clients = m.Client.__table__
        found: dict[str, list[dict[str, Any]]] = {
            "clients": self._rows(select(clients).where(clients.c.id == client_id))}
        for table in client_tables():
            rows = self._rows(select(table).where(table.c.client_id == client_id))
            if rows:
                found[table.name] = rows
        tokens = self._web_tokens(client_id)
        if tokens:
            outbox = m.WebOutboxMessage
            found["web_outbox"] = self._rows(
                select(*outbox.__table__.c).where(outbox.external_id.in_(tokens))
                .order_by(outbox.id))
        return found

    def erase(self, client_id: int) -> dict[str, int]:
        unknown = [t.name for t in client_tables() if t.name not in ERASURE]
        if unknown:
            raise UnknownTable(", ".join(unknown))
        counts: dict[str, int] = {}
        tokens = self._web_tokens(client_id)
        if tokens:
            counts["web_outbox"] = self._count(self._s.execute(
                delete(m.WebOutboxMessage).where(m.WebOutboxMessage.external_id.in_(tokens))))
        for table in reversed(client_tables()):  # children before parents
            rule = ERASURE[table.name]
            if rule == KEEP:
                continue
            if rule == DELETE:
                result = self._s.execute(delete(table).where(table.c.client_id == client_id))
            else:
                result = self._s.execute(update(table).where(table.c.client_id == client_id)
                                         .values({column: "" for column in rule}))
            counts[table.name] = self._count(result)
        self._s.execute(update(m.Client).where(m.Client.id == client_id).values(
            first_name="", contact="", status=ClientStatus.ERASED.value,
            consent=ConsentState.WITHDRAWN.value, reachable=False))
        counts["clients"] = 1
        self._s.flush()
        return {k: v for k, v in counts.items() if v}

    def forget_messages(self, client_id: int) -> int:
        tokens = self._web_tokens(client_id)
        count = self._count(self._s.execute(
            delete(m.Interaction).where(m.Interaction.client_id == client_id)))
        if tokens:
            self._s.execute(delete(m.WebOutboxMessage).where(
                m.WebOutboxMessage.external_id.in_(tokens)))
        self._s.execute(delete(m.Task).where(m.Task.client_id == client_id))
        self._s.execute(update(m.Escalation).where(m.Escalation.client_id == client_id)
                        .values(summary=""))
        self._s.execute(update(m.Checkin).where(m.Checkin.client_id == client_id)
                        .values(note=""))
        self._s.flush()
        return count

    def closed_since(self, before: datetime, limit: int = 500) -> list[int]:
        said = (select(m.Interaction.id).where(m.Interaction.client_id == m.Client.id)
                .exists())
        return list(self._s.scalars(
            select(m.Client.id).where(_all_cases_closed_before(before), said)
            .order_by(m.Client.id).limit(limit)))

    def erasable(self, closed_before: datetime, seen_before: datetime, limit: int = 500
                 ) -> list[int]:
        has_case = select(m.Case.id).where(m.Case.client_id == m.Client.id).exists()
        return list(self._s.scalars(
            select(m.Client.id).where(
                m.Client.status != ClientStatus.ERASED.value,
                or_(_all_cases_closed_before(closed_before),
                    and_(~has_case, m.Client.last_seen_at < seen_before)))
            .order_by(m.Client.id).limit(limit)))

    def prune_outbox(self, before: datetime) -> int:
        return self._count(self._s.execute(
            delete(m.WebOutboxMessage).where(m.WebOutboxMessage.created_at < before)))

    def _web_tokens(self, client_id: int) -> list[str]:
        return list(self._s.scalars(select(m.ChannelIdentity.external_id).where(
            m.ChannelIdentity.client_id == client_id, m.ChannelIdentity.channel == "web")))

    def _rows(self, query: Any) -> list[dict[str, Any]]:
        return [{k: _plain(v) for k, v in row._mapping.items()}
                for row in self._s.execute(query)]

    @staticmethod
    def _count(result: Any) -> int:
        return int(getattr(result, "rowcount", 0) or 0)


def _all_cases_closed_before(before: datetime) -> Any:
    """The client has cases, and every one of them closed before `before`."""
    case = aliased(m.Case)
    some = select(case.id).where(case.client_id == m.Client.id).exists()
    open_or_recent = select(case.id).where(
        case.client_id == m.Client.id,
        or_(case.status != CaseStatus.CLOSED.value, case.closed_at.is_(None),
            case.closed_at >= before)).exists()
    return and_(some, ~open_or_recent)


def _plain(value: Any) -> Any:
    """JSON-ready: dates as ISO 8601 text."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value
