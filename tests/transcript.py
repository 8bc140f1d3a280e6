"""Transcript tests: what a client does, and what the bot must answer, through the real engine.

A transcript is a list of `Say` / `Press` / `Send` steps, each with the phrases the bot's reply
must (and must not) contain. The engine, the flows and the compiled catalogs are the real ones.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from dialogues import ChannelName, ClientKey, DialogueSettings, Engine, Incoming, InputKind, Reply
from dialogues.messages import Outgoing
from nlu import NLU
from storage.repositories import UnitOfWorkFactory


@dataclass
class Step:
    expect: tuple[str, ...] = ()
    forbid: tuple[str, ...] = ()

    def incoming(self, key: ClientKey) -> Incoming:
        raise NotImplementedError


@dataclass
class Say(Step):
    text: str = ""

    def incoming(self, key: ClientKey) -> Incoming:
        return Incoming.typed(key, self.text)


@dataclass
class Press(Step):
    """Press the button whose label contains `label` (or whose payload equals it)."""

    label: str = ""

    def incoming(self, key: ClientKey) -> Incoming:
        raise AssertionError("resolved by the runner")


@dataclass
class Forge(Step):
    """A button payload the client was not shown now: stale, replayed or forged."""

    payload: str = ""

    def incoming(self, key: ClientKey) -> Incoming:
        return Incoming.button(key, self.payload)


@dataclass
class Send(Step):
    kind: InputKind = InputKind.STICKER

    def incoming(self, key: ClientKey) -> Incoming:
        return Incoming(key, self.kind)


def say(text: str, *expect: str, forbid: tuple[str, ...] = ()) -> Say:
    return Say(expect=expect, forbid=forbid, text=text)


def press(label: str, *expect: str, forbid: tuple[str, ...] = ()) -> Press:
    return Press(expect=expect, forbid=forbid, label=label)


def forge(payload: str, *expect: str) -> Forge:
    return Forge(expect=expect, payload=payload)


def send(kind: InputKind, *expect: str) -> Send:
    return Send(expect=expect, kind=kind)


class FixedClock:
    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 23, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=5)
        return self.now


@dataclass
class Conversation:
    """One client talking to an engine; remembers the last buttons it was shown."""

    engine: Engine
    key: ClientKey = field(default_factory=lambda: ClientKey(ChannelName.TELEGRAM, "1001"))
    last: list[Outgoing] = field(default_factory=list)
    history: list[tuple[str, list[str]]] = field(default_factory=list)

    def do(self, step: Step) -> Reply:
        if isinstance(step, Press):
            incoming = Incoming.button(self.key, self._find(step.label))
        else:
            incoming = step.incoming(self.key)
        reply = asyncio.run(self.engine.handle_async(incoming))
        self.last = reply.messages or self.last
        texts = [m.text for m in reply.messages]
        said = (getattr(step, "text", "") or getattr(step, "label", "")
                or getattr(step, "payload", ""))
        self.history.append((said, texts))
        joined = "\n".join(texts)
        for phrase in step.expect:
            assert phrase in joined, (f"expected {phrase!r} after {step!r}; bot said:\n{joined}"
                                      f"\n\nconversation so far:\n{self.dump()}")
        for phrase in step.forbid:
            assert phrase not in joined, f"{phrase!r} must not appear; bot said:\n{joined}"
        return reply

    def run(self, *steps: Step) -> Conversation:
        for step in steps:
            self.do(step)
        return self

    def buttons(self) -> list[tuple[str, str]]:
        return [(b.label, b.payload) for m in self.last for b in m.flat_buttons]

    def _find(self, label: str) -> str:
        for text, payload in self.buttons():
            if payload == label or label in text:
                return payload
        raise AssertionError(f"no button {label!r}; buttons: {self.buttons()}")

    def dump(self) -> str:
        return "\n".join(f"> {said}\n" + "\n".join(f"< {t}" for t in texts)
                         for said, texts in self.history)


def make_engine(store: UnitOfWorkFactory, nlu: NLU, clock: FixedClock | None = None,
                **settings: object) -> Engine:
    return Engine(store, nlu, DialogueSettings(**settings),  # type: ignore[arg-type]
                  clock or FixedClock())
