"""Which language a message is written in, as an ISO 639-1 code (or 'und').

CLD2 (pycld2, best-effort mode) decides first where it is sure and names one of our languages
or another clear one; the script and a few tell-tale letters settle Arabic vs Farsi vs Pashto
and Ukrainian vs Russian vs Bulgarian where it is not; Latin text CLD2 is unsure of goes to
py3langid restricted to our Latin-script languages. Moroccan darija written in Latin letters
(no tool knows it) is recognised here by its common words and digit-letters (3, 7, 9).
"""

from __future__ import annotations

import re
import unicodedata
from functools import cached_property
from typing import Any

from nlu.types import UNDETERMINED

OURS = {"nl", "en", "fr", "ar", "tr", "uk", "ru", "fa", "ps", "ti", "so", "ro", "bg", "sk", "pl",
        "es"}
LATIN_LANGUAGES = ["nl", "en", "fr", "ro", "pl", "sk", "es", "tr", "so"]
CYRILLIC_LANGUAGES = ["uk", "ru", "bg"]
PASHTO_LETTERS = set("ټډړږښځڅڼۍې")
PERSIAN_LETTERS = set("پچژگکی")
UKRAINIAN_LETTERS = set("іїєґ")
RUSSIAN_LETTERS = set("ыэё")
DARIJA_WORDS = {
    "bghit", "bghina", "3afak", "wach", "wash", "kayn", "kayna", "chi", "khedma", "khdma",
    "nkhdm", "nkhdem", "dyal", "dial", "daba", "mzyan", "mzyana", "bzaf", "wakha", "safi",
    "smhli", "salam", "labas", "chokran", "choukran", "shukran", "fin", "fiin", "3ndi",
    "ma3ndich", "kifach", "kifash", "wesh", "ghadi", "nmchi", "rah", "hna", "hada", "hadi",
    "7it", "m3a", "mabghitch", "ana", "nta", "nti", "kan", "bach", "chno", "achno", "walo",
    "3la", "l9it", "lflous", "flouss", "sba7", "lkhir", "bslama", "inchallah", "wlad",
}
DIGIT_LETTER = re.compile(r"[a-z][2379][a-z]|^[2379][a-z]|[a-z][2379]$")
WORD = re.compile(r"\w+", re.UNICODE)


def _script_counts(text: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for ch in text:
        if ch.isalpha():
            script = unicodedata.name(ch, "OTHER ").split(" ", 1)[0]
            counts[script] = counts.get(script, 0) + 1
    return counts


def looks_like_darija(text: str) -> bool:
    words = [w.lower() for w in WORD.findall(text)]
    if not words:
        return False
    hits = sum(1 for w in words if w in DARIJA_WORDS or DIGIT_LETTER.search(w))
    return hits / len(words) >= 0.34


class LanguageIdentifier:
    """Cheap to build; the statistical models load on first use."""

    @cached_property
    def _langid(self) -> Any:
        """py3langid cut down to our Latin and Cyrillic languages (its full model is 75 MB)."""
        from py3langid.langid import MODEL_FILE
        from py3langid.langid import LanguageIdentifier as _LangId

        ident = _LangId.from_model_file(MODEL_FILE, norm_probs=True)
        ident.set_languages(LATIN_LANGUAGES + CYRILLIC_LANGUAGES)
        ident._full_model = None  # kept only to undo set_languages, which we never do
        return ident

    def _best_of(self, text: str, allowed: list[str]) -> tuple[str, float]:
        ranked = [(str(code), float(p)) for code, p in self._langid.rank(text) if code in allowed]
        total = sum(p for _, p in ranked) or 1.0
        code, p = ranked[0]
        return code, p / total

    @staticmethod
    def _cld2(text: str) -> tuple[str, int, bool]:
        try:
            import pycld2

            reliable, _, details = pycld2.detect(text, bestEffort=True)
        except Exception:  # pycld2 rejects some invalid UTF-8 / control characters
            return UNDETERMINED, 0, False
        code = details[0][1] if details else "un"
        return (code if code != "un" else UNDETERMINED), int(details[0][2]) if details else 0, \
            bool(reliable)

    def identify(self, text: str) -> tuple[str, float]:
        """The language code and a confidence between 0 and 1."""
        counts = _script_counts(text)
        if not counts:
            return UNDETERMINED, 0.0
        script = max(counts.items(), key=lambda kv: kv[1])[0]
        letters = set(text.lower())
        if script == "ETHIOPIC":
            return "ti", 0.95
        code, percent, reliable = self._cld2(text)
        if script == "ARABIC":
            if code in ("ar", "fa", "ps") and reliable:
                return code, 0.9
            if letters & PASHTO_LETTERS:
                return "ps", 0.8
            if letters & PERSIAN_LETTERS:
                return "fa", 0.7
            return "ar", 0.7
        if script == "CYRILLIC":
            if letters & UKRAINIAN_LETTERS:
                return "uk", 0.9
            if code in ("uk", "ru", "bg") and reliable:
                return code, 0.85
            if letters & RUSSIAN_LETTERS:
                return "ru", 0.8
            return self._best_of(text, CYRILLIC_LANGUAGES)
        if script == "LATIN":
            if looks_like_darija(text):
                return "ar", 0.7
            if code in OURS and reliable and percent >= 80 and len(text.split()) >= 2:
                return code, 0.9
            return self._best_of(text, LATIN_LANGUAGES)
        if code != UNDETERMINED and reliable:
            return code, 0.8  # clearly another language (Chinese, Tamil…)
        return UNDETERMINED, 0.0
