"""Tests for the fake Telegram Bot API server, driven by the real PTB 22 client.

The fake is only useful if PTB cannot tell it from Telegram, so every behaviour is checked
through ``telegram.Bot``/``telegram.ext.Application`` rather than by calling handlers directly.
"""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import telegram
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from telegram import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, NetworkError, RetryAfter
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.fake_telegram import FakeTelegramServer, FaultConfig, RateLimits, SentMessage

TOKEN = "123456:TEST-token_abc"
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _port_is_closed(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) != 0


@pytest.fixture
def server() -> Iterator[FakeTelegramServer]:
    """A running server; afterwards checks that its thread and port are gone."""
    before = set(threading.enumerate())
    srv = FakeTelegramServer(token=TOKEN)
    with srv:
        port = srv.port
        yield srv
    leaked = [t.name for t in threading.enumerate() if t not in before and t.is_alive()]
    assert not leaked, f"threads left behind: {leaked}"
    assert _port_is_closed(port), f"port {port} still accepts connections"


def make_bot(server: FakeTelegramServer, token: str = TOKEN) -> telegram.Bot:
    return telegram.Bot(token, base_url=server.base_url, base_file_url=server.base_file_url)


@contextmanager
def webhook_receiver(fail_first: int = 0, busy: float = 0.0,
                     overlaps: list[int] | None = None,
                     ) -> Iterator[tuple[str, list[tuple[dict, str | None]]]]:
    """A tiny Starlette app in its own uvicorn thread that records webhook POSTs.

    Answers 500 to the first ``fail_first`` requests so retries can be observed; takes
    ``busy`` seconds per request, noting in ``overlaps`` how many were in flight at once."""
    received: list[tuple[dict, str | None]] = []
    failures = {"left": fail_first}
    in_flight: list[int] = []

    async def hook(request: Request) -> Response:
        if failures["left"] > 0:
            failures["left"] -= 1
            return Response(status_code=500)
        if busy:
            in_flight.append(1)
            if overlaps is not None:
                overlaps.append(len(in_flight))
            await asyncio.sleep(busy)
            in_flight.pop()
        received.append(
            (
                json.loads(await request.body()),
                request.headers.get("X-Telegram-Bot-Api-Secret-Token"),
            )
        )
        return Response(status_code=200)

    app = Starlette(routes=[Route("/hook", hook, methods=["POST"])])
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    uv = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off", ws="none"))
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not uv.started:
        time.sleep(0.005)
    try:
        yield f"http://127.0.0.1:{port}/hook", received
    finally:
        uv.should_exit = True
        thread.join(timeout=5)
        sock.close()
        assert not thread.is_alive()


# --------------------------------------------------------------------------- basics


@pytest.mark.asyncio
async def test_get_me_and_token_check(server: FakeTelegramServer) -> None:
    async with make_bot(server) as bot:
        assert bot.bot.id == 123456
        assert bot.bot.is_bot and bot.bot.username == "werkmaat_test_bot"
        assert await bot.log_out() is True
        assert await bot.close() is True
    with pytest.raises(InvalidToken, match="rejected"):
        async with make_bot(server, "999:wrong") as _bot:
            pass
    calls = server.calls("getMe")
    assert [c.status for c in calls] == [200, 401]


