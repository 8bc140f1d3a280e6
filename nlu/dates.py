"""Dates and times in clients' free-text replies: "morgen om 10u", "بعد غد", "ghda f 10".

A small rule-based parser over per-language word lists (`nlu/data/dates/<lang>.yml`), not
dateparser: measured, dateparser misses Flemish "10u" and Arabic "بعد غد", reads "we" as
Wednesday and invents years, and is slow. What it cannot place with confidence it leaves out:
a number becomes a clock time only next to a time word ("om 10", "10u", "3pm", "saat 10",
"10 's avonds", "10:30"), never on its own ("bus 12", "2 kinderen", a phone number).

Choices for the ambiguous cases (each tested in tests/nlu/test_dates.py):

- Relative words resolve against `now` in `tz`: the local date decides what "morgen" means.
- A bare weekday is the first such day after today. Today's own weekday name means today when
  the time said (or the part of the day's default hour) is still ahead, else the same day next
  week; with no time at all it means next week (who means today says "vandaag").
- "next <weekday>" ("volgende dinsdag", "mardi prochain", "haftaya salı", "volgende week
  dinsdag") is that weekday in the next calendar week (weeks start on Monday): on Monday
  23 November "next Tuesday" is 1 December, and on Friday 27 November it is 1 December too.
- "next week" without a weekday gives no date: no day was said.
- Days in the past ("gisteren", "vorige dinsdag", "last friday") are no proposal.
- Several days in one message ("morgen niet, wel vrijdag"): the last one counts. A clock time
  or part of the day counts only if it stands nearer to that day than to another one; of two
  clock times the first ("van 10u tot 12u").
- Clock hours 1-6 without am/pm or a part of the day are afternoon ("om 3u" = 15:00): nobody
  books a counselor at 3 a.m. With a part of the day the hour follows it ("om 8u 's avonds" =
  20:00). Hours written with a leading zero ("08:00") or from 13 on are taken as written.
- "3 uur", "3 heures", "3 часа" can be a duration: without "om"/"à"/"в" in front they count
  only with a day or nothing else around them ("morgen 10 uur", "10 uur?").
- Numeric dates are day first ("3/12" = 3 December), the next such date from today, and
  without a year only where the words around say date ("op 3/12", "3/12 om 10u").
- Long weekday names in Latin letters are also read with one typo ("vrijdga", "wednsday").
- Clock times are the international 24-hour clock in every language, Tigrinya and Somali
  too: the Ethiopian clock (6 hours off) is not applied.
"""

from __future__ import annotations

import datetime
import functools
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

import yaml

__all__ = ["PART_OF_DAY_HOURS", "WhenParser", "WhenProposal", "parse_when"]

DATA_DIR = Path(__file__).resolve().parent / "data" / "dates"
BRUSSELS = ZoneInfo("Europe/Brussels")

# the hour a part of the day stands for when a moment is needed ("morgen in de voormiddag")
PART_OF_DAY_HOURS: Mapping[str, datetime.time] = MappingProxyType({
    "morning": datetime.time(9, 0),
    "afternoon": datetime.time(14, 0),
    "evening": datetime.time(18, 0),
})


@dataclass(frozen=True, slots=True)
class WhenProposal:
    """What a client's message says about when: a day, a clock time, a part of the day."""

    date: datetime.date | None
    time: datetime.time | None
    part_of_day: str | None
    matched: str

    def resolve(self, tz: ZoneInfo = BRUSSELS) -> datetime.datetime | None:
        """The aware moment meant, when the day and a clock time (or a part of the day) are known.

        A clock time that does not exist on that day (the spring-forward hour) moves forward.
        """
        if self.date is None:
            return None
        clock = self.time or PART_OF_DAY_HOURS.get(self.part_of_day or "")
        if clock is None:
            return None
        local = datetime.datetime.combine(self.date, clock, tzinfo=tz)
        return local.astimezone(datetime.UTC).astimezone(tz)


def parse_when(text: str, language: str | None, now: datetime.datetime,
               tz: ZoneInfo = BRUSSELS) -> WhenProposal | None:
    """The day and time a client's message proposes, or None when it names none.

    `now` (aware; a naive one is taken as in `tz`) anchors "morgen" and weekdays. `language`
    (ISO 639-1, may be None or wrong) wins where languages read a word differently; the words
    of every language are understood, since clients mix them ("yarın afspraak gelemem").
    """
    return _default_parser().parse(text, language, now, tz)


@functools.cache
def _default_parser() -> WhenParser:
    return WhenParser.from_directory(DATA_DIR)


# --- normalisation --------------------------------------------------------------------------

