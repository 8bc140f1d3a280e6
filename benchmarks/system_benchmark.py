"""System benchmark: one all-in-one Werkmaat process, clients talking to it through Telegram.

    .venv/bin/python benchmarks/system_benchmark.py [--json figures.json]

What it measures, and why. A client writes, and waits: what matters is the time from their
message reaching Werkmaat to the bot's answer leaving it, at a realistic load, and how much load
one process carries. Everything is real except Telegram:

* a fake Telegram Bot API server (tests/fake_telegram) runs in this process and records when
  each update was handed out and when each message arrived;
* `werkmaat run` (role all: web chat, dashboard, dispatcher and the bot polling Telegram) starts
  in its own process on its embedded defaults (SQLite, the embedded NLU), with Telegram's rate
  raised to 1,000 messages a second (what paid broadcasts allow) so that Werkmaat is measured,
  not Telegram's limit;
* start-up: from spawning the process to /readyz answering 200 and Telegram polling;
* latency: clients walk first contact (buttons and typed answers, in Dutch), each taking at
  least two seconds to read a question and answer it, their messages paced at a fixed rate
  (50 client messages a second) for a minute. A turn's latency runs from the moment the
  message was queued at the fake server to the arrival of the answer's last message (the next
  question);
* throughput: the same walk at rising rates (50, 75, 100, 150, 200, 300 client messages a
  second, 20 s each) until one is not kept up with (answers later than a second at p99, or
  messages left behind): the highest rate kept up with;
* memory: the process's resident set (VmRSS) after the load and its peak (VmHWM);
* NLU: the embedded NLU's latency per text on the held-out test split, in a fresh process
  (benchmarks/nlu_benchmark.py's probe).

The fake server and this driver share the machine with Werkmaat (two cores here), so the
figures are on the cautious side. This is a script that prints figures, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.machine import describe  # noqa: E402
from benchmarks.nlu_benchmark import measure_embedded, percentile  # noqa: E402
from nlu.training_data import load_split  # noqa: E402
from tests.fake_telegram import FakeTelegramServer, SentMessage, User  # noqa: E402
from tests.processes import free_port  # noqa: E402

TOKEN = "123456:BENCH-token"
THINK = 2.0  # seconds a client takes at least to read a question and answer it
TARGETS = {"p99_turn_ms": 50.0, "throughput": 300.0, "rss_mb": 300.0, "ready_s": 3.0}
# (the question the client waits for, then what they do: a payload to press or words to type)
WALK: list[tuple[str, str | None]] = [
    ("Kies je taal", "press:lang:nl"),
    ("Ga je akkoord?", "press:consent:yes"),
    ("In welke gemeente", "say:Ik woon in Menen"),
    ("Europese Unie", "press:nat:yes"),
    ("Zoek je werk", "press:seek:yes"),
    ("voornaam", "say:Amina"),
    ("Hoe kan je begeleider je bereiken", "say:0470 12 34 56"),
    ("Waarmee wil je hulp?", "press:help:work"),
    ("Je bent ingeschreven", None),
]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def memory_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of a process, in MiB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) / 1024
    return fields.get("VmRSS", 0.0), fields.get("VmHWM", 0.0)


@dataclass
class Client:
    """A person walking first contact; `step` is the question they wait for."""

    user: User
    step: int = 0
    sent_at: float = 0.0  # when their last message was queued
    answered_at: float = 0.0  # when the question they answer next came
    last: SentMessage | None = None  # the message whose buttons they press


@dataclass
class Crowd:
    """Clients on the fake server: who is ready to send, and each answer's latency."""

    server: FakeTelegramServer
    created: int = 0
    ready: deque[Client] = field(default_factory=deque)  # whose turn it is to send
    waiting: dict[int, Client] = field(default_factory=dict)  # chat id → client
    read: int = 0  # messages of the whole server already read
    latencies: list[float] = field(default_factory=list)  # seconds
    answered: int = 0

    def newcomer(self) -> Client:
        self.created += 1
        return Client(self.server.create_user(f"Klant{self.created}", language_code="nl"))

    def send(self, client: Client) -> None:
        """The client's next message: /start, or the answer to the question they got."""
        action = "say:/start" if client.step == 0 and client.last is None else (
            WALK[client.step - 1][1])
        assert action is not None
        kind, _, value = action.partition(":")
        if kind == "press":
            assert client.last is not None
            self.server.press_button(client.user, client.last, value)
        else:
            self.server.send_text(client.user, value)
        client.sent_at = time.monotonic()
        self.waiting[client.user.id] = client

    def collect(self) -> None:
        """Read what the bot sent since last time; clients whose question came are ready."""
        fresh = self.server.sent_since(self.read)
        self.read += len(fresh)
        for message in fresh:
            client = self.waiting.get(message.chat_id)
            if client is None:
                continue
            phrase = WALK[client.step][0]
            if phrase not in (message.plain_text or ""):
                continue
            self.latencies.append(message.timestamp - client.sent_at)
            self.answered += 1
            del self.waiting[client.user.id]
            client.last = message
            client.answered_at = message.timestamp
            client.step += 1
            if client.step < len(WALK) and WALK[client.step - 1][1] is not None:
                self.ready.append(client)
            else:  # registered: someone new starts
                self.ready.append(self.newcomer())