def test_raw_http_shapes_and_encodings(server: FakeTelegramServer) -> None:
    user = server.create_user("Raw")
    with httpx.Client(base_url=f"{server.url}/bot{TOKEN}") as client:
        # Form-encoded, non-strings JSON-encoded as PTB does it.
        markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
        form = client.post(
            "/sendMessage",
            data={"chat_id": str(user.id), "text": "123", "reply_markup": json.dumps(markup)},
        )
        assert form.status_code == 200
        result = form.json()["result"]
        assert form.json()["ok"] is True
        assert result["text"] == "123"  # a numeric-looking text stays a string
        assert result["chat"]["id"] == user.id and result["from"]["is_bot"] is True
        assert isinstance(result["date"], int) and result["reply_markup"] == markup
        # JSON body, and a GET with a query string, in any letter case.
        as_json = client.post("/sendMessage", json={"chat_id": user.id, "text": "json"})
        assert as_json.json()["result"]["message_id"] == 2
        query = client.get("/SENDMESSAGE", params={"chat_id": user.id, "text": "query"})
        assert query.json()["result"]["message_id"] == 3
        assert client.get("/noSuchMethod").json() == {
            "ok": False,
            "error_code": 404,
            "description": "Not Found",
        }
        missing = client.post("/sendMessage", data={"chat_id": "42", "text": "x"})
        assert missing.status_code == 400
        assert missing.json()["description"] == "Bad Request: chat not found"
    with httpx.Client(base_url=server.url) as client:
        bad = client.post("/botWRONG/getMe")
        assert bad.status_code == 401
        assert bad.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    assert [m.text for m in server.sent_messages(user.id)] == ["123", "json", "query"]
    assert [m.method for m in server.sent_messages()] == ["sendMessage"] * 3


@pytest.mark.asyncio
async def test_send_message_with_inline_keyboard(server: FakeTelegramServer) -> None:
    user = server.create_user("Alice")
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Yes", callback_data="yes"),
                InlineKeyboardButton("No", callback_data="no"),
            ]
        ]
    )
    async with make_bot(server) as bot:
        first = await bot.send_message(user.id, "Question?", reply_markup=keyboard)
        second = await bot.send_message(user.id, "<b>Bold</b> & more", parse_mode="HTML")
    assert first.reply_markup == keyboard
    assert (first.message_id, second.message_id) == (1, 2)
    assert first.from_user.id == 123456 and first.chat.id == user.id
    assert second.text == "Bold & more"
    assert second.entities[0].type == "bold" and second.entities[0].length == 4

    records = server.wait_for_messages(user.id, 2, timeout=1)
    assert all(isinstance(r, SentMessage) for r in records)
    assert records[0].reply_markup == {
        "inline_keyboard": [
            [{"text": "Yes", "callback_data": "yes"}, {"text": "No", "callback_data": "no"}]
        ]
    }
    assert records[0].callback_data() == ["yes", "no"]
    assert records[1].text == "<b>Bold</b> & more" and records[1].plain_text == "Bold & more"
    assert records[0].timestamp <= records[1].timestamp


@pytest.mark.asyncio
async def test_telegram_errors_for_common_mistakes(server: FakeTelegramServer) -> None:
    user = server.create_user("Err")
    async with make_bot(server) as bot:
        unsupported = '(?i)can.t parse entities: unsupported start tag "br"'
        with pytest.raises(BadRequest, match=unsupported):
            await bot.send_message(user.id, "line<br>break", parse_mode="HTML")
        with pytest.raises(BadRequest, match="(?i)can't find end tag"):
            await bot.send_message(user.id, "<b>open", parse_mode="HTML")
        with pytest.raises(BadRequest, match="(?i)message is too long"):
            await bot.send_message(user.id, "x" * 4097)
        message = await bot.send_message(user.id, "same")
        with pytest.raises(BadRequest, match="(?i)message is not modified"):
            await bot.edit_message_text("same", user.id, message.message_id)
        edited = await bot.edit_message_text("changed", user.id, message.message_id)
        assert edited.text == "changed" and edited.edit_date is not None
        assert await bot.delete_message(user.id, message.message_id) is True
        with pytest.raises(BadRequest, match="(?i)message to delete not found"):
            await bot.delete_message(user.id, message.message_id)
        with pytest.raises(BadRequest, match="(?i)button_data_invalid"):
            await bot.send_message(
                user.id,
                "x",
                reply_markup=InlineKeyboardMarkup(
                    [[InlineKeyboardButton("long", callback_data="x" * 65)]]
                ),
            )
    assert [e.text for e in server.edits(user.id)] == ["changed"]
    assert server.message(user.id, message.message_id) is None
    assert server.deleted_message_ids(user.id) == [message.message_id]


# --------------------------------------------------------------------------- polling


