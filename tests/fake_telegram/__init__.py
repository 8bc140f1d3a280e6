"""A fake Telegram Bot API HTTP server for end-to-end tests and benchmarks of Werkmaat.

Typical use::

    with FakeTelegramServer(token=TOKEN) as server:
        user = server.create_user("Alice", language_code="nl")
        # start the bot with ApplicationBuilder().base_url(server.base_url)
        #                                         .base_file_url(server.base_file_url)
        server.send_text(user, "/start")
        [reply] = server.wait_for_messages(user.id, 1)
"""

from .markup import MarkupError, parse_html
from .records import (
    MESSAGE_METHODS,
    ApiCall,
    Chat,
    FaultConfig,
    ForumTopic,
    RateLimits,
    SentMessage,
    StoredFile,
    UploadedFile,
    User,
    WebhookDelivery,
)
from .server import ApiError, FakeTelegramServer

__all__ = [
    "MESSAGE_METHODS",
    "ApiCall",
    "ApiError",
    "Chat",
    "FakeTelegramServer",
    "FaultConfig",
    "ForumTopic",
    "MarkupError",
    "RateLimits",
    "SentMessage",
    "StoredFile",
    "UploadedFile",
    "User",
    "WebhookDelivery",
    "parse_html",
]
