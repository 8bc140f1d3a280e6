"""The Rasa client and the fallback wrapper, offline: answers recorded from a real Rasa 3.6 server.

tests/fixtures/rasa/parse_*.json and lexicon_*.json are `POST /model/parse` bodies and
status.json the `GET /status` body of `scripts/rasa-serve` serving the model of
`scripts/rasa-train` (recorded with the seeded training of nlu/rasa/config.yml).
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from nlu.rasa_client import FallbackNLU, RasaNLU, RasaUnavailable
from nlu.types import INTENTS, ParseResult
from tests.processes import free_port

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "rasa"
URL = "http://rasa.test:5005"
TOKEN = "s3cret-token"
PARSES = sorted(FIXTURES.glob("parse_*.json"))


def recorded(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def expected_language(path: Path) -> str:
    return path.stem.split("_")[1]  # parse_<lang>_<intent>.json


class Replay:
    """A MockTransport handler that answers every request with one canned response."""

    def __init__(self, body: object = None, status: int = 200, raw: bytes | None = None,
                 error: Callable[[httpx.Request], Exception] | None = None) -> None:
        self.body, self.status, self.raw, self.error = body, status, raw, error
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.error is not None:
            raise self.error(request)
        if self.raw is not None:
            return httpx.Response(self.status, content=self.raw)
        return httpx.Response(self.status, json=self.body)


def client(handler: Replay) -> RasaNLU:
    return RasaNLU(URL, TOKEN, transport=httpx.MockTransport(handler))


def test_fixtures_were_recorded() -> None:
    assert len(PARSES) >= 5
    assert {expected_language(p) for p in PARSES} >= {"nl", "en", "ar", "uk"}
    assert any(recorded(p.name)["intent"]["name"] == "urgent_help" for p in PARSES)
    assert (FIXTURES / "status.json").is_file()


@pytest.mark.parametrize("path", PARSES, ids=lambda p: p.stem)
def test_maps_a_recorded_answer(path: Path) -> None:
    answer = recorded(path.name)
    replay = Replay(answer)
    result = client(replay).parse(answer["text"])

    assert isinstance(result, ParseResult)
    assert result.text == answer["text"]
    assert result.intent == answer["intent"]["name"] in INTENTS
    assert result.confidence == pytest.approx(answer["intent"]["confidence"])
    assert [(s.intent, s.confidence) for s in result.ranking] == [
        (r["name"], pytest.approx(r["confidence"])) for r in answer["intent_ranking"][:5]]
    assert result.ranking[0].intent == result.intent
    assert result.language == expected_language(path)
    assert result.crisis == (result.intent == "urgent_help")
    assert result.as_contract()["intent"] == result.intent


def test_sends_the_text_as_json_and_the_token_as_query_parameter() -> None:
    answer = recorded("parse_nl_greet.json")
    replay = Replay(answer)
    client(replay).parse(answer["text"])

    (request,) = replay.requests
    assert request.method == "POST"
    assert request.url.path == "/model/parse"
    assert request.url.params["token"] == TOKEN
    assert json.loads(request.content) == {"text": answer["text"]}


def test_an_urgent_help_answer_raises_the_crisis_flag() -> None:
    (path,) = [p for p in PARSES if recorded(p.name)["intent"]["name"] == "urgent_help"]
    answer = recorded(path.name)
    result = client(Replay(answer)).parse(answer["text"])
    assert result.intent == "urgent_help"
    assert result.crisis


def test_the_crisis_lexicon_catches_what_the_model_missed() -> None:
    answer = recorded("lexicon_uk_missed_by_rasa.json")  # a real miss of the trained model
    assert answer["intent"]["name"] != "urgent_help"
    result = client(Replay(answer)).parse(answer["text"])
    assert (result.intent, result.language, result.crisis) == ("urgent_help", "uk", True)
    assert result.confidence >= 0.9
    assert result.ranking[0].intent == answer["intent"]["name"]  # the model's own ranking


def test_the_crisis_lexicon_overrules_a_calm_classifier() -> None:
    answer = copy.deepcopy(recorded("parse_nl_greet.json"))
    answer["text"] = "hallo ik wil niet meer leven"
    result = client(Replay(answer)).parse(answer["text"])
    assert result.intent == "urgent_help"
    assert result.confidence >= 0.9
    assert result.crisis


def test_urgent_help_with_low_confidence_does_not_raise_the_crisis_flag() -> None:
    answer = copy.deepcopy(recorded("parse_en_seek_work.json"))
    answer["intent"] = {"name": "urgent_help", "confidence": 0.3}
    result = client(Replay(answer)).parse(answer["text"])
    assert result.intent == "urgent_help"
    assert not result.crisis


def test_an_intent_werkmaat_does_not_know_becomes_out_of_scope() -> None:
    answer = copy.deepcopy(recorded("parse_en_seek_work.json"))
    answer["intent"]["name"] = "bot_challenge"
    answer["intent_ranking"][0]["name"] = "bot_challenge"
    answer["intent_ranking"][1]["name"] = "nlu_fallback"
    result = client(Replay(answer)).parse(answer["text"])

    assert result.intent == "out_of_scope"
    assert result.confidence == pytest.approx(answer["intent"]["confidence"])
    names = [s.intent for s in result.ranking]
    assert names[0] == "out_of_scope"
    assert len(names) == len(set(names)) <= 5
    assert set(names) <= set(INTENTS)


def test_a_null_intent_becomes_out_of_scope() -> None:
    answer = {"text": "xyz", "intent": {"name": None, "confidence": 0.0}, "entities": [],
              "intent_ranking": []}
    result = client(Replay(answer)).parse("xyz")
    assert (result.intent, result.confidence, result.ranking) == ("out_of_scope", 0.0, ())


@pytest.mark.parametrize("text", ["", "   ", "?!", "\n\t"])
def test_empty_text_is_out_of_scope_without_asking_the_server(text: str) -> None:
    replay = Replay(recorded("parse_nl_greet.json"))
    result = client(replay).parse(text)
    assert (result.intent, result.confidence, result.crisis) == ("out_of_scope", 0.0, False)
    assert replay.requests == []


@pytest.mark.parametrize("status", [400, 401, 403, 409, 500, 503])
def test_an_error_status_is_rasa_unavailable(status: int) -> None:
    replay = Replay({"version": "3.6.21", "status": "failure", "code": status}, status=status)
    with pytest.raises(RasaUnavailable, match=str(status)) as info:
        client(replay).parse("hallo")
    assert TOKEN not in str(info.value)
    assert isinstance(info.value, RuntimeError)


@pytest.mark.parametrize("error", [httpx.ReadTimeout, httpx.ConnectTimeout, httpx.ConnectError,
                                   httpx.RemoteProtocolError])
def test_transport_errors_are_rasa_unavailable(error: type[httpx.TransportError]) -> None:
    replay = Replay(error=lambda request: error("boom", request=request))
    with pytest.raises(RasaUnavailable) as info:
        client(replay).parse("hallo")
    assert TOKEN not in str(info.value)
    assert "hallo" not in str(info.value)


@pytest.mark.parametrize("raw", [b"<html>bad gateway</html>", b"[1, 2]", b'{"intent": 3}',
                                 b'{"intent": {"name": "greet", "confidence": "high"}}'])
def test_an_unreadable_body_is_rasa_unavailable(raw: bytes) -> None:
    with pytest.raises(RasaUnavailable):
        client(Replay(raw=raw)).parse("hallo")


def test_connection_refused_is_rasa_unavailable_and_quick() -> None:
    nlu = RasaNLU(f"http://127.0.0.1:{free_port()}", TOKEN, timeout=1.0)
    with pytest.raises(RasaUnavailable, match="cannot be reached"):
        nlu.parse("hallo")
    assert nlu.health() is False


def test_health_asks_status_with_the_token() -> None:
    replay = Replay(recorded("status.json"))
    nlu = client(replay)
    assert nlu.health() is True
    assert nlu.ping() is True
    assert nlu.status()["model_file"].endswith(".tar.gz")
    request = replay.requests[0]
    assert (request.method, request.url.path) == ("GET", "/status")
    assert request.url.params["token"] == TOKEN


@pytest.mark.parametrize("status", [401, 409, 500])
def test_health_is_false_when_refused_or_not_ready(status: int) -> None:
    assert client(Replay({"status": "failure"}, status=status)).health() is False


def test_the_token_is_required_and_not_in_repr() -> None:
    with pytest.raises(ValueError):
        RasaNLU(URL, "")
    assert TOKEN not in repr(client(Replay()))


# --- FallbackNLU ---------------------------------------------------------------------------

class FakeBackend:
    def __init__(self, name: str, intent: str) -> None:
        self.name, self.intent = name, intent
        self.down = False
        self.calls = 0

    def parse(self, text: str) -> ParseResult:
        self.calls += 1
        if self.down:
            raise RasaUnavailable("the Rasa server at http://rasa.test:5005 cannot be reached "
                                  "(ConnectError)")
        return ParseResult(text, self.intent, 0.9, "nl")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def setup() -> tuple[FallbackNLU, FakeBackend, FakeBackend, list[int], Clock]:
    primary, backup = FakeBackend("rasa", "greet"), FakeBackend("embedded", "thanks")
    built: list[int] = []

    def factory() -> FakeBackend:
        built.append(1)
        return backup

    clock = Clock()
    return FallbackNLU(primary, factory, retry_after=30.0, clock=clock), primary, backup, built, \
        clock


def messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "nlu.rasa_client"]


def test_fallback_uses_the_primary_while_it_answers(setup, caplog) -> None:
    nlu, primary, _, built, _ = setup
    assert nlu.name == "rasa (embedded fallback)"
    assert nlu.parse("hallo").intent == "greet"
    assert primary.calls == 1
    assert built == []  # the fallback is built only when needed
    assert messages(caplog) == []


def test_fallback_switches_over_and_back(setup, caplog) -> None:
    caplog.set_level(logging.INFO)
    nlu, primary, backup, built, clock = setup

    primary.down = True
    assert nlu.parse("hallo").intent == "thanks"
    assert nlu.primary_down
    for _ in range(5):  # within retry_after: the primary is left alone
        clock.now += 5
        assert nlu.parse("hallo").intent == "thanks"
    assert primary.calls == 1
    assert backup.calls == 6

    clock.now += 5  # 30 s after the failure: tried again, still down
    assert nlu.parse("hallo").intent == "thanks"
    assert primary.calls == 2

    primary.down = False
    clock.now += 10  # within the new retry_after
    assert nlu.parse("hallo").intent == "thanks"
    assert primary.calls == 2
    clock.now += 20
    assert nlu.parse("hallo").intent == "greet"
    assert not nlu.primary_down
    assert nlu.parse("hallo").intent == "greet"
    assert primary.calls == 4
    assert built == [1]

    logged = messages(caplog)
    assert len(logged) == 2
    assert "unavailable" in logged[0] and "fallback" in logged[0]
    assert "answers again" in logged[1]
    assert caplog.records[0].levelno == logging.WARNING


def test_fallback_warns_once_per_outage_and_builds_the_fallback_once(setup, caplog) -> None:
    nlu, primary, _, built, clock = setup
    for _ in range(2):  # two outages
        primary.down = True
        for _ in range(4):
            nlu.parse("hallo")
            clock.now += 31
        primary.down = False
        nlu.parse("hallo")
    logged = messages(caplog)
    assert sum("unavailable" in m for m in logged) == 2
    assert sum("answers again" in m for m in logged) == 2
    assert built == [1]


def test_no_message_text_in_the_logs(setup, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    nlu, primary, _, _, clock = setup
    secret = "mijn BSN is 123456789 en ik woon op de Kerkstraat 12"
    primary.down = True
    nlu.parse(secret)
    clock.now += 60
    primary.down = False
    nlu.parse(secret)
    assert caplog.records
    for record in caplog.records:
        assert "123456789" not in record.getMessage()
        assert "Kerkstraat" not in record.getMessage()
        assert all("Kerkstraat" not in str(arg) for arg in (record.args or ()))


def test_fallback_over_a_real_client_that_gets_errors(caplog) -> None:
    answer = recorded("parse_nl_greet.json")
    replay = Replay(answer, status=500)
    backup = FakeBackend("embedded", "thanks")
    clock = Clock()
    nlu = FallbackNLU(client(replay), lambda: backup, retry_after=30.0, clock=clock)

    assert nlu.parse(answer["text"]).intent == "thanks"
    replay.status = 200
    clock.now += 30
    result = nlu.parse(answer["text"])
    assert result.intent == answer["intent"]["name"]
    assert len(replay.requests) == 2
    assert all(TOKEN not in r.getMessage() for r in caplog.records)
    assert all(answer["text"] not in r.getMessage() for r in caplog.records)


def test_other_errors_of_the_primary_are_not_swallowed(setup) -> None:
    nlu, primary, _, built, _ = setup

    def broken(text: str) -> ParseResult:
        raise ValueError("a bug")

    primary.parse = broken
    with pytest.raises(ValueError):
        nlu.parse("hallo")
    assert built == []
