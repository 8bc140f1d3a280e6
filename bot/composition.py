"""The composition root: settings in, a wired Werkmaat out. Nothing else builds objects."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from bot.settings import Settings
from bot.speech import Speech
from dialogues import Engine
from nlu import NLU, load_backend
from storage.sql import Database

log = logging.getLogger(__name__)


@dataclass
class Werkmaat:
    settings: Settings
    database: Database
    nlu: NLU
    engine: Engine
    speech: Speech


def open_database(settings: Settings, upgrade: bool | None = None,
                  require_current: bool = True) -> Database:
    """Open the case store; SQLite is migrated on start, PostgreSQL by `werkmaat db upgrade`."""
    database = Database(settings.database_url)
    if upgrade is None:
        upgrade = database.engine.dialect.name == "sqlite"
    if upgrade:
        database.upgrade()
    elif require_current and not database.schema_is_current():
        database.dispose()
        raise SystemExit("The case store's schema is not up to date: run `werkmaat db upgrade`.")
    return database


def build(settings: Settings, nlu: NLU | None = None) -> Werkmaat:
    database = open_database(settings)
    nlu = nlu or load_backend(
        settings.nlu_backend, settings.rasa_url,
        settings.rasa_token.get_secret_value() if settings.rasa_token else None)
    speech = Speech()
    voices = speech.languages if settings.voice_notes else ()
    engine = Engine(database, nlu, replace(settings.dialogue, voice_languages=voices))
    return Werkmaat(settings, database, nlu, engine, speech)
