"""A small Werkmaat with counselors of every role and clients who need them, for page tests."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi.testclient import TestClient

from bot.composition import Werkmaat, build
from bot.dashboard.passwords import hash_password
from bot.settings import Settings
from bot.web import create_app
from dialogues import ChannelName
from storage import CounselorRecord, CounselorRole

PASSWORD = "correct horse battery"
ARABIC_WALK = ({"start": True}, {"payload": "lang:ar"}, {"payload": "consent:yes"},
               {"payload": "area:Menen"}, {"payload": "nat:yes"}, {"payload": "seek:yes"},
               {"text": "يوسف"}, {"payload": "contact:chat"}, {"payload": "help:work"},
               {"payload": "menu:human"})
DUTCH_WALK = ({"start": True}, {"payload": "lang:nl"}, {"payload": "consent:yes"},
              {"payload": "area:Kortrijk"}, {"payload": "nat:yes"}, {"payload": "seek:yes"},
              {"text": "Pieter"}, {"payload": "contact:chat"}, {"payload": "help:work"})


@dataclass
class Site:
    werkmaat: Werkmaat
    app: object
    counselors: dict[str, CounselorRecord]

    def browser(self) -> TestClient:
        return TestClient(self.app, follow_redirects=False)  # type: ignore[arg-type]

    def logged_in(self, login: str) -> TestClient:
        browser = self.browser()
        log_in(browser, login)
        return browser

    def web_client(self, walk: tuple[dict[str, object], ...]) -> tuple[TestClient, int]:
        """A client who talks to the web chat; returns their browser and client id."""
        chat = TestClient(self.app)  # type: ignore[arg-type]
        for body in walk:
            assert chat.post("/chat/api/messages", json=body).status_code == 200
        token = chat.cookies["werkmaat_chat"]
        with self.werkmaat.database() as uow:
            client = uow.clients.by_identity(ChannelName.WEB.value, token)
        assert client is not None
        return chat, client.id


def make_site(tmp_path, nlu) -> Site:  # type: ignore[no-untyped-def]
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'dashboard.db'}",
                        voice_notes=False)
    werkmaat = build(settings, nlu=nlu)
    password_hash = hash_password(PASSWORD)
    people = {
        "sara": ("Sara Peeters", CounselorRole.COUNSELOR, ("nl", "ar")),
        "tom": ("Tom Claes", CounselorRole.COUNSELOR, ("nl",)),
        "coord": ("Chris Coördinator", CounselorRole.COORDINATOR, ("nl", "en")),
        "admin": ("Ann Beheer", CounselorRole.ADMIN, ("nl",)),
    }
    counselors = {}
    with werkmaat.database() as uow:
        for login, (name, role, languages) in people.items():
            counselors[login] = uow.counselors.add(CounselorRecord(
                name, role, datetime.now(UTC), languages=languages, login=login,
                password_hash=password_hash))
        uow.commit()
    return Site(werkmaat, create_app(werkmaat), counselors)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def log_in(browser: TestClient, login: str, password: str = PASSWORD) -> None:
    page = browser.get("/dashboard/login")
    answer = browser.post("/dashboard/login", data={
        "login": login, "password": password, "csrf": csrf_of(page.text),
        "next": "/dashboard"})
    assert answer.status_code == 303, answer.text
