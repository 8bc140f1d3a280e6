"""The Telegram adapter: updates in, engine messages out, and Telegram's failures absorbed.

Thin by design: it turns python-telegram-bot updates into `Incoming` messages, sends `Outgoing`
messages with inline keyboards, and handles what Telegram can answer (429, a blocked bot,
time-outs) so the engine never sees an SDK type. `UpdatePoller` fetches the updates and confirms
each to Telegram only once it has been handled, so a crash loses no client message.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from telegram import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.constants import ChatType, MessageLimit
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import Application, ApplicationBuilder, ContextTypes, TypeHandler

from bot.calendar_file import ics_bytes
from bot.send_limits import TelegramPace
from bot.settings import Settings
from bot.speech import Speech
from dialogues import ChannelName, ClientKey, Engine, Incoming, InputKind, Outgoing
from dialogues.i18n import N_, Translator
from dialogues.languages import LANGUAGES
from dialogues.messages import CalendarEvent
from dialogues.ordering import KeyedLocks
from storage.records import ConsentState, TaskKind, TaskRecord
from storage.repositories import UnitOfWorkFactory

if TYPE_CHECKING:
    from bot.telegram_desk import TelegramCounselorDesk

log = logging.getLogger(__name__)

SEND_ATTEMPTS = 5
POLL_TIMEOUT = 10  # seconds a getUpdates long poll waits when nothing is being handled
BUSY_POLL = 0.2  # while updates are being handled, look for new ones this often
STOP_WAIT = 10.0  # on a clean stop, updates being handled get this long to finish
# Updates handled at once. Telegram confirms in order, so the oldest must finish first: a
# backlog (after a restart) handled all at once would make every one of them wait for the
# database, and none would be confirmed before the next crash.
HANDLED_AT_ONCE = 16
SEND_CONNECTIONS = 32  # to the Bot API at once (see build_application)
BULK_MAX_PAUSE = 10.0  # a scheduled message never waits longer inside one lease
COMMANDS = (
    ("start", N_("Beginnen of opnieuw beginnen")),
    ("language", N_("Een andere taal kiezen")),
    ("help", N_("Wat kan deze chat?")),
    ("stop", N_("Stoppen met de vragen")),
    ("mydata", N_("Zien wat we over jou bewaren")),
    ("delete", N_("Je gegevens wissen")),
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
                               received_at=datetime.now(UTC), delivery=update.update_id)
    message = update.message or update.edited_message
    if message is None:
        return None
    common: dict[str, object] = {"locale_hint": hint, "received_at": message.date,
                                 "channel_message_id": str(message.message_id),
                                 "delivery": update.update_id}
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
                 bulk: bool = False, failed: Callable[[str], None] | None = None) -> None:
        self.application = application
        self.store = store
        self.speech = speech
        self.pace = pace
        self.bulk = bulk
        self.attempts = 2 if bulk else SEND_ATTEMPTS
        # told the kind of every failed call (429, time-out, network, blocked, refused, given
        # up): the metrics count them
        self.failed = failed or (lambda kind: None)

    def scheduled(self) -> TelegramChannel:
        return TelegramChannel(self.application, self.store, self.speech, self.pace, bulk=True,
                               failed=self.failed)

    async def send(self, to: ClientKey, message: Outgoing) -> bool:
        if message.voice:
            return await self._send_voice(to, message)
        parts = split_text(message.text)
        delivered = True
        # What follows the first part (more text, the calendar file, an export) belongs to the
        # same message and goes at once, within the live burst also when sending in bulk: a
        # scheduled message is marked sent only after its last part, so a second's wait
        # between its parts would be a second in which a crash sends the first part twice.
        for i, part in enumerate(parts):
            markup = keyboard(message) if i == len(parts) - 1 else None
            delivered = await self._send_text(int(to.external_id), part, markup, to,
                                              follows=i > 0)
            if not delivered:
                return False
        if message.calendar is not None:
            await self._send_calendar(to, message.calendar)  # a missing file is no failure
        if message.attachment is not None:
            attachment = message.attachment
            bot = self.application.bot
            delivered = await self._call(lambda: bot.send_document(
                int(to.external_id), document=attachment.content,
                filename=attachment.filename), to, int(to.external_id), follows=True)
        return delivered

    async def _send_calendar(self, to: ClientKey, event: CalendarEvent) -> bool:
        content = ics_bytes(event)
        bot = self.application.bot
        return await self._call(lambda: bot.send_document(
            int(to.external_id), document=content, filename="afspraak.ics"), to,
            int(to.external_id), follows=True)

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
                         to: ClientKey | None = None, thread_id: int | None = None,
                         follows: bool = False) -> bool:
        bot = self.application.bot
        return await self._call(lambda: bot.send_message(chat_id, text, reply_markup=markup,
                                                         message_thread_id=thread_id), to,
                                chat_id, follows)

    async def _call(self, request: Callable[[], Awaitable[object]],
                    to: ClientKey | None = None, chat_id: int | None = None,
                    follows: bool = False) -> bool:
        """One Bot API call in its slot, retried on 429, time-outs and 5xx answers; a blocked
        bot marks the client. `follows`: the rest of a message whose first part just went."""
        for attempt in range(1, self.attempts + 1):
            try:
                if self.pace is not None and chat_id is not None:
                    await self.pace.wait(chat_id, self.bulk and not follows)
                await request()
                return True
            except RetryAfter as exc:
                self.failed("429")
                seconds = _seconds(exc.retry_after)
                log.warning("Telegram asked to wait %.1f s (429)", seconds)
                if self.pace is not None:
                    await self.pace.pause(seconds)
                if self.bulk and seconds > BULK_MAX_PAUSE:
                    return False  # the dispatcher tries again later, within its lease
                await asyncio.sleep(seconds)
            except Forbidden:
                self.failed("blocked")
                log.warning("a Telegram client blocked the bot; marked unreachable")
                if to is not None:
                    await asyncio.to_thread(self._mark_unreachable, to)
                return False
            except BadRequest:
                self.failed("refused")
                log.exception("Telegram refused a message")
                return False
            except (TimedOut, NetworkError) as exc:
                self.failed("timeout" if isinstance(exc, TimedOut) else "network")
                log.warning("Telegram did not answer (attempt %d of %d)", attempt, self.attempts)
                await asyncio.sleep(min(2 ** attempt * 0.25, 8))
        self.failed("given_up")
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


def build_application(settings: Settings) -> Application:
    """The bot without python-telegram-bot's Updater: `UpdatePoller` polls (or the webhook
    brings the updates)."""
    assert settings.telegram_token is not None
    builder = ApplicationBuilder().token(settings.telegram_token.get_secret_value())
    if settings.telegram_base_url:
        base = settings.telegram_base_url
        builder = builder.base_url(base).base_file_url(base.replace("/bot", "/file/bot", 1))
    # httpcore looks at every pooled connection for each request (a system call each): with
    # python-telegram-bot's 256, a busy bot spent its time there and answers took seconds. A
    # few dozen connections carry what Telegram allows; a request waits for a free one.
    builder = builder.connection_pool_size(SEND_CONNECTIONS).pool_timeout(30.0)
    return builder.updater(None).concurrent_updates(True).build()


class UpdatePoller:
    """getUpdates long polling that confirms an update only once it has been handled.

    python-telegram-bot's Updater confirms a batch with its next getUpdates, before the updates
    are handled: a crash (SIGKILL, out of memory, a lost machine) then loses every client
    message still queued or in its turn, and the replies not yet sent. Here the offset moves
    past an update only when its handling ended (the turn committed, its replies sent), so
    after a crash Telegram hands out again whatever was not finished: at least once, never
    lost. Handling must therefore be idempotent per update; the engine knows a message
    delivered again by its number (`Incoming.delivery`, the update_id), changes nothing twice
    and sends again only what of its reply may not have gone out.

    Updates are handled concurrently, the oldest first (`HANDLED_AT_ONCE`), and one chat's in
    order (`install_handlers`). The offset moves on as soon as the oldest is done; while an
    update is being handled, new ones are fetched every `BUSY_POLL` seconds.
    """

    def __init__(self, application: Application, allowed_updates: list[str],
                 poll_timeout: float = POLL_TIMEOUT) -> None:
        self.application = application
        self.allowed_updates = allowed_updates
        self.poll_timeout = poll_timeout
        self._handling: dict[int, asyncio.Task[None]] = {}
        self._highest = -1  # the newest update taken
        self._finished = asyncio.Event()
        self._slots = asyncio.Semaphore(HANDLED_AT_ONCE)
        self._task: asyncio.Task[None] | None = None

    @property
    def offset(self) -> int:
        """getUpdates' offset: the oldest update still being handled; older ones are done,
        and asking with this offset confirms them."""
        return min(self._handling) if self._handling else self._highest + 1

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="UpdatePoller")

    async def stop(self) -> None:
        """Stop polling, let the updates being handled finish, and confirm them."""
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
        if self._handling:
            await asyncio.wait(list(self._handling.values()), timeout=STOP_WAIT)
        try:
            await self.application.bot.get_updates(offset=self.offset, timeout=0,
                                                   allowed_updates=self.allowed_updates)
        except Exception:  # Telegram hands them out again: handled twice, never lost
            log.warning("could not confirm the last Telegram updates before stopping")

    async def _run(self) -> None:
        failures = 0
        while True:
            self._finished.clear()
            try:
                updates = await self.application.bot.get_updates(
                    offset=self.offset, timeout=0 if self._handling else self.poll_timeout,
                    allowed_updates=self.allowed_updates)
            except InvalidToken:
                log.error("Telegram refused the bot token; no more polling")
                return
            except RetryAfter as exc:
                await asyncio.sleep(_seconds(exc.retry_after))
                continue
            except (Conflict, NetworkError) as exc:  # time-outs and 5xx included
                failures += 1
                log.warning("getUpdates failed (%s); trying again", exc)
                await asyncio.sleep(min(0.25 * 2 ** failures, 8))
                continue
            failures = 0
            for update in updates:
                if update.update_id <= self._highest:
                    continue  # being handled, or handled and waiting for an older one
                self._highest = update.update_id
                self._handling[update.update_id] = asyncio.get_running_loop().create_task(
                    self._handle(update), name=f"update {update.update_id}")
            if self._handling:  # poll again once one is done, to confirm it at once
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._finished.wait(), BUSY_POLL)

    async def _handle(self, update: Update) -> None:
        try:
            async with self._slots:  # first come, first served: the oldest is confirmed first
                await self.application.process_update(update)
        except Exception:  # process_update passes handler errors to the error handler
            log.exception("a Telegram update could not be handled")
        finally:
            del self._handling[update.update_id]
            self._finished.set()


def _seconds(wait: float | timedelta) -> float:
    return wait.total_seconds() if isinstance(wait, timedelta) else float(wait)


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
    # One update of a chat at a time, its replies included: the engine orders the turns of a
    # client, but a reply still being retried (a time-out, a 429) must not be overtaken by the
    # replies to the client's next message. The messages wait here, so the engine's flood rule
    # (more waiting than anyone could type: not answered) is applied here too.
    chats = KeyedLocks()

    async def on_update(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat = update.effective_chat
        if desk is not None and chat is not None and chat.id == desk.chat_id:
            # a topic's messages in order too: a counselor's two quick lines reach the client
            # as typed, and the topic's last handled update only ever rises
            message = update.effective_message
            async with chats.hold(f"desk:{message.message_thread_id if message else 0}"):
                await desk.on_update(update)
            return
        incoming = to_incoming(update)
        if update.callback_query is not None:
            asyncio.get_running_loop().create_task(_answer_callback(update))
        if incoming is None:
            return
        key = str(incoming.client)
        if engine.flood.too_many(chats.waiting(key)):
            return
        async with chats.hold(key):
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
