"""What clients (and forgers) can send: text, button payloads, Telegram updates, web chat bodies.

Text is any Unicode a phone can type, weighted towards what breaks software: right-to-left and
mixed scripts, bidi controls, combining marks, zero-width joiners, emoji sequences, digits that
are not ASCII, and lengths at Telegram's limits up to 10,000 characters. Payloads are the real
ones, the real ones with bad numbers, and nonsense. Updates are JSON as the Bot API sends it,
including the fields Telegram may leave out.
"""

from __future__ import annotations

import os
import zlib
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st

from dialogues.languages import LANGUAGES
from dialogues.messages import InputKind
from dialogues.settings import DEFAULT_MUNICIPALITIES
from nlu.types import INTENTS, IntentScore, ParseResult

PROFILE = os.environ.get("WERKMAAT_FUZZ_PROFILE", "werkmaat-ci")
SCALE = {"werkmaat-explore": 10}


def fuzz_settings(max_examples: int, *extra_health_checks: Any) -> settings:
    """The profile registered in conftest, with this test's number of examples (scaled up when
    exploring)."""
    parent = settings.get_profile(PROFILE)
    return settings(parent, max_examples=max_examples * SCALE.get(PROFILE, 1),
                    suppress_health_check=[*parent.suppress_health_check, *extra_health_checks])


# ---- text -----------------------------------------------------------------------------------

LANGUAGE_CODES = tuple(lang.code for lang in LANGUAGES)
ARABIC = "".join(chr(c) for c in range(0x0621, 0x064B)) + "،؟؛ـ"
FARSI = "پچژگکیۀ\u200c"  # with the zero-width non-joiner Persian spelling needs
HEBREW = "".join(chr(c) for c in range(0x05D0, 0x05EB)) + "\u05b0\u05b4\u05bc"
BIDI = "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
COMBINING = "".join(chr(c) for c in range(0x0300, 0x0370)) + "\u064b\u064c\u0651\u0670\u20dd"
SPACES = " \t\n\r\u00a0\u1680\u2028\u2029\u0085\u3000\u200a\u180e\x0b\x0c"
CONTROLS = "\x00\x01\x07\x1b\x7f\x9f"
DIGITS = "0123456789٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹²³¹⑦𝟗０１፩"
OTHER_SCRIPTS = "ትግርኛ ሰላም Українська Русский Ελληνικά 中文 日本語 한국어 हिन्दी ไทย ქართული"
EMOJI = ("😀", "👩‍👩‍👧‍👦", "🇧🇪", "🇪🇷", "🇺🇦", "👍🏽", "1️⃣", "#️⃣", "🏳️‍🌈", "❤️", "🧕🏿",
         "👨🏾‍💻", "🫶", "\U0001faf8",
         "🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f")
PHRASES = (
    # what clients really write, in our languages (and some we do not serve)
    "ik wil werk", "Ik zoek werk in Kortrijk", "ja", "nee", "ok", "Amina", "0470 12 34 56",
    "+32 470 12 34 56", "amina@example.be", "ik wil met mijn begeleider praten",
    "ik kan morgen niet, wel vrijdag om 10u", "wanneer is mijn afspraak", "heb ik recht op "
    "een huurpremie?", "mijn man slaat me, ik ben bang", "ik wil dood", "dank je", "dag",
    "مرحبا، عندي سؤال", "أريد عملاً", "نعم", "لا", "يوسف", "من می خواهم کار پیدا کنم", "بله",
    "زهرا", "سلام", "זה טקסט בעברית", "Ich suche Arbeit", "I need help with a letter",
    "je cherche une formation", "Шукаю роботу", "Мне нужна помощь", "İş arıyorum",
    "ሰላም ስራ እየደለኹ እየ", "Waxaan raadinayaa shaqo", "Caut de lucru", "Търся работа",
    "Hľadám prácu", "Szukam pracy", "Busco trabajo", "Nederlands", "العربية", "arabic",
    "English", "dari", "/start", "/stop", "/help", "/language", "/language nl", "/unknown",
    "/start@OtherBot", "/START", "/", "/ start", "//start", "/stop@werkmaat_bot extra words",
    "/mydata", "/delete", "/privacy",
    "kan het vrijdag om 10u", "morgen om 14:30", "op 3/12 om 10u", "31/2 om 10u", "om 25:61",
    "volgende dinsdag 's avonds", "بعد غد الساعة 10", "yarın saat 10", "demain à 10h",
    "{name}", "{", "}", "%s", "%(name)s", "<b>vet</b>", "[link](http://x)", "*_~`",
    "' OR 1=1 --", "\\", "null", "None", "NaN", "-1", "9" * 30, "١٢٣", "²",
)


