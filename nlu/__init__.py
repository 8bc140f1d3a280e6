"""Understanding clients' free text: intents, language and a crisis flag."""

from nlu.types import INTENTS, NLU, UNDETERMINED, IntentScore, ParseResult

__all__ = ["INTENTS", "NLU", "UNDETERMINED", "IntentScore", "ParseResult", "load_backend"]


def load_backend(name: str = "embedded") -> NLU:
    """The configured NLU backend (only the embedded one ships in this release)."""
    if name == "embedded":
        from nlu.embedded import EmbeddedNLU

        return EmbeddedNLU()
    raise ValueError(f"unknown NLU backend: {name!r} (known: embedded)")
