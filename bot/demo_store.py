"""Writing demo rows in bulk: typed rows per table, ids chosen in Python, COPY on PostgreSQL.

The demo generator makes millions of rows that point at each other. Choosing the ids here
(after the current maximum of each table) lets a client's rows reference each other without
a round trip per row; PostgreSQL's sequences are moved past them afterwards.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple, Protocol

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Connection,
    Date,
    DateTime,
    Float,
    Integer,
    String,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.sql.schema import Table
from sqlalchemy.types import TypeDecorator, TypeEngine

from storage.sql import models as m

CORE_CHUNK = 5_000  # rows per executemany on SQLite and other databases


class CounselorRow(NamedTuple):
    id: int
    name: str
    telegram_user_id: int | None
    languages: str
    role: str
    active: bool
    login: str | None
    password_hash: str
    created_at: datetime


class ClientRow(NamedTuple):
    id: int
    first_name: str
    contact: str
    language: str
    status: str
    consent: str
    reachable: bool
    created_at: datetime
    last_seen_at: datetime


class IdentityRow(NamedTuple):
    id: int
    client_id: int
    channel: str
    external_id: str
    created_at: datetime


class ConsentRow(NamedTuple):
    id: int
    client_id: int
    purpose: str
    version: str
    granted: bool
    language: str
    text: str
    created_at: datetime


class CaseRow(NamedTuple):
    id: int
    client_id: int
    counselor_id: int | None
    status: str
    outcome: str | None
    municipality: str
    non_eu_nationality: str
    seeking: str
    help_wanted: str
    opened_at: datetime
    closed_at: datetime | None


class JobRow(NamedTuple):
    id: int
    client_id: int
    case_id: int | None
    started_on: date
    contract: str
    employer: str
    created_at: datetime
    ended_at: datetime | None
    end_reason: str
    paused: bool


class CheckinRow(NamedTuple):
    id: int
    job_id: int
    client_id: int
    number: int
    sent_at: datetime
    answer: str | None
    problem: str
    note: str
    answered_at: datetime | None


class AppointmentRow(NamedTuple):
    id: int
    client_id: int
    case_id: int | None
    counselor_id: int | None
    starts_at: datetime
    duration_minutes: int
    kind: str
    mode: str
    location: str
    with_whom: str
    status: str
    proposed_at: datetime | None
    answered_at: datetime | None
    client_answer: str | None
    created_at: datetime
    updated_at: datetime | None
    version: int


class EscalationRow(NamedTuple):
    id: int
    client_id: int
    case_id: int | None
    reason: str
    priority: str
    language: str
    summary: str
    status: str
    claimed_by: int | None
    created_at: datetime
    claimed_at: datetime | None
    resolved_at: datetime | None
    reminders: int
    reminded_at: datetime | None


class TaskRow(NamedTuple):
    id: int
    client_id: int | None
    case_id: int | None
    kind: str
    priority: str
    status: str
    summary: str
    created_at: datetime
    notified_at: datetime | None


class RightsCheckRow(NamedTuple):
    id: int
    client_id: int
    case_id: int | None
    answers: dict[str, str]
    results: list[str]
    created_at: datetime


class InteractionRow(NamedTuple):
    id: int
    client_id: int
    case_id: int | None
    direction: str
    author: str
    counselor_id: int | None
    channel: str
    kind: str
    text: str
    payload: str
    language: str
    intent: str
    confidence: float | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class TableRows:
    """Rows for one table, with the table and the columns they fill, in order."""

    table: Table
    columns: tuple[str, ...]
    rows: Sequence[tuple[Any, ...]]


def _table(model: type[m.Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


ROW_TABLES: dict[type[tuple[Any, ...]], Table] = {
    CounselorRow: _table(m.Counselor), ClientRow: _table(m.Client),
    IdentityRow: _table(m.ChannelIdentity), ConsentRow: _table(m.ConsentEntry),
    CaseRow: _table(m.Case), JobRow: _table(m.Job), CheckinRow: _table(m.Checkin),
    AppointmentRow: _table(m.Appointment), EscalationRow: _table(m.Escalation),
    TaskRow: _table(m.Task), RightsCheckRow: _table(m.RightsCheck),
    InteractionRow: _table(m.Interaction),
}
TABLE_NAMES: tuple[str, ...] = tuple(t.name for t in ROW_TABLES.values())


@dataclass(slots=True)
class Batch:
    """The rows made for a batch of clients; `tables()` gives them in foreign-key order."""

    clients: list[ClientRow] = field(default_factory=list)
    identities: list[IdentityRow] = field(default_factory=list)
    consents: list[ConsentRow] = field(default_factory=list)
    cases: list[CaseRow] = field(default_factory=list)
    jobs: list[JobRow] = field(default_factory=list)
    checkins: list[CheckinRow] = field(default_factory=list)
    appointments: list[AppointmentRow] = field(default_factory=list)
    escalations: list[EscalationRow] = field(default_factory=list)
    tasks: list[TaskRow] = field(default_factory=list)
    rights_checks: list[RightsCheckRow] = field(default_factory=list)
    interactions: list[InteractionRow] = field(default_factory=list)

    def tables(self) -> Iterator[TableRows]:
        for rows, kind in ((self.clients, ClientRow), (self.identities, IdentityRow),
                           (self.consents, ConsentRow), (self.cases, CaseRow),
                           (self.jobs, JobRow), (self.checkins, CheckinRow),
                           (self.appointments, AppointmentRow),
                           (self.escalations, EscalationRow), (self.tasks, TaskRow),
                           (self.rights_checks, RightsCheckRow),
                           (self.interactions, InteractionRow)):
            if rows:
                yield table_rows(kind, rows)


def table_rows(kind: type[tuple[Any, ...]], rows: Sequence[tuple[Any, ...]]) -> TableRows:
    columns: tuple[str, ...] = kind._fields  # type: ignore[attr-defined]
    return TableRows(ROW_TABLES[kind], columns, rows)


class IdAllocator:
    """The next free id of each table, read once; ids are then handed out here."""

    def __init__(self, connection: Connection) -> None:
        self._next = {name: (connection.scalar(select(func.max(table.c.id))) or 0) + 1
                      for name, table in ((t.name, t) for t in ROW_TABLES.values())}

    def take(self, table: str) -> int:
        value = self._next[table]
        self._next[table] = value + 1
        return value


class BulkWriter(Protocol):
    def write(self, rows: TableRows) -> None: ...


class CoreWriter:
    """Any database: SQLAlchemy Core executemany, in chunks."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def write(self, rows: TableRows) -> None:
        statement = insert(rows.table)
        for start in range(0, len(rows.rows), CORE_CHUNK):
            chunk = rows.rows[start:start + CORE_CHUNK]
            self._connection.execute(statement, [dict(zip(rows.columns, row, strict=True))
                                                 for row in chunk])


