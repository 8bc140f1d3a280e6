"""The Telegram adapter: updates in, engine messages out, and Telegram's failures absorbed.

Thin by design: it turns python-telegram-bot updates into `Incoming` messages, sends `Outgoing`
messages with inline keyboards, and handles what Telegram can answer (429, a blocked bot,
time-outs) so the engine never sees an SDK type.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from telegram import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.constants import ChatType, MessageLimit
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import Application, ApplicationBuilder, ContextTypes, TypeHandler

from bot.calendar_file import ics_bytes
from bot.send_limits import TelegramPace
from bot.settings import Settings
from bot.speech import Speech
from dialogues import ChannelName, ClientKey, Engine, Incoming, InputKind, Outgoing
from dialogues.i18n import N_, Translator
from dialogues.languages import LANGUAGES
from dialogues.messages import CalendarEvent
from storage.records import ConsentState, TaskKind, TaskRecord
from storage.repositories import UnitOfWorkFactory

if TYPE_CHECKING:
    from bot.telegram_desk import TelegramCounselorDesk

log = logging.getLogger(__name__)

SEND_ATTEMPTS = 5
BULK_MAX_PAUSE = 10.0  # a scheduled message never waits longer inside one lease
COMMANDS = (
    ("start", N_("Beginnen of opnieuw beginnen")),
    ("language", N_("Een andere taal kiezen")),
    ("help", N_("Wat kan deze chat?")),
    ("stop", N_("Stoppen met de vragen")),
)
CALLBACK_DATA_MAX = 64
SHORT_DESCRIPTION = N_("Hulp op weg naar werk of een opleiding, in je eigen taal.")
DESCRIPTION = N_("Ik ben de chat-assistent van je begeleider. Stel je vraag in je eigen taal. "
                 "Je kunt altijd vragen om met een persoon te praten.")


def to_incoming(update: Update) -> Incoming | None:
    """The engine's view of a client's update; None for what is not a client talking to us."""
    chat = update.effective_chat
    user = update.effective_user
    if chat is None or chat.type != ChatType.PRIVATE:
        return None
    key = ClientKey(ChannelName.TELEGRAM, str(chat.id))
    hint = (user.language_code or "") if user else ""
    if update.callback_query is not None:
        return Incoming.button(key, update.callback_query.data or "", locale_hint=hint,
                               received_at=datetime.now(UTC))
    message = update.message or update.edited_message
    if message is None:
        return None
    common: dict[str, object] = {"locale_hint": hint, "received_at": message.date,
                                 "channel_message_id": str(message.message_id)}
    if message.text is not None:
        return Incoming.typed(key, message.text, **common)
    caption = message.caption or ""
    for attr, kind in (("voice", InputKind.VOICE), ("audio", InputKind.AUDIO),
                       ("photo", InputKind.PHOTO), ("document", InputKind.DOCUMENT),
                       ("sticker", InputKind.STICKER), ("video", InputKind.VIDEO),
                       ("video_note", InputKind.VIDEO), ("animation", InputKind.VIDEO),
                       ("location", InputKind.LOCATION), ("contact", InputKind.CONTACT)):
        if getattr(message, attr, None):
            return Incoming(key, kind, text=caption, **common)  # type: ignore[arg-type]
    return Incoming(key, InputKind.OTHER, text=caption, **common)  # type: ignore[arg-type]


def keyboard(message: Outgoing) -> InlineKeyboardMarkup | None:
    if not message.buttons:
        return None
    return InlineKeyboardMarkup([
        [InlineKeyboardButton(b.label, callback_data=b.payload[:CALLBACK_DATA_MAX]) for b in row]
        for row in message.buttons
    ])


def split_text(text: str, limit: int = MessageLimit.MAX_TEXT_LENGTH) -> list[str]:
    """Telegram takes 4096 characters a message: cut at line ends where possible."""
    parts: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        cut = cut if cut > limit // 2 else limit
        parts.append(text[:cut])
        text = text[cut:].lstrip("\n")
    parts.append(text)
    return parts


class TelegramChannel:
    """Sends engine messages to Telegram chats, retrying what can be retried.

    Every message waits for its slot under Telegram's limits (`pace`, shared between processes
    on PostgreSQL). `scheduled()` gives the variant for bulk sends: no bursts into one chat,
    and fewer retries, so a dispatcher's lease is never outlived.
    """

    def __init__(self, application: Application, store: UnitOfWorkFactory,
                 speech: Speech | None = None, pace: TelegramPace | None = None,
                 bulk: bool = False) -> None:
        self.application = application
        self.store = store
        self.speech = speech
        self.pace = pace
        self.bulk = bulk
        self.attempts = 2 if bulk else SEND_ATTEMPTS

    def scheduled(self) -> TelegramChannel:
        return TelegramChannel(self.application, self.store, self.speech, self.pace, bulk=True)

    async def send(self, to: ClientKey, message: Outgoing) -> bool:
        if message.voice:
            return await self._send_voice(to, message)
        parts = split_text(message.text)
        delivered = True
        for i, part in enumerate(parts):
            markup = keyboard(message) if i == len(parts) - 1 else None
            delivered = await self._send_text(int(to.external_id), part, markup, to)
            if not delivered:
                return False
        if message.calendar is not None:
            await self._send_calendar(to, message.calendar)  # a missing file is no failure
        return delivered

    async def _send_calendar(self, to: ClientKey, event: CalendarEvent) -> bool:
        content = ics_bytes(event)
        bot = self.application.bot
        return await self._call(lambda: bot.send_document(
            int(to.external_id), document=content, filename="afspraak.ics"), to,
            int(to.external_id))

    async def _send_voice(self, to: ClientKey, message: Outgoing) -> bool:
        audio = None
        if self.speech is not None:
            audio = await asyncio.to_thread(self.speech.synthesize, message.voice,
                                            message.language)
        if audio is None:  # no voice after all: the words are better than nothing
            return await self.send(to, Outgoing(message.voice, message.buttons,
                                                message.language, message.rtl))
        bot = self.application.bot
        return await self._call(lambda: bot.send_voice(int(to.external_id), voice=audio,
                                                       filename="werkmaat.ogg"), to,
                                int(to.external_id))

    async def _send_text(self, chat_id: int, text: str, markup: InlineKeyboardMarkup | None,
                         to: ClientKey | None = None, thread_id: int | None = None) -> bool:
        bot = self.application.bot
        return await self._call(lambda: bot.send_message(chat_id, text, reply_markup=markup,
                                                         message_thread_id=thread_id), to,
                                chat_id)

    async def _call(self, request: Callable[[], Awaitable[object]],
                    to: ClientKey | None = None, chat_id: int | None = None) -> bool:
        """One Bot API call in its slot, retried on 429 and time-outs; a blocked bot marks the
        client."""
        for attempt in range(1, self.attempts + 1):
            try:
                if self.pace is not None and chat_id is not None:
                    await self.pace.wait(chat_id, self.bulk)
                await request()
                return True
            except RetryAfter as exc:
                wait = exc.retry_after
                seconds = wait.total_seconds() if hasattr(wait, "total_seconds") else float(wait)
                log.warning("Telegram asked to wait %.1f s (429)", seconds)
                if self.pace is not None:
                    await self.pace.pause(seconds)
                if self.bulk and seconds > BULK_MAX_PAUSE:
                    return False  # the dispatcher tries again later, within its lease
                await asyncio.sleep(seconds)
            except Forbidden:
                log.warning("a Telegram client blocked the bot; marked unreachable")
                if to is not None:
                    await asyncio.to_thread(self._mark_unreachable, to)
                return False
            except BadRequest:
                log.exception("Telegram refused a message")
                return False
            except (TimedOut, NetworkError):
                log.warning("Telegram did not answer (attempt %d of %d)", attempt, self.attempts)
                await asyncio.sleep(min(2 ** attempt * 0.25, 8))
        log.error("gave up sending a Telegram message after %d attempts", self.attempts)
        return False

    def _mark_unreachable(self, to: ClientKey) -> None:
        """A client who blocked the bot: no more messages, and a counselor should call."""
        with self.store() as uow:
            client = uow.clients.by_identity(to.channel.value, to.external_id)
            if client is None or not client.reachable:
                return
            client.reachable = False
            uow.clients.save(client)
            if client.consent == ConsentState.GRANTED:
                staff = Translator("nl")
                case = uow.cases.current_for(client.id)
                uow.tasks.add(TaskRecord(
                    kind=TaskKind.CLIENT_UNREACHABLE, created_at=datetime.now(UTC),
                    summary=staff.format(staff.gettext(N_(
                        "{name} heeft de bot op Telegram geblokkeerd en krijgt geen berichten "
                        "meer. Bel of schrijf: {contact}.")), name=client.first_name or "?",
                        contact=client.contact if client.contact not in ("", "chat") else "—"),
                    client_id=client.id, case_id=case.id if case else None))
            uow.commit()


def build_application(settings: Settings, polling: bool = True) -> Application:
    assert settings.telegram_token is not None
    builder = ApplicationBuilder().token(settings.telegram_token.get_secret_value())
    if settings.telegram_base_url:
        base = settings.telegram_base_url
        builder = builder.base_url(base).base_file_url(base.replace("/bot", "/file/bot", 1))
    if settings.webhook_url or not polling:
        builder = builder.updater(None)
    return builder.concurrent_updates(True).build()


async def set_commands(application: Application) -> None:
    """The command menu and the bot's descriptions in every language, Dutch as the default."""
    bot = application.bot
    scope = BotCommandScopeAllPrivateChats()
    for lang in LANGUAGES:
        tr = Translator(lang.code)
        commands = [BotCommand(name, tr.gettext(desc)) for name, desc in COMMANDS]
        codes = [lang.code, None] if lang.code == "nl" else [lang.code]
        for code in codes:
            await bot.set_my_commands(commands, scope=scope, language_code=code)
            await bot.set_my_description(tr.gettext(DESCRIPTION), language_code=code)
            await bot.set_my_short_description(tr.gettext(SHORT_DESCRIPTION),
                                               language_code=code)


def install_handlers(application: Application, engine: Engine, channel: TelegramChannel,
                     desk: TelegramCounselorDesk | None) -> None:
    async def on_update(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat = update.effective_chat
        if desk is not None and chat is not None and chat.id == desk.chat_id:
            await desk.on_update(update)
            return
        incoming = to_incoming(update)
        if update.callback_query is not None:
            asyncio.get_running_loop().create_task(_answer_callback(update))
        if incoming is None:
            return
        await engine.receive(incoming, channel, desk)

    async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("error while handling a Telegram update: %s", context.error)

    application.add_handler(TypeHandler(Update, on_update))
    application.add_error_handler(on_error)


async def _answer_callback(update: Update) -> None:
    try:
        assert update.callback_query is not None
        await update.callback_query.answer()
    except Exception:  # a late or duplicate answer is harmless
        log.debug("callback query answer failed", exc_info=True)
