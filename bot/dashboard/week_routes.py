"""The appointments of one week, day by day, in the programme's time zone."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request, Response

from bot.dashboard import labels
from bot.dashboard.pages import Pages
from storage.sql.dashboard_reads import WEEK_LIMIT


def week_routes(pages: Pages) -> APIRouter:
    router = APIRouter()
    services = pages.services

    @router.get("/dashboard/appointments")
    async def week(request: Request, week: str = "", mine: bool = False) -> Response:
        user = await pages.user(request)
        page = pages.page(request, user)
        tz = ZoneInfo(services.settings.timezone)
        today = services.clock().astimezone(tz).date()
        try:
            chosen = date.fromisoformat(week) if week else today
        except ValueError:
            chosen = today
        monday = chosen - timedelta(days=chosen.weekday())
        start = datetime.combine(monday, time(0), tz)
        end = datetime.combine(monday + timedelta(days=7), time(0), tz)
        items = await asyncio.to_thread(services.reads.week, user.counselor, start, end, mine)
        days = [(monday + timedelta(days=n),
                 [i for i in items if i.starts_at.astimezone(tz).date()
                  == monday + timedelta(days=n)]) for n in range(7)]
        return await pages.show(page, "week.html", days=days, monday=monday, mine=mine,
                                truncated=len(items) >= WEEK_LIMIT, limit=WEEK_LIMIT,
                            previous=(monday - timedelta(days=7)).isoformat(),
                            following=(monday + timedelta(days=7)).isoformat(),
                            today=today, tz=tz, labels=labels, now=services.clock())

    return router
