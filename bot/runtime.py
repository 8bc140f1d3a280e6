"""Running Werkmaat: the web app, the Telegram bot and the dispatcher, by role.

`--role all` (the default) runs everything in one process: a city needs no more. To scale out
on PostgreSQL (docs/deployment.md):

- `web`: the web chat, the dashboard and Telegram's webhook. Stateless; run several behind a
  reverse proxy. Telegram hands one chat's updates over one at a time, and each is answered
  only once handled, so a client's messages stay in order across workers (a per-client
  advisory lock guards the turn as well).
- `bot`: Telegram long polling. One process only: Telegram serves one poller per bot.
- `dispatcher`: scheduled messages (reminders, check-ins); run several, they share the work
  through leases and Telegram's limits through the send book in PostgreSQL.

Every role answers /healthz, /readyz and /metrics: the web role on its web port, the others on
`WERKMAAT_HEALTH_PORT` when set.
"""

from __future__ import annotations

import asyncio
import gc
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
from bot.dashboard.pages import DashboardServices
from bot.dispatch_clock import DispatchClock
from bot.health import health_app
from bot.metrics import Metrics
from bot.send_limits import TelegramPace
from bot.settings import Settings
from bot.web import HandleUpdate, channel_delivery, create_app
from bot.web_outbox import WebChatOutbox
from dialogues import ChannelName
from dialogues.channel import AlertSink, Channel
from dialogues.dispatcher import Dispatcher, DispatchStats
from dialogues.engine import utcnow
from dialogues.retention import run_retention
from storage.send_slots import MemorySendSlots
from storage.sql import Database
from storage.sql.leadership import Leadership
from storage.sql.send_slots import SqlSendSlots

if TYPE_CHECKING:
    from bot.telegram_channel import TelegramChannel
    from bot.telegram_desk import TelegramCounselorDesk

log = logging.getLogger(__name__)


class Role(StrEnum):
    ALL = "all"
    WEB = "web"
    BOT = "bot"
    DISPATCHER = "dispatcher"

    def telegram_updates(self, settings: Settings) -> Updates:
        """How this role takes Telegram's updates, if at all."""
        if self == Role.DISPATCHER:
            return Updates.NONE
        if self == Role.BOT:
            if settings.webhook_url:
                raise RoleRefused("the bot role polls Telegram; with WERKMAAT_WEBHOOK_URL set, "
                                  "the web workers take Telegram's updates: run --role web")
            return Updates.POLL
        if settings.webhook_url:
            return Updates.WEBHOOK
        return Updates.POLL if self == Role.ALL else Updates.NONE


class Updates(StrEnum):
    NONE = "none"  # send only
    POLL = "poll"
    WEBHOOK = "webhook"


class RoleRefused(RuntimeError):
    """A role that cannot work with these settings (said before anything starts)."""


@dataclass
class TelegramParts:
    channel: TelegramChannel
    desk: TelegramCounselorDesk | None
    handle_update: HandleUpdate | None  # the webhook's: handled before Telegram hears 200
    bot: Any


def send_pace(database: Database, settings: Settings) -> TelegramPace:
    """Shared through PostgreSQL when that is the store (several processes), else in memory."""
    slots = (SqlSendSlots(database.engine) if database.engine.dialect.name == "postgresql"
             else MemorySendSlots())
    return TelegramPace(slots, settings.telegram_messages_per_second)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


async def start_telegram(settings: Settings, database: Database, werkmaat: Werkmaat | None,
                         stack: AsyncExitStack, updates: Updates, metrics: Metrics
                         ) -> TelegramParts:
    """Start the bot: taking updates by polling or the webhook, or for sending only."""
    from bot.telegram_channel import (
        TelegramChannel,
        UpdatePoller,
        build_application,
        install_handlers,
    )
    from bot.telegram_desk import TelegramCounselorDesk
    from dialogues.appointment_commands import AppointmentCommands
    from dialogues.appointments import AppointmentBook
    from dialogues.counselor_desk import CounselorDesk
    from dialogues.i18n import Translator
    from dialogues.nazorg import Aftercare
    from dialogues.nazorg_commands import AftercareCommands

    application = build_application(settings)
    channel = TelegramChannel(application, database, werkmaat.speech if werkmaat else None,
                              send_pace(database, settings),
                              failed=lambda kind: metrics.telegram_errors.labels(kind).inc())
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
    if updates == Updates.NONE:
        return TelegramParts(channel, desk, None, application.bot)
    assert werkmaat is not None
    install_handlers(application, werkmaat.engine, channel, desk)
    await application.start()
    stack.push_async_callback(application.stop)
    # the menu and descriptions take some fifty calls: after a restart, clients come first
    menu = asyncio.get_running_loop().create_task(_set_commands(application))
    stack.callback(menu.cancel)
    allowed = ["message", "edited_message", "callback_query"]
    handle_update = None
    if updates == Updates.WEBHOOK:
        secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
        await application.bot.set_webhook(settings.webhook_url, secret_token=secret,
                                          allowed_updates=allowed)
        log.info("Telegram: webhook mode")
        handle_update = application.process_update
    else:
        await application.bot.delete_webhook()
        poller = UpdatePoller(application, allowed)
        poller.start()
        stack.push_async_callback(poller.stop)
        log.info("Telegram: polling")
    if desk is not None:  # several web workers: one of them announces stored work
        leadership = Leadership(database, "counselor-desk")
        watcher = asyncio.get_running_loop().create_task(desk.watch(leadership=leadership))
        stack.callback(watcher.cancel)
        stack.callback(leadership.release)
    return TelegramParts(channel, desk, handle_update, application.bot)