_CHAR_MAP = {
    "ı": "i", "ł": "l", "đ": "d", "ø": "o", "æ": "ae", "œ": "oe", "ß": "ss",
    # Arabic script: one spelling for letters written several ways
    "ة": "ه", "ى": "ی", "ي": "ی", "ك": "ک", "ې": "ی", "ۍ": "ی", "ګ": "گ", "ە": "ه",
    "ـ": "", "\u200c": " ", "\u200d": "", "\u200f": "", "\u200e": "",
    # apostrophes vanish ("'s avonds", "aujourd'hui", "п'ятниця", "10'da")
    "'": "", "’": "", "‘": "", "`": "", "´": "", "ʼ": "", "ʻ": "", "′": "",
    "–": "-", "—": "-", "‐": "-", "‑": "-",
}
# Ge'ez: letters that sound alike and are spelled either way (ሠ/ሰ, ፀ/ጸ, ኀ/ሐ)
for _src, _dst in ((0x1220, 0x1230), (0x1340, 0x1338), (0x1280, 0x1210)):
    for _i in range(8):
        _CHAR_MAP[chr(_src + _i)] = chr(_dst + _i)


@functools.lru_cache(maxsize=8192)
def _normalize_char(char: str) -> str:
    if char in _CHAR_MAP:
        return _CHAR_MAP[char]
    out = []
    for ch in unicodedata.normalize("NFKD", char.lower()):
        if unicodedata.category(ch) == "Mn":
            continue
        ch = _CHAR_MAP.get(ch, ch)
        if ch.isdigit():
            digit = unicodedata.digit(ch, None)
            ch = str(digit) if digit is not None else ch
        out.append(ch)
    return "".join(out)


def _normalize(text: str) -> tuple[str, list[int]]:
    """Lowercase, no accents or apostrophes, ASCII digits; and where each char came from."""
    chars: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        for ch in _normalize_char(char):
            chars.append(ch)
            origin.append(index)
    # "10-ka" (Somali), "14-00": a hyphen between a digit and a letter glues them
    for k in range(len(chars) - 2, 0, -1):
        if chars[k] == "-" and chars[k - 1].isdigit() and chars[k + 1].isalpha():
            del chars[k]
            del origin[k]
    return "".join(chars), origin


_WORD_RE = re.compile(r"[^\W_]+")


def _phrase_key(phrase: str) -> tuple[str, int]:
    """A lexicon phrase as the joined words the text is matched on, and how many words."""
    words = _WORD_RE.findall(_normalize(str(phrase))[0])
    return "".join(words), len(words)


# --- the lexicon ----------------------------------------------------------------------------

_DAY_OFFSETS = {"today": 0, "tomorrow": 1, "day_after_tomorrow": 2}
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_PARTS = ("morning", "afternoon", "evening")
_DAY_PARTS = {f"{day}_{part}": (offset, part) for day, offset in (("today", 0), ("tomorrow", 1))
              for part in _PARTS}
_PLAIN_KINDS = ("next", "next_week", "last", "last_week", "yesterday", "noon", "at", "at_weak",
                "hour_words", "hour_nouns", "am", "pm", "not_dates")
_SETS = ("hour_endings", "duration", "counted", "prefixes", "suffixes")
_MAPS = ("minutes_before", "minutes_after", "numbers")
_KNOWN_KEYS = {"language", "months", *_DAY_OFFSETS, *_WEEKDAYS, *_PARTS, *_DAY_PARTS,
               *_PLAIN_KINDS, *_SETS, *_MAPS}

# kinds whose presence right after a weakly-marked number shows it is a clock time
_TIME_CONTEXT = frozenset({"day", "weekday", "day_part", "part", "noon", "next", "next_week",
                           "hour_words", "hour_nouns", "am", "pm", "minutes_after"})

Meaning = tuple[str, Any]
Pair = Callable[["_Item", "_Item"], bool]   # a test on two items and the text between them


