"""JSON log lines carry time, level, logger and message; exceptions by type and traceback."""

from __future__ import annotations

import json
import logging

from bot.logs import JsonFormatter


def test_json_lines():
    formatter = JsonFormatter()
    record = logging.LogRecord("werkmaat.x", logging.WARNING, __file__, 1,
                               "a %s client blocked the bot", ("telegram",), None)
    entry = json.loads(formatter.format(record))
    assert entry["level"] == "warning" and entry["logger"] == "werkmaat.x"
    assert entry["message"] == "a telegram client blocked the bot" and entry["time"].endswith(
        "+00:00")
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record = logging.LogRecord("w", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    entry = json.loads(formatter.format(record))
    assert entry["exception"] == "ValueError" and "boom" in entry["traceback"]
