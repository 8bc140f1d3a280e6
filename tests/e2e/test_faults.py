"""Werkmaat as a real process under faults: a flaky Telegram, SIGKILLs, a PostgreSQL restart.

1. A fifth of all Bot API calls fail (429, 500, time-outs before and after Telegram acted):
   every reply arrives, in order per chat; a repeat only where an answer came too late.
2. Twenty SIGKILLs while clients talk and reminders fall due: nothing lost, nothing handled
   twice, a message sent twice only inside the window (between Telegram's answer and the
   commit that records it).
3. PostgreSQL goes away mid-traffic (connections dropped, or a real restart): every message
   is handled once, every reminder sent once, and Werkmaat stays up.

Each test is seeded (``WERKMAAT_FAULT_SEED`` overrides the seed) and prints its seed and its
figures, also to test-artifacts/faults/, so a failure can be run again the same way and a pass
shows what it survived.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pytest
from sqlalchemy import create_engine, text

from dialogues import ChannelName
from tests.e2e.test_telegram_process import TOKEN
from tests.fake_telegram import MESSAGE_METHODS, FakeTelegramServer, FaultConfig, SentMessage, User
from tests.processes import (
    ROOT,
    StubRasa,
    TcpProxy,
    WarmWerkmaatProcess,
    WerkmaatProcess,
)

pytestmark = pytest.mark.e2e

SEED = int(os.environ.get("WERKMAAT_FAULT_SEED", "20261123"))
ARTIFACTS = ROOT / "test-artifacts" / "faults"
NAMES = ("Amina", "Oleh", "Mariam", "Tesfay", "Yusuf", "Daria", "Samir", "Hevin", "Farid",
         "Nour", "Bilal", "Zara")


# ---- a client who walks first contact ---------------------------------------------------------

@dataclass
class Step:
    """Wait for a bot message containing `phrase`, then do `action` (None: the walk ends)."""

    phrase: str
    action: Callable[[Walker], None] | None


def press(payload: str) -> Callable[[Walker], None]:
    return lambda walker: walker.press(payload)


def say(words: str) -> Callable[[Walker], None]:
    return lambda walker: walker.say(words.format(name=walker.user.first_name))


def first_contact() -> list[Step]:
    """First contact in Dutch with buttons and typed text, up to a registered case."""
    return [
        Step("Kies je taal", press("lang:nl")),
        Step("Ga je akkoord?", press("consent:yes")),
        Step("In welke gemeente", say("Ik woon in Menen")),
        Step("Europese Unie", press("nat:yes")),
        Step("Zoek je werk", press("seek:yes")),
        Step("voornaam", say("{name}")),
        Step("Hoe kan je begeleider je bereiken", say("0470 12 34 56")),
        Step("Waarmee wil je hulp?", press("help:work")),
        Step("Je bent ingeschreven", None),
    ]


@dataclass
class Walker:
    """A person in a private chat who answers each question once, as it comes."""

    server: FakeTelegramServer
    user: User
    steps: list[Step]
    pause: Callable[[], float] = lambda: 0.0
    done: int = 0  # steps answered
    last: SentMessage | None = None
    sent: int = 0  # messages this client sent
    seen: int = 0

    def say(self, words: str) -> None:
        self.sent += 1
        self.server.send_text(self.user, words)

    def press(self, payload: str) -> None:
        assert self.last is not None
        self.sent += 1
        self.server.press_button(self.user, self.last, payload)

    def begin(self) -> None:
        self.say("/start")

    def poll(self, chat: list[SentMessage] | None = None) -> bool:
        """Answer the next question if it has come; True once the walk is over. `chat`: what
        the bot sent this chat, when the caller already read it (many walkers at once)."""
        if self.done >= len(self.steps):
            return True
        step = self.steps[self.done]
        fresh = (self.server.sent_messages(self.user.id) if chat is None else chat)[self.seen:]
        for i, message in enumerate(fresh):
            if step.phrase in (message.plain_text or ""):
                self.seen += i + 1
                self.last = message
                self.done += 1
                if step.action is not None:
                    time.sleep(self.pause())
                    step.action(self)
                return self.done >= len(self.steps)
        return False

    def walk(self, timeout: float) -> None:
        """The whole walk in this thread; fails if a question does not come in time."""
        self.begin()
        deadline = time.monotonic() + timeout
        while not self.poll():
            if time.monotonic() > deadline:
                raise AssertionError(self.stuck())
            time.sleep(0.05)

    def stuck(self) -> str:
        said = [m.plain_text for m in self.server.sent_messages(self.user.id)]
        return (f"{self.user.first_name} waits for {self.steps[self.done].phrase!r} "
                f"(step {self.done + 1} of {len(self.steps)}); the bot said {said}")


def transcript(server: FakeTelegramServer, user: User) -> list[tuple[str, tuple[str, ...]]]:
    """What the bot put into a chat, with the client's name and case number made generic."""
    lines = []
    for message in server.sent_messages(user.id):
        words = (message.plain_text or "").replace(user.first_name, "{name}")
        lines.append((re.sub(r"WM-\d+", "WM-#", words), tuple(message.callback_data())))
    return lines