@dataclass(slots=True)
class _Lexicon:
    words: dict[str, dict[str, Meaning]] = field(default_factory=dict)
    max_words: int = 1
    prefixes: dict[str, set[str]] = field(default_factory=dict)   # affix -> languages
    suffixes: dict[str, set[str]] = field(default_factory=dict)
    hour_endings: set[str] = field(default_factory=set)
    duration: set[str] = field(default_factory=set)
    counted: set[str] = field(default_factory=set)
    typo_targets: list[tuple[str, Meaning]] = field(default_factory=list)
    fuzzy: dict[str, list[tuple[str, Meaning]]] = field(default_factory=dict)
    languages: list[str] = field(default_factory=list)
    collisions: list[tuple[str, str, Meaning, str, Meaning]] = field(default_factory=list)

    def add(self, language: str, phrase: object, meaning: Meaning) -> None:
        if not isinstance(phrase, str):     # YAML reads a bare on/no/yes as a boolean
            raise ValueError(f"{language}: quote the date phrase {phrase!r}")
        key, count = _phrase_key(phrase)
        if not key:
            raise ValueError(f"{language}: empty date phrase {phrase!r}")
        self.max_words = max(self.max_words, count)
        entries = self.words.setdefault(key, {})
        for other, other_meaning in entries.items():
            if other != language and other_meaning != meaning:
                self.collisions.append((key, other, other_meaning, language, meaning))
        entries.setdefault(language, meaning)

    def add_file(self, path: Path) -> None:
        doc = yaml.load(path.read_text(encoding="utf-8"),
                        Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}
        language = str(doc.get("language", path.stem))
        unknown = set(doc) - _KNOWN_KEYS
        if unknown:
            raise ValueError(f"{path.name}: unknown keys {sorted(unknown)}")
        self.languages.append(language)
        for name, offset in _DAY_OFFSETS.items():
            for phrase in doc.get(name) or ():
                self.add(language, phrase, ("day", offset))
        for weekday, name in enumerate(_WEEKDAYS):
            for phrase in doc.get(name) or ():
                self.add(language, phrase, ("weekday", weekday))
            if doc.get(name):   # the first spelling is the right one: typos are matched on it
                self.typo_targets.append((_phrase_key(doc[name][0])[0], ("weekday", weekday)))
        for part in _PARTS:
            for phrase in doc.get(part) or ():
                self.add(language, phrase, ("part", part))
        for name, value in _DAY_PARTS.items():
            for phrase in doc.get(name) or ():
                self.add(language, phrase, ("day_part", value))
        for kind in _PLAIN_KINDS:
            for phrase in doc.get(kind) or ():
                self.add(language, phrase, (kind, None))
        for name in _MAPS:
            kind = "number" if name == "numbers" else name
            for phrase, value in (doc.get(name) or {}).items():
                self.add(language, phrase, (kind, int(value)))
        for month, phrases in enumerate(doc.get("months") or (), start=1):
            for phrase in phrases:
                self.add(language, phrase, ("month", month))
        for name in ("hour_endings", "duration", "counted"):
            getattr(self, name).update(_phrase_key(p)[0] for p in doc.get(name) or ())
        for name in ("prefixes", "suffixes"):
            for affix in doc.get(name) or ():
                getattr(self, name).setdefault(_phrase_key(affix)[0], set()).add(language)

    def finish(self) -> None:
        """Index long Latin-script weekday names for one-typo matching ("vrijdga", "wensday").

        Only names of seven letters or more, and only words of six or more: shorter ones are
        one typo away from too many ordinary words ("strada"/"streda", "money"/"monday").
        """
        for key, meaning in self.typo_targets:
            if len(key) >= 7 and key.isascii() and key.isalpha():
                self.fuzzy.setdefault(key[0], []).append((key, meaning))

    def meaning(self, key: str, language: str | None) -> Meaning | None:
        entries = self.words.get(key)
        if entries:
            return self._pick(entries, language)
        for affixes, strip in ((self.prefixes, lambda a: key[len(a):] if key.startswith(a)
                                else None),
                               (self.suffixes, lambda a: key[:-len(a)] if key.endswith(a)
                                else None)):
            for affix, langs in affixes.items():
                rest = strip(affix)
                if not rest or len(rest) < 2:
                    continue
                entries = self.words.get(rest)
                if entries:
                    owned = {lang: m for lang, m in entries.items() if lang in langs}
                    if owned:
                        return self._pick(owned, language)
        return None

    def _pick(self, entries: dict[str, Meaning], language: str | None) -> Meaning:
        if language and language in entries:
            return entries[language]
        return next(iter(entries.values()))

    def near_miss(self, word: str) -> Meaning | None:
        if len(word) < 6 or not (word.isascii() and word.isalpha()):
            return None
        found = {meaning for key, meaning in self.fuzzy.get(word[0], ())
                 if abs(len(key) - len(word)) <= 1 and _one_edit_apart(word, key)}
        return found.pop() if len(found) == 1 else None


def _one_edit_apart(a: str, b: str) -> bool:
    """One substitution, insertion, deletion or swap of neighbours (Damerau distance 1)."""
    if a == b:
        return True
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        if a[i + 1:] == b[i + 1:]:
            return True
        return (i + 1 < len(a) and a[i] == b[i + 1] and a[i + 1] == b[i]
                and a[i + 2:] == b[i + 2:])
    return a[i:] == b[i + 1:]


# --- reading a message ----------------------------------------------------------------------

