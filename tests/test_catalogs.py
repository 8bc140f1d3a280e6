"""The translation gate: every catalog complete and well-formed, and no source text leaking."""

from __future__ import annotations

import pytest

from bot.catalogs import check
from dialogues.languages import LANGUAGES
from storage.memory import MemoryStore
from tests.transcript import Conversation, make_engine, press, say

CODES = [lang.code for lang in LANGUAGES]


@pytest.mark.parametrize("code", CODES)
def test_catalog_is_complete_and_compiled(code):
    problems = check([code])
    assert not problems, "\n".join(map(str, problems[:20]))


def _walk(nlu, code: str) -> list[str]:
    chat = Conversation(make_engine(MemoryStore(), nlu))
    chat.run(say("/start"), press(f"lang:{code}"), press("consent:yes"), press("area:Menen"),
             press("nat:yes"), press("seek:yes"), say("Samira"), press("contact:chat"),
             press("help:work"), say("/help"), press("menu:human"))
    return [text for _, texts in chat.history[1:] for text in texts]


@pytest.mark.parametrize("code", [c for c in CODES if c != "nl"])
def test_first_contact_leaks_no_dutch(nlu, code):
    dutch = _walk(nlu, "nl")
    other = _walk(nlu, code)
    assert len(dutch) == len(other)
    same = [d for d, o in zip(dutch, other, strict=True) if d == o]
    assert not same, f"{code} shows Dutch source text: {same}"
