"""Report figures for coordinators and funders, computed from the case store in one go.

Numbers only, under stable keys (outcome codes, periods such as "2026-11" and "2026-Q4"): the
dashboard translates and formats them. Months and quarters are the programme's, in its time
zone: their boundaries are computed here and passed to SQL as parameters, so the same
statements run on SQLite and PostgreSQL and big tables (interactions) are aggregated where they
live, never loaded. Only escalations come back row by row, for medians. Everything is read in
one transaction (repeatable read on PostgreSQL), so all figures describe the same moment.

Computing takes seconds on a large store; `ReportSnapshots` keeps the result as JSON so the
reports page reads one small row.
"""

from __future__ import annotations

import time
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from math import floor
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    case,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
)

from storage.records import (
    AppointmentStatus,
    Author,
    CaseOutcome,
    CaseStatus,
    CheckinAnswer,
    CounselorRole,
)
from storage.sql import models as m
from storage.sql.database import Database

FIGURES_VERSION = 1  # bump when the shape changes: older snapshots are then recomputed
HISTORY_MONTHS = 24
HISTORY_QUARTERS = 8
OPEN_CASE = (CaseStatus.NEW.value, CaseStatus.ACTIVE.value, CaseStatus.NAZORG.value)


# ---- the figures ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Period:
    """A month or quarter in the programme's time zone: [start, end)."""

    key: str  # "2026-11" or "2026-Q4"
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class TrajectoryPeriod:
    """Trajectories (cases) in one month or quarter."""

    period: str
    started: int
    ended: int
    ended_by_outcome: dict[str, int]  # every CaseOutcome value, zero included
    ended_without_outcome: int
    active_at_end: int  # open when the period ended (now, for the current one)

    def share(self, outcome: CaseOutcome) -> float | None:
        """Percentage of the trajectories ended in this period that ended this way."""
        return _percent(self.ended_by_outcome.get(outcome.value, 0), self.ended)


@dataclass(frozen=True, slots=True)
class CaseloadRow:
    """Open cases of one counselor (None: nobody has taken them yet)."""

    counselor_id: int | None
    name: str
    new: int
    active: int
    nazorg: int

    @property
    def total(self) -> int:
        return self.new + self.active + self.nazorg


@dataclass(frozen=True, slots=True)
class AppointmentMonth:
    """Appointments by the month they were (or are) held; answers as the client gave them."""

    period: str
    total: int
    confirmed: int  # by the client, in answer to a reminder
    cancel_requested: int
    reschedule_requested: int
    cancelled: int
    attended: int
    no_show: int

    @property
    def no_show_rate(self) -> float | None:
        """No-shows as a percentage of the appointments whose outcome was recorded."""
        return _percent(self.no_show, self.attended + self.no_show)


@dataclass(frozen=True, slots=True)
class CheckinMonth:
    """After-care check-ins by the month they were sent, and what came back."""

    period: str
    sent: int
    answers: dict[str, int]  # every CheckinAnswer value, zero included
    unanswered: int


@dataclass(frozen=True, slots=True)
class ReplyTimeMonth:
    """How long clients handed to a person waited for a person's first message.

    Per escalation: minutes from the escalation to the first counselor message to that client
    at or after it. Median and 90th percentile interpolate linearly (like percentile_cont).
    """

    period: str
    escalations: int
    replied: int
    median_minutes: float | None
    p90_minutes: float | None

    @property
    def unanswered(self) -> int:
        return self.escalations - self.replied


@dataclass(frozen=True, slots=True)
class LanguageHandover:
    """Clients in one language who talked to Werkmaat, and how many were handed to a person."""

    language: str
    clients: int
    handed_over: int

    @property
    def share(self) -> float | None:
        return _percent(self.handed_over, self.clients)


@dataclass(frozen=True, slots=True)
class ReportFigures:
    computed_at: datetime
    timezone: str
    seconds: float  # how long computing took
    quarters: tuple[TrajectoryPeriod, ...]
    months: tuple[TrajectoryPeriod, ...]
    caseload: tuple[CaseloadRow, ...]
    appointments: tuple[AppointmentMonth, ...]
    checkins: tuple[CheckinMonth, ...]
    replies: tuple[ReplyTimeMonth, ...]
    handovers: tuple[LanguageHandover, ...]


