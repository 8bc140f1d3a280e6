"""Keeping the translation catalogs whole: extract, update, compile and check.

`werkmaat i18n check` is the gate CI runs: every message translated in every catalog, no fuzzy
entries, the same {placeholders} as the Dutch source, the right number of plural forms, and the
compiled .mo files in step with the .po sources. (`pybabel update --check` cannot be used: it
fails on any catalog with message contexts.)

Two domains: `messages`, what clients read (and counselors' notes in Telegram), in every
language; `dashboard`, the counselors' web pages, in Dutch and English only.
"""

from __future__ import annotations

import copy
import io
import re
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po, write_po

from dialogues.i18n import DOMAIN, LOCALES_DIR
from dialogues.languages import LANGUAGES, SOURCE_LANGUAGE

ROOT = LOCALES_DIR.parent
KEYWORDS = {"_": None, "gettext": None, "N_": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2)}
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
REVIEW_MARK = "Review:"  # a line in the catalog's header comment, e.g. "# Review: draft"


@dataclass(frozen=True, slots=True)
class Domain:
    """One gettext domain: where its strings are written and which languages it has."""

    name: str
    method_map: tuple[tuple[str, str], ...]
    languages: tuple[str, ...]


MESSAGES = Domain(DOMAIN, (
    ("bot/dashboard/**.py", "ignore"), ("bot/templates/dashboard/**.html", "ignore"),
    ("dialogues/**.py", "python"), ("bot/**.py", "python"), ("bot/templates/**.html", "jinja2"),
), tuple(lang.code for lang in LANGUAGES))
DASHBOARD = Domain("dashboard", (
    ("bot/dashboard/**.py", "python"), ("bot/templates/dashboard/**.html", "jinja2"),
), (SOURCE_LANGUAGE, "en"))
DOMAINS = (MESSAGES, DASHBOARD)


@dataclass(frozen=True, slots=True)
class Problem:
    language: str
    message: str
    problem: str

    def __str__(self) -> str:
        return f"{self.language}: {self.problem}: {self.message[:70]!r}"


def po_path(code: str, locales: Path = LOCALES_DIR, domain: Domain = MESSAGES) -> Path:
    return locales / code / "LC_MESSAGES" / f"{domain.name}.po"


def mo_path(code: str, locales: Path = LOCALES_DIR, domain: Domain = MESSAGES) -> Path:
    return po_path(code, locales, domain).with_suffix(".mo")


def extract(root: Path = ROOT, domain: Domain = MESSAGES) -> Catalog:
    """All marked strings of a domain in the code and templates, as a template catalog."""
    template = Catalog(project="Werkmaat", msgid_bugs_address="", charset="utf-8",
                       fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
            str(root), method_map=list(domain.method_map), keywords=KEYWORDS,
            comment_tags=("Translators:",), strip_comment_tags=True):
        template.add(message, None, [(filename, lineno)], auto_comments=comments,
                     context=context)
    return template


def write_template(root: Path = ROOT) -> list[Path]:
    written = []
    for domain in DOMAINS:
        path = root / "locales" / f"{domain.name}.pot"
        template = extract(root, domain)
        with path.open("wb") as f:
            write_po(f, template, omit_header=False, sort_output=True, no_location=True,
                     width=100)
        written.append(path)
    return written


def _read(path: Path, code: str) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale=code)


def update(root: Path = ROOT) -> list[Path]:
    """Bring every catalog in step with its template; the Dutch source catalogs fill themselves."""
    return [path for domain in DOMAINS for path in _update(root, domain)]


def _update(root: Path, domain: Domain) -> list[Path]:
    template = extract(root, domain)
    written: list[Path] = []
    for lang in LANGUAGES:
        if lang.code not in domain.languages:
            continue
        path = po_path(lang.code, root / "locales", domain)
        if path.exists():
            catalog = _read(path, lang.code)
        else:
            catalog = Catalog(locale=lang.code, project="Werkmaat", fuzzy=False,
                              header_comment=f"# Werkmaat – {lang.english_name}.\n"
                                             f"# {REVIEW_MARK} draft, not reviewed by a native "
                                             "speaker")
            path.parent.mkdir(parents=True, exist_ok=True)
        catalog.update(copy.deepcopy(template), no_fuzzy_matching=True,
                       update_header_comment=False)
        catalog.obsolete.clear()
        if lang.code == SOURCE_LANGUAGE:
            for message in catalog:
                if message.id:
                    message.string = message.id
                    message.flags.discard("fuzzy")
        with path.open("wb") as f:
            write_po(f, catalog, sort_output=True, no_location=True, width=100,
                     include_previous=False)
        written.append(path)
    return written


