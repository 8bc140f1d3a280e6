"""A client who blocked the bot is marked unreachable and a counselor is asked to call."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.telegram_channel import TelegramChannel
from dialogues import ChannelName, ClientKey
from storage import ClientStatus, ConsentState, TaskKind
from storage.memory import MemoryStore

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_blocked_client_becomes_a_task_to_call():
    store = MemoryStore()
    with store() as uow:
        client = uow.clients.add("telegram", "4242", "so", NOW)
        client.first_name, client.contact = "Hodan", "0470 11 22 33"
        client.consent, client.status = ConsentState.GRANTED, ClientStatus.REGISTERED
        uow.clients.save(client)
        uow.commit()
    channel = TelegramChannel(application=None, store=store)  # type: ignore[arg-type]
    channel._mark_unreachable(ClientKey(ChannelName.TELEGRAM, "4242"))
    channel._mark_unreachable(ClientKey(ChannelName.TELEGRAM, "4242"))
    with store() as uow:
        assert uow.clients.get(client.id).reachable is False
        [task] = uow.tasks.open()
        assert task.kind == TaskKind.CLIENT_UNREACHABLE
        assert "Hodan" in task.summary and "0470 11 22 33" in task.summary
