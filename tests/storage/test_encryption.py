"""Encryption at rest: what the database holds is tokens, what the repositories give is text;
keys rotate; a wrong or missing key is a clear error; plaintext from before still reads."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from bot.composition import open_database
from bot.settings import Settings
from storage import CaseRecord, CounselorRecord, CounselorRole, InteractionRecord
from storage.records import Author, Direction
from storage.sql import Database
from storage.sql import models as m
from storage.sql.dashboard_reads import DashboardReads
from storage.sql.encryption import (
    Cipher,
    InvalidKeys,
    UnreadableValue,
    encrypted_columns,
    is_token,
)
from tests.storage.test_privacy_contract import NAME, PHONE, SECRET, fill

ROOT = Path(__file__).resolve().parents[2]
KEY_A, KEY_B, KEY_C = (Fernet.generate_key().decode() for _ in range(3))
TOKEN = "token-yusuf-0123456789"
ENCRYPTED = encrypted_columns(m.Base.metadata.sorted_tables)
# What `fill` writes in plain words, and the column it lands in first.
NEEDLES = (NAME, PHONE, SECRET, "Barco", "thuis", "je begeleider schrijft", "نص الموافقة",
           "Sara Peeters")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'werkmaat.db'}"
    return str(request.getfixturevalue("postgres_url"))


def opened(url: str, keys: str | None) -> Database:
    database = Database(url, Cipher.from_setting(keys) if keys else None)
    database.upgrade()
    return database


@pytest.fixture
def databases() -> Iterator[list[Database]]:
    """Every Database a test opens, disposed of at the end."""
    opened_here: list[Database] = []
    yield opened_here
    for database in opened_here:
        database.dispose()


def stored(database: Database) -> dict[str, list[str]]:
    """Each encrypted column's values as the database holds them (no type in between)."""
    with database.engine.connect() as conn:
        return {f"{c.table}.{c.column}": [str(v) for v in conn.scalars(text(
                    f"SELECT {c.column} FROM {c.table} ORDER BY {c.key}")) if v]
                for c in ENCRYPTED}


def filled(database: Database) -> int:
    """A client with something in every encrypted column."""
    with database() as uow:
        client_id, _ = fill(uow, TOKEN, NAME, PHONE, SECRET)
        appointment = uow.appointments.for_client(client_id)[0]
        appointment.with_whom = "Sara Peeters"
        uow.appointments.save(appointment)
        uow.commit()
    return client_id


def test_the_database_holds_tokens_and_the_repositories_the_text(url, databases):
    database = opened(url, KEY_A)
    databases.append(database)
    client_id = filled(database)
    with database.engine.connect() as conn:
        said = list(conn.scalars(text("SELECT text FROM interactions")))
    assert len(said) == 2
    for value in said:
        assert is_token(value) and SECRET not in value and "Yusuf" not in value
    raw = stored(database)
    for column, values in raw.items():
        assert values, f"fill leaves {column} empty: the test would prove nothing there"
        for value in values:
            assert is_token(value), column
            assert Fernet(KEY_A).decrypt(value.encode())  # under the key given
    everything = json.dumps(raw, ensure_ascii=False)
    for needle in NEEDLES + ("Yusuf", "Haddad", "98 76 54"):
        assert needle not in everything, needle
    with database() as uow:
        client = uow.clients.get(client_id)
        messages = uow.interactions.for_client(client_id)
        outbox = uow.web_outbox.after(TOKEN, 0)
        state = uow.states.load(client_id)
        consents = uow.consents.for_client(client_id)
        task = uow.tasks.open()[0]
        escalation = uow.escalations.active_for(client_id)
        appointment = uow.appointments.for_client(client_id)[0]
        job = uow.jobs.for_client(client_id)[0]
        checkin = uow.checkins.for_job(job.id)[0]
    assert client is not None and (client.first_name, client.contact) == (NAME, PHONE)
    assert [i.text for i in messages] == [SECRET, f"Dag {NAME}!"]
    assert outbox[0].text == f"{NAME}, je begeleider schrijft"
    assert state is not None and state.data == {"answers": {"first_name": NAME}}
    assert consents[0].text == "نص الموافقة"
    assert task.summary == f"Nieuw: {NAME}, {PHONE}"
    assert escalation is not None and escalation.summary == f"{NAME}: {SECRET}"
    assert appointment.location == f"bij {NAME} thuis"
    assert job.employer == "Barco" and checkin.note == SECRET