async def _set_commands(application: Any) -> None:
    from bot.telegram_channel import set_commands

    try:
        await set_commands(application)
    except Exception:
        log.exception("could not set the Telegram command menu")


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
    if settings.retention_daily_at != "off":
        leadership = Leadership(database, "retention")  # with several dispatchers, one runs it
        stack.callback(leadership.release)
        clock.daily(settings.retention_daily_at, settings.timezone,
                    lambda: run_retention(database, settings.retention, utcnow)
                    if leadership.lead() else "another worker runs it", "retention")
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
    updates = role.telegram_updates(settings)
    more_threads()
    if role == Role.DISPATCHER:
        await serve_dispatcher(settings)
        return
    werkmaat = await asyncio.to_thread(build, settings)
    async with AsyncExitStack() as stack:
        telegram = None
        if settings.telegram_enabled:
            if updates == Updates.NONE:
                log.info("Telegram for sending only: a --role bot process polls for updates")
            try:
                telegram = await start_telegram(settings, werkmaat.database, werkmaat, stack,
                                                updates, werkmaat.metrics)
            except Exception:
                log.exception("Telegram could not start; the web chat runs without it")
        clock = None
        if role == Role.ALL:
            clock = start_dispatcher(settings, werkmaat.database, telegram, stack)
            werkmaat.metrics.watch_dispatcher(lambda: clock.totals if clock else DispatchStats())
        if role == Role.BOT:
            freeze_what_was_loaded()
            print(f"Werkmaat bot {worker_name()} is running (Telegram polling). "
                  "Press Ctrl+C to stop.", flush=True)
            await serve_health(settings, werkmaat.database, werkmaat.metrics)
            return
        channels: dict[ChannelName, Channel] = {ChannelName.WEB: WebChatOutbox(werkmaat.database)}
        if telegram is not None:
            channels[ChannelName.TELEGRAM] = telegram.channel
        dashboard = DashboardServices(werkmaat.database, settings, utcnow,
                                      deliver=channel_delivery(channels),
                                      wake=clock.wake if clock else lambda: None)
        if telegram is not None and telegram.desk is not None:
            dashboard.notify = telegram.desk.note
        app = create_app(werkmaat, telegram.desk if telegram else None,
                         telegram_updates=telegram.handle_update if telegram else None,
                         telegram_bot=telegram.bot if telegram else None, dashboard=dashboard)
        freeze_what_was_loaded()
        config = uvicorn.Config(app, host=settings.web_host, port=settings.web_port,
                                log_level="warning", lifespan="off")
        server = uvicorn.Server(config)
        address = settings.web_address
        hint = await asyncio.to_thread(_account_hint, werkmaat.database)
        telegram_state = ("off (no token)" if not settings.telegram_enabled
                          else "on" if updates != Updates.NONE else "sending only")
        print(f"Werkmaat is running{'' if role == Role.ALL else f' (role {role.value})'}.\n"
              f"  Web chat:   {address}/chat\n"
              f"  Counselors: {address}/dashboard{hint}\n"
              f"  Telegram:   {telegram_state}\n"
              "Press Ctrl+C to stop.", flush=True)
        await server.serve()
    werkmaat.database.dispose()


def freeze_what_was_loaded() -> None:
    """Everything loaded so far (libraries, the NLU model, catalogs) lives as long as the
    process: keep it out of the garbage collector's full passes, which otherwise take ~150 ms
    and set every page's slowest answers."""
    gc.collect()
    gc.freeze()


async def serve_health(settings: Settings, database: Database, metrics: Metrics) -> None:
    """/healthz, /readyz and /metrics on `WERKMAAT_HEALTH_PORT`, else just keep running."""
    if settings.health_port is None:
        await asyncio.Event().wait()
        return
    config = uvicorn.Config(health_app(database, metrics), host=settings.web_host,
                            port=settings.health_port, log_level="warning", lifespan="off")
    await uvicorn.Server(config).serve()


def _account_hint(database: Database) -> str:
    """A first run has no dashboard accounts: say how to make one."""
    with database() as uow:
        if any(c.login and c.active for c in uow.counselors.all()):
            return ""
    return ("\n              no accounts yet: .venv/bin/werkmaat counselor add "
            "--name \"Your Name\" --login you --role coordinator"
            "\n              demo cases:      .venv/bin/werkmaat demo-data --clients 200 --logins")


async def serve_dispatcher(settings: Settings) -> None:
    """Only the dispatcher: sends what is due, through Telegram and the web-chat outbox."""
    database = await asyncio.to_thread(open_database, settings)
    metrics = Metrics(database)
    async with AsyncExitStack() as stack:
        telegram = None
        if settings.telegram_enabled:
            telegram = await start_telegram(settings, database, None, stack, Updates.NONE,
                                            metrics)
        clock = start_dispatcher(settings, database, telegram, stack)
        metrics.watch_dispatcher(lambda: clock.totals)
        print(f"Werkmaat dispatcher {worker_name()} is running. Press Ctrl+C to stop.",
              flush=True)
        await serve_health(settings, database, metrics)
    database.dispose()
