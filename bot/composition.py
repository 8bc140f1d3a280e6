"""The composition root: settings in, a wired Werkmaat out. Nothing else builds objects."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from bot.metrics import Metrics
from bot.settings import Settings
from bot.speech import Speech
from dialogues import Engine
from nlu import NLU, load_backend
from storage.sql import Database
from storage.sql.encryption import Cipher, InvalidKeys

log = logging.getLogger(__name__)


@dataclass
class Werkmaat:
    settings: Settings
    database: Database
    nlu: NLU
    engine: Engine
    speech: Speech
    metrics: Metrics


def open_database(settings: Settings, upgrade: bool | None = None,
                  require_current: bool = True) -> Database:
    """Open the case store; SQLite is migrated on start, PostgreSQL by `werkmaat db upgrade`.

    Refuses a store whose encrypted values the configured keys cannot read, rather than show
    tokens to clients or write under a key nobody else has.
    """
    database = Database(settings.database_url, cipher(settings))
    if upgrade is None:
        upgrade = database.engine.dialect.name == "sqlite"
    if upgrade:
        database.upgrade()
    elif require_current and not database.schema_is_current():
        database.dispose()
        raise SystemExit("The case store's schema is not up to date: run `werkmaat db upgrade`.")
    problem = database.unreadable() if upgrade or require_current else None
    if problem:
        database.dispose()
        raise SystemExit(f"The case store cannot be read: {problem}. Set "
                         "WERKMAAT_ENCRYPTION_KEYS to every key still in use, the current one "
                         "first (docs/encryption.md).")
    if database.cipher is None and database.engine.dialect.name == "postgresql":
        log.warning("The case store is not encrypted at rest: set WERKMAAT_ENCRYPTION_KEYS "
                    "(docs/encryption.md).")
    return database


def cipher(settings: Settings) -> Cipher | None:
    """The cipher of WERKMAAT_ENCRYPTION_KEYS, or None without keys."""
    if settings.encryption_keys is None:
        return None
    try:
        return Cipher.from_setting(settings.encryption_keys.get_secret_value())
    except InvalidKeys as exc:  # the message names the key's place, never the key
        raise SystemExit(f"WERKMAAT_ENCRYPTION_KEYS: {exc}.") from None


def build(settings: Settings, nlu: NLU | None = None) -> Werkmaat:
    database = open_database(settings)
    nlu = nlu or load_backend(
        settings.nlu_backend, settings.rasa_url,
        settings.rasa_token.get_secret_value() if settings.rasa_token else None)
    speech = Speech()
    voices = speech.languages if settings.voice_notes else ()
    metrics = Metrics(database)
    engine = Engine(database, nlu, replace(settings.dialogue, voice_languages=voices),
                    observer=metrics,
                    # several processes only share PostgreSQL; SQLite serves one, which orders
                    # a client's messages itself
                    hold=database.hold_client if database.shared else None)
    return Werkmaat(settings, database, nlu, engine, speech, metrics)
