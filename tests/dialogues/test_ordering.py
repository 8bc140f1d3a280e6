"""Messages of one client are handled one at a time, in the order they arrived."""

from __future__ import annotations

import asyncio

from dialogues import ChannelName, ClientKey, Incoming
from storage.memory import MemoryStore
from tests.dialogues.test_first_contact import DUTCH_TO_REGISTERED
from tests.fakes import ScriptedNLU
from tests.transcript import Conversation, make_engine


def test_concurrent_messages_of_one_client_keep_their_order():
    store = MemoryStore()
    engine = make_engine(store, ScriptedNLU())
    chat = Conversation(engine)
    chat.run(*DUTCH_TO_REGISTERED)
    others = [ClientKey(ChannelName.WEB, f"other-client-token-{i:04d}") for i in range(5)]

    async def burst() -> None:
        mine = [engine.handle_async(Incoming.typed(chat.key, f"bericht {i}")) for i in range(30)]
        theirs = [engine.handle_async(Incoming.typed(k, "/start")) for k in others]
        await asyncio.gather(*mine, *theirs)

    asyncio.run(burst())
    with store() as uow:
        client = uow.clients.by_identity("telegram", "1001")
        assert client is not None
        said = [i.text for i in uow.interactions.for_client(client.id, limit=1000)
                if i.direction.value == "in" and i.text.startswith("bericht")]
        assert said == [f"bericht {i}" for i in range(30)]
        assert len(uow.clients.all()) == 6
