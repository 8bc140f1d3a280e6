"""A fake Telegram Bot API server for end-to-end tests of a real bot process.

Why a real HTTP server instead of mocking PTB: the bot under test runs as a separate process and
talks HTTP exactly as in production (``ApplicationBuilder().base_url(server.base_url)``), so the
test exercises its real request encoding, error handling, retry and polling code.  The test plays
the users by injecting updates, and reads back typed records of what the bot did.

Design:

* One :class:`FakeTelegramServer` owns all state.  State lives behind one re-entrant lock because
  two threads touch it: the server thread (an asyncio loop running uvicorn) and the test thread
  (sync tests, or the test's own event loop).  Nothing is global, so tests may run several
  servers side by side.
* HTTP handlers parse parameters the way PTB encodes them (see ``_parse_request``), then run the
  method handler under the lock.  Handlers raise :class:`ApiError` for Telegram errors, so the
  error paths read like the Bot API documentation.
* Waiting inside the server loop (long polling, webhook worker, simulated time-outs) uses
  futures woken by ``_wake``; test threads wait on a ``threading.Condition`` on the same lock.
* Telegram behaviour that bots commonly trip over is reproduced on purpose: per-chat message ids,
  ``message is not modified``, HTML ``can't parse entities``, text length limits, confirmed
  updates disappearing, 409 for concurrent getUpdates, blocked users, deleted topics, 429s.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import inspect
import itertools
import json
import math
import mimetypes
import random
import re
import socket
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any
from urllib.parse import parse_qsl

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .markup import MarkupError, bot_command_entities, parse_html, utf16_len
from .records import (
    OPT_IN_UPDATE_TYPES,
    ApiCall,
    Chat,
    FaultConfig,
    ForumTopic,
    RateLimits,
    SentMessage,
    StoredFile,
    UploadedFile,
    User,
    WebhookDelivery,
)

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_DOWNLOAD_SIZE = 20 * 1024 * 1024


def _names(text: str) -> frozenset[str]:
    """A set of names written as whitespace-separated words (keeps long lists readable)."""
    return frozenset(text.split())


# Parameters whose values are strings in the Bot API.  PTB sends every string unencoded and
# every other value JSON-encoded, so a form value like "123" is only a number if the parameter is
# not one of these (a message text "123" must stay text).
_STRING_PARAMS = _names(
    """
    text caption parse_mode description short_description name title url secret_token
    language_code callback_query_id inline_message_id file_id action emoji
    icon_custom_emoji_id business_connection_id message_effect_id ip_address performer
    question explanation address first_name last_name phone_number vcard custom_title
    payload currency start_parameter game_short_name web_app_query_id result_id document
    photo voice audio sticker video animation video_note thumbnail certificate
    sticker_set_name switch_pm_text switch_pm_parameter next_offset filename
    """
)
# Parameters holding JSON objects/arrays; JSON bodies may still carry them as JSON strings.
_JSON_PARAMS = _names(
    """
    reply_markup entities caption_entities commands scope allowed_updates reply_parameters
    menu_button link_preview_options media
    """
)
_CHAT_ACTIONS = _names(
    """
    typing upload_photo record_video upload_video record_voice upload_voice upload_document
    choose_sticker find_location record_video_note upload_video_note
    """
)
_SCOPE_TYPES = _names(
    """
    default all_private_chats all_group_chats all_chat_administrators chat
    chat_administrators chat_member
    """
)
_SECRET_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
# Content keys copied by copyMessage/forwardMessage.
_CONTENT_KEYS = ("text", "entities", "caption", "caption_entities", "photo", "document")
_CONTENT_KEYS += ("voice", "audio", "sticker", "video", "animation", "location", "contact")
_MEDIA_KEYS = ("document", "voice", "audio", "sticker", "video", "animation")

# kind -> (file_id prefix, file_path folder, default extension, default mime type)
_FILE_KINDS: dict[str, tuple[str, str, str, str]] = {
    "document": ("BQACAgIAAxkBAAI", "documents", ".bin", "application/octet-stream"),
    "photo": ("AgACAgIAAxkBAAI", "photos", ".jpg", "image/jpeg"),
    "voice": ("AwACAgIAAxkBAAI", "voice", ".oga", "audio/ogg"),
    "audio": ("CQACAgIAAxkBAAI", "music", ".mp3", "audio/mpeg"),
    "sticker": ("CAACAgIAAxkBAAI", "stickers", ".webp", "image/webp"),
}

_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
_BLOCKED = "Forbidden: bot was blocked by the user"
_THREAD_NOT_FOUND = "Bad Request: message thread not found"


class ApiError(Exception):
    """A Telegram error answer; raised by method handlers, rendered by the HTTP layer."""

    def __init__(self, code: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def _bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


@dataclass
class _Call:
    """One parsed API request as handed to a method handler."""

    method: str
    params: dict[str, Any]
    files: dict[str, UploadedFile] = field(default_factory=dict)
    description: str | None = None  # optional "description" next to an ok result


ChatRef = Chat | User | int | str
MessageRef = SentMessage | dict[str, Any]


class FakeTelegramServer:
    """A Telegram Bot API look-alike on ``127.0.0.1`` for one bot, driven by the test.

    Construct, ``start()`` (or use as a context manager), point the bot at :attr:`base_url`
    (and :attr:`base_file_url` for downloads), play users with ``send_text``/``press_button``/...
    and read back with :meth:`sent_messages`, :meth:`wait_for_messages` and :meth:`calls`.

    Args:
        token: Only this token is accepted (others get 401).  ``None`` accepts any token.
        host, port: Where to listen; port 0 picks a free port (kept across restarts).
        bot_username, bot_first_name, bot_id: The identity getMe reports.  ``bot_id`` defaults
            to the numeric part of ``token`` as on Telegram.
        webhook_delivery: When the bot has set a webhook, push updates to it (as Telegram does)
            instead of keeping them for getUpdates.
        webhook_max_attempts, webhook_retry_delay: Retries for non-2xx webhook answers; after
            the last attempt the update is dropped and recorded as undelivered.
        rate_limits: Telegram-like flood limits, or ``None`` (default) for none.
        faults: Random 429/5xx/time-out injection, or ``None`` (default) for none.
        strict_file_ids: Reject unknown file ids as Telegram does.  Off by default so a bot
            configured with real sticker ids still works against the fake.
    """

    def __init__(
        self,
        *,
        token: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        bot_username: str = "werkmaat_test_bot",
        bot_first_name: str = "Werkmaat",
        bot_id: int | None = None,
        webhook_delivery: bool = True,
        webhook_max_attempts: int = 3,
        webhook_retry_delay: float = 0.05,
        rate_limits: RateLimits | None = None,
        faults: FaultConfig | None = None,
        strict_file_ids: bool = False,
    ) -> None:
        self._token = token
        self._host = host
        self._port = port
        if bot_id is None:
            prefix = (token or "").split(":", 1)[0]
            bot_id = int(prefix) if prefix.isdigit() else 7_000_000_001
        self.bot_user = User(
            id=bot_id,
            first_name=bot_first_name,
            username=bot_username,
            language_code=None,
            is_bot=True,
        )
        self._webhook_max_attempts = max(1, webhook_max_attempts)
        self._webhook_retry_delay = webhook_retry_delay
        self._strict_file_ids = strict_file_ids

        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)

        # Chats and content.
        self._user_ids = itertools.count(100_000_001)
        self._group_ids = itertools.count(1)
        self._users: dict[int, User] = {}
        self._chats: dict[int, Chat] = {}
        self._blocked: set[int] = set()
        self._topics: dict[tuple[int, int], ForumTopic] = {}
        self._last_message_id: dict[int, int] = {}
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._deleted: set[tuple[int, int]] = set()
        self._file_ids = itertools.count(1)
        self._files: dict[str, StoredFile] = {}
        self._files_by_path: dict[str, StoredFile] = {}

        # Updates.
        self._update_ids = itertools.count(100_000_001)
        self._pending: list[dict[str, Any]] = []
        self._injected: list[dict[str, Any]] = []
        self._allowed_updates: frozenset[str] | None = None
        self._poll_generation = 0
        self._callback_ids = itertools.count(4_000_000_000_000_000_001)
        self._callback_queries: dict[str, dict[str, Any]] = {}
        self._callback_answers: dict[str, dict[str, Any]] = {}

        # Webhook.
        self._webhook_delivery = webhook_delivery
        self._webhook: dict[str, Any] | None = None
        self._webhook_last_error: tuple[int, str] | None = None
        self._deliveries: list[WebhookDelivery] = []

        # Bot settings.
        self._commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._descriptions: dict[str, str] = {}
        self._short_descriptions: dict[str, str] = {}
        self._names: dict[str, str] = {}
        self._menu_buttons: dict[int | None, dict[str, Any]] = {}

        # Records and counters.
        self._sent: list[SentMessage] = []
        self._edits: list[SentMessage] = []
        self._calls: list[ApiCall] = []
        self._accepted: Counter[int] = Counter()
        self._rate_limits = rate_limits
        self._rate_windows: dict[tuple[Any, ...], deque[float]] = {}
        self._rate_limited = 0
        self._faults = faults
        self._rng = random.Random(faults.seed if faults else 0)
        self._chat_rngs: dict[str, random.Random] = {}
        self._fault_counts: Counter[str] = Counter()
        self._update_deliveries: Counter[int] = Counter()
        self._answering = 0  # requests being handled, long polls left out

        # Server machinery.
        self._handlers = self._method_table()
        self._canonical = {name.lower(): name for name in self._handlers}
        self._app = self._build_app()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._uvicorn: uvicorn.Server | None = None
        self._socket: socket.socket | None = None
        self._closing = threading.Event()
        self._waiters: set[asyncio.Future[None]] = set()
        self._http: httpx.AsyncClient | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> FakeTelegramServer:
        """Bind the port and serve in a background thread; returns once requests are accepted."""
        if self._thread is not None:
            raise RuntimeError("FakeTelegramServer is already running")
        # IPPROTO_TCP explicitly: with proto 0 asyncio skips TCP_NODELAY on accepted
        # connections and every keep-alive response stalls ~40 ms on delayed ACKs.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self._host, self._port))
        except OSError:
            sock.close()
            raise
        self._port = sock.getsockname()[1]
        self._socket = sock
        self._closing.clear()
        config = uvicorn.Config(
            self._app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            ws="none",
            timeout_graceful_shutdown=2,
        )
        self._uvicorn = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._run, name=f"fake-telegram-{self._port}", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._uvicorn.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("fake Telegram server failed to start")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        """Stop serving, end pending long polls and join the thread; safe to call twice."""
        thread = self._thread
        if thread is None:
            return
        self._closing.set()
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._on_wake)
        if self._uvicorn is not None:
            self._uvicorn.should_exit = True
        thread.join(timeout=15)
        if thread.is_alive():  # pragma: no cover - only on a wedged handler
            raise RuntimeError("fake Telegram server thread did not stop")
        if self._socket is not None:
            self._socket.close()
        self._thread = None
        self._loop = None
        self._uvicorn = None
        self._socket = None

    def __enter__(self) -> FakeTelegramServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._thread is not None

    @property
    def port(self) -> int:
        if not self._port:
            raise RuntimeError("start() the server first; the port is picked on start")
        return self._port

    @property
    def url(self) -> str:
        """Root URL, e.g. ``http://127.0.0.1:PORT``."""
        return f"http://{self._host}:{self.port}"

    @property
    def base_url(self) -> str:
        """What PTB's ``base_url`` should be: the token and method are appended to it."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """What PTB's ``base_file_url`` should be, for File.download_*()."""
        return f"{self.url}/file/bot"

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        try:
            loop.run_until_complete(self._serve())
        finally:
            loop.close()

    async def _serve(self) -> None:
        assert self._uvicorn is not None and self._socket is not None
        self._http = httpx.AsyncClient(timeout=httpx.Timeout(5.0))
        worker = asyncio.create_task(self._webhook_worker())
        try:
            await self._uvicorn.serve(sockets=[self._socket])
        finally:
            worker.cancel()
            await asyncio.gather(worker, return_exceptions=True)
            await self._http.aclose()
            self._http = None

    # ------------------------------------------------------------------ waking (server loop)

    def _wake(self) -> None:
        """Tell the server loop that state changed (new updates, webhook set, closing)."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # loop closed between check and call
            loop.call_soon_threadsafe(self._on_wake)

    def _on_wake(self) -> None:
        waiters, self._waiters = self._waiters, set()
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    def _new_waiter(self) -> asyncio.Future[None]:
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.add(waiter)
        return waiter

    async def _await_waiter(self, waiter: asyncio.Future[None], timeout: float | None) -> None:
        try:
            await asyncio.wait_for(waiter, timeout)
        except TimeoutError:
            pass
        finally:
            self._waiters.discard(waiter)

    async def _sleep_unless_closing(self, delay: float) -> None:
        deadline = time.monotonic() + delay
        while not self._closing.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            await self._await_waiter(self._new_waiter(), remaining)

    # ------------------------------------------------------------------ HTTP layer

    def _build_app(self) -> Starlette:
        routes = [
            Route("/bot{token}/{method}", self._handle_api, methods=["GET", "POST"]),
            Route("/file/bot{token}/{path:path}", self._handle_file, methods=["GET"]),
            Route("/_fake/{action}", self._handle_control, methods=["GET", "POST"]),
            Route("/{path:path}", self._handle_not_found, methods=["GET", "POST"]),
        ]
        return Starlette(routes=routes)

    def _token_ok(self, token: str) -> bool:
        return self._token is None or token == self._token

    async def _handle_not_found(self, request: Request) -> Response:
        return JSONResponse(ApiError(404, "Not Found").payload(), status_code=404)

    async def _handle_api(self, request: Request) -> Response:
        counted = request.path_params["method"].lower() != "getupdates"
        if counted:
            with self._lock:
                self._answering += 1
        try:
            return await self._answer_api(request)
        except ClientDisconnect:  # the bot went away mid-request (a test killed it)
            return Response(status_code=499)
        finally:
            if counted:
                with self._lock:
                    self._answering -= 1
                    self._changed.notify_all()

    async def _answer_api(self, request: Request) -> Response:
        started = time.monotonic()
        token = request.path_params["token"]
        raw_method = request.path_params["method"]
        method = self._canonical.get(raw_method.lower(), raw_method)
        params: dict[str, Any] = {}
        files: dict[str, UploadedFile] = {}
        fault: str | None = None
        description: str | None = None
        try:
            if not self._token_ok(token):
                raise ApiError(401, "Unauthorized")
            params, files = await self._parse_request(request)
            if method not in self._handlers:
                raise ApiError(404, "Not Found")
            fault = self._pick_fault(method, params)
            if fault is not None and fault != "late":
                await self._apply_fault(fault)
            call = _Call(method=method, params=params, files=files)
            handler = self._handlers[method]
            if inspect.iscoroutinefunction(handler):
                result = await handler(call)
            else:
                with self._lock:
                    result = handler(call)
            if fault == "late":  # carried out; the answer comes after the client gave up
                await self._sleep_unless_closing((self._faults or FaultConfig()).timeout_delay)
            body: dict[str, Any] = {"ok": True, "result": result}
            if call.description:
                body["description"] = call.description
            status = 200
        except ApiError as error:
            body, status, description = error.payload(), error.code, error.description
        with self._lock:
            self._calls.append(
                ApiCall(
                    method=method,
                    params=params,
                    timestamp=started,
                    status=status,
                    http_method=request.method,
                    token=token,
                    files=tuple(files),
                    duration=time.monotonic() - started,
                    description=description,
                    fault=fault,
                )
            )
            self._changed.notify_all()
        return JSONResponse(body, status_code=status)

    async def _parse_request(
        self, request: Request
    ) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
        """Collect parameters from the query string and the body, typed as Telegram reads them.

        PTB 22 (``RequestData.json_parameters``) sends strings as-is and everything else
        JSON-encoded, as ``application/x-www-form-urlencoded``, or as ``multipart/form-data``
        when a file is attached (the file part is named after the parameter, or referenced
        via ``attach://<name>``).  Other clients may send JSON bodies, which are already typed.
        """
        raw: dict[str, Any] = dict(request.query_params.multi_items())
        typed: dict[str, Any] = {}
        files: dict[str, UploadedFile] = {}
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if request.method == "POST":
            if content_type == "multipart/form-data":
                try:
                    form = await request.form(max_files=1000, max_fields=1000)
                except Exception as exc:  # malformed multipart
                    raise _bad(f"can't parse multipart body: {exc}") from exc
                try:
                    for key, value in form.multi_items():
                        if isinstance(value, UploadFile):
                            files[key] = UploadedFile(
                                field=key,
                                filename=value.filename,
                                content_type=value.content_type,
                                data=await value.read(),
                            )
                        else:
                            raw[key] = value
                finally:
                    await form.close()
            else:
                body = await request.body()
                if content_type == "application/json":
                    if body.strip():
                        try:
                            data = json.loads(body)
                        except ValueError as exc:
                            raise _bad("can't parse JSON object") from exc
                        if not isinstance(data, dict):
                            raise _bad("can't parse JSON object")
                        typed.update(data)
                elif body:
                    raw.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        params = {key: self._decode_value(key, value) for key, value in raw.items()}
        for key, value in typed.items():
            params[key] = self._decode_value(key, value) if key in _JSON_PARAMS else value
        return params, files

    @staticmethod
    def _decode_value(key: str, value: Any) -> Any:
        if not isinstance(value, str) or key in _STRING_PARAMS:
            return value
        try:
            return json.loads(value)
        except ValueError:
            return value

    async def _handle_file(self, request: Request) -> Response:
        if not self._token_ok(request.path_params["token"]):
            return JSONResponse(ApiError(401, "Unauthorized").payload(), status_code=401)
        with self._lock:
            stored = self._files_by_path.get(request.path_params["path"])
        if stored is None:
            return JSONResponse(ApiError(404, "Not Found").payload(), status_code=404)
        return Response(stored.data, media_type=stored.mime_type or "application/octet-stream")

    # ------------------------------------------------------------------ faults and limits

    def _pick_fault(self, method: str, params: dict[str, Any]) -> str | None:
        with self._lock:
            faults = self._faults
            if faults is None or faults.rate <= 0 or not faults.kinds:
                return None
            if not faults.applies_to(method):
                return None
            rng = self._rng
            if faults.per_chat:
                chat = str(_param_chat(params) or "-")
                rng = self._chat_rngs.setdefault(chat, random.Random(f"{faults.seed}:{chat}"))
            if rng.random() >= faults.rate:
                return None
            kind = str(rng.choice(faults.kinds))
            self._fault_counts[kind] += 1
            return kind

    async def _apply_fault(self, kind: str) -> None:
        faults = self._faults or FaultConfig()
        if kind == "429":
            raise ApiError(
                429,
                f"Too Many Requests: retry after {faults.retry_after}",
                retry_after=faults.retry_after,
            )
        if kind == "timeout":
            await self._sleep_unless_closing(faults.timeout_delay)
            raise ApiError(504, "Gateway Timeout")
        if kind == "502":
            raise ApiError(502, "Bad Gateway")
        raise ApiError(500, "Internal Server Error")

    def _check_rate_limit(self, method: str, chat: Chat) -> None:
        """Apply the sliding-window limits; the window only counts accepted messages."""
        limits = self._rate_limits
        if limits is None or method not in limits.methods:
            return
        now = time.monotonic()
        checks: list[tuple[tuple[Any, ...], int, float]] = [
            (("global",), limits.global_per_second, 1.0)
        ]
        if chat.is_private:
            checks.append((("chat", chat.id), limits.private_per_second, 1.0))
        else:
            checks.append((("chat", chat.id), limits.group_per_minute, 60.0))
        wait = 0.0
        for key, limit, window in checks:
            if limit <= 0:
                continue
            stamps = self._rate_windows.setdefault(key, deque())
            while stamps and stamps[0] <= now - window:
                stamps.popleft()
            if len(stamps) >= limit:
                wait = max(wait, stamps[0] + window - now)
        if wait > 0:
            self._rate_limited += 1
            retry_after = max(1, math.ceil(wait))
            raise ApiError(
                429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after
            )
        for key, limit, _window in checks:
            if limit > 0:
                self._rate_windows[key].append(now)

    @property
    def rate_limits(self) -> RateLimits | None:
        """Current flood limits (``None`` = off); assign to change them while running."""
        return self._rate_limits

    @rate_limits.setter
    def rate_limits(self, limits: RateLimits | None) -> None:
        with self._lock:
            self._rate_limits = limits
            self._rate_windows.clear()

    @property
    def faults(self) -> FaultConfig | None:
        """Current fault injection (``None`` = off); assigning re-seeds the RNG."""
        return self._faults

    @faults.setter
    def faults(self, faults: FaultConfig | None) -> None:
        with self._lock:
            self._faults = faults
            self._rng = random.Random(faults.seed if faults else 0)
            self._chat_rngs.clear()

    @property
    def rate_limited_count(self) -> int:
        """How many 429s the flood limits have answered (injected faults not included)."""
        with self._lock:
            return self._rate_limited

    @property
    def fault_counts(self) -> dict[str, int]:
        """Injected faults by kind: ``{"429": n, "500": n, "timeout": n, "late": n}``."""
        with self._lock:
            return dict(self._fault_counts)

    def update_deliveries(self) -> dict[int, int]:
        """How often getUpdates handed out each update, by update_id: more than once means the
        bot had not confirmed it (a crash, or a bot that confirms only what it handled)."""
        with self._lock:
            return dict(self._update_deliveries)

    def messages_accepted(self, chat_id: ChatRef | None = None) -> int:
        """Messages the server accepted (created) in one chat, or in total."""
        with self._lock:
            if chat_id is None:
                return sum(self._accepted.values())
            return self._accepted[self._chat_id(chat_id)]

    def messages_accepted_by_chat(self) -> dict[int, int]:
        with self._lock:
            return dict(self._accepted)

    # ------------------------------------------------------------------ test side: chats

    def create_user(
        self,
        first_name: str = "Test",
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
    ) -> User:
        """A new user with a private chat the bot may write to (as if the user had started it)."""
        with self._lock:
            user = User(
                id=next(self._user_ids),
                first_name=first_name,
                last_name=last_name,
                username=username,
                language_code=language_code,
            )
            self._users[user.id] = user
            self._chats[user.id] = Chat(
                id=user.id,
                type="private",
                first_name=first_name,
                last_name=last_name,
                username=username,
            )
            return user

    def private_chat(self, user: User | int) -> Chat:
        with self._lock:
            return self._chats[user.id if isinstance(user, User) else user]

    def create_group(
        self,
        title: str = "Test group",
        *,
        supergroup: bool = True,
        forum: bool = False,
        username: str | None = None,
    ) -> Chat:
        """A group chat; supergroups get ``-100…`` ids like on Telegram, forums are supergroups."""
        with self._lock:
            n = next(self._group_ids)
            if supergroup or forum:
                chat = Chat(
                    id=-(1_001_000_000_000 + n),
                    type="supergroup",
                    title=title,
                    username=username,
                    is_forum=forum,
                )
            else:
                chat = Chat(id=-(400_000_000 + n), type="group", title=title)
            self._chats[chat.id] = chat
            return chat

    def create_forum(self, title: str = "Test forum", *, username: str | None = None) -> Chat:
        """A supergroup with topics enabled (``is_forum``)."""
        return self.create_group(title, forum=True, username=username)

    def chat(self, chat_id: ChatRef) -> Chat:
        with self._lock:
            return self._chats[self._chat_id(chat_id)]

    def create_topic(
        self,
        chat: ChatRef,
        name: str,
        *,
        icon_color: int = 7322096,
        by_user: User | None = None,
    ) -> ForumTopic:
        """A topic created on the Telegram side; with ``by_user`` the bot gets the service
        message (``forum_topic_created``) as an update, as it would from a real group."""
        with self._lock:
            target = self._chats[self._chat_id(chat)]
            if not target.is_forum:
                raise ValueError(f"chat {target.id} is not a forum")
            sender = by_user or self.bot_user
            topic, message = self._open_topic(target, name, icon_color, None, sender)
        if by_user is not None:
            self._inject({"message": message})
        return topic

    def _open_topic(
        self,
        chat: Chat,
        name: str,
        icon_color: int,
        icon_custom_emoji_id: str | None,
        sender: User,
    ) -> tuple[ForumTopic, dict[str, Any]]:
        thread_id = self._next_id(chat.id)
        created: dict[str, Any] = {"name": name, "icon_color": icon_color}
        if icon_custom_emoji_id:
            created["icon_custom_emoji_id"] = icon_custom_emoji_id
        message = {
            "message_id": thread_id,
            "from": sender.to_dict(),
            "chat": chat.to_dict(),
            "date": int(time.time()),
            "message_thread_id": thread_id,
            "is_topic_message": True,
            "forum_topic_created": created,
        }
        self._messages[(chat.id, thread_id)] = message
        topic = ForumTopic(
            chat_id=chat.id,
            message_thread_id=thread_id,
            name=name,
            icon_color=icon_color,
            icon_custom_emoji_id=icon_custom_emoji_id,
        )
        self._topics[(chat.id, thread_id)] = topic
        return topic, dict(message)

    def topics(self, chat: ChatRef) -> list[ForumTopic]:
        with self._lock:
            chat_id = self._chat_id(chat)
            return [t for (cid, _), t in self._topics.items() if cid == chat_id]

    def topic(self, chat: ChatRef, thread_id: int) -> ForumTopic | None:
        with self._lock:
            return self._topics.get((self._chat_id(chat), thread_id))

    def delete_topic(self, chat: ChatRef, thread_id: int) -> None:
        """Delete a topic behind the bot's back: later sends to it get 'thread not found'."""
        with self._lock:
            key = (self._chat_id(chat), thread_id)
            if key not in self._topics:
                raise ValueError(f"no topic {thread_id} in chat {key[0]}")
            self._topics[key] = replace(self._topics[key], is_deleted=True)

    def block_bot(self, user: User | int, *, notify: bool = True) -> None:
        """The user blocks the bot: every later call for that chat answers 403.  With
        ``notify`` the bot also gets the ``my_chat_member`` update Telegram sends."""
        self._set_blocked(user, True, notify)

    def unblock_bot(self, user: User | int, *, notify: bool = True) -> None:
        self._set_blocked(user, False, notify)

    def _set_blocked(self, user: User | int, blocked: bool, notify: bool) -> None:
        with self._lock:
            user_id = user.id if isinstance(user, User) else user
            person = self._users[user_id]
            (self._blocked.add if blocked else self._blocked.discard)(user_id)
            old, new = ("member", "kicked") if blocked else ("kicked", "member")
            old_member: dict[str, Any]
            new_member: dict[str, Any]
            if blocked:
                old_member = {"status": old, "user": self.bot_user.to_dict()}
                new_member = {"status": new, "user": self.bot_user.to_dict(), "until_date": 0}
            else:
                old_member = {"status": old, "user": self.bot_user.to_dict(), "until_date": 0}
                new_member = {"status": new, "user": self.bot_user.to_dict()}
            payload = {
                "my_chat_member": {
                    "chat": self._chats[user_id].to_dict(),
                    "from": person.to_dict(),
                    "date": int(time.time()),
                    "old_chat_member": old_member,
                    "new_chat_member": new_member,
                }
            }
        if notify:
            self._inject(payload)

    def is_blocked(self, user: User | int) -> bool:
        with self._lock:
            return (user.id if isinstance(user, User) else user) in self._blocked

    # ------------------------------------------------------------------ test side: updates

    def inject_update(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Queue any update (``{"message": {...}}``, ``{"my_chat_member": ...}``, ...); the
        ``update_id`` is assigned here.  The escape hatch for update types without a helper."""
        return self._inject(dict(payload))

    def _inject(self, payload: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            update = {"update_id": next(self._update_ids), **payload}
            self._injected.append(update)
            self._pending.append(update)
            self._changed.notify_all()
        self._wake()
        return update

    def send_text(
        self,
        user: User,
        text: str,
        chat: ChatRef | None = None,
        message_thread_id: int | None = None,
        *,
        reply_to: MessageRef | None = None,
        entities: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """The user writes ``text`` (private chat by default); returns the Message dict.
        ``/commands`` get their ``bot_command`` entities as Telegram sets them."""
        content: dict[str, Any] = {"text": text}
        all_entities = bot_command_entities(text) + list(entities or [])
        if all_entities:
            content["entities"] = sorted(all_entities, key=lambda e: e["offset"])
        return self._user_message(user, chat, message_thread_id, content, reply_to)

    def send_photo(
        self,
        user: User,
        data: bytes = b"\xff\xd8\xff\xe0fake-jpeg\xff\xd9",
        *,
        caption: str | None = None,
        chat: ChatRef | None = None,
        message_thread_id: int | None = None,
        width: int = 1280,
        height: int = 720,
    ) -> dict[str, Any]:
        """The user sends a photo; the bot gets two PhotoSizes whose files serve ``data``."""
        with self._lock:
            small = self._store_file("photo", data, "photo_s.jpg", "image/jpeg")
            large = self._store_file("photo", data, "photo.jpg", "image/jpeg")
        content: dict[str, Any] = {
            "photo": [
                self._photo_size(small, min(width, 90), min(height, 90)),
                self._photo_size(large, width, height),
            ]
        }
        if caption:
            content["caption"] = caption
        return self._user_message(user, chat, message_thread_id, content)

    def send_voice(
        self,
        user: User,
        data: bytes = b"OggS\x00fake-voice",
        *,
        duration: int = 2,
        chat: ChatRef | None = None,
        message_thread_id: int | None = None,
    ) -> dict[str, Any]:
        """The user sends a voice note (OGG/Opus as Telegram stores them)."""
        with self._lock:
            stored = self._store_file("voice", data, None, "audio/ogg")
        content = {"voice": self._media_object("voice", stored, {"duration": duration})}
        return self._user_message(user, chat, message_thread_id, content)

    def send_document(
        self,
        user: User,
        data: bytes,
        *,
        file_name: str = "document.txt",
        mime_type: str | None = None,
        caption: str | None = None,
        chat: ChatRef | None = None,
        message_thread_id: int | None = None,
    ) -> dict[str, Any]:
        """The user sends a file; getFile and the file URL give back ``data``."""
        mime_type = mime_type or mimetypes.guess_type(file_name)[0] or "application/octet-stream"
        with self._lock:
            stored = self._store_file("document", data, file_name, mime_type)
        content: dict[str, Any] = {"document": self._media_object("document", stored, {})}
        if caption:
            content["caption"] = caption
        return self._user_message(user, chat, message_thread_id, content)

    def send_sticker(
        self,
        user: User,
        *,
        emoji: str = "👍",
        data: bytes = b"RIFF\x00\x00\x00\x00WEBPfake",
        set_name: str | None = None,
        chat: ChatRef | None = None,
        message_thread_id: int | None = None,
    ) -> dict[str, Any]:
        """The user sends a (static) sticker."""
        with self._lock:
            stored = self._store_file("sticker", data, None, "image/webp")
        sticker = self._media_object("sticker", stored, {"emoji": emoji})
        if set_name:
            sticker["set_name"] = set_name
        return self._user_message(user, chat, message_thread_id, {"sticker": sticker})

    def edit_text(self, user: User, message: MessageRef, text: str) -> dict[str, Any]:
        """The user edits one of their text messages: an ``edited_message`` update."""
        with self._lock:
            key = self._message_key(message)
            current = self._messages.get(key)
            if current is None or key in self._deleted:
                raise ValueError(f"message {key} does not exist")
            if current.get("from", {}).get("id") != user.id or "text" not in current:
                raise ValueError(f"message {key} is not a text message of user {user.id}")
            edited = dict(current)
            edited["text"] = text
            entities = bot_command_entities(text)
            if entities:
                edited["entities"] = entities
            else:
                edited.pop("entities", None)
            edited["edit_date"] = int(time.time())
            self._messages[key] = edited
        self._inject({"edited_message": edited})
        return edited

    def press_button(
        self,
        user: User,
        message: MessageRef,
        callback_data: str,
        *,
        strict: bool = True,
    ) -> dict[str, Any]:
        """The user taps an inline button on a bot message: a ``callback_query`` update.

        With ``strict`` the message must currently carry a button with that callback_data
        (catches tests pressing buttons the bot removed or never sent)."""
        with self._lock:
            key = self._message_key(message)
            current = self._messages.get(key)
            if current is None or key in self._deleted:
                raise ValueError(f"message {key} does not exist (deleted?)")
            if strict:
                rows = (current.get("reply_markup") or {}).get("inline_keyboard") or []
                available = [b.get("callback_data") for row in rows for b in row]
                if callback_data not in available:
                    raise ValueError(
                        f"message {key} has no button with callback_data {callback_data!r}; "
                        f"buttons: {available}"
                    )
            query: dict[str, Any] = {
                "id": str(next(self._callback_ids)),
                "from": user.to_dict(),
                "message": dict(current),
                "chat_instance": str(abs(key[0]) * 7919 + 1_000_000_007),
                "data": callback_data,
            }
            self._callback_queries[query["id"]] = query
        self._inject({"callback_query": query})
        return query

    def callback_answer(self, query_id: str | dict[str, Any]) -> dict[str, Any] | None:
        """The answerCallbackQuery parameters the bot used for that query, if answered."""
        key = str(query_id["id"]) if isinstance(query_id, dict) else query_id
        with self._lock:
            return self._callback_answers.get(key)

    def _user_message(
        self,
        user: User,
        chat: ChatRef | None,
        thread_id: int | None,
        content: dict[str, Any],
        reply_to: MessageRef | None = None,
    ) -> dict[str, Any]:
        with self._lock:
            target = self._chats[self._chat_id(chat) if chat is not None else user.id]
            thread = None
            if target.is_forum and thread_id is not None:
                topic = self._topics.get((target.id, thread_id))
                if topic is None or topic.is_deleted:
                    raise ValueError(f"no open topic {thread_id} in chat {target.id}")
                thread = thread_id
            message_id = self._next_id(target.id)
            message: dict[str, Any] = {
                "message_id": message_id,
                "from": user.to_dict(),
                "chat": target.to_dict(),
                "date": int(time.time()),
            }
            if thread is not None:
                message["message_thread_id"] = thread
                message["is_topic_message"] = True
            if reply_to is not None:
                replied = self._messages.get(self._message_key(reply_to))
                if replied is not None:
                    message["reply_to_message"] = _without_reply(replied)
            message.update(content)
            self._messages[(target.id, message_id)] = message
        self._inject({"message": message})
        return message

    def injected_updates(self) -> list[dict[str, Any]]:
        """Every update the test injected, in order (delivered or not)."""
        with self._lock:
            return list(self._injected)

    def redeliver(self, message: dict[str, Any]) -> dict[str, Any]:
        """Hand out again the update that carried ``message`` (as ``send_text`` returned it),
        with its own update_id: what Telegram does when a bot crashed before it confirmed."""
        with self._lock:
            update = next(u for u in self._injected if u.get("message") == message)
            if update not in self._pending:
                self._pending.append(update)
                self._pending.sort(key=lambda u: u["update_id"])
            self._changed.notify_all()
        self._wake()
        return update

    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed through getUpdates (nor delivered by webhook)."""
        with self._lock:
            return list(self._pending)

    def wait_for_updates_consumed(self, timeout: float = 5.0) -> None:
        """Block until the bot confirmed (or the webhook took) every injected update."""
        self._wait_until(lambda: not self._pending, timeout, self._pending_report)

    async def wait_for_updates_consumed_async(self, timeout: float = 5.0) -> None:
        await self._wait_until_async(lambda: not self._pending, timeout, self._pending_report)

    def _pending_report(self) -> str:
        return f"{len(self._pending)} update(s) still pending: {self._pending[:3]}"

    # ------------------------------------------------------------------ test side: reading

    def sent_messages(
        self, chat_id: ChatRef | None = None, thread_id: int | None = None
    ) -> list[SentMessage]:
        """Messages the bot created (send*, copyMessage, forwardMessage), in order."""
        with self._lock:
            return self._filter_sent(self._sent, chat_id, thread_id)

    def sent_since(self, seen: int) -> list[SentMessage]:
        """Messages the bot created after the first `seen` (cheap to call often: a load
        driver reads what is new without copying everything each time)."""
        with self._lock:
            return self._sent[seen:]

    def edits(self, chat_id: ChatRef | None = None) -> list[SentMessage]:
        """Successful editMessageText/editMessageReplyMarkup calls, in order."""
        with self._lock:
            return self._filter_sent(self._edits, chat_id, None)

    def _filter_sent(
        self, records: list[SentMessage], chat_id: ChatRef | None, thread_id: int | None
    ) -> list[SentMessage]:
        wanted = None if chat_id is None else self._chat_id(chat_id)
        return [
            m
            for m in records
            if (wanted is None or m.chat_id == wanted)
            and (thread_id is None or m.message_thread_id == thread_id)
        ]

    def message(self, chat_id: ChatRef, message_id: int) -> dict[str, Any] | None:
        """The current state of a message (after edits), or ``None`` if missing or deleted."""
        with self._lock:
            key = (self._chat_id(chat_id), message_id)
            if key in self._deleted:
                return None
            message = self._messages.get(key)
            return dict(message) if message is not None else None

    def deleted_message_ids(self, chat_id: ChatRef) -> list[int]:
        with self._lock:
            cid = self._chat_id(chat_id)
            return sorted(mid for (c, mid) in self._deleted if c == cid)

    def calls(self, method: str | None = None) -> list[ApiCall]:
        """Every answered API request (any status), optionally for one method, in order."""
        with self._lock:
            return [c for c in self._calls if method is None or c.method == method]

    def commands(
        self, scope: dict[str, Any] | Any | None = None, language_code: str = ""
    ) -> list[dict[str, Any]]:
        """Commands the bot set for exactly this scope (dict or PTB BotCommandScope) and
        language; ``[]`` when none were set."""
        if scope is not None and hasattr(scope, "to_dict"):
            scope = scope.to_dict()
        with self._lock:
            key = (self._scope_key(scope), language_code or "")
            return [dict(c) for c in self._commands.get(key, [])]

    def all_commands(self) -> dict[tuple[str, str], list[dict[str, Any]]]:
        """All command lists keyed by (canonical scope JSON, language_code)."""
        with self._lock:
            return {k: [dict(c) for c in v] for k, v in self._commands.items()}

    def bot_description(self, language_code: str = "") -> str:
        with self._lock:
            return self._descriptions.get(language_code, "")

    def bot_short_description(self, language_code: str = "") -> str:
        with self._lock:
            return self._short_descriptions.get(language_code, "")

    def menu_button(self, chat_id: ChatRef | None = None) -> dict[str, Any]:
        with self._lock:
            return dict(self._menu_button_for(None if chat_id is None else self._chat_id(chat_id)))

    def file(self, file_id: str) -> StoredFile | None:
        with self._lock:
            return self._files.get(file_id)

    @property
    def webhook_delivery(self) -> bool:
        """Whether updates go to the webhook (when one is set) rather than to getUpdates."""
        return self._webhook_delivery

    @webhook_delivery.setter
    def webhook_delivery(self, enabled: bool) -> None:
        with self._lock:
            self._webhook_delivery = enabled
        self._wake()

    @property
    def webhook_url(self) -> str | None:
        with self._lock:
            return self._webhook["url"] if self._webhook else None

    @property
    def webhook_secret_token(self) -> str | None:
        with self._lock:
            return self._webhook.get("secret_token") if self._webhook else None

    def webhook_deliveries(self) -> list[WebhookDelivery]:
        with self._lock:
            return list(self._deliveries)

    def clear_records(self) -> None:
        """Forget recorded calls, messages, edits and deliveries (chats and files stay), so one
        server can be shared by several tests."""
        with self._lock:
            self._sent.clear()
            self._edits.clear()
            self._calls.clear()
            self._deliveries.clear()
            self._accepted.clear()
            self._rate_windows.clear()
            self._rate_limited = 0
            self._fault_counts.clear()
            self._update_deliveries.clear()

    # ------------------------------------------------------------------ test side: waiting

    def wait_for_messages(
        self,
        chat_id: ChatRef,
        count: int = 1,
        timeout: float = 5.0,
        *,
        thread_id: int | None = None,
    ) -> list[SentMessage]:
        """Block until the bot has sent at least ``count`` messages to the chat (and topic);
        returns all of them.  On time-out raises AssertionError listing what did arrive."""
        cid = self._chat_id(chat_id)
        self._wait_until(
            lambda: len(self._filter_sent(self._sent, cid, thread_id)) >= count,
            timeout,
            lambda: self._messages_report(cid, count, timeout, thread_id),
        )
        return self.sent_messages(cid, thread_id)

    async def wait_for_messages_async(
        self,
        chat_id: ChatRef,
        count: int = 1,
        timeout: float = 5.0,
        *,
        thread_id: int | None = None,
    ) -> list[SentMessage]:
        """:meth:`wait_for_messages` for async tests (does not block the event loop)."""
        cid = self._chat_id(chat_id)
        await self._wait_until_async(
            lambda: len(self._filter_sent(self._sent, cid, thread_id)) >= count,
            timeout,
            lambda: self._messages_report(cid, count, timeout, thread_id),
        )
        return self.sent_messages(cid, thread_id)

    def wait_until_answered(self, timeout: float = 15.0) -> None:
        """Block until every request but the long polls has been answered and recorded: a
        call held by a time-out fault shows in :meth:`calls` only once it is answered."""
        self._wait_until(
            lambda: self._answering == 0,
            timeout,
            lambda: f"{self._answering} request(s) still unanswered after {timeout}s",
        )

    def wait_for_calls(self, method: str, count: int = 1, timeout: float = 5.0) -> list[ApiCall]:
        """Block until ``method`` has been called (answered) at least ``count`` times."""
        self._wait_until(
            lambda: len(self.calls(method)) >= count,
            timeout,
            lambda: (
                f"expected {count} {method} call(s) within {timeout}s, "
                f"got {len(self.calls(method))}"
            ),
        )
        return self.calls(method)

    async def wait_for_calls_async(
        self, method: str, count: int = 1, timeout: float = 5.0
    ) -> list[ApiCall]:
        await self._wait_until_async(
            lambda: len(self.calls(method)) >= count,
            timeout,
            lambda: (
                f"expected {count} {method} call(s) within {timeout}s, "
                f"got {len(self.calls(method))}"
            ),
        )
        return self.calls(method)

    def _messages_report(
        self, chat_id: int, count: int, timeout: float, thread_id: int | None
    ) -> str:
        got = self._filter_sent(self._sent, chat_id, thread_id)
        where = f"chat {chat_id}" + (f" thread {thread_id}" if thread_id is not None else "")
        failed = [
            f"{c.method} -> {c.status} {c.description}"
            for c in self._calls
            if not c.ok and _param_chat(c.params) in (chat_id, str(chat_id))
        ]
        report = (
            f"expected at least {count} message(s) in {where} within {timeout}s, "
            f"got {len(got)}: {[(m.method, m.text) for m in got]}"
        )
        if failed:
            report += f"; failed calls for this chat: {failed}"
        if self._pending:
            report += f"; {len(self._pending)} update(s) not yet consumed by the bot"
        return report

    def _wait_until(
        self, predicate: Callable[[], bool], timeout: float, report: Callable[[], str]
    ) -> None:
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(report())
                self._changed.wait(min(remaining, 0.1))

    async def _wait_until_async(
        self, predicate: Callable[[], bool], timeout: float, report: Callable[[], str]
    ) -> None:
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                if predicate():
                    return
                if time.monotonic() >= deadline:
                    raise AssertionError(report())
            await asyncio.sleep(0.01)

    # ------------------------------------------------------------------ shared helpers

    def _chat_id(self, ref: ChatRef) -> int:
        if isinstance(ref, Chat | User):
            return ref.id
        if isinstance(ref, str) and not ref.lstrip("-").isdigit():
            for chat in self._chats.values():
                if chat.username and f"@{chat.username}".lower() == ref.lower():
                    return chat.id
            raise KeyError(ref)
        return int(ref)

    def _message_key(self, message: MessageRef) -> tuple[int, int]:
        if isinstance(message, SentMessage):
            return message.chat_id, message.message_id
        return int(message["chat"]["id"]), int(message["message_id"])

    def _next_id(self, chat_id: int) -> int:
        self._last_message_id[chat_id] = self._last_message_id.get(chat_id, 0) + 1
        return self._last_message_id[chat_id]

    def _store_file(
        self,
        kind: str,
        data: bytes,
        file_name: str | None,
        mime_type: str | None,
        *,
        file_id: str | None = None,
        source_url: str | None = None,
    ) -> StoredFile:
        prefix, folder, default_ext, default_mime = _FILE_KINDS[kind]
        n = next(self._file_ids)
        token = base64.urlsafe_b64encode(f"fake-{kind}-{n:08d}".encode()).decode().rstrip("=")
        ext = ""
        if file_name and "." in file_name:
            ext = "." + file_name.rsplit(".", 1)[1]
        stored = StoredFile(
            file_id=file_id or f"{prefix}{token}",
            file_unique_id=f"AgAD{n:06d}",
            file_path=f"{folder}/file_{n}{ext or default_ext}",
            data=data,
            file_name=file_name,
            mime_type=mime_type or default_mime,
            source_url=source_url,
        )
        self._files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored

    @staticmethod
    def _photo_size(stored: StoredFile, width: int, height: int) -> dict[str, Any]:
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.file_size,
            "width": width,
            "height": height,
        }

    def _media_object(
        self, kind: str, stored: StoredFile, params: dict[str, Any]
    ) -> dict[str, Any]:
        base: dict[str, Any] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.file_size,
        }
        if kind == "document":
            if stored.file_name:
                base["file_name"] = stored.file_name
            base["mime_type"] = stored.mime_type
        elif kind == "voice":
            base["duration"] = int(params.get("duration") or 1)
            base["mime_type"] = stored.mime_type
        elif kind == "audio":
            base["duration"] = int(params.get("duration") or 1)
            base["mime_type"] = stored.mime_type
            for key in ("performer", "title"):
                if params.get(key):
                    base[key] = params[key]
            if stored.file_name:
                base["file_name"] = stored.file_name
        elif kind == "sticker":
            base.update(
                {
                    "type": "regular",
                    "width": 512,
                    "height": 512,
                    "is_animated": False,
                    "is_video": False,
                }
            )
            if params.get("emoji"):
                base["emoji"] = params["emoji"]
        return base

    # ------------------------------------------------------------------ method handlers

    def _method_table(self) -> dict[str, Callable[[_Call], Any]]:
        return {
            "getMe": self._m_get_me,
            "logOut": self._m_true,
            "close": self._m_true,
            "getUpdates": self._m_get_updates,
            "setWebhook": self._m_set_webhook,
            "deleteWebhook": self._m_delete_webhook,
            "getWebhookInfo": self._m_get_webhook_info,
            "sendMessage": self._m_send_message,
            "editMessageText": self._m_edit_message_text,
            "editMessageReplyMarkup": self._m_edit_message_reply_markup,
            "deleteMessage": self._m_delete_message,
            "answerCallbackQuery": self._m_answer_callback_query,
            "setMyCommands": self._m_set_my_commands,
            "getMyCommands": self._m_get_my_commands,
            "deleteMyCommands": self._m_delete_my_commands,
            "setMyDescription": self._m_set_my_description,
            "getMyDescription": self._m_get_my_description,
            "setMyShortDescription": self._m_set_my_short_description,
            "getMyShortDescription": self._m_get_my_short_description,
            "setMyName": self._m_set_my_name,
            "getMyName": self._m_get_my_name,
            "setChatMenuButton": self._m_set_chat_menu_button,
            "getChatMenuButton": self._m_get_chat_menu_button,
            "sendChatAction": self._m_send_chat_action,
            "sendDocument": lambda call: self._m_send_media(call, "document"),
            "sendPhoto": lambda call: self._m_send_media(call, "photo"),
            "sendVoice": lambda call: self._m_send_media(call, "voice"),
            "sendAudio": lambda call: self._m_send_media(call, "audio"),
            "sendSticker": lambda call: self._m_send_media(call, "sticker"),
            "getFile": self._m_get_file,
            "copyMessage": self._m_copy_message,
            "forwardMessage": self._m_forward_message,
            "getChat": self._m_get_chat,
            "createForumTopic": self._m_create_forum_topic,
            "editForumTopic": self._m_edit_forum_topic,
            "closeForumTopic": lambda call: self._m_set_topic_closed(call, True),
            "reopenForumTopic": lambda call: self._m_set_topic_closed(call, False),
            "deleteForumTopic": self._m_delete_forum_topic,
        }

    # --- parameter helpers (all run under the lock)

    @staticmethod
    def _int_param(call: _Call, name: str, *, required: bool = False) -> int | None:
        value = call.params.get(name)
        if value is None or value == "":
            if required:
                raise _bad(
                    f"{name} is empty"
                    if name != "message_id"
                    else "message identifier is not specified"
                )
            return None
        try:
            return int(value)
        except (TypeError, ValueError):
            raise _bad(f"invalid {name} specified") from None

    def _chat_param(
        self, call: _Call, name: str = "chat_id", *, check_blocked: bool = True
    ) -> Chat:
        value = call.params.get(name)
        if value is None or value == "":
            raise _bad(f"{name} is empty")
        try:
            chat = self._chats.get(self._chat_id(value))
        except (KeyError, ValueError):
            chat = None
        if chat is None:
            raise _bad("chat not found")
        if check_blocked and chat.id in self._blocked:
            raise ApiError(403, _BLOCKED)
        return chat

    def _thread_param(self, call: _Call, chat: Chat) -> int | None:
        thread_id = self._int_param(call, "message_thread_id")
        if thread_id is None or not chat.is_forum:
            return None
        topic = self._topics.get((chat.id, thread_id))
        if topic is None or topic.is_deleted:
            raise _bad("message thread not found")
        return thread_id

    def _formatted(
        self,
        call: _Call,
        text_key: str,
        entities_key: str,
        *,
        required: bool,
    ) -> tuple[str | None, list[dict[str, Any]] | None]:
        raw = call.params.get(text_key)
        limit = MAX_TEXT_LENGTH if text_key == "text" else MAX_CAPTION_LENGTH
        if raw is None or raw == "":
            if required:
                raise _bad("message text is empty")
            return None, None
        raw = str(raw)
        entities = call.params.get(entities_key)
        if isinstance(entities, str):
            raise _bad(f"can't parse {entities_key} JSON object")
        mode = str(call.params.get("parse_mode") or "").lower()
        text = raw
        if mode == "html":
            try:
                text, entities = parse_html(raw)
            except MarkupError as error:
                raise _bad(f"can't parse entities: {error}") from None
        if required and not text.strip():
            raise _bad("message text is empty")
        if utf16_len(text) > limit:
            raise _bad(
                "message is too long" if text_key == "text" else "message caption is too long"
            )
        return text, entities or None

    def _reply_markup(self, call: _Call) -> dict[str, Any] | None:
        markup = call.params.get("reply_markup")
        if markup is None or markup == "":
            return None
        if not isinstance(markup, dict):
            raise _bad("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise _bad(
                    "can't parse inline keyboard button: InlineKeyboardButton must be an Object"
                )
            for row in rows:
                for button in row:
                    if not isinstance(button, dict) or not button.get("text"):
                        raise _bad(
                            "can't parse inline keyboard button: Text buttons are "
                            "unallowed in the inline keyboard"
                        )
                    data = button.get("callback_data")
                    if data is not None and not (
                        0 < len(str(data).encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES
                    ):
                        raise _bad("BUTTON_DATA_INVALID")
                    if len(button) < 2:
                        raise _bad(
                            "can't parse inline keyboard button: Text buttons are "
                            "unallowed in the inline keyboard"
                        )
        return markup

    def _reply_target(self, call: _Call, chat: Chat) -> dict[str, Any] | None:
        params = call.params.get("reply_parameters")
        if isinstance(params, dict):
            message_id = params.get("message_id")
            allow_missing = bool(params.get("allow_sending_without_reply"))
            target_chat = params.get("chat_id", chat.id)
        else:
            message_id = call.params.get("reply_to_message_id")
            allow_missing = bool(call.params.get("allow_sending_without_reply"))
            target_chat = chat.id
        if message_id in (None, ""):
            return None
        try:
            key = (self._chat_id(target_chat), int(message_id))
        except (KeyError, ValueError, TypeError):
            key = (chat.id, -1)
        replied = self._messages.get(key)
        if replied is None or key in self._deleted:
            if allow_missing:
                return None
            raise _bad("message to be replied not found")
        return replied

    # --- creating bot messages

    def _create_bot_message(
        self,
        call: _Call,
        chat: Chat,
        thread_id: int | None,
        content: dict[str, Any],
        *,
        record_text: str | None,
        stored: StoredFile | None = None,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The common tail of every message-creating method: limits, ids, storage, records."""
        markup = self._reply_markup(call)
        replied = self._reply_target(call, chat)
        if thread_id is None and chat.is_forum and replied and replied.get("is_topic_message"):
            thread_id = replied.get("message_thread_id")  # a reply stays in the replied topic
        self._check_rate_limit(call.method, chat)
        message_id = self._next_id(chat.id)
        message: dict[str, Any] = {
            "message_id": message_id,
            "from": self.bot_user.to_dict(),
            "chat": chat.to_dict(),
            "date": int(time.time()),
        }
        if thread_id is not None:
            message["message_thread_id"] = thread_id
            message["is_topic_message"] = True
        if replied is not None:
            message["reply_to_message"] = _without_reply(replied)
        message.update(extra or {})
        message.update(content)
        if call.params.get("protect_content") is True:
            message["has_protected_content"] = True
        if markup and "inline_keyboard" in markup:
            message["reply_markup"] = markup  # Telegram only echoes inline keyboards
        self._messages[(chat.id, message_id)] = message
        self._accepted[chat.id] += 1
        self._sent.append(
            SentMessage(
                chat_id=chat.id,
                message_thread_id=thread_id,
                message_id=message_id,
                method=call.method,
                text=record_text,
                reply_markup=markup,
                params=call.params,
                timestamp=time.monotonic(),
                message=message,
                file_id=stored.file_id if stored else None,
                file_name=stored.file_name if stored else None,
                file_bytes=stored.data if stored else None,
                mime_type=stored.mime_type if stored else None,
            )
        )
        self._changed.notify_all()
        return dict(message)

    def _m_true(self, call: _Call) -> bool:
        return True

    def _m_get_me(self, call: _Call) -> dict[str, Any]:
        me = self.bot_user.to_dict()
        me.update(
            can_join_groups=True,
            can_read_all_group_messages=False,
            supports_inline_queries=False,
            can_connect_to_business=False,
            has_main_web_app=False,
        )
        return me

    def _m_send_message(self, call: _Call) -> dict[str, Any]:
        chat = self._chat_param(call)
        thread_id = self._thread_param(call, chat)
        text, entities = self._formatted(call, "text", "entities", required=True)
        content: dict[str, Any] = {"text": text}
        if entities:
            content["entities"] = entities
        if isinstance(call.params.get("link_preview_options"), dict):
            content["link_preview_options"] = call.params["link_preview_options"]
        return self._create_bot_message(
            call, chat, thread_id, content, record_text=call.params.get("text")
        )

    def _m_send_media(self, call: _Call, kind: str) -> dict[str, Any]:
        chat = self._chat_param(call)
        thread_id = self._thread_param(call, chat)
        stored = self._input_file(call, kind)
        content: dict[str, Any] = {}
        if kind == "photo":
            content["photo"] = [
                self._photo_size(stored, 90, 90),
                self._photo_size(stored, 1280, 720),
            ]
        else:
            content[kind] = self._media_object(kind, stored, call.params)
        caption = None
        if kind != "sticker":
            caption, entities = self._formatted(call, "caption", "caption_entities", required=False)
            if caption:
                content["caption"] = caption
                if entities:
                    content["caption_entities"] = entities
        return self._create_bot_message(
            call,
            chat,
            thread_id,
            content,
            record_text=call.params.get("caption"),
            stored=stored,
        )

    def _input_file(self, call: _Call, kind: str) -> StoredFile:
        """Resolve an uploaded file, ``attach://`` reference, URL or file_id into a StoredFile."""
        value = call.params.get(kind)
        upload: UploadedFile | None = None
        if value is None and kind in call.files:
            upload = call.files[kind]
        elif isinstance(value, str) and value.startswith("attach://"):
            upload = call.files.get(value[len("attach://") :])
            if upload is None:
                raise _bad(f"there is no {kind} in the request")
        if upload is not None:
            if not upload.data:
                raise _bad("file must be non-empty")
            mime = upload.content_type
            if mime in (None, "", "application/octet-stream") and upload.filename:
                mime = mimetypes.guess_type(upload.filename)[0] or mime
            return self._store_file(kind, upload.data, upload.filename, mime)
        if value is None or value == "":
            raise _bad(f"there is no {kind} in the request")
        value = str(value)
        if value.startswith(("http://", "https://")):
            name = value.rstrip("/").rsplit("/", 1)[-1] or None
            return self._store_file(kind, b"", name, None, source_url=value)
        if value in self._files:
            return self._files[value]
        if self._strict_file_ids:
            raise _bad("wrong file identifier/HTTP URL specified")
        return self._store_file(kind, b"", None, None, file_id=value)

    def _m_get_file(self, call: _Call) -> dict[str, Any]:
        file_id = call.params.get("file_id")
        if not file_id:
            raise _bad("file_id is empty")
        stored = self._files.get(str(file_id))
        if stored is None:
            raise _bad("invalid file_id")
        if stored.file_size > MAX_DOWNLOAD_SIZE:
            raise _bad("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.file_size,
            "file_path": stored.file_path,
        }

    def _m_copy_message(self, call: _Call) -> dict[str, Any]:
        chat, thread_id, source = self._copy_source(call, "copy")
        content = {k: source[k] for k in _CONTENT_KEYS if k in source}
        record_text = source.get("text", source.get("caption"))
        if "caption" in call.params and "text" not in source:
            caption, entities = self._formatted(call, "caption", "caption_entities", required=False)
            content.pop("caption", None)
            content.pop("caption_entities", None)
            if caption:
                content["caption"] = caption
                if entities:
                    content["caption_entities"] = entities
            record_text = call.params.get("caption")
        message = self._create_bot_message(
            call,
            chat,
            thread_id,
            content,
            record_text=record_text,
            stored=self._source_file(source),
        )
        return {"message_id": message["message_id"]}

    def _m_forward_message(self, call: _Call) -> dict[str, Any]:
        chat, thread_id, source = self._copy_source(call, "forward")
        content = {k: source[k] for k in _CONTENT_KEYS if k in source}
        origin = source.get("forward_origin") or {
            "type": "user",
            "sender_user": source.get("from", self.bot_user.to_dict()),
            "date": source.get("date", int(time.time())),
        }
        return self._create_bot_message(
            call,
            chat,
            thread_id,
            content,
            record_text=source.get("text", source.get("caption")),
            stored=self._source_file(source),
            extra={"forward_origin": origin},
        )

    def _copy_source(self, call: _Call, verb: str) -> tuple[Chat, int | None, dict[str, Any]]:
        chat = self._chat_param(call)
        thread_id = self._thread_param(call, chat)
        source_chat = self._chat_param(call, "from_chat_id", check_blocked=False)
        message_id = self._int_param(call, "message_id", required=True)
        key = (source_chat.id, message_id or 0)
        source = self._messages.get(key)
        if source is None or key in self._deleted:
            raise _bad(f"message to {verb} not found")
        if not any(k in source for k in _CONTENT_KEYS):
            raise _bad(
                "message can't be copied" if verb == "copy" else "message can't be forwarded"
            )
        return chat, thread_id, source

    def _source_file(self, message: dict[str, Any]) -> StoredFile | None:
        if message.get("photo"):
            return self._files.get(message["photo"][-1]["file_id"])
        for key in _MEDIA_KEYS:
            if key in message:
                return self._files.get(message[key]["file_id"])
        return None

    def _editable(self, call: _Call) -> tuple[Chat, tuple[int, int], dict[str, Any]]:
        chat = self._chat_param(call)
        message_id = self._int_param(call, "message_id", required=True)
        key = (chat.id, message_id or 0)
        message = self._messages.get(key)
        if message is None or key in self._deleted:
            raise _bad("message to edit not found")
        if message.get("from", {}).get("id") != self.bot_user.id:
            raise _bad("message can't be edited")
        return chat, key, message

    def _store_edit(
        self,
        call: _Call,
        chat: Chat,
        key: tuple[int, int],
        edited: dict[str, Any],
        record_text: str | None,
        markup: dict[str, Any] | None,
    ) -> dict[str, Any]:
        edited["edit_date"] = int(time.time())
        self._messages[key] = edited
        self._edits.append(
            SentMessage(
                chat_id=chat.id,
                message_thread_id=edited.get("message_thread_id"),
                message_id=key[1],
                method=call.method,
                text=record_text,
                reply_markup=markup,
                params=call.params,
                timestamp=time.monotonic(),
                message=edited,
            )
        )
        self._changed.notify_all()
        return dict(edited)

    def _m_edit_message_text(self, call: _Call) -> dict[str, Any] | bool:
        if call.params.get("inline_message_id"):
            self._formatted(call, "text", "entities", required=True)
            return True
        chat, key, message = self._editable(call)
        if "text" not in message:
            raise _bad("there is no text in the message to edit")
        text, entities = self._formatted(call, "text", "entities", required=True)
        markup = self._reply_markup(call)
        edited = dict(message)
        edited["text"] = text
        _set_or_pop(edited, "entities", entities)
        _set_or_pop(
            edited, "reply_markup", markup if markup and "inline_keyboard" in markup else None
        )
        if all(edited.get(k) == message.get(k) for k in ("text", "entities", "reply_markup")):
            raise _bad(_NOT_MODIFIED.removeprefix("Bad Request: "))
        self._check_rate_limit(call.method, chat)
        return self._store_edit(call, chat, key, edited, call.params.get("text"), markup)

    def _m_edit_message_reply_markup(self, call: _Call) -> dict[str, Any] | bool:
        if call.params.get("inline_message_id"):
            self._reply_markup(call)
            return True
        chat, key, message = self._editable(call)
        markup = self._reply_markup(call)
        edited = dict(message)
        _set_or_pop(
            edited, "reply_markup", markup if markup and "inline_keyboard" in markup else None
        )
        if edited.get("reply_markup") == message.get("reply_markup"):
            raise _bad(_NOT_MODIFIED.removeprefix("Bad Request: "))
        self._check_rate_limit(call.method, chat)
        return self._store_edit(
            call, chat, key, edited, message.get("text", message.get("caption")), markup
        )

    def _m_delete_message(self, call: _Call) -> bool:
        chat = self._chat_param(call)
        message_id = self._int_param(call, "message_id", required=True)
        key = (chat.id, message_id or 0)
        if key not in self._messages or key in self._deleted:
            raise _bad("message to delete not found")
        self._deleted.add(key)
        self._changed.notify_all()
        return True

    def _m_answer_callback_query(self, call: _Call) -> bool:
        query_id = str(call.params.get("callback_query_id") or "")
        if query_id not in self._callback_queries or query_id in self._callback_answers:
            raise _bad("query is too old and response timeout expired or query ID is invalid")
        self._callback_answers[query_id] = dict(call.params)
        self._changed.notify_all()
        return True

    def _m_send_chat_action(self, call: _Call) -> bool:
        chat = self._chat_param(call)
        self._thread_param(call, chat)
        if call.params.get("action") not in _CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        return True

    def _m_get_chat(self, call: _Call) -> dict[str, Any]:
        chat = self._chat_param(call)
        info = chat.to_dict()
        info.update(
            accent_color_id=0,
            max_reaction_count=11,
            accepted_gift_types={
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        )
        return info

    # --- commands, descriptions, menu button

    def _scope_key(self, scope: Any) -> str:
        if scope in (None, ""):
            scope = {"type": "default"}
        if not isinstance(scope, dict) or scope.get("type") not in _SCOPE_TYPES:
            raise _bad("can't parse BotCommandScope JSON object")
        normalized: dict[str, Any] = {"type": scope["type"]}
        if "chat_id" in scope:
            try:
                normalized["chat_id"] = self._chat_id(scope["chat_id"])
            except (KeyError, ValueError):
                raise _bad("chat not found") from None
        if "user_id" in scope:
            normalized["user_id"] = int(scope["user_id"])
        return json.dumps(normalized, sort_keys=True)

    @staticmethod
    def _language(call: _Call) -> str:
        code = str(call.params.get("language_code") or "")
        if code and not re.fullmatch(r"[a-z]{2}", code):
            raise _bad("invalid language code specified")
        return code

    def _m_set_my_commands(self, call: _Call) -> bool:
        commands = call.params.get("commands")
        if not isinstance(commands, list):
            raise _bad("can't parse commands JSON object")
        if len(commands) > 100:
            raise _bad("BOT_COMMANDS_TOO_MUCH")
        cleaned = []
        for command in commands:
            if not isinstance(command, dict):
                raise _bad("can't parse BotCommand JSON object")
            name = str(command.get("command", ""))
            description = str(command.get("description", ""))
            if not _COMMAND_RE.match(name):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise _bad("command description must be non-empty")
            cleaned.append({"command": name, "description": description})
        key = (self._scope_key(call.params.get("scope")), self._language(call))
        if cleaned:
            self._commands[key] = cleaned
        else:
            self._commands.pop(key, None)
        return True

    def _m_get_my_commands(self, call: _Call) -> list[dict[str, Any]]:
        key = (self._scope_key(call.params.get("scope")), self._language(call))
        return [dict(c) for c in self._commands.get(key, [])]

    def _m_delete_my_commands(self, call: _Call) -> bool:
        key = (self._scope_key(call.params.get("scope")), self._language(call))
        self._commands.pop(key, None)
        return True

    def _set_text_setting(self, call: _Call, store: dict[str, str], key: str, limit: int) -> bool:
        value = str(call.params.get(key) or "")
        if len(value) > limit:
            raise _bad(f"{key} is too long")
        language = self._language(call)
        if value:
            store[language] = value
        else:
            store.pop(language, None)
        return True

    def _m_set_my_description(self, call: _Call) -> bool:
        return self._set_text_setting(call, self._descriptions, "description", 512)

    def _m_get_my_description(self, call: _Call) -> dict[str, str]:
        return {"description": self._descriptions.get(self._language(call), "")}

    def _m_set_my_short_description(self, call: _Call) -> bool:
        return self._set_text_setting(call, self._short_descriptions, "short_description", 120)

    def _m_get_my_short_description(self, call: _Call) -> dict[str, str]:
        return {"short_description": self._short_descriptions.get(self._language(call), "")}

    def _m_set_my_name(self, call: _Call) -> bool:
        return self._set_text_setting(call, self._names, "name", 64)

    def _m_get_my_name(self, call: _Call) -> dict[str, str]:
        return {"name": self._names.get(self._language(call), self.bot_user.first_name)}

    def _menu_button_for(self, chat_id: int | None) -> dict[str, Any]:
        if chat_id is not None and chat_id in self._menu_buttons:
            return self._menu_buttons[chat_id]
        return self._menu_buttons.get(None, {"type": "commands"})

    def _m_set_chat_menu_button(self, call: _Call) -> bool:
        chat_id = self._chat_param(call).id if call.params.get("chat_id") else None
        button = call.params.get("menu_button") or {"type": "default"}
        if not isinstance(button, dict) or button.get("type") not in (
            "commands",
            "web_app",
            "default",
        ):
            raise _bad("can't parse MenuButton JSON object")
        if button["type"] == "default":
            self._menu_buttons.pop(chat_id, None)
        else:
            self._menu_buttons[chat_id] = button
        return True

    def _m_get_chat_menu_button(self, call: _Call) -> dict[str, Any]:
        chat_id = self._chat_param(call).id if call.params.get("chat_id") else None
        return dict(self._menu_button_for(chat_id))

    # --- forum topics

    def _forum_param(self, call: _Call) -> Chat:
        chat = self._chat_param(call)
        if not chat.is_forum:
            raise _bad("the chat is not a forum")
        return chat

    def _topic_param(self, call: _Call) -> tuple[Chat, ForumTopic]:
        chat = self._forum_param(call)
        thread_id = self._int_param(call, "message_thread_id", required=True)
        topic = self._topics.get((chat.id, thread_id or 0))
        if topic is None or topic.is_deleted:
            raise _bad("message thread not found")
        return chat, topic

    def _m_create_forum_topic(self, call: _Call) -> dict[str, Any]:
        chat = self._forum_param(call)
        name = str(call.params.get("name") or "")
        if not name:
            raise _bad("TOPIC_TITLE_EMPTY")
        if len(name) > 128:
            raise _bad("TOPIC_TITLE_TOO_LONG")
        icon_color = self._int_param(call, "icon_color") or 7322096
        topic, _message = self._open_topic(
            chat,
            name,
            icon_color,
            call.params.get("icon_custom_emoji_id") or None,
            self.bot_user,
        )
        self._changed.notify_all()
        return topic.to_dict()

    def _m_edit_forum_topic(self, call: _Call) -> bool:
        chat, topic = self._topic_param(call)
        changes: dict[str, Any] = {}
        if call.params.get("name"):
            changes["name"] = str(call.params["name"])
        if "icon_custom_emoji_id" in call.params:
            changes["icon_custom_emoji_id"] = call.params["icon_custom_emoji_id"] or None
        updated = replace(topic, **changes)
        if updated == topic:
            raise _bad("TOPIC_NOT_MODIFIED")
        self._topics[(chat.id, topic.message_thread_id)] = updated
        return True

    def _m_set_topic_closed(self, call: _Call, closed: bool) -> bool:
        chat, topic = self._topic_param(call)
        if topic.is_closed == closed:
            raise _bad("TOPIC_NOT_MODIFIED")
        self._topics[(chat.id, topic.message_thread_id)] = replace(topic, is_closed=closed)
        return True

    def _m_delete_forum_topic(self, call: _Call) -> bool:
        chat, topic = self._topic_param(call)
        self._topics[(chat.id, topic.message_thread_id)] = replace(topic, is_deleted=True)
        return True

    # --- updates: polling

    def _allowed(self, update: dict[str, Any], allowed: frozenset[str] | None) -> bool:
        kind = next((k for k in update if k != "update_id"), "")
        if not allowed:
            return kind not in OPT_IN_UPDATE_TYPES
        return kind in allowed

    def _confirm(self, offset: int) -> None:
        if offset > 0:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
        elif offset < 0:
            self._pending = self._pending[offset:]
        self._changed.notify_all()

    def _webhook_active(self) -> bool:
        return self._webhook is not None and self._webhook_delivery

    async def _m_get_updates(self, call: _Call) -> list[dict[str, Any]]:
        """Long polling as Telegram does it: ``offset`` confirms (drops) earlier updates, the
        request waits up to ``timeout`` seconds for one, and a newer getUpdates request ends an
        older one with 409."""
        with self._lock:
            offset = self._int_param(call, "offset") or 0
            limit = min(max(self._int_param(call, "limit") or 100, 1), 100)
            try:
                timeout = max(float(call.params.get("timeout") or 0), 0.0)
            except (TypeError, ValueError):
                raise _bad("invalid timeout specified") from None
            if self._webhook_active():
                raise ApiError(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; "
                    "use deleteWebhook to delete the webhook first",
                )
            if "allowed_updates" in call.params:
                allowed = call.params["allowed_updates"]
                if not isinstance(allowed, list):
                    raise _bad("can't parse allowed_updates JSON object")
                self._allowed_updates = frozenset(str(a) for a in allowed) or None
            self._confirm(offset)
            self._poll_generation += 1
            generation = self._poll_generation
        self._on_wake()  # an older long poll must notice it has been superseded
        deadline = time.monotonic() + timeout
        while True:
            waiter = self._new_waiter()
            with self._lock:
                if generation != self._poll_generation:
                    self._waiters.discard(waiter)
                    raise ApiError(
                        409,
                        "Conflict: terminated by other getUpdates request; make sure that only "
                        "one bot instance is running",
                    )
                batch = list(itertools.islice(
                    (u for u in self._pending if self._allowed(u, self._allowed_updates)),
                    limit))
                batch = [json.loads(json.dumps(u)) for u in batch]
                self._update_deliveries.update(u["update_id"] for u in batch)
            remaining = deadline - time.monotonic()
            if batch or remaining <= 0 or self._closing.is_set():
                self._waiters.discard(waiter)
                return batch
            await self._await_waiter(waiter, remaining)

    # --- updates: webhook

    def _m_set_webhook(self, call: _Call) -> bool:
        url = str(call.params.get("url") or "")
        if not url:
            return self._m_delete_webhook(call)
        if not url.startswith(("http://", "https://")):
            raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
        secret = call.params.get("secret_token")
        if secret is not None and not _SECRET_TOKEN_RE.match(str(secret)):
            raise _bad("secret token contains unallowed characters")
        if call.params.get("drop_pending_updates") is True:
            self._pending.clear()
        if "allowed_updates" in call.params:
            allowed = call.params["allowed_updates"]
            self._allowed_updates = frozenset(allowed) if allowed else None
        self._webhook = {
            "url": url,
            "secret_token": str(secret) if secret is not None else None,
            "max_connections": self._int_param(call, "max_connections") or 40,
        }
        self._webhook_last_error = None
        call.description = "Webhook was set"
        self._changed.notify_all()
        self._on_wake()
        return True

    def _m_delete_webhook(self, call: _Call) -> bool:
        call.description = "Webhook was deleted" if self._webhook else "Webhook is already deleted"
        self._webhook = None
        if call.params.get("drop_pending_updates") is True:
            self._pending.clear()
        self._changed.notify_all()
        return True

    def _m_get_webhook_info(self, call: _Call) -> dict[str, Any]:
        pending = [u for u in self._pending if self._allowed(u, self._allowed_updates)]
        info: dict[str, Any] = {
            "url": self._webhook["url"] if self._webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(pending),
        }
        if self._webhook:
            info["max_connections"] = self._webhook["max_connections"]
            info["ip_address"] = "127.0.0.1"
            if self._allowed_updates:
                info["allowed_updates"] = sorted(self._allowed_updates)
        if self._webhook_last_error:
            info["last_error_date"], info["last_error_message"] = self._webhook_last_error
        return info

    async def _webhook_worker(self) -> None:
        """Push pending updates to the webhook as Telegram does: up to ``max_connections`` at
        once, but one chat's updates one at a time and in order (the next only once the
        webhook answered the previous one), each with retries."""
        in_flight: dict[int, asyncio.Task[None]] = {}  # update_id → its delivery
        busy: dict[int, int] = {}  # update_id → the chat it holds
        while not self._closing.is_set():
            waiter = self._new_waiter()
            started = False
            with self._lock:
                webhook = dict(self._webhook) if self._webhook and self._webhook_delivery else None
                if webhook is not None:
                    allowed = self._allowed_updates
                    # Updates the bot did not ask for are dropped, as Telegram never sends them.
                    self._pending = [u for u in self._pending if self._allowed(u, allowed)]
                    room = int(webhook.get("max_connections") or 40) - len(in_flight)
                    held = set(busy.values())
                    for update in self._pending:
                        if room <= 0:
                            break
                        chat = _update_chat(update)
                        if update["update_id"] in in_flight or chat in held:
                            held.add(chat)  # a later update of a waiting chat waits too
                            continue
                        held.add(chat)
                        busy[update["update_id"]] = chat
                        in_flight[update["update_id"]] = asyncio.create_task(
                            self._deliver(update, webhook))
                        room -= 1
                        started = True
            if started:
                self._waiters.discard(waiter)
                continue
            done_or_woken = [waiter, *in_flight.values()]
            await asyncio.wait(done_or_woken, return_when=asyncio.FIRST_COMPLETED)
            self._waiters.discard(waiter)
            for update_id, task in list(in_flight.items()):
                if task.done():
                    del in_flight[update_id]
                    busy.pop(update_id, None)
        for task in in_flight.values():
            task.cancel()

    async def _deliver(self, update: dict[str, Any], webhook: dict[str, Any]) -> None:
        assert self._http is not None
        headers = {"Content-Type": "application/json"}
        if webhook.get("secret_token"):
            headers["X-Telegram-Bot-Api-Secret-Token"] = webhook["secret_token"]
        attempts, status, error, delivered = 0, None, None, False
        while attempts < self._webhook_max_attempts and not self._closing.is_set():
            attempts += 1
            try:
                response = await self._http.post(
                    webhook["url"], content=json.dumps(update), headers=headers
                )
                status = response.status_code
                if 200 <= status < 300:
                    delivered, error = True, None
                    break
                error = f"Wrong response from the webhook: {status} {response.reason_phrase}"
            except httpx.HTTPError as exc:
                status, error = None, f"Connection failed: {exc!r}"
            with self._lock:  # getWebhookInfo keeps reporting it, as Telegram does
                self._webhook_last_error = (int(time.time()), error)
            await self._sleep_unless_closing(self._webhook_retry_delay * attempts)
        with self._lock:
            self._pending = [u for u in self._pending if u["update_id"] != update["update_id"]]
            self._deliveries.append(
                WebhookDelivery(
                    update_id=update["update_id"],
                    url=webhook["url"],
                    attempts=attempts,
                    status=status,
                    delivered=delivered,
                    timestamp=time.monotonic(),
                    error=error,
                )
            )
            self._changed.notify_all()

    # ------------------------------------------------------------------ control endpoints

    async def _handle_control(self, request: Request) -> Response:
        """A small HTTP control surface so the standalone server can be driven from another
        process (benchmarks): create users, inject messages/presses, read what the bot sent."""
        action = request.path_params["action"]
        data: dict[str, Any] = dict(request.query_params)
        if request.method == "POST":
            body = await request.body()
            if body.strip():
                data.update(json.loads(body))
        try:
            result = self._control(action, data)
        except (KeyError, ValueError, TypeError) as exc:
            return JSONResponse({"ok": False, "description": repr(exc)}, status_code=400)
        return JSONResponse({"ok": True, "result": result})

    def _control(self, action: str, data: dict[str, Any]) -> Any:
        if action == "create_user":
            return asdict(
                self.create_user(
                    data.get("first_name", "Test"),
                    username=data.get("username"),
                    language_code=data.get("language_code", "en"),
                )
            )
        if action == "send_text":
            user = self._users[int(data["user_id"])]
            return self.send_text(
                user,
                data["text"],
                data.get("chat_id"),
                int(data["message_thread_id"]) if data.get("message_thread_id") else None,
            )
        if action == "press_button":
            user = self._users[int(data["user_id"])]
            message = {"chat": {"id": int(data["chat_id"])}, "message_id": int(data["message_id"])}
            return self.press_button(user, message, data["callback_data"])
        if action == "inject_update":
            return self.inject_update(data)
        if action == "sent_messages":
            chat_id = data.get("chat_id")
            return [
                {k: v for k, v in asdict(m).items() if k != "file_bytes"}
                for m in self.sent_messages(int(chat_id) if chat_id else None)
            ]
        if action == "stats":
            return {
                "accepted": self.messages_accepted_by_chat(),
                "rate_limited": self.rate_limited_count,
                "faults": self.fault_counts,
                "calls": len(self.calls()),
            }
        raise KeyError(f"unknown control action {action!r}")


def _without_reply(message: dict[str, Any]) -> dict[str, Any]:
    """Telegram does not nest ``reply_to_message`` more than one level."""
    return {k: v for k, v in message.items() if k != "reply_to_message"}


def _set_or_pop(target: dict[str, Any], key: str, value: Any) -> None:
    if value:
        target[key] = value
    else:
        target.pop(key, None)


def _param_chat(params: dict[str, Any]) -> Any:
    return params.get("chat_id")


def _update_chat(update: dict[str, Any]) -> int:
    """The chat an update belongs to (Telegram delivers one chat's updates in order)."""
    for kind in ("message", "edited_message", "channel_post", "edited_channel_post"):
        if isinstance(update.get(kind), dict):
            return int(update[kind]["chat"]["id"])
    query = update.get("callback_query")
    if isinstance(query, dict):
        message = query.get("message")
        if isinstance(message, dict):
            return int(message["chat"]["id"])
        return int(query["from"]["id"])
    return 0