_TOKEN_RE = re.compile(
    r"(?P<date>(?<![\d/.:-])(?:\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})|\d{1,2}/\d{1,2})"
    r"(?![\d/.:-]?\d))"
    r"|(?P<clock>(?<![\d.,:/€$£+-])\d{1,2}[:.]\d{2}(?![\d%€$£]|[.,:/]\d))"
    r"|(?P<ampm>(?<![^\W\d_])[ap]\.\s?m\.?(?!\w))"
    r"|(?P<word>[^\W_]+)"
)
_JOINABLE = re.compile(r"[\s-]*")
_BREAK = re.compile(r"[.!?;:،؛؟።\n]")
_CLAUSE = re.compile(r"[,.!?;:،؛؟።፣\n]")
_ALNUM_TIME = re.compile(r"(\d{1,2})([^\W\d_]+)(\d{2})?")
_PREFIXED_HOUR = re.compile(r"([^\W\d_]+)(\d{1,2})")
_ORDINAL_ENDINGS = frozenset({"st", "nd", "rd", "th", "e", "de", "ste", "er", "eme", "ieme",
                              "re", "o", "a", "inci", "nci", "ci"})


@dataclass(slots=True)
class _Item:
    """One understood (or not) piece of the message, with its place in the normalised text."""

    kind: str
    value: Any
    text: str
    start: int
    end: int


@dataclass(slots=True)
class _TimeFound:
    hour: int
    minute: int
    fixed: bool          # 24-hour as written (13-23, or a leading zero): no am/pm guessing
    meridiem: str | None  # "am" | "pm"
    offset: int          # minutes added after the hour is placed ("half 3", "10 buçuk")
    items: list[_Item]


@dataclass(slots=True)
class _DayFound:
    kind: str            # "day", "weekday", "date", "past"
    value: Any
    part: str | None
    items: list[_Item]   # the words that say the day
    extra: list[_Item] = field(default_factory=list)   # words elsewhere: "volgende week"

    @property
    def start(self) -> int:
        return min(x.start for x in self.items)

    @property
    def end(self) -> int:
        return max(x.end for x in self.items)


class WhenParser:
    """The parser with its lexicon loaded; `parse_when` uses one built from the shipped files."""

    def __init__(self, lexicon: _Lexicon) -> None:
        self._lex = lexicon

    @classmethod
    def from_directory(cls, directory: Path) -> WhenParser:
        lexicon = _Lexicon()
        for path in sorted(directory.glob("*.yml")):
            lexicon.add_file(path)
        lexicon.finish()
        return cls(lexicon)

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self._lex.languages)

    @property
    def collisions(self) -> tuple[tuple[str, str, Meaning, str, Meaning], ...]:
        """Phrases two languages read differently: (key, lang, meaning, other lang, meaning)."""
        return tuple(self._lex.collisions)

    def parse(self, text: str, language: str | None, now: datetime.datetime,
              tz: ZoneInfo = BRUSSELS) -> WhenProposal | None:
        if not text or not text.strip():
            return None
        language = (language or "").split("-")[0].split("_")[0].lower() or None
        norm, origin = _normalize(text[:1000])
        items = self._items(norm, language)
        if not items:
            return None
        local_now = now.replace(tzinfo=tz) if now.tzinfo is None else now.astimezone(tz)
        return _interpret(items, norm, origin, text, local_now, tz, self._lex)

    # tokens -> items ---------------------------------------------------------------------

    def _items(self, norm: str, language: str | None) -> list[_Item]:
        tokens = list(_TOKEN_RE.finditer(norm))
        items: list[_Item] = []
        i = 0
        while i < len(tokens):
            token = tokens[i]
            group = token.lastgroup
            word = token.group()
            if group == "date":
                items.append(_Item("date", word, word, token.start(), token.end()))
            elif group == "clock":
                hour, minute = (int(x) for x in re.split(r"[:.]", word))
                items.append(_Item("clock", (hour, minute, word[0] == "0"), word,
                                   token.start(), token.end()))
            elif group == "ampm":
                kind = "am" if word[0] == "a" else "pm"
                items.append(_Item(kind, None, kind, token.start(), token.end()))
            elif word.isdigit():
                items.append(_Item("num", int(word), word, token.start(), token.end()))
            else:
                found = self._longest_phrase(tokens, i, norm, language)
                if found is not None:
                    count, key, (kind, value) = found
                    end = tokens[i + count - 1].end()
                    items.append(_Item(kind, value, key, token.start(), end))
                    i += count
                    continue
                halves = self._compound(word, token.start(), language)
                if halves:
                    items.extend(halves)
                else:
                    items.append(self._odd_word(word, token.start(), token.end()))
            i += 1
        return items

    def _compound(self, word: str, start: int, language: str | None) -> list[_Item]:
        """A weekday and a part of the day in one word: "donderdagvoormiddag", "vrijdagavond"."""
        if len(word) < 8 or not word.isalpha():
            return []
        for cut in range(len(word) - 3, 2, -1):
            left = self._lex.words.get(word[:cut])
            if not left:
                continue
            day = self._lex._pick(left, language)
            right = self._lex.meaning(word[cut:], language)
            if day[0] != "weekday" or right is None:
                continue
            if right == ("day", 1):     # "maandagmorgen": Monday morning, not tomorrow
                right = ("part", "morning")
            if right[0] in ("part", "noon"):
                return [_Item(day[0], day[1], word[:cut], start, start + cut),
                        _Item(right[0], right[1], word[cut:], start + cut, start + len(word))]
        return []

    def _longest_phrase(self, tokens: list[re.Match[str]], i: int, norm: str,
                        language: str | None) -> tuple[int, str, Meaning] | None:
        lex = self._lex
        last = min(len(tokens), i + lex.max_words)
        end = i + 1
        while end < last:   # how far words run on without punctuation or numbers between
            nxt = tokens[end]
            if (nxt.lastgroup != "word" or nxt.group().isdigit()
                    or not _JOINABLE.fullmatch(norm, tokens[end - 1].end(), nxt.start())):
                break
            end += 1
        for stop in range(end, i, -1):
            key = "".join(t.group() for t in tokens[i:stop])
            meaning = lex.meaning(key, language)
            if meaning is not None:
                return stop - i, key, meaning
        return None

    def _odd_word(self, word: str, start: int, end: int) -> _Item:
        """A word not in the lexicon: "10u", "14h30", "3pm", "10da", "f10", "3rd", or a typo."""
        lex = self._lex
        glued = _ALNUM_TIME.fullmatch(word)
        if glued:
            hour, ending, minutes = int(glued[1]), glued[2], glued[3]
            if minutes is None and ending in _ORDINAL_ENDINGS:
                return _Item("ordinal", hour, word, start, end)   # "3rd", "2de", "1er"
            meaning = lex.meaning(ending, None)
            if ending in lex.hour_endings or (
                    meaning and meaning[0] in ("hour_words", "hour_nouns", "am", "pm")):
                meridiem = meaning[0] if meaning and meaning[0] in ("am", "pm") else None
                return _Item("glued_time", (hour, int(minutes or 0), glued[1][0] == "0",
                                            meridiem), word, start, end)
        prefixed = _PREFIXED_HOUR.fullmatch(word)
        if prefixed:
            meaning = lex.meaning(prefixed[1], None)
            if meaning and meaning[0] in ("at", "at_weak"):
                return _Item("prefixed_hour", (meaning[0], int(prefixed[2])), word, start, end)
        meaning = lex.near_miss(word)
        if meaning is not None:
            return _Item(meaning[0], meaning[1], word, start, end)
        return _Item("word", None, word, start, end)


