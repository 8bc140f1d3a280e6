"""Health, readiness and Prometheus metrics: what operators watch, with no personal data."""

from __future__ import annotations

from fastapi.testclient import TestClient

from bot.composition import build
from bot.settings import Settings
from bot.web import create_app


def _metric(text: str, name: str, **labels: str) -> float:
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        head, _, value = line.rpartition(" ")
        if all(f'{k}="{v}"' in head for k, v in labels.items()) and (
                head == name or head.startswith(name + "{")):
            return float(value)
    raise AssertionError(f"{name} {labels} not in the metrics")


def test_health_readiness_and_metrics_after_a_conversation(tmp_path, nlu, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'w.db'}", voice_notes=False)
    werkmaat = build(settings, nlu=nlu)
    web = TestClient(create_app(werkmaat))
    assert web.get("/healthz").json() == {"status": "ok"}
    assert web.get("/readyz").json()["status"] == "ready"
    for body in ({"start": True}, {"payload": "lang:ar"}, {"payload": "consent:yes"},
                 {"payload": "area:Menen"}, {"payload": "nat:yes"}, {"payload": "seek:yes"},
                 {"text": "يوسف"}, {"payload": "contact:chat"}, {"payload": "help:work"},
                 {"text": "أريد أن أتحدث مع شخص"}):
        web.post("/chat/api/messages", json=body)
    answer = web.get("/metrics")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    text = answer.text
    assert _metric(text, "werkmaat_messages_total", direction="in", channel="web",
                   language="ar") >= 9
    assert _metric(text, "werkmaat_messages_total", direction="out", channel="web",
                   language="ar") >= 9
    assert _metric(text, "werkmaat_turn_seconds_count", channel="web") == 10
    assert _metric(text, "werkmaat_nlu_seconds_count") >= 2
    assert _metric(text, "werkmaat_escalations", status="open") == 1
    assert _metric(text, "werkmaat_escalation_oldest_seconds", status="open") >= 0
    assert _metric(text, "werkmaat_scheduled_messages_due") == 0
    assert "يوسف" not in text and "client_id" not in text


def test_readiness_fails_when_the_store_is_not_current(tmp_path, nlu, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'w.db'}", voice_notes=False)
    werkmaat = build(settings, nlu=nlu)
    web = TestClient(create_app(werkmaat))
    with werkmaat.database.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '0001'")
    answer = web.get("/readyz")
    assert answer.status_code == 503 and "db upgrade" in answer.json()["problems"][0]
