"""Telegram's HTML parse mode, close enough to catch what the real server rejects.

A bot that builds HTML messages fails in production on things a permissive fake would let
through: ``<br>``, an unescaped ``<``, an unclosed ``<b>``.  Telegram answers those with
``400 Bad Request: can't parse entities: ...``, so the fake parses HTML the same way (the tag
set and error wording follow tdlib) and returns the plain text plus ``MessageEntity`` dicts with
UTF-16 offsets, which is what a real Message carries.

Markdown and MarkdownV2 are passed through untouched: their grammar is large and a partial
validator would reject valid messages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_TAG_TYPES: dict[str, str] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}

_ENTITY_RE = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|lt|gt|amp|quot);")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


class MarkupError(ValueError):
    """The text cannot be parsed; ``str(error)`` is the part after "can't parse entities: "."""


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit Telegram uses for entity offsets and limits."""
    return len(text.encode("utf-16-le")) // 2


def _decode_entities(text: str) -> str:
    def repl(match: re.Match[str]) -> str:
        body = match.group(1)
        if body in _NAMED:
            return _NAMED[body]
        code = int(body[2:], 16) if body[1] in "xX" else int(body[1:])
        try:
            return chr(code)
        except (ValueError, OverflowError):
            return match.group(0)

    return _ENTITY_RE.sub(repl, text)


@dataclass
class _Open:
    tag: str
    entity: dict[str, Any] | None
    start: int
    merged_into_pre: bool = False
    attrs: dict[str, str] = field(default_factory=dict)


def parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Return ``(plain_text, entities)`` for an HTML-formatted message, or raise MarkupError."""
    out: list[str] = []
    out_len = 0  # UTF-16 length of everything in ``out``
    entities: list[dict[str, Any]] = []
    stack: list[_Open] = []
    i, n = 0, len(text)

    def byte_offset(pos: int) -> int:
        return len(text[:pos].encode("utf-8"))

    def emit(chunk: str) -> None:
        nonlocal out_len
        out.append(chunk)
        out_len += utf16_len(chunk)

    while i < n:
        char = text[i]
        if char == "&":
            match = _ENTITY_RE.match(text, i)
            if match:
                emit(_decode_entities(match.group(0)))
                i = match.end()
            else:
                emit("&")
                i += 1
            continue
        if char != "<":
            j = i
            while j < n and text[j] not in "<&":
                j += 1
            emit(text[i:j])
            i = j
            continue

        start = i
        if i + 1 < n and text[i + 1] == "/":
            end = text.find(">", i)
            if end < 0:
                raise MarkupError(f"Unclosed end tag at byte offset {byte_offset(start)}")
            name = text[i + 2 : end].strip().lower()
            if not stack:
                raise MarkupError(f"Unexpected end tag at byte offset {byte_offset(start)}")
            top = stack[-1]
            if name != top.tag:
                raise MarkupError(
                    f"Unmatched end tag at byte offset {byte_offset(start)}, "
                    f'expected "</{top.tag}>", found "</{name}>"'
                )
            stack.pop()
            if top.entity is not None:
                length = out_len - top.start
                if length > 0:
                    top.entity["offset"] = top.start
                    top.entity["length"] = length
                    entities.append(top.entity)
            i = end + 1
            continue

        j = i + 1
        while j < n and (text[j].isalnum() or text[j] == "-"):
            j += 1
        name = text[i + 1 : j].lower()
        if name not in _TAG_TYPES:
            raise MarkupError(f'Unsupported start tag "{name}" at byte offset {byte_offset(start)}')
        attrs: dict[str, str] = {}
        while True:
            while j < n and text[j].isspace():
                j += 1
            if j >= n:
                raise MarkupError(f"Unclosed start tag at byte offset {byte_offset(start)}")
            if text[j] == ">":
                j += 1
                break
            if text[j] == "/" and j + 1 < n and text[j + 1] == ">":
                j += 2
                break
            k = j
            while k < n and (text[k].isalnum() or text[k] in "-_"):
                k += 1
            attr = text[j:k].lower()
            if not attr:
                raise MarkupError(
                    f'Empty attribute name in the tag "{name}" at byte offset {byte_offset(start)}'
                )
            j = k
            while j < n and text[j].isspace():
                j += 1
            if j < n and text[j] == "=":
                j += 1
                while j < n and text[j].isspace():
                    j += 1
                if j < n and text[j] in "\"'":
                    quote = text[j]
                    close = text.find(quote, j + 1)
                    if close < 0:
                        raise MarkupError(f"Unclosed start tag at byte offset {byte_offset(start)}")
                    value = text[j + 1 : close]
                    j = close + 1
                else:
                    k = j
                    while k < n and not text[k].isspace() and text[k] != ">":
                        k += 1
                    value = text[j:k]
                    j = k
                attrs[attr] = _decode_entities(value)
            else:
                attrs[attr] = ""
        i = j

        entity: dict[str, Any] = {"type": _TAG_TYPES[name]}
        opened = _Open(tag=name, entity=entity, start=out_len, attrs=attrs)
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise MarkupError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {byte_offset(start)}'
            )
        if name == "a":
            href = attrs.get("href", "")
            if not href:
                opened.entity = None  # Telegram keeps the text and drops a link without target
            else:
                entity["url"] = href
        elif name == "blockquote" and "expandable" in attrs:
            entity["type"] = "expandable_blockquote"
        elif name == "tg-emoji":
            emoji_id = attrs.get("emoji-id")
            if not emoji_id:
                opened.entity = None
            else:
                entity["custom_emoji_id"] = emoji_id
        elif name == "code" and stack and stack[-1].tag == "pre":
            language = attrs.get("class", "")
            pre_entity = stack[-1].entity
            if language.startswith("language-") and pre_entity is not None:
                pre_entity["language"] = language[len("language-") :]
                opened.entity = None
        stack.append(opened)

    if stack:
        raise MarkupError(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def bot_command_entities(text: str) -> list[dict[str, Any]]:
    """``bot_command`` entities as Telegram sets them on incoming messages.

    Telegram marks ``/command`` and ``/command@botname`` wherever they start a word, not only at
    the start of the text; PTB's CommandHandler then only looks at the one at offset 0.
    """
    entities = []
    for match in re.finditer(r"(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?", text):
        entities.append(
            {
                "type": "bot_command",
                "offset": utf16_len(text[: match.start()]),
                "length": utf16_len(match.group(0)),
            }
        )
    return entities