@pytest.mark.asyncio
async def test_application_polling_message_then_button(server: FakeTelegramServer) -> None:
    """A user message and a button press reach PTB handlers through getUpdates, in order."""
    seen: list[str] = []

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        seen.append(f"command:{update.message.text}")
        await update.message.reply_text(
            "Pick one",
            reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data="go")]]),
        )

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        seen.append(f"text:{update.message.text}")
        await update.message.reply_text(f"echo {update.message.text}")

    async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        seen.append(f"button:{update.callback_query.data}")
        await update.callback_query.answer("ok")
        await update.callback_query.edit_message_text("Picked")

    app = (
        Application.builder()
        .token(TOKEN)
        .base_url(server.base_url)
        .base_file_url(server.base_file_url)
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.add_handler(CallbackQueryHandler(button))
    user = server.create_user("Bob")

    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            server.send_text(user, "/start")
            server.send_text(user, "hello")
            messages = await server.wait_for_messages_async(user.id, 2, timeout=3)
            assert [m.text for m in messages] == ["Pick one", "echo hello"]
            query = server.press_button(user, messages[0], "go")
            await server.wait_for_calls_async("editMessageText", 1, timeout=3)
            await server.wait_for_updates_consumed_async(timeout=3)
        finally:
            await app.updater.stop()
            await app.stop()

    assert seen == ["command:/start", "text:hello", "button:go"]
    assert server.callback_answer(query)["text"] == "ok"
    assert server.message(user.id, messages[0].message_id)["text"] == "Picked"
    assert "reply_markup" not in server.message(user.id, messages[0].message_id)
    assert [m["message_id"] for m in (u["message"] for u in server.injected_updates()[:2])] == [
        1,
        2,
    ]
    assert [m.message_id for m in messages] == [3, 4]  # ids are per chat, shared with the user


@pytest.mark.asyncio
async def test_get_updates_offset_timeout_allowed_updates_and_conflict(
    server: FakeTelegramServer,
) -> None:
    user = server.create_user("Poll")
    async with make_bot(server) as bot:
        server.send_text(user, "one")
        server.press_button(user, server.send_text(user, "two"), "x", strict=False)
        updates = await bot.get_updates(timeout=0)
        assert [u.message.text if u.message else u.callback_query.data for u in updates] == [
            "one",
            "two",
            "x",
        ]
        # Not confirmed yet: they come again; with an offset they are gone for good.
        assert len(await bot.get_updates()) == 3
        assert await bot.get_updates(offset=updates[1].update_id, timeout=0) == tuple(updates[1:])
        assert await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0) == ()
        assert server.pending_updates() == []

        # allowed_updates filters what is handed out.
        server.press_button(user, server.send_text(user, "three"), "y", strict=False)
        only_queries = await bot.get_updates(allowed_updates=["callback_query"], timeout=0)
        assert [u.callback_query.data for u in only_queries] == ["y"]
        await bot.get_updates(offset=only_queries[-1].update_id + 1, allowed_updates=[])

        # Long polling returns as soon as an update arrives.
        poll = asyncio.create_task(bot.get_updates(timeout=5))
        await asyncio.sleep(0.2)
        assert not poll.done()
        started = time.monotonic()
        server.send_text(user, "wake up")
        woken = await asyncio.wait_for(poll, 2)
        assert [u.message.text for u in woken] == ["wake up"]
        assert time.monotonic() - started < 1

        # A second getUpdates ends the first with 409, like two bot instances would.
        await bot.get_updates(offset=woken[-1].update_id + 1, timeout=0)
        # (A second Bot: PTB's getUpdates connection pool holds one request.)
        first = asyncio.create_task(bot.get_updates(timeout=3))
        await asyncio.sleep(0.2)
        async with make_bot(server) as second_instance:
            second = await second_instance.get_updates(timeout=0)
        with pytest.raises(Conflict, match="terminated by other getUpdates"):
            await asyncio.wait_for(first, 2)
        assert second == ()


# --------------------------------------------------------------------------- files


