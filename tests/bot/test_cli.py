"""The `werkmaat` command as an operator uses it: real subprocesses, a real database file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from nlu import INTENTS

ROOT = Path(__file__).resolve().parents[2]


def werkmaat(*args: str, env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, text=True,
                          capture_output=True, env={**os.environ, **env}, cwd=ROOT, timeout=120)


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    return {"WERKMAAT_DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}", "PYTHONUTF8": "1"}


def test_nlu_parse_follows_the_contract(env):
    lines = ["ik kan morgen niet komen", "I have nowhere to sleep tonight", "", "😀",
             "مرحبا كيف الحال", "x" * 4000]
    result = werkmaat("nlu", "parse", env=env, stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["text"] for r in rows] == lines
    for row in rows:
        assert set(row) == {"text", "intent", "confidence", "language"}
        assert row["intent"] in INTENTS and 0.0 <= row["confidence"] <= 1.0
    assert rows[0]["intent"] == "appointment_cancel" and rows[0]["language"] == "nl"
    assert rows[1]["intent"] == "urgent_help"
    assert rows[4]["language"] == "ar"


def test_unknown_backend_is_a_clear_error(env):
    result = werkmaat("nlu", "parse", "--backend", "nonsense", env=env, stdin="hallo\n")
    assert result.returncode == 2 and "unknown NLU backend" in result.stderr


def test_db_upgrade_and_counselor_add(env):
    assert werkmaat("db", "upgrade", env=env).returncode == 0
    added = werkmaat("counselor", "add", "--name", "Els Claes", "--telegram-id", "777",
                     "--languages", "nl,fr", "--role", "coordinator", env=env)
    assert added.returncode == 0, added.stderr
    assert "Els Claes" in added.stdout
    twice = werkmaat("counselor", "add", "--name", "Els", "--telegram-id", "777", env=env)
    assert twice.returncode == 1 and "exists already" in twice.stderr
    bad = werkmaat("counselor", "add", "--name", "X", "--languages", "xx", env=env)
    assert bad.returncode != 0 and "unknown language" in bad.stderr
    listed = werkmaat("counselor", "list", env=env)
    assert "Els Claes\tcoordinator\tnl,fr\t777" in listed.stdout


def test_dashboard_accounts_from_the_cli(env):
    """A login with an argon2 hash (never the password itself), a new password, disabling."""
    from bot.dashboard.logins import StaffLogins
    from storage.sql import Database

    added = werkmaat("counselor", "add", "--name", "Sara Peeters", "--login", "Sara",
                     "--languages", "nl,ar", "--password-stdin", env=env,
                     stdin="first password 1\n")
    assert added.returncode == 0, added.stderr
    short = werkmaat("counselor", "add", "--name", "X", "--login", "xavier", "--password-stdin",
                     env=env, stdin="short\n")
    assert short.returncode != 0 and "at least 10" in short.stderr
    taken = werkmaat("counselor", "add", "--name", "Y", "--login", "sara", "--password-stdin",
                     env=env, stdin="another password\n")
    assert taken.returncode == 1 and "taken" in taken.stderr
    database = Database(env["WERKMAAT_DATABASE_URL"])
    with database() as uow:
        sara = uow.counselors.by_login("sara")
    assert sara is not None and sara.password_hash.startswith("$argon2id$")
    assert "first password" not in sara.password_hash
    logins = StaffLogins(database, lambda: datetime.now(UTC))
    assert logins.log_in("sara", "first password 1") is not None
    changed = werkmaat("counselor", "password", "sara", "--password-stdin", env=env,
                       stdin="second password 2\n")
    assert changed.returncode == 0, changed.stderr
    assert logins.log_in("sara", "first password 1") is None
    assert logins.log_in("sara", "second password 2") is not None
    assert werkmaat("counselor", "disable", "sara", env=env).returncode == 0
    assert logins.log_in("sara", "second password 2") is None
    assert "\tsara\tdisabled" in werkmaat("counselor", "list", env=env).stdout
    database.dispose()


@pytest.mark.postgres
def test_db_upgrade_on_postgres(postgres_url):
    result = werkmaat("db", "upgrade", env={"WERKMAAT_DATABASE_URL": postgres_url})
    assert result.returncode == 0, result.stderr
    added = werkmaat("counselor", "add", "--name", "Jan", env={
        "WERKMAAT_DATABASE_URL": postgres_url})
    assert added.returncode == 0, added.stderr


@pytest.mark.postgres
def test_run_refuses_an_unmigrated_postgres(postgres_url):
    result = werkmaat("counselor", "list", env={"WERKMAAT_DATABASE_URL": postgres_url})
    assert result.returncode != 0 and "werkmaat db upgrade" in result.stderr


def test_console_chat_walks_first_contact_with_numbered_buttons(env):
    lines = ["1", "1", "9", "1", "1", "Noor", "1", "1", "/stop"]
    result = werkmaat("chat", "--client", "dev-1", env=env, stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "[1] Nederlands" in out and "[9] Menen" in out
    assert "Dag Noor!" in out and "Je bent ingeschreven" in out and "WM-00001" in out


def test_appointment_add_move_cancel_from_the_cli(env):
    from datetime import UTC, datetime

    from storage import CaseRecord, ConsentState
    from storage.records import ScheduledKind, ScheduledStatus
    from storage.sql import Database

    assert werkmaat("db", "upgrade", env=env).returncode == 0
    database = Database(env["WERKMAAT_DATABASE_URL"])
    with database() as uow:
        client = uow.clients.add("telegram", "5150", "uk", datetime.now(UTC))
        client.consent, client.first_name = ConsentState.GRANTED, "Olena"
        uow.clients.save(client)
        case = uow.cases.add(CaseRecord(client_id=client.id, opened_at=datetime.now(UTC)))
        uow.commit()
    added = werkmaat("appointment", "add", case.reference, "--when", "over 3 dagen om 10u",
                     "--where", "Stadskantoor", "--kind", "intake", env=env)
    assert added.returncode == 1 and "geen dag en uur" in added.stderr  # not a day it reads
    added = werkmaat("appointment", "add", case.reference, "--when", "volgende week dinsdag "
                     "om 10u", "--where", "Stadskantoor", "--kind", "intake", env=env)
    assert added.returncode == 0, added.stderr
    assert "Afspraak gepland" in added.stdout and "appointment 1 (version 1" in added.stdout
    listed = werkmaat("appointment", "list", case.reference, env=env)
    assert "intakegesprek · Stadskantoor · gepland" in listed.stdout
    moved = werkmaat("appointment", "move", "1", "--when", "volgende week woensdag om 14u",
                     env=env)
    assert moved.returncode == 0 and "version 2" in moved.stdout, moved.stderr
    cancelled = werkmaat("appointment", "cancel", "1", env=env)
    assert cancelled.returncode == 0 and "geannuleerd" in cancelled.stdout
    again = werkmaat("appointment", "cancel", "1", env=env)
    assert again.returncode == 1 and "bestaat niet of is al voorbij" in again.stderr
    unknown = werkmaat("appointment", "add", "WM-00999", "--when", "morgen om 10u", env=env)
    assert unknown.returncode != 0 and "no case WM-00999" in unknown.stderr
    with database() as uow:
        rows = uow.schedule.for_client(client.id)
        assert {(r.kind, r.status) for r in rows if r.status != ScheduledStatus.CANCELLED} == {
            (ScheduledKind.APPOINTMENT_CANCELLED, ScheduledStatus.PENDING)}
        assert [a.action for a in uow.audit.recent()][:3] == [
            "appointment.cancel", "appointment.move", "appointment.plan"]
    database.dispose()


def test_job_start_status_and_case_close_reopen_from_the_cli(env):
    from datetime import UTC, datetime, timedelta

    from storage import CaseRecord, ConsentState
    from storage.records import CaseStatus, ScheduledStatus
    from storage.sql import Database

    assert werkmaat("db", "upgrade", env=env).returncode == 0
    database = Database(env["WERKMAAT_DATABASE_URL"])
    with database() as uow:
        client = uow.clients.add("telegram", "6160", "so", datetime.now(UTC))
        client.consent, client.first_name = ConsentState.GRANTED, "Hodan"
        uow.clients.save(client)
        case = uow.cases.add(CaseRecord(client_id=client.id, opened_at=datetime.now(UTC)))
        uow.commit()
    monday = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    started = werkmaat("job", "start", case.reference, "--start", monday, "--contract",
                       "interim", "--employer", "Randstad", env=env)
    assert started.returncode == 0, started.stderr
    assert "Hodan" in started.stdout and "6 check-ins" in started.stdout
    bad = werkmaat("job", "start", case.reference, "--start", monday, "--contract", "gig",
                   env=env)
    assert bad.returncode != 0
    assert "interimwerk, Randstad" in werkmaat("job", "status", case.reference,
                                               env=env).stdout
    closed = werkmaat("case", "close", case.reference, "--outcome", "lasting_job", env=env)
    assert closed.returncode == 0 and "duurzaam werk" in closed.stdout, closed.stderr
    with database() as uow:
        assert uow.cases.get(case.id).status == CaseStatus.CLOSED
        assert {r.status for r in uow.schedule.for_client(client.id)} == {
            ScheduledStatus.CANCELLED}
    reopened = werkmaat("case", "reopen", case.reference, env=env)
    assert reopened.returncode == 0 and "weer open" in reopened.stdout
    database.dispose()


def test_content_check_passes_on_the_real_content_and_fails_on_a_broken_copy(env, tmp_path):
    import shutil

    ok = werkmaat("content", "check", env=env)
    assert ok.returncode == 0, ok.stderr
    assert "13 entries in 16 languages: complete" in ok.stdout
    broken = tmp_path / "rights"
    shutil.copytree(ROOT / "content" / "rights", broken)
    (broken / "ti.yml").unlink()
    failed = werkmaat("content", "check", "--directory", str(broken), env=env)
    assert failed.returncode == 1 and "ti.yml is missing" in failed.stderr
    old = werkmaat("content", "check", "--max-age-days", "0", env=env)
    assert old.returncode == 1 and "more than 0 days ago" in old.stderr


def test_export_forget_and_retention_from_the_cli(env, tmp_path):
    from storage.sql import Database

    chat = werkmaat("chat", env=env, stdin="\n".join(
        ["/start", "1", "1", "1", "1", "1", "Mirela", "0470 55 66 77", "1"]) + "\n")
    assert chat.returncode == 0, chat.stderr
    assert "WM-00001" in chat.stdout
    out = tmp_path / "export.json"
    exported = werkmaat("export", "WM-00001", "--output", str(out), env=env)
    assert exported.returncode == 0, exported.stderr
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["tables"]["clients"][0]["first_name"] == "Mirela"
    refused = werkmaat("forget", "WM-00001", env=env)
    assert refused.returncode == 1 and "--yes" in refused.stdout
    forgotten = werkmaat("forget", "WM-00001", "--yes", env=env)
    assert forgotten.returncode == 0, forgotten.stderr
    assert "erased" in forgotten.stdout
    after = werkmaat("export", "WM-00001", env=env)
    assert "Mirela" not in after.stdout and "0470 55 66 77" not in after.stdout
    database = Database(env["WERKMAAT_DATABASE_URL"])
    with database() as uow:
        actions = [a.action for a in uow.audit.recent(50)]
        erased = [t for t in uow.tasks.open(50) if t.kind.value == "client_erased"]
    database.dispose()
    assert "client.erase" in actions and "client.export" in actions
    assert erased and "WM-00001" in erased[0].summary
    ran = werkmaat("retention", "run", env=env)
    assert ran.returncode == 0 and "Retention:" in ran.stdout