def test_empty_values_stay_empty_and_none_stays_none():
    cipher = Cipher([KEY_A])
    assert cipher.encrypt("") == "" and cipher.decrypt("") == ""
    token = cipher.encrypt("Amina")
    assert token != cipher.encrypt("Amina"), "each encryption differs (a fresh IV)"
    assert cipher.decrypt(token) == "Amina"
    assert m.Client.__table__.c.first_name.type.process_bind_param(None, _Dialect(cipher)) is None


def test_rotation_moves_every_value_to_the_new_key(url, databases, tmp_path):
    first = opened(url, KEY_A)
    databases.append(first)
    client_id = filled(first)
    first.dispose()

    both = opened(url, f"{KEY_B},{KEY_A}")
    databases.append(both)
    with both() as uow:  # the old key still reads, and new writes use the new key
        assert uow.clients.get(client_id).first_name == NAME  # type: ignore[union-attr]
        other = uow.clients.add("web", "token-new-0123456789", "nl", _now())
        other.first_name = "Amina"
        uow.clients.save(other)
        uow.commit()
    columns = both.rotate_keys(batch_size=2)  # small batches: several per column
    by_name = {c.name: c for c in columns}
    assert set(by_name) == {f"{c.table}.{c.column}" for c in ENCRYPTED}
    assert by_name["interactions.text"].rotated == 2
    assert by_name["clients.first_name"].rotated == 1
    assert by_name["clients.first_name"].current == 1  # Amina, written under B
    assert not any(c.unreadable or c.changed for c in columns)
    only_b = Fernet(KEY_B.encode())
    for column, values in stored(both).items():
        for value in values:
            assert only_b.decrypt(value.encode()), column
    again = both.rotate_keys()
    assert not any(c.rotated for c in again), "a second run has nothing to do"
    both.dispose()

    newest = opened(url, KEY_B)
    databases.append(newest)
    assert newest.unreadable() is None
    with newest() as uow:
        export = json.dumps(uow.privacy.export(client_id), ensure_ascii=False)
    for needle in NEEDLES:
        assert needle in export, needle


def test_the_rotate_command(tmp_path):
    env = {"WERKMAAT_DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}", "PYTHONUTF8": "1"}
    key = werkmaat("encryption", "key", env=env)
    assert key.returncode == 0, key.stderr
    new = key.stdout.strip()
    Fernet(new.encode())  # a key that works
    database = opened(env["WERKMAAT_DATABASE_URL"], KEY_A)
    client_id = filled(database)
    database.dispose()

    without = werkmaat("encryption", "rotate", env=env)
    assert without.returncode == 1 and "WERKMAAT_ENCRYPTION_KEYS is not set" in without.stderr
    refused = werkmaat("encryption", "rotate", env={**env, "WERKMAAT_ENCRYPTION_KEYS": new})
    assert refused.returncode != 0 and "cannot be read" in refused.stderr
    assert KEY_A not in refused.stderr and new not in refused.stderr

    rotated = werkmaat("encryption", "rotate",
                       env={**env, "WERKMAAT_ENCRYPTION_KEYS": f"{new},{KEY_A}"})
    assert rotated.returncode == 0, rotated.stderr
    assert "interactions.text" in rotated.stdout and "may be dropped" in rotated.stdout
    after = opened(env["WERKMAAT_DATABASE_URL"], new)
    with after() as uow:
        assert uow.clients.get(client_id).contact == PHONE  # type: ignore[union-attr]
    after.dispose()


