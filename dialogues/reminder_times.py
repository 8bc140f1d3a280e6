"""When scheduled messages may reach a client: reminder times and quiet hours.

All arithmetic on the wall clock of the programme's time zone, so "24 hours before" a Monday
10:00 appointment is Sunday 10:00 also on the night the clocks change, and quiet hours are
21:00-08:00 local time on both sides of the change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

DEFAULT_QUIET_HOURS = "21:00-08:00"
DEFAULT_REMINDERS = "24h,2h"
QUIET_MARGIN = timedelta(minutes=30)  # a reminder moved out of the night goes at 20:30


def parse_quiet_hours(spec: str) -> tuple[time, time] | None:
    """'21:00-08:00' → (21:00, 08:00); '' or 'off' → None (no quiet hours)."""
    spec = spec.strip().lower()
    if spec in ("", "off", "none"):
        return None
    start, _, end = spec.partition("-")
    window = time.fromisoformat(start.strip()), time.fromisoformat(end.strip())
    if window[0] == window[1]:
        raise ValueError(f"quiet hours start and end at the same time: {spec!r}")
    return window


def parse_offsets(spec: str) -> tuple[timedelta, ...]:
    """'24h,2h,30m' → reminder offsets before an appointment, longest first."""
    offsets = []
    for part in (p.strip().lower() for p in spec.split(",") if p.strip()):
        unit, amount = part[-1], part[:-1]
        if unit not in "dhm" or not amount.isdigit() or int(amount) <= 0:
            raise ValueError(f"a reminder offset is a number with d, h or m: {part!r}")
        offsets.append(timedelta(**{{"d": "days", "h": "hours", "m": "minutes"}[unit]:
                                    int(amount)}))
    return tuple(sorted(set(offsets), reverse=True))


def _local(naive: datetime, tz: ZoneInfo) -> datetime:
    """A wall-clock time as an aware moment; a time skipped by spring-forward moves forward."""
    aware = naive.replace(tzinfo=tz)
    return aware.astimezone(UTC).astimezone(tz)


@dataclass(frozen=True)
class ReminderPolicy:
    offsets: tuple[timedelta, ...] = field(default_factory=lambda: parse_offsets(DEFAULT_REMINDERS))
    quiet: tuple[time, time] | None = field(
        default_factory=lambda: parse_quiet_hours(DEFAULT_QUIET_HOURS))
    timezone: str = "Europe/Brussels"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def is_quiet(self, moment: datetime) -> bool:
        if self.quiet is None:
            return False
        clock = moment.astimezone(self.tz).time()
        start, end = self.quiet
        if start < end:
            return start <= clock < end
        return clock >= start or clock < end

    def before_quiet(self, moment: datetime) -> datetime:
        """The last good moment before the quiet hours `moment` falls in (20:30 that evening)."""
        assert self.quiet is not None
        start, end = self.quiet
        local = moment.astimezone(self.tz)
        after_midnight = start > end and local.time() < end  # 06:30 is last night's quiet
        day = local.date() - timedelta(days=1) if after_midnight else local.date()
        return _local(datetime.combine(day, start) - QUIET_MARGIN, self.tz)

    def after_quiet(self, moment: datetime) -> datetime:
        """The end of the quiet hours `moment` falls in (08:00 the next morning)."""
        assert self.quiet is not None
        end = self.quiet[1]
        local = moment.astimezone(self.tz)
        day = local.date() if local.time() < end else local.date() + timedelta(days=1)
        return _local(datetime.combine(day, end), self.tz)

    def reminder_times(self, starts_at: datetime, now: datetime) -> list[tuple[timedelta,
                                                                              datetime]]:
        """When each reminder goes: `offset` before on the wall clock, earlier if that is at
        night, never after the appointment; reminders already past are dropped, and two that
        land on the same moment become one."""
        local = starts_at.astimezone(self.tz).replace(tzinfo=None)
        planned: list[tuple[timedelta, datetime]] = []
        for offset in self.offsets:
            moment = _local(local - offset, self.tz)
            if self.is_quiet(moment):
                moment = self.before_quiet(moment)
            if now < moment < starts_at and all(moment != m for _, m in planned):
                planned.append((offset, moment))
        return planned

    def notice_time(self, now: datetime, starts_at: datetime) -> datetime:
        """When the news of a (moved) appointment goes: now, or after the night when there is
        time for that before the appointment."""
        if not self.is_quiet(now):
            return now
        morning = self.after_quiet(now)
        return morning if morning + timedelta(hours=1) <= starts_at else now
