"""`werkmaat bench`: the whole system's speed, measured and written down, never guessed.

It runs the benchmark scripts in benchmarks/ one after the other (each in its own processes,
as in production), reads the figures they write as JSON, prints one table with the targets and
writes it, with the machine it ran on, to docs/benchmarks.md:

* system_benchmark.py: start-up, turn latency at 50 client messages a second through a fake
  Telegram Bot API server, throughput per process, memory, NLU latency;
* dispatch_benchmark.py: reminders all due at once, sent by 1 and by 3 dispatcher processes
  on PostgreSQL within Telegram's limits (0 lost, 0 duplicates, the rate);
* dashboard_benchmark.py: the counselors' pages on 100,000 clients on PostgreSQL (the first
  run generates them, which takes a while; later runs reuse the database).

The scripts live in the source tree (a checkout, as `make` installs it), with the fake Telegram
server of the tests.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "benchmarks"
POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


@dataclass
class Row:
    measure: str
    figure: str
    target: str = ""
    met: bool | None = None  # None: no target

    def line(self) -> str:
        mark = "" if self.met is None else (" ✅" if self.met else " ❌")
        return f"| {self.measure} | {self.figure} | {self.target}{mark} |"


def _run(script: str, args: list[str], json_path: Path) -> dict[str, Any] | None:
    """One benchmark script; its JSON figures, or None (and why) when it failed."""
    command = [sys.executable, str(BENCHMARKS / script), *args, "--json", str(json_path)]
    typer.echo(f"→ {' '.join(command[1:])}", err=True)
    began = time.monotonic()
    done = subprocess.run(command, cwd=ROOT)
    typer.echo(f"  took {(time.monotonic() - began) / 60:.1f} min", err=True)
    if done.returncode != 0 or not json_path.exists():
        typer.echo(f"  {script} failed (exit {done.returncode})", err=True)
        return None
    loaded: dict[str, Any] = json.loads(json_path.read_text(encoding="utf-8"))
    return loaded


def system_rows(f: dict[str, Any]) -> list[Row]:
    targets = {label: met for label, met in f["targets"]}
    met = list(targets.values())
    ladder = "; ".join(f"{s['offered']:.0f} → {s['answered']:.0f} answered, p99 "
                       f"{s['p99_ms']:.0f} ms" for s in f["ladder"])
    return [
        Row("start-up of the all-in-one process (spawn → ready, Telegram polling)",
            f"{f['ready_s']:.2f} s", "≤ 3 s", met[3]),
        Row(f"turn latency, message in → reply sent, at {f['latency_rate']:.0f} client "
            f"messages a second ({f['latency_messages']:,} turns)",
            f"p50 {f['p50_turn_ms']:.1f} ms, p99 {f['p99_turn_ms']:.1f} ms", "p99 ≤ 50 ms",
            met[0]),
        Row("throughput per process: the highest rate answered as offered (p99 < 1 s)",
            f"{f['throughput']:.0f} client messages a second ({ladder})", "≥ 300 msg/s",
            met[1]),
        Row("memory of the all-in-one process after the load",
            f"{f['rss_mb']:.0f} MiB RSS, peak {f['peak_rss_mb']:.0f} MiB", "≤ 300 MB", met[2]),
        Row("NLU (embedded), one text", f"p50 {f['nlu_p50_ms']:.1f} ms, p99 "
            f"{f['nlu_p99_ms']:.1f} ms; loads in {f['nlu_load_s']:.1f} s"),
        Row("client messages lost", str(f["lost"]), "0", f["lost"] == 0),
    ]


def dispatch_rows(f: dict[str, Any]) -> list[Row]:
    rows = []
    for s in f["scenarios"]:
        rate_ok = s["rate_per_second"] >= 28
        clean = s["lost"] == 0 and s["duplicates"] == 0
        rows.append(Row(
            f"dispatch, {f['count']:,} reminders due at once, {f['workers']} worker"
            f"{'s' if f['workers'] != 1 else ''} on PostgreSQL",
            f"{s['rate_per_second']:.2f} msg/s; {s['sent']:,} sent, {s['lost']} lost, "
            f"{s['duplicates']} duplicates, {s['received_429']} × 429",
            "≥ 28 msg/s, 0 duplicates", rate_ok and clean))
    return rows


def dashboard_rows(f: dict[str, Any]) -> list[Row]:
    rows = []
    for page in f["pages"]:
        target = page.get("target_ms")
        rows.append(Row(
            f"dashboard at {f['clients']:,} clients: {page['page']} ({page['as']})",
            f"p50 {page['p50_ms']} ms, p95 {page['p95_ms']} ms",
            f"p95 ≤ {target:.0f} ms" if target else "",
            None if not target else page["p95_ms"] is not None and page["p95_ms"] <= target))
    return rows


def machine_line(*figures: dict[str, Any] | None) -> str:
    facts: dict[str, str] = {}
    for f in figures:
        if f:
            facts.update({k: str(v) for k, v in f["machine"].items()
                          if k in ("cpus", "ram", "python", "os", "postgres")})
    return ", ".join(f"{k} {v}" for k, v in facts.items())


def commit() -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                          capture_output=True, text=True)
    return done.stdout.strip() or "unknown"


def bench(
    quick: Annotated[bool, typer.Option(
        help="shorter runs (20 s of paced load, 1,000 reminders): a smoke test, not figures "
             "to publish")] = False,
    dashboard: Annotated[bool, typer.Option(
        help="include the dashboard at 100,000 clients (the first run generates them)")] = True,
    reminders: Annotated[int, typer.Option(help="reminders per dispatch run")] = 3000,
    postgres: Annotated[str, typer.Option(help="a PostgreSQL URL (a database is made there)")]
    = POSTGRES,
    write: Annotated[Path | None, typer.Option(help="the Markdown file to write")]
    = ROOT / "docs" / "benchmarks.md",
) -> None:
    """Measure the whole system and print one table with the targets (docs/benchmarks.md)."""
    if not (BENCHMARKS / "system_benchmark.py").exists():
        typer.echo("the benchmark scripts are not here: run `werkmaat bench` from a checkout "
                   "of Werkmaat (benchmarks/ next to bot/)", err=True)
        raise typer.Exit(2)
    started = datetime.now(UTC)
    count = 1000 if quick else reminders
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="werkmaat-bench-") as tmp:
        out = Path(tmp)
        system = _run("system_benchmark.py", ["--seconds", "20", "--throughput-seconds", "10"]
                      if quick else [], out / "system.json")
        rows += system_rows(system) if system else [Row("system benchmark", "failed")]
        figures: list[dict[str, Any] | None] = [system]
        for workers in (1, 3):
            result = _run("dispatch_benchmark.py",
                          ["--workers", str(workers), "--only", "steady", "--count", str(count),
                           "--postgres", postgres], out / f"dispatch-{workers}.json")
            rows += (dispatch_rows(result) if result
                     else [Row(f"dispatch, {workers} workers", "failed")])
            figures.append(result)
        if dashboard:
            result = _run("dashboard_benchmark.py", ["--reuse", "--postgres", postgres],
                          out / "dashboard.json")
            rows += dashboard_rows(result) if result else [Row("dashboard", "failed")]
            figures.append(result)
    table = ["| measure | figure | target |", "|---|---|---|", *(r.line() for r in rows)]
    missed = [r.measure for r in rows if r.met is False]
    text = "\n".join([
        "# Benchmarks",
        "",
        f"Measured {started:%Y-%m-%d %H:%M} UTC at commit {commit()} with `werkmaat bench"
        f"{' --quick' if quick else ''}`, on {machine_line(*figures)}. Everything ran on "
        "this one machine: PostgreSQL, the fake Telegram Bot API server, Werkmaat's "
        "processes and the drivers. How each figure is measured is said at the top of each "
        "script in benchmarks/.",
        "",
        *table,
        "",
        ("Every target is met." if not missed else
         "Targets missed: " + "; ".join(missed) + "."),
        "",
    ])
    typer.echo("\n".join(table))
    typer.echo("\n" + text.splitlines()[-2])
    if write is not None:
        write.parent.mkdir(parents=True, exist_ok=True)
        existing = write.read_text(encoding="utf-8") if write.exists() else ""
        notes = existing.split("\n## ", 1)[1] if "\n## " in existing else ""
        write.write_text(text + (f"\n## {notes}" if notes else ""), encoding="utf-8")
        typer.echo(f"written to {write}", err=True)
