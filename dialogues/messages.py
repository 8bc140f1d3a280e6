"""The engine's own message types: what a channel hands in and what the engine hands back.

Adapters translate their SDK objects into these and back; nothing here knows Telegram or HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class ChannelName(StrEnum):
    TELEGRAM = "telegram"
    WEB = "web"
    CONSOLE = "console"


@dataclass(frozen=True, slots=True)
class ClientKey:
    """Who is talking, as a channel sees them: the key for state, ordering and identity."""

    channel: ChannelName
    external_id: str

    def __str__(self) -> str:
        return f"{self.channel.value}:{self.external_id}"


class InputKind(StrEnum):
    TEXT = "text"
    COMMAND = "command"
    BUTTON = "button"
    STICKER = "sticker"
    PHOTO = "photo"
    VOICE = "voice"
    AUDIO = "audio"
    VIDEO = "video"
    DOCUMENT = "document"
    LOCATION = "location"
    CONTACT = "contact"
    OTHER = "other"

    @property
    def is_media(self) -> bool:
        return self not in (InputKind.TEXT, InputKind.COMMAND, InputKind.BUTTON)


@dataclass(frozen=True, slots=True)
class Incoming:
    """One thing a client did: typed text, a command, a button press or a media message.

    `text` holds typed text (or a caption); `command` the command name without slash and
    without a bot suffix; `payload` the button's callback data. `locale_hint` is the
    language the client's app reports, used only before they pick one.
    """

    client: ClientKey
    kind: InputKind
    text: str = ""
    command: str = ""
    command_args: str = ""
    payload: str = ""
    locale_hint: str = ""
    received_at: datetime | None = None
    channel_message_id: str = ""
    # The channel's number for this delivery, rising with each one (Telegram's update_id): a
    # message delivered again after a crash is recognised by it and not handled twice.
    delivery: int | None = None

    @classmethod
    def typed(cls, client: ClientKey, text: str, **kw: object) -> Incoming:
        """Typed text, with a leading /command recognised as such."""
        stripped = text.strip()
        if stripped.startswith("/") and len(stripped) > 1 and not stripped[1].isspace():
            head, _, args = stripped[1:].partition(" ")
            name = head.split("@", 1)[0].lower()
            return cls(client, InputKind.COMMAND, text=stripped, command=name,
                       command_args=args.strip(), **kw)  # type: ignore[arg-type]
        return cls(client, InputKind.TEXT, text=text, **kw)  # type: ignore[arg-type]

    @classmethod
    def button(cls, client: ClientKey, payload: str, **kw: object) -> Incoming:
        return cls(client, InputKind.BUTTON, payload=payload, **kw)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Button:
    """A choice offered to the client; `payload` comes back in an `Incoming.button`."""

    label: str
    payload: str


@dataclass(frozen=True, slots=True)
class CalendarEvent:
    """An appointment a channel can offer as a calendar file (an .ics on Telegram)."""

    uid: str
    starts_at: datetime
    ends_at: datetime
    title: str
    location: str = ""
    description: str = ""
    sequence: int = 0  # goes up when the event moves, so calendars update it


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file for the client (their data export): channels that can send files attach it."""

    filename: str
    content: bytes
    mime_type: str = "application/json"


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message to a client. `buttons` are rows; `rtl` tells renderers the text direction.

    `voice` asks the channel to send that text as a spoken voice note in `language` (for
    clients who read little); channels that cannot play sound show the text instead.
    `calendar` comes with an appointment, `attachment` with a data export: channels that can
    send files attach them.
    """

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    language: str = "nl"
    rtl: bool = False
    voice: str = ""
    calendar: CalendarEvent | None = None
    attachment: Attachment | None = None

    @property
    def flat_buttons(self) -> list[Button]:
        return [b for row in self.buttons for b in row]


@dataclass(frozen=True, slots=True)
class CounselorAlert:
    """Something counselors must hear about at once (a new case, a request for a person)."""

    task_id: int
    text: str
    client_id: int | None = None
    urgent: bool = False
    actions: tuple[Button, ...] = ()  # buttons for the counselors (payloads start "desk:")


@dataclass(frozen=True, slots=True)
class Relay:
    """What a client said while a counselor has the conversation: it goes to that person."""

    client_id: int
    escalation_id: int
    kind: InputKind
    text: str
    channel_message_id: str = ""


@dataclass(slots=True)
class Reply:
    """Everything one inbound message produced: messages to the client, alerts and relays."""

    messages: list[Outgoing] = field(default_factory=list)
    alerts: list[CounselorAlert] = field(default_factory=list)
    relays: list[Relay] = field(default_factory=list)
