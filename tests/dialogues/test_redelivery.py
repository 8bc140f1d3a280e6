"""A message delivered again after a crash changes nothing twice.

Telegram hands out an update again until the bot confirms it, and `UpdatePoller` confirms one
only once it was handled; a crash in between delivers it again. The engine knows it by its
delivery number: a message handled before changes nothing, and of the latest one's reply only
what may not have gone out is sent.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from dialogues import ChannelName, ClientKey, Incoming
from dialogues.channel import CollectingChannel
from dialogues.messages import Outgoing
from dialogues.state import Step
from storage.memory import MemoryStore
from tests.fakes import ScriptedNLU
from tests.transcript import make_engine

KEY = ClientKey(ChannelName.TELEGRAM, "4242")


class ProcessDied(Exception):
    pass


@dataclass
class DyingChannel(CollectingChannel):
    """Sends `survives` messages, then the process dies."""

    survives: int = 0

    async def send(self, to: ClientKey, message: Outgoing) -> bool:
        if len(self.sent) >= self.survives:
            raise ProcessDied
        return await super().send(to, message)


def step_and_consents(store: MemoryStore) -> tuple[str, int]:
    with store() as uow:
        client = uow.clients.by_identity(KEY.channel.value, KEY.external_id)
        assert client is not None
        state = uow.states.load(client.id)
        assert state is not None
        return state.step, len(uow.consents.for_client(client.id))


async def test_a_message_handled_before_changes_nothing_and_is_not_answered_twice():
    store = MemoryStore()
    engine = make_engine(store, ScriptedNLU())
    channel = CollectingChannel()
    start = Incoming.typed(KEY, "/start", delivery=7)
    dutch = Incoming.button(KEY, "lang:nl", delivery=8)
    consent = Incoming.button(KEY, "consent:yes", delivery=9)
    for message in (start, dutch, consent):
        await engine.receive(message, channel)
    answered = channel.texts()
    assert step_and_consents(store) == (Step.AREA.value, 1)

    # the process died after the replies went out, before Telegram heard they were handled
    for message in (start, dutch, consent):
        await engine.receive(message, channel)
    assert channel.texts() == answered
    assert step_and_consents(store) == (Step.AREA.value, 1)


async def test_what_may_not_have_gone_out_goes_when_delivered_again():
    store = MemoryStore()
    engine = make_engine(store, ScriptedNLU())
    channel = CollectingChannel()
    await engine.receive(Incoming.typed(KEY, "/start", delivery=1), channel)
    dutch = Incoming.button(KEY, "lang:nl", delivery=2)  # a welcome, then the consent question
    dying = DyingChannel(survives=1)
    with pytest.raises(ProcessDied):
        await engine.receive(dutch, dying)
    [(_, welcome)] = dying.sent

    again = await engine.receive(dutch, channel)
    assert len(again.messages) == 1 and again.messages[0].text != welcome.text
    assert [b.payload for b in again.messages[0].flat_buttons][:2] == [
        "consent:yes", "consent:no"]
    assert step_and_consents(store) == (Step.CONSENT.value, 0)
    assert (await engine.receive(dutch, channel)).messages == []  # all out now


async def test_messages_without_a_delivery_number_are_each_handled():
    store = MemoryStore()
    engine = make_engine(store, ScriptedNLU())
    channel = CollectingChannel()
    for _ in range(2):
        await engine.receive(Incoming.typed(KEY, "/start"), channel)
    assert len(channel.texts()) == 2  # the web chat numbers nothing: each is answered


async def test_an_old_number_proves_nothing_after_a_day():
    """Telegram renumbers updates at random after a week without any: a lower number a day
    later is a new message, not one delivered again."""
    from datetime import timedelta

    from tests.transcript import FixedClock

    clock = FixedClock()
    store = MemoryStore()
    engine = make_engine(store, ScriptedNLU(), clock)
    channel = CollectingChannel()
    await engine.receive(Incoming.typed(KEY, "/start", delivery=500), channel)
    await engine.receive(Incoming.button(KEY, "lang:nl", delivery=501), channel)
    assert step_and_consents(store) == (Step.CONSENT.value, 0)
    clock.now += timedelta(days=8)
    await engine.receive(Incoming.button(KEY, "consent:yes", delivery=17), channel)
    assert step_and_consents(store) == (Step.AREA.value, 1)