def drive(server: FakeTelegramServer, clients: int, seconds: float,
          rate: float | None, think: float = THINK) -> Crowd:
    """`clients` walk at once, each taking at least `think` seconds to read a question and
    answer (people do; Telegram also allows only about one message a second into a chat);
    with `rate`, the crowd's messages go out at that pace (open loop), else each as soon as
    its sender is done thinking."""
    crowd = Crowd(server)
    crowd.ready.extend(crowd.newcomer() for _ in range(clients))
    began = time.monotonic()
    next_at = began
    while time.monotonic() - began < seconds:
        crowd.collect()
        now = time.monotonic()
        while crowd.ready and crowd.ready[0].answered_at + think <= now and (
                rate is None or next_at <= now):
            crowd.send(crowd.ready.popleft())
            next_at += 1 / rate if rate else 0
        if rate is not None:
            next_at = max(next_at, now - 1 / rate)  # no catching up after a stall
        time.sleep(0.002)
    deadline = time.monotonic() + 30
    while crowd.waiting and time.monotonic() < deadline:  # the last answers
        crowd.collect()
        time.sleep(0.01)
    return crowd


@dataclass
class Step:
    """One rung of the throughput ladder: offered rate, what was answered, how fast."""

    offered: float
    answered: float  # client messages answered a second
    p99_ms: float
    left: int  # still unanswered 30 s after the offered load ended

    @property
    def kept_up(self) -> bool:
        """Handled as offered: nothing left behind and answers within a second."""
        return self.left == 0 and self.answered >= 0.95 * self.offered and self.p99_ms < 1000


@dataclass
class Figures:
    machine: dict[str, str]
    ready_s: float
    latency_rate: float
    latency_messages: int
    p50_turn_ms: float
    p99_turn_ms: float
    max_turn_ms: float
    throughput: float  # the highest offered rate that was kept up with
    ladder: list[Step]
    rss_mb: float
    peak_rss_mb: float
    nlu_p50_ms: float
    nlu_p99_ms: float
    nlu_load_s: float
    lost: int

    def targets(self) -> list[tuple[str, bool]]:
        return [
            (f"p99 turn latency ≤ {TARGETS['p99_turn_ms']:.0f} ms at "
             f"{self.latency_rate:.0f} messages a second", self.p99_turn_ms
             <= TARGETS["p99_turn_ms"]),
            (f"≥ {TARGETS['throughput']:.0f} client messages a second per process",
             self.throughput >= TARGETS["throughput"]),
            (f"≤ {TARGETS['rss_mb']:.0f} MB RSS (peak)", self.peak_rss_mb <= TARGETS["rss_mb"]),
            (f"≤ {TARGETS['ready_s']:.0f} s to ready", self.ready_s <= TARGETS["ready_s"]),
            ("no client message lost", self.lost == 0),
        ]


def start_werkmaat(workdir: Path, base_url: str, server: FakeTelegramServer
                   ) -> tuple[subprocess.Popen[bytes], float, str]:
    port = free_port()
    env = {**os.environ, "WERKMAAT_DATABASE_URL": f"sqlite:///{workdir / 'werkmaat.db'}",
           "WERKMAAT_WEB_PORT": str(port), "WERKMAAT_TELEGRAM_TOKEN": TOKEN,
           "WERKMAAT_TELEGRAM_BASE_URL": base_url, "WERKMAAT_TELEGRAM_MESSAGES_PER_SECOND":
           "1000", "WERKMAAT_LOG_LEVEL": "WARNING", "PYTHONUNBUFFERED": "1"}
    for name in ("WERKMAAT_NLU_BACKEND", "WERKMAAT_RASA_URL", "WERKMAAT_COUNSELOR_CHAT_ID"):
        env.pop(name, None)
    upgrade = subprocess.run([sys.executable, "-m", "bot", "db", "upgrade"], cwd=ROOT, env=env,
                             capture_output=True, text=True)
    assert upgrade.returncode == 0, upgrade.stderr
    logfile = (workdir / "werkmaat.log").open("wb")
    began = time.monotonic()
    process = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env,
                               stdout=logfile, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    while True:
        assert process.poll() is None, (workdir / "werkmaat.log").read_text()
        assert time.monotonic() - began < 60, "Werkmaat did not get ready in 60 s"
        try:
            ready = httpx.get(f"{url}/readyz", timeout=0.5).status_code == 200
        except httpx.HTTPError:
            ready = False
        if ready and server.calls("deleteWebhook"):  # polling starts right after
            return process, time.monotonic() - began, url
        time.sleep(0.01)


