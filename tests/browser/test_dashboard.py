"""The counselor dashboard in headless Chromium, driven as staff use it.

A client writes in Arabic in the web chat and asks for a person; a counselor on a phone logs
in with the keyboard, claims the conversation, reads the timeline, replies and plans an
appointment, and the client's own chat (open in another browser context) receives both. A
coordinator on a laptop opens the reports and downloads a CSV. One Werkmaat process and one
browser serve the module; the tests run in file order and build on each other's state.
"""

from __future__ import annotations

import csv
import io
import re
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.processes import ROOT, WerkmaatProcess

pytestmark = pytest.mark.browser
ARTIFACTS = ROOT / "test-artifacts"
TIMEOUT = 15_000  # ms: the chat asks for news every 4 s, the dispatcher looks every 2 s
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 900}
ZONE = ZoneInfo("Europe/Brussels")  # the programme's time zone (Settings.timezone)

CLIENT_NAME = "يوسف"
CLIENT_ASKS = "أبحث عن عمل في مطعم، هل يمكنك مساعدتي؟"
REPLY = "مرحبا يوسف، أنا سارة. سأساعدك في البحث عن عمل."
LOCATION = "Stationsstraat 12, Menen"
HOSTILE = "<img src=x onerror=alert(1)><script>alert(2)</script>"


@dataclass(frozen=True)
class Account:
    name: str
    login: str
    password: str
    languages: str
    role: str = "counselor"


SARA = Account("Sara Peeters", "sara", "lang-en-veilig-42", "nl,ar")
ELS = Account("Els Claes", "els", "coordinator-wachtwoord-7", "nl,fr", role="coordinator")


@dataclass
class Tab:
    """A page in its own browser context, with the dialogs it tried to open."""

    page: Page
    dialogs: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ChatClient:
    page: Page
    client_id: int


# ---- fixtures -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[WerkmaatProcess]:
    # No quiet hours: the appointment notice goes out at once, whatever the hour of the run.
    process = WerkmaatProcess(tmp_path_factory.mktemp("dashboard"), WERKMAAT_QUIET_HOURS="off",
                              WERKMAAT_TELEGRAM_TOKEN="").start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def accounts(server: WerkmaatProcess) -> tuple[Account, Account]:
    """Dashboard logins, added with the CLI as an administrator does."""
    for account in (SARA, ELS):
        added = server.cli("counselor", "add", "--name", account.name, "--languages",
                           account.languages, "--role", account.role, "--login", account.login,
                           "--password-stdin", stdin=account.password + "\n")
        assert added.returncode == 0, added.stderr
    return SARA, ELS



def _tab(browser: Browser, viewport: dict[str, int], locale: str = "nl-BE") -> Tab:
    context = browser.new_context(viewport=viewport, locale=locale, accept_downloads=True)
    context.set_default_timeout(TIMEOUT)
    tab = Tab(context.new_page())

    def record(dialog) -> None:
        tab.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    tab.page.on("dialog", record)
    return tab


@pytest.fixture(scope="module")
def arabic_client(server: WerkmaatProcess, browser: Browser) -> Iterator[ChatClient]:
    """A client who registered in Arabic in the web chat and asked for a person; the chat page
    stays open for the rest of the module, asking the server for news as it does for real."""
    tab = _tab(browser, PHONE, locale="ar")
    page = tab.page
    page.goto(f"{server.url}/chat")
    _choose(page, "lang:ar")
    for payload, then in (("consent:yes", "area:Menen"), ("area:Menen", "nat:yes"),
                          ("nat:yes", "seek:yes")):
        _choose(page, payload, then)
    _answer(page, lambda: _choose(page, "seek:yes"))  # "what is your first name?"
    _say(page, CLIENT_NAME)
    _choose(page, "contact:chat", "help:work")
    _answer(page, lambda: _choose(page, "help:work"))
    _bot_said(page, "WM-")
    _answer(page, lambda: _choose(page, "menu:human"))
    with sqlite3.connect(_db(server)) as db:
        (client_id,), = db.execute("SELECT id FROM clients WHERE first_name = ?",
                                   (CLIENT_NAME,)).fetchall()
    yield ChatClient(page, client_id)
    page.context.close()


@pytest.fixture(scope="module")
def counselor(browser: Browser, accounts: tuple[Account, Account]) -> Iterator[Tab]:
    """Sara's phone. The first test logs her in; the others log in again only if needed."""
    tab = _tab(browser, PHONE)
    yield tab
    tab.page.context.close()


