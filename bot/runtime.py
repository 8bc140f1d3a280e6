"""Running Werkmaat: the web app, the Telegram bot and the dispatcher in one event loop.

`--role all` (the default) runs everything in one process. `--role dispatcher` runs only the
dispatcher of scheduled messages (no web server, no Telegram updates): start several next to
the main process on PostgreSQL to send reminders faster, all within Telegram's limits.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import uvicorn

from bot.composition import Werkmaat, build, open_database
from bot.dispatch_clock import DispatchClock
from bot.send_limits import TelegramPace
from bot.settings import Settings
from bot.web import create_app
from bot.web_outbox import WebChatOutbox
from dialogues import ChannelName
from dialogues.channel import AlertSink, Channel
from dialogues.dispatcher import Dispatcher
from dialogues.engine import utcnow
from storage.send_slots import MemorySendSlots
from storage.sql import Database
from storage.sql.send_slots import SqlSendSlots

if TYPE_CHECKING:
    from bot.telegram_channel import TelegramChannel
    from bot.telegram_desk import TelegramCounselorDesk

log = logging.getLogger(__name__)


class Role(StrEnum):
    ALL = "all"
    DISPATCHER = "dispatcher"


@dataclass
class TelegramParts:
    channel: TelegramChannel
    desk: TelegramCounselorDesk | None
    queue: asyncio.Queue[Any] | None
    bot: Any


def send_pace(database: Database, settings: Settings) -> TelegramPace:
    """Shared through PostgreSQL when that is the store (several processes), else in memory."""
    slots = (SqlSendSlots(database.engine) if database.engine.dialect.name == "postgresql"
             else MemorySendSlots())
    return TelegramPace(slots, settings.telegram_messages_per_second)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


async def start_telegram(settings: Settings, database: Database, werkmaat: Werkmaat | None,
                         stack: AsyncExitStack, updates: bool = True) -> TelegramParts:
    """Start the bot: with `updates`, polling or the webhook; without, for sending only."""
    from bot.telegram_channel import (
        TelegramChannel,
        build_application,
        install_handlers,
        set_commands,
    )
    from bot.telegram_desk import TelegramCounselorDesk
    from dialogues.appointment_commands import AppointmentCommands
    from dialogues.appointments import AppointmentBook
    from dialogues.counselor_desk import CounselorDesk
    from dialogues.i18n import Translator
    from dialogues.nazorg import Aftercare
    from dialogues.nazorg_commands import AftercareCommands

    application = build_application(settings, polling=updates)
    channel = TelegramChannel(application, database, werkmaat.speech if werkmaat else None,
                              send_pace(database, settings))
    desk = None
    dialogue = settings.dialogue
    if settings.counselor_chat_id is not None:
        commands = AppointmentCommands(AppointmentBook(database, dialogue, utcnow), utcnow)
        aftercare = AftercareCommands(Aftercare(database, dialogue, utcnow), utcnow)
        desk = TelegramCounselorDesk(
            channel, CounselorDesk(database, dialogue, utcnow), database,
            settings.counselor_chat_id, Translator(dialogue.staff_language, dialogue.timezone),
            {ChannelName.WEB: WebChatOutbox(database)}, commands, aftercare=aftercare)
    await application.initialize()
    stack.push_async_callback(application.shutdown)
    if not updates:
        return TelegramParts(channel, desk, None, application.bot)
    assert werkmaat is not None
    install_handlers(application, werkmaat.engine, channel, desk)
    await application.start()
    stack.push_async_callback(application.stop)
    try:
        await set_commands(application)
    except Exception:
        log.exception("could not set the Telegram command menu")
    allowed = ["message", "edited_message", "callback_query"]
    queue = None
    if settings.webhook_url:
        secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
        await application.bot.set_webhook(settings.webhook_url, secret_token=secret,
                                          allowed_updates=allowed)
        log.info("Telegram: webhook mode")
        queue = application.update_queue
    else:
        assert application.updater is not None
        await application.bot.delete_webhook()
        await application.updater.start_polling(allowed_updates=allowed)
        stack.push_async_callback(application.updater.stop)
        log.info("Telegram: polling")
    if desk is not None:
        watcher = asyncio.get_running_loop().create_task(desk.watch())
        stack.callback(watcher.cancel)
    return TelegramParts(channel, desk, queue, application.bot)


def start_dispatcher(settings: Settings, database: Database, telegram: TelegramParts | None,
                     stack: AsyncExitStack) -> DispatchClock:
    channels: dict[ChannelName, Channel] = {ChannelName.WEB: WebChatOutbox(database)}
    alerts: AlertSink | None = None
    if telegram is not None:
        channels[ChannelName.TELEGRAM] = telegram.channel.scheduled()
        alerts = telegram.desk
    dispatcher = Dispatcher(database, settings.dialogue, channels, alerts, utcnow,
                            worker_name())
    clock = DispatchClock(dispatcher, settings.dispatch_interval)
    clock.start()
    stack.callback(clock.shutdown)
    if telegram is not None and telegram.desk is not None:
        telegram.desk.wake = clock.wake
    return clock


def more_threads() -> None:
    """Store calls run in threads; the default pool (CPU count + 4) is too small for a
    dispatcher serving many clients at once while a booking waits on PostgreSQL."""
    asyncio.get_running_loop().set_default_executor(
        ThreadPoolExecutor(max_workers=32, thread_name_prefix="werkmaat"))


async def serve(settings: Settings, role: Role = Role.ALL) -> None:
    more_threads()
    if role == Role.DISPATCHER:
        await serve_dispatcher(settings)
        return
    werkmaat = await asyncio.to_thread(build, settings)
    async with AsyncExitStack() as stack:
        telegram = None
        if settings.telegram_enabled:
            try:
                telegram = await start_telegram(settings, werkmaat.database, werkmaat, stack)
            except Exception:
                log.exception("Telegram could not start; the web chat runs without it")
        start_dispatcher(settings, werkmaat.database, telegram, stack)
        app = create_app(werkmaat, telegram.desk if telegram else None,
                         telegram_updates=telegram.queue if telegram else None,
                         telegram_bot=telegram.bot if telegram else None)
        config = uvicorn.Config(app, host=settings.web_host, port=settings.web_port,
                                log_level="warning", lifespan="off")
        server = uvicorn.Server(config)
        address = settings.web_address
        print(f"Werkmaat is running.\n  Web chat:   {address}/chat\n"
              f"  Counselors: {address}/dashboard\n"
              f"  Telegram:   {'on' if settings.telegram_enabled else 'off (no token)'}\n"
              "Press Ctrl+C to stop.", flush=True)
        await server.serve()
    werkmaat.database.dispose()


async def serve_dispatcher(settings: Settings) -> None:
    """Only the dispatcher: sends what is due, through Telegram and the web-chat outbox."""
    database = await asyncio.to_thread(open_database, settings)
    async with AsyncExitStack() as stack:
        telegram = None
        if settings.telegram_enabled:
            telegram = await start_telegram(settings, database, None, stack, updates=False)
        start_dispatcher(settings, database, telegram, stack)
        print(f"Werkmaat dispatcher {worker_name()} is running. Press Ctrl+C to stop.",
              flush=True)
        await asyncio.Event().wait()
    database.dispose()
