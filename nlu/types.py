"""What the NLU says about one message."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

INTENTS: tuple[str, ...] = (
    "greet", "goodbye", "thanks", "affirm", "deny", "ask_human", "seek_work", "seek_training",
    "learn_dutch", "appointment_confirm", "appointment_cancel", "appointment_reschedule",
    "appointment_query", "rights_income", "rights_childcare", "rights_housing", "rights_health",
    "rights_debt", "rights_discounts", "job_going_well", "job_problem", "job_lost",
    "document_help", "urgent_help", "change_language", "out_of_scope",
)

UNDETERMINED = "und"


@dataclass(frozen=True, slots=True)
class IntentScore:
    intent: str
    confidence: float


@dataclass(frozen=True, slots=True)
class ParseResult:
    """The intent (one of INTENTS), its confidence, the text's language and a crisis flag.

    `crisis` is raised by the classifier or by the crisis lexicon; the dialogue must act on it.
    """

    text: str
    intent: str
    confidence: float
    language: str = UNDETERMINED
    ranking: tuple[IntentScore, ...] = field(default=())
    crisis: bool = False
    language_confidence: float = 0.0

    def as_contract(self) -> dict[str, object]:
        """The JSON object of the `werkmaat nlu parse` contract."""
        return {"text": self.text, "intent": self.intent,
                "confidence": round(self.confidence, 4), "language": self.language}


class NLU(Protocol):
    """Anything that can classify a client's message: the embedded model, a Rasa server."""

    name: str

    def parse(self, text: str) -> ParseResult: ...
