"""What the benchmarks print about the machine they ran on (their figures mean little without)."""

from __future__ import annotations

import os
import platform
from pathlib import Path


def _first(path: str, prefix: str) -> str | None:
    file = Path(path)
    if not file.exists():
        return None
    return next((line for line in file.read_text().splitlines() if line.startswith(prefix)),
                None)


def describe() -> dict[str, str]:
    """CPUs, memory, Python and OS, read from /proc where there is one."""
    model = _first("/proc/cpuinfo", "model name")
    memory = _first("/proc/meminfo", "MemTotal:")
    cpu = model.split(":", 1)[1].strip() if model else "unknown CPU"
    ram = f"{int(memory.split()[1]) / 1024 / 1024:.1f} GiB" if memory else "unknown"
    return {"cpus": f"{os.cpu_count()} × {cpu}", "ram": ram,
            "python": platform.python_version(), "os": platform.platform(terse=True)}
