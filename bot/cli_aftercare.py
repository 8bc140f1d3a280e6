"""`werkmaat job start|status|resume` and `werkmaat case close|reopen`: nazorg from a terminal."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from bot.cli_appointments import Client, _client_id
from bot.composition import open_database
from dialogues.appointments import Actor
from dialogues.engine import utcnow
from dialogues.nazorg import Aftercare, AftercareOutcome
from storage.records import CaseOutcome, ContractType
from storage.sql import Database

job_app = typer.Typer(help="Jobs clients started (nazorg check-ins follow).",
                      no_args_is_help=True)
case_app = typer.Typer(help="Closing and reopening cases.", no_args_is_help=True)
ACTOR = Actor("cli", "")


def _open() -> tuple[Database, Aftercare]:
    from bot.cli import _settings

    settings = _settings()
    database = open_database(settings)
    return database, Aftercare(database, settings.dialogue, utcnow)


def _report(outcome: AftercareOutcome) -> None:
    typer.echo(outcome.note, err=not outcome.ok)
    if not outcome.ok:
        raise typer.Exit(1)


@job_app.command("start")
def start(client: Client,
          start: Annotated[str, typer.Option(help="First working day, YYYY-MM-DD")],
          contract: Annotated[str, typer.Option(help="permanent, fixed_term, interim, "
                                                     "day_contract, article_60, training")],
          employer: Annotated[str, typer.Option(help="Employer or training centre")] = ""
          ) -> None:
    """Register a job or training; check-ins follow on the contract's schedule."""
    database, aftercare = _open()
    try:
        started_on, kind = date.fromisoformat(start), ContractType(contract)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    _report(aftercare.start_job(_client_id(database, client), started_on, kind, employer,
                                ACTOR))


@job_app.command("status")
def status(client: Client) -> None:
    """The job and its check-ins so far."""
    database, aftercare = _open()
    typer.echo(aftercare.status(_client_id(database, client)))


@job_app.command("resume")
def resume(client: Client) -> None:
    """After two unanswered check-ins: let the bot ask again."""
    database, aftercare = _open()
    _report(aftercare.resume(_client_id(database, client), ACTOR))


@case_app.command("close")
def close(client: Client,
          outcome: Annotated[str, typer.Option(help="lasting_job, training, independent, "
                                                    "stopped_practical, stopped_by_client")]
          ) -> None:
    """Close the case with an outcome; scheduled check-ins end."""
    database, aftercare = _open()
    try:
        value = CaseOutcome(outcome)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    _report(aftercare.close_case(_client_id(database, client), value, ACTOR))


@case_app.command("reopen")
def reopen(client: Client) -> None:
    """Reopen a closed case (back to active guidance)."""
    database, aftercare = _open()
    _report(aftercare.reopen_case(_client_id(database, client), ACTOR))
