"""An appointment as an iCalendar (.ics) file, so a client can keep it in their phone's agenda."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from icalendar import Alarm, Calendar, Event

from dialogues.messages import CalendarEvent


def ics_bytes(event: CalendarEvent, now: datetime | None = None) -> bytes:
    """One VEVENT in UTC with a reminder an hour before; `sequence` lets agendas update it."""
    calendar = Calendar()
    calendar.add("prodid", "-//Werkmaat//appointments//NL")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    vevent = Event()
    vevent.add("uid", event.uid)
    vevent.add("dtstamp", (now or datetime.now(UTC)).astimezone(UTC))
    vevent.add("dtstart", event.starts_at.astimezone(UTC))
    vevent.add("dtend", event.ends_at.astimezone(UTC))
    vevent.add("summary", event.title)
    vevent.add("sequence", event.sequence)
    if event.location:
        vevent.add("location", event.location)
    if event.description:
        vevent.add("description", event.description)
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", event.title)
    alarm.add("trigger", -timedelta(hours=1))
    vevent.add_component(alarm)
    calendar.add_component(vevent)
    return calendar.to_ical()
