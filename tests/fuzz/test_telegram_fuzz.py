"""Generated Telegram updates through the real handler path, offline.

The application is python-telegram-bot's own, with Werkmaat's handlers (`install_handlers`),
the real engine, the Telegram channel and the counselors' forum desk; only the Bot API is fake,
at the transport (fake_bot_api.py), and refuses what Telegram refuses.

Each example walks one client somewhere (new, registered, waiting for a person, with a
counselor who claimed the conversation), then feeds 1 to 10 updates: any update from
private chats, the counselors' forum, another group or a channel; presses of the buttons the
bot showed (and forged ones); a counselor's presses and messages in the client's topic; and
the same update twice (Telegram resends when a webhook answer is late).

For every update:
* no exception reaches python-telegram-bot's error handler, and nothing is logged at ERROR;
* Telegram refused nothing the bot sent (texts, lengths, buttons, callback data, topics);
* every button press is answered (the client's spinner stops);
* a client's message, edit or button press in a private chat gets a message back, unless a
  counselor holds the conversation: then it is relayed into the counselors' forum instead
  (deliberate silence towards the client), except /mydata, /delete and their buttons, which
  the bot answers at any time;
* updates from other groups, channels and update kinds the bot does not handle get deliberate
  silence: no call to Telegram other than answering a button press.

A resent update (an update_id already handled for that chat: Telegram delivering again what a
crash kept it from hearing was handled) changes nothing and gets no second answer: silence is
the right answer to it. Every other update carries a new, higher update_id, as Telegram's do.
"""

from __future__ import annotations

import asyncio
import copy
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest
from hypothesis import event, given
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context
from telegram import Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes

from bot.telegram_channel import TelegramChannel, install_handlers, to_incoming
from bot.telegram_desk import GroupPace, TelegramCounselorDesk
from dialogues import ChannelName, ClientKey, DialogueSettings, Engine
from dialogues.appointment_commands import AppointmentCommands
from dialogues.appointments import AppointmentBook
from dialogues.counselor_desk import CounselorDesk
from dialogues.i18n import Translator
from dialogues.nazorg import Aftercare
from dialogues.nazorg_commands import AftercareCommands
from storage.memory import MemoryStore
from storage.repositories import UnitOfWorkFactory
from storage.sql import Database
from tests.fuzz.fake_bot_api import TEXT_LIMIT, FakeBotAPI
from tests.fuzz.harness import (
    FLOOD_BURST,
    MONDAY_MORNING,
    ensure_counselor,
    held_by_a_counselor,
    known_payload_bug,
    privacy_request,
    swallowed_errors,
)
from tests.fuzz.strategies import (
    COUNSELOR_CHAT,
    COUNSELOR_USER,
    PRIVATE_CHATS,
    HashedNLU,
    callback_query,
    client_text,
    fuzz_settings,
    message,
    payloads,
    tampered,
    telegram_update,
)
from tests.transcript import FixedClock

TOKEN = "123456:offline-fuzz"
WALK = ("/start", "lang:nl", "consent:yes", "area:Kortrijk", "nat:yes", "seek:yes", "Amina",
        "0470 12 34 56", "help:work")


@dataclass
class Bot:
    """Werkmaat's Telegram side, wired as bot/runtime.py wires it, on a fake Bot API."""

    application: Application[Any, Any, Any, Any, Any, Any]
    api: FakeBotAPI
    store: UnitOfWorkFactory
    failures: list[BaseException] = field(default_factory=list)
    update_ids: int = 0
    handled: dict[int, int] = field(default_factory=dict)  # chat → highest update_id fed

    def next_id(self) -> int:
        self.update_ids += 1
        return self.update_ids


