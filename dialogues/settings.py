"""What the dialogue needs to know about the programme it serves (set from bot settings)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from dialogues.office_hours import DEFAULT_HOURS
from dialogues.reminder_times import ReminderPolicy

DEFAULT_MUNICIPALITIES = ("Kortrijk", "Heule", "Bissegem", "Marke", "Aalbeke", "Rollegem",
                          "Bellegem", "Kooigem", "Menen")


@dataclass(frozen=True, slots=True)
class DialogueSettings:
    programme_name: str = "'t Werkt"
    municipalities: tuple[str, ...] = DEFAULT_MUNICIPALITIES
    response_working_days: int = 3
    timezone: str = "Europe/Brussels"
    consent_version: str = "2026-11"
    nlu_confidence_threshold: float = 0.45
    staff_language: str = "nl"
    voice_languages: tuple[str, ...] = ()  # languages the channel can speak as voice notes
    office_hours: str = DEFAULT_HOURS  # when counselors answer; closed on Belgian holidays
    escalation_remind_minutes: int = 30  # announce an unclaimed escalation again after this
    reminders: ReminderPolicy = field(default_factory=ReminderPolicy)  # when, and never at night
    # after-care check-in days per contract type ("interim" → (2, 7, …)); unnamed: defaults
    nazorg_schedule: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    content_dir: str = ""  # the rights content base (content/rights by default)
    flood_rate: float = 5.0  # messages a second one client is answered at, after a burst of
    flood_burst: int = 20
