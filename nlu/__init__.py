"""Understanding clients' free text: intents, language and a crisis flag."""

from nlu.types import INTENTS, NLU, UNDETERMINED, IntentScore, ParseResult

__all__ = ["INTENTS", "NLU", "UNDETERMINED", "IntentScore", "ParseResult", "load_backend"]


def load_backend(name: str = "embedded", rasa_url: str | None = None,
                 rasa_token: str | None = None, fallback: bool = True) -> NLU:
    """The NLU backend by name.

    "rasa" asks a Rasa server; with `fallback` (what the bot uses) it answers with the embedded
    backend while that server is down, and says so in the logs.
    """
    if name == "embedded":
        from nlu.embedded import EmbeddedNLU

        return EmbeddedNLU()
    if name == "rasa":
        if not rasa_url or not rasa_token:
            raise ValueError("the rasa backend needs WERKMAAT_RASA_URL and WERKMAAT_RASA_TOKEN")
        from nlu.rasa_client import FallbackNLU, RasaNLU

        server = RasaNLU(rasa_url, rasa_token)
        if not fallback:
            return server
        return FallbackNLU(server, lambda: load_backend("embedded"))
    raise ValueError(f"unknown NLU backend: {name!r} (known: embedded, rasa)")