# --- items -> proposal ----------------------------------------------------------------------

def _interpret(items: list[_Item], norm: str, origin: list[int], text: str,
               now: datetime.datetime, tz: ZoneInfo, lex: _Lexicon) -> WhenProposal | None:
    def tight(a: _Item, b: _Item) -> bool:
        return bool(_JOINABLE.fullmatch(norm, a.end, b.start))

    def breaks(a: _Item, b: _Item) -> bool:
        return bool(_BREAK.search(norm, a.end, b.start))

    def before(k: int) -> _Item | None:
        return items[k - 1] if k > 0 and tight(items[k - 1], items[k]) else None

    def after(k: int) -> _Item | None:
        return items[k + 1] if k + 1 < len(items) and tight(items[k], items[k + 1]) else None

    today = now.date()
    used: set[int] = set()   # indexes of items already read as part of a date
    days: list[_DayFound] = []
    times: list[_TimeFound] = []
    parts: list[tuple[str, _Item]] = []
    next_week = [it for it in items if it.kind == "next_week"]

    # explicit dates first: "3/12", "3 december", "december 3rd", "2nd of December"
    for k, it in enumerate(items):
        if it.kind == "date":
            on_day = _numeric_date(it.value, today)
            if on_day is not None and (it.value.count("/") + it.value.count(".")
                                       + it.value.count("-") > 1 or _dated(k, items, breaks)):
                days.append(_DayFound("date", on_day, None, [it]))
        elif it.kind == "month":
            around = _month_day(k, items, tight, lex)
            if around is not None:
                group, year_item = around
                year = year_item.value if year_item is not None else None
                on_day = _month_date(group[0].value, it.value, year, today)
                if on_day is not None:
                    used.update(items.index(x) for x in group)
                    days.append(_DayFound("date", on_day, None, group))

    for k, it in enumerate(items):
        if k in used:
            continue
        kind = it.kind
        if kind == "day":
            days.append(_DayFound("day", it.value, None, [it]))
        elif kind == "yesterday":
            days.append(_DayFound("past", None, None, [it]))
        elif kind == "day_part":
            offset, part = it.value
            days.append(_DayFound("day", offset, part, [it]))
        elif kind == "weekday":
            prev, nxt = before(k), after(k)
            if prev is not None and prev.kind == "num":
                continue    # "2 luni" is two months in Romanian, not Monday
            if any(x is not None and x.kind in ("last", "last_week") for x in (prev, nxt)):
                days.append(_DayFound("past", None, None, [it]))   # "vorige dinsdag"
                continue
            group = [it]
            is_next = False
            for x in (prev, nxt):
                if x is not None and x.kind == "next":
                    is_next = True
                    group.append(x)
            if next_week:
                is_next = True
            days.append(_DayFound("weekday", (it.value, is_next), None, group,
                                  extra=list(next_week)))
        elif kind == "part":
            parts.append((it.value, it))
        elif kind == "noon":
            group = [it]
            prev = before(k)
            if prev is not None and prev.kind in ("at", "at_weak"):
                group.insert(0, prev)
            times.append(_TimeFound(12, 0, True, None, 0, group))
        elif kind in ("num", "number", "clock", "glued_time", "prefixed_hour", "ordinal"):
            found_time = _clock_time(k, items, norm, tight, breaks, lex)
            if found_time is not None:
                times.append(found_time)

    if not days and not times and not parts:
        return None

    days.sort(key=lambda d: d.start)
    days = _merge_labels(days, norm)
    # The last day said wins ("morgen niet, wel vrijdag"); a clock time or part of the day
    # counts only when it belongs to that day, i.e. stands nearer to it than to any other day.
    # Days in the past ("gisteren", "vorige dinsdag") are no proposal, nor is their time.
    coming = [d for d in days if d.kind != "past"]
    chosen = coming[-1] if coming else None

    def gap(d: _DayFound, piece: _Item) -> int:
        return min(piece.start - x.end if x.end <= piece.start else x.start - piece.end + 1
                   for x in d.items)

    def rough(d: _DayFound) -> object:
        if d.kind == "weekday":
            return _weekday_date(today, d.value[0], d.value[1], None, now, tz)
        return d.value if d.kind == "date" else today + datetime.timedelta(days=d.value)

    def belongs(piece: _Item) -> bool:
        if not days:
            return True
        owner = min(days, key=lambda d: gap(d, piece))
        if owner.kind == "past":    # unless a comma parts them: "gisteren ziek, om 10u?"
            first, second = sorted((owner.items[0], piece), key=lambda x: x.start)
            return chosen is None and bool(_CLAUSE.search(norm, first.end, second.start))
        if chosen is None:
            return False
        return owner is chosen or rough(owner) == rough(chosen)    # "vrijdag om 10u, 27/11"

    my_times = [t for t in times if belongs(t.items[-1])]
    my_parts = [p for p in parts if belongs(p[1])]
    clock: datetime.time | None = None
    used_items: list[_Item] = chosen.items + chosen.extra if chosen else []
    part = chosen.part if chosen else None
    if my_times:
        found = my_times[0]     # the first: "van 10u tot 12u"
        if part is None and my_parts:
            part_said, part_item = min(
                my_parts, key=lambda p: abs(p[1].start - found.items[-1].start))
            part = part_said
            used_items.append(part_item)
        clock = _place_hour(found, part)
        used_items.extend(found.items)
        part = None
    elif part is None and my_parts:
        part, part_item = my_parts[0]
        used_items.append(part_item)
    if chosen is None and clock is None and part is None:
        return None

    day: datetime.date | None = None
    if chosen is not None:
        if chosen.kind == "day":
            day = today + datetime.timedelta(days=chosen.value)
        elif chosen.kind == "date":
            day = chosen.value
        else:
            weekday, is_next = chosen.value
            day = _weekday_date(today, weekday, is_next, clock or PART_OF_DAY_HOURS.get(
                part or ""), now, tz)

    start = min(it.start for it in used_items)
    end = max(it.end for it in used_items)
    matched = text[origin[start]:origin[end - 1] + 1].strip()
    return WhenProposal(date=day, time=clock, part_of_day=part, matched=matched)


