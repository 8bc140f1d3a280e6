"""When a person can answer: opening hours per weekday, closed on Belgian public holidays."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache, cached_property
from zoneinfo import ZoneInfo

DEFAULT_HOURS = "mon-fri 09:00-17:00"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@cache
def public_holidays(country: str, year: int) -> frozenset[date]:
    """A country's public holidays in a year, computed once (the holidays package builds them
    anew on every lookup, which cost milliseconds inside a week-long search)."""
    import holidays

    return frozenset(holidays.country_holidays(country, years=year))


def parse_hours(spec: str) -> dict[int, tuple[time, time]]:
    """'mon-thu 09:00-17:00, fri 09:00-12:00' → opening times per weekday (0 = Monday)."""
    hours: dict[int, tuple[time, time]] = {}
    for part in (p.strip().lower() for p in spec.split(",") if p.strip()):
        days, _, span = part.partition(" ")
        start_day, _, end_day = days.partition("-")
        first, last = DAYS.index(start_day), DAYS.index(end_day or start_day)
        opens, _, closes = span.strip().partition("-")
        window = (time.fromisoformat(opens.strip()), time.fromisoformat(closes.strip()))
        if window[0] >= window[1]:
            raise ValueError(f"opening hours close before they open: {part!r}")
        for day in range(first, last + 1):
            hours[day] = window
    return hours


@dataclass(frozen=True)
class OfficeHours:
    spec: str = DEFAULT_HOURS
    timezone: str = "Europe/Brussels"
    country: str = "BE"
    extra_closed: tuple[date, ...] = field(default=())

    @cached_property
    def _hours(self) -> dict[int, tuple[time, time]]:
        return parse_hours(self.spec)

    @cached_property
    def _tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def closed_on(self, day: date) -> bool:
        return (day in public_holidays(self.country, day.year) or day in self.extra_closed
                or day.weekday() not in self._hours)

    def is_open(self, moment: datetime) -> bool:
        local = moment.astimezone(self._tz)
        if self.closed_on(local.date()):
            return False
        opens, closes = self._hours[local.weekday()]
        return opens <= local.time() < closes

    def next_opening(self, moment: datetime) -> datetime:
        """The moment a person is next at work: `moment` itself when open now."""
        if self.is_open(moment):
            return moment
        local = moment.astimezone(self._tz)
        for offset in range(0, 370):
            day = local.date() + timedelta(days=offset)
            if self.closed_on(day):
                continue
            opens, _ = self._hours[day.weekday()]
            start = datetime.combine(day, opens, tzinfo=self._tz)
            if start > local:
                return start
        raise ValueError("no opening in the coming year: check the opening hours")
