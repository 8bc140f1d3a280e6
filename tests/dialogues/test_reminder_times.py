"""Reminder times: wall-clock offsets, quiet hours, the clock change, never after the start."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from dialogues.reminder_times import ReminderPolicy, parse_offsets, parse_quiet_hours

BXL = ZoneInfo("Europe/Brussels")
POLICY = ReminderPolicy()  # 24h and 2h before; quiet 21:00-08:00


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=BXL)  # type: ignore[misc]


def times(starts_at: datetime, now: datetime, policy: ReminderPolicy = POLICY) -> list[str]:
    return [m.astimezone(BXL).strftime("%a %d %H:%M")
            for _, m in policy.reminder_times(starts_at, now)]


def test_the_defaults_are_a_day_and_two_hours_before():
    assert times(local(2026, 11, 26, 14, 0), local(2026, 11, 23, 10)) == [
        "Wed 25 14:00", "Thu 26 12:00"]


def test_a_reminder_that_would_come_at_night_goes_the_evening_before():
    # 08:30 appointment: 2 h before is 06:30, inside quiet hours -> 20:30 the evening before
    assert times(local(2026, 11, 26, 8, 30), local(2026, 11, 23, 10)) == [
        "Wed 25 08:30", "Wed 25 20:30"]


def test_a_late_appointment_reminder_moves_earlier_but_never_after_the_start():
    # 22:30 appointment (a night shift's training): 2 h before is 20:30, allowed
    assert times(local(2026, 11, 26, 22, 30), local(2026, 11, 23, 10)) == [
        "Wed 25 20:30", "Thu 26 20:30"]
    # at 23:30 both would fall in quiet hours: each goes to 20:30 that evening
    assert times(local(2026, 11, 26, 23, 30), local(2026, 11, 23, 10)) == [
        "Wed 25 20:30", "Thu 26 20:30"]


def test_reminders_already_past_are_dropped_and_twins_merged():
    # planned at 13:00 for 14:00 the same day: both reminders would be in the past
    assert times(local(2026, 11, 23, 14, 0), local(2026, 11, 23, 13, 0)) == []
    # 09:00 appointment planned the evening before at 19:00: 24 h is past, 2 h (07:00) is
    # quiet -> 20:30 this evening
    assert times(local(2026, 11, 24, 9, 0), local(2026, 11, 23, 19, 0)) == ["Mon 23 20:30"]
    # two offsets that both land at 20:30 become one message
    merged = ReminderPolicy(parse_offsets("3h,2h"))
    assert times(local(2026, 11, 26, 8, 0), local(2026, 11, 23, 10), merged) == [
        "Wed 25 20:30"]


def test_across_spring_forward_a_day_before_is_the_same_wall_clock_time():
    # clocks go 02:00 -> 03:00 on Sunday 28 March 2027
    sunday = local(2027, 3, 28, 10, 0)
    [(_, day_before), (_, two_hours)] = POLICY.reminder_times(sunday, local(2027, 3, 20))
    assert day_before == local(2027, 3, 27, 10, 0)
    assert sunday.astimezone(UTC) - day_before.astimezone(UTC) == timedelta(hours=23)
    assert two_hours == local(2027, 3, 28, 8, 0)


def test_across_fall_back_quiet_hours_stay_in_local_time():
    # clocks go 03:00 -> 02:00 on Sunday 31 October 2027
    sunday = local(2027, 10, 31, 8, 30)
    assert times(sunday, local(2027, 10, 20)) == ["Sat 30 08:30", "Sat 30 20:30"]
    [(_, day_before), _] = POLICY.reminder_times(sunday, local(2027, 10, 20))
    assert sunday.astimezone(UTC) - day_before.astimezone(UTC) == timedelta(hours=25)
    assert POLICY.is_quiet(local(2027, 10, 31, 2, 30)) and not POLICY.is_quiet(
        local(2027, 10, 31, 8, 0))


def test_the_notice_waits_for_the_morning_unless_the_appointment_is_early():
    evening = local(2026, 11, 23, 22, 15)
    assert POLICY.notice_time(evening, local(2026, 11, 26, 10)) == local(2026, 11, 24, 8, 0)
    assert POLICY.notice_time(evening, local(2026, 11, 24, 8, 30)) == evening  # no time left
    noon = local(2026, 11, 23, 12, 0)
    assert POLICY.notice_time(noon, local(2026, 11, 26, 10)) == noon


def test_settings_are_parsed_and_checked():
    assert parse_offsets("2h, 24h ,30m") == (timedelta(hours=24), timedelta(hours=2),
                                             timedelta(minutes=30))
    assert parse_offsets("2d") == (timedelta(days=2),)
    assert parse_quiet_hours("22:00-07:30") == (time(22, 0), time(7, 30))
    assert parse_quiet_hours("off") is None
    assert ReminderPolicy(quiet=None).is_quiet(local(2026, 11, 23, 3)) is False
    for bad in ("2x", "h", "-2h", "0h"):
        with pytest.raises(ValueError):
            parse_offsets(bad)
    with pytest.raises(ValueError):
        parse_quiet_hours("21:00-21:00")
    assert POLICY.is_quiet(datetime(2026, 11, 23, 20, 30, tzinfo=UTC))  # 21:30 local
