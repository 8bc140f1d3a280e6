"""Reports for coordinators and admins: the page, a refresh button and CSV exports.

The page reads the latest snapshot of the figures (one small row), so it stays fast on a store
with millions of messages. No snapshot yet: the figures are computed at once. One older than
MAX_AGE is shown with its time while fresher figures are computed in the background, one
computation at a time per process: a request that finds one under way joins it or leaves it
be. The refresh button computes at once. Every read and export goes into the audit log.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal
from fastapi import APIRouter, Request, Response

from bot.dashboard.pages import DashboardServices, NotFound, Page, Pages, see_other
from bot.dashboard.reports import (
    Section,
    csv_bytes,
    report_sections,
    report_table,
    valid_period,
)
from storage.records import AuditRecord
from storage.sql.report_figures import ReportFigures, ReportSnapshots, compute_figures

log = logging.getLogger(__name__)

MAX_AGE = timedelta(minutes=15)


class FiguresKeeper:
    """The latest figures, recomputed when they get old, one computation at a time."""

    def __init__(self, compute: Callable[[], ReportFigures], snapshots: ReportSnapshots,
                 clock: Callable[[], datetime], max_age: timedelta = MAX_AGE) -> None:
        self.compute, self.snapshots, self.clock, self.max_age = (compute, snapshots, clock,
                                                                  max_age)
        self._flight = threading.Condition()
        self._busy = False
        self._finished = 0  # computations done so far: tells a waiter that one ended
        self._latest: ReportFigures | None = None

    def current(self) -> tuple[ReportFigures, bool]:
        """The figures to show, and whether fresher ones are being computed right now."""
        figures = self.snapshots.latest()
        if figures is None:
            return self.refresh(), False
        if self._old(figures):
            self.refresh_in_background()
            return figures, True
        return figures, False

    def refresh(self) -> ReportFigures:
        """Compute and save the figures now; if that is under way already, share its result."""
        with self._flight:
            while self._busy:
                finished = self._finished
                while self._finished == finished:
                    self._flight.wait()
                if self._latest is not None:
                    return self._latest
            self._busy = True
        return self._fly()

    def refresh_in_background(self) -> bool:
        """Start computing in a thread unless that is under way already; True if started."""
        with self._flight:
            if self._busy:
                return False
            self._busy = True
        threading.Thread(target=self._fly_quietly, name="report-figures", daemon=True).start()
        return True

    def _fly(self, unless_fresh: bool = False) -> ReportFigures:
        """Runs only while holding the flight (`_busy`), and always hands it back."""
        figures: ReportFigures | None = None
        try:
            if unless_fresh:  # another process may have saved fresh figures meanwhile
                figures = self.snapshots.latest()
                if figures is not None and not self._old(figures):
                    return figures
            figures = self.compute()
            self.snapshots.save(figures)
            return figures
        finally:
            with self._flight:
                self._busy, self._latest = False, figures
                self._finished += 1
                self._flight.notify_all()

    def _fly_quietly(self) -> None:
        try:
            self._fly(unless_fresh=True)
        except Exception:  # a background thread has nobody to raise to
            log.exception("Computing the report figures failed")

    def _old(self, figures: ReportFigures) -> bool:
        return self.clock() - figures.computed_at > self.max_age


PAGE_ROWS = 60  # rows of a table on the page (the 790 counselors of a region: in the CSV)


def report_routes(pages: Pages) -> APIRouter:
    router = APIRouter()
    services = pages.services
    keeper = FiguresKeeper(
        lambda: compute_figures(services.database, services.settings.timezone, services.clock()),
        ReportSnapshots(services.database), services.clock)
    views: dict[tuple[datetime, str], tuple[Section, ...]] = {}

    def sections(figures: ReportFigures, page: Page) -> tuple[Section, ...]:
        """Charts and formatted tables change only with the snapshot: made once per language."""
        key = (figures.computed_at, page.lang)
        if key not in views:
            if len(views) >= 8:
                views.clear()
            views[key] = report_sections(figures, page.tr)
        return views[key]

    async def coordinator(request: Request, action: str, subject: str) -> Page:
        """Coordinators and admins only: for anyone else the reports do not exist."""
        page = pages.page(request, await pages.user(request))
        assert page.user is not None
        if not page.user.counselor.sees_everything:
            await asyncio.to_thread(_audit, services, page, f"{action}.refused", subject)
            raise NotFound()
        return page

    @router.get("/dashboard/reports")
    async def reports(request: Request) -> Response:
        page = await coordinator(request, "reports.read", "reports")
        figures, refreshing = await asyncio.to_thread(keeper.current)
        await asyncio.to_thread(_audit, services, page, "reports.read", "reports")
        return await pages.show(page, "reports.html", page_rows=PAGE_ROWS, figures=figures,
                                refreshing=refreshing, sections=sections(figures, page))

    @router.post("/dashboard/reports/refresh")
    async def refresh(request: Request) -> Response:
        page = await coordinator(request, "reports.refresh", "reports")
        assert page.user is not None
        await pages.form(request, page.user)
        figures = await asyncio.to_thread(keeper.refresh)
        await asyncio.to_thread(_audit, services, page, "reports.refresh", "reports")
        return see_other("/dashboard/reports", page.tr.format(
            page._("De cijfers zijn opnieuw berekend ({seconds} s)."),
            seconds=format_decimal(figures.seconds, "0.0", locale=page.tr.locale)))

    @router.get("/dashboard/reports/{table}.csv")
    async def export(table: str, request: Request, period: str = "") -> Response:
        subject = f"report:{table}"[:100]
        page = await coordinator(request, "reports.export", subject)
        period = period.strip()
        if period and not valid_period(period):
            raise NotFound()
        figures, _ = await asyncio.to_thread(keeper.current)
        found = report_table(figures, page.tr, table)
        if found is None:
            raise NotFound()
        if period:
            found = found.only(period)
        await asyncio.to_thread(_audit, services, page, "reports.export", subject,
                                {"period": period} if period else {})
        return Response(csv_bytes(found), media_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="{_filename(figures, table, period)}"'})

    return router


def _filename(figures: ReportFigures, table: str, period: str) -> str:
    """werkmaat-outcomes-quarter-2026-Q3-20261120-1200.csv: ASCII only, says what and when."""
    moment = figures.computed_at.astimezone(ZoneInfo(figures.timezone))
    return "-".join(part for part in ("werkmaat", table, period, f"{moment:%Y%m%d-%H%M}")
                    if part) + ".csv"


def _audit(services: DashboardServices, page: Page, action: str, subject: str,
           details: dict[str, Any] | None = None) -> None:
    assert page.user is not None
    with services.database() as uow:
        uow.audit.add(AuditRecord(page.user.label, action, subject, services.clock(),
                                  details or {}))
        uow.commit()
