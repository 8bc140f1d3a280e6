"""Locale formatting and right-to-left isolation."""

from __future__ import annotations

from datetime import UTC, datetime

from dialogues.i18n import FSI, PDI, Translator, isolate


def test_dates_follow_the_locale_and_the_programme_time_zone():
    winter = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)  # 10:00 in Brussels (CET)
    summer = datetime(2026, 6, 5, 8, 0, tzinfo=UTC)  # 10:00 in Brussels (CEST)
    assert Translator("nl").datetime(winter) == "vrijdag 27 november 2026, 10:00"
    assert Translator("nl").datetime(summer) == "vrijdag 5 juni 2026, 10:00"
    assert Translator("en").datetime(winter) == "Friday, 27 November 2026, 10:00"
    assert Translator("nl", "Europe/Istanbul").time(winter) == "12:00"


def test_right_to_left_languages_isolate_inserted_values():
    ar = Translator("ar")
    text = ar.format("مرحبا {name}، رقم ملفك {case}", name="Amina", case="WM-00012")
    assert f"{FSI}Amina{PDI}" in text and f"{FSI}WM-00012{PDI}" in text
    when = ar.datetime(datetime(2026, 11, 27, 9, 0, tzinfo=UTC))
    assert when.startswith(FSI) and when.endswith(PDI)
    assert Translator("fa").rtl and Translator("ps").rtl
    nl = Translator("nl")
    assert nl.format("Dag {name}", name="Amina") == "Dag Amina", "no marks in LTR text"
    assert isolate(3) == f"{FSI}3{PDI}"


def test_plural_forms_per_language():
    msg = ("Ik heb je vraag doorgegeven. Een begeleider neemt binnen {days} werkdag contact "
           "met je op.",
           "Ik heb je vraag doorgegeven. Een begeleider neemt binnen {days} werkdagen contact "
           "met je op.")
    nl = Translator("nl")
    assert "1 werkdag " in nl.ngettext(*msg, 1).format(days=1)
    assert "3 werkdagen" in nl.ngettext(*msg, 3).format(days=3)
    ar = Translator("ar")
    forms = {n: ar.ngettext(*msg, n) for n in (0, 1, 2, 3, 11, 100)}
    assert len(set(forms.values())) >= 4, "Arabic uses several plural forms"
    assert all("{days}" in f for f in forms.values())
