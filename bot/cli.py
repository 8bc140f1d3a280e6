"""The `werkmaat` command."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer

from bot.logs import configure_logging
from bot.settings import Settings

if TYPE_CHECKING:
    from storage.records import AuditRecord, CounselorRecord

app = typer.Typer(help="Werkmaat: a multilingual chat assistant for job-activation programmes.",
                  no_args_is_help=True, add_completion=False)
db_app = typer.Typer(help="The case store.", no_args_is_help=True)
counselor_app = typer.Typer(help="Counselors who may read cases and talk to clients.",
                            no_args_is_help=True)
nlu_app = typer.Typer(help="Understanding free text.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(counselor_app, name="counselor")
i18n_app = typer.Typer(help="Translation catalogs.", no_args_is_help=True)
app.add_typer(nlu_app, name="nlu")
app.add_typer(i18n_app, name="i18n")


def _register_planning() -> None:
    from bot.cli_aftercare import case_app, job_app
    from bot.cli_appointments import appointment_app
    from bot.cli_bench import bench
    from bot.cli_content import content_app
    from bot.cli_demo import demo_data
    from bot.cli_encryption import encryption_app
    from bot.cli_privacy import export, forget, retention_app

    app.add_typer(appointment_app, name="appointment")
    app.add_typer(job_app, name="job")
    app.add_typer(case_app, name="case")
    app.add_typer(content_app, name="content")
    app.command("demo-data")(demo_data)
    app.command("bench")(bench)
    app.command("export")(export)
    app.command("forget")(forget)
    app.add_typer(retention_app, name="retention")
    app.add_typer(encryption_app, name="encryption")


_register_planning()


def _settings() -> Settings:
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    return settings


@app.command()
def run(role: Annotated[str, typer.Option(
        help="all: everything in one process (the default); web: web chat, dashboard and "
             "Telegram's webhook (several behind a proxy); bot: Telegram polling (one); "
             "dispatcher: scheduled messages (several). See docs/deployment.md")] = "all"
        ) -> None:
    """Run the web chat, the counselor page, the dispatcher and (with a token) the bot."""
    from bot.runtime import Role, RoleRefused, serve

    try:
        chosen = Role(role)
    except ValueError:
        raise typer.BadParameter(
            f"unknown role {role!r}: all, web, bot or dispatcher") from None
    settings = _settings()
    try:
        chosen.telegram_updates(settings)
    except RoleRefused as exc:
        raise typer.BadParameter(str(exc)) from None
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(settings, chosen))


@app.command()
def chat(client: Annotated[str | None, typer.Option(help="Console client id")] = None) -> None:
    """Talk to Werkmaat in this terminal (numbers press buttons)."""
    from bot.composition import build
    from bot.console import run_console

    settings = _settings()
    logging.getLogger().setLevel(logging.WARNING)
    werkmaat = build(settings)
    asyncio.run(run_console(werkmaat.engine, client))


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the database schema to the newest version."""
    from storage.sql import upgrade

    settings = _settings()
    upgrade(settings.database_url)
    typer.echo("The case store is up to date.")


