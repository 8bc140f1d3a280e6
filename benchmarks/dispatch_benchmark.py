"""Dispatch benchmark: 10,000 appointment reminders, all due at once, sent by 3 dispatchers.

    .venv/bin/python benchmarks/dispatch_benchmark.py [--write docs/scheduling.md] [--json PATH]

What it measures, and why. Werkmaat's reminders are durable rows in PostgreSQL; dispatcher
processes (`werkmaat run --role dispatcher`) claim due rows with leases (FOR UPDATE SKIP LOCKED)
and pace every send through a GCRA book shared in the database (29 messages a second for the
bot, one a second per private chat). The claims are there to make sure every row goes out once,
even when a process dies. The pacing is there so that Telegram never has to answer 429. This
script checks both with real processes, as in production:

* a fake Telegram Bot API server (`python -m tests.fake_telegram --rate-limits`) in its own
  process enforces Telegram's limits with a sliding window (30 a second in all, one a second
  per private chat) and answers 429 beyond them;
* a fresh PostgreSQL database gets 10,000 registered clients who gave consent (16 languages),
  a private chat each on the fake server, one appointment each in three days, and one
  APPOINTMENT_REMINDER row each, all due at the same moment;
* the tables are ANALYZEd before the reminders fall due, as autovacuum keeps them on a production
  server (the claim's query plan depends on the statistics; `--no-analyze` leaves them out);
* three dispatcher processes send them. The script polls the table once a second until every
  row is done, then reads what the fake server received.

Scenario 1 runs all three workers to the end. Scenario 2 does the same with 10,000 new rows, but
the worker holding the most claimed rows is killed with SIGKILL after a third of the rows were
sent: its leased rows must be taken over by the two others when the lease (60 s) runs out. The
kill is expected to cost nothing but the messages caught between Telegram's answer and the
commit that marks them sent (the window documented in `dialogues/dispatcher.py`).

Figures per scenario: the time from the first delivery to the last and the sustained rate (as
the fake server saw the deliveries, and from the rows' `done_at`), the busiest one-second window,
duplicates (messages beyond the first in one chat), lost reminders (rows not SENT, chats without
a message), the 429s the server answered, the longest silence between two deliveries, and each
worker's share and its largest claim (rows keep their `lease_owner`: the worker's host:pid and
one token per claim). The git commit is recorded, and a change to the product's code between
the scenarios is reported (others may commit while it runs). This is a script that prints
figures, not a test: the targets are checked by reading them. `--json PATH` also writes the key
figures, as the table shows them, for a program that runs this script.
"""

from __future__ import annotations

import argparse
import bisect
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy import Engine, func, insert, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.machine import describe  # noqa: E402
from storage.records import (  # noqa: E402
    AppointmentKind,
    AppointmentMode,
    AppointmentStatus,
    CaseStatus,
    ClientStatus,
    ConsentState,
    ScheduledKind,
    ScheduledStatus,
)
from storage.sql import Database  # noqa: E402
from storage.sql import models as m  # noqa: E402

TOKEN = "424242:BENCH-dispatch-token"
POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
LANGUAGES = ("nl", "ar", "tr", "uk", "fa", "en", "fr", "ru", "pl", "ro", "bg", "es", "so", "ti",
             "ps", "sk")
FIRST_NAMES = ("Amina", "Oleh", "Emre", "Sara", "Reza", "Hawa", "Yonas", "Marta", "Ion", "Lina")
KINDS = (AppointmentKind.FOLLOW_UP, AppointmentKind.INTAKE, AppointmentKind.TRAINING,
         AppointmentKind.JOB_INTERVIEW)
MODES = (AppointmentMode.IN_PERSON, AppointmentMode.IN_PERSON, AppointmentMode.PHONE,
         AppointmentMode.VIDEO)
TARGET_RATE = 28.0  # messages a second, sustained, in scenario 1
SERVER_LIMIT = 30  # the fake server's global limit per sliding second
WAITING = {ScheduledStatus.PENDING.value, ScheduledStatus.CLAIMED.value}
SENT = ScheduledStatus.SENT.value


def log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


NUMBERS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def in_words(n: int) -> str:
    """Small numbers in words, as the report has always said them ("three"); digits past ten."""
    return NUMBERS[n] if 0 <= n < len(NUMBERS) else f"{n:,}"


CODE_DIRS = ("bot", "dialogues", "storage", "nlu", "tests/fake_telegram")


