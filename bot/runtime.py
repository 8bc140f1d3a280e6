"""Running Werkmaat: the web app and the Telegram bot in one event loop."""

from __future__ import annotations

import asyncio
import logging
from contextlib import AsyncExitStack
from typing import Any

import uvicorn

from bot.composition import Werkmaat, build
from bot.settings import Settings
from bot.web import create_app

log = logging.getLogger(__name__)


async def start_telegram(werkmaat: Werkmaat, stack: AsyncExitStack) -> tuple[Any, Any]:
    """Start the bot (polling, or webhook when configured); returns the webhook's queue and bot."""
    from bot.telegram_channel import (
        TelegramChannel,
        build_application,
        install_handlers,
        set_commands,
    )
    from bot.telegram_desk import TelegramCounselorDesk
    from bot.web_outbox import WebChatOutbox
    from dialogues import ChannelName
    from dialogues.counselor_desk import CounselorDesk
    from dialogues.engine import utcnow
    from dialogues.i18n import Translator

    settings = werkmaat.settings
    application = build_application(settings)
    channel = TelegramChannel(application, werkmaat.database, werkmaat.speech)
    alerts = None
    if settings.counselor_chat_id is not None:
        dialogue = werkmaat.engine.settings
        alerts = TelegramCounselorDesk(
            channel, CounselorDesk(werkmaat.database, dialogue, utcnow), werkmaat.database,
            settings.counselor_chat_id, Translator(dialogue.staff_language, dialogue.timezone),
            {ChannelName.WEB: WebChatOutbox(werkmaat.database)})
    install_handlers(application, werkmaat.engine, channel, alerts)
    await application.initialize()
    stack.push_async_callback(application.shutdown)
    await application.start()
    stack.push_async_callback(application.stop)
    try:
        await set_commands(application)
    except Exception:
        log.exception("could not set the Telegram command menu")
    if settings.webhook_url:
        secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
        await application.bot.set_webhook(settings.webhook_url, secret_token=secret,
                                          allowed_updates=["message", "edited_message",
                                                           "callback_query"])
        log.info("Telegram: webhook mode")
        queue = application.update_queue
    else:
        assert application.updater is not None
        await application.bot.delete_webhook()
        await application.updater.start_polling(allowed_updates=["message", "edited_message",
                                                                 "callback_query"])
        stack.push_async_callback(application.updater.stop)
        log.info("Telegram: polling")
        queue = None
    if alerts is not None:
        watcher = asyncio.get_running_loop().create_task(alerts.watch())
        stack.callback(watcher.cancel)
    return alerts, (queue, application.bot)


async def serve(settings: Settings) -> None:
    werkmaat = await asyncio.to_thread(build, settings)
    async with AsyncExitStack() as stack:
        alerts, webhook = None, (None, None)
        if settings.telegram_enabled:
            try:
                alerts, webhook = await start_telegram(werkmaat, stack)
            except Exception:
                log.exception("Telegram could not start; the web chat runs without it")
        app = create_app(werkmaat, alerts, telegram_updates=webhook[0], telegram_bot=webhook[1])
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
