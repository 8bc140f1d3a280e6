"""What a counselor's command in a client's topic looks like to the adapter that reads it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from dialogues.appointments import Actor
from storage.records import ScheduledMessageRecord


class CommandOutcome(Protocol):
    @property
    def ok(self) -> bool: ...
    @property
    def note(self) -> str: ...  # for the counselors, in their language
    @property
    def scheduled(self) -> Sequence[ScheduledMessageRecord]: ...  # wake the dispatcher if any


class TopicCommands(Protocol):
    """A family of Dutch commands (/afspraak …, /werk …) and what they do for one client."""

    @property
    def names(self) -> tuple[str, ...]: ...

    def handle(self, client_id: int, actor: Actor, command: str, args: str
               ) -> CommandOutcome: ...