def _alphabet(chars: str) -> st.SearchStrategy[str]:
    return st.text(st.sampled_from(chars), max_size=30)


_pieces = st.one_of(
    st.sampled_from(PHRASES),
    st.text(st.characters(codec="utf-8"), max_size=30),  # any scalar value, no surrogates
    _alphabet(ARABIC + " " + BIDI + ZERO_WIDTH),
    _alphabet(FARSI + HEBREW + " " + COMBINING),
    _alphabet(BIDI + ZERO_WIDTH + SPACES + CONTROLS),
    _alphabet(DIGITS + " +-./()"),
    _alphabet(OTHER_SCRIPTS),
    st.sampled_from(EMOJI),
    st.sampled_from(SPACES + BIDI + ZERO_WIDTH + COMBINING[:8]),
)
short_text = st.lists(_pieces, max_size=8).map("".join)

#: lengths where limits are: Telegram's 4096, the web chat's 20,000, and 10,000 generally
EDGE_LENGTHS = (1, 240, 241, 1000, 1001, 4095, 4096, 4097, 8192, 10_000)


def _stretch(text: str, length: int) -> str:
    seed = text or "x"
    return (seed * (length // len(seed) + 1))[:length]


def client_text(max_length: int = 10_000) -> st.SearchStrategy[str]:
    """0 to `max_length` characters; long ones repeat a generated piece (cheap to make)."""
    lengths = st.one_of(st.sampled_from([n for n in EDGE_LENGTHS if n <= max_length]),
                        st.integers(0, max_length))
    return st.one_of(short_text, short_text, st.builds(_stretch, short_text, lengths))


def realistic_text() -> st.SearchStrategy[str]:
    """What clients write, a little garbled: a phrase, two, or one with noise around it."""
    phrase = st.sampled_from(PHRASES)
    return st.one_of(phrase, st.builds("{} {}".format, phrase, phrase),
                     st.builds(str.__add__, phrase, short_text),
                     st.builds(str.__add__, short_text, phrase), client_text(400))


# ---- button payloads ------------------------------------------------------------------------

#: digits `str.isdigit` accepts: some `int()` reads ("٣", "𝟗", "１"), some it refuses ("²", "⑦")
ODD_DIGITS = ("²", "⑦", "٣", "۴", "𝟗", "１", "١٢", "፩", "1²")
BAD_NUMBERS = ("", "0", "-1", "1", "999", str(2**31), str(2**63), "1_000", " 1", "1 ", "1e3",
               "0x1f", "NaN", "1.5", "+1", "v1", "\u200e1", "99999999999999999999", "9" * 40)
RIGHTS_IDS = ("leefloon", "werkloosheid", "kinderopvang", "huurpremie", "uitpas", "nope", "")
PROBLEM_KINDS = ("pay", "hours", "people", "language", "transport", "childcare", "health",
                 "ended", "other", "x")
RIGHTS_ANSWERS = ("household:alone", "household:partner", "children:none", "income:work",
                  "housing:own", "health_costs:yes", "debts:no", "debts:maybe", "income:",
                  "household:alone:extra", "x:y")


def bad_numbers() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(ODD_DIGITS), st.sampled_from(BAD_NUMBERS),
                     st.integers(-5, 5).map(str), st.integers(0, 2**70).map(str))


@st.composite
def tampered(draw: st.DrawFn, payload: str) -> str:
    """A real payload with one of its parts replaced: a forger's first try."""
    parts = payload.split(":")
    at = draw(st.integers(0, len(parts) - 1))
    parts[at] = draw(st.one_of(bad_numbers(), short_text))
    return ":".join(parts)


def numbered_payloads() -> st.SearchStrategy[str]:
    """Payloads that carry ids and versions, with numbers that are not what they should be."""
    return st.one_of(
        st.builds("appt:{}:{}:{}".format, st.sampled_from(("yes", "no", "other", "x", "")),
                  bad_numbers(), bad_numbers()),
        st.builds("nz:{}:{}:{}".format, st.sampled_from(("good", "soso", "problem", "x")),
                  bad_numbers(), bad_numbers()),
        st.builds("desk:{}:{}".format, st.sampled_from(("claim", "back")), bad_numbers()),
        st.builds("desk:appt:{}:{}:{}".format,
                  st.sampled_from(("accept", "attended", "noshow", "x")), bad_numbers(),
                  bad_numbers()),
        bad_numbers().map("speak:{}".format),
        st.just("appt:yes:999:1"),
    )


def _known_payloads() -> st.SearchStrategy[str]:
    """The engine's own payloads, valid in some step and stale or forged in others."""
    return st.one_of(
        st.sampled_from(LANGUAGE_CODES + ("xx", "", "NL", "nl-BE")).map("lang:{}".format),
        st.sampled_from(("consent:yes", "consent:no", "consent:again", "consent:", "restart",
                         "area:other", "nat:yes", "nat:no", "nat:unsure", "nat:maybe",
                         "seek:yes", "seek:no", "contact:chat", "menu:human", "menu:help",
                         "menu:language", "menu:", "rights:check", "rights:again",
                         "rights:more", "rights:", "rights:show:", "appt-none", "appt",
                         "nz:talk", "nz:fine", "nz:nonote", "nz:", "speak:", "switch:",
                         "stay:", "meant:", "rq:", "desk:", "help:", "lang:", "rq:x:y",
                         "privacy:show", "privacy:erase", "privacy:erase:yes",
                         "privacy:erase:no", "privacy:withdraw", "privacy:withdraw:yes",
                         "privacy:", "privacy:erase:yes:again", "privacy:x")),
        st.sampled_from(DEFAULT_MUNICIPALITIES + ("kortrijk", "Gent", "", "Kortrijk ")).map(
            "area:{}".format),
        st.sampled_from(("work", "training", "dutch", "paperwork", "other", "x", "")).map(
            "help:{}".format),
        st.sampled_from(LANGUAGE_CODES + ("xx", "")).map("switch:{}".format),
        st.sampled_from(LANGUAGE_CODES + ("xx", "x" * 30)).map("stay:{}".format),
        st.sampled_from(INTENTS + ("nope", "")).map("meant:{}".format),
        st.sampled_from(RIGHTS_IDS).map("rights:show:{}".format),
        st.sampled_from(RIGHTS_ANSWERS).map("rq:{}".format),
        st.sampled_from(PROBLEM_KINDS).map("nz:kind:{}".format),
    )


PREFIXES = ("privacy:", "privacy:erase:", "lang:", "consent:", "area:", "nat:", "seek:",
            "contact:", "help:", "menu:", "rights:", "rights:show:", "rq:", "meant:", "switch:",
            "stay:", "speak:", "appt:", "appt", "nz:", "nz:kind:", "desk:", "desk:claim:",
            "desk:back:", "desk:appt:")


def payloads(max_length: int = 200) -> st.SearchStrategy[str]:
    """Known payloads, known prefixes with any suffix, and anything at all."""
    return st.one_of(
        _known_payloads(),
        numbered_payloads(),
        st.builds(str.__add__, st.sampled_from(PREFIXES), short_text),
        short_text,
        st.builds(_stretch, short_text, st.integers(0, max_length)),
    ).map(lambda p: p[:max_length])


def fits_callback_data(payload: str) -> str:
    """Telegram delivers at most 64 bytes of callback data: cut to that (never mid-character)."""
    data = payload.encode("utf-8")[:64]
    return data.decode("utf-8", errors="ignore")


# ---- what the NLU says ----------------------------------------------------------------------

_confidence = st.one_of(st.floats(0.0, 1.0), st.sampled_from((0.0, 0.12, 0.449, 0.45, 0.5,
                                                                0.8, 1.0)))


@st.composite
def parse_results(draw: st.DrawFn, text: str) -> ParseResult:
    """Anything the NLU contract allows: a known intent, confidences in [0, 1], any language."""
    ranking = tuple(draw(st.lists(st.builds(IntentScore, st.sampled_from(INTENTS), _confidence),
                                  max_size=5)))
    ranking = tuple(sorted(ranking, key=lambda s: -s.confidence))
    intent, confidence = ((ranking[0].intent, ranking[0].confidence) if ranking
                          else (draw(st.sampled_from(INTENTS)), draw(_confidence)))
    language = draw(st.sampled_from(LANGUAGE_CODES + ("und", "de", "zz", "")))
    return ParseResult(text, intent, confidence, language, ranking,
                       crisis=draw(st.booleans()) and draw(st.booleans()),
                       language_confidence=draw(_confidence))


class DrawnNLU:
    """An NLU whose answer for each text the test drew beforehand (out of scope otherwise)."""

    name = "drawn"

    def __init__(self) -> None:
        self.answers: dict[str, ParseResult] = {}

    def parse(self, text: str) -> ParseResult:
        return self.answers.get(text) or ParseResult(text, "out_of_scope", 0.0)


class HashedNLU:
    """A stable, quick stand-in: each text always gets the same intent, confidence and
    language (the engine's own fuzz test covers what the NLU may say)."""

    name = "hashed"

    def parse(self, text: str) -> ParseResult:
        h = zlib.crc32(text.encode("utf-8", "surrogatepass"))
        intent = INTENTS[h % len(INTENTS)]
        confidence = (h >> 8) % 101 / 100
        language = LANGUAGE_CODES[(h >> 16) % len(LANGUAGE_CODES)]
        return ParseResult(text, intent, confidence, language,
                           crisis=intent == "urgent_help" and confidence >= 0.5,
                           language_confidence=(h >> 4) % 101 / 100)


# ---- engine input ---------------------------------------------------------------------------

MEDIA_KINDS = tuple(k for k in InputKind if k.is_media)
COMMANDS = ("/start", "/stop", "/help", "/language", "/language ar", "/language xx",
            "/mydata", "/delete", "/privacy", "/delete now",
            "/unknown", "/start@OtherBot", "/Language@werkmaat_bot nl", "/", "/ start",
            "/stop now please", "/" + "x" * 300, "/start\u200f", "/ستارت")
LOCALE_HINTS = ("", "nl", "ar", "fa_AF", "uk-UA", "zz", "en-GB", "x" * 50, "-", "ps-AF")


# ---- Telegram updates -----------------------------------------------------------------------

PRIVATE_CHATS = (555001, 555002, 555003)
COUNSELOR_CHAT = -1000000000777
OTHER_GROUP = -100123
CHANNEL = -1000000000999
COUNSELOR_USER = 4242  # registered as a counselor by the Telegram tests
STRANGER_USER = 9999  # in the counselors' group, but not a counselor
DATE = 1795435200


def _file(prefix: str) -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(lambda n: {"file_id": f"{prefix}{n}", "file_unique_id": f"u{prefix}{n}"},
                     st.integers(0, 99))


def _with(base: st.SearchStrategy[dict[str, Any]], **extra: Any) -> st.SearchStrategy[
        dict[str, Any]]:
    return base.map(lambda d: {**d, **extra})


def _caption() -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(st.just({}), client_text(1200).map(lambda c: {"caption": c}))


def _merge(*parts: dict[str, Any]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for part in parts:
        merged.update(part)
    return merged


def _text_content() -> st.SearchStrategy[dict[str, Any]]:
    def command(text: str) -> dict[str, Any]:
        head = text.split(" ", 1)[0]
        return {"text": text, "entities": [{"type": "bot_command", "offset": 0,
                                            "length": len(head.encode("utf-16-le")) // 2}]}

    return st.one_of(client_text().map(lambda t: {"text": t}),
                     st.sampled_from(COMMANDS).map(command))


def message_content() -> st.SearchStrategy[dict[str, Any]]:
    """The part of a message that says what it is: text, a command, or one of the media."""
    size = st.integers(1, 4000)
    media: list[st.SearchStrategy[dict[str, Any]]] = [
        _file("CAAC").map(lambda f: {"sticker": {**f, "type": "regular", "width": 512,
                                                  "height": 512, "is_animated": False,
                                                  "is_video": False, "emoji": "😀"}}),
        st.builds(lambda f, w, c: {"photo": [{**f, "width": w, "height": w}], **c},
                  _file("AgAC"), size, _caption()),
        st.builds(lambda f, c: {"voice": {**f, "duration": 4, "mime_type": "audio/ogg"}, **c},
                  _file("AwAC"), _caption()),
        st.builds(lambda f, c: {"audio": {**f, "duration": 180}, **c}, _file("CQAC"),
                  _caption()),
        st.builds(lambda f, c: {"video": {**f, "width": 640, "height": 360, "duration": 9}, **c},
                  _file("BAAC"), _caption()),
        _file("DQAC").map(lambda f: {"video_note": {**f, "length": 240, "duration": 5}}),
        st.builds(lambda f, c: {"document": {**f, "file_name": "brief.pdf"}, **c},
                  _file("BQAC"), _caption()),
        st.builds(lambda f, c: {"animation": {**f, "width": 320, "height": 240, "duration": 2},
                                "document": f, **c}, _file("CgAC"), _caption()),
        st.builds(lambda la, lo: {"location": {"latitude": la, "longitude": lo}},
                  st.floats(-90, 90), st.floats(-180, 180)),
        st.builds(lambda p, n: {"contact": {"phone_number": p, "first_name": n or "?"}},
                  short_text, short_text),
        st.builds(lambda q: {"poll": {"id": "1", "question": q or "?", "options": [
            {"text": "a", "voter_count": 0, "persistent_id": "o1"},
            {"text": "b", "voter_count": 1, "persistent_id": "o2"}],
            "total_voter_count": 1, "is_closed": False, "is_anonymous": True,
            "type": "regular", "allows_multiple_answers": False, "allows_revoting": False,
            "members_only": False}}, short_text),
        st.builds(lambda v: {"dice": {"emoji": "🎲", "value": v}}, st.integers(1, 6)),
        st.just({"venue": {"location": {"latitude": 50.8, "longitude": 3.26},
                           "title": "Stadskantoor", "address": "Grote Markt 54"},
                 "location": {"latitude": 50.8, "longitude": 3.26}}),
        st.just({"new_chat_title": "x"}),  # a service message: nothing for the bot to read
        st.just({}),  # a message type this library does not know yet
    ]
    return st.one_of(_text_content(), _text_content(), *media)


def user(user_id: int) -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(
        lambda name, code, bot: _merge({"id": user_id, "is_bot": bot, "first_name": name or "?"},
                                       {"language_code": code} if code is not None else {}),
        short_text, st.one_of(st.none(), st.sampled_from(LOCALE_HINTS)),
        st.sampled_from((False, False, False, True)))


def chat(chat_id: int) -> dict[str, Any]:
    if chat_id > 0:
        return {"id": chat_id, "type": "private", "first_name": "Amina"}
    if chat_id == COUNSELOR_CHAT:
        return {"id": chat_id, "type": "supergroup", "title": "Begeleiders", "is_forum": True}
    if chat_id == CHANNEL:
        return {"id": chat_id, "type": "channel", "title": "Nieuws"}
    return {"id": chat_id, "type": "group", "title": "Familie"}


@st.composite
def message(draw: st.DrawFn, chat_id: int, edited: bool = False,
            thread: int | None = None) -> dict[str, Any]:
    """A message in a chat: in the counselors' forum, maybe in a client's topic."""
    sender_id = chat_id if chat_id > 0 else draw(st.sampled_from((COUNSELOR_USER, STRANGER_USER)))
    body: dict[str, Any] = {"message_id": draw(st.integers(1, 50)),
                            "date": DATE + draw(st.integers(0, 10_000)), "chat": chat(chat_id)}
    if chat_id != CHANNEL and draw(st.integers(0, 9)):  # `from` may be left out
        body["from"] = draw(user(sender_id))
    if edited:
        body["edit_date"] = body["date"] + 60
    if thread is not None:
        body["message_thread_id"], body["is_topic_message"] = thread, True
    return {**body, **draw(message_content())}


@st.composite
def callback_query(draw: st.DrawFn, chat_id: int, data: str | None = None) -> dict[str, Any]:
    """A button press; the message under it may be inaccessible (too old) or absent."""
    sender_id = chat_id if chat_id > 0 else draw(st.sampled_from((COUNSELOR_USER, STRANGER_USER)))
    query: dict[str, Any] = {"id": str(draw(st.integers(1, 10**6))), "chat_instance": "-42",
                             "from": draw(user(sender_id))}
    if data is None:
        data = draw(st.one_of(payloads(64), st.none()))
    if data is not None:
        query["data"] = fits_callback_data(data)
    where = draw(st.integers(0, 9))
    if where >= 2:
        query["message"] = {"message_id": draw(st.integers(1, 50)), "date": DATE,
                            "chat": chat(chat_id), "text": "Kies",
                            "from": {"id": 999, "is_bot": True, "first_name": "Werkmaat"}}
    elif where == 1:
        query["message"] = {"message_id": 7, "date": 0, "chat": chat(chat_id)}  # inaccessible
    return query


@st.composite
def telegram_update(draw: st.DrawFn, update_id: int) -> dict[str, Any]:
    """Any update the bot can get: messages, edits and button presses from private chats, the
    counselors' forum, other groups and channels, and update types it does not handle."""
    chat_id = draw(st.sampled_from(PRIVATE_CHATS * 3 + (COUNSELOR_CHAT, OTHER_GROUP, CHANNEL)))
    kind = draw(st.sampled_from(("message", "message", "message", "edited_message",
                                 "callback_query", "callback_query", "other")))
    thread = draw(st.one_of(st.none(), st.integers(1, 4))) if chat_id == COUNSELOR_CHAT else None
    if kind == "callback_query" and chat_id != CHANNEL:
        return {"update_id": update_id, "callback_query": draw(callback_query(chat_id))}
    if kind == "other":
        return {"update_id": update_id}
    field = "channel_post" if chat_id == CHANNEL else kind
    if chat_id == CHANNEL and kind == "edited_message":
        field = "edited_channel_post"
    return {"update_id": update_id,
            field: draw(message(chat_id, edited=kind == "edited_message", thread=thread))}


# ---- web chat bodies ------------------------------------------------------------------------

json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70),
              st.floats(allow_nan=False, allow_infinity=False), short_text),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(short_text, inner, max_size=4)),
    max_leaves=8,
)


def chat_bodies() -> st.SearchStrategy[Any]:
    """What a browser (or anyone with curl) can POST to /chat/api/messages, as JSON values."""
    field_values = st.one_of(client_text(), payloads(), json_values)
    return st.one_of(
        st.builds(lambda t: {"text": t}, client_text()),
        st.builds(lambda p: {"payload": p}, payloads()),
        st.builds(lambda s: {"start": s}, st.one_of(st.booleans(), json_values,
                                                    st.sampled_from(("yes", "no", "1", "0",
                                                                     "true", "maybe")))),
        st.fixed_dictionaries({}, optional={"text": field_values, "payload": field_values,
                                            "start": json_values, "extra": json_values}),
        st.builds(lambda n: {"text": "x" * n}, st.sampled_from((19_999, 20_000, 20_001,
                                                                50_000))),
        st.builds(lambda n: {"payload": "p" * n}, st.sampled_from((199, 200, 201, 5000))),
        json_values,
    )