def without_repeats(lines: list[tuple[str, tuple[str, ...]]]
                    ) -> tuple[list[tuple[str, tuple[str, ...]]], int]:
    """The transcript with immediate repeats of a message dropped, and how many were dropped."""
    kept: list[tuple[str, tuple[str, ...]]] = []
    for line in lines:
        if not kept or kept[-1] != line:
            kept.append(line)
    return kept, len(lines) - len(kept)


# ---- reading the case store -------------------------------------------------------------------

@dataclass(frozen=True)
class ClientRow:
    step: str
    cases: int
    consents: int
    new_case_tasks: int


def clients_in_store(url: str) -> dict[str, ClientRow]:
    """Each Telegram client's step and what their first contact left behind, by chat id."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT ci.external_id, s.step,"
                " (SELECT count(*) FROM cases WHERE client_id = c.id),"
                " (SELECT count(*) FROM consent_records WHERE client_id = c.id),"
                " (SELECT count(*) FROM tasks WHERE client_id = c.id AND kind = 'new_case')"
                " FROM clients c JOIN channel_identities ci ON ci.client_id = c.id"
                " LEFT JOIN conversation_states s ON s.client_id = c.id"
                " WHERE ci.channel = 'telegram'")).all()
    finally:
        engine.dispose()
    return {str(r[0]): ClientRow(r[1] or "", r[2], r[3], r[4]) for r in rows}


def database_url(process: WerkmaatProcess) -> str:
    return process.env["WERKMAAT_DATABASE_URL"]


@dataclass
class Figures:
    """What a test went through: printed at its end (pass or fail) and kept in
    test-artifacts/faults/<test>.txt, so a green run in CI still shows its figures."""

    title: str
    started: float = field(default_factory=time.monotonic)
    lines: list[str] = field(default_factory=list)

    def add(self, line: str) -> None:
        self.lines.append(line)

    def report(self) -> str:
        head = f"== {self.title} (seed {SEED}, {time.monotonic() - self.started:.1f} s)"
        return "\n".join([head, *(f"   {line}" for line in self.lines)]) + "\n"


@pytest.fixture
def figures(request: pytest.FixtureRequest) -> Iterator[Figures]:
    kept = Figures(request.node.name)
    yield kept
    text = kept.report()
    print("\n" + text)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"{request.node.name}.txt").write_text(text, encoding="utf-8")


def chat_calls(server: FakeTelegramServer, user: User) -> list[str]:
    """A chat's calls in order, for a failure's message: method, fault, status, text."""
    return [f"{c.method}:{c.fault or ''}:{c.status}:{str(c.params.get('text', ''))[:25]!r}"
            for c in sorted(server.calls(), key=lambda c: c.timestamp)
            if c.params.get("chat_id") == user.id]


def call_figures(server: FakeTelegramServer) -> str:
    calls = server.calls()
    by_method = Counter(c.method for c in calls)
    faulted = Counter(f"{c.fault}" for c in calls if c.fault)
    sends = sum(n for m, n in by_method.items() if m in MESSAGE_METHODS)
    return (f"Bot API calls {len(calls)} (message sends {sends}, getUpdates "
            f"{by_method['getUpdates']}); faults injected {sum(faulted.values())}: "
            f"{dict(sorted(faulted.items()))}")


# ---- 1. a flaky Telegram ----------------------------------------------------------------------

@pytest.fixture
def telegram() -> Iterator[FakeTelegramServer]:
    with FakeTelegramServer(token=TOKEN) as server:
        yield server


def test_every_reply_arrives_in_order_through_a_flaky_telegram(telegram, tmp_path, figures):
    """A fifth of all Bot API calls fail at random: 429 (retry after 1 s), 500, a time-out
    before Telegram acted, or one after it acted (the answer comes too late). Eight clients
    walk first contact at once; each gets every reply, in order, and is registered once."""
    with StubRasa() as rasa:
        env = {"WERKMAAT_TELEGRAM_TOKEN": TOKEN, "WERKMAAT_TELEGRAM_BASE_URL": telegram.base_url,
               "WERKMAAT_VOICE_NOTES": "false", "WERKMAAT_QUIET_HOURS": "off", **rasa.env}
        werkmaat = WerkmaatProcess(tmp_path, **env)
        try:
            werkmaat.start()
            reference = Walker(telegram, telegram.create_user("Referentie", language_code="nl"),
                               first_contact())
            reference.walk(timeout=60)
            expected, _ = without_repeats(transcript(telegram, reference.user))

            pauses = random.Random(SEED)
            telegram.faults = FaultConfig(
                rate=0.2, kinds=(429, 500, "timeout", "late"), seed=SEED, retry_after=1,
                timeout_delay=6.0, per_chat=True, exclude_methods=frozenset())
            walkers = [Walker(telegram, telegram.create_user(name, language_code="nl"),
                              first_contact(), pause=lambda: pauses.uniform(0.0, 0.4))
                       for name in NAMES[:8]]
            with ThreadPoolExecutor(len(walkers)) as pool:
                for outcome in [pool.submit(w.walk, 240) for w in walkers]:
                    outcome.result()
        finally:
            werkmaat.stop()
            telegram.wait_until_answered()  # late answers are recorded once answered
            telegram.faults = None
            log = werkmaat.log()
            figures.add(call_figures(telegram))
            figures.add(f"the bot's log: {log.count('did not answer (attempt')} sends retried "
                        f"after a time-out or 5xx, {log.count('asked to wait')} after a 429, "
                        f"{log.count('getUpdates failed')} polls again, "
                        f"{log.count('gave up sending')} given up")

    late_sends = Counter(c.params.get("chat_id") for c in telegram.calls()
                         if c.fault == "late" and c.method in MESSAGE_METHODS)
    retried = sum(1 for c in telegram.calls() if c.fault and c.method in MESSAGE_METHODS)
    figures.add(f"sends that failed and were retried by the bot: {retried}")
    duplicates = 0
    store = clients_in_store(database_url(werkmaat))
    for walker in walkers:
        got, repeats = without_repeats(transcript(telegram, walker.user))
        assert got == expected, (f"{walker.user.first_name}: replies missing or out of order\n"
                                 f"expected {expected}\ngot      {got}")
        assert repeats <= late_sends[walker.user.id], (
            f"{walker.user.first_name}: {repeats} repeated messages, but only "
            f"{late_sends[walker.user.id]} sends were answered too late: "
            f"{chat_calls(telegram, walker.user)}")
        duplicates += repeats
        row = store[str(walker.user.id)]
        assert (row.step, row.cases, row.consents, row.new_case_tasks) == (
            "registered", 1, 1, 1), f"{walker.user.first_name}: {row}"
    figures.add(f"clients {len(walkers)}, client messages {sum(w.sent for w in walkers)}, "
                f"bot messages each {len(expected)}, all in order")
    figures.add(f"duplicates (a send Telegram carried out, answered after the bot's read "
                f"time-out, so the bot sent it again): {duplicates}, late answers on sends: "
                f"{sum(late_sends.values())}")


# ---- 2. SIGKILL, twenty times -----------------------------------------------------------------

KILLS = 20
QUIET = "2000-01-01 00:00:00.000000"  # a moment long past, as SQLite stores times


@dataclass
class Planned:
    """The scheduled messages one client should get: the notice (text and .ics) and two
    reminders, their rows falling due at random moments while Werkmaat is being killed."""

    user: User
    client_id: int
    rows: list[int]


def plan_reminders(url: str, users: list[User], rng: random.Random, within: float
                   ) -> list[Planned]:
    """Registered clients with an appointment in three days each, planned with the product's
    own code (what `werkmaat appointment add` runs); the notice and both reminders are then
    made due at random moments in the next `within` seconds, as if the days had passed."""
    from datetime import UTC, datetime, timedelta

    from bot.settings import Settings
    from dialogues.appointments import Actor, AppointmentBook, AppointmentDetails
    from dialogues.engine import utcnow
    from storage import CaseRecord, ClientStatus, ConsentState
    from storage.records import ScheduledKind
    from storage.sql import Database

    database = Database(url)
    database.upgrade()
    book = AppointmentBook(database, Settings(quiet_hours="off").dialogue, utcnow)
    planned = []
    for user in users:
        with database() as uow:
            client = uow.clients.add("telegram", str(user.id), "nl", datetime.now(UTC))
            client.consent, client.first_name = ConsentState.GRANTED, user.first_name
            client.status = ClientStatus.REGISTERED
            uow.clients.save(client)
            uow.cases.add(CaseRecord(client_id=client.id, opened_at=datetime.now(UTC)))
            uow.commit()
        outcome = book.plan(client.id, AppointmentDetails(
            datetime.now(UTC) + timedelta(days=3)), Actor("cli"))
        assert outcome.ok, outcome.note
        with database() as uow:
            rows = [r for r in uow.schedule.for_client(client.id)
                    if r.kind in (ScheduledKind.APPOINTMENT_NOTICE,
                                  ScheduledKind.APPOINTMENT_REMINDER)]
        assert len(rows) == 3, rows
        planned.append(Planned(user, client.id, [r.id for r in rows]))
    database.dispose()
    engine = create_engine(url)
    with engine.begin() as conn:
        for plan in planned:
            for row in plan.rows:
                due = datetime.now(UTC) + timedelta(seconds=rng.uniform(1, within))
                conn.execute(text("UPDATE scheduled_messages SET due_at = :due WHERE id = :id"),
                             {"due": due.replace(tzinfo=None).isoformat(sep=" "), "id": row})
    engine.dispose()
    return planned


def leases_of_the_dead(url: str) -> dict[int, int]:
    """After a kill: the rows the dead process held (row id → client id), its leases ended at
    once instead of after their 60 s, as if that much time had passed."""
    engine = create_engine(url)
    with engine.begin() as conn:
        held = dict(conn.execute(text(
            "SELECT id, client_id FROM scheduled_messages WHERE status = 'claimed'")).all())
        conn.execute(text("UPDATE scheduled_messages SET lease_until = :past "
                          "WHERE status = 'claimed'"), {"past": QUIET})
    engine.dispose()
    return {int(k): int(v) for k, v in held.items()}


def scheduled_statuses(url: str, ids: list[int]) -> Counter[str]:
    engine = create_engine(url)
    with engine.connect() as conn:
        statuses = Counter(str(s) for (s,) in conn.execute(text(
            "SELECT status FROM scheduled_messages WHERE id IN "
            f"({', '.join(str(i) for i in ids)})")).all())
    engine.dispose()
    return statuses


def wait_until_sent(url: str, rows: list[int], timeout: float = 60) -> None:
    """Until every row is sent, then a few more dispatcher rounds: nothing is sent twice."""
    deadline = time.monotonic() + timeout
    while scheduled_statuses(url, rows)["sent"] < len(rows):
        assert time.monotonic() < deadline, (
            f"reminders not all sent: {scheduled_statuses(url, rows)}")
        time.sleep(0.2)
    time.sleep(1.5)


def scheduled_received(server: FakeTelegramServer, user: User) -> Counter[str]:
    """The notice, its calendar file and the reminders that reached one chat, counted."""
    got: Counter[str] = Counter()
    for message in server.sent_messages(user.id):
        words = message.plain_text or ""
        if message.method == "sendDocument" and message.file_name == "afspraak.ics":
            got["ics"] += 1
        elif words.startswith("📅"):
            got["notice"] += 1
        elif words.startswith("⏰"):
            got["reminder"] += 1
    return got


def without_replays(lines: list[tuple[str, tuple[str, ...]]]
                    ) -> tuple[list[tuple[str, tuple[str, ...]]], int]:
    """The transcript without replies sent again right after themselves (a reply of up to
    three messages repeated as a block), and how many such replays there were."""
    kept: list[tuple[str, tuple[str, ...]]] = []
    replays = 0
    i = 0
    while i < len(lines):
        for size in (3, 2, 1):
            if len(kept) >= size and lines[i:i + size] == kept[-size:]:
                i += size
                replays += 1
                break
        else:
            kept.append(lines[i])
            i += 1
    return kept, replays


def update_chat(update: dict[str, object]) -> int:
    body = update.get("message") or update.get("callback_query") or {}
    assert isinstance(body, dict)
    message = body.get("message", body)
    return int(message.get("chat", {}).get("id", 0))


def test_twenty_sigkills_lose_nothing_and_double_only_in_the_window(telegram, tmp_path,
                                                                   figures):
    """Twelve clients walk first contact, starting one after another, while eight registered
    clients' appointment notices and reminders fall due; Werkmaat gets SIGKILL twenty times at
    random moments and is started again each time. Every client gets every reply and is
    registered once; every notice and reminder arrives; a message comes twice only where a kill
    caught it between Telegram's answer and the commit that records it (the window)."""
    kills, pauses = random.Random(SEED), random.Random(SEED + 1)  # apart: threads draw pauses
    with StubRasa() as rasa:
        env = {"WERKMAAT_TELEGRAM_TOKEN": TOKEN, "WERKMAAT_TELEGRAM_BASE_URL": telegram.base_url,
               "WERKMAAT_VOICE_NOTES": "false", "WERKMAAT_QUIET_HOURS": "off",
               "WERKMAAT_DISPATCH_INTERVAL": "0.5", **rasa.env}
        werkmaat = WarmWerkmaatProcess(tmp_path, **env)
        url = database_url(werkmaat)
        reminded = [telegram.create_user(f"Herinnerd{i}", language_code="nl") for i in range(8)]
        planned = plan_reminders(url, reminded, random.Random(SEED + 2), within=40)
        rows = [row for plan in planned for row in plan.rows]
        walkers = [Walker(telegram, telegram.create_user(name, language_code="nl"),
                          first_contact(), pause=lambda: pauses.uniform(0.0, 0.3))
                   for name in NAMES]
        held_at_kills: Counter[int] = Counter()  # scheduled row → kills it was claimed at
        unconfirmed_at_kills: Counter[int] = Counter()  # chat → kills it had updates pending
        kill_log: list[str] = []
        restart_times: list[float] = []
        try:
            werkmaat.start()
            reference = Walker(telegram, telegram.create_user("Referentie", language_code="nl"),
                               first_contact())
            reference.walk(timeout=60)
            expected = transcript(telegram, reference.user)
            with ThreadPoolExecutor(len(walkers)) as pool:
                t0 = time.monotonic()
                outcomes = [pool.submit(lambda w=w, s=i * 2.5: (time.sleep(s), w.walk(90)))
                            for i, w in enumerate(walkers)]
                for _ in range(KILLS):
                    time.sleep(kills.uniform(0.2, 2.0))
                    werkmaat.kill()
                    held = leases_of_the_dead(url)
                    held_at_kills.update(held)
                    pending = telegram.pending_updates()
                    unconfirmed_at_kills.update({update_chat(u) for u in pending})
                    kill_log.append(f"{time.monotonic() - t0:.0f}s:{len(held)}/{len(pending)}")
                    began = time.monotonic()
                    werkmaat.start()
                    restart_times.append(time.monotonic() - began)
                for outcome in outcomes:
                    outcome.result()
            wait_until_sent(url, rows)
        finally:
            werkmaat.stop()
            figures.add(call_figures(telegram))
            figures.add(f"kills {len(restart_times)}, restarts (warm) took "
                        f"{min(restart_times, default=0):.1f}-"
                        f"{max(restart_times, default=0):.1f} s; at each kill (seconds in: "
                        f"scheduled rows held / updates unconfirmed) " + " ".join(kill_log))

    # the conversations: every reply arrived, in order; replayed only after a redelivery
    store = clients_in_store(url)
    replays = 0
    for walker in walkers:
        row = store[str(walker.user.id)]
        assert (row.step, row.cases, row.consents, row.new_case_tasks) == (
            "registered", 1, 1, 1), f"{walker.user.first_name}: {row}"
        raw = transcript(telegram, walker.user)
        got, again = without_replays(raw)
        assert got == expected, (f"{walker.user.first_name}: replies missing or out of order\n"
                                 f"expected {expected}\ngot      {raw}")
        assert again <= unconfirmed_at_kills[walker.user.id], (
            f"{walker.user.first_name}: {again} replies sent twice, but the chat had messages "
            f"not yet confirmed at only {unconfirmed_at_kills[walker.user.id]} kills")
        replays += again
    figures.add(f"clients {len(walkers)}, client messages {sum(w.sent for w in walkers)}; "
                f"a chat with messages not yet confirmed at a kill "
                f"{sum(unconfirmed_at_kills.values())} times; replies sent twice {replays}")

    # the scheduled messages: all sent, twice only for a row a killed process held
    assert scheduled_statuses(url, rows) == Counter({"sent": len(rows)})
    duplicates = 0
    for plan in planned:
        got_scheduled = scheduled_received(telegram, plan.user)
        assert (got_scheduled["notice"] >= 1 and got_scheduled["ics"] >= 1
                and got_scheduled["reminder"] >= 2), (
            f"{plan.user.first_name} is missing a message: {got_scheduled}")
        extra = got_scheduled["notice"] - 1 + got_scheduled["reminder"] - 2
        window = sum(held_at_kills[row] for row in plan.rows)
        assert extra <= window, (f"{plan.user.first_name} got {extra} messages twice, but "
                                 f"their rows were held at only {window} kills")
        duplicates += extra
    figures.add(f"scheduled rows {len(rows)} (a notice with its .ics and 2 reminders for "
                f"{len(planned)} clients), all sent; held by a killed process "
                f"{sum(held_at_kills.values())} times; sent twice {duplicates}")


