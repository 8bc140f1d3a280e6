from __future__ import annotations

import pytest

from bot.settings import Settings


def test_defaults_are_the_embedded_ones(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    for key in ("WERKMAAT_DATABASE_URL", "WERKMAAT_TELEGRAM_TOKEN", "WERKMAAT_WEB_PORT"):
        monkeypatch.delenv(key, raising=False)
    s = Settings()
    assert s.database_url == "sqlite:///var/werkmaat.db"
    assert not s.telegram_enabled and s.web_address == "http://127.0.0.1:8080"
    assert s.timezone == "Europe/Brussels"
    assert "Menen" in s.municipalities and "Kortrijk" in s.municipalities


def test_environment_and_dotenv(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("WERKMAAT_WEB_PORT=9123\nWERKMAAT_TELEGRAM_TOKEN=1:abc\n")
    monkeypatch.setenv("WERKMAAT_MUNICIPALITIES", "Gent, Ledeberg")
    monkeypatch.setenv("WERKMAAT_COUNSELOR_CHAT_ID", "-1001234")
    s = Settings()
    assert s.web_port == 9123 and s.telegram_enabled
    assert "1:abc" not in repr(s), "secrets are masked"
    assert s.municipalities == ("Gent", "Ledeberg") and s.counselor_chat_id == -1001234
    assert s.dialogue.municipalities == ("Gent", "Ledeberg")


def test_bad_values_are_refused(monkeypatch):
    monkeypatch.setenv("WERKMAAT_WEB_PORT", "not-a-port")
    with pytest.raises(ValueError):
        Settings()


def test_reminders_quiet_hours_and_the_nazorg_schedule(monkeypatch, tmp_path):
    from datetime import time, timedelta

    from pydantic import ValidationError

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WERKMAAT_REMINDERS", "2d,3h")
    monkeypatch.setenv("WERKMAAT_QUIET_HOURS", "22:00-07:00")
    monkeypatch.setenv("WERKMAAT_TIMEZONE", "Europe/Amsterdam")
    monkeypatch.setenv("WERKMAAT_NAZORG_SCHEDULE", "interim,day_contract:1,3;permanent:14")
    policy = Settings().dialogue.reminders
    assert policy.offsets == (timedelta(days=2), timedelta(hours=3))
    assert policy.quiet == (time(22), time(7)) and policy.timezone == "Europe/Amsterdam"
    schedule = Settings().dialogue.nazorg_schedule
    assert schedule["interim"] == schedule["day_contract"] == (1, 3)
    assert schedule["permanent"] == (14,) and schedule["training"] == (7, 30, 60, 90)
    for key, bad in (("WERKMAAT_REMINDERS", "soon"), ("WERKMAAT_QUIET_HOURS", "late"),
                     ("WERKMAAT_NAZORG_SCHEDULE", "gig:1")):
        monkeypatch.setenv(key, bad)
        with pytest.raises(ValidationError):
            Settings()
        monkeypatch.delenv(key)


def test_retention_settings(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    s = Settings()
    assert (s.retention.messages_months, s.retention.client_months,
            s.retention.contact_days, s.retention.outbox_days) == (12, 24, 30, 30)
    assert s.retention_daily_at == "03:30"
    monkeypatch.setenv("WERKMAAT_RETENTION_DAILY_AT", "4:05")
    monkeypatch.setenv("WERKMAAT_RETENTION_CLIENT_MONTHS", "36")
    s = Settings()
    assert s.retention_daily_at == "04:05" and s.retention.client_months == 36
    monkeypatch.setenv("WERKMAAT_RETENTION_DAILY_AT", "25:00")
    with pytest.raises(ValueError):
        Settings()