@pytest.mark.asyncio
async def test_send_document_bytes_and_download(server: FakeTelegramServer) -> None:
    user = server.create_user("Files")
    payload = b"%PDF-1.4 fake appointment letter"
    async with make_bot(server) as bot:
        message = await bot.send_document(
            user.id,
            payload,
            filename="letter.pdf",
            caption="<i>Your</i> letter",
            parse_mode="HTML",
        )
        assert message.document.file_name == "letter.pdf"
        assert message.document.mime_type == "application/pdf"
        assert message.caption == "Your letter"
        downloaded = await (await bot.get_file(message.document.file_id)).download_as_bytearray()
        assert bytes(downloaded) == payload

        voice = await bot.send_voice(user.id, b"OggS-voice-bytes", duration=3)
        assert voice.voice.duration == 3
        photo = await bot.send_photo(user.id, b"\x89PNG fake", caption="pic")
        assert photo.photo[-1].width == 1280
        sticker = await bot.send_sticker(user.id, "CAACAgIAAxkBAAIrealStickerId")
        assert sticker.sticker.file_id == "CAACAgIAAxkBAAIrealStickerId"
        audio = await bot.send_audio(user.id, b"ID3 mp3", filename="song.mp3", title="Song")
        assert audio.audio.title == "Song"
        # Re-sending by file_id reuses the stored file.
        again = await bot.send_document(user.id, message.document.file_id)
        assert again.document.file_id == message.document.file_id

        # Media from the user: getFile + the file URL serve the bytes the test gave.
        incoming = server.send_document(user, b"csv,data\n1,2\n", file_name="cv.csv")
        file = await bot.get_file(incoming["document"]["file_id"])
        assert bytes(await file.download_as_bytearray()) == b"csv,data\n1,2\n"
        user_voice = server.send_voice(user, b"OggS user voice")
        file = await bot.get_file(user_voice["voice"]["file_id"])
        assert bytes(await file.download_as_bytearray()) == b"OggS user voice"
        user_photo = server.send_photo(user, b"jpeg-bytes", caption="look")
        assert len(user_photo["photo"]) == 2
        server.send_sticker(user, emoji="🎉")
        updates = await bot.get_updates(timeout=0)
        assert updates[-1].message.sticker.emoji == "🎉"
        assert updates[-2].message.photo[-1].file_id == user_photo["photo"][-1]["file_id"]
        with pytest.raises(BadRequest, match="(?i)invalid file_id"):
            await bot.get_file("nope")

    records = server.sent_messages(user.id)
    assert [r.method for r in records] == [
        "sendDocument",
        "sendVoice",
        "sendPhoto",
        "sendSticker",
        "sendAudio",
        "sendDocument",
    ]
    assert records[0].file_bytes == payload and records[0].file_name == "letter.pdf"
    assert records[0].text == "<i>Your</i> letter"
    assert records[1].file_bytes == b"OggS-voice-bytes"


@pytest.mark.asyncio
async def test_copy_forward_and_get_chat(server: FakeTelegramServer) -> None:
    alice, counselor = server.create_user("Alice"), server.create_user("Counselor")
    original = server.send_text(alice, "I need help")
    async with make_bot(server) as bot:
        copied = await bot.copy_message(counselor.id, alice.id, original["message_id"])
        forwarded = await bot.forward_message(counselor.id, alice.id, original["message_id"])
        assert forwarded.forward_origin.sender_user.id == alice.id
        assert forwarded.message_id == copied.message_id + 1
        chat = await bot.get_chat(alice.id)
        assert chat.first_name == "Alice" and chat.type == "private"
    assert [(m.method, m.text) for m in server.sent_messages(counselor.id)] == [
        ("copyMessage", "I need help"),
        ("forwardMessage", "I need help"),
    ]


# --------------------------------------------------------------------------- settings


