"""Reading the Rasa 3 NLU files under nlu/data: one file per language, per split."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

# libyaml's parser reads the training data ten times faster than the pure-Python one: it is
# part of every start-up.
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

DATA_DIR = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    intent: str
    language: str


def read_rasa_file(path: Path, language: str) -> list[Example]:
    doc = yaml.load(path.read_text(encoding="utf-8"), Loader=LOADER) or {}
    examples: list[Example] = []
    for block in doc.get("nlu", []):
        intent = block.get("intent")
        if not intent:
            continue
        for line in str(block.get("examples", "")).splitlines():
            line = line.strip()
            if line.startswith("- "):
                text = line[2:].strip()
                if len(text) >= 2 and text[0] == text[-1] == '"':
                    text = text[1:-1]
                if text:
                    examples.append(Example(text, intent, language))
    return examples


def load_split(split: str, data_dir: Path = DATA_DIR) -> list[Example]:
    """All examples of a split ('train' or 'test'), every language."""
    examples: list[Example] = []
    for path in sorted((data_dir / split).glob("*.yml")):
        examples.extend(read_rasa_file(path, path.stem))
    return examples


def load_crisis_lexicon(data_dir: Path = DATA_DIR) -> dict[str, list[str]]:
    """Crisis phrases per language, all categories together."""
    lexicon: dict[str, list[str]] = {}
    for path in sorted((data_dir / "crisis").glob("*.yml")):
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=LOADER) or {}
        phrases = [str(p) for key, items in doc.items() if key != "language"
                   for p in (items or [])]
        lexicon[path.stem] = phrases
    return lexicon
