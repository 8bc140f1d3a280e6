"""The console channel (`werkmaat chat`), the third adapter: any typed line becomes a message.

The property: `to_incoming` never raises; a number within the buttons shown presses that
button (in any script's digits: "٣" is 3), anything else is typed text (or a command).
"""

from __future__ import annotations

import io

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from bot.console import ConsoleChannel
from dialogues import ChannelName, ClientKey, InputKind
from dialogues.messages import Button
from tests.fuzz.strategies import ODD_DIGITS, client_text, fuzz_settings

KEY = ClientKey(ChannelName.CONSOLE, "fuzz")
BUTTONS = [Button("✅ Ja", "nat:yes"), Button("❌ Nee", "nat:no"), Button("🤔", "nat:unsure")]


def channel() -> ConsoleChannel:
    console = ConsoleChannel(io.StringIO())
    console.choices = list(BUTTONS)
    return console


def odd_number(line: str) -> bool:
    """A line `str.isdigit()` accepts and `int()` refuses (a known bug, tested below)."""
    stripped = line.strip()
    if not stripped.isdigit():
        return False
    try:
        int(stripped)
    except ValueError:
        return True
    return False


@fuzz_settings(300)
@given(line=st.one_of(client_text(200), st.integers(-3, 10).map(str),
                      st.sampled_from(ODD_DIGITS)))
def test_any_console_line(line: str) -> None:
    if odd_number(line):
        event("skipped, known bug: odd digits")
        return
    incoming = channel().to_incoming(KEY, line)
    stripped = line.strip()
    if stripped.isdigit() and 1 <= int(stripped) <= len(BUTTONS):  # "٣" presses 3, rightly
        assert incoming.kind == InputKind.BUTTON
        assert incoming.payload == BUTTONS[int(stripped) - 1].payload
    else:
        assert incoming.kind in (InputKind.TEXT, InputKind.COMMAND)


@pytest.mark.parametrize("line", ["²", "⑦", " ³ "])
def test_a_console_line_with_odd_digits(line: str) -> None:
    """`str.isdigit()` is true for "²", `int()` refuses it: the console (bot/console.py,
    `to_incoming`) raises ValueError, and `werkmaat chat` ends with a traceback."""
    incoming = channel().to_incoming(KEY, line)
    assert incoming.kind == InputKind.TEXT