@pytest.mark.asyncio
async def test_commands_per_scope_and_language(server: FakeTelegramServer) -> None:
    user = server.create_user("Cmd")
    async with make_bot(server) as bot:
        await bot.set_my_commands([BotCommand("start", "Start"), BotCommand("help", "Help")])
        await bot.set_my_commands([BotCommand("start", "Beginnen")], language_code="nl")
        await bot.set_my_commands(
            [BotCommand("stop", "Stop")], scope=BotCommandScopeChat(user.id), language_code="nl"
        )
        assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]
        nl = await bot.get_my_commands(language_code="nl")
        assert [(c.command, c.description) for c in nl] == [("start", "Beginnen")]
        assert await bot.get_my_commands(language_code="de") == ()
        assert await bot.get_my_commands(scope=BotCommandScopeAllPrivateChats()) == ()
        await bot.delete_my_commands(language_code="nl")
        assert await bot.get_my_commands(language_code="nl") == ()
        with pytest.raises(BadRequest, match="(?i)bot_command_invalid"):
            await bot.set_my_commands([BotCommand("Bad Command", "x")])
        await bot.set_my_description("Werkmaat helpt", language_code="nl")
        await bot.set_my_short_description("Hulp bij werk")
        assert (await bot.get_my_description("nl")).description == "Werkmaat helpt"
        await bot.set_chat_menu_button(user.id, telegram.MenuButtonCommands())
        await bot.send_chat_action(user.id, "typing")
    assert server.commands() == [
        {"command": "start", "description": "Start"},
        {"command": "help", "description": "Help"},
    ]
    assert server.commands(BotCommandScopeChat(user.id), "nl") == [
        {"command": "stop", "description": "Stop"}
    ]
    assert server.commands({"type": "chat", "chat_id": user.id}, "nl")[0]["command"] == "stop"
    assert server.commands(language_code="nl") == []
    assert server.bot_description("nl") == "Werkmaat helpt"
    assert server.bot_short_description() == "Hulp bij werk"
    assert server.menu_button(user.id) == {"type": "commands"}
    assert server.calls("sendChatAction")[0].params["action"] == "typing"


# --------------------------------------------------------------------------- forums


@pytest.mark.asyncio
async def test_forum_topics(server: FakeTelegramServer) -> None:
    forum = server.create_forum("Counselors")
    plain_group = server.create_group("Plain")
    counselor = server.create_user("Carla")
    async with make_bot(server) as bot:
        topic = await bot.create_forum_topic(forum.id, "Case 17")
        assert topic.name == "Case 17" and topic.message_thread_id > 0
        sent = await bot.send_message(
            forum.id, "New case", message_thread_id=topic.message_thread_id
        )
        assert sent.message_thread_id == topic.message_thread_id and sent.is_topic_message
        other = await bot.create_forum_topic(forum.id, "Case 18")
        assert other.message_thread_id != topic.message_thread_id
        assert await bot.edit_forum_topic(forum.id, topic.message_thread_id, name="Case 17 ✓")
        assert await bot.close_forum_topic(forum.id, topic.message_thread_id)
        assert await bot.reopen_forum_topic(forum.id, topic.message_thread_id)
        assert await bot.delete_forum_topic(forum.id, other.message_thread_id)
        with pytest.raises(BadRequest, match="(?i)message thread not found"):
            await bot.send_message(forum.id, "gone", message_thread_id=other.message_thread_id)
        with pytest.raises(BadRequest, match="(?i)not a forum"):
            await bot.create_forum_topic(plain_group.id, "nope")

        # A counselor writes in the topic; the test deletes it behind the bot's back.
        server.send_text(
            counselor,
            "/take@werkmaat_test_bot",
            chat=forum,
            message_thread_id=topic.message_thread_id,
        )
        [update] = await bot.get_updates(timeout=0)
        assert update.message.message_thread_id == topic.message_thread_id
        assert update.message.entities[0].type == "bot_command"
        assert update.message.entities[0].length == len("/take@werkmaat_test_bot")
        server.delete_topic(forum, topic.message_thread_id)
        with pytest.raises(BadRequest, match="(?i)message thread not found"):
            await bot.send_message(forum.id, "late", message_thread_id=topic.message_thread_id)

    assert [m.text for m in server.sent_messages(forum.id, thread_id=topic.message_thread_id)] == [
        "New case"
    ]
    assert server.topic(forum, topic.message_thread_id).name == "Case 17 ✓"


