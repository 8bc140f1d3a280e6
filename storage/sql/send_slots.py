"""The send-pacing book in the database, shared by every process that sends for one bot."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from storage.send_slots import Limit, earliest
from storage.sql import models as m

PRUNE_EVERY = 5_000


class SqlSendSlots:
    """One short transaction per message: lock the limits' rows, book the slot, commit.

    Rows are locked in key order, so two processes never wait on each other in a circle.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._insert = (postgresql.insert if engine.dialect.name == "postgresql"
                        else sqlite.insert)
        self._count = 0

    def reserve(self, limits: Sequence[Limit], now: float) -> float:
        ordered = sorted(limits, key=lambda limit: limit.key)
        keys = [limit.key for limit in ordered]
        with self.engine.begin() as conn:
            conn.execute(self._insert(m.SendSlot)
                         .values([{"key": k, "next_at": now} for k in keys])
                         .on_conflict_do_nothing(index_elements=["key"]))
            rows = conn.execute(select(m.SendSlot.key, m.SendSlot.next_at)
                                .where(m.SendSlot.key.in_(keys))
                                .order_by(m.SendSlot.key).with_for_update())
            booked = {key: float(next_at) for key, next_at in rows}
            moment = earliest(ordered, booked, now)
            for limit in ordered:
                conn.execute(update(m.SendSlot).where(m.SendSlot.key == limit.key)
                             .values(next_at=max(booked[limit.key], moment) + limit.interval))
            self._count += 1
            if self._count % PRUNE_EVERY == 0:  # chats that went quiet long ago
                conn.execute(delete(m.SendSlot).where(m.SendSlot.next_at < now - 3600))
        return moment

    def hold(self, key: str, until: float) -> None:
        with self.engine.begin() as conn:
            conn.execute(self._insert(m.SendSlot).values(key=key, next_at=until)
                         .on_conflict_do_nothing(index_elements=["key"]))
            conn.execute(update(m.SendSlot).where(m.SendSlot.key == key,
                                                  m.SendSlot.next_at < until)
                         .values(next_at=until))