_OF = frozenset({"of", "de", "del", "di", "van"})    # "2nd of December", "26 de noviembre"


def _month_day(k: int, items: list[_Item], tight: Pair,
               lex: _Lexicon) -> tuple[list[_Item], _Item | None] | None:
    """The day number (and year) around the month at k: ([day, (of,) month], year item)."""
    def day_number(x: _Item) -> bool:
        return x.kind in ("num", "ordinal") and 1 <= int(x.value) <= 31

    month = items[k]
    candidates: list[list[_Item]] = []
    if k >= 1 and day_number(items[k - 1]) and tight(items[k - 1], month):
        candidates.append([items[k - 1], month])
    if (k >= 2 and items[k - 1].text in _OF and day_number(items[k - 2])
            and tight(items[k - 2], items[k - 1]) and tight(items[k - 1], month)):
        candidates.append([items[k - 2], items[k - 1], month])
    if k + 1 < len(items) and day_number(items[k + 1]) and tight(month, items[k + 1]):
        beyond = items[k + 2] if k + 2 < len(items) else None
        if beyond is None or beyond.text not in lex.counted:    # "mai 2 zile": 2 more days
            candidates.append([items[k + 1], month])
    if not candidates:
        return None
    group = candidates[0]
    last = max(items.index(x) for x in group)
    year = items[last + 1] if last + 1 < len(items) else None
    if year is not None and year.kind == "num" and len(year.text) == 4 and tight(
            items[last], year):
        group = group + [year]
        return group, year
    return group, None


