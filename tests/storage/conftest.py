"""The store every contract test runs against: the in-memory twin, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from storage import UnitOfWorkFactory
from storage.memory import MemoryStore
from storage.sql import Database


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request, tmp_path) -> Iterator[UnitOfWorkFactory]:
    if request.param == "memory":
        yield MemoryStore()
        return
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'werkmaat.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    database = Database(url)
    database.upgrade()
    yield database
    database.dispose()
