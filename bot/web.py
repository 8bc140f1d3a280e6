"""The web side of Werkmaat in one FastAPI app: the web chat, the counselor page, the webhook.

The web chat needs no account: a random, unguessable cookie is the client's identity on this
channel, and the conversation state lives in the case store like any other channel's.
"""

from __future__ import annotations

import asyncio
import base64
import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field

from bot.composition import Werkmaat
from bot.dashboard.app import install_dashboard
from bot.dashboard.pages import DashboardServices, Deliver
from bot.health import install_health
from bot.speech import Speech
from bot.web_outbox import WebChatOutbox
from dialogues import ChannelName, ClientKey, Incoming, Outgoing
from dialogues.channel import AlertSink, Channel, CollectingChannel
from dialogues.engine import utcnow
from dialogues.i18n import Translator
from dialogues.ids import MAX_ID
from dialogues.languages import from_locale_hint

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
COOKIE = "werkmaat_chat"
COOKIE_MAX_AGE = 30 * 24 * 3600
MAX_TEXT = 20_000


class ChatInput(BaseModel):
    text: str = Field(default="", max_length=MAX_TEXT)
    payload: str = Field(default="", max_length=200)
    start: bool = False


@dataclass
class WebButton:
    label: str
    payload: str


@dataclass
class WebMessage:
    text: str
    lang: str
    dir: str
    buttons: list[list[WebButton]]
    audio: str = ""  # a data: URI with the voice note, when one was asked for
    file: str = ""  # a data: URI with a file for the client (their data export)
    file_name: str = ""


def to_web(message: Outgoing, speech: Speech | None = None) -> WebMessage:
    audio = ""
    text = message.text
    if message.voice:
        ogg = speech.synthesize(message.voice, message.language) if speech else None
        if ogg:
            audio = "data:audio/ogg;base64," + base64.b64encode(ogg).decode("ascii")
        else:
            text = message.voice
    file = file_name = ""
    if message.attachment is not None:
        file = (f"data:{message.attachment.mime_type};base64,"
                + base64.b64encode(message.attachment.content).decode("ascii"))
        file_name = message.attachment.filename
    return WebMessage(text, message.language, "rtl" if message.rtl else "ltr",
                      [[WebButton(b.label, b.payload) for b in row] for row in message.buttons],
                      audio, file, file_name)


HandleUpdate = Callable[[Any], Awaitable[None]]


