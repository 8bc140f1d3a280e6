"""Which language a message is written in, as an ISO 639-1 code (or 'und').

Scripts decide first (Ge'ez is Tigrinya; Arabic script is Arabic, Farsi or Pashto by their
own letters; Cyrillic is Ukrainian, Bulgarian or Russian by theirs); Latin text goes to
py3langid restricted to our languages, with Moroccan darija in Latin letters recognised here.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cached_property

from nlu.types import UNDETERMINED

LATIN_LANGUAGES = ["nl", "en", "fr", "ro", "pl", "sk", "es", "tr", "so"]
PASHTO_LETTERS = set("ټډړږښځڅڼۍې")
PERSIAN_LETTERS = set("پچژگکی")
UKRAINIAN_LETTERS = set("іїєґ")
RUSSIAN_LETTERS = set("ыэё")
DARIJA_WORDS = {
    "bghit", "3afak", "wach", "wash", "kayn", "kayna", "chi", "khedma", "khdma",
    "nkhdm", "ana", "dyal", "dial", "daba", "mzyan", "bzaf", "wakha", "la", "safi", "smhli",
    "salam", "labas", "chokran", "shukran", "fin", "fiin", "3ndi", "ma3ndich", "kifach",
    "wesh", "ghadi", "nmchi", "rah", "hna", "hada", "7it", "ila", "m3a", "mabghitch",
}
WORD = re.compile(r"\w+", re.UNICODE)


def _script_counts(text: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for ch in text:
        if not ch.isalpha():
            continue
        name = unicodedata.name(ch, "")
        script = name.split(" ", 1)[0] if name else "OTHER"
        counts[script] = counts.get(script, 0) + 1
    return counts


class LanguageIdentifier:
    """Cheap to build; the statistical model is loaded on first Latin-script message."""

    @cached_property
    def _latin(self):  # type: ignore[no-untyped-def]
        from py3langid.langid import MODEL_FILE
        from py3langid.langid import LanguageIdentifier as _LangId

        ident = _LangId.from_model_file(MODEL_FILE, norm_probs=True)
        ident.set_languages(LATIN_LANGUAGES)
        return ident

    def identify(self, text: str) -> tuple[str, float]:
        """The language code and a confidence between 0 and 1."""
        counts = _script_counts(text)
        total = sum(counts.values())
        if total == 0:
            return UNDETERMINED, 0.0
        script, n = max(counts.items(), key=lambda kv: kv[1])
        letters = set(text.lower())
        if script == "ETHIOPIC":
            return "ti", 0.95
        if script == "ARABIC":
            if letters & PASHTO_LETTERS:
                return "ps", 0.85
            if letters & PERSIAN_LETTERS:
                return "fa", 0.8
            return "ar", 0.8
        if script == "CYRILLIC":
            if letters & UKRAINIAN_LETTERS:
                return "uk", 0.9
            if letters & RUSSIAN_LETTERS:
                return "ru", 0.85
            return ("ru", 0.5) if n < 12 else ("bg", 0.5)
        if script == "LATIN":
            words = [w.lower() for w in WORD.findall(text)]
            darija = sum(1 for w in words if w in DARIJA_WORDS or re.search(r"[a-z][379][a-z]", w))
            if words and darija / len(words) >= 0.34:
                return "ar", 0.7
            code, prob = self._latin.classify(text)
            return str(code), float(prob)
        return UNDETERMINED, 0.0