def code_version() -> tuple[str, str]:
    """The commit (with a mark when the product's files differ from it) and a hash of the code
    the workers will import, to notice a change between scenarios."""
    digest = hashlib.sha256()
    for folder in CODE_DIRS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    git = shutil.which("git")
    if git is None:
        return "unknown commit", digest.hexdigest()
    commit = subprocess.run([git, "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                            capture_output=True).stdout.strip() or "unknown commit"
    dirty = subprocess.run([git, "status", "--porcelain", "--", *CODE_DIRS], cwd=ROOT,
                           text=True, capture_output=True).stdout.strip()
    return commit + (" with uncommitted changes" if dirty else ""), digest.hexdigest()


# ---- the fake Telegram server, in its own process ------------------------------------------------


class FakeTelegram:
    """`python -m tests.fake_telegram --rate-limits` and its /_fake control endpoints."""

    def __init__(self, workdir: Path) -> None:
        self.out = workdir / "fake-telegram.out"
        self.proc: subprocess.Popen[bytes] | None = None
        self.base_url = ""
        self.root = ""
        self.http: httpx.Client | None = None

    def start(self, timeout: float = 30) -> None:
        with self.out.open("wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "tests.fake_telegram", "--rate-limits", "--port", "0",
                 "--token", TOKEN], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"}, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            first = self.out.read_text(errors="replace").split("\n", 1)
            if len(first) == 2 and first[0].startswith("http"):
                self.base_url = first[0].strip()
                self.root = self.base_url.rsplit("/bot", 1)[0]
                self.http = httpx.Client(base_url=self.root, timeout=120)
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError(f"the fake Telegram server did not start:\n{self.out.read_text()}")

    def control(self, action: str, **data: Any) -> Any:
        assert self.http is not None
        answer = self.http.post(f"/_fake/{action}", json=data)
        answer.raise_for_status()
        body = answer.json()
        if not body.get("ok"):
            raise RuntimeError(f"/_fake/{action}: {body}")
        return body["result"]

    def create_users(self, languages: Sequence[str]) -> list[int]:
        """One private chat per client (the fake refuses to send into a chat it does not know).

        The server has no bulk action; a few threads over keep-alive connections make 10,000
        in about ten seconds."""
        def one(i: int) -> int:
            user = self.control("create_user", first_name=FIRST_NAMES[i % len(FIRST_NAMES)],
                                language_code=languages[i])
            return int(user["id"])

        with ThreadPoolExecutor(max_workers=8) as pool:
            return list(pool.map(one, range(len(languages))))

    def stats(self) -> tuple[Counter[int], int]:
        """Messages accepted per chat, and the 429s the flood limits answered."""
        result = self.control("stats")
        accepted = Counter({int(chat): int(n) for chat, n in result["accepted"].items()})
        return accepted, int(result["rate_limited"])

    def deliveries(self) -> list[tuple[int, float]]:
        """(chat id, server monotonic time) of every message the bot created, in order."""
        return [(int(msg["chat_id"]), float(msg["timestamp"]))
                for msg in self.control("sent_messages")]

    def stop(self) -> None:
        if self.http is not None:
            self.http.close()
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)


# ---- dispatcher workers --------------------------------------------------------------------------


class Worker:
    """`werkmaat run --role dispatcher` in its own process group, logging to a file."""

    def __init__(self, name: str, workdir: Path, env: dict[str, str]) -> None:
        self.name = name
        self.workdir = workdir
        self.env = env
        self.log_path = workdir / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.killed = False

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    @property
    def owner(self) -> str:
        """What `bot.runtime.worker_name` calls this process; leases start with it."""
        return f"{socket.gethostname()}:{self.pid}"

    def start(self) -> None:
        werkmaat = Path(sys.executable).with_name("werkmaat")
        with self.log_path.open("ab") as out:
            self.proc = subprocess.Popen([str(werkmaat), "run", "--role", "dispatcher"],
                                         cwd=self.workdir, env=self.env, stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if "is running" in self.log():
                return
            if self.proc is not None and self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError(f"dispatcher {self.name} did not start:\n{self.log()}")

    def kill(self) -> None:
        """SIGKILL to the process group: no chance to clean up, as in a crash."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
            self.killed = True

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGINT)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def worker_env(database_url: str, base_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WERKMAAT_")}
    env.update({"WERKMAAT_DATABASE_URL": database_url, "WERKMAAT_TELEGRAM_TOKEN": TOKEN,
                "WERKMAAT_TELEGRAM_BASE_URL": base_url, "WERKMAAT_QUIET_HOURS": "off",
                "WERKMAAT_DISPATCH_INTERVAL": "1", "WERKMAAT_VOICE_NOTES": "false",
                "PYTHONUNBUFFERED": "1"})
    return env


@dataclass
class LogFigures:
    """What a worker's log says: rows it reported sent, 429s it was told, trouble."""

    reported_sent: int = 0
    told_to_wait: int = 0  # "Telegram asked to wait" (a 429 reached the sender)
    sent_after_lease: int = 0  # "sent after its lease ran out"
    errors: int = 0  # ERROR lines and tracebacks
    first_error: str = ""


def read_log(text: str) -> LogFigures:
    figures = LogFigures()
    for line in text.splitlines():
        found = re.search(r"scheduled messages: (\d+) sent", line)
        if found:
            figures.reported_sent += int(found.group(1))
        figures.told_to_wait += "Telegram asked to wait" in line
        figures.sent_after_lease += "sent after its lease ran out" in line
        if " ERROR " in line or line.startswith("Traceback"):
            figures.errors += 1
            figures.first_error = figures.first_error or line.strip()
    return figures


# ---- the database --------------------------------------------------------------------------------


@contextmanager
def fresh_database(admin_url: str, keep: bool) -> Iterator[str]:
    """A new database on the server, upgraded to the newest schema, dropped afterwards."""
    admin = admin_url.replace("+psycopg", "")
    name = f"werkmaat_bench_{secrets.token_hex(4)}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = admin.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        if keep:
            log(f"kept the database {name}")
        else:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def seed_clients(engine: Engine, chat_ids: Sequence[int], languages: Sequence[str],
                 now: datetime) -> list[int]:
    """Registered clients with consent, a Telegram identity, a case and one appointment each;
    returns the appointments' ids, in the clients' order."""
    n = len(chat_ids)
    starts = (now + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    with engine.begin() as conn:
        client_ids = list(conn.scalars(
            insert(m.Client).returning(m.Client.id, sort_by_parameter_order=True),
            [{"first_name": FIRST_NAMES[i % len(FIRST_NAMES)], "contact": "chat",
              "language": languages[i], "status": ClientStatus.REGISTERED.value,
              "consent": ConsentState.GRANTED.value, "reachable": True, "created_at": now,
              "last_seen_at": now} for i in range(n)]))
        conn.execute(insert(m.ChannelIdentity), [
            {"client_id": client_ids[i], "channel": "telegram", "external_id": str(chat_ids[i]),
             "created_at": now} for i in range(n)])
        case_ids = list(conn.scalars(
            insert(m.Case).returning(m.Case.id, sort_by_parameter_order=True),
            [{"client_id": client_ids[i], "status": CaseStatus.ACTIVE.value,
              "municipality": "Kortrijk", "opened_at": now} for i in range(n)]))
        return list(conn.scalars(
            insert(m.Appointment).returning(m.Appointment.id, sort_by_parameter_order=True),
            [{"client_id": client_ids[i], "case_id": case_ids[i],
              "starts_at": starts + timedelta(minutes=15 * (i % 32)), "duration_minutes": 60,
              "kind": KINDS[i % len(KINDS)].value, "mode": MODES[i % len(MODES)].value,
              "location": "Stadskantoor Kortrijk, Grote Markt 54", "with_whom": "Sara Peeters",
              "status": AppointmentStatus.PLANNED.value, "created_at": now, "updated_at": now,
              "version": 1} for i in range(n)]))


def seed_reminders(engine: Engine, prefix: str, client_ids: Sequence[int],
                   appointment_ids: Sequence[int], due: datetime) -> None:
    """One two-hours-before reminder per appointment, all due at `due`, in one transaction."""
    with engine.begin() as conn:
        conn.execute(insert(m.ScheduledMessage), [
            {"key": f"{prefix}appt:{appointment}:v1:remind:120m", "client_id": client,
             "appointment_id": appointment, "kind": ScheduledKind.APPOINTMENT_REMINDER.value,
             "due_at": due, "details": {"version": 1, "before_minutes": 120},
             "status": ScheduledStatus.PENDING.value, "attempts": 0, "lease_owner": "",
             "error": "", "created_at": due}
            for client, appointment in zip(client_ids, appointment_ids, strict=True)])


def analyze(engine: Engine) -> None:
    """Statistics as autovacuum keeps them on a production server (it may be off here)."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE")


S = m.ScheduledMessage


def status_counts(engine: Engine, prefix: str) -> Counter[str]:
    with engine.connect() as conn:
        rows = conn.execute(select(S.status, func.count()).where(S.key.startswith(prefix))
                            .group_by(S.status))
        return Counter({status: int(n) for status, n in rows})


def held_by(engine: Engine, prefix: str, owner: str) -> int:
    """Rows a worker holds under a lease right now."""
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).where(
            S.key.startswith(prefix), S.status == ScheduledStatus.CLAIMED.value,
            S.lease_owner.startswith(owner + "/"))) or 0)


# ---- figures -------------------------------------------------------------------------------------


@dataclass
class KillFigures:
    worker: str
    sent_at_kill: int
    seconds_after_first: float
    held_rows: int  # rows the killed worker had claimed when it died
    held_delivered_before_kill: int  # of those, chats the server had a message in already
    held_duplicated: int  # of those, chats that got the reminder twice
    takeover_last_s: float  # kill → the last held row marked sent
    rate_before: float
    rate_after: float


@dataclass
class Result:
    name: str
    rows: int
    status: Counter[str]
    chats_without: int
    duplicates: int
    duplicate_chats: list[int]
    rate_limited: int
    first_to_last_s: float
    rate: float
    db_span_s: float
    db_rate: float
    busiest_second: int
    median_per_second: float
    due_to_first_s: float
    due_to_all_sent_s: float
    retried_rows: int  # rows with more than one attempt
    longest_gap_s: float  # the longest time without a delivery, first to last
    largest_claim: int  # most rows sent under one lease token (one claim; the batch is 50)
    per_worker: dict[str, int]
    logs: dict[str, LogFigures]
    commit: str
    fingerprint: str
    kill: KillFigures | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def lost(self) -> int:
        return self.rows - self.status.get(SENT, 0)


def busiest_window(stamps: Sequence[float], width: float = 1.0) -> int:
    """Most deliveries in any half-open window of `width` seconds (the server's own rule)."""
    best, start = 0, 0
    for end, stamp in enumerate(stamps):
        while stamps[start] <= stamp - width:
            start += 1
        best = max(best, end - start + 1)
    return best


def per_second(stamps: Sequence[float]) -> list[int]:
    """Deliveries in each whole second from the first delivery (the last, partial one left out)."""
    if not stamps:
        return []
    first = stamps[0]
    seconds = int(stamps[-1] - first)
    counts = Counter(int(s - first) for s in stamps)
    return [counts.get(i, 0) for i in range(seconds)]


def rate_over(stamps: Sequence[float]) -> float:
    return (len(stamps) - 1) / (stamps[-1] - stamps[0]) if len(stamps) > 1 else 0.0


# ---- one scenario --------------------------------------------------------------------------------


def run_scenario(name: str, prefix: str, kill_at: float | None, engine: Engine,
                 telegram: FakeTelegram, env: dict[str, str], workdir: Path, workers: int,
                 client_ids: Sequence[int], appointment_ids: Sequence[int],
                 chat_of_client: dict[int, int], stall_seconds: float,
                 statistics_first: bool) -> Result:
    count = len(appointment_ids)
    commit, fingerprint = code_version()
    before, limited_before = telegram.stats()
    delivered_before = sum(before.values())
    pool = [Worker(f"{prefix.rstrip(':')}-worker{i + 1}", workdir, env) for i in range(workers)]
    kill: dict[str, Any] = {}
    try:
        for worker in pool:
            worker.start()
        for worker in pool:
            worker.wait_ready()
        log(f"{name}: {workers} dispatchers running "
            f"({', '.join(w.owner for w in pool)}); {count:,} reminders fall due now")
        if statistics_first:
            analyze(engine)
        due = datetime.now(UTC)
        due_mono = time.monotonic()
        seed_reminders(engine, prefix, client_ids, appointment_ids, due)

        last_change, last_seen, last_report = time.monotonic(), -1, 0.0
        while True:
            counts = status_counts(engine, prefix)
            waiting = sum(counts[s] for s in WAITING)
            done = count - waiting
            now = time.monotonic()
            if done != last_seen:
                last_change, last_seen = now, done
            if kill_at is not None and not kill and counts[SENT] >= count * kill_at:
                victim = max(pool, key=lambda w: held_by(engine, prefix, w.owner))
                victim.kill()
                kill = {"worker": victim, "sent": counts[SENT], "mono": time.monotonic(),
                        "wall": datetime.now(UTC)}
                with engine.connect() as conn:
                    kill["held"] = list(conn.scalars(select(S.id).where(
                        S.key.startswith(prefix), S.status == ScheduledStatus.CLAIMED.value,
                        S.lease_owner.startswith(victim.owner + "/"))))
                log(f"{name}: SIGKILL to {victim.name} ({victim.owner}) at {counts[SENT]:,} "
                    f"sent; it held {len(kill['held'])} claimed rows")
            if now - last_report >= 10:
                last_report = now
                log(f"{name}: {now - due_mono:6.0f} s  sent {counts[SENT]:6,}  claimed "
                    f"{counts[ScheduledStatus.CLAIMED.value]:4}  pending "
                    f"{counts[ScheduledStatus.PENDING.value]:6,}")
            if waiting == 0:
                all_sent_s = now - due_mono
                break
            if now - last_change > stall_seconds:
                all_sent_s = float("nan")
                log(f"{name}: no progress for {stall_seconds:.0f} s; giving up: {dict(counts)}")
                break
            near_kill = kill_at is not None and not kill
            time.sleep(0.2 if near_kill else 1.0)
        time.sleep(3)  # a few more rounds: nothing may be sent twice after the last row is done
    finally:
        for worker in pool:
            worker.stop()
    log(f"{name}: reading what the fake server received")
    after, limited_after = telegram.stats()
    deliveries = telegram.deliveries()[delivered_before:]
    chats = set(chat_of_client.values())
    per_chat = Counter({chat: after[chat] - before[chat] for chat in chats})
    stamps = sorted(stamp for chat, stamp in deliveries if chat in chats)
    stray = [chat for chat, _ in deliveries if chat not in chats]

    with engine.connect() as conn:
        rows = conn.execute(select(S.id, S.client_id, S.status, S.lease_owner, S.attempts,
                                   S.done_at).where(S.key.startswith(prefix))).all()
    status = Counter(row.status for row in rows)
    done_times = sorted(row.done_at.timestamp() for row in rows
                        if row.status == SENT and row.done_at is not None)
    owners = {w.owner: w.name for w in pool}
    share = Counter(owners.get(row.lease_owner.split("/", 1)[0], row.lease_owner.split("/")[0])
                    for row in rows if row.status == SENT)
    claims = Counter(row.lease_owner for row in rows if row.status == SENT)
    duplicate_chats = sorted(chat for chat, n in per_chat.items() if n > 1)
    seconds = per_second(stamps)
    result = Result(
        name=name, rows=count, status=status,
        chats_without=sum(1 for chat in chats if per_chat[chat] == 0),
        duplicates=sum(max(0, n - 1) for n in per_chat.values()),
        duplicate_chats=duplicate_chats, rate_limited=limited_after - limited_before,
        first_to_last_s=stamps[-1] - stamps[0] if stamps else 0.0, rate=rate_over(stamps),
        db_span_s=done_times[-1] - done_times[0] if done_times else 0.0,
        db_rate=rate_over(done_times), busiest_second=busiest_window(stamps),
        median_per_second=statistics.median(seconds) if seconds else 0.0,
        due_to_first_s=stamps[0] - due_mono if stamps else float("nan"),
        due_to_all_sent_s=all_sent_s,
        retried_rows=sum(1 for row in rows if row.attempts > 1),
        longest_gap_s=max((b - a for a, b in pairwise(stamps)), default=0.0),
        largest_claim=max(claims.values(), default=0),
        per_worker={w.name: share.get(w.name, 0) for w in pool},
        logs={w.name: read_log(w.log()) for w in pool}, commit=commit, fingerprint=fingerprint)
    if stray:
        result.notes.append(f"{len(stray)} messages went to chats outside the benchmark")
    if kill:
        victim = kill["worker"]
        held = set(kill["held"])
        held_chats = {chat_of_client[row.client_id] for row in rows if row.id in held}
        early = {chat for chat, stamp in deliveries if chat in held_chats
                 and stamp <= kill["mono"]}
        held_done = [row.done_at for row in rows if row.id in held and row.done_at is not None]
        cut = bisect.bisect_right(stamps, kill["mono"])
        result.kill = KillFigures(
            worker=victim.name, sent_at_kill=kill["sent"],
            seconds_after_first=kill["mono"] - stamps[0] if stamps else 0.0,
            held_rows=len(held), held_delivered_before_kill=len(early),
            held_duplicated=sum(1 for chat in duplicate_chats if chat in held_chats),
            takeover_last_s=(max(held_done) - kill["wall"]).total_seconds() if held_done else 0.0,
            rate_before=rate_over(stamps[:cut]), rate_after=rate_over(stamps[cut:]))
    return result


# ---- the report ----------------------------------------------------------------------------------


def postgres_version(url: str) -> str:
    with psycopg.connect(url.replace("+psycopg", "")) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]).split()[0] if row else "unknown"


def fmt_seconds(value: float) -> str:
    return "—" if value != value else f"{value:,.1f} s"  # NaN: did not finish


def table(results: Sequence[Result]) -> list[str]:
    head = "| | " + " | ".join(r.name for r in results) + " |"
    lines = [head, "|---|" + "---:|" * len(results)]

    def row(label: str, cells: Sequence[str]) -> None:
        lines.append(f"| {label} | " + " | ".join(cells) + " |")

    row("reminders due at once", [f"{r.rows:,}" for r in results])
    row("rows SENT", [f"{r.status.get(SENT, 0):,}" for r in results])
    row("lost: rows not SENT", [f"{r.lost:,}" + (f" ({dict(r.status)})" if r.lost else "")
                                for r in results])
    row("lost: chats without the reminder", [f"{r.chats_without:,}" for r in results])
    row("duplicates (messages beyond one per chat)", [f"{r.duplicates:,}" for r in results])
    row("429s answered by the fake server", [f"{r.rate_limited:,}" for r in results])
    row("first → last delivery (fake server)", [fmt_seconds(r.first_to_last_s)
                                                for r in results])
    row("sustained rate, fake server (msg/s)", [f"{r.rate:.2f}" for r in results])
    row("sustained rate, rows' done_at (msg/s)", [f"{r.db_rate:.2f}" for r in results])
    row("median deliveries per whole second", [f"{r.median_per_second:.0f}" for r in results])
    row(f"busiest sliding second (server limit {SERVER_LIMIT})",
        [str(r.busiest_second) for r in results])
    row("longest silence between two deliveries", [fmt_seconds(r.longest_gap_s)
                                                   for r in results])
    row("due → first delivery", [fmt_seconds(r.due_to_first_s) for r in results])
    row("due → every row done (polled each second)", [fmt_seconds(r.due_to_all_sent_s)
                                                      for r in results])
    row("rows claimed more than once", [f"{r.retried_rows:,}" for r in results])
    row("largest claim: rows sent under one lease (batch 50)", [f"{r.largest_claim:,}"
                                                                 for r in results])
    workers = max(len(r.per_worker) for r in results)
    row(f"rows sent per worker ({' / '.join(str(i + 1) for i in range(workers))})",
        [" / ".join(f"{n:,}" for n in r.per_worker.values()) for r in results])
    row("429s seen in the workers' logs", [str(sum(f.told_to_wait for f in r.logs.values()))
                                           for r in results])
    row("“sent after its lease ran out” warnings in the logs",
        [f"{sum(f.sent_after_lease for f in r.logs.values()):,}" for r in results])
    row("errors in the workers' logs", [str(sum(f.errors for f in r.logs.values()))
                                        for r in results])
    return lines


def kill_lines(result: Result) -> list[str]:
    k = result.kill
    if k is None:
        return []
    if k.held_rows:
        held = (f"It held {k.held_rows:,} claimed rows; "
                + (f"{k.held_delivered_before_kill} of them had already reached the fake server"
                   if k.held_delivered_before_kill
                   else "none of them had reached the fake server yet")
                + f". The last of them was sent {k.takeover_last_s:.1f} s after the kill (the "
                f"lease is 60 s). Duplicates among them: {k.held_duplicated}.")
    else:
        held = "It held no claimed rows at that moment (the others had them all)."
    return [
        f"{result.name}: {k.worker}, the worker holding the most claimed rows, got SIGKILL "
        f"{k.seconds_after_first:.1f} s after the first delivery, with {k.sent_at_kill:,} rows "
        f"sent. {held} Rate before the kill {k.rate_before:.2f} msg/s, after it "
        f"{k.rate_after:.2f} msg/s."]


def targets(results: Sequence[Result]) -> list[tuple[str, bool]]:
    first = results[0]
    checks = [(f"sustained ≥ {TARGET_RATE:.0f} msg/s", first.rate >= TARGET_RATE),
              ("0 duplicates", first.duplicates == 0), ("0 lost", first.lost == 0
                                                        and first.chats_without == 0),
              ("0 429s", first.rate_limited == 0)]
    checks += [(f"{r.name}: 0 lost", r.lost == 0 and r.chats_without == 0)
               for r in results[1:]]
    return checks


def report(results: Sequence[Result], facts: dict[str, str], command: str,
           heading: str, minutes: float, statistics_first: bool) -> str:
    commits = list(dict.fromkeys(r.commit for r in results))  # in the scenarios' order
    workers = len(results[0].per_worker)
    dispatchers = (f"{in_words(workers).capitalize()} `werkmaat run --role dispatcher` "
                   "processes (`WERKMAAT_DISPATCH_INTERVAL=1`, quiet hours off) share one "
                   "PostgreSQL database and send" if workers > 1 else
                   "One `werkmaat run --role dispatcher` process (`WERKMAAT_DISPATCH_INTERVAL=1`, "
                   "quiet hours off) uses one PostgreSQL database and sends")
    lines = [
        heading, "",
        f"Measured {datetime.now(UTC):%Y-%m-%d} at commit {', '.join(commits)} on "
        f"{facts['cpus']}, {facts['ram']} RAM, {facts['os']}, Python {facts['python']}, "
        f"PostgreSQL {facts['postgres']} (local). Everything ran on this one machine: "
        "PostgreSQL, the fake Telegram server, the workers and the benchmark.", "",
        f"{results[0].rows:,} registered clients (16 languages, consent given) each have one "
        "appointment in three days and one reminder row, all due at the same moment. "
        f"{dispatchers} through the fake Telegram Bot API server "
        "(`python -m tests.fake_telegram --rate-limits`), which enforces Telegram's "
        "limits with a sliding window (30 messages a second in all, one a second per private "
        "chat) and answers 429 beyond them. Rates are over the deliveries from the first to "
        "the last, as the fake server timed them and as the rows' `done_at` say. "
        + (f"In the second scenario {results[-1].rows:,} new reminder rows go to the same "
           "clients, and the worker holding the most claimed rows gets SIGKILL once a third of "
           "them were sent. " if any(r.kill is not None for r in results) else "")
        + ("The tables are ANALYZEd before the reminders fall due, as autovacuum would have "
           "done on a production server." if statistics_first else
           "The tables had no statistics (`--no-analyze`)."), "",
    ]
    lines += table(results)
    if len({r.fingerprint for r in results}) > 1:
        lines += ["", "⚠️ The product's code changed between the scenarios (commits "
                  f"{', '.join(r.commit for r in results)}): they did not run the same code."]
    for result in results:
        extra = kill_lines(result) + result.notes
        if extra:
            lines += [""] + extra
    lines += ["", "Targets (first scenario, and nothing lost in any): " + ", ".join(
        f"{name} {'✅' if ok else '❌'}" for name, ok in targets(results)), "",
        "To reproduce (needs PostgreSQL on 127.0.0.1:5432, user postgres with trust auth; "
        f"this run took {minutes:.0f} min):", "", "```sh", command, "```"]
    return "\n".join(lines)


def shown(value: float, digits: int) -> float | None:
    """A figure rounded as the table prints it; None where the table prints "—" (NaN)."""
    return None if value != value else float(f"{value:.{digits}f}")


def key_figures(results: Sequence[Result], facts: dict[str, str], workers: int,
                count: int) -> dict[str, Any]:
    """The key figures for `--json`: the values the table shows and the targets as the report
    checks them, so that a program reading them cannot disagree with the Markdown."""
    return {
        "machine": facts, "workers": workers, "count": count,
        "scenarios": [{"name": r.name, "sent": r.status.get(SENT, 0), "lost": r.lost,
                       "duplicates": r.duplicates, "rate_per_second": shown(r.rate, 2),
                       "received_429": r.rate_limited,
                       "seconds": shown(r.first_to_last_s, 1),  # first → last delivery
                       "killed": r.kill is not None} for r in results],
        "targets": [[name, ok] for name, ok in targets(results)],
    }


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Written aside and renamed: a program waiting for the file never reads half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    part.write_text(json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n",
                    encoding="utf-8")
    part.replace(path)


def write_section(path: Path, section: str, heading: str) -> None:
    """Put the section in the file in place of an earlier one, leaving the rest alone."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() == heading), None)
    if start is None:
        text = (text.rstrip("\n") + "\n\n" if text.strip() else "") + section + "\n"
    else:
        end = next((i for i in range(start + 1, len(lines))
                    if lines[i].startswith("## ") or lines[i].startswith("# ")), len(lines))
        tail = lines[end:]
        text = "\n".join(lines[:start] + section.splitlines() + ([""] + tail if tail else []))
        text += "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000, help="reminders per scenario")
    parser.add_argument("--workers", type=int, default=3, help="dispatcher processes")
    parser.add_argument("--kill-at", type=float, default=1 / 3,
                        help="fraction sent before the kill in the second scenario")
    parser.add_argument("--postgres", default=POSTGRES,
                        help="a database URL on the server to use (a new database is made)")
    parser.add_argument("--only", choices=("steady", "kill"), help="run one scenario")
    parser.add_argument("--stall", type=float, default=300,
                        help="give up after this many seconds without progress")
    parser.add_argument("--no-analyze", action="store_true",
                        help="leave the tables without statistics (autovacuum off)")
    parser.add_argument("--keep", action="store_true", help="keep the database and the logs")
    parser.add_argument("--write", help="write the Benchmark section into this Markdown file")
    parser.add_argument("--json", metavar="PATH", help="also write the key figures as JSON")
    args = parser.parse_args()
    if args.workers < 1:
        parser.error("--workers: at least one dispatcher")
    if args.workers < 2 and args.only != "steady":
        parser.error("the kill scenario needs two workers or more (one must take over): "
                     "add --only steady")

    heading = (f"## Benchmark: {args.count:,} reminders, {args.workers} "
               + ("workers" if args.workers > 1 else "worker"))
    command = ".venv/bin/python benchmarks/dispatch_benchmark.py" + "".join(
        f" {flag} {value}" for flag, value, default in (
            ("--count", args.count, 10_000), ("--workers", args.workers, 3),
            ("--postgres", args.postgres, POSTGRES)) if value != default)
    command += f" --only {args.only}" if args.only else ""
    command += " --no-analyze" if args.no_analyze else ""
    command += f" --write {args.write}" if args.write else ""
    facts = describe() | {"postgres": postgres_version(args.postgres)}
    languages = [LANGUAGES[i % len(LANGUAGES)] for i in range(args.count)]
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="werkmaat-dispatch-bench-"))
    telegram = FakeTelegram(workdir)
    results: list[Result] = []
    try:
        with fresh_database(args.postgres, args.keep) as url:
            database = Database(url)
            try:
                database.upgrade()
                telegram.start()
                log(f"fake Telegram at {telegram.base_url}; creating {args.count:,} chats")
                chat_ids = telegram.create_users(languages)
                log("seeding clients, cases and appointments")
                appointment_ids = seed_clients(database.engine, chat_ids, languages,
                                               datetime.now(UTC))
                with database.engine.connect() as conn:
                    pairs = conn.execute(select(m.Appointment.client_id, m.Appointment.id)
                                         .order_by(m.Appointment.id)).all()
                    chat_of_client = {int(client): int(external) for client, external in
                                      conn.execute(select(m.ChannelIdentity.client_id,
                                                          m.ChannelIdentity.external_id))}
                client_ids = [int(client) for client, _ in pairs]
                assert [int(a) for _, a in pairs] == appointment_ids
                env = worker_env(url, telegram.base_url)
                steady = (f"all {in_words(args.workers)} workers" if args.workers > 1
                          else "one worker")
                scenarios = [(steady, "s1:", None),
                             ("one killed at a third", "s2:", args.kill_at)]
                if args.only:
                    scenarios = [scenarios[0] if args.only == "steady" else scenarios[1]]
                for name, prefix, kill_at in scenarios:
                    results.append(run_scenario(
                        name, prefix, kill_at, database.engine, telegram, env, workdir,
                        args.workers, client_ids, appointment_ids, chat_of_client, args.stall,
                        not args.no_analyze))
            finally:
                database.dispose()
    finally:
        telegram.stop()
        if args.keep:
            log(f"logs kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    section = report(results, facts, command, heading, (time.monotonic() - started) / 60,
                     not args.no_analyze)
    print(section)
    for result in results:
        for worker, figures in result.logs.items():
            print(f"{result.name}, {worker}: {json.dumps(figures.__dict__, ensure_ascii=False)}",
                  file=sys.stderr)
        if result.duplicate_chats:
            print(f"{result.name}: duplicated chats {result.duplicate_chats}", file=sys.stderr)
    if args.write:
        write_section(Path(args.write), section, heading)
        log(f"wrote {heading!r} into {args.write}")
    if args.json:
        write_json(Path(args.json), key_figures(results, facts, args.workers, args.count))
        log(f"wrote the figures into {args.json}")


if __name__ == "__main__":
    main()
