"""One process at a time for the jobs that must not run side by side in several workers.

The counselor desk's announcements (new work posted in the group, unclaimed work announced
again) would be posted once per worker if every worker ran them. On PostgreSQL the leader is
whoever holds a session advisory lock on a connection of its own; when that process dies its
connection goes and another worker takes over at its next try. SQLite serves one process,
which always leads.
"""

from __future__ import annotations

import hashlib
import logging

from sqlalchemy import Connection, text

from storage.sql.database import Database

log = logging.getLogger(__name__)


class Leadership:
    def __init__(self, database: Database, job: str) -> None:
        self.database = database
        digest = hashlib.blake2b(f"werkmaat-leader:{job}".encode(), digest_size=8).digest()
        self.key = int.from_bytes(digest, "big", signed=True)
        self._connection: Connection | None = None

    def lead(self) -> bool:
        """True while this process is the leader (call before each round; blocking I/O)."""
        if self.database.engine.dialect.name != "postgresql":
            return True
        if self._connection is not None:
            try:
                self._connection.execute(text("SELECT 1"))
                self._connection.commit()
                return True
            except Exception:  # the connection went (a database restart): lead again
                log.warning("lost the lead for a singleton job; trying to take it again")
                self.release()
        connection = self.database.engine.connect()
        try:
            got = bool(connection.scalar(text("SELECT pg_try_advisory_lock(:key)"),
                                         {"key": self.key}))
            connection.commit()
        except Exception:
            connection.close()
            raise
        if not got:
            connection.close()
            return False
        self._connection = connection
        return True

    def release(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.invalidate()  # the session lock goes with the connection
            except Exception:
                log.debug("closing the leader's connection failed", exc_info=True)