@counselor_app.command("add")
def counselor_add(
    name: Annotated[str, typer.Option(help="Full name, as clients will see the first name")],
    telegram_id: Annotated[int | None, typer.Option(help="Telegram user id")] = None,
    languages: Annotated[str, typer.Option(help="Languages spoken, e.g. nl,en,ar")] = "nl",
    role: Annotated[str, typer.Option(help="counselor, coordinator or admin")] = "counselor",
    login: Annotated[str | None, typer.Option(help="A dashboard login (asks for a password)")
                     ] = None,
    password_stdin: Annotated[bool, typer.Option(help="Read the password from standard input")
                              ] = False,
) -> None:
    """Register a counselor; with --login they can also use the web dashboard."""
    from bot.composition import open_database
    from bot.dashboard.passwords import hash_password
    from dialogues.languages import supported
    from storage.records import AuditRecord, CounselorRecord, CounselorRole

    login = login.strip().lower() if login else None
    if login is not None and not _valid_login(login):
        raise typer.BadParameter("a login is 3-100 characters: letters, digits, . _ - @")
    password_hash = hash_password(_new_password(password_stdin)) if login else ""
    codes = tuple(c.strip() for c in languages.split(",") if c.strip())
    unknown = [c for c in codes if not supported(c)]
    if unknown:
        raise typer.BadParameter(f"unknown language code(s): {', '.join(unknown)}")
    try:
        role_value = CounselorRole(role)
    except ValueError:
        raise typer.BadParameter("role must be counselor, coordinator or admin") from None
    database = open_database(_settings())
    now = datetime.now(UTC)
    with database() as uow:
        if telegram_id is not None and uow.counselors.by_telegram_id(telegram_id):
            typer.echo(f"A counselor with Telegram id {telegram_id} exists already.", err=True)
            raise typer.Exit(1)
        if login is not None and uow.counselors.by_login(login):
            typer.echo(f"The login {login} is taken already.", err=True)
            raise typer.Exit(1)
        added = uow.counselors.add(CounselorRecord(name=name.strip(), role=role_value,
                                                   created_at=now, telegram_user_id=telegram_id,
                                                   languages=codes, login=login,
                                                   password_hash=password_hash))
        uow.audit.add(AuditRecord("cli", "counselor.add", f"counselor:{added.id}", now,
                                  {"role": role_value.value}))
        uow.commit()
    typer.echo(f"Counselor {added.id} added: {added.name} ({added.role.value}, "
               f"{', '.join(added.languages)}).")


@counselor_app.command("list")
def counselor_list() -> None:
    """List registered counselors."""
    from bot.composition import open_database

    database = open_database(_settings())
    with database() as uow:
        for c in uow.counselors.all():
            typer.echo(f"{c.id}\t{c.name}\t{c.role.value}\t{','.join(c.languages)}\t"
                       f"{c.telegram_user_id or '-'}\t{c.login or '-'}\t"
                       f"{'active' if c.active else 'disabled'}")


@counselor_app.command("password")
def counselor_password(
    login: Annotated[str, typer.Argument(help="The dashboard login")],
    password_stdin: Annotated[bool, typer.Option(help="Read the password from standard input")
                              ] = False,
) -> None:
    """Set a new dashboard password."""
    from bot.dashboard.passwords import hash_password
    from storage.records import AuditRecord

    counselor = _counselor_by_login(login)
    counselor.password_hash = hash_password(_new_password(password_stdin))
    _save_counselor(counselor, AuditRecord("cli", "counselor.password",
                                           f"counselor:{counselor.id}", datetime.now(UTC)))
    typer.echo(f"New password set for {counselor.login}.")


@counselor_app.command("disable")
def counselor_disable(
    login: Annotated[str, typer.Argument(help="The dashboard login")],
) -> None:
    """Stop a counselor's access (dashboard sessions end at their next click)."""
    from storage.records import AuditRecord

    counselor = _counselor_by_login(login)
    counselor.active = False
    _save_counselor(counselor, AuditRecord("cli", "counselor.disable",
                                           f"counselor:{counselor.id}", datetime.now(UTC)))
    typer.echo(f"{counselor.login} can no longer log in or act.")


def _valid_login(login: str) -> bool:
    return 3 <= len(login) <= 100 and all(c.isalnum() or c in "._-@" for c in login)


def _new_password(from_stdin: bool) -> str:
    """A new password from standard input or typed twice; never from a command-line flag,
    which would end up in shell history and process lists."""
    from bot.dashboard.passwords import password_problem

    if from_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    problem = password_problem(password)
    if problem:
        raise typer.BadParameter(problem)
    return password


def _counselor_by_login(login: str) -> CounselorRecord:
    from bot.composition import open_database

    with open_database(_settings())() as uow:
        counselor = uow.counselors.by_login(login)
    if counselor is None:
        typer.echo(f"No counselor with the login {login}.", err=True)
        raise typer.Exit(1)
    return counselor


