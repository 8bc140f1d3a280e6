"""The optional Rasa backend: a client for a Rasa 3.6 NLU server, and a fallback wrapper.

Rasa cannot live in Werkmaat's venv (it needs Python < 3.11 and old pins), so it runs as its own
process, set up, trained and served by `scripts/rasa-setup`, `scripts/rasa-train` and
`scripts/rasa-serve` (see nlu/rasa/README.md). `RasaNLU` asks that server over HTTP and maps its
answer onto a `ParseResult`; the language and the crisis flag are decided here, the same way the
embedded backend decides them. `FallbackNLU` answers with another backend while the server is
down and says so in the logs once per outage, never with the client's text.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from nlu.embedded import normalise
from nlu.language_id import LanguageIdentifier
from nlu.training_data import DATA_DIR, load_crisis_lexicon
from nlu.types import INTENTS, NLU, IntentScore, ParseResult

log = logging.getLogger(__name__)

MAX_CHARS = 1000  # as the embedded backend: longer messages are clipped before classifying
CRISIS_CONFIDENCE = 0.5  # below this the classifier alone does not raise the crisis flag
RANKING_SIZE = 5
UNKNOWN_INTENT = "out_of_scope"


class RasaUnavailable(RuntimeError):
    """The Rasa server could not give an answer: down, slow, refusing us, or talking nonsense.

    The message names the cause but never the client's text nor the token.
    """


class CrisisLexicon:
    """The curated crisis phrases of every language, matched as the embedded backend does."""

    def __init__(self, data_dir: Path = DATA_DIR) -> None:
        self._phrases = sorted({normalise(p) for phrases in load_crisis_lexicon(data_dir).values()
                                for p in phrases if p.strip()})

    def __contains__(self, text: object) -> bool:
        norm = f" {normalise(str(text))} "
        return any(f" {p} " in norm or (len(p) > 6 and p in norm) for p in self._phrases)


def _known(intent: object) -> str:
    return intent if isinstance(intent, str) and intent in INTENTS else UNKNOWN_INTENT


class RasaNLU:
    """Classifies messages by asking a Rasa NLU server (`rasa run --enable-api --auth-token`).

    One long-lived HTTP client, a short time-out and no retries: a server that does not answer
    in `timeout` seconds raises `RasaUnavailable`, so the caller can fall back at once.
    """

    name = "rasa"

    def __init__(self, url: str, token: str, timeout: float = 2.0,
                 transport: httpx.BaseTransport | None = None,
                 data_dir: Path = DATA_DIR) -> None:
        if not token:
            raise ValueError("the Rasa server needs an auth token")
        self.url = url.rstrip("/")
        self._token = token
        self._client = httpx.Client(base_url=self.url, timeout=httpx.Timeout(timeout),
                                    transport=transport, follow_redirects=False)
        self._lexicon = CrisisLexicon(data_dir)
        self._langid = LanguageIdentifier()

    def __repr__(self) -> str:  # no token
        return f"RasaNLU({self.url!r})"

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> RasaNLU:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._client.request(method, path, params={"token": self._token},
                                            **kwargs)
        except httpx.TimeoutException as exc:
            raise RasaUnavailable(f"the Rasa server at {self.url} timed out "
                                  f"({type(exc).__name__})") from None
        except httpx.HTTPError as exc:  # connection refused, reset, protocol errors…
            raise RasaUnavailable(f"the Rasa server at {self.url} cannot be reached "
                                  f"({type(exc).__name__})") from None
        if not response.is_success:
            hint = " (wrong WERKMAAT_RASA_TOKEN?)" if response.status_code in (401, 403) else ""
            raise RasaUnavailable(f"the Rasa server at {self.url} answered HTTP "
                                  f"{response.status_code}{hint}")
        return response

    def raw_parse(self, text: str) -> dict[str, Any]:
        """Rasa's own answer to `POST /model/parse`, as a dict."""
        response = self._request("POST", "/model/parse", json={"text": text})
        try:
            body = response.json()
        except ValueError:
            raise RasaUnavailable(f"the Rasa server at {self.url} answered something that is "
                                  "not JSON") from None
        if not isinstance(body, dict):
            raise RasaUnavailable(f"the Rasa server at {self.url} answered an unexpected JSON "
                                  "value")
        return body

    def parse(self, text: str) -> ParseResult:
        clipped = text[:MAX_CHARS]
        if not normalise(clipped) or not any(ch.isalnum() for ch in clipped):
            return ParseResult(text, UNKNOWN_INTENT, 0.0)
        body = self.raw_parse(clipped)
        try:
            top = body.get("intent") or {}
            intent = _known(top.get("name"))
            confidence = float(top.get("confidence") or 0.0)
            ranking: list[IntentScore] = []
            for item in body.get("intent_ranking") or []:
                name = _known(item.get("name"))
                if all(score.intent != name for score in ranking):  # unknown ones merge
                    ranking.append(IntentScore(name, float(item.get("confidence") or 0.0)))
        except (AttributeError, TypeError, ValueError):
            raise RasaUnavailable(f"the Rasa server at {self.url} answered JSON of an "
                                  "unexpected shape") from None
        if not ranking and top.get("name"):
            ranking.append(IntentScore(intent, confidence))
        language, _ = self._langid.identify(clipped)
        in_lexicon = clipped in self._lexicon
        if in_lexicon and intent != "urgent_help":
            intent, confidence = "urgent_help", max(confidence, 0.9)
        crisis = in_lexicon or (intent == "urgent_help" and confidence >= CRISIS_CONFIDENCE)
        return ParseResult(text, intent, confidence, language, tuple(ranking[:RANKING_SIZE]),
                           crisis=crisis)

    def status(self) -> dict[str, Any]:
        """Rasa's `GET /status` answer (the loaded model); raises `RasaUnavailable`."""
        try:
            body = self._request("GET", "/status").json()
        except ValueError:
            raise RasaUnavailable(f"the Rasa server at {self.url} answered something that is "
                                  "not JSON") from None
        if not isinstance(body, dict):
            raise RasaUnavailable(f"the Rasa server at {self.url} answered an unexpected JSON "
                                  "value")
        return body

    def health(self) -> bool:
        """Whether the server answers `GET /status` with our token and has a model loaded."""
        try:
            return bool(self.status().get("model_file"))
        except RasaUnavailable:
            return False

    ping = health


