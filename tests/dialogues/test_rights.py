"""Rechtenverkenning: answer cards from the content base, the guided check and its rules, and
the content check — through the real engine, NLU, catalogs and content."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from dialogues.languages import LANGUAGES
from dialogues.rights_check import RightsAnswers, possible_rights
from dialogues.rights_content import CONTENT_DIR, problems, read_book
from storage.memory import MemoryStore
from storage.records import TaskKind
from tests.dialogues.test_appointments import World
from tests.transcript import forge, press, say

CODES = tuple(lang.code for lang in LANGUAGES)


def ids(answers: RightsAnswers) -> list[str]:
    return [f.entry_id for f in possible_rights(answers)]


# ---- the rules ------------------------------------------------------------------------------

def test_no_income_points_to_leefloon_first():
    assert ids(RightsAnswers("alone", "none", "none", "with_others", "no", "no"))[:2] == [
        "leefloon", "werkloosheid"]


def test_a_working_couple_with_a_baby_in_private_rent():
    assert ids(RightsAnswers("partner", "under3", "work", "private_rent", "no", "no")) == [
        "kinderopvang", "groeipakket", "sociale_woning"]


def test_a_single_parent_on_a_benefit_with_school_children_and_debts():
    found = ids(RightsAnswers("single_parent", "school", "unemployment", "waiting_list",
                              "yes", "yes"))
    assert found == ["schuldhulp", "sociaal_tarief_energie", "verhoogde_tegemoetkoming",
                     "kinderopvang", "groeipakket", "schooltoelage", "huurpremie", "uitpas",
                     "openbaar_vervoer"]


def test_someone_who_owns_a_home_and_works_gets_nothing_extra():
    assert ids(RightsAnswers("partner", "none", "work", "own", "no", "no")) == []


def test_every_finding_is_an_entry_of_the_content_base():
    book = read_book()
    for answers in (RightsAnswers("single_parent", "school", "none", "no_home", "yes", "yes"),
                    RightsAnswers("family", "teen", "ocmw", "private_rent", "yes", "no")):
        for finding in possible_rights(answers):
            assert book.get(finding.entry_id) is not None, finding


# ---- through the engine ---------------------------------------------------------------------

@pytest.fixture
def ukrainian(nlu) -> World:
    return World(MemoryStore(), nlu, "uk")


def test_the_issue_scenario_in_ukrainian(ukrainian):
    """A crèche question in Ukrainian, the card in Ukrainian, the guided check with three
    rights and reasons, and the counselor sees the result in the case."""
    world = ukrainian
    reply = world.chat.do(say("Чи можу я отримати допомогу з оплатою ясел?"))
    [answer] = [m.text for m in reply.messages]
    title = read_book().get("kinderopvang").text("uk").title
    assert answer.startswith(f"📘 {title}") and "Kind en Gezin" in answer
    assert "https://www.kindengezin.be/" in answer
    assert "Voor wie?" not in answer, "the labels are in Ukrainian too"
    payloads = [b.payload for m in reply.messages for b in m.flat_buttons]
    assert payloads[:3] == ["menu:human", "rights:more", "rights:check"]
    world.chat.run(press("rights:check"), press("rq:household:partner"),
                   press("rq:children:under3"), press("rq:income:work"),
                   press("rq:housing:private_rent"), press("rq:health_costs:no"))
    result = world.chat.do(press("rq:debts:no"))
    text = result.messages[-1].text
    book = read_book()
    for entry_id in ("kinderopvang", "groeipakket", "sociale_woning"):
        assert book.get(entry_id).text("uk").title in text
    assert text.count("\n1. ") + text.count("\n2. ") + text.count("\n3. ") == 3
    assert "\n4. " not in text
    with world.store() as uow:
        [check] = uow.rights_checks.for_client(world.client_id)
        assert check.results == ("kinderopvang", "groeipakket", "sociale_woning")
        assert check.answers["children"] == "under3" and check.case_id is not None
    [task] = world.tasks(TaskKind.RIGHTS_CHECK)
    assert "Kinderopvang met inkomenstarief" in task and "Sociale woning" in task
    assert [a.text for a in result.alerts] == [task]
    # coming back to it later shows the last result
    again = world.chat.do(forge("rights:check"))  # 📋 in the menu, days later
    assert book.get("groeipakket").text("uk").title in again.messages[-1].text
    assert "rights:again" in [b.payload for b in again.messages[-1].flat_buttons]


@pytest.mark.parametrize(("language", "text", "entry_id"), [
    ("ar", "هل يحق لي الحصول على leefloon؟", "leefloon"),
    ("tr", "UiTPAS indirimi nasıl alırım?", "uitpas"),
    ("nl", "ik kan mijn elektriciteit niet betalen", "sociaal_tarief_energie"),
    ("nl", "heb ik recht op een huurpremie", "huurpremie"),
    ("en", "my child needs money for school books", "schooltoelage"),
])
def test_questions_in_several_languages_get_their_card(nlu, language, text, entry_id):
    world = World(MemoryStore(), nlu, language)
    reply = world.chat.do(say(text))
    entry = read_book().get(entry_id)
    joined = "\n".join(m.text for m in reply.messages)
    assert f"📘 {entry.text(language).title}" in joined, joined
    assert entry.source in joined


def test_a_general_question_offers_a_choice_and_a_person(nlu):
    world = World(MemoryStore(), nlu, "nl")
    reply = world.chat.do(say("ik heb problemen met mijn woning"))
    payloads = [b.payload for m in reply.messages for b in m.flat_buttons]
    if "rights:show:huurpremie" in payloads:  # a choice between the housing entries
        assert "rights:show:sociale_woning" in payloads and "menu:human" in payloads
        world.chat.run(press("rights:show:sociale_woning", "📘 Sociale woning"))


def test_a_long_story_also_goes_to_the_counselor(nlu):
    world = World(MemoryStore(), nlu, "nl")
    story = ("ik heb schulden want mijn man is weg en ik moet de huur en de school en de "
             "elektriciteit alleen betalen en ik weet niet meer hoe ik dat moet doen met drie "
             "kinderen en geen werk")
    world.chat.run(say(story, "📘", "ingewikkeld"))
    assert any("ingewikkeld" in t for t in world.tasks(TaskKind.CLIENT_QUESTION))


def test_a_rights_word_finds_the_answer_when_the_nlu_is_unsure(nlu):
    world = World(MemoryStore(), nlu, "nl")
    world.chat.run(say("UiTPAS", "📘 UiTPAS met kansentarief"))


def test_the_guided_check_refuses_stale_buttons_and_keeps_going(nlu):
    world = World(MemoryStore(), nlu, "nl")
    world.chat.run(forge("rights:check", "1/6"), say("weet ik niet", "Kies een van de knoppen"),
                   press("rq:household:alone", "2/6"))


# ---- the content check ----------------------------------------------------------------------

def test_the_real_content_is_complete_in_every_language():
    assert problems(CONTENT_DIR, date(2026, 11, 23), 365, CODES) == []


@pytest.fixture
def content(tmp_path) -> Path:
    target = tmp_path / "rights"
    shutil.copytree(CONTENT_DIR, target)
    return target


def test_the_content_check_finds_what_is_wrong(content):
    (content / "so.yml").unlink()
    uk = (content / "uk.yml").read_text(encoding="utf-8")
    (content / "uk.yml").write_text(uk.replace("status: draft", "status: done", 1),
                                    encoding="utf-8")
    entries = (content / "entries.yml").read_text(encoding="utf-8")
    entries = entries.replace("source: https://www.rva.be", "source: www.rva be", 1)
    entries = entries.replace("reviewed: 2026-11-20", "reviewed: 2024-01-01", 1)
    (content / "entries.yml").write_text(entries, encoding="utf-8")
    found = problems(content, date(2026, 11, 23), 365, CODES)
    assert "so.yml is missing" in found
    assert any(p.startswith("uk.yml: leefloon: status must be") for p in found)
    assert any("werkloosheid: source is not a well-formed https link" in p for p in found)
    assert any("leefloon: last reviewed 2024-01-01" in p for p in found)


def test_the_content_check_finds_empty_fields_and_stray_entries(content):
    nl = (content / "nl.yml").read_text(encoding="utf-8")
    (content / "nl.yml").write_text(nl.replace("  title: Leefloon\n", "  title: ''\n") +
                                    "\nonbekend:\n  status: source\n  title: x\n",
                                    encoding="utf-8")
    found = problems(content, date(2026, 11, 23), 365, CODES)
    assert "nl.yml: leefloon: title is empty" in found
    assert "nl.yml: 'onbekend' is not in entries.yml" in found