def _save_counselor(counselor: CounselorRecord, entry: AuditRecord) -> None:
    from bot.composition import open_database

    with open_database(_settings())() as uow:
        uow.counselors.save(counselor)
        uow.audit.add(entry)
        uow.commit()


@nlu_app.command("parse")
def nlu_parse(
    backend: Annotated[str, typer.Option(help="embedded or rasa")] = "",
) -> None:
    """Read messages from standard input, one per line; write one JSON object per line."""
    from nlu import load_backend

    settings = _settings()
    logging.getLogger().setLevel(logging.WARNING)
    token = settings.rasa_token.get_secret_value() if settings.rasa_token else None
    try:
        # an explicit --backend rasa measures Rasa itself: no quiet fallback
        parser = load_backend(backend or settings.nlu_backend, settings.rasa_url, token,
                              fallback=not backend)
    except ValueError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    with open(sys.stdin.fileno(), encoding="utf-8", errors="replace", closefd=False) as stdin:
        for line in stdin:
            text = line.rstrip("\r\n")
            row = json.dumps(parser.parse(text).as_contract(), ensure_ascii=False)
            sys.stdout.write(row + "\n")
            sys.stdout.flush()


@nlu_app.command("train")
def nlu_train() -> None:
    """Embed the training data and store the embedded backend's model in nlu/model/."""
    from nlu.embedded import train_embedding_model
    from nlu.embedders import E5Embedder

    _settings()
    path = train_embedding_model(E5Embedder())
    typer.echo(f"stored {path}")


@nlu_app.command("evaluate")
def nlu_evaluate(
    backend: Annotated[list[str] | None, typer.Option(help="Backends to compare")] = None,
    confusion_csv: Annotated[str | None, typer.Option(help="Write full confusion tables "
                                                           "here (one file per backend)")] = None,
) -> None:
    """Score backends on the held-out split, side by side, through `werkmaat nlu parse`."""
    from nlu.evaluation import evaluate, format_report

    settings = _settings()
    names = backend or ["embedded"] + (["rasa"] if settings.rasa_url else [])
    results = []
    for name in names:
        try:
            results.append(evaluate(name))
        except RuntimeError as exc:
            typer.echo(f"{name}: not evaluated: {exc}", err=True)
    if not results:
        raise typer.Exit(1)
    typer.echo(format_report(results))
    if confusion_csv:
        for result in results:
            path = f"{confusion_csv.removesuffix('.csv')}-{result.backend}.csv"
            with open(path, "w", encoding="utf-8") as f:
                f.write(result.matrix_csv())
            typer.echo(f"confusion table: {path}")


@i18n_app.command("update")
def i18n_update() -> None:
    """Extract marked strings and bring every catalog in step (new strings come untranslated)."""
    from bot.catalogs import update, write_template

    write_template()
    for path in update():
        typer.echo(f"updated {path}")


@i18n_app.command("compile")
def i18n_compile() -> None:
    """Compile every catalog to its .mo file."""
    from bot.catalogs import compile_all

    for path in compile_all():
        typer.echo(f"compiled {path}")


@i18n_app.command("check")
def i18n_check(
    language: Annotated[list[str] | None, typer.Option(help="Only these languages")] = None,
) -> None:
    """Fail on untranslated, fuzzy or broken messages, and on stale compiled catalogs."""
    from bot.catalogs import check, review_state

    problems = check(language)
    for problem in problems:
        typer.echo(str(problem), err=True)
    if problems:
        typer.echo(f"{len(problems)} problem(s) in the catalogs.", err=True)
        raise typer.Exit(1)
    from dialogues.languages import LANGUAGES

    for lang in LANGUAGES:
        if not language or lang.code in language:
            typer.echo(f"{lang.code}: complete ({review_state(lang.code)})")


def main() -> None:
    app()