# ---- 3. PostgreSQL goes away and comes back ----------------------------------------------------

def postgres_cluster() -> tuple[str, str] | None:
    """The (version, name) of the local cluster on port 5432, if pg_ctlcluster can restart it."""
    if shutil.which("pg_ctlcluster") is None or shutil.which("pg_lsclusters") is None:
        return None
    listed = subprocess.run(["pg_lsclusters", "--no-header"], capture_output=True, text=True)
    for line in listed.stdout.splitlines():
        fields = line.split()
        if len(fields) >= 3 and fields[2] == "5432":
            return fields[0], fields[1]
    return None


def restart_postgres(cluster: tuple[str, str]) -> None:
    """A real restart of the server (everyone's connections drop; needs root)."""
    done = subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", *cluster, "restart"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


@pytest.mark.postgres
@pytest.mark.parametrize("outage", ["dropped connections", "server restart"])
def test_postgres_going_away_mid_traffic_loses_no_message(outage, postgres_url, telegram,
                                                          tmp_path, figures):
    """Eight clients walk first contact and four clients' reminders fall due while the
    database goes away: every connection dropped and none accepted for three seconds (through
    a relay: other users of the server notice nothing), or a real `pg_ctlcluster restart`.
    Werkmaat stays up; every client message sent before, during and after is handled once, and
    every reminder is sent once."""
    from sqlalchemy.engine import make_url

    cluster = postgres_cluster()
    if outage == "server restart":
        if cluster is None:
            pytest.skip("pg_ctlcluster cannot restart a cluster on port 5432 here")
        if os.geteuid() != 0:
            pytest.skip("restarting PostgreSQL with pg_ctlcluster needs root")
    pauses = random.Random(SEED + 3)
    address = make_url(postgres_url)
    proxy = TcpProxy(address.host or "127.0.0.1", address.port or 5432)
    url = postgres_url
    if outage == "dropped connections":
        url = address.set(host="127.0.0.1", port=proxy.port).render_as_string(
            hide_password=False)
    with StubRasa() as rasa:
        werkmaat = WerkmaatProcess(
            tmp_path, WERKMAAT_DATABASE_URL=url, WERKMAAT_TELEGRAM_TOKEN=TOKEN,
            WERKMAAT_TELEGRAM_BASE_URL=telegram.base_url, WERKMAAT_VOICE_NOTES="false",
            WERKMAAT_QUIET_HOURS="off", WERKMAAT_DISPATCH_INTERVAL="0.5", **rasa.env)
        reminded = [telegram.create_user(f"Herinnerd{i}", language_code="nl") for i in range(4)]
        planned = plan_reminders(postgres_url, reminded, random.Random(SEED + 4), within=20)
        rows = [row for plan in planned for row in plan.rows]
        walkers = [Walker(telegram, telegram.create_user(name, language_code="nl"),
                          first_contact(), pause=lambda: pauses.uniform(0.1, 0.5))
                   for name in NAMES[:8]]
        down, sent_during = 0.0, 0
        try:
            werkmaat.start()
            reference = Walker(telegram, telegram.create_user("Referentie", language_code="nl"),
                               first_contact())
            reference.walk(timeout=60)
            expected = transcript(telegram, reference.user)
            with ThreadPoolExecutor(len(walkers)) as pool:
                outcomes = [pool.submit(lambda w=w, s=i * 0.8: (time.sleep(s), w.walk(60)))
                            for i, w in enumerate(walkers)]
                time.sleep(4)
                sent_before = sum(w.sent for w in walkers)
                began = time.monotonic()
                if outage == "server restart":
                    assert cluster is not None
                    restart_postgres(cluster)
                else:
                    proxy.cut()
                    time.sleep(3)
                    proxy.restore()
                down = time.monotonic() - began
                sent_during = sum(w.sent for w in walkers) - sent_before
                for outcome in outcomes:
                    outcome.result()
            wait_until_sent(postgres_url, rows)
            assert werkmaat.proc is not None and werkmaat.proc.poll() is None, "still running"
        finally:
            werkmaat.stop()
            proxy.close()
            log = werkmaat.log()
            apologies = sum("ging iets mis" in (m.plain_text or "")
                            for m in telegram.sent_messages())
            figures.add(call_figures(telegram))
            figures.add(f"outage: {outage}, {down:.1f} s; connections dropped by the relay "
                        f"{proxy.dropped}; client messages {sum(w.sent for w in walkers)}, "
                        f"{sent_during} of them while the database was away")
            figures.add(f"log lines with ERROR {log.count(' ERROR ')}, with WARNING "
                        f"{log.count(' WARNING ')}; apologies sent {apologies}")

    store = clients_in_store(postgres_url)
    for walker in walkers:
        row = store[str(walker.user.id)]
        assert (row.step, row.cases, row.consents, row.new_case_tasks) == (
            "registered", 1, 1, 1), f"{walker.user.first_name}: {row}"
        got = transcript(telegram, walker.user)
        assert got == expected, (f"{walker.user.first_name}: replies missing, doubled or out "
                                 f"of order\nexpected {expected}\ngot      {got}")
    assert scheduled_statuses(postgres_url, rows) == Counter({"sent": len(rows)})
    for plan in planned:
        assert scheduled_received(telegram, plan.user) == Counter(
            {"notice": 1, "ics": 1, "reminder": 2}), plan.user.first_name
    figures.add(f"every client registered once with every reply in order; {len(rows)} "
                f"scheduled messages sent once each")


