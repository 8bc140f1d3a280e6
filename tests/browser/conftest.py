"""One headless Chromium per test module (Debian's chromium, found by tests.processes)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.processes import CHROMIUM_ARGS, chromium_path


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), headless=True,
                                    args=CHROMIUM_ARGS)
        yield browser
        browser.close()
