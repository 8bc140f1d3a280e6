"""Numbers that arrive in button data or typed text: read them strictly.

`str.isdigit()` accepts "²" and "⑦", which `int()` refuses, and a forged button can carry a
number no id column holds. Anything that is not a decimal number in the ids' range is no id:
the button is treated as stale.
"""

from __future__ import annotations

MAX_ID = 2**31 - 1  # the INTEGER id columns of the case store


def parse_id(text: str) -> int | None:
    if not text.isdecimal() or len(text) > 10:  # decimal digits of any script: "٣" is 3
        return None
    value = int(text)
    return value if 0 <= value <= MAX_ID else None
