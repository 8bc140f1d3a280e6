"""`werkmaat demo-data`: believable, consistent, clearly fake, repeatable, and fast to load."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from argon2 import PasswordHasher
from sqlalchemy import text
from typer.testing import CliRunner

from bot.demo_data import (
    DEMO_TELEGRAM_BASE,
    PHRASEBOOKS,
    DemoSummary,
    StoreNotEmpty,
    generate,
    voice,
)
from bot.demo_store import ROW_TABLES, TABLE_NAMES
from dialogues.languages import LANGUAGES
from storage.records import CaseOutcome, CaseStatus, EscalationStatus, TaskStatus
from storage.sql import Database

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
CLIENTS = 60
RIGHTS_IDS = set(yaml.safe_load(
    (Path(__file__).resolve().parents[2] / "content/rights/entries.yml").read_text("utf-8")))
ARABIC_SCRIPT = re.compile(r"[\u0600-\u06FF]")


def fresh_store(path: Path) -> Database:
    database = Database(f"sqlite:///{path}")
    database.upgrade()
    return database


def rows(database: Database, sql: str) -> list[tuple]:
    with database.engine.connect() as connection:
        return [tuple(r) for r in connection.execute(text(sql))]


def scalar(database: Database, sql: str) -> object:
    return rows(database, sql)[0][0]


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Iterator[tuple[Database, DemoSummary]]:
    """One demo store for the read-only tests: 60 clients, with dashboard logins."""
    database = fresh_store(tmp_path_factory.mktemp("demo") / "demo.db")
    summary = generate(database, CLIENTS, seed=7, now=NOW, logins=True)
    yield database, summary
    database.dispose()


def test_counts_are_reported_and_stored(demo):
    database, summary = demo
    for table in TABLE_NAMES:
        assert scalar(database, f"SELECT count(*) FROM {table}") == summary.counts[table]
    for table in ("clients", "channel_identities", "consent_records", "cases"):
        assert summary.counts[table] == CLIENTS
    assert summary.counts["counselors"] >= 3 + 1 + 2  # team, coordinator, the two logins
    assert 0.8 * 50 * CLIENTS <= summary.counts["interactions"] <= 1.2 * 50 * CLIENTS
    for table in ("appointments", "escalations", "tasks", "jobs", "checkins", "rights_checks"):
        assert summary.counts[table] > 0, table
    assert summary.seconds > 0


def test_every_language_has_clients(demo):
    database, _ = demo
    per_language = Counter(code for (code,) in rows(database, "SELECT language FROM clients"))
    assert {lang.code for lang in LANGUAGES} == set(per_language)
    assert min(per_language.values()) >= 2


def test_rows_point_at_rows_of_the_same_client(demo):
    database, _ = demo
    mismatches = {
        "interaction case": "SELECT count(*) FROM interactions i JOIN cases c ON c.id = i.case_id "
                            "WHERE c.client_id != i.client_id",
        "escalation case": "SELECT count(*) FROM escalations e JOIN cases c ON c.id = e.case_id "
                           "WHERE c.client_id != e.client_id",
        "task case": "SELECT count(*) FROM tasks t JOIN cases c ON c.id = t.case_id "
                     "WHERE c.client_id != t.client_id",
        "appointment case": "SELECT count(*) FROM appointments a JOIN cases c "
                            "ON c.id = a.case_id WHERE c.client_id != a.client_id",
        "job case": "SELECT count(*) FROM jobs j JOIN cases c ON c.id = j.case_id "
                    "WHERE c.client_id != j.client_id",
        "checkin job": "SELECT count(*) FROM checkins k JOIN jobs j ON j.id = k.job_id "
                       "WHERE j.client_id != k.client_id",
        "rights case": "SELECT count(*) FROM rights_checks r JOIN cases c ON c.id = r.case_id "
                       "WHERE c.client_id != r.client_id",
        "counselor": "SELECT count(*) FROM interactions WHERE counselor_id IS NOT NULL AND "
                     "counselor_id NOT IN (SELECT id FROM counselors)",
        "counselor message without counselor": "SELECT count(*) FROM interactions WHERE "
                                               "author = 'counselor' AND counselor_id IS NULL",
        "claimed by": "SELECT count(*) FROM escalations WHERE claimed_by IS NOT NULL AND "
                      "claimed_by NOT IN (SELECT id FROM counselors)",
    }
    for name, sql in mismatches.items():
        assert scalar(database, sql) == 0, name
    assert rows(database, "PRAGMA foreign_key_check") == []


def test_times_are_in_order(demo):
    database, _ = demo
    disorder = {
        "case before registration": "SELECT count(*) FROM cases c JOIN clients k "
                                    "ON k.id = c.client_id WHERE c.opened_at < k.created_at",
        "closed before opened": "SELECT count(*) FROM cases WHERE closed_at <= opened_at",
        "message before registration": "SELECT count(*) FROM interactions i JOIN clients k "
                                       "ON k.id = i.client_id WHERE i.created_at < k.created_at",
        "ids not in time order": "SELECT count(*) FROM interactions a JOIN interactions b "
                                 "ON a.client_id = b.client_id AND b.id = a.id + 1 "
                                 "WHERE b.created_at < a.created_at",
        "claimed before created": "SELECT count(*) FROM escalations WHERE claimed_at < created_at",
        "resolved before claimed": "SELECT count(*) FROM escalations WHERE resolved_at < "
                                   "claimed_at",
        "answered before sent": "SELECT count(*) FROM checkins WHERE answered_at < sent_at",
        "appointment made after it": "SELECT count(*) FROM appointments WHERE created_at > "
                                     "starts_at",
        "message after closing": "SELECT count(*) FROM interactions i JOIN cases c "
                                 "ON c.id = i.case_id WHERE i.created_at > c.closed_at",
        "resolved after closing": "SELECT count(*) FROM escalations e JOIN cases c "
                                  "ON c.id = e.case_id WHERE e.resolved_at > c.closed_at",
    }
    for name, sql in disorder.items():
        assert scalar(database, sql) == 0, name
    latest = NOW.strftime("%Y-%m-%d %H:%M:%S.%f")  # as SQLite holds them
    for table, column in (("interactions", "created_at"), ("escalations", "resolved_at"),
                          ("checkins", "answered_at"), ("tasks", "notified_at"),
                          ("rights_checks", "created_at"), ("appointments", "answered_at"),
                          ("clients", "last_seen_at")):
        assert scalar(database, f"SELECT count(*) FROM {table} WHERE {column} > '{latest}'") == 0


def test_cases_follow_the_programme(demo):
    database, _ = demo
    cases = rows(database, "SELECT status, outcome, closed_at FROM cases")
    statuses = {status for status, _, _ in cases}
    assert {CaseStatus.ACTIVE.value, CaseStatus.CLOSED.value} <= statuses
    assert statuses <= {s.value for s in CaseStatus}
    outcomes = {outcome for status, outcome, _ in cases if status == CaseStatus.CLOSED.value}
    assert {CaseOutcome.LASTING_JOB.value, CaseOutcome.TRAINING.value} <= outcomes
    assert outcomes <= {o.value for o in CaseOutcome}
    for status, outcome, closed_at in cases:
        assert (status == CaseStatus.CLOSED.value) == (outcome is not None) == (
            closed_at is not None)


def test_some_escalations_wait_in_the_queue(demo):
    database, _ = demo
    active = rows(database, "SELECT e.client_id, e.status, e.claimed_by, c.status "
                            "FROM escalations e JOIN cases c ON c.id = e.case_id "
                            "WHERE e.status != 'resolved'")
    assert len(active) >= 3
    assert len({client for client, *_ in active}) == len(active)  # one active per client
    for _, status, claimed_by, case_status in active:
        assert case_status != CaseStatus.CLOSED.value
        assert (status == EscalationStatus.CLAIMED.value) == (claimed_by is not None)
    resolved_without_answer = scalar(database, """
        SELECT count(*) FROM escalations e WHERE e.status = 'resolved' AND NOT EXISTS (
            SELECT 1 FROM interactions i WHERE i.client_id = e.client_id
            AND i.author = 'counselor' AND i.created_at >= e.created_at)""")
    assert resolved_without_answer == 0
    assert scalar(database, "SELECT count(*) FROM tasks WHERE status = 'open'")


def test_demo_people_are_clearly_fake(demo):
    database, _ = demo
    for (contact,) in rows(database, "SELECT contact FROM clients"):
        phone = re.fullmatch(r"\+32 000 \d\d \d\d \d\d \(demo\)", contact)
        mail = re.fullmatch(r"[a-z0-9]+\.demo\d+@example\.org", contact)
        assert phone or mail, contact
    for channel, external_id in rows(database, "SELECT channel, external_id FROM "
                                               "channel_identities"):
        if channel == "telegram":
            assert int(external_id) >= DEMO_TELEGRAM_BASE  # no real chat has such an id
        else:
            assert channel == "web" and external_id.startswith("demo-")
    for name, login in rows(database, "SELECT name, login FROM counselors"):
        assert name.endswith("(demo)") or (login or "").endswith(".demo"), name
    assert scalar(database, "SELECT count(*) FROM counselors WHERE telegram_user_id "
                            "IS NOT NULL") == 0


def test_texts_are_in_the_clients_languages(demo):
    database, _ = demo
    arabic = rows(database, "SELECT i.text FROM interactions i JOIN clients c "
                            "ON c.id = i.client_id WHERE c.language = 'ar' "
                            "AND i.author = 'client' AND i.kind = 'text'")
    assert arabic and all(ARABIC_SCRIPT.search(t) for (t,) in arabic)
    mixed = scalar(database, "SELECT count(*) FROM interactions i JOIN clients c "
                             "ON c.id = i.client_id WHERE i.language != c.language")
    assert mixed == 0
    intents = rows(database, "SELECT intent, confidence FROM interactions "
                             "WHERE author = 'client' AND kind = 'text'")
    assert all(intent and 0 < confidence <= 1 for intent, confidence in intents)


def test_bot_replies_come_translated_from_the_catalogs():
    dutch = voice("nl", "'t Werkt")
    for lang in LANGUAGES:
        assert set(PHRASEBOOKS[lang.code].client) == set(dutch.book.client)
        if lang.code != "nl":
            spoken = voice(lang.code, "'t Werkt")
            for intent, reply in spoken.replies.items():
                assert reply != dutch.replies[intent], (lang.code, intent)  # a stale msgid
            assert spoken.consent != dutch.consent


def test_rights_checks_name_real_entries(demo):
    database, _ = demo
    for answers, results in rows(database, "SELECT answers, results FROM rights_checks"):
        assert set(json.loads(answers)) == {"household", "children", "income", "housing",
                                            "health_costs", "debts"}
        assert set(json.loads(results)) <= RIGHTS_IDS


def test_records_load_through_the_repositories(demo):
    database, _ = demo
    with database() as uow:
        for client in uow.clients.all():
            case = uow.cases.current_for(client.id)
            assert case is not None and uow.cases.get(case.id) == case
            assert uow.clients.identities(client.id)
            assert uow.consents.for_client(client.id)[0].granted
            messages = uow.interactions.for_client(client.id, limit=500)
            assert all(m.case_id == case.id for m in messages)
            uow.escalations.active_for(client.id)
            for appointment in uow.appointments.for_client(client.id):
                assert appointment.counselor_id == case.counselor_id
            for job in uow.jobs.for_client(client.id):
                uow.checkins.for_job(job.id)
            uow.rights_checks.for_client(client.id)
        assert uow.escalations.active(limit=1000)
        assert all(t.status == TaskStatus.OPEN for t in uow.tasks.open(limit=1000))
        assert len(uow.counselors.all()) >= 6


def test_logins_are_made_once_with_argon2(demo):
    database, summary = demo
    assert set(summary.passwords) == {"coordinator.demo", "counselor.demo"}
    with database() as uow:
        for login, password in summary.passwords.items():
            counselor = uow.counselors.by_login(login)
            assert counselor is not None and counselor.password_hash != password
            assert PasswordHasher().verify(counselor.password_hash, password)
        demo_counselor = uow.counselors.by_login("counselor.demo")
        assert demo_counselor is not None
    assert scalar(database, f"SELECT count(*) FROM cases WHERE counselor_id = "
                            f"{demo_counselor.id}") >= 10


def test_refuses_a_store_with_clients_unless_adding(tmp_path):
    database = fresh_store(tmp_path / "w.db")
    generate(database, 20, now=NOW, interactions_per_client=5)
    with pytest.raises(StoreNotEmpty):
        generate(database, 20, now=NOW)
    assert scalar(database, "SELECT count(*) FROM clients") == 20
    added = generate(database, 20, now=NOW, interactions_per_client=5, add=True, seed=2,
                     logins=True)
    assert added.counts["clients"] == 20 and added.logins
    assert scalar(database, "SELECT count(*) FROM clients") == 40
    again = generate(database, 5, now=NOW, add=True, logins=True)
    assert again.logins == ()  # the accounts exist: kept, passwords not changed or shown
    assert scalar(database, "SELECT count(*) FROM counselors WHERE login IS NOT NULL") == 2
    database.dispose()


def test_the_same_seed_makes_the_same_data(tmp_path):
    def dump(seed: int, name: str) -> dict[str, list[tuple]]:
        database = fresh_store(tmp_path / name)
        generate(database, 25, seed=seed, now=NOW, interactions_per_client=20)
        tables = {t: rows(database, f"SELECT * FROM {t} ORDER BY id") for t in TABLE_NAMES}
        database.dispose()
        return tables

    first, second, other = dump(3, "a.db"), dump(3, "b.db"), dump(4, "c.db")
    assert first == second
    assert first["interactions"] != other["interactions"]


def test_row_types_cover_every_column():
    for kind, table in ROW_TABLES.items():
        assert set(kind._fields) == set(table.c.keys()), table.name  # type: ignore[attr-defined]


def test_command_reports_and_refuses(tmp_path):
    from bot.cli import app

    env = {"WERKMAAT_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}
    runner = CliRunner()
    made = runner.invoke(app, ["demo-data", "--clients", "20", "--interactions-per-client", "4"],
                         env=env)
    assert made.exit_code == 0, made.output
    assert re.search(r"clients\s+20\b", made.output) and "Demo data made in" in made.output
    refused = runner.invoke(app, ["demo-data", "--clients", "20"], env=env)
    assert refused.exit_code == 1 and "--add" in refused.output


@pytest.mark.postgres
def test_postgres_load_resets_sequences_and_keeps_constraints(postgres_url):
    database = Database(postgres_url)
    database.upgrade()
    constraints = """SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
                     FROM pg_constraint WHERE contype = 'f' ORDER BY 1, 2"""
    before = rows(database, constraints)
    summary = generate(database, 200, now=NOW, logins=True)
    assert summary.counts["clients"] == 200
    assert rows(database, constraints) == before  # dropped for the load, back as they were
    for table in TABLE_NAMES:
        sequence = scalar(database, f"SELECT pg_get_serial_sequence('{table}', 'id')")
        last = scalar(database, f"SELECT last_value FROM {sequence}")
        assert last == scalar(database, f"SELECT max(id) FROM {table}"), table
    with database() as uow:
        client = uow.clients.add("web", "demo-after-the-load", "nl", NOW)
        uow.commit()
    assert client.id == 201
    added = generate(database, 10, now=NOW, add=True, seed=9)
    assert added.counts["clients"] == 10
    assert scalar(database, "SELECT count(*) FROM clients") == 211
    database.dispose()
