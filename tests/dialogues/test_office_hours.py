from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from dialogues.office_hours import OfficeHours, parse_hours

BXL = ZoneInfo("Europe/Brussels")


def test_open_on_a_weekday_closed_at_night_and_at_the_weekend():
    hours = OfficeHours()
    assert hours.is_open(datetime(2026, 11, 23, 10, 0, tzinfo=BXL))
    assert not hours.is_open(datetime(2026, 11, 23, 17, 0, tzinfo=BXL))
    assert not hours.is_open(datetime(2026, 11, 28, 22, 0, tzinfo=BXL))  # Saturday


def test_saturday_night_means_monday_morning():
    saturday_night = datetime(2026, 11, 28, 21, 0, tzinfo=UTC)  # 22:00 in Brussels
    assert OfficeHours().next_opening(saturday_night) == datetime(2026, 11, 30, 9, 0,
                                                                   tzinfo=BXL)


def test_belgian_public_holidays_are_closed():
    # Friday 25 December 2026 is Christmas: from Thursday evening to Monday 28th
    hours = OfficeHours()
    assert not hours.is_open(datetime(2026, 12, 25, 10, 0, tzinfo=BXL))
    assert hours.next_opening(datetime(2026, 12, 24, 18, 0, tzinfo=BXL)) == datetime(
        2026, 12, 28, 9, 0, tzinfo=BXL)
    # Easter Monday 2027 is 29 March, the day after the clocks go forward
    assert hours.next_opening(datetime(2027, 3, 27, 12, 0, tzinfo=BXL)) == datetime(
        2027, 3, 30, 9, 0, tzinfo=BXL)


def test_custom_hours():
    assert parse_hours("mon-thu 08:30-16:00, fri 08:30-12:00")[4][1].hour == 12
    hours = OfficeHours("mon-thu 08:30-16:00, fri 08:30-12:00")
    assert not hours.is_open(datetime(2026, 11, 27, 13, 0, tzinfo=BXL))
    with pytest.raises(ValueError):
        parse_hours("mon 17:00-09:00")