def create_app(werkmaat: Werkmaat, alerts: AlertSink | None = None,
               telegram_updates: HandleUpdate | None = None,
               telegram_bot: Any = None, dashboard: DashboardServices | None = None) -> FastAPI:
    """The ASGI app; Telegram's webhook route exists only when `telegram_updates` is given.

    The webhook answers 200 only once the update was handled (the turn committed, its replies
    sent): a crash before that makes Telegram deliver it again, and the engine recognises a
    message delivered again, so nothing is lost and nothing changes twice.

    `dashboard` wires the counselors' pages to the live channels and the dispatcher; without
    it, replies reach web chat clients only (tests, and a Werkmaat without Telegram).
    """
    app = FastAPI(title="Werkmaat", docs_url=None, redoc_url=None, openapi_url=None)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.exception_handler(RequestValidationError)
    async def refused(request: Request, exc: RequestValidationError) -> Response:
        """422 with where and why, never the input itself (it may not even be printable)."""
        errors = [{"loc": [str(x) for x in e.get("loc", ())], "msg": str(e.get("msg", "")),
                   "type": str(e.get("type", ""))} for e in exc.errors()]
        return JSONResponse({"detail": errors}, status_code=422)
    settings = werkmaat.settings

    @app.get("/", include_in_schema=False)
    async def home() -> RedirectResponse:
        return RedirectResponse("/chat")

    install_health(app, werkmaat.database, werkmaat.metrics)

    @app.get("/chat", response_class=HTMLResponse)
    async def chat_page(request: Request) -> Response:
        token = request.cookies.get(COOKIE)
        code = await asyncio.to_thread(_client_language, werkmaat, token, request)
        tr = Translator(code, settings.timezone)
        response = templates.TemplateResponse(request, "chat.html", {
            "programme": settings.programme_name, "_": tr.gettext, "lang": code,
            "dir": "rtl" if tr.rtl else "ltr"})
        if not _valid_token(request.cookies.get(COOKIE)):
            _set_cookie(response, request, secrets.token_urlsafe(24))
        return response

    @app.post("/chat/api/messages")
    async def chat_message(body: ChatInput, request: Request) -> Response:
        token = request.cookies.get(COOKIE)
        new_token = None
        if not _valid_token(token):
            token = new_token = secrets.token_urlsafe(24)
        assert token is not None
        key = ClientKey(ChannelName.WEB, token)
        hint = request.headers.get("accept-language", "").split(",", 1)[0]
        if body.payload:
            incoming = Incoming.button(key, body.payload, locale_hint=hint)
        elif body.start:
            incoming = Incoming.typed(key, "/start", locale_hint=hint)
        else:
            incoming = Incoming.typed(key, body.text, locale_hint=hint)
        sink = CollectingChannel()
        await werkmaat.engine.receive(incoming, sink, alerts)
        web = await asyncio.to_thread(lambda: [asdict(to_web(m, werkmaat.speech))
                                                for _, m in sink.sent])
        response = JSONResponse({"messages": web})
        if new_token:
            _set_cookie(response, request, new_token)
        return response

    outbox = WebChatOutbox(werkmaat.database)

    @app.get("/chat/api/updates")
    async def chat_updates(request: Request, after: int = 0) -> Response:
        """What a counselor wrote since `after`: the page asks every few seconds."""
        token = request.cookies.get(COOKIE)
        if not _valid_token(token):
            return JSONResponse({"messages": [], "last": min(max(after, 0), MAX_ID)})
        assert token is not None
        after = min(max(after, 0), MAX_ID)  # beyond any id: nothing newer, never an error
        waiting = await asyncio.to_thread(outbox.waiting, token, after)
        messages = [asdict(WebMessage(m.text, m.language, "rtl" if m.rtl else "ltr",
                                      [[WebButton(label, payload) for label, payload in row]
                                       for row in m.buttons]))
                    for m in waiting]
        return JSONResponse({"messages": messages,
                             "last": waiting[-1].id if waiting else max(after, 0)})

    install_dashboard(app, dashboard or DashboardServices(
        werkmaat.database, settings, utcnow, deliver=channel_delivery({ChannelName.WEB: outbox})))

    if telegram_updates is not None:
        secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else ""

        @app.post("/telegram/webhook")
        async def telegram_webhook(request: Request) -> Response:
            given = request.headers.get("x-telegram-bot-api-secret-token", "")
            if not secret or not hmac.compare_digest(given, secret):
                return Response(status_code=403)
            from telegram import Update

            try:
                update = Update.de_json(await request.json(), telegram_bot)
            except Exception:
                log.warning("unreadable webhook body refused")
                return Response(status_code=400)
            await telegram_updates(update)
            return Response(status_code=200)

    return app


def channel_delivery(channels: Mapping[ChannelName, Channel]) -> Deliver:
    """Deliver to a client on whichever of these channels they use."""

    async def deliver(key: ClientKey, message: Outgoing) -> bool:
        channel = channels.get(key.channel)
        if channel is None:
            log.info("a %s client has no live channel; the message waits in their case",
                     key.channel.value)
            return False
        return await channel.send(key, message)

    return deliver


def _client_language(werkmaat: Werkmaat, token: str | None, request: Request) -> str:
    """The page's own words follow the client's chosen language, else their browser's."""
    if _valid_token(token):
        assert token is not None
        with werkmaat.database() as uow:
            client = uow.clients.by_identity(ChannelName.WEB.value, token)
        if client is not None:
            return client.language
    hint = request.headers.get("accept-language", "").split(",", 1)[0]
    return from_locale_hint(hint) or "nl"


def _valid_token(token: str | None) -> bool:
    return bool(token) and 20 <= len(token or "") <= 64 and all(
        c.isalnum() or c in "-_" for c in token or "")


def _set_cookie(response: Response, request: Request, token: str) -> None:
    response.set_cookie(COOKIE, token, max_age=COOKIE_MAX_AGE, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https")