def test_a_wrong_key_is_a_clear_error_not_garbage(url, databases, caplog):
    database = opened(url, KEY_A)
    databases.append(database)
    client_id = filled(database)
    wrong = opened(url, KEY_C)
    databases.append(wrong)
    with pytest.raises(UnreadableValue, match="not among the configured encryption keys"), \
            wrong() as uow:
        uow.interactions.for_client(client_id)
    assert "not among the keys" in (wrong.unreadable() or "")
    columns = wrong.rotate_keys()
    assert sum(c.unreadable for c in columns) > 0 and not any(c.rotated for c in columns)
    nothing = opened(url, None)
    databases.append(nothing)
    assert "no encryption keys are set" in (nothing.unreadable() or "")
    # Werkmaat refuses to start, naming neither key
    for keys in (KEY_C, None):
        with pytest.raises(SystemExit) as stopped:
            open_database(Settings(database_url=url, encryption_keys=keys), upgrade=True)
        assert "WERKMAAT_ENCRYPTION_KEYS" in str(stopped.value)
        assert KEY_A not in str(stopped.value) and KEY_C not in str(stopped.value)


def test_keys_that_are_no_keys_are_refused_without_showing_them():
    with pytest.raises(InvalidKeys, match="key 2 of 2 is not a Fernet key") as refused:
        Cipher.from_setting(f"{KEY_A}, not-a-key-at-all")
    assert "not-a-key-at-all" not in str(refused.value)
    with pytest.raises(InvalidKeys):
        Cipher.from_setting(" , ")
    with pytest.raises(SystemExit) as stopped:
        open_database(Settings(database_url="sqlite://", encryption_keys="secret-ish-words"))
    assert "secret-ish-words" not in str(stopped.value)
    assert "secret-ish-words" not in repr(Settings(encryption_keys="secret-ish-words"))


def test_plaintext_from_before_still_reads_and_rotation_encrypts_it(url, databases):
    plain = opened(url, None)
    databases.append(plain)
    client_id = filled(plain)
    assert any(SECRET in v for v in stored(plain)["interactions.text"])
    encrypted = opened(url, KEY_A)
    databases.append(encrypted)
    assert encrypted.unreadable() is None
    with encrypted() as uow:
        client = uow.clients.get(client_id)
        assert client is not None and client.first_name == NAME
        assert [i.text for i in uow.interactions.for_client(client_id)][0] == SECRET
        assert uow.states.load(client_id).data["answers"]["first_name"] == NAME  # type: ignore[union-attr]
    columns = {c.name: c for c in encrypted.rotate_keys()}
    assert columns["interactions.text"].rotated == 2
    assert columns["conversation_states.data"].rotated == 1
    for column, values in stored(encrypted).items():
        assert all(is_token(v) for v in values), column


def test_a_message_that_only_looks_like_a_token_does_not_stop_werkmaat(url, databases):
    """A client may type anything, a token-shaped text too: it stays text."""
    lookalike = Fernet(Fernet.generate_key()).encrypt(b"x").decode()
    plain = opened(url, None)
    databases.append(plain)
    client_id = filled(plain)
    with plain() as uow:
        uow.interactions.add(InteractionRecord(client_id, Direction.IN, Author.CLIENT, "web",
                                               _now(), text=lookalike))
        uow.commit()
    with plain() as uow:  # without keys: read as it was typed
        assert uow.interactions.for_client(client_id)[-1].text == lookalike
    assert plain.unreadable() is None
    encrypted = opened(url, KEY_A)
    databases.append(encrypted)
    assert encrypted.unreadable() is None


