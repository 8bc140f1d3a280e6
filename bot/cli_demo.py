"""`werkmaat demo-data`: invented clients for demos and load tests, never for a real store.

bot/cli.py registers `demo_data` as a command, like the other command modules.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer

PROGRESS_FROM = 20_000  # bigger runs say how far they are, every tenth


def demo_data(
    clients: Annotated[int, typer.Option(min=1, help="How many invented clients to make")],
    interactions_per_client: Annotated[int, typer.Option(
        min=0, help="Messages per client, on average (both ways)")] = 50,
    seed: Annotated[int, typer.Option(help="The same seed makes the same clients")] = 1,
    add: Annotated[bool, typer.Option(
        "--add", help="Add to a store that has clients already")] = False,
    logins: Annotated[bool, typer.Option(
        "--logins", help="Also make the dashboard accounts coordinator.demo and "
                         "counselor.demo; their passwords are shown once")] = False,
) -> None:
    """Fill the case store with clearly fake clients, cases and chats in all 16 languages."""
    from bot.cli import _settings
    from bot.composition import open_database
    from bot.demo_data import StoreNotEmpty, generate

    database = open_database(_settings())
    try:
        summary = generate(database, clients, seed=seed,
                           interactions_per_client=interactions_per_client, logins=logins,
                           add=add, progress=_tenths() if clients >= PROGRESS_FROM else None)
    except StoreNotEmpty as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    finally:
        database.dispose()
    typer.echo(f"Demo data made in {summary.seconds:.1f} s (seed {seed}):")
    for table, count in summary.counts.items():
        typer.echo(f"  {table:<20}{count:>12,}")
    if summary.logins:
        typer.echo("Dashboard logins (the passwords are not stored: note them now):")
        for login in summary.logins:
            typer.echo(f"  {login.login:<20}{login.password}  ({login.role.value})")
    elif logins:
        typer.echo("The dashboard logins exist already; their passwords are unchanged.")


def _tenths() -> Callable[[int, int], None]:
    """A progress line each time another tenth of the clients is made."""
    shown = 0

    def show(done: int, total: int) -> None:
        nonlocal shown
        tenth = done * 10 // total
        if tenth > shown:
            shown = tenth
            typer.echo(f"  {done:,} of {total:,} clients made", err=True)

    return show
