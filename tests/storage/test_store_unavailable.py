"""A database that cannot be reached is `StoreUnavailable`: worth trying again, not a bug."""

from __future__ import annotations

import pytest

from storage import StoreUnavailable
from storage.sql import Database


def test_a_database_that_cannot_be_reached_is_unavailable():
    database = Database("postgresql+psycopg://werkmaat@127.0.0.1:1/nowhere")
    try:
        with pytest.raises(StoreUnavailable), database() as uow:
            uow.clients.get(1)
    finally:
        database.dispose()


def test_other_errors_stay_what_they_are(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'w.db'}")
    database.upgrade()
    try:
        with pytest.raises(KeyError), database():
            raise KeyError("a bug is not an outage")
    finally:
        database.dispose()