async def start_bot(store: UnitOfWorkFactory, now: datetime) -> Bot:
    api = FakeBotAPI()
    application = (ApplicationBuilder().token(TOKEN).request(api).get_updates_request(api)
                   .updater(None).concurrent_updates(True).build())
    settings = DialogueSettings(flood_burst=FLOOD_BURST)
    clock = FixedClock(now)
    engine = Engine(store, HashedNLU(), settings, clock)
    channel = TelegramChannel(application, store)
    desk = TelegramCounselorDesk(
        channel, CounselorDesk(store, settings, clock), store, COUNSELOR_CHAT,
        Translator("nl"), appointments=AppointmentCommands(AppointmentBook(store, settings,
                                                                           clock), clock),
        aftercare=AftercareCommands(Aftercare(store, settings, clock), clock))
    desk.pace = GroupPace(per_minute=10**6)  # the real limit would make examples wait a minute
    install_handlers(application, engine, channel, desk)
    bot = Bot(application, api, store)

    async def keep(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        if context.error is not None:
            bot.failures.append(context.error)

    application.add_error_handler(keep)
    await application.initialize()
    return bot


def client_key(chat_id: int) -> ClientKey:
    return ClientKey(ChannelName.TELEGRAM, str(chat_id))


RELAY_ROOM = 100  # "👤 <first name>: " goes before a relayed text


def known_update_bug(update: Update, held: bool) -> str | None:
    """A known, unfixed bug this update would hit (see harness.known_payload_bug), or None."""
    query = update.callback_query
    if query is not None and query.data:
        return known_payload_bug(query.data, "memory")
    return None


async def feed(bot: Bot, raw: dict[str, Any], skip_known_bugs: bool = True) -> None:
    """One update through the handlers; then the properties every update must keep."""
    since = len(bot.api.calls)
    update = Update.de_json(copy.deepcopy(raw), bot.application.bot)
    chat = update.effective_chat
    private = chat is not None and chat.type == "private"
    again = chat is not None and update.update_id <= bot.handled.get(chat.id, -1)
    if chat is not None:
        bot.handled[chat.id] = max(update.update_id, bot.handled.get(chat.id, -1))
    held = private and chat is not None and held_by_a_counselor(bot.store, client_key(chat.id))
    bug = known_update_bug(update, held) if skip_known_bugs else None
    if bug is not None:
        if currently_in_test_context():
            event(f"skipped, known bug: {bug}")
        return
    await bot.application.process_update(update)
    pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    if pending:
        await asyncio.wait(pending, timeout=10)
    if bot.failures:
        raise bot.failures.pop()
    assert not bot.api.refused, "Telegram refused: " + "; ".join(
        f"{call.method} to {call.chat_id}: {problem}" for call, problem in bot.api.refused)
    query = update.callback_query
    if query is not None and query.data:
        assert query.id in bot.api.answered_callbacks(since), "a button press left unanswered"
    reaches_engine = private and (update.message or update.edited_message or query)
    if reaches_engine and again:  # delivered again: handled before, so not answered twice
        assert chat is not None
        assert not bot.api.to_chat(chat.id, since), f"{raw} was answered a second time"
        return
    if reaches_engine:
        assert chat is not None
        to_client = bot.api.to_chat(chat.id, since)
        incoming = to_incoming(update)
        if held and not (incoming is not None and privacy_request(incoming)):
            relayed = bot.api.to_chat(COUNSELOR_CHAT, since)
            assert relayed, "a counselor holds the conversation, but nothing reached them"
        else:
            assert to_client, f"no answer to {raw}"
    elif chat is None or chat.id != COUNSELOR_CHAT:
        others = [c for c in bot.api.calls[since:] if c.method != "answerCallbackQuery"]
        assert not others, f"the bot spoke after an update it should ignore: {others}"


def text_update(bot: Bot, chat_id: int, text: str) -> dict[str, Any]:
    return {"update_id": bot.next_id(), "message": {
        "message_id": bot.next_id(), "date": 1795435200, "text": text,
        "chat": {"id": chat_id, "type": "private"},
        "from": {"id": chat_id, "is_bot": False, "first_name": "Amina", "language_code": "nl"}}}


def press_update(bot: Bot, chat_id: int, data: str, user: int | None = None) -> dict[str, Any]:
    chat = ({"id": chat_id, "type": "private"} if chat_id > 0 else
            {"id": chat_id, "type": "supergroup", "title": "Begeleiders", "is_forum": True})
    return {"update_id": bot.next_id(), "callback_query": {
        "id": str(bot.next_id()), "chat_instance": "-42", "data": data,
        "from": {"id": user or chat_id, "is_bot": False, "first_name": "Amina"},
        "message": {"message_id": 1, "date": 1795435200, "chat": chat, "text": "Kies"}}}


async def walk(bot: Bot, scenario: str) -> None:
    """The first client to where the scenario starts, through the same handler path."""
    chat_id = PRIVATE_CHATS[0]
    if scenario == "new":
        return
    for step in WALK:
        raw = (text_update(bot, chat_id, step) if ":" not in step
               else press_update(bot, chat_id, step))
        await feed(bot, raw)
    if scenario == "registered":
        return
    await feed(bot, press_update(bot, chat_id, "menu:human"))
    if scenario == "claimed":
        claim = [d for d in bot.api.buttons_in(COUNSELOR_CHAT) if d.startswith("desk:claim:")]
        assert claim, "the escalation was not announced with a claim button"
        await feed(bot, press_update(bot, COUNSELOR_CHAT, claim[0], COUNSELOR_USER))
        assert held_by_a_counselor(bot.store, client_key(chat_id))


@st.composite
def next_update(draw: st.DrawFn, bot: Bot, previous: dict[str, Any] | None) -> dict[str, Any]:
    action = draw(st.sampled_from(("any", "any", "any", "press", "press", "forge", "type",
                                   "desk_press", "topic", "repeat")), label="action")
    walked = PRIVATE_CHATS[0]  # the client the scenario walked somewhere: mostly them
    chat_id = draw(st.sampled_from((walked, walked, walked, *PRIVATE_CHATS[1:])), label="chat")
    if action == "repeat" and previous is not None:
        return previous  # the same update_id again: a resent webhook call
    shown = bot.api.buttons_in(chat_id)
    if action == "press" and shown:
        return press_update(bot, chat_id, draw(st.sampled_from(shown), label="press"))
    if action == "forge":
        forged = (st.sampled_from(shown).flatmap(tampered) if shown else payloads(64))
        return {"update_id": bot.next_id(),
                "callback_query": draw(callback_query(chat_id, draw(forged, label="forged")))}
    if action == "type":
        return text_update(bot, chat_id, draw(client_text(4096), label="text"))
    desk_buttons = bot.api.buttons_in(COUNSELOR_CHAT)
    if action == "desk_press" and desk_buttons:
        data = draw(st.one_of(st.sampled_from(desk_buttons),
                              st.sampled_from(desk_buttons).flatmap(tampered)), label="desk")
        return {"update_id": bot.next_id(),
                "callback_query": draw(callback_query(COUNSELOR_CHAT, data))}
    topics = sorted(bot.api.topics.get(COUNSELOR_CHAT, set()))
    if action == "topic" and topics:
        thread = draw(st.sampled_from(topics), label="topic")
        return {"update_id": bot.next_id(),
                "message": draw(message(COUNSELOR_CHAT, thread=thread))}
    return draw(telegram_update(bot.next_id()))


async def session(data: st.DataObject) -> None:
    store = MemoryStore()
    ensure_counselor(store)
    bot = await start_bot(store, MONDAY_MORNING)
    try:
        await walk(bot, data.draw(st.sampled_from(("new", "registered", "waiting", "claimed")),
                                  label="scenario"))
        previous = None
        for _ in range(data.draw(st.integers(1, 10), label="updates")):
            raw = data.draw(next_update(bot, previous), label="update")
            await feed(bot, raw)
            previous = raw
    finally:
        await bot.application.shutdown()


@fuzz_settings(50)
@given(data=st.data())
def test_any_telegram_updates(data: st.DataObject) -> None:
    with swallowed_errors() as errors:
        asyncio.run(session(data))
        errors.check()


# ---- the bugs found, each as its smallest case ------------------------------------------------

async def held_conversation(store: UnitOfWorkFactory) -> Bot:
    ensure_counselor(store)
    bot = await start_bot(store, MONDAY_MORNING)
    await walk(bot, "claimed")
    return bot


def test_a_long_message_while_held_reaches_the_counselor() -> None:
    """A client may write 4096 characters; relayed as "👤 Amina: " + text into the topic it is
    longer than Telegram takes, and the desk drops it with a warning (telegram_desk.py, relay:
    `_post_in_topic` sends one message, not `split_text` parts)."""
    async def run() -> None:
        bot = await held_conversation(MemoryStore())
        try:
            await feed(bot, text_update(bot, PRIVATE_CHATS[0], "x" * TEXT_LIMIT),
                       skip_known_bugs=False)
        finally:
            await bot.application.shutdown()

    with swallowed_errors() as errors:
        asyncio.run(run())
        errors.check()


@pytest.mark.parametrize("data", ["desk:appt:accept:²:1", "desk:appt:noshow:1:⑦"])
def test_a_desk_appointment_button_with_odd_digits(data: str) -> None:
    """The same `isdigit()`/`int()` mismatch in the counselors' group
    (telegram_desk.py, `_appointment_button`), before anyone is even checked."""
    async def run() -> None:
        bot = await held_conversation(MemoryStore())
        try:
            await feed(bot, press_update(bot, COUNSELOR_CHAT, data, COUNSELOR_USER),
                       skip_known_bugs=False)
        finally:
            await bot.application.shutdown()

    with swallowed_errors() as errors:
        asyncio.run(run())
        errors.check()


@pytest.mark.parametrize("data", [f"desk:claim:{2**63}", f"desk:back:{2**63}"])
def test_a_desk_button_with_an_id_beyond_64_bits_on_sqlite(tmp_path: Any, data: str) -> None:
    """`_int` reads any number; SQLite cannot look up an id over 2**63 - 1 (OverflowError in
    CounselorDesk.claim / hand_back)."""
    database = Database(f"sqlite:///{tmp_path / 'desk.db'}")
    database.upgrade()

    async def run() -> None:
        bot = await held_conversation(database)
        try:
            await feed(bot, press_update(bot, COUNSELOR_CHAT, data, COUNSELOR_USER),
                       skip_known_bugs=False)
        finally:
            await bot.application.shutdown()

    try:
        with swallowed_errors() as errors:
            asyncio.run(run())
            errors.check()
    finally:
        database.dispose()