def compile_all(locales: Path = LOCALES_DIR) -> list[Path]:
    written = []
    for domain in DOMAINS:
        for code in domain.languages:
            path = po_path(code, locales, domain)
            if not path.exists():
                continue
            catalog = _read(path, code)
            with mo_path(code, locales, domain).open("wb") as f:
                write_mo(f, catalog, use_fuzzy=False)
            written.append(mo_path(code, locales, domain))
    return written


def _placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def check_catalog(code: str, template: Catalog, locales: Path = LOCALES_DIR,
                  domain: Domain = MESSAGES) -> list[Problem]:
    path = po_path(code, locales, domain)
    label = code if domain is MESSAGES else f"{code} ({domain.name})"
    if not path.exists():
        return [Problem(label, "", "catalog missing")]
    catalog = _read(path, code)
    problems: list[Problem] = []
    expected = get_plural(code)
    expected_plurals = expected.num_plurals
    if catalog.num_plurals != expected_plurals:
        problems.append(Problem(label, "", f"Plural-Forms has {catalog.num_plurals} forms, "
                                          f"{code} needs {expected_plurals}"))
    elif catalog.plural_expr.replace(" ", "") != expected.plural_expr.replace(" ", ""):
        # the same count in another order (GNU's Arabic header swaps forms 4 and 5) would
        # silently pick the wrong form: translations follow Babel's order
        problems.append(Problem(label, "", f"Plural-Forms expression {catalog.plural_expr!r} is "
                                          f"not Babel's {expected.plural_expr!r}"))
    for source in template:
        if not source.id:
            continue
        message = catalog.get(source.id, source.context)
        key = source.id if isinstance(source.id, str) else source.id[0]
        if message is None:
            problems.append(Problem(label, key, "not in catalog (run werkmaat i18n update)"))
            continue
        if message.fuzzy:
            problems.append(Problem(label, key, "fuzzy"))
        if source.pluralizable:
            strings = message.string if isinstance(message.string, (list, tuple)) else ()
            if len(strings) != expected_plurals:
                problems.append(Problem(label, key, f"{len(strings)} plural forms, "
                                                   f"needs {expected_plurals}"))
            wanted = _placeholders(source.id[1])
            for form in strings:
                if not form:
                    problems.append(Problem(label, key, "plural form untranslated"))
                elif _placeholders(form) != wanted:
                    problems.append(Problem(label, key, f"placeholders {_placeholders(form)} "
                                                       f"differ from {wanted}"))
        else:
            if not message.string:
                problems.append(Problem(label, key, "untranslated"))
            elif _placeholders(str(message.string)) != _placeholders(str(source.id)):
                problems.append(Problem(label, key, f"placeholders "
                                                   f"{_placeholders(str(message.string))} differ"))
    for message in catalog:
        if message.id and template.get(message.id, message.context) is None:
            key = message.id if isinstance(message.id, str) else message.id[0]
            problems.append(Problem(label, key, "obsolete entry (run werkmaat i18n update)"))
    mo = mo_path(code, locales, domain)
    if not mo.exists():
        problems.append(Problem(label, "", "compiled catalog missing (run werkmaat i18n compile)"))
    else:
        fresh = io.BytesIO()
        write_mo(fresh, catalog, use_fuzzy=False)
        if fresh.getvalue() != mo.read_bytes():
            problems.append(Problem(label, "", "compiled catalog out of date "
                                              "(run werkmaat i18n compile)"))
    return problems


def check(languages: list[str] | None = None, root: Path = ROOT) -> list[Problem]:
    problems: list[Problem] = []
    for domain in DOMAINS:
        template = extract(root, domain)
        codes = [c for c in (languages or domain.languages) if c in domain.languages]
        problems += [p for code in codes
                     for p in check_catalog(code, template, root / "locales", domain)]
    return problems


def review_state(code: str, locales: Path = LOCALES_DIR) -> str:
    """What the catalog's header comment says about review by a native speaker."""
    path = po_path(code, locales)
    if not path.exists():
        return "missing"
    catalog = _read(path, code)
    for line in catalog.header_comment.splitlines():
        text = line.lstrip("# ").strip()
        if text.startswith(REVIEW_MARK):
            return text.removeprefix(REVIEW_MARK).strip()
    return "draft, not reviewed by a native speaker"


__all__ = ["DASHBOARD", "DOMAINS", "MESSAGES", "Domain", "Problem",
           "check", "compile_all", "extract", "read_mo", "review_state", "update",
           "write_template"]
