"""Dates and times in clients' free-text replies, in all sixteen languages (nlu/dates.py)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from nlu.dates import DATA_DIR, PART_OF_DAY_HOURS, WhenParser, WhenProposal, parse_when

BRUSSELS = ZoneInfo("Europe/Brussels")
NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=BRUSSELS)    # a Monday, 10:00
MON, TUE, WED, THU, FRI, SAT, SUN = (dt.date(2026, 11, d) for d in range(23, 30))
NEXT_MON, NEXT_TUE = dt.date(2026, 11, 30), dt.date(2026, 12, 1)
LANGUAGES = {"nl", "en", "fr", "ar", "tr", "uk", "ru", "fa", "ps", "ti", "so", "ro", "bg", "sk",
             "pl", "es"}


def t(hour: int, minute: int = 0) -> dt.time:
    return dt.time(hour, minute)


# (language, message, day, clock time, part of day); NOW is Monday 23 November 2026, 10:00
CASES = [
    # Dutch, Flemish spellings
    ("nl", "ik kan morgen niet", TUE, None, None),
    ("nl", "overmorgen past beter", WED, None, None),
    ("nl", "donderdag kan ik", THU, None, None),
    ("nl", "kan het vrijdag om 10u", FRI, t(10), None),
    ("nl", "om 14u30", None, t(14, 30), None),
    ("nl", "ik kom om 3 uur 's middags", None, t(15), None),
    ("nl", "zaterdag om 10.30", SAT, t(10, 30), None),
    ("nl", "morgen in de voormiddag", TUE, None, "morning"),
    ("nl", "vanavond om 8u", MON, t(20), None),
    ("nl", "morgennamiddag", TUE, None, "afternoon"),
    ("nl", "volgende week dinsdag om half 3", NEXT_TUE, t(14, 30), None),
    ("nl", "vrydag om 10 uur", FRI, t(10), None),
    ("nl", "vrijdga", FRI, None, None),
    ("nl", "kan het op 3 december om 10u?", dt.date(2026, 12, 3), t(10), None),
    ("nl", "3/12 om 9u", dt.date(2026, 12, 3), t(9), None),
    ("nl", "morgen om tien uur", TUE, t(10), None),
    # English
    ("en", "can we do tomorrow", TUE, None, None),
    ("en", "the day after tomorrow is better", WED, None, None),
    ("en", "thursday works", THU, None, None),
    ("en", "can we do Friday at 10", FRI, t(10), None),
    ("en", "at 3pm", None, t(15), None),
    ("en", "next Tuesday morning", NEXT_TUE, None, "morning"),
    ("en", "tmrw 10am", TUE, t(10), None),
    ("en", "wensday at 2", WED, t(14), None),
    ("en", "half past 3 tomorrow", TUE, t(15, 30), None),
    ("en", "tonight at 7", MON, t(19), None),
    # French
    ("fr", "demain", TUE, None, None),
    ("fr", "après-demain ça marche", WED, None, None),
    ("fr", "jeudi", THU, None, None),
    ("fr", "jeudi à 14h", THU, t(14), None),
    ("fr", "vers 10h30", None, t(10, 30), None),
    ("fr", "vendredi à dix heures et demie", FRI, t(10, 30), None),
    ("fr", "demain matin", TUE, None, "morning"),
    ("fr", "mardi prochain à midi", NEXT_TUE, t(12), None),
    # Spanish
    ("es", "mañana no puedo", TUE, None, None),
    ("es", "pasado mañana", WED, None, None),
    ("es", "el jueves", THU, None, None),
    ("es", "el viernes a las 10", FRI, t(10), None),
    ("es", "a las 3 de la tarde", None, t(15), None),
    ("es", "mañana por la mañana", TUE, None, "morning"),
    ("es", "el martes que viene", NEXT_TUE, None, None),
    # Turkish, also mixed with Dutch
    ("tr", "yarın afspraak gelemem", TUE, None, None),
    ("tr", "öbür gün olur mu", WED, None, None),
    ("tr", "perşembe olabilir mi", THU, None, None),
    ("tr", "cuma saat 10'da", FRI, t(10), None),
    ("tr", "saat 14:30", None, t(14, 30), None),
    ("tr", "cumaya gelebilirim", FRI, None, None),
    ("tr", "yarın öğleden sonra 3 buçukta", TUE, t(15, 30), None),
    ("tr", "haftaya salı", NEXT_TUE, None, None),
    ("tr", "yarin om 10u", TUE, t(10), None),
    # Arabic: standard, Levantine, Moroccan
    ("ar", "غدا", TUE, None, None),
    ("ar", "بعد غد", WED, None, None),
    ("ar", "يوم الخميس", THU, None, None),
    ("ar", "الجمعة الساعة 10", FRI, t(10), None),
    ("ar", "الساعة 3 بعد الظهر", None, t(15), None),
    ("ar", "بكرة الساعة ١٠ صباحا", TUE, t(10), None),
    ("ar", "والخميس", THU, None, None),
    ("ar", "الثلاثاء القادم", NEXT_TUE, None, None),
    # Moroccan darija in Latin letters
    ("ar", "ghda", TUE, None, None),
    ("ar", "b3d ghda", WED, None, None),
    ("ar", "nhar lkhmis", THU, None, None),
    ("ar", "ljem3a f 10", FRI, t(10), None),
    ("ar", "ghda f 10", TUE, t(10), None),
    ("ar", "f 3 dyal l3chiya", None, t(15), None),
    ("ar", "lyoum f l3chiya", MON, None, "afternoon"),
    ("ar", "ttlat jay", NEXT_TUE, None, None),
    # Ukrainian
    ("uk", "завтра", TUE, None, None),
    ("uk", "післязавтра", WED, None, None),
    ("uk", "в четвер", THU, None, None),
    ("uk", "в четвер о 14:00", THU, t(14), None),
    ("uk", "о 10 годині", None, t(10), None),
    ("uk", "у п'ятницю о другій", FRI, t(14), None),
    # Russian
    ("ru", "завтра", TUE, None, None),
    ("ru", "послезавтра", WED, None, None),
    ("ru", "в четверг", THU, None, None),
    ("ru", "в пятницу в 10 утра", FRI, t(10), None),
    ("ru", "в 15:00", None, t(15), None),
    ("ru", "в пятницу в 3 часа дня", FRI, t(15), None),
    # Persian (Farsi, Dari)
    ("fa", "فردا", TUE, None, None),
    ("fa", "پس‌فردا", WED, None, None),
    ("fa", "پنجشنبه", THU, None, None),
    ("fa", "جمعه ساعت ۱۰", FRI, t(10), None),
    ("fa", "ساعت ۳ بعد از ظهر", None, t(15), None),
    ("fa", "سه‌شنبه صبح", TUE, None, "morning"),
    ("fa", "فردا ساعت ده", TUE, t(10), None),
    # Pashto
    ("ps", "سبا", TUE, None, None),
    ("ps", "بل سبا", WED, None, None),
    ("ps", "پنجشنبه", THU, None, None),
    ("ps", "جمعه په ۱۰ بجو", FRI, t(10), None),
    ("ps", "لس بجې", None, t(10), None),
    # Tigrinya
    ("ti", "ጽባሕ", TUE, None, None),
    ("ti", "ድሕሪ ጽባሕ", WED, None, None),
    ("ti", "ሓሙስ", THU, None, None),
    ("ti", "ዓርቢ ሰዓት 10", FRI, t(10), None),
    ("ti", "ሰዓት 3 ድሕሪ ቀትሪ", None, t(15), None),
    ("ti", "ብሰሉስ", TUE, None, None),
    # Somali
    ("so", "berri", TUE, None, None),
    ("so", "saa dambe", WED, None, None),
    ("so", "khamiista", THU, None, None),
    ("so", "jimcaha saacadda 10", FRI, t(10), None),
    ("so", "saacadda 3 galabnimo", None, t(15), None),
    ("so", "Talaadada soo socota saacadda 2", NEXT_TUE, t(14), None),
    # Romanian
    ("ro", "mâine", TUE, None, None),
    ("ro", "poimâine", WED, None, None),
    ("ro", "joi", THU, None, None),
    ("ro", "vineri la ora 10", FRI, t(10), None),
    ("ro", "la 3 după-amiază", None, t(15), None),
    ("ro", "maine dimineata", TUE, None, "morning"),
    # Bulgarian
    ("bg", "утре", TUE, None, None),
    ("bg", "вдругиден", WED, None, None),
    ("bg", "в четвъртък", THU, None, None),
    ("bg", "в петък в 10 часа", FRI, t(10), None),
    ("bg", "в 15:30", None, t(15, 30), None),
    ("bg", "утре следобед", TUE, None, "afternoon"),
    # Slovak
    ("sk", "zajtra", TUE, None, None),
    ("sk", "pozajtra", WED, None, None),
    ("sk", "vo štvrtok", THU, None, None),
    ("sk", "v piatok o 10", FRI, t(10), None),
    ("sk", "o 14:00", None, t(14), None),
    ("sk", "v utorok o pol tretej", TUE, t(14, 30), None),
    # Polish
    ("pl", "jutro", TUE, None, None),
    ("pl", "pojutrze", WED, None, None),
    ("pl", "w czwartek", THU, None, None),
    ("pl", "w piątek o 10", FRI, t(10), None),
    ("pl", "o 15:30", None, t(15, 30), None),
    ("pl", "jutro o 10 rano", TUE, t(10), None),
]


@pytest.mark.parametrize(("language", "text", "day", "clock", "part"), CASES,
                         ids=[f"{c[0]}:{c[1]}" for c in CASES])
def test_phrases_in_every_language(language, text, day, clock, part):
    found = parse_when(text, language, NOW)

    assert found is not None, text
    assert (found.date, found.time, found.part_of_day) == (day, clock, part)
    assert found.matched and found.matched in text


@pytest.mark.parametrize(("language", "text", "day", "clock", "part"), CASES,
                         ids=[f"{c[0]}:{c[1]}" for c in CASES])
def test_the_language_may_be_unknown_or_wrong(language, text, day, clock, part):
    for claimed in (None, "nl" if language != "nl" else "tr"):
        found = parse_when(text, claimed, NOW)
        assert found is not None, (claimed, text)
        assert (found.date, found.time, found.part_of_day) == (day, clock, part), claimed


def test_every_language_has_tomorrow_the_day_after_a_weekday_and_clock_times():
    by_language: dict[str, set[str]] = {}
    for language, _text, day, clock, _part in CASES:
        kinds = by_language.setdefault(language, set())
        if day == TUE and clock is None:
            kinds.add("tomorrow")
        if day == WED:
            kinds.add("day after tomorrow")
        if day in (THU, FRI) and clock is None:
            kinds.add("weekday")
        if day in (THU, FRI) and clock is not None:
            kinds.add("weekday with a time")
        if day is None and clock is not None:
            kinds.add("bare time")
    assert set(by_language) == LANGUAGES
    wanted = {"tomorrow", "day after tomorrow", "weekday", "weekday with a time", "bare time"}
    assert {lang: wanted - kinds for lang, kinds in by_language.items() if wanted - kinds} == {}
    assert min(Counter(c[0] for c in CASES).values()) >= 5


NOT_A_DATE = [
    "ik kan niet komen", "ok", "thanks", "dank u wel, tot dan", "ja dat is goed",
    "ik heb 2 kinderen", "I have 3 kids", "bus 12", "mijn nummer is 0470 12 34 56",
    "bel me op +32 470 12 34 56", "ik woon in de Kerkstraat 15", "ik ben 25 jaar",
    "het kost 3.50 euro", "ik werk 8 uur per dag", "I'm 10 minutes late", "over 2 uur",
    "om 2 kinderen op te halen", "room 12", "kamer 2.14", "code 1234", "versie 2.0",
    "10/10 goed", "ik ben 24/7 bereikbaar", "ik zal zorgen dat ik er ben", "I had a problem",
    "at one point I was late", "waar kom je vandaan",
    "goeiemorgen", "good morning", "bonsoir", "buenas tardes", "iyi akşamlar", "günaydın",
    "صباح الخير", "sbah lkhir", "صبح بخیر", "سهار مو پخیر", "ሰናይ ምሸት", "subax wanaagsan",
    "доброе утро", "добрий вечір", "добро утро", "dobré ráno", "dobry wieczór", "bună seara",
    "merci beaucoup", "j'ai 2 enfants", "tengo 3 hijos", "llego tarde", "2 çocuğum var",
    "عندي 3 أطفال", "3ndi 2 drari", "من ۲ بچه دارم", "mahadsanid", "am 2 copii", "peste 2 luni",
    "mai am 2 zile", "имам 2 деца", "mám 2 deti", "mam 2 dzieci", "у меня 2 детей",
    "у мене 2 дітей", "нас четверо", "через 2 часа",
    # past days are no proposal, nor is a week without a day
    "ik was gisteren ziek", "vorige dinsdag was ik ziek", "volgende week", "last friday",
]


@pytest.mark.parametrize("text", NOT_A_DATE)
def test_no_date_where_none_was_said(text):
    assert parse_when(text, None, NOW) is None
    assert parse_when(text, "nl", NOW) is None


@pytest.mark.parametrize("text", ["", "   ", "?", "🙂👍", "x" * 5000, "1" * 300])
def test_odd_input_is_answered_not_raised(text):
    assert parse_when(text, "nl", NOW) is None


def test_next_weekday_is_that_day_in_next_calendar_week():
    # on Monday 23 November "next Tuesday" skips tomorrow...
    assert parse_when("next Tuesday", "en", NOW).date == NEXT_TUE
    assert parse_when("volgende dinsdag", "nl", NOW).date == NEXT_TUE
    assert parse_when("dinsdag", "nl", NOW).date == TUE
    # ...and on Friday 27 November it is the coming Tuesday, as a bare "Tuesday" is
    friday = dt.datetime(2026, 11, 27, 10, 0, tzinfo=BRUSSELS)
    assert parse_when("volgende dinsdag", "nl", friday).date == NEXT_TUE
    assert parse_when("dinsdag", "nl", friday).date == NEXT_TUE


def test_todays_weekday_is_today_only_while_the_time_is_ahead():
    assert parse_when("maandag om 11u", "nl", NOW).date == MON
    assert parse_when("maandag om 9u", "nl", NOW).date == NEXT_MON
    assert parse_when("maandag in de namiddag", "nl", NOW).date == MON
    assert parse_when("maandag", "nl", NOW).date == NEXT_MON     # no time: not today


def test_the_last_day_said_counts_with_its_own_time():
    found = parse_when("ik kan morgen om 10u niet, wel vrijdag", "nl", NOW)
    assert (found.date, found.time) == (FRI, None)
    found = parse_when("vrijdag om 10u of zaterdag om 14u", "nl", NOW)
    assert (found.date, found.time, found.matched) == (SAT, t(14), "zaterdag om 14u")
    found = parse_when("vrijdag van 10u tot 12u", "nl", NOW)
    assert (found.date, found.time) == (FRI, t(10))


@pytest.mark.parametrize(("text", "day", "clock", "part"), [
    ("kan ook donderdagvoormiddag", THU, None, "morning"),       # one word in Dutch
    ("maandagmorgen om 9u", NEXT_MON, t(9), None),
    ("vrijdagavond", FRI, None, "evening"),
    ("le mardi 1er décembre vers 9h30", NEXT_TUE, t(9, 30), None),
    ("Thursday, November 26th at 2pm", THU, t(14), None),
    ("Can I come at 4:30 pm on the 2nd of December?", dt.date(2026, 12, 2), t(16, 30), None),
    ("el jueves 26 de noviembre a las 14:00", THU, t(14), None),
    ("3 december 2026 om 10u", dt.date(2026, 12, 3), t(10), None),
    ("op 03.12.2026", dt.date(2026, 12, 3), None, None),
    ("kan het 3/12?", dt.date(2026, 12, 3), None, None),
    ("kan het op 10 januari", dt.date(2027, 1, 10), None, None),   # the next one to come
    ("vrijdag om 10u, dus 27/11", FRI, t(10), None),
    ("maandag 9-12u", NEXT_MON, t(9), None),
    ("I can come on Monday between 9 and 12", NEXT_MON, t(9), None),
    ("yarın 2'de", TUE, t(14), None),
    ("gisteren was ik ziek, kan het vrijdag?", FRI, None, None),
    ("ik was gisteren ziek, kan het om 10u?", None, t(10), None),
    ("morgen 10 uur", TUE, t(10), None),
    ("Dag mevrouw, mijn zoon is ziek. Kan het volgende week woensdag in de voormiddag?",
     dt.date(2026, 12, 2), None, "morning"),
])
def test_longer_and_odder_phrasings(text, day, clock, part):
    found = parse_when(text, None, NOW)
    assert (found.date, found.time, found.part_of_day) == (day, clock, part)


@pytest.mark.parametrize("text", [
    "ik heb 3 uur gewacht", "j'ai attendu 3 heures", "я ждал 3 часа", "de 2de",
    "ik was gisteren om 10u daar", "vorige week vrijdag om 10u", "voor 1 dag",
])
def test_durations_ordinals_and_past_times_are_no_proposal(text):
    assert parse_when(text, None, NOW) is None


@pytest.mark.parametrize(("text", "clock"), [
    ("om 3u", t(15)),                   # office hours: 1-6 without more is the afternoon
    ("om 7u", t(7)),
    ("om 03:00", t(3)),                 # a leading zero is taken as written
    ("om 8u 's avonds", t(20)),
    ("om 10u 's morgens", t(10)),
    ("at 10pm", t(22)),
    ("at 12am", t(0)),
    ("at 12pm", t(12)),
    ("om 12u", t(12)),
    ("om 20:15", t(20, 15)),
    ("om kwart voor 4", t(15, 45)),
    ("à midi", t(12)),
])
def test_hours_are_placed_on_the_24_hour_clock(text, clock):
    assert parse_when(text, None, NOW).time == clock


def test_daylight_saving_change():
    saturday = dt.datetime(2026, 3, 28, 20, 0, tzinfo=BRUSSELS)   # clocks go forward tonight
    found = parse_when("morgen om 10u", "nl", saturday)

    assert (found.date, found.time) == (dt.date(2026, 3, 29), t(10))
    moment = found.resolve(BRUSSELS)
    assert moment.utcoffset() == dt.timedelta(hours=2)
    assert moment.astimezone(dt.UTC) == dt.datetime(2026, 3, 29, 8, 0, tzinfo=dt.UTC)


def test_a_clock_time_lost_to_the_spring_forward_moves_forward():
    found = parse_when("morgen om 02:30", "nl", dt.datetime(2026, 3, 28, 12, tzinfo=BRUSSELS))
    assert found.resolve(BRUSSELS) == dt.datetime(2026, 3, 29, 3, 30, tzinfo=BRUSSELS)


def test_relative_days_follow_the_local_date_not_utc():
    # Sunday 22:30 UTC is already Monday 00:30 in Brussels (summer time)
    late = dt.datetime(2026, 6, 28, 22, 30, tzinfo=dt.UTC)
    monday = dt.date(2026, 6, 29)
    assert parse_when("vandaag", "nl", late).date == monday
    assert parse_when("morgen", "nl", late).date == dt.date(2026, 6, 30)
    assert parse_when("maandag om 14u", "nl", late).date == monday
    assert parse_when("zondag", "nl", late).date == dt.date(2026, 7, 5)
    assert parse_when("tomorrow", "en", late, tz=ZoneInfo("UTC")).date == monday


def test_a_naive_now_is_read_in_the_time_zone():
    found = parse_when("morgen", "nl", dt.datetime(2026, 11, 23, 23, 30))
    assert found.date == TUE


def test_resolve():
    assert WhenProposal(TUE, t(10), None, "").resolve(BRUSSELS) == dt.datetime(
        2026, 11, 24, 10, tzinfo=BRUSSELS)
    for part, hour in PART_OF_DAY_HOURS.items():
        assert WhenProposal(TUE, None, part, "").resolve(BRUSSELS) == dt.datetime.combine(
            TUE, hour, tzinfo=BRUSSELS)
    assert WhenProposal(TUE, None, None, "morgen").resolve(BRUSSELS) is None
    assert WhenProposal(None, t(10), None, "om 10u").resolve(BRUSSELS) is None


def test_every_language_has_a_word_list_and_the_lists_load():
    parser = WhenParser.from_directory(DATA_DIR)
    assert set(parser.languages) == LANGUAGES
    # where two languages read one word differently the message's language decides
    assert {c[0] for c in parser.collisions} <= {"sept", "na", "hoy"}
    assert parse_when("à sept heures", "fr", NOW).time == t(7)
    assert parse_when("10 sept", "en", NOW).date == dt.date(2027, 9, 10)
    assert parse_when("hoy", "es", NOW).date == MON
    assert parse_when("hoy ma lihi", "so", NOW) is None      # Somali "hoy" is a shelter


def test_a_word_list_with_a_mistake_is_refused(tmp_path: Path):
    (tmp_path / "xx.yml").write_text("language: xx\ntomorow: [morgen]\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown keys"):
        WhenParser.from_directory(tmp_path)
    (tmp_path / "xx.yml").write_text("language: xx\nnumbers: {on: 10}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="quote"):
        WhenParser.from_directory(tmp_path)
