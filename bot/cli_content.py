"""`werkmaat content check`: the rights content base is complete, well-formed and recent."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from dialogues.languages import LANGUAGES
from dialogues.rights_content import CONTENT_DIR, problems, read_book

content_app = typer.Typer(help="The rights content base (content/rights).", no_args_is_help=True)


@content_app.command("check")
def check(
    directory: Annotated[Path, typer.Option(help="The content folder")] = CONTENT_DIR,
    max_age_days: Annotated[int, typer.Option(help="Oldest allowed review date, in days")] = 365,
    online: Annotated[bool, typer.Option(help="Also open every source link")] = False,
) -> None:
    """Every entry in every language, fields filled, links well-formed, reviews recent."""
    languages = tuple(lang.code for lang in LANGUAGES)
    found = problems(directory, date.today(), max_age_days, languages)
    if online and not found:
        found += _dead_links(directory)
    for problem in found:
        typer.echo(problem, err=True)
    if found:
        raise typer.Exit(1)
    rights = read_book(directory)
    drafts = sorted({code for e in rights.entries for code, t in e.texts.items()
                     if t.status == "draft"})
    typer.echo(f"{len(rights.entries)} entries in {len(languages)} languages: complete. "
               f"Drafts (not reviewed by a native speaker): {', '.join(drafts) or 'none'}.")


def _dead_links(directory: Path) -> list[str]:
    import httpx

    dead = []
    for entry in read_book(directory).entries:
        try:
            answer = httpx.get(entry.source, follow_redirects=True, timeout=15)
            if answer.status_code >= 400:
                dead.append(f"{entry.id}: {entry.source} answered {answer.status_code}")
        except httpx.HTTPError as exc:
            dead.append(f"{entry.id}: {entry.source} did not answer ({type(exc).__name__})")
    return dead
