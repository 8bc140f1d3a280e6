"""`werkmaat export`, `werkmaat forget` and `werkmaat retention run`: the privacy duties from a
terminal, for an administrator answering a request that came by letter or at the desk."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from bot.cli_appointments import Client, _client_id
from bot.composition import open_database
from dialogues.engine import utcnow
from dialogues.flows.privacy import erased_note
from dialogues.i18n import Translator
from dialogues.retention import run_retention
from storage.records import AuditRecord, TaskKind, TaskRecord

retention_app = typer.Typer(help="Letting go of data after its time.", no_args_is_help=True)


def export(
    client: Client,
    output: Annotated[Path | None, typer.Option(help="Write to this file (default: stdout)")
                      ] = None,
) -> None:
    """Everything stored about a client, as JSON (the same as /mydata gives them)."""
    from bot.cli import _settings

    database = open_database(_settings())
    client_id = _client_id(database, client)
    with database() as uow:
        tables = uow.privacy.export(client_id)
        uow.audit.add(AuditRecord("cli", "client.export", f"client:{client_id}", utcnow()))
        uow.commit()
    database.dispose()
    document = {"werkmaat_export": 1, "exported_at": datetime.now(UTC).isoformat(),
                "tables": tables}
    text = json.dumps(document, ensure_ascii=False, indent=2)
    if output is None:
        typer.echo(text)
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"Written to {output} ({sum(len(v) for v in tables.values())} rows).")


def forget(
    client: Client,
    yes: Annotated[bool, typer.Option("--yes", help="Do it (without: only say what it does)")
                   ] = False,
) -> None:
    """Erase a client (as /delete does): messages and personal fields go at once."""
    from bot.cli import _settings

    settings = _settings()
    database = open_database(settings)
    client_id = _client_id(database, client)
    if not yes:
        typer.echo(f"This erases client {client_id}'s messages and personal fields for good; "
                   "only the anonymous case stays. Run again with --yes.")
        database.dispose()
        raise typer.Exit(1)
    now = utcnow()
    with database() as uow:
        case = uow.cases.current_for(client_id)
        counts = uow.privacy.erase(client_id)
        staff = Translator(settings.dialogue.staff_language, settings.timezone)
        uow.tasks.add(TaskRecord(TaskKind.CLIENT_ERASED, erased_note(staff, case), now,
                                 None, case.id if case else None))
        uow.audit.add(AuditRecord("cli", "client.erase", f"client:{client_id}", now,
                                  {"rows": sum(counts.values())}))
        uow.commit()
    database.dispose()
    typer.echo(f"Client {client_id} erased: " + ", ".join(f"{k} {v}" for k, v in
                                                          sorted(counts.items())) + ".")


@retention_app.command("run")
def retention_run() -> None:
    """Apply the retention periods now (Werkmaat also does it every night)."""
    from bot.cli import _settings

    settings = _settings()
    database = open_database(settings)
    report = run_retention(database, settings.retention, utcnow)
    database.dispose()
    typer.echo(f"Retention: {report}.")