# --------------------------------------------------------------------------- failures


@pytest.mark.asyncio
async def test_blocked_user_gets_forbidden(server: FakeTelegramServer) -> None:
    user = server.create_user("Gone")
    async with make_bot(server) as bot:
        await bot.send_message(user.id, "before")
        server.block_bot(user)
        with pytest.raises(Forbidden, match="bot was blocked by the user"):
            await bot.send_message(user.id, "after")
        with pytest.raises(Forbidden):
            await bot.send_chat_action(user.id, "typing")
        [update] = await bot.get_updates(timeout=0)
        assert update.my_chat_member.new_chat_member.status == "kicked"
    assert [m.text for m in server.sent_messages(user.id)] == ["before"]
    assert server.calls("sendMessage")[-1].status == 403


@pytest.mark.asyncio
async def test_private_chat_rate_limit_gives_retry_after(server: FakeTelegramServer) -> None:
    server.rate_limits = RateLimits()
    user, other = server.create_user("Fast"), server.create_user("Other")
    async with make_bot(server) as bot:
        await bot.send_message(user.id, "one")
        with pytest.raises(RetryAfter) as excinfo:
            await bot.send_message(user.id, "two")
        assert excinfo.value.retry_after == 1
        await bot.send_message(other.id, "other chat is fine")
        server.rate_limits = None
        await bot.send_message(user.id, "limits off")
    assert server.rate_limited_count == 1
    assert server.messages_accepted(user.id) == 2
    assert server.messages_accepted() == 3
    raw = server.calls("sendMessage")[1]
    assert raw.status == 429


def test_group_and_global_limits_answer_429_with_retry_after(server: FakeTelegramServer) -> None:
    server.rate_limits = RateLimits(global_per_second=3, group_per_minute=2)
    group = server.create_group("Group")
    users = [server.create_user(f"U{i}") for i in range(4)]
    with httpx.Client(base_url=f"{server.url}/bot{TOKEN}") as client:
        statuses = [
            client.post("/sendMessage", data={"chat_id": group.id, "text": "x"}) for _ in range(3)
        ]
        assert [r.status_code for r in statuses] == [200, 200, 429]
        body = statuses[-1].json()
        assert body["error_code"] == 429 and body["parameters"]["retry_after"] > 1
        assert body["description"].startswith("Too Many Requests: retry after")
        # Global: 2 accepted so far, one more fits in this second, then 429 for anyone.
        results = [
            client.post("/sendMessage", data={"chat_id": u.id, "text": "x"}).status_code
            for u in users
        ]
        assert results == [200, 429, 429, 429]
    assert server.rate_limited_count == 4


@pytest.mark.asyncio
async def test_fault_injection_is_seeded_and_counted(server: FakeTelegramServer) -> None:
    user = server.create_user("Faulty")
    async with make_bot(server) as bot:
        server.faults = FaultConfig(rate=1.0, kinds=(500,))
        with pytest.raises(NetworkError, match="Internal Server Error"):
            await bot.send_message(user.id, "x")
        server.faults = FaultConfig(rate=1.0, kinds=(429,), retry_after=2)
        with pytest.raises(RetryAfter):
            await bot.send_message(user.id, "x")
        server.faults = FaultConfig(rate=1.0, kinds=("timeout",), timeout_delay=1.0)
        with pytest.raises(telegram.error.TimedOut):
            await bot.send_message(user.id, "x", read_timeout=0.2)
        server.faults = None
        await bot.get_updates(timeout=0)  # getUpdates is exempt by default anyway

    def outcome(seed: int) -> list[int]:
        with httpx.Client(base_url=f"{server.url}/bot{TOKEN}") as client:
            server.faults = FaultConfig(rate=0.5, kinds=(500, 502), seed=seed)
            try:
                return [
                    client.get("/getChat", params={"chat_id": user.id}).status_code
                    for _ in range(20)
                ]
            finally:
                server.faults = None

    first, again = outcome(7), outcome(7)
    assert first == again and set(first) <= {200, 500, 502}
    assert 0 < sum(s != 200 for s in first) < 20
    counts = server.fault_counts
    assert counts["timeout"] == 1 and counts["429"] == 1
    assert server.sent_messages(user.id) == []  # faulted calls were not carried out


