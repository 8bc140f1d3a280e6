"""`werkmaat appointment add|move|cancel|attended|no-show|list`: planning from a terminal.

The same planning code as the counselors' Telegram topic; the running Werkmaat's dispatcher
sends the notice within its interval (WERKMAAT_DISPATCH_INTERVAL) and the reminders on time.
"""

from __future__ import annotations

import re
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from bot.composition import open_database
from bot.settings import Settings
from dialogues.appointment_commands import AppointmentCommands, parse_details
from dialogues.appointments import Actor, AppointmentBook, AppointmentDetails, BookOutcome
from dialogues.engine import utcnow
from storage.records import AppointmentKind, AppointmentMode
from storage.sql import Database

appointment_app = typer.Typer(help="Appointments with clients.", no_args_is_help=True)
ACTOR = Actor("cli", "")
Client = Annotated[str, typer.Argument(help="The case number (WM-00012) or the client id")]


def _open() -> tuple[Database, AppointmentCommands]:
    from bot.cli import _settings

    settings: Settings = _settings()
    database = open_database(settings)
    book = AppointmentBook(database, settings.dialogue, utcnow)
    return database, AppointmentCommands(book, utcnow)


def _client_id(database: Database, client: str) -> int:
    match = re.fullmatch(r"(?i)(?:WM-)?0*(\d+)", client.strip())
    if match is None:
        raise typer.BadParameter(f"not a case number or client id: {client!r}")
    number = int(match.group(1))
    with database() as uow:
        if client.strip().upper().startswith("WM-"):
            case = uow.cases.get(number)
            if case is None:
                raise typer.BadParameter(f"no case {client}")
            return case.client_id
        if uow.clients.get(number) is None:
            raise typer.BadParameter(f"no client {number}")
        return number


def _report(outcome: BookOutcome) -> None:
    typer.echo(outcome.note, err=not outcome.ok)
    if outcome.appointment is not None and outcome.ok:
        typer.echo(f"appointment {outcome.appointment.id} (version "
                   f"{outcome.appointment.version}, {outcome.appointment.status.value})")
    if not outcome.ok:
        raise typer.Exit(1)


@appointment_app.command("add")
def add(client: Client,
        when: Annotated[str, typer.Option(help='In Dutch: "vrijdag 10:00", "3/12 om 9u30"')],
        where: Annotated[str, typer.Option(help="Address or room")] = "",
        kind: Annotated[str, typer.Option(help="intake, follow_up, training, job_interview, "
                                               "other")] = "follow_up",
        mode: Annotated[str, typer.Option(help="in_person, phone or video")] = "in_person",
        with_whom: Annotated[str, typer.Option(help="Who the client meets")] = "",
        minutes: Annotated[int, typer.Option(help="Duration in minutes")] = 60) -> None:
    """Plan an appointment; the client hears of it at once, with reminders before it."""
    database, commands = _open()
    try:
        kind_value, mode_value = AppointmentKind(kind), AppointmentMode(mode)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    parsed = parse_details(when, utcnow(), ZoneInfo(commands.book.settings.timezone),
                           commands.staff)
    if parsed.details is None:
        typer.echo(parsed.error, err=True)
        raise typer.Exit(1)
    details = AppointmentDetails(parsed.details.starts_at, kind_value, mode_value,
                                 where or parsed.details.location, with_whom, minutes)
    _report(commands.book.plan(_client_id(database, client), details, ACTOR))


@appointment_app.command("move")
def move(appointment_id: int,
         when: Annotated[str, typer.Option(help='In Dutch: "donderdag 14:00"')]) -> None:
    """Move an appointment; the old reminders are cancelled, new ones planned."""
    _database, commands = _open()
    parsed = parse_details(when, utcnow(), ZoneInfo(commands.book.settings.timezone),
                           commands.staff)
    if parsed.details is None:
        typer.echo(parsed.error, err=True)
        raise typer.Exit(1)
    _report(commands.book.move(appointment_id, parsed.details.starts_at, ACTOR))


@appointment_app.command("cancel")
def cancel(appointment_id: int) -> None:
    """Cancel an appointment; the client is told and gets no more reminders."""
    _database, commands = _open()
    _report(commands.book.cancel(appointment_id, ACTOR))


@appointment_app.command("attended")
def attended(appointment_id: int) -> None:
    """After the appointment: the client came."""
    _database, commands = _open()
    _report(commands.book.mark(appointment_id, True, ACTOR))


@appointment_app.command("no-show")
def no_show(appointment_id: int) -> None:
    """After the appointment: the client did not come."""
    _database, commands = _open()
    _report(commands.book.mark(appointment_id, False, ACTOR))


@appointment_app.command("list")
def listing(client: Client) -> None:
    """A client's coming appointments."""
    database, commands = _open()
    client_id = _client_id(database, client)
    for appointment in commands.book.upcoming_for(client_id):
        typer.echo(f"{appointment.id}\t{commands.line(appointment)}")
    if not commands.book.upcoming_for(client_id):
        typer.echo(commands.listing(client_id))
