"""Counselors plan in Dutch, in a client's topic: `/afspraak vrijdag 10:00 Stadskantoor`.

Commands: /afspraak <wanneer> [soort] [waar] · /verplaats <wanneer> · /annuleer · /aanwezig ·
/afwezig · /afspraken. "Wanneer" is read by the same date parser as clients' messages
("vrijdag 10:00", "morgen om 14u", "3/12 om 9u30"); the kind and the mode are words anywhere
("intake", "sollicitatie", "opleiding", "telefonisch", "video"); what remains is the place.
Only registered counselors may act (the desk checks and audits that).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from dialogues.appointments import (
    KIND_NAMES,
    Actor,
    AppointmentBook,
    AppointmentDetails,
    BookOutcome,
)
from dialogues.i18n import N_, Translator
from nlu.dates import parse_when
from storage.records import AppointmentKind, AppointmentMode, AppointmentRecord

COMMANDS = ("afspraak", "verplaats", "annuleer", "aanwezig", "afwezig", "afspraken")
KIND_WORDS = {
    "intake": AppointmentKind.INTAKE, "intakegesprek": AppointmentKind.INTAKE,
    "opvolging": AppointmentKind.FOLLOW_UP, "opvolgingsgesprek": AppointmentKind.FOLLOW_UP,
    "opleiding": AppointmentKind.TRAINING, "cursus": AppointmentKind.TRAINING,
    "sollicitatie": AppointmentKind.JOB_INTERVIEW, "sollicitatiegesprek":
        AppointmentKind.JOB_INTERVIEW, "jobinterview": AppointmentKind.JOB_INTERVIEW,
}
MODE_WORDS = {"telefonisch": AppointmentMode.PHONE, "telefoon": AppointmentMode.PHONE,
              "bellen": AppointmentMode.PHONE, "video": AppointmentMode.VIDEO,
              "online": AppointmentMode.VIDEO, "videogesprek": AppointmentMode.VIDEO}
USAGE = N_("Gebruik: /afspraak vrijdag 10:00 Stadskantoor (soort: intake, opvolging, "
           "opleiding, sollicitatie; of telefonisch, video). Verder: /verplaats <wanneer>, "
           "/annuleer, /aanwezig, /afwezig, /afspraken.")


@dataclass(frozen=True, slots=True)
class Parsed:
    details: AppointmentDetails | None
    error: str = ""


def parse_details(args: str, now: datetime, tz: ZoneInfo, staff: Translator) -> Parsed:
    """'vrijdag 10:00 intake Stadskantoor, Grote Markt 54' → when, kind, mode and place."""
    proposal = parse_when(args, "nl", now, tz)
    when = proposal.resolve(tz) if proposal else None
    if proposal is None or when is None:
        return Parsed(None, staff.gettext(N_("Ik vond geen dag en uur. ")) + staff.gettext(USAGE))
    if when <= now:
        return Parsed(None, staff.gettext(N_("Dat moment is al voorbij. Kies een moment in de "
                                             "toekomst.")))
    rest = args.replace(proposal.matched, " ", 1) if proposal.matched else args
    rest = re.sub(r"\b(om|op|te|in)\b", " ", rest, flags=re.IGNORECASE)
    kind, mode, place = AppointmentKind.FOLLOW_UP, AppointmentMode.IN_PERSON, []
    for word in rest.split():
        folded = word.strip(",.;:").casefold()
        if folded in KIND_WORDS:
            kind = KIND_WORDS[folded]
        elif folded in MODE_WORDS:
            mode = MODE_WORDS[folded]
        else:
            place.append(word)
    location = " ".join(place).strip(" ,;-")
    return Parsed(AppointmentDetails(when, kind, mode, location))


class AppointmentCommands:
    names = COMMANDS

    def __init__(self, book: AppointmentBook, clock: Callable[[], datetime]) -> None:
        self.book = book
        self.clock = clock
        self.staff = book.staff

    def handle(self, client_id: int, actor: Actor, command: str, args: str) -> BookOutcome:
        _ = self.staff.gettext
        tz = ZoneInfo(self.book.settings.timezone)
        if command == "afspraak":
            parsed = parse_details(args, self.clock(), tz, self.staff)
            if parsed.details is None:
                return BookOutcome(False, parsed.error)
            return self.book.plan(client_id, parsed.details, actor)
        if command == "afspraken":
            return BookOutcome(True, self.listing(client_id))
        if command in ("aanwezig", "afwezig"):
            past = self.book.last_past_for(client_id)
            if past is None:
                return BookOutcome(False, _("Er is geen afspraak om af te vinken."))
            return self.book.mark(past.id, command == "aanwezig", actor)
        upcoming = self.book.next_for(client_id)
        if upcoming is None:
            return BookOutcome(False, _("Deze cliënt heeft geen komende afspraak."))
        if command == "annuleer":
            return self.book.cancel(upcoming.id, actor)
        if command == "verplaats":
            parsed = parse_details(args, self.clock(), tz, self.staff)
            if parsed.details is None:
                return BookOutcome(False, parsed.error)
            return self.book.move(upcoming.id, parsed.details.starts_at, actor)
        return BookOutcome(False, _(USAGE))

    def listing(self, client_id: int) -> str:
        _ = self.staff.gettext
        upcoming = self.book.upcoming_for(client_id)
        if not upcoming:
            return _("Geen komende afspraken.")
        return "\n".join(self.line(a) for a in upcoming)

    def line(self, appointment: AppointmentRecord) -> str:
        staff = self.staff
        return staff.format(staff.gettext(N_("📅 {when} · {kind} · {where} · {status}")),
                            when=staff.datetime(appointment.starts_at),
                            kind=staff.gettext(KIND_NAMES[appointment.kind]),
                            where=AppointmentBook.where(appointment, staff),
                            status=staff.gettext(STATUS_NAMES[appointment.status.value]))


STATUS_NAMES = {
    "planned": N_("gepland"), "confirmed": N_("bevestigd"),
    "cancel_requested": N_("cliënt kan niet"), "reschedule_requested": N_("cliënt vraagt ander "
                                                                          "moment"),
    "cancelled": N_("geannuleerd"), "attended": N_("aanwezig"), "no_show": N_("niet gekomen"),
}
