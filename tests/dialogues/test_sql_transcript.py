"""The same first contact through the SQL store, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest

from storage import ClientStatus
from storage.sql import Database
from tests.dialogues.test_first_contact import DUTCH_TO_REGISTERED
from tests.transcript import Conversation, make_engine


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres",
                                                            marks=pytest.mark.postgres)])
def test_first_contact_on_a_real_database(backend, nlu, tmp_path, request):
    url = (f"sqlite:///{tmp_path / 'w.db'}" if backend == "sqlite"
           else request.getfixturevalue("postgres_url"))
    database = Database(url)
    database.upgrade()
    try:
        half = len(DUTCH_TO_REGISTERED) // 2
        first = Conversation(make_engine(database, nlu)).run(*DUTCH_TO_REGISTERED[:half])
        # a fresh engine and a fresh connection pool: as after a restart
        database.dispose()
        again = Database(url)
        Conversation(make_engine(again, nlu), first.key, last=first.last).run(
            *DUTCH_TO_REGISTERED[half:])
        with again() as uow:
            client = uow.clients.by_identity("telegram", "1001")
            assert client is not None and client.status == ClientStatus.REGISTERED
            assert uow.cases.current_for(client.id) is not None
            assert len(uow.interactions.for_client(client.id)) > 10
        again.dispose()
    finally:
        database.dispose()
