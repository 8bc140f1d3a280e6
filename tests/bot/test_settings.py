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
