"""The web chat's JSON API and Telegram's webhook, fed anything a browser or a stranger can send.

POST /chat/api/messages takes `{"text", "payload", "start"}`: valid bodies with any text and
payload, bodies of the wrong shape or types, text over 20,000 characters, payloads over 200,
JSON with lone surrogate escapes, and bodies that are not JSON at all. GET /chat/api/updates
takes any `after` and any cookie. POST /telegram/webhook takes any body, with and without the
secret token.

The properties: never a 5xx (the test client re-raises what the app raised, with its
traceback), nothing swallowed and logged at ERROR (the engine's apology counts as a failure);
a 200 carries messages of the documented shape, each fit to show (`check_outgoing`), and at
least one for a client no counselor holds; a 4xx says what was wrong (`detail`).
"""

from __future__ import annotations

import contextlib
import json
import string
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import event, given
from hypothesis import strategies as st
from pydantic import SecretStr
from telegram import Bot

from bot.composition import Werkmaat, build
from bot.settings import Settings
from bot.web import COOKIE, MAX_TEXT, create_app
from dialogues.messages import Button, Outgoing
from tests.fuzz.harness import MAX_ID, check_outgoing, known_payload_bug, swallowed_errors
from tests.fuzz.strategies import (
    HashedNLU,
    chat_bodies,
    client_text,
    fuzz_settings,
    json_values,
    short_text,
    telegram_update,
)

SECRET = "fuzz-secret-token"
MAX_PAYLOAD = 200


async def ignore_update(update: Any) -> None:
    """The webhook's handler; the fuzzing is about what reaches it, not what it does."""


@pytest.fixture(scope="module")
def werkmaat(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Werkmaat]:
    path = tmp_path_factory.mktemp("webchat") / "w.db"
    settings = Settings(_env_file=None, database_url=f"sqlite:///{path}",  # type: ignore[call-arg]
                        voice_notes=False, webhook_secret=SecretStr(SECRET))
    built = build(settings, nlu=HashedNLU())
    yield built
    built.database.dispose()


@pytest.fixture(scope="module")
def app(werkmaat: Werkmaat) -> Any:
    return create_app(werkmaat, telegram_updates=ignore_update,
                      telegram_bot=Bot("123456:offline-fuzz"))


def valid_body(body: Any) -> bool:
    """What ChatInput accepts for certain (strings within limits, a real boolean)."""
    return (isinstance(body, dict)
            and isinstance(body.get("text", ""), str) and len(body.get("text", "")) <= MAX_TEXT
            and isinstance(body.get("payload", ""), str)
            and len(body.get("payload", "")) <= MAX_PAYLOAD
            and isinstance(body.get("start", False), bool))


def surely_invalid(body: Any) -> bool:
    """What it must refuse: not an object, or text or payload over its limit."""
    if not isinstance(body, dict):
        return True
    text, payload = body.get("text", ""), body.get("payload", "")
    return ((isinstance(text, str) and len(text) > MAX_TEXT)
            or (isinstance(payload, str) and len(payload) > MAX_PAYLOAD)
            or any(isinstance(body.get(k), (list, dict)) for k in ("text", "payload", "start")))


def check_web_messages(answer: Any, said: list[str]) -> list[dict[str, Any]]:
    assert isinstance(answer, dict) and isinstance(answer.get("messages"), list), answer
    for m in answer["messages"]:
        assert {"text", "lang", "dir", "buttons"} <= set(m), m
        assert m["dir"] in ("ltr", "rtl") and m["lang"], m
        buttons = tuple(tuple(Button(b["label"], b["payload"]) for b in row)
                        for row in m["buttons"])
        check_outgoing(Outgoing(m["text"], buttons, m["lang"]), said)
    return list(answer["messages"])


def check_refusal(status: int, answer: Any) -> None:
    assert 400 <= status < 500, status
    assert isinstance(answer, dict) and answer.get("detail"), answer


# ---- raw bodies: JSON, broken JSON, not JSON --------------------------------------------------

LONE_SURROGATES = ('{"text": "\\ud800"}', '{"text": "a\\udfffb"}', '{"payload": "\\ud83d"}',
                   '{"text": "\\u0000"}', '{"text": "\\ud83d\\ude00"}')
NOT_JSON = (b"", b"{", b"null", b"[]", b'"text"', b"\xff\xfe\x00", b"text=hallo",
            b'{"text": "a", }', b"{'text': 'a'}", b"NaN", b'{"text": NaN}', b"1e999")


def raw_bodies() -> st.SearchStrategy[bytes]:
    return st.one_of(st.sampled_from(LONE_SURROGATES).map(str.encode),
                     st.sampled_from(NOT_JSON), st.binary(max_size=200),
                     client_text(300).map(lambda t: t.encode("utf-8")))


def post(web: TestClient, body: Any, raw: bool, content_type: str) -> tuple[int, Any]:
    if raw:
        response = web.post("/chat/api/messages", content=body,
                            headers={"content-type": content_type})
    else:
        response = web.post("/chat/api/messages", json=body)
    try:
        answer = response.json()
    except ValueError:
        answer = response.text
    return response.status_code, answer


