"""Hand-written test doubles."""

from __future__ import annotations

from dataclasses import dataclass, field

from nlu import IntentScore, ParseResult


@dataclass
class ScriptedNLU:
    """Answers from a table (text → ranking); anything else is out of scope with no confidence.

    For dialogue tests that must control exactly how sure the NLU is.
    """

    table: dict[str, list[tuple[str, float]]] = field(default_factory=dict)
    name: str = "scripted"

    def parse(self, text: str) -> ParseResult:
        ranking = tuple(IntentScore(i, c) for i, c in self.table.get(text, []))
        if not ranking:
            return ParseResult(text, "out_of_scope", 0.0, "nl")
        top = ranking[0]
        return ParseResult(text, top.intent, top.confidence, "nl", ranking,
                           crisis=top.intent == "urgent_help" and top.confidence >= 0.5)
