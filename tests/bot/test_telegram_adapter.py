"""The Telegram adapter offline: recorded updates in, engine messages out, keyboards built."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from telegram import Bot, Update

from bot.telegram_channel import keyboard, split_text, to_incoming
from dialogues import Button, ChannelName, InputKind, Outgoing

UPDATES = json.loads((Path(__file__).parents[1] / "fixtures" / "telegram_updates.json")
                     .read_text(encoding="utf-8"))
BOT = Bot("123:offline")


def incoming(name: str):
    return to_incoming(Update.de_json(UPDATES[name], BOT))


def test_text_message():
    msg = incoming("text")
    assert msg is not None and msg.kind == InputKind.TEXT
    assert msg.client.channel == ChannelName.TELEGRAM and msg.client.external_id == "555001"
    assert msg.text == "مرحبا، عندي سؤال" and msg.locale_hint == "ar"
    assert msg.channel_message_id == "11" and msg.received_at is not None


def test_command_with_bot_suffix_and_arguments():
    msg = incoming("command_with_suffix")
    assert msg is not None and msg.kind == InputKind.COMMAND
    assert (msg.command, msg.command_args, msg.locale_hint) == ("language", "nl", "uk-UA")


def test_button_press():
    msg = incoming("callback")
    assert msg is not None and msg.kind == InputKind.BUTTON and msg.payload == "consent:yes"
    assert msg.locale_hint == "fa"


@pytest.mark.parametrize(("name", "kind", "text"), [
    ("sticker", InputKind.STICKER, ""),
    ("voice", InputKind.VOICE, ""),
    ("photo_with_caption", InputKind.PHOTO, "brief van de RVA"),
    ("location", InputKind.LOCATION, ""),
    ("edited", InputKind.TEXT, "ik kan morgen niet"),
])
def test_media_and_edits(name, kind, text):
    msg = incoming(name)
    assert msg is not None and msg.kind == kind and msg.text == text


def test_group_messages_are_not_client_messages():
    assert incoming("group_message") is None


def test_keyboard_and_long_text():
    out = Outgoing("kies", ((Button("✅ Ja", "nat:yes"), Button("❌ Nee", "nat:no")),
                            (Button("x", "p" * 100),)))
    markup = keyboard(out)
    assert markup is not None
    rows = markup.inline_keyboard
    assert [[b.callback_data for b in row] for row in rows][0] == ["nat:yes", "nat:no"]
    assert len(rows[1][0].callback_data) == 64, "Telegram's callback_data limit"
    assert keyboard(Outgoing("no buttons")) is None
    parts = split_text(("regel\n" * 1500).strip())
    assert all(len(p) <= 4096 for p in parts) and "".join(parts).count("regel") == 1500