def test_a_message_sent_while_the_store_blinks_is_recorded_not_sent_again():
    """In process: the notice went out, and the commit that records it fails once (the
    database restarting). The dispatcher waits and records it, instead of leaving the row to
    be sent again when its lease runs out."""
    import asyncio

    from dialogues.dispatcher import Dispatcher
    from storage.memory import MemoryStore
    from storage.records import ScheduledStatus
    from tests.dialogues.test_appointments import World
    from tests.fakes import ScriptedNLU

    class Blinking(Dispatcher):
        failures = 1

        def _finish(self, row, status, rendered):  # type: ignore[no-untyped-def]
            if status == ScheduledStatus.SENT and self.failures:
                self.failures -= 1
                raise ConnectionError("the database is restarting")
            return super()._finish(row, status, rendered)

    world = World(MemoryStore(), ScriptedNLU())
    appointment_id = world.plan(2026, 11, 26, 14, 0)
    dispatcher = Blinking(world.store, world.settings, {ChannelName.TELEGRAM: world.channel},
                          world.sink, world.clock, "worker-1")
    stats = asyncio.run(dispatcher.run_until_idle())
    assert (stats.sent, stats.lost_lease, dispatcher.failures) == (1, 0, 0)
    assert world.dispatch() == [] and len(world.channel.sent) == 1
    with world.store() as uow:
        [notice] = [r for r in uow.schedule.for_appointment(appointment_id)
                    if r.status == ScheduledStatus.SENT]
    assert notice.attempts == 1


