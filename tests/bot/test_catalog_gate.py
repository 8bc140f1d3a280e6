"""The translation gate catches what would show clients the wrong text."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from bot.catalogs import check_catalog, compile_all, extract, po_path

LOCALES = Path(__file__).resolve().parents[2] / "locales"


@pytest.fixture
def locales(tmp_path) -> Path:
    copy = tmp_path / "locales"
    shutil.copytree(LOCALES, copy)
    return copy


@pytest.fixture(scope="module")
def template():
    return extract()


def problems(locales: Path, code: str, template) -> list[str]:
    return [p.problem for p in check_catalog(code, template, locales)]


def edit(locales: Path, code: str, old: str, new: str) -> None:
    path = po_path(code, locales)
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_real_catalogs_pass(locales, template):
    assert problems(locales, "fr", template) == []


def test_an_untranslated_message_fails(locales, template):
    edit(locales, "en", 'msgstr "Choose your language"', 'msgstr ""')
    compile_all(locales)
    assert "untranslated" in problems(locales, "en", template)


def test_a_fuzzy_message_fails(locales, template):
    edit(locales, "tr", 'msgid "Kies je taal"', '#, fuzzy\nmsgid "Kies je taal"')
    assert "fuzzy" in problems(locales, "tr", template)


def test_a_broken_placeholder_fails(locales, template):
    path = po_path("es", locales)
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"(msgid \"Dag \{name\}! Waarmee kan ik je helpen\?\"\nmsgstr \"[^\"]*)\{name\}",
                  r"\1{nombre}", text)
    path.write_text(text, encoding="utf-8")
    assert any("placeholders" in p for p in problems(locales, "es", template))


def test_gnu_ordered_arabic_plurals_fail(locales, template):
    path = po_path("ar", locales)
    text = re.sub(r'"Plural-Forms: [^"]*"',
                  '"Plural-Forms: nplurals=6; plural=(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : '
                  'n%100>=3 && n%100<=10 ? 3 : n%100>=11 ? 4 : 5);\\\\n"',
                  path.read_text(encoding="utf-8"))
    path.write_text(text, encoding="utf-8")
    assert any("not Babel's" in p for p in problems(locales, "ar", template))


def test_a_stale_compiled_catalog_fails(locales, template):
    edit(locales, "pl", 'msgid "Kies je taal"\nmsgstr "', 'msgid "Kies je taal"\nmsgstr "X')
    assert any("out of date" in p for p in problems(locales, "pl", template))
