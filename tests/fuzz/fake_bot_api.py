"""A Bot API at the transport, in process: python-telegram-bot talks to it as to Telegram.

It answers the calls Werkmaat makes and refuses, with Telegram's own 400 errors, what Telegram
refuses: an empty or blank text, more than 4096 characters, a button without a label, callback
data of more than 64 bytes, a topic name over 128 characters, an unknown topic. Every refusal is
kept, so a test can say "the bot never sent anything Telegram would refuse".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from telegram.request import BaseRequest, RequestData

BOT_USER = {"id": 999, "is_bot": True, "first_name": "Werkmaat", "username": "werkmaat_bot",
            "can_join_groups": True, "can_read_all_group_messages": False,
            "supports_inline_queries": False}
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_BYTES = 64
TOPIC_NAME_LIMIT = 128


@dataclass
class Call:
    method: str
    params: dict[str, Any]

    @property
    def chat_id(self) -> int | None:
        chat = self.params.get("chat_id")
        return int(chat) if chat is not None else None

    def callback_data(self) -> list[str]:
        markup = self.params.get("reply_markup") or {}
        if isinstance(markup, str):
            markup = json.loads(markup)
        return [b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row
                if "callback_data" in b]


class FakeBotAPI(BaseRequest):
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.refused: list[tuple[Call, str]] = []
        self.topics: dict[int, set[int]] = {}  # chat → its topics' thread ids
        self._ids = 1000

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout: Any = None, write_timeout: Any = None,
                         connect_timeout: Any = None, pool_timeout: Any = None
                         ) -> tuple[int, bytes]:
        call = Call(url.rsplit("/", 1)[-1], dict(request_data.parameters) if request_data
                    else {})
        self.calls.append(call)
        problem = self._problem(call)
        if problem is not None:
            self.refused.append((call, problem))
            return 400, json.dumps({"ok": False, "error_code": 400,
                                    "description": f"Bad Request: {problem}"}).encode()
        return 200, json.dumps({"ok": True, "result": self._result(call)}).encode()

    # ---- what Telegram would refuse -------------------------------------------------------

    def _problem(self, call: Call) -> str | None:
        params = call.params
        if call.method == "sendMessage":
            text = str(params.get("text", ""))
            if not text.strip():
                return "message text is empty"
            if len(text) > TEXT_LIMIT:
                return f"message is too long ({len(text)} characters)"
        if len(str(params.get("caption", ""))) > CAPTION_LIMIT:
            return "message caption is too long"
        thread = params.get("message_thread_id")
        if (thread is not None and call.chat_id is not None
                and int(thread) not in self.topics.get(call.chat_id, set())):
            return "message thread not found"
        if call.method == "createForumTopic":
            name = str(params.get("name", ""))
            if not name.strip() or len(name) > TOPIC_NAME_LIMIT:
                return "TOPIC_NAME_INVALID"
        markup = params.get("reply_markup")
        if isinstance(markup, str):
            markup = json.loads(markup)
        for row in (markup or {}).get("inline_keyboard", []):
            for button in row:
                if not str(button.get("text", "")).strip():
                    return "BUTTON_TEXT_EMPTY"
                data = button.get("callback_data")
                if data is not None and not 1 <= len(data.encode()) <= CALLBACK_DATA_BYTES:
                    return "BUTTON_DATA_INVALID"
        return None

    # ---- what Telegram answers ------------------------------------------------------------

    def _result(self, call: Call) -> Any:
        self._ids += 1
        if call.method == "getMe":
            return BOT_USER
        if call.method == "createForumTopic":
            assert call.chat_id is not None
            self.topics.setdefault(call.chat_id, set()).add(self._ids)
            return {"message_thread_id": self._ids, "name": call.params["name"],
                    "icon_color": 7322096}
        if call.method == "copyMessage":
            return {"message_id": self._ids}
        if call.method.startswith("send"):
            chat_id = call.chat_id or 0
            message: dict[str, Any] = {
                "message_id": self._ids, "date": 1795435200, "from": BOT_USER,
                "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"}}
            if "text" in call.params:
                message["text"] = call.params["text"]
            if "message_thread_id" in call.params:
                message["message_thread_id"] = call.params["message_thread_id"]
                message["is_topic_message"] = True
            return message
        return True

    # ---- what the bot did -----------------------------------------------------------------

    def to_chat(self, chat_id: int, since: int = 0) -> list[Call]:
        """Messages (of any kind) the bot sent into one chat since call number `since`."""
        return [c for c in self.calls[since:]
                if c.chat_id == chat_id and (c.method.startswith("send")
                                             or c.method == "copyMessage")]

    def answered_callbacks(self, since: int = 0) -> list[str]:
        return [str(c.params.get("callback_query_id")) for c in self.calls[since:]
                if c.method == "answerCallbackQuery"]

    def buttons_in(self, chat_id: int) -> list[str]:
        """Callback data under the last message with buttons in a chat (what a person can
        press now), and for a group every button ever posted there."""
        sent = [c for c in self.calls if c.chat_id == chat_id and c.callback_data()]
        if not sent:
            return []
        if chat_id > 0:
            return sent[-1].callback_data()
        return sorted({d for c in sent for d in c.callback_data()})
