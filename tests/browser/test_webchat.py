"""The web chat in headless Chromium: first contact in Dutch and in Arabic, reloads, RTL."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.processes import ROOT, WerkmaatProcess

pytestmark = pytest.mark.browser
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[WerkmaatProcess]:
    process = WerkmaatProcess(tmp_path_factory.mktemp("webchat")).start()
    yield process
    process.stop()



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
    if shutil.which("espeak-ng") and shutil.which("opusenc"):
        _press(page, "🔊")
        audio = page.locator(".msg--bot audio").last
        audio.wait_for(timeout=15_000)
        assert (audio.get_attribute("src") or "").startswith("data:audio/ogg;base64,")
        assert page.locator(".buttons button", has_text="Praten met een persoon").count() == 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "webchat-nl.png"), full_page=True)
    with sqlite3.connect(_db(server)) as db:
        rows = db.execute("SELECT c.first_name, k.help_wanted FROM clients c JOIN cases k "
                          "ON k.client_id = c.id WHERE c.first_name = 'Pieter'").fetchall()
    assert rows == [("Pieter", "training")]


def _choose(page, payload: str) -> None:
    page.locator(f'.buttons button[data-payload="{payload}"]').last.click()


@pytest.mark.parametrize(("code", "name"), [("ar", "فاطمة"), ("fa", "زهرا")])
def test_right_to_left_first_contact(server, browser, code, name):
    page = _page(browser, locale=code)
    page.goto(f"{server.url}/chat")
    _wait_for(page, "Kies je taal")
    _choose(page, f"lang:{code}")
    page.locator('.buttons button[data-payload="consent:yes"]').wait_for(timeout=15_000)
    for payload in ("consent:yes", "area:Menen", "nat:yes", "seek:yes"):
        _choose(page, payload)
        page.wait_for_timeout(200)
    page.locator(".msg--bot").last.wait_for()
    _type(page, name)
    page.locator('.buttons button[data-payload="contact:chat"]').wait_for(timeout=15_000)
    _type(page, "0470 12 34 56")
    page.locator('.buttons button[data-payload="help:dutch"]').wait_for(timeout=15_000)
    _choose(page, "help:dutch")
    page.locator(".msg--bot", has_text="WM-").last.wait_for(timeout=15_000)

    bot = page.locator(".msg--bot")
    dirs = bot.evaluate_all("els => els.map(e => e.dir)")
    assert set(dirs[1:]) == {"rtl"}, dirs
    last = bot.last
    assert last.evaluate("e => getComputedStyle(e).direction") == "rtl"
    assert last.get_attribute("lang") == code
    texts = bot.evaluate_all("els => els.map(e => e.querySelector('.msg__text').textContent)")
    for dutch in ("Welkom", "Dank je", "gemeente", "Je bent ingeschreven"):
        assert not any(dutch in t for t in texts[1:]), f"Dutch {dutch!r} in a {code} chat"
    assert f"\u2068{name}\u2069" in texts[-1], "the name is isolated in right-to-left text"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"webchat-{code}.png"), full_page=True)
    page.reload()
    assert page.locator("html").get_attribute("dir") == "rtl", "the page itself follows"
    assert page.locator(".msg--bot", has_text="WM-").count() >= 1, "kept across a reload"
    with sqlite3.connect(_db(server)) as db:
        rows = db.execute("SELECT c.language, k.help_wanted FROM clients c JOIN cases k "
                          "ON k.client_id = c.id WHERE c.first_name = ?", (name,)).fetchall()
    assert rows == [(code, "dutch")]


@pytest.mark.parametrize("code", ["ar", "fa", "ps"])
def test_isolated_numbers_keep_their_order_inside_right_to_left_text(browser, code):
    """As a Telegram client or the web chat lays it out: the phone number reads 0470 … 56."""
    from dialogues.i18n import Translator

    tr = Translator(code)
    how = tr.format(tr.gettext("op {contact}"), contact="0470 12 34 56")
    page = _page(browser)
    for direction in ("rtl", "auto"):
        page.set_content(f'<p id="m" dir="{direction}" style="width:900px">{how}</p>')
        left = page.evaluate("""() => {
            const node = document.getElementById('m').firstChild, text = node.textContent;
            const x = w => { const r = document.createRange(), i = text.indexOf(w);
                             r.setStart(node, i); r.setEnd(node, i + w.length);
                             return r.getBoundingClientRect().left; };
            return [x('0470'), x('56')]; }""")
        assert left[0] < left[1], f"{code} ({direction}): the number is reversed"