@fuzz_settings(60)
@given(data=st.data())
def test_any_chat_message_body(app: Any, data: st.DataObject) -> None:
    web = TestClient(app)
    said: list[str] = []
    with swallowed_errors() as errors:
        for _ in range(data.draw(st.integers(1, 5), label="requests")):
            if data.draw(st.integers(0, 4), label="raw?") == 0:
                body: Any = data.draw(raw_bodies(), label="raw body")
                kind = data.draw(st.sampled_from(("application/json", "text/plain",
                                                  "application/x-www-form-urlencoded")),
                                 label="content type")
                if cannot_be_echoed(body, kind):  # a known bug: ::test_refused_with_its_input
                    event("skipped, known bug: a refused value that JSON cannot echo")
                    continue
                status, answer = post(web, body, True, kind)
                said.append(body.decode("utf-8", "replace"))
            else:
                body = data.draw(chat_bodies(), label="body")
                payload = body.get("payload") if isinstance(body, dict) else None
                bug = known_payload_bug(payload, "sqlite") if isinstance(payload, str) else None
                if bug is not None:  # the engine's, with its own failing test
                    event(f"skipped, known bug: {bug}")
                    continue
                status, answer = post(web, body, False, "application/json")
                said.append(json.dumps(body, ensure_ascii=False))
                if valid_body(body):
                    assert status == 200, (status, answer)
                if surely_invalid(body):
                    assert status >= 400, (status, answer)
            errors.check()
            assert status < 500, (status, answer)
            if status == 200:
                messages = check_web_messages(answer, said)
                assert messages, "a web chat client got no answer"
            else:
                check_refusal(status, answer)


def cannot_be_echoed(body: bytes, content_type: str) -> bool:
    """A body FastAPI's validation error would quote but cannot render: bytes that are not
    UTF-8 (a body that is not declared JSON is quoted as it is), or JSON that Python reads but
    cannot write back as strict UTF-8 JSON (lone surrogates, NaN, Infinity)."""
    if content_type != "application/json":
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            return True
        return False
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return False
    try:
        json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8")
    except (ValueError, UnicodeEncodeError):
        return True
    return False


# ---- what a counselor wrote, fetched ------------------------------------------------------

afters = st.one_of(st.sampled_from((0, -1, 1, 2**31, 2**63 - 1, 2**63, 2**64, 10**20)),
                   st.integers(-(2**70), 2**70), st.integers(-3, 3),
                   st.sampled_from(("", "x", "1.5", "1e3", "-0", "٣", "١٢", "0x10", " 1",
                                    "9" * 30, "NaN", "null")),
                   short_text)
tokens = st.text(st.sampled_from(string.ascii_letters + string.digits + "-_"), min_size=20,
                 max_size=64)
cookies = st.one_of(tokens, tokens, st.none(), short_text,
                    st.sampled_from(("a" * 19, "a" * 65, "a" * 20 + "!", "x" * 24)))


@fuzz_settings(100)
@given(after=afters, cookie=cookies)
def test_any_updates_request(app: Any, after: object, cookie: str | None) -> None:
    with contextlib.suppress(ValueError):
        if int(str(after).strip()) > MAX_ID["sqlite"]:  # ::test_updates_after_beyond_the_id…
            event("skipped, known bug: `after` beyond the id column")
            return
    web = TestClient(app)
    if cookie is not None:
        web.cookies.set(COOKIE, cookie.encode("ascii", "ignore").decode().replace(";", ""))
    with swallowed_errors() as errors:
        response = web.get("/chat/api/updates", params={"after": str(after)})
        errors.check()
    assert response.status_code < 500
    answer = response.json()
    if response.status_code == 200:
        assert isinstance(answer["messages"], list) and isinstance(answer["last"], int)
    else:
        check_refusal(response.status_code, answer)


# ---- Telegram's webhook -----------------------------------------------------------------------

@fuzz_settings(80)
@given(body=st.one_of(st.integers(1, 10**9).flatmap(telegram_update), json_values,
                      st.builds(lambda u: [u], json_values)),
       secret=st.sampled_from((SECRET, "", "wrong", SECRET + " ")))
def test_any_webhook_body(app: Any, body: Any, secret: str) -> None:
    web = TestClient(app)
    with swallowed_errors() as errors:
        response = web.post("/telegram/webhook", json=body,
                            headers={"x-telegram-bot-api-secret-token": secret})
        errors.check()
    if secret != SECRET:
        assert response.status_code == 403
    else:
        assert response.status_code in (200, 400), response.status_code


# ---- the bugs found, each as its smallest case ------------------------------------------------

@pytest.mark.parametrize(("body", "content_type"), [
    (b'{"text": "\\ud800"}', "application/json"),
    (b'{"payload": "a\\udfffb"}', "application/json"),
    (b'{"text": NaN}', "application/json"),
    (b'{"start": Infinity}', "application/json"),
    (b"\xff\xfe", "text/plain"),
])
def test_refused_with_its_input(app: Any, body: bytes, content_type: str) -> None:
    """A body pydantic refuses is quoted back by FastAPI's default 422 handler; when the
    quote cannot be rendered as JSON (a lone surrogate escaped in JSON, NaN or Infinity, which
    Python's parser takes, bytes that are not UTF-8) the handler itself raises: a 500 instead
    of a 422 (bot/web.py has no RequestValidationError handler of its own)."""
    web = TestClient(app)
    response = web.post("/chat/api/messages", content=body,
                        headers={"content-type": content_type})
    check_refusal(response.status_code, response.json())


@pytest.mark.parametrize("after", [2**63, 10**20])
def test_updates_after_beyond_the_id_column(app: Any, after: int) -> None:
    """`after` is any int FastAPI can parse; with a well-formed cookie it reaches the SQL query
    (WebChatOutbox.waiting) and SQLite raises OverflowError (PostgreSQL: over 2**31 - 1)."""
    web = TestClient(app)
    web.cookies.set(COOKIE, "a" * 24)
    response = web.get("/chat/api/updates", params={"after": str(after)})
    assert response.status_code in (200, 422), response.status_code
