"""The rights content base: plain YAML files staff edit without touching code.

`content/rights/entries.yml` holds what every language shares (intents, search words, the
official source, the day the text was last checked against it); `content/rights/<lang>.yml`
holds the words, with a `status` per entry: `source` (Dutch), `reviewed` or `draft`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path

import yaml

CONTENT_DIR = Path(__file__).resolve().parent.parent / "content" / "rights"
STATUSES = ("source", "reviewed", "draft")


@dataclass(frozen=True, slots=True)
class EntryText:
    status: str
    title: str
    what: str
    who: tuple[str, ...]
    where: str
    bring: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RightsEntry:
    id: str
    intents: tuple[str, ...]
    keywords: tuple[str, ...]
    source: str
    reviewed: date | None
    texts: dict[str, EntryText] = field(default_factory=dict)

    def text(self, language: str) -> EntryText:
        """In the client's language; Dutch where a translation is missing (the check forbids
        that, but a half-edited file must not break a conversation)."""
        return self.texts.get(language) or self.texts["nl"]


def fold(text: str) -> str:
    """Lower case, no accents, single spaces: how search words and messages are compared."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s%]", " ", bare)).strip()


@dataclass(frozen=True)
class RightsBook:
    entries: tuple[RightsEntry, ...]

    def get(self, entry_id: str) -> RightsEntry | None:
        return next((e for e in self.entries if e.id == entry_id), None)

    def for_intent(self, intent: str) -> list[RightsEntry]:
        return [e for e in self.entries if intent in e.intents]

    def search(self, text: str, language: str) -> list[RightsEntry]:
        """Entries whose search words or title (in the client's language or Dutch) occur in
        the message, best first."""
        words = f" {fold(text)} "
        scored: list[tuple[int, int, RightsEntry]] = []
        for order, entry in enumerate(self.entries):
            terms = set(entry.keywords)
            for code in {language, "nl"}:
                if code in entry.texts:
                    terms.add(entry.texts[code].title)
            hits = [t for t in (fold(t) for t in terms) if t and _occurs(t, words)]
            if hits:
                scored.append((-max(len(h) for h in hits), order, entry))
        return [entry for *_, entry in sorted(scored, key=lambda s: (s[0], s[1]))]


def _occurs(term: str, words: str) -> bool:
    """A whole word, or the start of one for terms of five letters or more ("crèche" in
    "crèches", "schuld" in "schulden")."""
    if f" {term} " in words:
        return True
    return len(term) >= 5 and f" {term}" in words


def _text(raw: dict[str, object]) -> EntryText:
    def items(key: str) -> tuple[str, ...]:
        value = raw.get(key) or []
        return tuple(str(v) for v in value) if isinstance(value, list) else (str(value),)

    return EntryText(status=str(raw.get("status", "")), title=str(raw.get("title", "")),
                     what=str(raw.get("what", "")), who=items("who"),
                     where=str(raw.get("where", "")), bring=items("bring"))


def read_book(directory: Path = CONTENT_DIR) -> RightsBook:
    """Read the files as they are (the content check reports what is wrong with them)."""
    shared = yaml.safe_load((directory / "entries.yml").read_text(encoding="utf-8")) or {}
    texts: dict[str, dict[str, dict[str, object]]] = {}
    for path in sorted(directory.glob("*.yml")):
        if path.name != "entries.yml":
            texts[path.stem] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    entries = []
    for entry_id, meta in shared.items():
        meta = meta or {}
        reviewed = meta.get("reviewed")
        entries.append(RightsEntry(
            id=str(entry_id), intents=tuple(meta.get("intents") or ()),
            keywords=tuple(str(k) for k in meta.get("keywords") or ()),
            source=str(meta.get("source", "")),
            reviewed=reviewed if isinstance(reviewed, date) else None,
            texts={code: _text(doc[entry_id]) for code, doc in texts.items()
                   if isinstance(doc, dict) and isinstance(doc.get(entry_id), dict)}))
    return RightsBook(tuple(entries))


@cache
def rights_book(directory: str = "") -> RightsBook:
    """The content base, read once per process."""
    return read_book(Path(directory) if directory else CONTENT_DIR)


def problems(directory: Path, today: date, max_age_days: int,
             languages: tuple[str, ...]) -> list[str]:
    """What `werkmaat content check` refuses: missing languages or entries, empty fields,
    malformed links, an unknown status, and texts not checked against their source for too
    long."""
    from urllib.parse import urlparse

    from nlu.types import INTENTS

    found: list[str] = []
    try:
        rights = read_book(directory)
    except (OSError, yaml.YAMLError) as exc:
        return [f"cannot read the content: {exc}"]
    if not rights.entries:
        return ["entries.yml lists no entries"]
    files = {p.stem for p in directory.glob("*.yml")} - {"entries"}
    for code in languages:
        if code not in files:
            found.append(f"{code}.yml is missing")
    for code in sorted(files - set(languages)):
        found.append(f"{code}.yml is not one of Werkmaat's languages")
    known = {e.id for e in rights.entries}
    for code in sorted(files):
        doc = yaml.safe_load((directory / f"{code}.yml").read_text(encoding="utf-8")) or {}
        for extra in sorted(set(doc) - known):
            found.append(f"{code}.yml: {extra!r} is not in entries.yml")
    for entry in rights.entries:
        where = entry.id
        if not entry.intents or any(i not in INTENTS for i in entry.intents):
            found.append(f"{where}: intents must be names from the intent contract")
        link = urlparse(entry.source)
        if link.scheme != "https" or "." not in link.netloc or " " in entry.source:
            found.append(f"{where}: source is not a well-formed https link: {entry.source!r}")
        if entry.reviewed is None:
            found.append(f"{where}: reviewed must be a date (YYYY-MM-DD)")
        elif (today - entry.reviewed).days > max_age_days:
            found.append(f"{where}: last reviewed {entry.reviewed}, more than {max_age_days} "
                         "days ago: check it against the source")
        source = entry.texts.get("nl")
        for code in languages:
            text = entry.texts.get(code)
            if text is None:
                if code in files:
                    found.append(f"{code}.yml: {where} is missing")
                continue
            expected = ("source",) if code == "nl" else ("reviewed", "draft")
            if text.status not in expected:
                found.append(f"{code}.yml: {where}: status must be {' or '.join(expected)}")
            for name in ("title", "what", "where"):
                if not getattr(text, name).strip():
                    found.append(f"{code}.yml: {where}: {name} is empty")
            if not text.who or not all(w.strip() for w in text.who):
                found.append(f"{code}.yml: {where}: who needs at least one line")
            if source is not None and (len(text.who), len(text.bring)) != (
                    len(source.who), len(source.bring)):
                found.append(f"{code}.yml: {where}: who/bring have a different number of lines "
                             "than the Dutch")
    return found