@pytest.mark.asyncio
async def test_late_answers_per_chat_streams_and_redeliveries(server: FakeTelegramServer) -> None:
    alice, bob = server.create_user("Alice"), server.create_user("Bob")
    async with make_bot(server) as bot:
        # "late": Telegram carried the call out, the client timed out waiting for the answer
        server.faults = FaultConfig(rate=1.0, kinds=("late",), timeout_delay=1.0)
        with pytest.raises(telegram.error.TimedOut):
            await bot.send_message(alice.id, "sent after all", read_timeout=0.2)
        assert [m.text for m in server.sent_messages(alice.id)] == ["sent after all"]
        assert server.calls("sendMessage") == []  # recorded once answered...
        server.wait_until_answered(timeout=5)
        [late] = server.calls("sendMessage")
        assert (late.fault, late.status) == ("late", 200)  # ...after the client gave up
        server.faults = None
        assert server.fault_counts == {"late": 1}

        # an unconfirmed update is handed out again; the counter says how often
        first = server.send_text(alice, "hello")
        updates = await bot.get_updates(timeout=0)
        assert await bot.get_updates(timeout=0) == updates
        await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0)
    [update_id] = [u.update_id for u in updates]
    assert server.update_deliveries() == {update_id: 2}
    assert first["text"] == "hello"

    def chat_outcomes(order: list[int]) -> dict[int, list[int]]:
        """Which calls fail, per chat, with the chats' calls interleaved in `order`."""
        server.faults = FaultConfig(rate=0.5, kinds=(500,), seed=3, per_chat=True)
        try:
            seen: dict[int, list[int]] = {alice.id: [], bob.id: []}
            with httpx.Client(base_url=f"{server.url}/bot{TOKEN}") as client:
                for chat in order:
                    seen[chat].append(client.get("/getChat", params={"chat_id": chat})
                                      .status_code)
            return seen
        finally:
            server.faults = None

    apart = chat_outcomes([alice.id] * 10 + [bob.id] * 10)
    mixed = chat_outcomes([alice.id, bob.id] * 10)
    assert apart == mixed and apart[alice.id] != apart[bob.id]


# --------------------------------------------------------------------------- webhook


@pytest.mark.asyncio
async def test_webhook_delivery_with_secret_in_order(server: FakeTelegramServer) -> None:
    user = server.create_user("Hooked")
    with webhook_receiver(fail_first=1) as (url, received):
        async with make_bot(server) as bot:
            server.send_text(user, "queued before the webhook")
            assert await bot.set_webhook(url, secret_token="s3cret-Token_1")
            with pytest.raises(Conflict, match="webhook is active"):
                await bot.get_updates(timeout=0)
            server.send_text(user, "/start")
            server.press_button(user, server.send_text(user, "with button"), "b", strict=False)
            await server.wait_for_updates_consumed_async(timeout=3)
            info = await bot.get_webhook_info()
            assert info.url == url and info.pending_update_count == 0
            assert "500" in (info.last_error_message or "")  # from the first, retried attempt
            assert await bot.delete_webhook()
        assert [secret for _, secret in received] == ["s3cret-Token_1"] * 4
        kinds = [
            u["message"]["text"] if "message" in u else u["callback_query"]["data"]
            for u, _ in received
        ]
        assert kinds == ["queued before the webhook", "/start", "with button", "b"]
        update_ids = [u["update_id"] for u, _ in received]
        assert update_ids == sorted(update_ids)
    deliveries = server.webhook_deliveries()
    assert [d.delivered for d in deliveries] == [True] * 4
    assert deliveries[0].attempts == 2 and deliveries[1].attempts == 1
    assert server.webhook_url is None


