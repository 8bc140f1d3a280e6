"""NLU benchmark: accuracy per language, latency, load time and memory, embedded and Rasa.

    .venv/bin/python benchmarks/nlu_benchmark.py [--write docs/nlu.md]

Accuracy is measured through `werkmaat nlu parse` (the contract) on the held-out split; latency
in-process, one message at a time, after a warm-up; load time and peak RSS in a fresh process.
Rasa is measured too when `.venv-rasa` and a trained model exist (scripts/rasa-setup,
scripts/rasa-train): the server is started on a free port for the run and stopped after.
This is a script that prints figures, not a test: targets are checked by reading them.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.machine import describe  # noqa: E402
from nlu.evaluation import Evaluation, evaluate, format_report  # noqa: E402
from nlu.training_data import load_split  # noqa: E402

TARGETS = {"accuracy": 0.90, "every_language": 0.80, "urgent_recall": 0.95, "p99_ms": 15.0,
           "load_s": 3.0, "rss_mb": 300.0}

LOAD_PROBE = """
import json, resource, sys, time
t = time.perf_counter()
from nlu.embedded import EmbeddedNLU
nlu = EmbeddedNLU()
nlu.parse("warm up the language identifier")
ready = time.perf_counter() - t
texts = json.loads(sys.stdin.read())
for text in texts[:20]:
    nlu.parse(text)
passes = []
for _ in range(3):
    samples = []
    for text in texts:
        s = time.perf_counter()
        nlu.parse(text)
        samples.append((time.perf_counter() - s) * 1000)
    passes.append(samples)
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"load_s": ready, "rss_mb": rss, "passes": passes}))
"""


@dataclass
class Speed:
    """p50/p99 are those of the median pass (by p99) of three over the held-out split: this
    shared 2-core VM has neighbours whose bursts move a single pass's p99 by several ms."""

    backend: str
    load_s: float
    rss_mb: float
    p50_ms: float
    p99_ms: float
    p99_passes: tuple[float, ...] = ()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def measure_embedded(texts: list[str]) -> Speed:
    out = subprocess.run([sys.executable, "-c", LOAD_PROBE], input=json.dumps(texts),
                         capture_output=True, text=True, cwd=ROOT, check=True).stdout
    data = json.loads(out.strip().splitlines()[-1])
    passes = sorted(data["passes"], key=lambda lat: percentile(lat, 99))
    middle = passes[len(passes) // 2]
    return Speed("embedded", data["load_s"], data["rss_mb"], statistics.median(middle),
                 percentile(middle, 99), tuple(percentile(p, 99) for p in passes))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (Rasa runs as a child of the script)."""
    total = 0.0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for p in pids:
        status = Path(f"/proc/{p}/status")
        if status.exists():
            for line in status.read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
    return total


def rasa_available() -> bool:
    return (ROOT / ".venv-rasa" / "bin" / "rasa").exists() and (
        ROOT / "var" / "rasa" / "models" / "werkmaat-nlu.tar.gz").exists()


def measure_rasa(texts: list[str]) -> tuple[Speed, Evaluation] | None:
    if not rasa_available():
        return None
    from nlu.rasa_client import RasaNLU

    port, token = _free_port(), secrets.token_urlsafe(16)
    env = {**os.environ, "WERKMAAT_RASA_PORT": str(port), "WERKMAAT_RASA_TOKEN": token}
    started = time.perf_counter()
    server = subprocess.Popen(["bash", str(ROOT / "scripts" / "rasa-serve")], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    client = RasaNLU(f"http://127.0.0.1:{port}", token, timeout=5)
    try:
        while not client.health():
            if server.poll() is not None or time.perf_counter() - started > 180:
                return None
            time.sleep(0.5)
        ready = time.perf_counter() - started
        for text in texts[:20]:
            client.parse(text)
        samples = []
        for text in texts:
            s = time.perf_counter()
            client.parse(text)
            samples.append((time.perf_counter() - s) * 1000)
        rss = _rss_mb(server.pid)
        os.environ["WERKMAAT_RASA_URL"] = f"http://127.0.0.1:{port}"
        os.environ["WERKMAAT_RASA_TOKEN"] = token
        quality = evaluate("rasa")
        return Speed("rasa", ready, rss, statistics.median(samples),
                     percentile(samples, 99)), quality
    finally:
        os.killpg(server.pid, 15)
        server.wait(30)


def machine() -> str:
    facts = describe()
    return f"{facts['cpus']}, {facts['ram']} RAM, Python {facts['python']}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", help="write the report as Markdown to this file")
    args = parser.parse_args()

    texts = [e.text for e in load_split("test")]
    quality = [evaluate("embedded")]
    speeds = [measure_embedded(texts)]
    rasa = measure_rasa(texts)
    if rasa is not None:
        speeds.append(rasa[0])
        quality.append(rasa[1])

    lines = [f"Measured {datetime.now(UTC):%Y-%m-%d} on {machine()}; "
             f"held-out split: {len(texts)} messages in 16 languages.", "",
             format_report(quality), "",
             "| backend | load (s) | peak RSS (MB) | p50 per message (ms) | p99 (ms) | "
             "p99 of each pass (ms) |",
             "|---|---:|---:|---:|---:|---|"]
    for s in speeds:
        each = ", ".join(f"{p:.1f}" for p in s.p99_passes) or "one pass"
        lines.append(f"| {s.backend} | {s.load_s:.2f} | {s.rss_mb:.0f} | {s.p50_ms:.1f} | "
                     f"{s.p99_ms:.1f} | {each} |")
    if rasa is None:
        lines.append("")
        lines.append("Rasa: not installed here (scripts/rasa-setup, scripts/rasa-train).")
    e, s = quality[0], speeds[0]
    checks = [
        ("accuracy ≥ 90%", e.overall_accuracy >= TARGETS["accuracy"]),
        ("every language ≥ 80%", min(x.accuracy for x in e.per_language)
         >= TARGETS["every_language"]),
        ("urgent_help recall ≥ 95%", e.urgent_recall >= TARGETS["urgent_recall"]),
        ("p99 ≤ 15 ms", s.p99_ms <= TARGETS["p99_ms"]),
        ("load ≤ 3 s", s.load_s <= TARGETS["load_s"]),
        ("RSS ≤ 300 MB", s.rss_mb <= TARGETS["rss_mb"]),
    ]
    lines.append("")
    lines.append("Targets (embedded): " + ", ".join(f"{name} {'✅' if ok else '❌'}"
                                                    for name, ok in checks))
    report = "\n".join(lines)
    print(report)
    if args.write:
        path = Path(args.write)
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        start, end = "<!-- nlu-benchmark:start -->", "<!-- nlu-benchmark:end -->"
        block = f"{start}\n{report}\n{end}"
        if start in text and end in text:
            text = text[:text.index(start)] + block + text[text.index(end) + len(end):]
        else:
            text = text + "\n" + block + "\n"
        path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