class FallbackNLU:
    """The primary backend while it answers, a fallback backend (built on first need) when not.

    After a failure the primary is left alone for `retry_after` seconds, then tried again with
    the next message. One warning when an outage starts, one note when it ends.
    """

    def __init__(self, primary: NLU, fallback_factory: Callable[[], NLU],
                 retry_after: float = 30.0, clock: Callable[[], float] = time.monotonic,
                 fallback_name: str = "embedded") -> None:
        self.primary = primary
        self._factory = fallback_factory
        self._fallback: NLU | None = None
        self.retry_after = retry_after
        self._clock = clock
        self._retry_at: float | None = None  # set while the primary is down
        self._lock = threading.Lock()
        self.name = f"{primary.name} ({fallback_name} fallback)"

    @property
    def primary_down(self) -> bool:
        return self._retry_at is not None

    def fallback(self) -> NLU:
        with self._lock:
            if self._fallback is None:
                self._fallback = self._factory()
            return self._fallback

    def parse(self, text: str) -> ParseResult:
        with self._lock:
            retry_at = self._retry_at
        if retry_at is None or self._clock() >= retry_at:
            try:
                result = self.primary.parse(text)
            except RasaUnavailable as exc:
                with self._lock:
                    first = self._retry_at is None
                    self._retry_at = self._clock() + self.retry_after
                if first:
                    log.warning("NLU: the %s backend is unavailable: %s; answering with the "
                                "fallback backend, trying again every %g s",
                                self.primary.name, exc, self.retry_after)
            else:
                with self._lock:
                    was_down = self._retry_at is not None
                    self._retry_at = None
                if was_down:
                    log.warning("NLU: the %s backend answers again; the fallback is no longer "
                                "used", self.primary.name)
                return result
        return self.fallback().parse(text)
