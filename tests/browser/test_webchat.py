"""The web chat in headless Chromium: first contact in Dutch and in Arabic, reloads, RTL."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.processes import CHROMIUM_ARGS, ROOT, WerkmaatProcess, chromium_path

pytestmark = pytest.mark.browser
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[WerkmaatProcess]:
    process = WerkmaatProcess(tmp_path_factory.mktemp("webchat")).start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, headless=True,
                                    args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _page(browser, locale: str = "nl-BE"):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale=locale)
    return context.new_page()


def _press(page, label: str) -> None:
    page.locator(".buttons button", has_text=label).last.click()


def _type(page, text: str) -> None:
    page.fill("#text", text)
    page.press("#text", "Enter")


def _wait_for(page, text: str) -> None:
    page.locator(".msg--bot", has_text=text).last.wait_for(timeout=15_000)


def _db(server: WerkmaatProcess) -> Path:
    return Path(server.env["WERKMAAT_DATABASE_URL"].removeprefix("sqlite:///"))


def test_dutch_first_contact_in_the_browser_survives_a_reload(server, browser):
    page = _page(browser)
    page.goto(f"{server.url}/chat")
    _wait_for(page, "Kies je taal")
    _press(page, "Nederlands")
    _wait_for(page, "Ga je akkoord?")
    _press(page, "Ik ga akkoord")
    _wait_for(page, "In welke gemeente")
    _press(page, "Kortrijk")
    _wait_for(page, "Europese Unie")
    page.reload()
    _wait_for(page, "Europese Unie")  # the transcript and the live buttons are still there
    _press(page, "Ja")
    _wait_for(page, "Zoek je werk")
    _press(page, "Ja")
    _wait_for(page, "voornaam")
    _type(page, "Pieter")
    _wait_for(page, "Dag Pieter!")
    _press(page, "Via deze chat")
    _wait_for(page, "Waarmee wil je hulp?")
    _press(page, "Een opleiding")
    _wait_for(page, "Je bent ingeschreven")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "webchat-nl.png"), full_page=True)
    with sqlite3.connect(_db(server)) as db:
        rows = db.execute("SELECT c.first_name, k.help_wanted FROM clients c JOIN cases k "
                          "ON k.client_id = c.id WHERE c.first_name = 'Pieter'").fetchall()
    assert rows == [("Pieter", "training")]


def test_arabic_conversation_renders_right_to_left(server, browser):
    page = _page(browser, locale="ar")
    page.goto(f"{server.url}/chat")
    _wait_for(page, "Kies je taal")
    _press(page, "العربية")
    page.locator('.msg--bot[dir="rtl"]').first.wait_for(timeout=15_000)
    _press(page, "✅")
    page.locator(".buttons button", has_text="Menen").last.wait_for()
    _press(page, "Menen")
    _press(page, "✅")
    page.wait_for_timeout(300)
    _press(page, "✅")
    page.wait_for_timeout(300)
    _type(page, "فاطمة")
    page.locator(".msg--bot", has_text="فاطمة").last.wait_for(timeout=15_000)
    bot_dirs = page.eval_on_selector_all(".msg--bot", "els => els.map(e => e.dir)")
    assert set(bot_dirs[1:]) == {"rtl"}, bot_dirs
    last = page.locator(".msg--bot").last
    assert last.evaluate("e => getComputedStyle(e).direction") == "rtl"
    assert last.get_attribute("lang") == "ar"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "webchat-ar.png"), full_page=True)
    page.reload()
    assert page.locator("html").get_attribute("dir") == "rtl", "the page itself follows"