def measure(rate: float, latency_seconds: float, rates: list[float],
            throughput_seconds: float) -> Figures:
    workdir = Path(tempfile.mkdtemp(prefix="werkmaat-system-bench-"))
    with FakeTelegramServer(token=TOKEN) as server:
        process, ready_s, _url = start_werkmaat(workdir, server.base_url, server)
        try:
            log(f"ready in {ready_s:.2f} s; warming up")
            drive(server, 20, 5, None, think=0.5)
            log(f"latency: {rate:.0f} client messages a second for {latency_seconds:.0f} s")
            paced = drive(server, int(rate * THINK * 3), latency_seconds, rate)
            steps: list[Step] = []
            for step_rate in rates:
                log(f"throughput: {step_rate:.0f} client messages a second for "
                    f"{throughput_seconds:.0f} s")
                crowd = drive(server, int(step_rate * THINK * 3), throughput_seconds,
                              step_rate)
                steps.append(Step(step_rate, len(crowd.latencies) / throughput_seconds,
                                  percentile([x * 1000 for x in crowd.latencies], 99),
                                  len(crowd.waiting)))
                if not steps[-1].kept_up:
                    break
            rss, peak = memory_mb(process.pid)
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
    log("NLU latency on the held-out split")
    nlu = measure_embedded([e.text for e in load_split("test")])
    turns = [x * 1000 for x in paced.latencies]
    return Figures(
        machine=describe(), ready_s=ready_s,
        latency_rate=len(paced.latencies) / latency_seconds, latency_messages=len(turns),
        p50_turn_ms=statistics.median(turns), p99_turn_ms=percentile(turns, 99),
        max_turn_ms=max(turns),
        throughput=max((s.offered for s in steps if s.kept_up), default=0.0), ladder=steps,
        rss_mb=rss, peak_rss_mb=peak, nlu_p50_ms=nlu.p50_ms, nlu_p99_ms=nlu.p99_ms,
        nlu_load_s=nlu.load_s, lost=len(paced.waiting))


def ladder(steps: list[Step]) -> str:
    return "; ".join(f"{s.offered:.0f} offered → {s.answered:.0f} answered, p99 "
                     f"{s.p99_ms:.0f} ms{'' if s.kept_up else ' ✗'}" for s in steps)


def table(f: Figures) -> list[str]:
    return [
        "| measure | figure | target |",
        "|---|---|---|",
        f"| start-up: spawn → /readyz and polling | {f.ready_s:.2f} s | ≤ 3 s |",
        f"| turn latency at {f.latency_rate:.1f} msg/s ({f.latency_messages:,} turns) | p50 "
        f"{f.p50_turn_ms:.1f} ms, p99 {f.p99_turn_ms:.1f} ms, max {f.max_turn_ms:.0f} ms "
        "| p99 ≤ 50 ms |",
        f"| throughput: the highest rate kept up with | {f.throughput:.0f} client msg/s "
        f"({ladder(f.ladder)}) | ≥ 300 msg/s |",
        f"| memory after the load | {f.rss_mb:.0f} MiB RSS, peak {f.peak_rss_mb:.0f} MiB "
        "| ≤ 300 MB |",
        f"| NLU (embedded) per text | p50 {f.nlu_p50_ms:.2f} ms, p99 {f.nlu_p99_ms:.2f} ms "
        f"(loads in {f.nlu_load_s:.2f} s) | |",
        f"| client messages lost | {f.lost} | 0 |",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=50, help="client messages a second")
    parser.add_argument("--seconds", type=float, default=60, help="of paced load")
    parser.add_argument("--rates", default="50,75,100,150,200,300",
                        help="offered rates for throughput, tried in turn until one is not "
                             "kept up with")
    parser.add_argument("--throughput-seconds", type=float, default=20)
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()
    figures = measure(args.rate, args.seconds, [float(r) for r in args.rates.split(",")],
                      args.throughput_seconds)
    print("\n".join(table(figures)))
    for label, met in figures.targets():
        print(f"{'✅' if met else '❌'} {label}")
    if args.json:
        Path(args.json).write_text(json.dumps(
            asdict(figures) | {"targets": figures.targets()}, ensure_ascii=False, indent=2),
            encoding="utf-8")


if __name__ == "__main__":
    main()
