"""Translation and locale formatting for one client's language.

Flows bind `_ = ctx.gettext` (and `ctx.ngettext`) so Babel's extractor finds every string where
it is written; module-level constants use `N_` and are translated when shown.
Values inserted into right-to-left text are wrapped in Unicode isolates so that names,
numbers and Latin words keep their order.
"""

from __future__ import annotations

import datetime as dt
import gettext as _gettext
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date as _format_date
from babel.dates import format_time as _format_time
from babel.support import Translations

from dialogues.languages import language

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"

# Clients live in Belgium: Belgian conventions where Babel has them (24-hour clock for English),
# Afghan ones for Dari.
BABEL_LOCALES = {"nl": "nl_BE", "fr": "fr_BE", "en": "en_BE", "fa": "fa_AF"}

FSI = "\u2068"  # first strong isolate
PDI = "\u2069"  # pop directional isolate


def N_(message: str) -> str:
    """Mark a module-level string for extraction; it is translated when shown."""
    return message


@lru_cache(maxsize=64)
def translations(code: str, locales_dir: Path = LOCALES_DIR, domain: str = DOMAIN
                 ) -> _gettext.NullTranslations:
    """The compiled catalog for a language; the Dutch source text where none exists.

    Every turn makes a Translator, and reading a catalog from disk took longer than the rest
    of a turn: a catalog is read once, and again only when its file changed."""
    compiled = locales_dir / code / "LC_MESSAGES" / f"{domain}.mo"
    try:
        changed = compiled.stat().st_mtime_ns
    except OSError:
        changed = 0
    return _load(code, str(locales_dir), domain, changed)


@lru_cache(maxsize=256)
def _load(code: str, locales_dir: str, domain: str, changed: int) -> _gettext.NullTranslations:
    loaded = Translations.load(locales_dir, [code], domain=domain)
    if isinstance(loaded, Translations):
        return loaded
    return _gettext.NullTranslations()


def isolate(value: object) -> str:
    """Wrap a value in a first-strong isolate so it reads right inside text of either direction."""
    text = str(value)
    if text.startswith(FSI) and text.endswith(PDI):
        return text  # isolated already (a formatted date, say)
    return f"{FSI}{text}{PDI}"


class Translator:
    """Everything a flow needs to speak one language: gettext, formatting, dates."""

    def __init__(self, code: str, timezone: str = "Europe/Brussels", domain: str = DOMAIN
                 ) -> None:
        self.code = code
        self.rtl = language(code).rtl
        self.tz = ZoneInfo(timezone)
        self._t = translations(code, domain=domain)
        self.locale = Locale.parse(BABEL_LOCALES.get(code, code))

    def gettext(self, message: str) -> str:
        return self._t.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._t.ngettext(singular, plural, n)

    def pgettext(self, context: str, message: str) -> str:
        return self._t.pgettext(context, message)

    def format(self, template: str, **values: object) -> str:
        """`str.format` with each value isolated when the language is right-to-left."""
        if self.rtl:
            values = {k: isolate(v) for k, v in values.items()}
        return template.format(**values)

    def datetime(self, moment: dt.datetime) -> str:
        """Weekday, date and time in the client's locale and the programme's time zone."""
        local = moment.astimezone(self.tz)
        day = _format_date(local, format="full", locale=self.locale)
        clock = _format_time(local, format="short", tzinfo=self.tz, locale=self.locale)
        pattern = str(self.locale.datetime_formats.get("medium", "{1}, {0}")).replace("'", "")
        text = pattern.replace("{1}", day).replace("{0}", clock)
        return isolate(text) if self.rtl else text

    def date(self, moment: dt.datetime) -> str:
        text = _format_date(moment.astimezone(self.tz), format="full", locale=self.locale)
        return isolate(text) if self.rtl else text

    def time(self, moment: dt.datetime) -> str:
        text = _format_time(moment, format="short", tzinfo=self.tz, locale=self.locale)
        return isolate(text) if self.rtl else text

