"""`werkmaat chat`: the conversation in a terminal, for developers; buttons become numbers."""

from __future__ import annotations

import asyncio
import getpass
import sys
from pathlib import Path
from typing import TextIO

from dialogues import ChannelName, ClientKey, Engine, Incoming, Outgoing
from dialogues.ids import parse_id
from dialogues.messages import Button


class ConsoleChannel:
    """Prints messages; remembers the last buttons so a typed number can press one."""

    def __init__(self, out: TextIO = sys.stdout) -> None:
        self.out = out
        self.choices: list[Button] = []

    async def send(self, to: ClientKey, message: Outgoing) -> bool:
        text = f"🔊 {message.voice}" if message.voice else message.text
        print(f"\n🤖 {text}", file=self.out)
        if message.attachment is not None:  # a terminal has no downloads: save it here
            path = Path(message.attachment.filename).resolve()
            path.write_bytes(message.attachment.content)
            print(f"   📎 {path}", file=self.out)
        buttons = message.flat_buttons
        if buttons:
            self.choices = buttons
            for i, b in enumerate(buttons, 1):
                print(f"   [{i}] {b.label}", file=self.out)
        return True

    def to_incoming(self, key: ClientKey, line: str) -> Incoming:
        stripped = line.strip()
        number = parse_id(stripped)
        if number is not None and 1 <= number <= len(self.choices):
            return Incoming.button(key, self.choices[number - 1].payload)
        return Incoming.typed(key, line)


async def run_console(engine: Engine, client_id: str | None = None) -> None:
    key = ClientKey(ChannelName.CONSOLE, client_id or getpass.getuser())
    channel = ConsoleChannel()
    await engine.receive(Incoming.typed(key, "/start"), channel)
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, _read)
        if line is None:
            break
        await engine.receive(channel.to_incoming(key, line), channel)


def _read() -> str | None:
    try:
        return input("\n🙂 > ")
    except EOFError:
        return None
