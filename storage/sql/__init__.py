"""SQL implementation of the case store (SQLite by default, PostgreSQL in production)."""

from storage.sql.database import Database, upgrade
from storage.sql.unit_of_work import SqlUnitOfWork

__all__ = ["Database", "SqlUnitOfWork", "upgrade"]
