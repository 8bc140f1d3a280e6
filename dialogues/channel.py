"""The channel port: where replies go. Telegram, the web chat and the console implement it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from dialogues.messages import ClientKey, CounselorAlert, Outgoing, Relay


class Channel(Protocol):
    """Delivers messages to a client on one channel. Failures are the adapter's to handle;
    the answer says whether the message arrived (scheduled messages are retried if not)."""

    async def send(self, to: ClientKey, message: Outgoing) -> bool: ...


class AlertSink(Protocol):
    """Where counselors work (a Telegram group, a test list): new work, and what clients say
    while a counselor has the conversation."""

    async def alert(self, alert: CounselorAlert) -> None: ...

    async def relay(self, relay: Relay, client: ClientKey) -> None: ...


@dataclass
class CollectingChannel:
    """A channel that keeps what it was given: the test double, and the web chat's inbox."""

    sent: list[tuple[ClientKey, Outgoing]] = field(default_factory=list)

    async def send(self, to: ClientKey, message: Outgoing) -> bool:
        self.sent.append((to, message))
        return True

    def texts(self) -> list[str]:
        return [m.text for _, m in self.sent]
