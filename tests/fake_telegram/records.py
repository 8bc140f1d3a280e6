"""Typed records shared by the fake Telegram Bot API server and the tests that drive it.

The server speaks JSON to the bot, but tests should not have to dig through nested dicts to
find out what the bot did.  Everything a test reads back (sent messages, API calls, webhook
deliveries) or hands in (users, chats, limits, faults) is a small dataclass defined here, so the
server module holds behaviour and this module holds shapes.

Telegram objects that the bot itself receives (messages, updates, callback queries) stay plain
dicts: they are exactly the JSON Telegram would send, and the records keep a copy of them where a
test might want the raw form.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

ChatType = Literal["private", "group", "supergroup", "channel"]
FaultKind = Literal[429, 500, 502, "timeout", "late"]

#: Update types Telegram delivers when the bot never asked for anything specific (or asked for
#: an empty list): everything except these three, which must be requested explicitly.
OPT_IN_UPDATE_TYPES: frozenset[str] = frozenset(
    {"chat_member", "message_reaction", "message_reaction_count"}
)

#: Methods that create a new message and therefore count towards Telegram's flood limits.
MESSAGE_METHODS: frozenset[str] = frozenset(
    {
        "sendMessage",
        "sendDocument",
        "sendPhoto",
        "sendVoice",
        "sendAudio",
        "sendSticker",
        "copyMessage",
        "forwardMessage",
    }
)


@dataclass(frozen=True)
class User:
    """A Telegram user the test plays; ``id`` is also the id of the user's private chat."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "en"
    is_bot: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The Telegram ``User`` object, omitting absent optional fields as Telegram does."""
        data: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data


@dataclass(frozen=True)
class Chat:
    """A chat known to the server: a private chat with a user, a group or a (forum) supergroup."""

    id: int
    type: ChatType
    title: str | None = None
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    is_forum: bool = False

    @property
    def is_private(self) -> bool:
        return self.type == "private"

    def to_dict(self) -> dict[str, Any]:
        """The Telegram ``Chat`` object as embedded in messages."""
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        for key in ("title", "username", "first_name", "last_name"):
            value = getattr(self, key)
            if value:
                data[key] = value
        if self.is_forum:
            data["is_forum"] = True
        return data


@dataclass(frozen=True)
class ForumTopic:
    """A topic in a forum supergroup; ``message_thread_id`` is what messages in it carry."""

    chat_id: int
    message_thread_id: int
    name: str
    icon_color: int = 7322096
    icon_custom_emoji_id: str | None = None
    is_closed: bool = False
    is_deleted: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The Telegram ``ForumTopic`` object returned by createForumTopic."""
        data: dict[str, Any] = {
            "message_thread_id": self.message_thread_id,
            "name": self.name,
            "icon_color": self.icon_color,
        }
        if self.icon_custom_emoji_id:
            data["icon_custom_emoji_id"] = self.icon_custom_emoji_id
        return data


@dataclass(frozen=True)
class StoredFile:
    """A file the server can hand out through getFile and the file URL.

    Files come from two directions: the test injecting media from a user, and the bot uploading
    media.  Both end up here so that a file the bot sent can be downloaded again, as on Telegram.
    """

    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    file_name: str | None = None
    mime_type: str | None = None
    source_url: str | None = None

    @property
    def file_size(self) -> int:
        return len(self.data)


@dataclass(frozen=True)
class UploadedFile:
    """One multipart file part exactly as the client uploaded it."""

    field: str
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass(frozen=True)
class SentMessage:
    """Something the bot put into a chat: a new message (send*, copy, forward) or an edit of one.

    ``text`` is the text or caption exactly as the bot sent it (markup included); ``message`` is
    the Message object the server answered with, where HTML markup has been turned into entities.
    """

    chat_id: int
    message_thread_id: int | None
    message_id: int
    method: str
    text: str | None
    reply_markup: dict[str, Any] | None
    params: dict[str, Any]
    timestamp: float
    message: dict[str, Any] = field(repr=False)
    file_id: str | None = None
    file_name: str | None = None
    file_bytes: bytes | None = field(default=None, repr=False)
    mime_type: str | None = None

    @property
    def plain_text(self) -> str | None:
        """The text as the user would see it (HTML markup stripped), or the caption."""
        return self.message.get("text", self.message.get("caption"))

    @property
    def parse_mode(self) -> str | None:
        return self.params.get("parse_mode")

    def buttons(self) -> list[dict[str, Any]]:
        """All inline keyboard buttons, row by row flattened, for quick assertions."""
        if not self.reply_markup:
            return []
        rows = self.reply_markup.get("inline_keyboard") or self.reply_markup.get("keyboard") or []
        return [button for row in rows for button in row]

    def callback_data(self) -> list[str]:
        """The callback_data of every inline button, in order."""
        return [b["callback_data"] for b in self.buttons() if "callback_data" in b]


@dataclass(frozen=True)
class ApiCall:
    """One HTTP request the bot made to the Bot API, recorded once it was answered."""

    method: str
    params: dict[str, Any]
    timestamp: float
    status: int
    http_method: str = "POST"
    token: str = ""
    files: tuple[str, ...] = ()
    duration: float = 0.0
    description: str | None = None
    fault: str | None = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


@dataclass(frozen=True)
class WebhookDelivery:
    """The outcome of pushing one update to the bot's webhook (after retries)."""

    update_id: int
    url: str
    attempts: int
    status: int | None
    delivered: bool
    timestamp: float
    error: str | None = None


@dataclass(frozen=True)
class RateLimits:
    """Telegram-like flood limits; exceeding one answers 429 with ``retry_after``.

    The defaults are the limits Telegram documents for bots: about 30 messages per second
    overall, one message per second per private chat and 20 messages per minute per group.
    Only ``methods`` count (by default those that create a message).
    """

    global_per_second: int = 30
    private_per_second: int = 1
    group_per_minute: int = 20
    methods: frozenset[str] = MESSAGE_METHODS


@dataclass(frozen=True)
class FaultConfig:
    """Random faults for a fraction of calls, reproducible through ``seed``.

    ``kinds`` are picked uniformly: 429 (with ``retry_after``), 500 or 502 answers,
    ``"timeout"`` which holds the request for ``timeout_delay`` seconds (beyond the client's
    read timeout) and does not carry out the call, or ``"late"`` which carries the call out and
    then holds the answer as long: Telegram did it, but the client gave up waiting, so a client
    that retries does it twice.  ``methods`` limits faults to those methods; by default every
    method except getUpdates is affected, so polling keeps working.

    With ``per_chat`` each chat draws from its own stream (seeded by ``seed`` and the chat id),
    so which of a chat's calls fail does not depend on how the calls of different chats
    interleave: a failing test with several chats in parallel fails the same way again.
    """

    rate: float = 0.1
    kinds: tuple[FaultKind, ...] = (429, 500, "timeout")
    seed: int = 0
    retry_after: int = 1
    timeout_delay: float = 10.0
    methods: frozenset[str] | None = None
    exclude_methods: frozenset[str] = frozenset({"getUpdates"})
    per_chat: bool = False

    def applies_to(self, method: str) -> bool:
        if self.methods is not None:
            return method in self.methods
        return method not in self.exclude_methods