# ---- periods ----------------------------------------------------------------------------------


def month_periods(now: datetime, timezone: str, count: int = HISTORY_MONTHS
                  ) -> tuple[Period, ...]:
    """The last `count` months, the current one included, oldest first."""
    return _periods(now, ZoneInfo(timezone), count, 1)


def quarter_periods(now: datetime, timezone: str, count: int = HISTORY_QUARTERS
                    ) -> tuple[Period, ...]:
    return _periods(now, ZoneInfo(timezone), count, 3)


def _periods(now: datetime, tz: ZoneInfo, count: int, months_each: int) -> tuple[Period, ...]:
    local = now.astimezone(tz)
    current = (local.year * 12 + local.month - 1) // months_each * months_each
    firsts = [current - months_each * back for back in range(max(count, 1) - 1, -1, -1)]
    return tuple(Period(_period_key(first, months_each), _first_day(first, tz),
                        _first_day(first + months_each, tz)) for first in firsts)


def _first_day(month_index: int, tz: ZoneInfo) -> datetime:
    year, month = divmod(month_index, 12)
    return datetime(year, month + 1, 1, tzinfo=tz)


def _period_key(month_index: int, months_each: int) -> str:
    year, month = divmod(month_index, 12)
    if months_each == 3:
        return f"{year}-Q{month // 3 + 1}"
    return f"{year}-{month + 1:02d}"


# ---- computing --------------------------------------------------------------------------------


def compute_figures(database: Database, timezone: str, now: datetime,
                    months: int = HISTORY_MONTHS, quarters: int = HISTORY_QUARTERS
                    ) -> ReportFigures:
    """Every figure of the reports page, from one consistent read of the store."""
    started = time.perf_counter()
    month_list = month_periods(now, timezone, months)
    quarter_list = quarter_periods(now, timezone, quarters)
    with _one_read(database) as conn:
        figures = ReportFigures(
            computed_at=now, timezone=timezone, seconds=0.0,
            quarters=_trajectories(conn, quarter_list),
            months=_trajectories(conn, month_list),
            caseload=_caseload(conn),
            appointments=_appointments(conn, month_list),
            checkins=_checkins(conn, month_list),
            replies=_reply_times(conn, month_list),
            handovers=_handovers(conn))
    return replace(figures, seconds=round(time.perf_counter() - started, 3))


@contextmanager
def _one_read(database: Database) -> Iterator[Connection]:
    """One read-only transaction; on PostgreSQL one snapshot for every statement."""
    with database.engine.connect() as conn:  # closing it rolls back: nothing was written
        if conn.dialect.name == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ")
        yield conn


def _bucket(moment: Any, periods: Sequence[Period]) -> ColumnElement[int]:
    """The index of the period a moment falls in (rows are limited to the periods' span)."""
    return case(*((moment < p.end, index) for index, p in enumerate(periods)), else_=-1)


def _counts(conn: Connection, periods: Sequence[Period], moment: Any, *keys: Any,
            where: Sequence[ColumnElement[bool]] = ()) -> Counter[tuple[Any, ...]]:
    """Rows per period, split by `keys`: {(period index, *key values): count}.

    The grouping runs on a subquery's column, not on the CASE expression itself: PostgreSQL
    would see the CASE in SELECT and GROUP BY as different (each has its own parameters).
    """
    labelled = [key.label(f"key{n}") for n, key in enumerate(keys)]
    inner = (select(_bucket(moment, periods).label("period"), *labelled)
             .where(moment >= periods[0].start, moment < periods[-1].end, *where).subquery())
    columns = [inner.c.period, *(inner.c[f"key{n}"] for n in range(len(keys)))]
    query = select(*columns, func.count()).group_by(*columns)
    return Counter({tuple(row[:-1]): int(row[-1]) for row in conn.execute(query)})