async def test_an_update_is_confirmed_to_telegram_only_once_handled(telegram):
    """In process: while the older of two updates is still being handled, Telegram keeps
    both (a crash now would deliver both again); once it is done, both are confirmed."""
    import asyncio

    from telegram import Update
    from telegram.ext import ApplicationBuilder, ContextTypes, TypeHandler

    from bot.telegram_channel import UpdatePoller

    application = (ApplicationBuilder().token(TOKEN).base_url(telegram.base_url)
                   .updater(None).concurrent_updates(True).build())
    handled: list[str] = []
    release = asyncio.Event()

    async def handle(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        handled.append(update.message.text or "")
        if update.message.text == "een":
            await release.wait()

    async def until(condition: Callable[[], bool]) -> None:
        for _ in range(200):
            if condition():
                return
            await asyncio.sleep(0.025)
        raise AssertionError("timed out")

    application.add_handler(TypeHandler(Update, handle))
    await application.initialize()
    poller = UpdatePoller(application, ["message"], poll_timeout=1)
    user = telegram.create_user("Lina", language_code="nl")
    try:
        telegram.send_text(user, "een")
        telegram.send_text(user, "twee")
        poller.start()
        await until(lambda: handled == ["een", "twee"])
        await asyncio.sleep(0.5)  # a few polls while "een" is still being handled
        assert [u["message"]["text"] for u in telegram.pending_updates()] == ["een", "twee"]
        release.set()
        await until(lambda: not telegram.pending_updates())
        assert max(telegram.update_deliveries().values()) > 1  # fetched again while busy
        assert handled == ["een", "twee"]  # ...but handled once
    finally:
        release.set()
        await poller.stop()
        await application.shutdown()