# ---- the counselor's day --------------------------------------------------------------------

def test_counselor_logs_in_on_a_phone_with_the_keyboard_only(server, counselor):
    page = counselor.page
    page.goto(f"{server.url}/dashboard")
    page.wait_for_url(re.compile(r"/dashboard/login\?next=/dashboard$"))
    expect(page.get_by_label("Gebruikersnaam")).to_be_focused()  # autofocus, labelled
    page.keyboard.type(SARA.login)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Wachtwoord")).to_be_focused()
    page.keyboard.type(SARA.password)
    page.keyboard.press("Tab")
    submit = page.get_by_role("button", name="Aanmelden")
    expect(submit).to_be_focused()
    assert submit.evaluate("e => getComputedStyle(e).outlineStyle") == "solid", \
        "keyboard focus is visible"
    _snap(page, "dashboard-login.png")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{server.url}/dashboard")
    expect(page.get_by_role("heading", level=1)).to_have_text("Wachtrij")
    expect(page.get_by_role("button", name=re.compile(r"Afmelden.*Sara Peeters"))).to_be_visible()


def test_queue_shows_the_arabic_client_and_claiming_opens_their_page(server, counselor,
                                                                      arabic_client):
    page, chat = counselor.page, arabic_client.page
    _open(page, f"{server.url}/dashboard")
    card = page.locator("li.card").filter(
        has=page.locator(".card__name", has_text=CLIENT_NAME))
    expect(card).to_have_count(1)
    language = card.locator(".meta .tag")
    expect(language).to_have_attribute("lang", "ar")
    expect(language).to_have_text("العربية")
    expect(card).to_contain_text("vraagt een persoon")
    _snap(page, "dashboard-queue.png")

    card.get_by_role("button", name=re.compile(f"Opnemen.*{CLIENT_NAME}")).click()
    page.wait_for_url(re.compile(rf"/dashboard/clients/{arabic_client.client_id}\?note="))
    expect(page.get_by_role("heading", level=1)).to_contain_text(CLIENT_NAME)
    expect(page.locator("main > .note")).to_contain_text("Sara Peeters neemt dit gesprek op")
    talk = page.locator("section[aria-labelledby='talk-title']")
    expect(talk).to_contain_text("opgenomen (Sara Peeters)")
    expect(talk.get_by_role("button", name="Opnemen", exact=True)).to_have_count(0)
    said = _timeline(page, "message-in", CLIENT_NAME)
    expect(said).to_have_attribute("dir", "rtl")
    expect(said).to_have_attribute("lang", "ar")
    assert said.evaluate("e => getComputedStyle(e).direction") == "rtl"

    # the client hears, in Arabic, that a person reads along; what they write now reaches her
    told = _bot_said(chat, "Sara")
    expect(told).to_have_attribute("lang", "ar")
    with chat.expect_response("**/chat/api/messages"):
        _say(chat, CLIENT_ASKS)
    page.reload()
    expect(_timeline(page, "message-in", CLIENT_ASKS)).to_have_attribute("dir", "rtl")


def test_reply_reaches_the_timeline_and_the_client_chat(server, counselor, arabic_client):
    page, chat = counselor.page, arabic_client.page
    _open(page, f"{server.url}/dashboard/clients/{arabic_client.client_id}")
    page.get_by_label("Bericht aan de cliënt").fill(REPLY)
    page.get_by_role("button", name="Versturen").click()
    page.wait_for_url(re.compile(rf"/dashboard/clients/{arabic_client.client_id}\?note="))
    expect(page.locator("main > .note")).to_have_text("Verstuurd.")
    sent = _timeline(page, "counselor", REPLY, whole=False)  # after "💬 Sara, …:"
    expect(sent).to_have_attribute("dir", "rtl")
    expect(sent.locator("xpath=..")).to_contain_text("Sara Peeters")

    received = _bot_said(chat, REPLY)
    expect(received).to_have_attribute("lang", "ar")
    expect(received).to_have_attribute("dir", "rtl")