def _trajectories(conn: Connection, periods: Sequence[Period]) -> tuple[TrajectoryPeriod, ...]:
    started = _counts(conn, periods, m.Case.opened_at)
    ended = _counts(conn, periods, m.Case.closed_at, m.Case.outcome)
    active = _active_at_ends(conn, periods)
    rows = []
    for index, period in enumerate(periods):
        by_outcome = {o.value: ended[(index, o.value)] for o in CaseOutcome}
        total_ended = sum(n for (i, _), n in ended.items() if i == index)
        rows.append(TrajectoryPeriod(period.key, started[(index,)], total_ended, by_outcome,
                                     total_ended - sum(by_outcome.values()), active[index]))
    return tuple(rows)


def _active_at_ends(conn: Connection, periods: Sequence[Period]) -> list[int]:
    """Cases open at each period's end: opened before it and not closed before it."""
    never_closed = and_(m.Case.closed_at.is_(None), m.Case.status != CaseStatus.CLOSED.value)
    columns = [func.sum(case((and_(m.Case.opened_at < p.end,
                                   or_(never_closed, m.Case.closed_at >= p.end)), 1), else_=0))
               for p in periods]
    query = select(*columns).where(or_(m.Case.closed_at.is_(None),
                                       m.Case.closed_at >= periods[0].end))
    return [int(value or 0) for value in conn.execute(query).one()]


def _caseload(conn: Connection) -> tuple[CaseloadRow, ...]:
    """Every active counselor (also with nothing open), anyone else with open cases, nobody."""
    counts = Counter({(who, status): int(n) for who, status, n in conn.execute(
        select(m.Case.counselor_id, m.Case.status, func.count())
        .where(m.Case.status.in_(OPEN_CASE)).group_by(m.Case.counselor_id, m.Case.status))})
    with_cases = {who for who, _ in counts}
    people = [(cid, name) for cid, name, role, active in conn.execute(
        select(m.Counselor.id, m.Counselor.name, m.Counselor.role, m.Counselor.active))
        if cid in with_cases or (active and role == CounselorRole.COUNSELOR.value)]
    people.sort(key=lambda p: (p[1].casefold(), p[0]))

    def row(who: int | None, name: str) -> CaseloadRow:
        return CaseloadRow(who, name, counts[(who, CaseStatus.NEW.value)],
                           counts[(who, CaseStatus.ACTIVE.value)],
                           counts[(who, CaseStatus.NAZORG.value)])

    return (*(row(cid, name) for cid, name in people), row(None, ""))


def _appointments(conn: Connection, periods: Sequence[Period]) -> tuple[AppointmentMonth, ...]:
    counts = _counts(conn, periods, m.Appointment.starts_at, m.Appointment.status,
                     m.Appointment.client_answer)

    def n(index: int, status: str | None = None, answer: str | None = None) -> int:
        return sum(c for (i, s, a), c in counts.items() if i == index
                   and (status is None or s == status) and (answer is None or a == answer))

    return tuple(AppointmentMonth(
        p.key, n(i), n(i, answer=AppointmentStatus.CONFIRMED.value),
        n(i, answer=AppointmentStatus.CANCEL_REQUESTED.value),
        n(i, answer=AppointmentStatus.RESCHEDULE_REQUESTED.value),
        n(i, AppointmentStatus.CANCELLED.value), n(i, AppointmentStatus.ATTENDED.value),
        n(i, AppointmentStatus.NO_SHOW.value)) for i, p in enumerate(periods))


def _checkins(conn: Connection, periods: Sequence[Period]) -> tuple[CheckinMonth, ...]:
    counts = _counts(conn, periods, m.Checkin.sent_at, m.Checkin.answer)
    rows = []
    for index, period in enumerate(periods):
        answers = {a.value: counts[(index, a.value)] for a in CheckinAnswer}
        sent = sum(c for (i, _), c in counts.items() if i == index)
        rows.append(CheckinMonth(period.key, sent, answers, counts[(index, None)]))
    return tuple(rows)