async def test_webhook_sends_chats_at_once_but_each_chat_in_order(
        server: FakeTelegramServer) -> None:
    """Telegram waits for the webhook's answer before it sends a chat's next update, and
    sends other chats' updates meanwhile."""
    users = [server.create_user(f"Chat{i}") for i in range(3)]
    overlaps: list[int] = []
    with webhook_receiver(busy=0.2, overlaps=overlaps) as (url, received):
        async with make_bot(server) as bot:
            for n in range(3):
                for user in users:
                    server.send_text(user, f"{user.first_name} {n}")
            began = time.monotonic()
            assert await bot.set_webhook(url)
            await server.wait_for_updates_consumed_async(timeout=5)
            took = time.monotonic() - began
            assert await bot.delete_webhook()
    for user in users:
        said = [u["message"]["text"] for u, _ in received
                if u["message"]["chat"]["id"] == user.id]
        assert said == [f"{user.first_name} {n}" for n in range(3)]
    assert max(overlaps) == 3  # three chats at once, never two of one chat
    assert took < 9 * 0.2


def test_webhook_flag_off_keeps_updates_for_polling(server: FakeTelegramServer) -> None:
    server.webhook_delivery = False
    user = server.create_user("Flag")
    with httpx.Client(base_url=f"{server.url}/bot{TOKEN}") as client:
        assert client.post("/setWebhook", data={"url": "http://127.0.0.1:9/x"}).json() == {
            "ok": True,
            "result": True,
            "description": "Webhook was set",
        }
        server.send_text(user, "kept")
        got = client.post("/getUpdates", data={"timeout": "0"}).json()["result"]
        assert [u["message"]["text"] for u in got] == ["kept"]
        bad = client.post("/setWebhook", data={"url": "http://x/y", "secret_token": "no spaces"})
        assert bad.json()["description"] == (
            "Bad Request: secret token contains unallowed characters"
        )
    assert server.webhook_deliveries() == []


# --------------------------------------------------------------------------- plumbing


def test_edit_text_update_and_wait_timeout_message(server: FakeTelegramServer) -> None:
    user = server.create_user("Editor")
    original = server.send_text(user, "helo")
    edited = server.edit_text(user, original, "hello")
    assert edited["edit_date"] and edited["message_id"] == original["message_id"]
    assert list(server.pending_updates()[-1]) == ["update_id", "edited_message"]
    with pytest.raises(AssertionError, match=r"expected at least 1 message\(s\) in chat"):
        server.wait_for_messages(user.id, 1, timeout=0.1)
    with pytest.raises(ValueError, match="no button"):
        server.press_button(user, original, "missing")


def test_restart_keeps_port_and_standalone_module() -> None:
    before = set(threading.enumerate())
    srv = FakeTelegramServer()
    srv.start()
    port = srv.port
    srv.stop()
    srv.stop()  # idempotent
    assert _port_is_closed(port)
    with srv:
        assert srv.port == port
        assert httpx.get(f"{srv.base_url}ANY:token/getMe").json()["ok"] is True
    assert not [t for t in threading.enumerate() if t not in before and t.is_alive()]

    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fake_telegram", "--port", "0", "--token", TOKEN],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base_url = proc.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/bot")
        assert httpx.get(f"{base_url}{TOKEN}/getMe").json()["result"]["id"] == 123456
        root = base_url.removesuffix("/bot")
        user = httpx.post(f"{root}/_fake/create_user", json={"first_name": "Ext"}).json()
        httpx.post(
            f"{base_url}{TOKEN}/sendMessage", data={"chat_id": user["result"]["id"], "text": "hi"}
        )
        sent = httpx.get(f"{root}/_fake/sent_messages").json()["result"]
        assert [m["text"] for m in sent] == ["hi"]
    finally:
        proc.terminate()
        proc.wait(timeout=5)
        proc.stdout.close()
        proc.stderr.close()