def test_planned_appointment_is_shown_and_announced_in_arabic(server, counselor,
                                                              arabic_client):
    page, chat = counselor.page, arabic_client.page
    _open(page, f"{server.url}/dashboard/clients/{arabic_client.client_id}")
    day = datetime.now(ZONE).date() + timedelta(days=7)
    before = chat.locator(".msg--bot").count()
    page.get_by_label("Datum", exact=True).fill(day.isoformat())
    page.get_by_label("Uur", exact=True).fill("10:30")
    page.get_by_label("Waar", exact=True).fill(LOCATION)
    page.get_by_role("button", name="Plannen").click()
    page.wait_for_url(re.compile(rf"/dashboard/clients/{arabic_client.client_id}\?note="))
    expect(page.locator("main > .note")).to_contain_text("Afspraak gepland")
    appointments = page.locator("section[aria-labelledby='appointments-title']")
    planned = appointments.locator("article.appointment")
    expect(planned).to_have_count(1)
    expect(planned).to_contain_text(f"{day:%d/%m/%Y} 10:30")
    expect(planned).to_contain_text(LOCATION)
    expect(_timeline(page, "appointment", LOCATION)).to_be_visible()
    _snap(page, "dashboard-client.png", full_page=True)

    notice = _bot_said(chat, "📅")
    expect(chat.locator(".msg--bot")).to_have_count(before + 1)
    expect(notice).to_have_attribute("lang", "ar")
    expect(notice).to_have_attribute("dir", "rtl")
    expect(notice).to_contain_text(LOCATION)
    assert re.search("[\u0600-\u06ff]", notice.inner_text()), "the notice is in Arabic"
    assert "afspraak" not in notice.inner_text().lower(), "no Dutch in an Arabic notice"
    expect(notice.locator("button[data-payload^='appt:yes:']")).to_have_count(1)
    _snap(chat, "dashboard-client-chat-ar.png", full_page=True)


def test_cases_list_and_week_view_show_the_client(server, counselor, arabic_client):
    page = counselor.page
    _open(page, f"{server.url}/dashboard")
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Dossiers").click()
    page.wait_for_url(f"{server.url}/dashboard/cases")
    page.get_by_role("link", name="Alles wat ik mag zien").click()
    page.wait_for_url(re.compile(r"/dashboard/cases\?scope=all$"))
    row = page.locator("tbody tr").filter(has_text=CLIENT_NAME)
    expect(row).to_have_count(1)
    expect(row.locator("td[lang='ar']")).to_have_text("العربية")
    expect(row.get_by_role("link")).to_have_attribute(
        "href", f"/dashboard/clients/{arabic_client.client_id}")
    _snap(page, "dashboard-cases.png")

    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Afspraken").click()
    page.wait_for_url(f"{server.url}/dashboard/appointments")
    page.get_by_role("link", name="Volgende week →").click()
    page.wait_for_url(re.compile(r"/dashboard/appointments\?week="))
    slot = page.locator("li.slot").filter(has_text=CLIENT_NAME)
    expect(slot).to_have_count(1)
    expect(slot.locator(".slot__time")).to_have_text("10:30")
    _snap(page, "dashboard-week.png")


# ---- what a client writes is text, never code ----------------------------------------------