def _merge_labels(days: list[_DayFound], norm: str) -> list[_DayFound]:
    """A weekday right before or after a date names that date: "mardi 1er décembre"."""
    merged: list[_DayFound] = []
    for d in days:
        if merged:
            prev = merged[-1]
            pair = {prev.kind, d.kind}
            between = norm[prev.end:d.start]
            if pair == {"weekday", "date"} and len(between) <= 6 and not _BREAK.search(between):
                date, weekday = (prev, d) if prev.kind == "date" else (d, prev)
                merged[-1] = _DayFound("date", date.value, None, date.items + weekday.items)
                continue
        merged.append(d)
    return merged


# words before a day-month date: "op 3/12", "on 3/12", "le 3/12", "в 3/12", "يوم 3/12"
_DATE_PREPOSITIONS = frozenset({
    "op", "on", "le", "el", "am", "pe", "na", "w", "v", "vo", "we", "в", "во", "на", "у", "о",
    "في", "یوم", "nhar", "f", "tot", "until", "jusqu", "vanaf", "from", "de", "del", "au", "du",
    "dan", "tegen", "voor", "before", "after", "ab", "ile", "tarihinde", "до", "від", "от",
    "od", "do", "la", "pana", "din", "ሰዓት", "ኣብ", "ب", "تاریخ", "روز", "په", "taariikhda",
})
_DAY_CONTEXT = frozenset({"day", "weekday", "day_part", "part", "at", "at_weak", "clock",
                          "glued_time", "next", "noon"})


def _dated(k: int, items: list[_Item], breaks: Pair) -> bool:
    """A day/month without a year ("3/12") only with something around it that says date."""
    prev = items[k - 1] if k > 0 else None
    following = items[k + 1] if k + 1 < len(items) else None
    if prev is not None and not breaks(prev, items[k]) and (
            prev.kind in _DAY_CONTEXT or prev.text in _DATE_PREPOSITIONS):
        return True
    return following is None or breaks(items[k], following) or following.kind in _DAY_CONTEXT


