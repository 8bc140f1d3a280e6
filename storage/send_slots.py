"""Shared send pacing (GCRA): every limit is a key with a theoretical next free moment.

A message may go at `t` under a limit when `t >= next_at - tolerance`; sending it moves
`next_at` to `max(next_at, t) + interval`. `reserve` finds the earliest `t` that every named
limit allows and books it under all of them at once, so several processes sharing the book
(in PostgreSQL) never exceed a limit together. Times are seconds since the epoch.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Limit:
    """One rate: at most one message per `interval` seconds, bursts of `burst` allowed."""

    key: str
    interval: float
    burst: int = 1

    @property
    def tolerance(self) -> float:
        return self.interval * (self.burst - 1)


class SendSlots(Protocol):
    def reserve(self, limits: Sequence[Limit], now: float) -> float:
        """Book the earliest moment (≥ now) every limit allows; returns it."""
        ...

    def hold(self, key: str, until: float) -> None:
        """Nothing under `key` before `until` (a 429's retry_after); pauses do not add up."""
        ...


def earliest(limits: Sequence[Limit], booked: Mapping[str, float], now: float) -> float:
    moment = now
    for limit in limits:
        moment = max(moment, booked.get(limit.key, now) - limit.tolerance)
    return moment


class MemorySendSlots:
    """The book for one process (SQLite deployments, tests)."""

    def __init__(self) -> None:
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def reserve(self, limits: Sequence[Limit], now: float) -> float:
        with self._lock:
            moment = earliest(limits, self._next, now)
            for limit in limits:
                self._next[limit.key] = max(self._next.get(limit.key, now), moment) + limit.interval
            if len(self._next) > 50_000:  # forget chats that went quiet long ago
                self._next = {k: v for k, v in self._next.items() if v > now}
            return moment

    def hold(self, key: str, until: float) -> None:
        with self._lock:
            self._next[key] = max(self._next.get(key, until), until)