def test_a_store_migrated_from_before_encryption_reads(url, databases):
    """Rows written under revision 0009 (short strings, JSON) read after 0010, with keys."""
    from alembic import command

    from storage.sql.database import alembic_config

    command.upgrade(alembic_config(url), "0009")
    plain = Database(url)
    databases.append(plain)
    with plain.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO clients (id, first_name, contact, language, status, consent, "
            "reachable, created_at, last_seen_at) VALUES (1, 'Noor', '0470 12 34 56', 'nl', "
            "'registered', 'granted', true, :now, :now)"), {"now": _now()})
        conn.execute(text(
            "INSERT INTO conversation_states (client_id, step, data, updated_at) "
            "VALUES (1, 'registered', :data, :now)"),
            {"data": json.dumps({"answers": {"first_name": "Noor"}}), "now": _now()})
    database = opened(url, KEY_A)
    databases.append(database)
    with database() as uow:
        client = uow.clients.get(1)
        state = uow.states.load(1)
    assert client is not None and (client.first_name, client.contact) == ("Noor", "0470 12 34 56")
    assert state is not None and state.data == {"answers": {"first_name": "Noor"}}
    if database.engine.dialect.name == "sqlite":  # switched off for the migration only
        with database.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_export_and_erasure_with_encryption_leave_nothing_to_find(url, databases):
    database = opened(url, KEY_A)
    databases.append(database)
    client_id = filled(database)
    with database() as uow:
        export = json.dumps(uow.privacy.export(client_id), ensure_ascii=False)
    for needle in NEEDLES:
        assert needle in export, needle  # the client gets their words, not tokens
    assert "gAAAAA" not in export
    with database() as uow:
        uow.privacy.erase(client_id)
        uow.commit()
    for column, values in stored(database).items():  # tokens of erased text are gone too
        for value in values:
            plaintext = Cipher([KEY_A]).decrypt(value)
            for needle in ("Yusuf", "Haddad", "98 76 54", SECRET, "Barco", "thuis", "Sara"):
                assert needle not in plaintext, (column, needle)
    with database.engine.connect() as conn:
        for table in m.Base.metadata.sorted_tables:
            for row in conn.execute(table.select()):  # every column, decrypted by its type
                cells = " ".join(str(v) for v in row)
                for needle in ("Yusuf", "Haddad", "98 76 54", SECRET, TOKEN):
                    assert needle not in cells, (table.name, needle)


def test_the_dashboard_finds_cases_by_number_only_when_names_are_encrypted(url, databases):
    encrypted = opened(url, KEY_A)
    databases.append(encrypted)
    with encrypted() as uow:
        client = uow.clients.add("web", TOKEN, "nl", _now())
        client.first_name = "Amina"
        uow.clients.save(client)
        case = uow.cases.add(CaseRecord(client.id, _now()))
        uow.commit()
    coordinator = CounselorRecord("Chris", CounselorRole.COORDINATOR, _now(), id=1)
    reads = DashboardReads(encrypted)
    assert [r.first_name for r in reads.cases(coordinator, "all", "all", case.reference)] \
        == ["Amina"]
    assert reads.cases(coordinator, "all", "all", "Amina") == []
    assert reads.queue() == [] and reads.cases(coordinator, "all", "all")[0].first_name == "Amina"


@pytest.mark.postgres
def test_postgres_without_keys_warns_once_at_start(postgres_url, caplog):
    with caplog.at_level(logging.WARNING, logger="bot.composition"):
        database = open_database(Settings(database_url=postgres_url), upgrade=True)
    database.dispose()
    warned = [r for r in caplog.records if "not encrypted at rest" in r.getMessage()]
    assert len(warned) == 1


def test_sqlite_without_keys_stays_quiet(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="bot.composition"):
        database = open_database(Settings(database_url=f"sqlite:///{tmp_path / 'w.db'}"))
    database.dispose()
    assert not [r for r in caplog.records if "encrypted" in r.getMessage()]


def test_database_errors_do_not_show_what_was_written(url, databases):
    """Errors (and so logs) name the statement, never its values: nothing personal in logs.
    (PostgreSQL itself shows a failing row's values: with encryption on, only tokens.)"""
    database = opened(url, KEY_A)
    databases.append(database)
    with pytest.raises(DBAPIError) as failed, database.engine.begin() as conn:
        conn.execute(m.Client.__table__.insert(), {"first_name": NAME, "contact": PHONE,
                                                   "language": "nl", "status": None})
    assert "Yusuf" not in str(failed.value) and PHONE not in str(failed.value)
    assert "hidden" in str(failed.value)


class _Dialect:
    def __init__(self, cipher: Cipher) -> None:
        self.werkmaat_cipher = cipher


def _now() -> datetime:
    return datetime.now(UTC)


def werkmaat(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k != "WERKMAAT_ENCRYPTION_KEYS"}
    return subprocess.run([sys.executable, "-m", "bot", *args], text=True, capture_output=True,
                          env={**clean, **env}, cwd=ROOT, timeout=120)
