"""The sixteen languages Werkmaat serves, named as their speakers name them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Language:
    code: str
    native_name: str
    english_name: str
    rtl: bool = False
    flag: str = ""


LANGUAGES: tuple[Language, ...] = (
    Language("nl", "Nederlands", "Dutch", flag="🇧🇪"),
    Language("en", "English", "English", flag="🇬🇧"),
    Language("fr", "Français", "French", flag="🇫🇷"),
    Language("ar", "العربية", "Arabic", rtl=True),
    Language("tr", "Türkçe", "Turkish", flag="🇹🇷"),
    Language("uk", "Українська", "Ukrainian", flag="🇺🇦"),
    Language("ru", "Русский", "Russian"),
    Language("fa", "دری / فارسی", "Dari / Farsi", rtl=True),
    Language("ps", "پښتو", "Pashto", rtl=True),
    Language("ti", "ትግርኛ", "Tigrinya", flag="🇪🇷"),
    Language("so", "Soomaali", "Somali", flag="🇸🇴"),
    Language("ro", "Română", "Romanian", flag="🇷🇴"),
    Language("bg", "Български", "Bulgarian", flag="🇧🇬"),
    Language("sk", "Slovenčina", "Slovak", flag="🇸🇰"),
    Language("pl", "Polski", "Polish", flag="🇵🇱"),
    Language("es", "Español", "Spanish", flag="🇪🇸"),
)

BY_CODE: dict[str, Language] = {lang.code: lang for lang in LANGUAGES}
SOURCE_LANGUAGE = "nl"


def language(code: str) -> Language:
    """The language for a code, Dutch when the code is not one of ours."""
    return BY_CODE.get(code, BY_CODE[SOURCE_LANGUAGE])


def supported(code: str | None) -> bool:
    return code in BY_CODE


def from_locale_hint(hint: str | None) -> str | None:
    """Our language code for a client app's locale (e.g. 'uk-UA', 'fa_AF'), if we serve it."""
    if not hint:
        return None
    code = hint.replace("_", "-").split("-", 1)[0].lower()
    return code if code in BY_CODE else None


def match_language_name(text: str) -> str | None:
    """A language the client typed by name or code ('arabic', 'العربية', 'nl'), if clear."""
    needle = text.strip().casefold()
    if not needle:
        return None
    if needle in BY_CODE:
        return needle
    for lang in LANGUAGES:
        names = [lang.native_name, lang.english_name, *lang.native_name.split(" / ")]
        if any(needle == n.casefold() for n in names):
            return lang.code
    extra = {
        "nederlands": "nl", "vlaams": "nl", "dutch": "nl", "anglais": "en", "engels": "en",
        "frans": "fr", "francais": "fr", "arabisch": "ar", "arabe": "ar", "عربي": "ar",
        "turks": "tr", "turkce": "tr", "oekraïens": "uk", "ukrainian": "uk", "russisch": "ru",
        "farsi": "fa", "dari": "fa", "persian": "fa", "فارسی": "fa", "دری": "fa",
        "pashto": "ps", "pasjtoe": "ps", "tigrinya": "ti", "tigrinia": "ti", "somali": "so",
        "somalisch": "so", "roemeens": "ro", "romana": "ro", "bulgaars": "bg", "slowaaks": "sk",
        "pools": "pl", "polski": "pl", "spaans": "es", "espanol": "es",
    }
    return extra.get(needle)
