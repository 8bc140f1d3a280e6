"""Voice notes: a valid OGG/Opus file of real length for every language that has a voice."""

from __future__ import annotations

import os
import shutil

import pytest

from bot.speech import Speech, speakable
from dialogues.i18n import Translator

VOICED = {"nl", "en", "fr", "ar", "tr", "uk", "ru", "fa", "ro", "bg", "sk", "pl", "es"}


@pytest.fixture(scope="module")
def speech() -> Speech:
    if not (shutil.which("espeak-ng") and shutil.which("opusenc")):
        message = "espeak-ng and opus-tools are not installed (make test installs them)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return Speech()


def test_the_languages_with_a_voice(speech):
    assert set(speech.languages) == VOICED, "Pashto, Tigrinya and Somali have no voice"


@pytest.mark.parametrize("code", sorted(VOICED))
def test_a_voice_note_in_each_language(speech, code):
    text = Translator(code).gettext("Waarmee wil je hulp?")
    ogg = speech.synthesize("👋 " + text + " \u2068WM-00012\u2069", code)
    assert ogg is not None and ogg[:4] == b"OggS" and b"OpusHead" in ogg[:200]
    assert len(ogg) > 2500, f"{code}: {len(ogg)} bytes is too short to hold the sentence"


@pytest.mark.parametrize("code", ["ps", "ti", "so"])
def test_no_voice_no_note(speech, code):
    assert speech.synthesize("سلام", code) is None


def test_speakable_drops_emoji_and_marks():
    assert speakable("✅ Ja \u2068Amina\u2069 • 💬") == "Ja Amina"