def _clock_time(k: int, items: list[_Item], norm: str, tight: Pair, breaks: Pair,
                lex: _Lexicon) -> _TimeFound | None:
    """Item k read as a clock time, when what stands around it says it is one."""
    it = items[k]

    def right(j: int) -> _Item | None:
        return items[j + 1] if j + 1 < len(items) and tight(items[j], items[j + 1]) else None

    prev = items[k - 1] if k > 0 and tight(items[k - 1], it) else None
    nxt = right(k)
    if nxt is not None and nxt.text in lex.counted:
        return None     # "om 2 kinderen", "10.50 euro"
    if prev is not None and prev.text in lex.duration:
        return None     # "over 2 uur", "через 2 часа"
    group = [it]
    meridiem: str | None = None
    offset = 0
    strong = weak = False
    if it.kind == "ordinal":
        # "2de" is "2nd" in Dutch but "at 2" in Turkish: a time only after "saat" or a day
        anchored = prev is not None and prev.kind in ("at", "at_weak", "day", "weekday",
                                                       "day_part", "part")
        if it.text.lstrip("0123456789") not in lex.hour_endings or not anchored:
            return None
    if it.kind in ("clock", "glued_time", "ordinal"):
        if it.kind == "clock":
            hour, minute, zero = it.value
        elif it.kind == "ordinal":
            hour, minute, zero = it.value, 0, it.text[0] == "0"
        else:
            hour, minute, zero, meridiem = it.value
        if hour > 24 or minute > 59:
            return None
        # "10:30" always; "10.30" unless it looks like a room or a version ("kamer 2.14")
        strong = ":" in it.text or minute % 5 == 0 or it.kind != "clock"
        fixed = zero or hour == 0 or hour > 12
    else:
        if it.kind == "prefixed_hour":
            marker, hour = it.value
            strong, weak = marker == "at", marker == "at_weak"
        else:
            hour = it.value
        minute = 0
        if hour is None or hour > 23:
            return None
        if it.kind == "num" and any(x is not None and x.kind in ("num", "clock", "date")
                                    for x in (prev, nxt)):
            return None     # part of a longer number: "0470 12 34 56"
        fixed = it.kind != "number" and (it.text[0] == "0" or hour > 12)
    if prev is not None and prev.kind in ("at", "at_weak"):
        group.insert(0, prev)
        if it.kind in ("clock", "glued_time", "ordinal"):
            strong = True
        elif it.kind in ("num", "number"):
            # a number word needs more than "at": "at one point", "om een afspraak"
            strong = prev.kind == "at" and it.kind == "num"
            weak = not strong
    elif prev is not None and prev.kind == "minutes_before" and it.kind in ("num", "number"):
        strong = True
        offset = prev.value
        group.insert(0, prev)
        if k > 1 and items[k - 2].kind in ("at", "at_weak") and tight(items[k - 2], prev):
            group.insert(0, items[k - 2])     # "om half 3"
    elif prev is not None and prev.kind == "part" and it.kind in ("num", "number"):
        weak = True
    j = k
    if nxt is not None and nxt.kind in ("hour_words", "hour_nouns"):
        # "10u", "10h", "10 o'clock" say clock time; "3 uur", "3 heures", "3 часа" may be a
        # duration ("ik heb 3 uur gewacht") unless "om"/"à"/"в" comes first or nothing after
        if nxt.kind == "hour_words" or prev is not None and prev.kind in ("at", "at_weak"):
            strong = True
        else:
            weak = True
            before = items[k - 1] if k > 0 else None
            if before is not None and before.kind not in _TIME_CONTEXT and not _CLAUSE.search(
                    norm, before.end, it.start):
                return None     # "j'ai attendu 3 heures"; but "morgen 10 uur", "ok, 10 uur"
        group.append(nxt)
        j += 1
        nxt = right(j)
        if nxt is not None and nxt.text in lex.counted:
            return None     # "8 uur per dag", "2 uur lang"
    if nxt is not None and nxt.kind in ("am", "pm"):
        strong = True
        meridiem = nxt.kind
        group.append(nxt)
        j += 1
        nxt = right(j)
    if nxt is not None and nxt.kind == "minutes_after":
        strong = True
        offset += nxt.value
        group.append(nxt)
        j += 1
    elif nxt is not None and nxt.kind == "part" and it.kind in ("num", "number"):
        strong = True
    elif (nxt is not None and nxt.kind in ("glued_time", "clock") and it.kind == "num"
          and "-" in norm[it.end:nxt.start]):
        strong = True   # the start of a range: "9-12u"
    if not strong:
        if not weak:
            return None
        following = items[j + 1] if j + 1 < len(items) else None
        if following is not None and not breaks(items[j], following) and (
                following.kind not in _TIME_CONTEXT):
            return None     # "a 5 minutos", "o 2 dzieci": the word after is not about time
    if hour == 24:
        hour = 0
    return _TimeFound(hour, minute, fixed, meridiem, offset, group)


def _place_hour(found: _TimeFound, part: str | None) -> datetime.time:
    """The 24-hour clock time meant: am/pm, the part of the day, else office hours."""
    hour = found.hour
    if found.meridiem == "pm" and hour < 12:
        hour += 12
    elif found.meridiem == "am" and hour == 12:
        hour = 0
    elif found.meridiem is None and not found.fixed:
        afternoon = part in ("afternoon", "evening") and hour < 12
        office_hours = part is None and 1 <= hour <= 6
        if afternoon or office_hours:
            hour += 12
    total = (hour * 60 + found.minute + found.offset) % (24 * 60)
    return datetime.time(total // 60, total % 60)


def _weekday_date(today: datetime.date, weekday: int, is_next: bool,
                  clock: datetime.time | None, now: datetime.datetime,
                  tz: ZoneInfo) -> datetime.date:
    if is_next:
        return today + datetime.timedelta(days=7 - today.weekday() + weekday)
    delta = (weekday - today.weekday()) % 7
    if delta == 0 and not (clock is not None
                           and datetime.datetime.combine(today, clock, tzinfo=tz) > now):
        delta = 7
    return today + datetime.timedelta(days=delta)


def _numeric_date(written: str, today: datetime.date) -> datetime.date | None:
    parts = [int(p) for p in re.split(r"[/.-]", written)]
    year = None
    if len(parts) == 3:
        year = parts[2] + 2000 if parts[2] < 100 else parts[2]
    return _month_date(parts[0], parts[1], year, today)


def _month_date(day: int, month: int, year: int | None,
                today: datetime.date) -> datetime.date | None:
    if year is not None and not 2000 <= year <= 2100:
        return None
    try:
        found = datetime.date(year or today.year, month, day)
        if year is None and found < today:
            found = datetime.date(today.year + 1, month, day)
    except ValueError:
        return None
    return found
