"""`werkmaat encryption key` and `werkmaat encryption rotate`: keys for encryption at rest
(docs/encryption.md)."""

from __future__ import annotations

from typing import Annotated

import typer

encryption_app = typer.Typer(help="Encryption at rest of messages and personal free text.",
                             no_args_is_help=True)


@encryption_app.command("key")
def key() -> None:
    """Print a new key; put it first in WERKMAAT_ENCRYPTION_KEYS (and keep a copy safe)."""
    from storage.sql.encryption import new_key

    typer.echo(new_key())


@encryption_app.command("rotate")
def rotate(
    batch_size: Annotated[int, typer.Option(min=1, max=10_000, help="Rows per transaction")
                          ] = 500,
) -> None:
    """Re-encrypt everything under the first key (plain text from before too), so the other
    keys can be dropped. Restart Werkmaat with the new keys first; it may run meanwhile."""
    from bot.cli import _settings
    from bot.composition import open_database

    settings = _settings()
    if settings.encryption_keys is None:
        typer.echo("WERKMAAT_ENCRYPTION_KEYS is not set: there is no key to rotate to.",
                   err=True)
        raise typer.Exit(1)
    database = open_database(settings)
    try:
        columns = database.rotate_keys(batch_size)
    finally:
        database.dispose()
    typer.echo(f"{'column':<28}{'rotated':>10}{'current':>10}{'changed':>10}"
               f"{'unreadable':>12}")
    for c in columns:
        typer.echo(f"{c.name:<28}{c.rotated:>10,}{c.current:>10,}{c.changed:>10,}"
                   f"{c.unreadable:>12,}")
    unreadable = sum(c.unreadable for c in columns)
    if unreadable:
        typer.echo(f"{unreadable:,} value(s) were encrypted with a key that is not in "
                   "WERKMAAT_ENCRYPTION_KEYS and stay as they were: add that key (after the "
                   "first) and run again before dropping any key.", err=True)
        raise typer.Exit(1)
    typer.echo("Every value is under the first key now: the other keys may be dropped.")