class CopyWriter:
    """PostgreSQL: binary COPY through psycopg, on the transaction's own connection; several
    times faster than INSERT, for the client and for the server."""

    def __init__(self, connection: Connection) -> None:
        raw = connection.connection.driver_connection
        if raw is None:
            raise RuntimeError("no driver connection for COPY")
        self._raw = raw

    def write(self, rows: TableRows) -> None:
        sql = f"COPY {rows.table.name} ({', '.join(rows.columns)}) FROM STDIN (FORMAT BINARY)"
        with self._raw.cursor() as cursor, cursor.copy(sql) as copy:
            copy.set_types([copy_type(rows.table.c[name].type) for name in rows.columns])
            for row in rows.rows:
                copy.write_row(row)


def copy_type(column_type: TypeEngine[Any]) -> str:
    """The PostgreSQL type binary COPY sends a column's values as."""
    if isinstance(column_type, TypeDecorator):
        column_type = column_type.impl_instance
    for kind, name in COPY_TYPES:
        if isinstance(column_type, kind):
            return name
    raise TypeError(f"no COPY type for {column_type!r}")


COPY_TYPES: tuple[tuple[type[TypeEngine[Any]], str], ...] = (
    (BigInteger, "int8"), (Integer, "int4"), (Boolean, "bool"), (Float, "float8"),
    (DateTime, "timestamptz"), (Date, "date"), (JSON, "json"), (String, "text"),
)


class BackgroundWriter:
    """Writes batches on a thread of its own while the next batch is made: the database works
    on one batch while Python makes the next (the thread mostly waits on the server)."""

    def __init__(self, writer: BulkWriter, written: Callable[[TableRows], None],
                 depth: int = 2) -> None:
        self._writer, self._written = writer, written
        self._queue: queue.Queue[Batch | None] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="demo-writer", daemon=True)
        self._thread.start()

    def put(self, batch: Batch) -> None:
        self._offer(batch)

    def close(self) -> None:
        """Wait for everything to be written; a failure in the thread is raised here."""
        self._offer(None)
        self._thread.join()
        self._raise_error()

    def _offer(self, item: Batch | None) -> None:
        while True:
            self._raise_error()
            try:
                self._queue.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    def _raise_error(self) -> None:
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        while (batch := self._queue.get()) is not None:
            try:
                for rows in batch.tables():
                    self._writer.write(rows)
                    self._written(rows)
            except BaseException as exc:  # handed to the generating thread
                self._error = exc
                return


def writer_for(connection: Connection) -> BulkWriter:
    if connection.dialect.name == "postgresql":
        return CopyWriter(connection)
    return CoreWriter(connection)


def reset_sequences(connection: Connection, tables: Sequence[str] = TABLE_NAMES) -> None:
    """PostgreSQL: move each id sequence past the ids chosen here, so the next ordinary insert
    does not collide. Other databases take max(id) + 1 by themselves."""
    if connection.dialect.name != "postgresql":
        return
    for name in tables:
        connection.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), max(id)) FROM {name} "
            "HAVING max(id) IS NOT NULL"))


@contextmanager
def foreign_keys_checked_once(connection: Connection, tables: Sequence[str] = TABLE_NAMES
                              ) -> Iterator[None]:
    """PostgreSQL: drop the tables' foreign keys for the load and add them back after it, as
    they were. Each constraint is then checked once, with one join, instead of row by row
    (three times faster here; the manual's advice in "Populating a Database"). It all happens
    in the caller's transaction, so a failed load leaves the constraints untouched. Other
    databases check as they go."""
    if connection.dialect.name != "postgresql":
        yield
        return
    quote = connection.dialect.identifier_preparer.quote
    found = connection.execute(text(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE contype = 'f' AND conrelid::regclass::text = ANY(:tables) ORDER BY 1, 2"),
        {"tables": list(tables)}).all()
    for table, name, _definition in found:
        connection.execute(text(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}"))
    yield
    for table, name, definition in found:
        connection.execute(text(
            f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}"))


def analyze(connection: Connection, tables: Sequence[str] = TABLE_NAMES) -> None:
    """PostgreSQL: fresh planner statistics, so the dashboard's first queries plan well."""
    if connection.dialect.name != "postgresql":
        return
    for name in tables:
        connection.execute(text(f"ANALYZE {name}"))