def _reply_times(conn: Connection, periods: Sequence[Period]) -> tuple[ReplyTimeMonth, ...]:
    """Escalations with their first human reply, found through ix_interactions_client_created."""
    first_reply = (select(func.min(m.Interaction.created_at))
                   .where(m.Interaction.client_id == m.Escalation.client_id,
                          m.Interaction.author == Author.COUNSELOR.value,
                          m.Interaction.created_at >= m.Escalation.created_at)
                   .scalar_subquery())
    query = select(m.Escalation.created_at, first_reply).where(
        m.Escalation.created_at >= periods[0].start, m.Escalation.created_at < periods[-1].end)
    ends = [p.end for p in periods]
    escalated = [0] * len(periods)
    waits: list[list[float]] = [[] for _ in periods]
    for created_at, replied_at in conn.execute(query):
        index = bisect_right(ends, created_at)
        escalated[index] += 1
        if replied_at is not None:
            waits[index].append((replied_at - created_at).total_seconds() / 60)
    return tuple(ReplyTimeMonth(p.key, escalated[i], len(waits[i]),
                                _rounded(_quantile(waits[i], 0.5)),
                                _rounded(_quantile(waits[i], 0.9)))
                 for i, p in enumerate(periods))


def _handovers(conn: Connection) -> tuple[LanguageHandover, ...]:
    """Per language: clients with at least one message, and of those, handed to a person."""
    talked = exists().where(m.Interaction.client_id == m.Client.id)
    escalated = exists().where(m.Escalation.client_id == m.Client.id)
    query = (select(m.Client.language, func.count(), func.sum(case((escalated, 1), else_=0)))
             .where(talked).group_by(m.Client.language))
    rows = [LanguageHandover(language, int(n), int(handed or 0))
            for language, n, handed in conn.execute(query)]
    return tuple(sorted(rows, key=lambda r: (-r.clients, r.language)))


def _quantile(values: list[float], q: float) -> float | None:
    """Linear interpolation between the closest ranks, as PostgreSQL's percentile_cont."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


# ---- snapshots --------------------------------------------------------------------------------


def figures_to_json(figures: ReportFigures) -> dict[str, Any]:
    data = asdict(figures)
    data["computed_at"] = figures.computed_at.isoformat()
    data["version"] = FIGURES_VERSION
    return data


def figures_from_json(data: dict[str, Any]) -> ReportFigures | None:
    """The figures back, or None when they were saved in another shape (recompute them)."""
    if data.get("version") != FIGURES_VERSION:
        return None
    try:
        return ReportFigures(
            computed_at=datetime.fromisoformat(data["computed_at"]),
            timezone=data["timezone"], seconds=float(data["seconds"]),
            quarters=tuple(TrajectoryPeriod(**row) for row in data["quarters"]),
            months=tuple(TrajectoryPeriod(**row) for row in data["months"]),
            caseload=tuple(CaseloadRow(**row) for row in data["caseload"]),
            appointments=tuple(AppointmentMonth(**row) for row in data["appointments"]),
            checkins=tuple(CheckinMonth(**row) for row in data["checkins"]),
            replies=tuple(ReplyTimeMonth(**row) for row in data["replies"]),
            handovers=tuple(LanguageHandover(**row) for row in data["handovers"]))
    except (KeyError, TypeError, ValueError):
        return None


class ReportSnapshots:
    """Computed figures kept in `report_snapshots`; only the last few are kept."""

    def __init__(self, database: Database, keep: int = 5) -> None:
        self.engine = database.engine
        self.keep = max(keep, 1)

    def save(self, figures: ReportFigures) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(m.ReportSnapshot).values(created_at=figures.computed_at,
                                              figures=figures_to_json(figures)))
            old = (select(m.ReportSnapshot.id)
                   .order_by(m.ReportSnapshot.created_at.desc(), m.ReportSnapshot.id.desc())
                   .offset(self.keep))
            stale = [row[0] for row in conn.execute(old)]
            if stale:
                conn.execute(delete(m.ReportSnapshot).where(m.ReportSnapshot.id.in_(stale)))

    def latest(self) -> ReportFigures | None:
        query = (select(m.ReportSnapshot.figures)
                 .order_by(m.ReportSnapshot.created_at.desc(), m.ReportSnapshot.id.desc())
                 .limit(1))
        with self.engine.connect() as conn:
            data = conn.scalar(query)
        return figures_from_json(data) if isinstance(data, dict) else None


__all__ = [
    "AppointmentMonth", "CaseloadRow", "CheckinMonth", "LanguageHandover", "Period",
    "ReplyTimeMonth", "ReportFigures", "ReportSnapshots", "TrajectoryPeriod", "compute_figures",
    "figures_from_json", "figures_to_json", "month_periods", "quarter_periods",
]
