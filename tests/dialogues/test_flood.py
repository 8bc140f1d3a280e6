"""Flood control: one client's burst is slowed down; other clients are not; order is kept."""

from __future__ import annotations

import asyncio

from dialogues import ChannelName, ClientKey, Incoming
from dialogues.flood import FloodGate
from storage.memory import MemoryStore
from tests.transcript import make_engine


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.waits: list[tuple[str, float]] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(("", seconds))


def test_a_burst_passes_then_one_message_per_interval():
    time = FakeTime()
    gate = FloodGate(rate=5, burst=20, clock=time.clock, sleep=time.sleep)
    delays = [asyncio.run(gate.wait_turn("flooder")) for _ in range(100)]
    assert delays[:20] == [0.0] * 20
    assert abs(delays[20] - 0.2) < 1e-9 and abs(delays[99] - 80 * 0.2) < 1e-9  # then 5 a second
    assert asyncio.run(gate.wait_turn("someone else")) == 0.0
    time.now += 60  # a minute later the flooder is welcome again
    assert asyncio.run(gate.wait_turn("flooder")) == 0.0


def test_a_flooding_client_is_slowed_and_capped_while_another_is_answered_at_once(nlu):
    engine = make_engine(MemoryStore(), nlu)
    engine.flood = FloodGate(rate=200, burst=5, max_backlog=50)
    flooder = ClientKey(ChannelName.TELEGRAM, "666")
    calm = ClientKey(ChannelName.TELEGRAM, "777")

    async def scenario() -> tuple[list[int], float, float]:
        loop = asyncio.get_running_loop()
        started = loop.time()
        flood = [asyncio.create_task(engine.handle_async(Incoming.typed(flooder, f"spam {i}")))
                 for i in range(120)]
        await asyncio.sleep(0)
        calm_reply = await engine.handle_async(Incoming.typed(calm, "/start"))
        calm_done = loop.time() - started
        replies = await asyncio.gather(*flood)
        assert calm_reply.messages
        return [len(r.messages) for r in replies], calm_done, loop.time() - started

    counts, calm_done, flood_done = asyncio.run(scenario())
    assert sum(1 for c in counts if c == 0) >= 60, "beyond the backlog: deliberately unanswered"
    assert all(c > 0 for c in counts[:50]), "the first ones are all answered, in order"
    assert engine.flood.dropped >= 60
    assert calm_done < flood_done
