"""Messages for web chat clients that arrive while they are not asking: kept until they poll.

The web chat answers each message in the same HTTP request; what a counselor writes later waits
in the case store, so a reload or a restart loses nothing, and the page fetches it.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from dialogues import ClientKey, Outgoing
from storage.records import WebMessageRecord
from storage.repositories import UnitOfWorkFactory


class WebChatOutbox:
    """The web chat's side of the channel port, for messages nobody is waiting for."""

    def __init__(self, store: UnitOfWorkFactory) -> None:
        self.store = store

    async def send(self, to: ClientKey, message: Outgoing) -> bool:
        await asyncio.to_thread(self._keep, to.external_id, message)
        return True

    def _keep(self, external_id: str, message: Outgoing) -> None:
        with self.store() as uow:
            uow.web_outbox.add(WebMessageRecord(
                external_id, message.text or message.voice, message.language, message.rtl,
                datetime.now(UTC), buttons=tuple(tuple((b.label, b.payload) for b in row)
                                                 for row in message.buttons)))
            uow.commit()

    def waiting(self, external_id: str, after_id: int) -> list[WebMessageRecord]:
        with self.store() as uow:
            return list(uow.web_outbox.after(external_id, after_id))
