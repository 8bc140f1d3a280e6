"""Werkmaat's configuration: read once from the environment and an optional `.env` file.

Every setting has the prefix WERKMAAT_ (e.g. WERKMAAT_DATABASE_URL); the README lists them all.
"""

from __future__ import annotations

from functools import cached_property
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.send_limits import GLOBAL_PER_SECOND
from dialogues.office_hours import DEFAULT_HOURS, parse_hours
from dialogues.reminder_times import (
    DEFAULT_QUIET_HOURS,
    DEFAULT_REMINDERS,
    ReminderPolicy,
    parse_offsets,
    parse_quiet_hours,
)
from dialogues.retention import RetentionPolicy
from dialogues.settings import DEFAULT_MUNICIPALITIES, DialogueSettings


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WERKMAAT_", env_file=".env",
                                      env_file_encoding="utf-8", extra="ignore")

    # Where the case store lives: a SQLite file by default, PostgreSQL in production.
    database_url: str = "sqlite:///var/werkmaat.db"
    # The bot's token from @BotFather; without it Telegram is off.
    telegram_token: SecretStr | None = None
    # Bot API base URL for a local or fake Bot API server; the token is appended as usual.
    telegram_base_url: str | None = None
    # The counselors' Telegram supergroup, where new cases and requests are announced.
    counselor_chat_id: int | None = None
    # Public HTTPS URL Telegram posts updates to; when set, webhook mode replaces polling.
    webhook_url: str | None = None
    # Secret Telegram sends in X-Telegram-Bot-Api-Secret-Token; other requests are refused.
    webhook_secret: SecretStr | None = None
    # Address of the web chat, the counselor page and the webhook.
    web_host: str = "127.0.0.1"
    web_port: int = 8080
    # /healthz, /readyz and /metrics of a bot or dispatcher process (the web role serves them
    # on web_port); unset: those roles open no port.
    health_port: int | None = None
    # Local time of the programme: dates shown to clients, office hours, reminders.
    timezone: str = "Europe/Brussels"
    # The programme's name as clients know it.
    programme_name: str = "'t Werkt"
    # Municipalities of the programme's area, comma-separated.
    municipalities: Annotated[tuple[str, ...], NoDecode] = DEFAULT_MUNICIPALITIES
    # Working days within which a counselor contacts a newly registered client.
    response_working_days: int = Field(default=3, ge=1, le=30)
    # When counselors answer, e.g. "mon-thu 09:00-17:00, fri 09:00-12:00"; closed on Belgian
    # public holidays. Outside these hours clients hear when a person will read their message.
    office_hours: str = DEFAULT_HOURS
    # Minutes an escalation may wait unclaimed before it is announced again (urgent ones: a
    # fifth of that); from the second reminder on, coordinators are told too.
    escalation_remind_minutes: int = Field(default=30, ge=1, le=24 * 60)
    # Reminders before an appointment, e.g. "24h,2h" or "2d,3h,30m".
    reminders: str = DEFAULT_REMINDERS
    # No scheduled messages to clients in these local hours ("off" for none); a reminder that
    # would fall inside goes earlier, never after the appointment.
    quiet_hours: str = DEFAULT_QUIET_HOURS
    # Seconds between the dispatcher's looks at the scheduled-message table.
    dispatch_interval: float = Field(default=2.0, gt=0, le=300)
    # Messages a second to Telegram for all processes together: Telegram allows about 30; a bot
    # with paid broadcasts may send up to 1,000 (the benchmark uses that to measure Werkmaat
    # itself, not Telegram's limit).
    telegram_messages_per_second: float = Field(default=GLOBAL_PER_SECOND, gt=0, le=1000)
    # After-care check-in days per contract type, e.g. "interim,day_contract:2,7,14,30,60,90;
    # permanent:7,30,90,180"; contract types not named keep their defaults.
    nazorg_schedule: str = ""
    # Which NLU answers free text: "embedded" (in-process, the default) or "rasa".
    nlu_backend: str = "embedded"
    # The Rasa NLU server (scripts/rasa-serve), used by the "rasa" backend.
    rasa_url: str | None = None
    # The Rasa server's auth token.
    rasa_token: SecretStr | None = None
    # Offer a 🔊 button that sends messages as voice notes (needs espeak-ng and opus-tools).
    voice_notes: bool = True
    # Log level: DEBUG, INFO, WARNING, ERROR.
    log_level: str = "INFO"
    # Log lines as "plain" text or "json" (one object a line, for a log collector).
    log_format: Literal["plain", "json"] = "plain"
    # Keys that encrypt messages and personal free text in the case store, comma-separated,
    # each from `werkmaat encryption key`: the first encrypts, every one decrypts (rotation,
    # docs/encryption.md). Without keys nothing is encrypted.
    encryption_keys: SecretStr | None = None
    # Retention (docs/privacy.md): months after a client's last case closed until what was
    # said is deleted, and until the client is erased (only the anonymous case stays)…
    retention_messages_months: int = Field(default=12, ge=1, le=120)
    retention_client_months: int = Field(default=24, ge=1, le=240)
    # …days until contacts who never registered are erased, and until unread web chat
    # messages are deleted; local time of the daily run ("off": only `werkmaat retention run`).
    retention_contact_days: int = Field(default=30, ge=1, le=3650)
    retention_outbox_days: int = Field(default=30, ge=1, le=3650)
    retention_daily_at: str = "03:30"

    @field_validator("municipalities", mode="before")
    @classmethod
    def _split_municipalities(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(p.strip() for p in value.split(",") if p.strip())
        return value

    @field_validator("telegram_token", "webhook_secret", "webhook_url", "telegram_base_url",
                     "rasa_url", "rasa_token", "encryption_keys", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("office_hours")
    @classmethod
    def _valid_hours(cls, value: str) -> str:
        parse_hours(value)
        return value

    @field_validator("reminders")
    @classmethod
    def _valid_reminders(cls, value: str) -> str:
        parse_offsets(value)
        return value

    @field_validator("nazorg_schedule")
    @classmethod
    def _valid_schedule(cls, value: str) -> str:
        from dialogues.nazorg import parse_schedule

        parse_schedule(value)
        return value

    @field_validator("retention_daily_at")
    @classmethod
    def _valid_daily_at(cls, value: str) -> str:
        if value.strip().lower() == "off":
            return "off"
        hours, _, minutes = value.strip().partition(":")
        if not (hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60):
            raise ValueError("a local time like 03:30, or off")
        return f"{int(hours):02d}:{int(minutes):02d}"

    @field_validator("quiet_hours")
    @classmethod
    def _valid_quiet_hours(cls, value: str) -> str:
        parse_quiet_hours(value)
        return value

    @cached_property
    def dialogue(self) -> DialogueSettings:
        return DialogueSettings(programme_name=self.programme_name,
                                municipalities=self.municipalities,
                                response_working_days=self.response_working_days,
                                timezone=self.timezone, office_hours=self.office_hours,
                                escalation_remind_minutes=self.escalation_remind_minutes,
                                reminders=ReminderPolicy(parse_offsets(self.reminders),
                                                         parse_quiet_hours(self.quiet_hours),
                                                         self.timezone),
                                nazorg_schedule=self._nazorg_schedule())

    def _nazorg_schedule(self) -> dict[str, tuple[int, ...]]:
        from dialogues.nazorg import parse_schedule

        return {k.value: v for k, v in parse_schedule(self.nazorg_schedule).items()}

    @property
    def retention(self) -> RetentionPolicy:
        return RetentionPolicy(self.retention_messages_months, self.retention_client_months,
                               self.retention_contact_days, self.retention_outbox_days)

    @property
    def telegram_enabled(self) -> bool:
        return self.telegram_token is not None

    @property
    def web_address(self) -> str:
        return f"http://{self.web_host}:{self.web_port}"
