"""Honest NLU evaluation on the held-out split, through the `werkmaat nlu parse` contract.

Every figure Werkmaat reports about NLU quality comes from here: the test texts are piped
through `werkmaat nlu parse --backend NAME` in a subprocess, exactly as any evaluator would,
and the JSON lines it prints are scored.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from nlu.training_data import Example, load_split


@dataclass(frozen=True, slots=True)
class Prediction:
    example: Example
    intent: str
    confidence: float
    language: str


@dataclass
class LanguageScore:
    language: str
    n: int
    accuracy: float
    macro_f1: float
    language_id: float


@dataclass
class Evaluation:
    backend: str
    overall_accuracy: float
    overall_macro_f1: float
    language_id_accuracy: float
    urgent_recall: float
    urgent_false_alarms: int
    per_language: list[LanguageScore] = field(default_factory=list)
    confusions: list[tuple[str, str, int]] = field(default_factory=list)
    matrix: dict[tuple[str, str], int] = field(default_factory=dict)

    def matrix_csv(self) -> str:
        """The full confusion table: one row per true intent, one column per predicted one."""
        labels = sorted({g for g, _ in self.matrix} | {p for _, p in self.matrix})
        rows = ["true\\predicted," + ",".join(labels)]
        for g in labels:
            rows.append(g + "," + ",".join(str(self.matrix.get((g, p), 0)) for p in labels))
        return "\n".join(rows) + "\n"


def parse_through_cli(texts: list[str], backend: str) -> list[dict[str, object]]:
    """Run `werkmaat nlu parse` as a separate process, as the contract prescribes."""
    flat = [" ".join(t.splitlines()) for t in texts]
    result = subprocess.run([sys.executable, "-m", "bot", "nlu", "parse", "--backend", backend],
                            input="\n".join(flat) + "\n", capture_output=True, text=True,
                            encoding="utf-8", check=False, timeout=1800)
    if result.returncode != 0:
        raise RuntimeError(f"nlu parse failed ({backend}): {result.stderr.strip()[-500:]}")
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    if len(rows) != len(texts):
        raise RuntimeError(f"nlu parse answered {len(rows)} lines for {len(texts)}")
    return rows


def macro_f1(gold: list[str], predicted: list[str]) -> float:
    labels = sorted(set(gold))
    scores = []
    for label in labels:
        tp = sum(1 for g, p in zip(gold, predicted, strict=True) if g == p == label)
        fp = sum(1 for g, p in zip(gold, predicted, strict=True) if p == label and g != label)
        fn = sum(1 for g, p in zip(gold, predicted, strict=True) if g == label and p != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        scores.append(2 * precision * recall / (precision + recall) if precision + recall
                      else 0.0)
    return sum(scores) / len(scores) if scores else 0.0


def score(backend: str, predictions: list[Prediction]) -> Evaluation:
    gold = [p.example.intent for p in predictions]
    said = [p.intent for p in predictions]
    by_language: dict[str, list[Prediction]] = defaultdict(list)
    for p in predictions:
        by_language[p.example.language].append(p)
    per_language = [
        LanguageScore(
            language=code, n=len(items),
            accuracy=sum(p.intent == p.example.intent for p in items) / len(items),
            macro_f1=macro_f1([p.example.intent for p in items], [p.intent for p in items]),
            language_id=sum(p.language == code for p in items) / len(items),
        )
        for code, items in sorted(by_language.items())
    ]
    urgent = [p for p in predictions if p.example.intent == "urgent_help"]
    confusions = Counter((p.example.intent, p.intent) for p in predictions
                         if p.intent != p.example.intent)
    return Evaluation(
        backend=backend,
        overall_accuracy=sum(g == s for g, s in zip(gold, said, strict=True)) / len(gold),
        overall_macro_f1=macro_f1(gold, said),
        language_id_accuracy=sum(p.language == p.example.language for p in predictions)
        / len(predictions),
        urgent_recall=sum(p.intent == "urgent_help" for p in urgent) / max(len(urgent), 1),
        urgent_false_alarms=sum(1 for p in predictions
                                if p.intent == "urgent_help" and p.example.intent != "urgent_help"),
        per_language=per_language,
        confusions=[(g, p, n) for (g, p), n in confusions.most_common(15)],
        matrix=dict(Counter((p.example.intent, p.intent) for p in predictions)),
    )


def evaluate(backend: str, examples: list[Example] | None = None) -> Evaluation:
    examples = examples if examples is not None else load_split("test")
    rows = parse_through_cli([e.text for e in examples], backend)
    predictions = [Prediction(e, str(r["intent"]), float(r["confidence"]),  # type: ignore[arg-type]
                              str(r["language"])) for e, r in zip(examples, rows, strict=True)]
    return score(backend, predictions)


def format_report(evaluations: list[Evaluation]) -> str:
    """Side by side per language, then the overall figures and the commonest confusions."""
    names = [e.backend for e in evaluations]
    lines = ["| language | n | " + " | ".join(f"{n} acc | {n} macro-F1 | {n} lang-id"
                                               for n in names) + " |",
             "|---|---:|" + "---:|---:|---:|" * len(names)]
    codes = [s.language for s in evaluations[0].per_language]
    for code in codes:
        cells = []
        n = 0
        for e in evaluations:
            s = next(x for x in e.per_language if x.language == code)
            n = s.n
            cells.append(f"{s.accuracy:.1%} | {s.macro_f1:.3f} | {s.language_id:.1%}")
        lines.append(f"| {code} | {n} | " + " | ".join(cells) + " |")
    cells = [f"**{e.overall_accuracy:.1%}** | **{e.overall_macro_f1:.3f}** | "
             f"**{e.language_id_accuracy:.1%}**" for e in evaluations]
    total = sum(s.n for s in evaluations[0].per_language)
    lines.append(f"| all | {total} | " + " | ".join(cells) + " |")
    lines.append("")
    for e in evaluations:
        worst = min(e.per_language, key=lambda s: s.accuracy)
        lines.append(f"{e.backend}: urgent_help recall {e.urgent_recall:.1%}, "
                     f"false urgent_help alarms {e.urgent_false_alarms}, "
                     f"weakest language {worst.language} {worst.accuracy:.1%}")
        lines.append(f"{e.backend}: commonest confusions (true → predicted: count): "
                     + "; ".join(f"{g} → {p}: {n}" for g, p, n in e.confusions[:10]))
    return "\n".join(lines)
