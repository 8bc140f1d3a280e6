"""Mounting the dashboard on Werkmaat's web app: its routes, error pages and safety headers."""

from __future__ import annotations

from fastapi import FastAPI, Request, Response
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint

from bot.dashboard.auth_routes import auth_routes
from bot.dashboard.logins import StaffUser
from bot.dashboard.pages import (
    BadForm,
    DashboardServices,
    LoginRequired,
    NotFound,
    Pages,
    login_redirect,
)
from bot.dashboard.report_routes import report_routes
from bot.dashboard.week_routes import week_routes
from bot.dashboard.work_routes import work_routes

# No inline scripts or styles, no framing, nothing from elsewhere: a client's message shown on
# a page cannot run as code, and the page cannot be embedded to trick a counselor.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                               "script-src 'self'; object-src 'none'; base-uri 'none'; "
                               "frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class DashboardHeaders(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        if request.url.path.startswith("/dashboard"):
            for name, value in SECURITY_HEADERS.items():
                response.headers.setdefault(name, value)
        return response


def install_dashboard(app: FastAPI, services: DashboardServices) -> Pages:
    pages = Pages(services)
    app.state.dashboard = pages
    app.include_router(auth_routes(pages))
    app.include_router(work_routes(pages))
    app.include_router(week_routes(pages))
    app.include_router(report_routes(pages))
    app.add_middleware(DashboardHeaders)

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, _: LoginRequired) -> Response:
        return login_redirect(request)

    @app.exception_handler(NotFound)
    async def not_found(request: Request, _: NotFound) -> Response:
        user = await _maybe_user(pages, request)
        return await pages.show(pages.page(request, user), "not_found.html", status_code=404)

    @app.exception_handler(BadForm)
    async def bad_form(request: Request, _: BadForm) -> Response:
        user = await _maybe_user(pages, request)
        return await pages.show(pages.page(request, user), "bad_form.html", status_code=403)

    return pages


async def _maybe_user(pages: Pages, request: Request) -> StaffUser | None:
    try:
        return await pages.user(request)
    except LoginRequired:
        return None
