"""Opening the case store: engine, sessions and schema migrations."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker

from storage.sql import encryption
from storage.sql.encryption import Cipher, ColumnRotation
from storage.sql.models import Base
from storage.sql.unit_of_work import SqlUnitOfWork

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain postgresql:// URLs, the driver Werkmaat ships with."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


HOLDS = 8  # connections for holds in one process (see Database.hold_client)


def create_db_engine(url: str) -> Engine:
    """An engine whose errors and logs never show the values of a statement: they are what
    clients said and who they are (hide_parameters)."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                               hide_parameters=True)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            if parsed.database and parsed.database != ":memory:":
                # WAL with NORMAL syncs: a commit survives the process dying (SIGKILL) and
                # never corrupts the file; only a power cut may take the last commits back.
                # FULL paid an fsync per commit, most of a turn's time (PostgreSQL for more).
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10,
                         hide_parameters=True)


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return cfg


def upgrade(url: str, engine: Engine | None = None) -> None:
    """Bring the schema to the newest migration (what `werkmaat db upgrade` runs)."""
    cfg = alembic_config(url)
    if engine is None:
        command.upgrade(cfg, "head")  # a connection of Alembic's own: no foreign keys on SQLite
        return
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # SQLite changes a column by copying the table and dropping the old one; with
            # foreign keys enforced, dropping `clients` would delete every row that cascades
            # from it. The pragma only takes effect outside a transaction.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            with connection.begin():
                cfg.attributes["connection"] = connection
                command.upgrade(cfg, "head")
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise RuntimeError(f"migration broke foreign keys: {broken[:5]}")
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


def schema_is_current(engine: Engine, url: str) -> bool:
    """Whether the database is at the newest migration."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision() == newest(url)


@lru_cache(maxsize=8)
def newest(url: str) -> str | None:
    """The newest migration this code knows. Reading the migration scripts takes a good part
    of a second, and /readyz asks on every probe: they do not change while Werkmaat runs."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(url)).get_current_head()


class Database:
    """An engine and the unit-of-work factory over it; with a cipher, message texts and
    personal free text are encrypted at rest (docs/encryption.md)."""

    def __init__(self, url: str, cipher: Cipher | None = None) -> None:
        self.url = normalise_url(url)
        self.engine = create_db_engine(self.url)
        self.cipher = cipher
        encryption.attach(self.engine, cipher)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # SQLite lets one writer in at a time and makes the others retry with growing sleeps
        # (up to 100 ms each): under load, threads waited far longer than they worked. One
        # unit of work at a time in the process (SQLite serves one) waits without sleeping.
        self._serial = threading.RLock() if self.engine.dialect.name == "sqlite" else None
        self._holds: Engine | None = None  # see hold_client

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._sessions, self._serial)

    def upgrade(self) -> None:
        upgrade(self.url, self.engine)

    def schema_is_current(self) -> bool:
        return schema_is_current(self.engine, self.url)

    def unreadable(self) -> str | None:
        """Why this store's encrypted values cannot be read with the cipher given; None if
        they can (or nothing is encrypted)."""
        return encryption.unreadable(self.engine, Base.metadata.sorted_tables)

    def rotate_keys(self, batch_size: int = 500,
                    progress: Callable[[ColumnRotation], None] | None = None
                    ) -> list[ColumnRotation]:
        """Re-encrypt every encrypted value under the current (first) key."""
        return encryption.rotate(self.engine, Base.metadata.sorted_tables, batch_size, progress)

    @property
    def shared(self) -> bool:
        """Whether several processes may use this store at once (PostgreSQL, not SQLite)."""
        return self.engine.dialect.name == "postgresql"

    @contextmanager
    def hold_client(self, channel: str, external_id: str) -> Iterator[None]:
        """While a client's message is handled and answered, other processes wait to handle
        that client's messages (PostgreSQL; SQLite serves one process). A session advisory
        lock on a connection of its own, released with it, also when the process dies."""
        if self.engine.dialect.name != "postgresql":
            yield
            return
        digest = hashlib.blake2b(f"delivery:{channel}:{external_id}".encode(),
                                 digest_size=8).digest()
        key = int.from_bytes(digest, "big", signed=True)
        if self._holds is None:
            # Connections of their own: a hold lasts while the turn runs on another connection
            # and its replies go out, so holds drawn from the turns' pool could take every
            # connection and leave the turns they wait for none. The engine holds at most a
            # few clients at once (dialogues.engine.HOLDS_AT_ONCE); more wait for a connection.
            self._holds = create_engine(self.url, pool_size=HOLDS, max_overflow=0,
                                        pool_timeout=120, pool_pre_ping=True,
                                        hide_parameters=True)
        with self._holds.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
            connection.commit()
            try:
                yield
            finally:
                try:
                    connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                    connection.commit()
                except Exception:  # the connection went, and the lock with it
                    connection.invalidate()

    def dispose(self) -> None:
        self.engine.dispose()
        if self._holds is not None:
            self._holds.dispose()
