"""What every dashboard page shares: who is logged in, their language, CSRF, rendering.

Pages are server-rendered Jinja2; forms post back and redirect (no JavaScript needed), so
they work with a keyboard, a screen reader and a phone. Every form carries the session's CSRF
token, and every page is sent with headers that forbid framing, inline scripts and caching.
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from babel.dates import format_timedelta
from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from bot.dashboard.logins import StaffLogins, StaffUser
from bot.settings import Settings
from dialogues import ClientKey, Outgoing
from dialogues.appointments import Actor
from dialogues.i18n import Translator
from dialogues.languages import language as language_info
from dialogues.settings import DialogueSettings
from storage.sql import Database
from storage.sql.dashboard_reads import DashboardReads

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
SESSION_COOKIE = "werkmaat_staff"
LANGUAGE_COOKIE = "werkmaat_staff_lang"
DASHBOARD_LANGUAGES = ("nl", "en")
DOMAIN = "dashboard"

Deliver = Callable[[ClientKey, Outgoing], Awaitable[bool]]


class LoginRequired(Exception):
    """No (live) session: the visitor is sent to the login page."""


class NotFound(Exception):
    """What does not exist and what this user may not see look the same: nothing leaks."""


class BadForm(Exception):
    """A form without the right CSRF token, or from another site."""


async def _nowhere(key: ClientKey, message: Outgoing) -> bool:
    return False


async def _nobody(client_id: int, text: str) -> None:
    return None


@dataclass
class DashboardServices:
    """What the dashboard needs from the rest of Werkmaat, given by the composition root."""

    database: Database
    settings: Settings
    clock: Callable[[], datetime]
    deliver: Deliver = _nowhere  # a message to a client, on their channel
    wake: Callable[[], None] = lambda: None  # new scheduled messages: the dispatcher looks now
    # what a counselor did here, told where colleagues also work (the client's Telegram topic)
    notify: Callable[[int, str], Awaitable[None]] = _nobody
    reads: DashboardReads = field(init=False)
    logins: StaffLogins = field(init=False)

    def __post_init__(self) -> None:
        self.reads = DashboardReads(self.database)
        self.logins = StaffLogins(self.database, self.clock)

    def dialogue_settings(self, code: str) -> DialogueSettings:
        """The dialogue settings with the page's language for the counselors' notes."""
        return replace(self.settings.dialogue, staff_language=code)


@dataclass
class Page:
    """One request's view of the dashboard: the user, their language and a translator."""

    request: Request
    user: StaffUser | None
    lang: str
    tr: Translator

    def _(self, message: str) -> str:
        return self.tr.gettext(message)

    @property
    def actor(self) -> Actor:
        assert self.user is not None
        counselor = self.user.counselor
        return Actor(self.user.label, counselor.name.split()[0] if counselor.name.strip()
                     else counselor.name, counselor.id)


class Pages:
    def __init__(self, services: DashboardServices) -> None:
        self.services = services
        self.templates = Jinja2Templates(directory=str(TEMPLATES))
        self.templates.env.globals.update(text_dir=text_dir, lang_name=lang_name)

    # ---- who and which language ------------------------------------------------------------

    def language(self, request: Request) -> str:
        chosen = request.cookies.get(LANGUAGE_COOKIE, "")
        if chosen in DASHBOARD_LANGUAGES:
            return chosen
        staff = self.services.settings.dialogue.staff_language
        return staff if staff in DASHBOARD_LANGUAGES else "nl"

    def page(self, request: Request, user: StaffUser | None) -> Page:
        code = self.language(request)
        return Page(request, user, code,
                    Translator(code, self.services.settings.timezone, domain=DOMAIN))

    async def user(self, request: Request) -> StaffUser:
        """The logged-in user, or LoginRequired."""
        user = await asyncio.to_thread(self.services.logins.current,
                                       request.cookies.get(SESSION_COOKIE))
        if user is None:
            raise LoginRequired()
        return user

    async def form(self, request: Request, user: StaffUser) -> dict[str, str]:
        """A posted form, after checking its CSRF token and where it came from."""
        origin = request.headers.get("origin")
        if origin and urlsplit(origin).netloc != request.url.netloc:
            raise BadForm()
        data = await request.form()
        fields = {k: v for k, v in data.items() if isinstance(v, str)}
        if not hmac.compare_digest(fields.get("csrf", ""), user.csrf_token):
            raise BadForm()
        return fields

    # ---- rendering --------------------------------------------------------------------------

    async def show(self, page: Page, template: str, status_code: int = 200, **values: Any
                   ) -> HTMLResponse:
        """Render a page for a logged-in user, with the queue's count for the navigation."""
        counts = (await asyncio.to_thread(self.services.reads.queue_counts) if page.user
                  else (0, 0))
        return self.render(page, template, status_code, queue_counts=counts, **values)

    def render(self, page: Page, template: str, status_code: int = 200, **values: Any
               ) -> HTMLResponse:
        tr = page.tr
        flash = page.request.query_params.get("note", "")
        context = {
            "_": tr.gettext, "ngettext": tr.ngettext, "lang": page.lang, "user": page.user,
            "csrf": page.user.csrf_token if page.user else "",
            "programme": self.services.settings.programme_name,
            "path": page.request.url.path, "note": flash[:500],
            "when": lambda moment: _when(tr, moment),
            "day": lambda moment: tr.date(moment) if moment else "—",
            "ago": lambda moment: _ago(tr, self.services.clock(), moment),
            "queue_counts": (0, 0),
            **values,
        }
        return self.templates.TemplateResponse(page.request, f"dashboard/{template}", context,
                                               status_code=status_code)


def see_other(url: str, note: str = "") -> RedirectResponse:
    """After a form: back to a page (with a note to show once)."""
    if note:
        url += ("&" if "?" in url else "?") + "note=" + quote(note[:400])
    return RedirectResponse(url, status_code=303)


def login_redirect(request: Request) -> Response:
    target = request.url.path
    if request.url.query and request.method == "GET":
        target += "?" + request.url.query
    return RedirectResponse("/dashboard/login?next=" + quote(target), status_code=303)


def safe_next(target: str) -> str:
    """Only our own pages after logging in: never an open redirect."""
    if target.startswith("/dashboard") and not target.startswith("//") and "\\" not in target:
        return target
    return "/dashboard"


def text_dir(code: str) -> str:
    try:
        return "rtl" if language_info(code).rtl else "ltr"
    except KeyError:
        return "auto"


def lang_name(code: str) -> str:
    try:
        return language_info(code).native_name
    except KeyError:
        return code


def _when(tr: Translator, moment: datetime | None) -> str:
    if moment is None:
        return "—"
    local = moment.astimezone(tr.tz)
    return local.strftime("%d/%m/%Y %H:%M")


def _ago(tr: Translator, now: datetime, moment: datetime | None) -> str:
    if moment is None:
        return "—"
    return format_timedelta(moment - now, add_direction=True, locale=tr.locale,
                            threshold=1.1)
