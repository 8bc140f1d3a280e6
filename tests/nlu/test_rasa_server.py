"""The real thing: scripts/rasa-serve with the trained model, asked through RasaNLU.

Needs `scripts/rasa-setup` and `scripts/rasa-train` (minutes, 2.7 GB); skipped where they have
not been run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from nlu.rasa_client import RasaNLU, RasaUnavailable
from tests.processes import free_port

ROOT = Path(__file__).resolve().parents[2]
RASA = ROOT / ".venv-rasa" / "bin" / "rasa"
MODEL = ROOT / "var" / "rasa" / "models" / "werkmaat-nlu.tar.gz"
READY_TIMEOUT = 90.0

pytestmark = pytest.mark.rasa


@pytest.fixture
def rasa_server(tmp_path: Path):
    if not RASA.exists() or not MODEL.exists():
        pytest.skip("Rasa not installed: run scripts/rasa-setup and scripts/rasa-train")
    port, token = free_port(), f"test-{os.getpid()}-{time.time_ns()}"
    log_path = tmp_path / "rasa-serve.log"
    env = {**os.environ, "WERKMAAT_RASA_PORT": str(port), "WERKMAAT_RASA_TOKEN": token}
    with log_path.open("wb") as log:
        proc = subprocess.Popen(["bash", str(ROOT / "scripts" / "rasa-serve")], cwd=ROOT, env=env,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        nlu = RasaNLU(url, token, timeout=5.0)
        deadline = time.monotonic() + READY_TIMEOUT
        while not nlu.health():
            if proc.poll() is not None:
                pytest.fail(f"rasa-serve exited early:\n{log_path.read_text(errors='replace')}")
            if time.monotonic() > deadline:
                pytest.fail(f"Rasa not ready in {READY_TIMEOUT:.0f} s:\n"
                            f"{log_path.read_text(errors='replace')[-4000:]}")
            time.sleep(0.5)
        yield nlu, url, token
        nlu.close()
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # rasa-serve execs Rasa: this stops the server
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)


def test_rasa_serves_the_trained_model(rasa_server) -> None:
    nlu, url, token = rasa_server

    for text, intent, language in [("goeiemorgen", "greet", "nl"),
                                   ("I am looking for a job", "seek_work", "en"),
                                   ("شكرا جزيلا", "thanks", "ar")]:
        result = nlu.parse(text)
        assert (result.intent, result.language) == (intent, language), text
        assert 0.0 < result.confidence <= 1.0
        assert 1 <= len(result.ranking) <= 5
        assert not result.crisis

    urgent = nlu.parse("I want to kill myself")
    assert urgent.intent == "urgent_help" and urgent.crisis
    assert urgent.ranking[0].intent == "urgent_help"  # Rasa itself, not only the lexicon

    with pytest.raises(RasaUnavailable, match="401"):
        RasaNLU(url, "not-the-token").parse("goeiemorgen")
    assert RasaNLU(url, "not-the-token").health() is False
    assert httpx.post(f"{url}/model/parse", json={"text": "hallo"}).status_code == 401
    assert httpx.get(f"{url}/status").status_code == 401
    assert token  # the right one still works after the refusals
    assert nlu.parse("goeiemorgen").intent == "greet"