def test_a_hostile_name_and_message_are_shown_as_text(server, accounts, counselor):
    """The pages send a CSP that would block inline scripts anyway; the literal text on the
    page (and no <img> or <script> in it) shows that the templates escape as well."""
    with httpx.Client(base_url=server.url, timeout=30) as web:
        said = [_post(web, {"start": True})]
        for payload in ("lang:nl", "consent:yes", "area:Kortrijk", "nat:yes", "seek:yes"):
            said.append(_post(web, {"payload": payload}))
        said.append(_post(web, {"text": HOSTILE}))
        said.append(_post(web, {"payload": "contact:chat"}))
        said.append(_post(web, {"payload": "help:work"}))
        said.append(_post(web, {"text": f"Mijn vraag: {HOSTILE}"}))
        said.append(_post(web, {"payload": "menu:human"}))
    assert any("ingeschreven" in text for text in said[-3]), said
    assert any("doorgegeven" in text for text in said[-1]), said

    page = counselor.page
    _open(page, f"{server.url}/dashboard")
    name = page.locator(".card__name", has_text=HOSTILE)
    expect(name).to_have_text(HOSTILE)
    expect(page.locator("main img, main script")).to_have_count(0)
    name.click()
    page.wait_for_url(re.compile(r"/dashboard/clients/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(HOSTILE)
    assert HOSTILE in page.title()
    expect(_timeline(page, "message-in", f"Mijn vraag: {HOSTILE}")).to_be_visible()
    expect(page.locator("main img, main script")).to_have_count(0)
    assert counselor.dialogs == []


# ---- the coordinator's reports --------------------------------------------------------------

def test_coordinator_exports_outcomes_per_quarter_as_csv(server, browser, accounts, tmp_path):
    tab = _tab(browser, LAPTOP)
    page = tab.page
    try:
        page.goto(f"{server.url}/dashboard/reports")
        page.wait_for_url(re.compile(r"/dashboard/login\?next=/dashboard/reports$"))
        _log_in(page, ELS)
        page.wait_for_url(f"{server.url}/dashboard/reports")
        expect(page.get_by_role("navigation", name="Hoofdmenu").get_by_role(
            "link", name="Rapporten")).to_have_attribute("aria-current", "page")
        expect(page.locator("main svg.chart").first).to_be_visible()
        expect(page.locator("main table").first).to_be_visible()
        quarters = page.locator("section#outcomes-quarter")
        expect(quarters.get_by_role("img", name=re.compile("kwartaal"))).to_be_visible()
        expect(quarters.get_by_role("table", name="Trajecten per kwartaal")).to_be_visible()
        _snap(page, "dashboard-reports.png", full_page=True)

        link = page.locator("main a[href*='quarter'][href$='.csv']")
        expect(link).to_have_count(1)
        # the link names its table for screen readers: "Alles als CSV – Trajecten per kwartaal"
        expect(link).to_have_accessible_name(re.compile(r"^Alles als CSV .*per kwartaal"))
        with page.expect_download() as download_info:
            link.click()
        saved = tmp_path / download_info.value.suggested_filename
        download_info.value.save_as(saved)
        text = saved.read_text(encoding="utf-8-sig")
        rows = list(csv.reader(io.StringIO(text), csv.Sniffer().sniff(text, ";,")))
        assert len(rows[0]) > 1 and all(cell.strip() for cell in rows[0]), rows[:2]
        assert all(len(row) == len(rows[0]) for row in rows), "every row has every column"
        today = datetime.now(ZONE).date()
        quarter = {row[0]: row for row in rows[1:]}.get(
            f"{today.year}-Q{(today.month - 1) // 3 + 1}")
        assert quarter is not None and int(quarter[1]) >= 2, (rows, "two clients started")
        assert tab.dialogs == []
    finally:
        page.context.close()


# ---- helpers --------------------------------------------------------------------------------

def _db(server: WerkmaatProcess) -> Path:
    return Path(server.env["WERKMAAT_DATABASE_URL"].removeprefix("sqlite:///"))


def _choose(page: Page, payload: str, then: str = "") -> None:
    """Press a chat button; with `then`, wait until the next step's button is there."""
    page.locator(f'.buttons button[data-payload="{payload}"]').last.click()
    if then:
        page.locator(f'.buttons button[data-payload="{then}"]').last.wait_for()


def _answer(page: Page, act: Callable[[], None]) -> None:
    """Do something in the chat and wait until the bot has answered it."""
    with page.expect_response("**/chat/api/messages"):
        act()


def _say(page: Page, text: str) -> None:
    page.fill("#text", text)
    page.press("#text", "Enter")


def _bot_said(page: Page, text: str) -> Locator:
    said = page.locator(".msg--bot", has_text=text).last
    expect(said).to_be_visible(timeout=TIMEOUT)
    return said


def _post(web: httpx.Client, body: dict[str, object]) -> list[str]:
    response = web.post("/chat/api/messages", json=body)
    response.raise_for_status()
    return [m["text"] for m in response.json()["messages"]]


def _log_in(page: Page, account: Account) -> None:
    page.get_by_label("Gebruikersnaam").fill(account.login)
    page.get_by_label("Wachtwoord").fill(account.password)
    page.get_by_role("button", name="Aanmelden").click()


def _open(page: Page, url: str, account: Account = SARA) -> None:
    """Go to a dashboard page, logging in first if the session is gone (or never was)."""
    page.goto(url)
    if "/dashboard/login" in page.url:
        _log_in(page, account)
        page.wait_for_url(url)


def _timeline(page: Page, kind: str, text: str, whole: bool = True) -> Locator:
    """The text of the one timeline event of this kind that says `text` (exactly, if whole)."""
    pattern = re.escape(text)
    found = page.locator(f".timeline .event--{kind} .event__text").filter(
        has_text=re.compile(f"^{pattern}$" if whole else pattern))
    expect(found).to_have_count(1)
    return found


def _snap(page: Page, name: str, full_page: bool = False) -> None:
    """A screenshot kept as a test artifact; on a phone, nothing may need sideways scrolling."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=full_page)
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{name}: the page is wider than the screen {width}"
