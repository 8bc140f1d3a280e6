"""Logging in and out, and the page language (Dutch or English)."""

from __future__ import annotations

import asyncio
import hmac
import secrets

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from bot.dashboard.logins import IDLE_TIMEOUT, MAX_AGE
from bot.dashboard.pages import (
    DASHBOARD_LANGUAGES,
    LANGUAGE_COOKIE,
    SESSION_COOKIE,
    Pages,
    safe_next,
    see_other,
)

LOGIN_CSRF_COOKIE = "werkmaat_login_csrf"


def auth_routes(pages: Pages) -> APIRouter:
    router = APIRouter()
    logins = pages.services.logins

    @router.get("/dashboard/login")
    async def login_page(request: Request, next: str = "/dashboard") -> Response:
        return _login_form(pages, request, safe_next(next))

    @router.post("/dashboard/login")
    async def log_in(request: Request) -> Response:
        form = await request.form()
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        target = safe_next(fields.get("next", "/dashboard"))
        expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
        if not expected or not hmac.compare_digest(fields.get("csrf", ""), expected):
            return _login_form(pages, request, target, error="expired", status_code=400)
        address = request.client.host if request.client else ""
        result = await asyncio.to_thread(logins.log_in, fields.get("login", "")[:200],
                                         fields.get("password", "")[:1000], address)
        if result is None:
            return _login_form(pages, request, target, error="wrong", status_code=401)
        token, _user = result
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(SESSION_COOKIE, token, max_age=int(MAX_AGE.total_seconds()),
                            httponly=True, samesite="strict", secure=_secure(pages, request),
                            path="/dashboard")
        response.delete_cookie(LOGIN_CSRF_COOKIE, path="/dashboard")
        return response

    @router.post("/dashboard/logout")
    async def log_out(request: Request) -> Response:
        user = await pages.user(request)
        await pages.form(request, user)
        await asyncio.to_thread(logins.log_out, user)
        response = see_other("/dashboard/login")
        response.delete_cookie(SESSION_COOKIE, path="/dashboard")
        return response

    @router.get("/dashboard/language/{code}")
    async def choose_language(code: str, request: Request, next: str = "/dashboard"
                              ) -> Response:
        response = see_other(safe_next(next))
        if code in DASHBOARD_LANGUAGES:
            response.set_cookie(LANGUAGE_COOKIE, code, max_age=365 * 24 * 3600,
                                samesite="lax", secure=_secure(pages, request),
                                path="/dashboard")
        return response

    return router


def _login_form(pages: Pages, request: Request, target: str, error: str = "",
                status_code: int = 200) -> Response:
    token = secrets.token_urlsafe(24)
    response = pages.render(pages.page(request, None), "login.html", status_code=status_code,
                            login_csrf=token, next=target, error=error,
                            idle_hours=int(IDLE_TIMEOUT.total_seconds() // 3600))
    response.set_cookie(LOGIN_CSRF_COOKIE, token, max_age=3600, httponly=True,
                        samesite="strict", secure=_secure(pages, request), path="/dashboard")
    return response


def _secure(pages: Pages, request: Request) -> bool:
    """Secure cookies whenever the dashboard is reached over HTTPS (directly or via a proxy)."""
    return (request.url.scheme == "https"
            or pages.services.settings.web_address.startswith("https://")
            or request.headers.get("x-forwarded-proto", "") == "https")
