"""Who may see what: every dashboard route against anonymous visitors, a client guessing URLs,
counselors (own cases and the team's open work), coordinators and admins; CSRF; sessions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from storage import AuditRecord, CaseRecord
from tests.bot.dashboard.site import ARABIC_WALK, DUTCH_WALK, csrf_of, log_in, make_site

SECRET_NAME = "Geheimenaam"


@pytest.fixture
def site(tmp_path, nlu, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return make_site(tmp_path, nlu)


@pytest.fixture
def people(site):
    """Yusuf (Arabic) waits for a person; Pieter is Tom's case, quiet; Lea is closed, Tom's."""
    _, waiting = site.web_client(ARABIC_WALK)
    _, quiet = site.web_client(DUTCH_WALK)
    tom = site.counselors["tom"].id
    with site.werkmaat.database() as uow:
        case = uow.cases.current_for(quiet)
        assert case is not None
        case.counselor_id = tom
        uow.cases.save(case)
        client = uow.clients.get(quiet)
        assert client is not None
        client.first_name = SECRET_NAME
        uow.clients.save(client)
        uow.commit()
    return {"waiting": waiting, "quiet": quiet}


def _get_paths(client_id: int) -> list[str]:
    return ["/dashboard", "/dashboard/cases", "/dashboard/cases?scope=all",
            "/dashboard/appointments", f"/dashboard/clients/{client_id}",
            "/dashboard/reports"]


def _post_paths(client_id: int) -> list[str]:
    return ["/dashboard/escalations/1/claim", f"/dashboard/clients/{client_id}/reply",
            f"/dashboard/clients/{client_id}/hand-back",
            f"/dashboard/clients/{client_id}/appointments", f"/dashboard/clients/{client_id}/job",
            f"/dashboard/clients/{client_id}/close", f"/dashboard/clients/{client_id}/reopen",
            "/dashboard/appointments/1/cancel", "/dashboard/logout"]


def test_anonymous_visitors_are_sent_to_the_login_page_and_see_nothing(site, people):
    browser = site.browser()
    for path in _get_paths(people["quiet"]):
        answer = browser.get(path)
        assert answer.status_code == 303, path
        assert answer.headers["location"].startswith("/dashboard/login?next=")
        assert SECRET_NAME not in answer.text
    for path in _post_paths(people["quiet"]):
        answer = browser.post(path, data={"text": "hallo", "csrf": "x"})
        assert answer.status_code == 303 and "/dashboard/login" in answer.headers["location"]


def test_a_web_chat_client_guessing_dashboard_urls_gets_no_data(site, people):
    chat, _ = site.web_client(DUTCH_WALK)  # has the web chat cookie, no staff session
    chat.follow_redirects = False
    for path in _get_paths(people["quiet"]):
        answer = chat.get(path)
        assert answer.status_code == 303, path
        assert SECRET_NAME not in answer.text and "يوسف" not in answer.text
    forged = chat.cookies.get("werkmaat_chat")
    chat.cookies.set("werkmaat_staff", forged or "x", path="/dashboard")
    assert chat.get("/dashboard").status_code == 303


def test_a_counselor_sees_their_own_cases_and_the_teams_open_work_only(site, people):
    sara = site.logged_in("sara")
    assert sara.get(f"/dashboard/clients/{people['waiting']}").status_code == 200  # escalated
    hidden = sara.get(f"/dashboard/clients/{people['quiet']}")
    assert hidden.status_code == 404 and SECRET_NAME not in hidden.text
    assert sara.get("/dashboard/clients/999999").status_code == 404  # same answer: no leak
    assert SECRET_NAME not in sara.get("/dashboard/cases?scope=all&status=any").text
    page = sara.get(f"/dashboard/clients/{people['waiting']}")
    refused = sara.post(f"/dashboard/clients/{people['quiet']}/reply",
                        data={"csrf": csrf_of(page.text), "text": "hallo"})
    assert refused.status_code == 404
    tom = site.logged_in("tom")
    assert tom.get(f"/dashboard/clients/{people['quiet']}").status_code == 200
    assert SECRET_NAME in tom.get("/dashboard/cases?scope=mine").text
    with site.werkmaat.database() as uow:
        actions = [(a.actor, a.action) for a in uow.audit.recent(500)]
    sara_label = f"counselor:{site.counselors['sara'].id}"
    assert (sara_label, "case.read.refused") in actions
    assert (sara_label, "case.write.refused") in actions


def test_coordinators_and_admins_see_every_case(site, people):
    for login in ("coord", "admin"):
        browser = site.logged_in(login)
        assert browser.get(f"/dashboard/clients/{people['quiet']}").status_code == 200
        assert SECRET_NAME in browser.get("/dashboard/cases?scope=all&status=any").text


def test_a_closed_case_of_another_counselor_stays_hidden(site, people):
    with site.werkmaat.database() as uow:
        client = uow.clients.add("web", "closed-client-token-123456", "nl", datetime.now(UTC))
        uow.cases.add(CaseRecord(client.id, datetime.now(UTC) - timedelta(days=300),
                                 counselor_id=site.counselors["tom"].id))
        uow.commit()
    assert site.logged_in("sara").get(f"/dashboard/clients/{client.id}").status_code == 404


def test_every_form_needs_the_sessions_csrf_token(site, people):
    sara = site.logged_in("sara")
    client_id = people["waiting"]
    for path in _post_paths(client_id):
        for data in ({}, {"csrf": "forged"}):
            answer = sara.post(path, data={**data, "text": "hallo", "date": "2030-01-01",
                                           "time": "10:00"})
            assert answer.status_code == 403, (path, data)
    page = sara.get(f"/dashboard/clients/{client_id}")
    cross_site = sara.post(f"/dashboard/clients/{client_id}/reply",
                           data={"csrf": csrf_of(page.text), "text": "hallo"},
                           headers={"origin": "https://evil.example"})
    assert cross_site.status_code == 403
    with site.werkmaat.database() as uow:
        assert not [m for m in uow.interactions.for_client(client_id) if m.text.endswith("hallo")]


def test_wrong_passwords_unknown_logins_and_disabled_accounts_get_no_session(site):
    browser = site.browser()
    for login, password in (("sara", "wrong password!"), ("nobody", "correct horse battery")):
        page = browser.get("/dashboard/login")
        answer = browser.post("/dashboard/login", data={
            "login": login, "password": password, "csrf": csrf_of(page.text)})
        assert answer.status_code == 401 and "werkmaat_staff" not in answer.cookies
    browser.cookies.clear()
    no_token = browser.post("/dashboard/login", data={"login": "sara",
                                                      "password": "correct horse battery"})
    assert no_token.status_code == 400
    sara = site.logged_in("sara")
    with site.werkmaat.database() as uow:
        counselor = uow.counselors.by_login("sara")
        assert counselor is not None
        counselor.active = False
        uow.counselors.save(counselor)
        uow.commit()
    assert sara.get("/dashboard").status_code == 303
    with site.werkmaat.database() as uow:
        refused = [a for a in uow.audit.recent(100) if a.action == "dashboard.login.refused"]
    assert len(refused) == 2


def test_session_cookie_is_http_only_and_strict_and_logout_ends_it(site):
    browser = site.browser()
    page = browser.get("/dashboard/login")
    answer = browser.post("/dashboard/login", data={
        "login": "SARA ", "password": "correct horse battery", "csrf": csrf_of(page.text),
        "next": "//evil.example/x"})
    assert answer.status_code == 303 and answer.headers["location"] == "/dashboard"
    cookie = answer.headers["set-cookie"].lower()
    assert "werkmaat_staff=" in cookie and "httponly" in cookie and "samesite=strict" in cookie
    queue = browser.get("/dashboard")
    assert queue.status_code == 200
    assert queue.headers["content-security-policy"].startswith("default-src 'self'")
    assert queue.headers["x-frame-options"] == "DENY"
    assert browser.post("/dashboard/logout", data={"csrf": csrf_of(queue.text)}
                        ).status_code == 303
    assert browser.get("/dashboard").status_code == 303


def test_an_idle_session_expires(site, monkeypatch):
    sara = site.logged_in("sara")
    later = datetime.now(UTC) + timedelta(hours=3)
    monkeypatch.setattr(site.werkmaat.settings, "timezone", site.werkmaat.settings.timezone)
    logins = site.app.state.dashboard.services.logins  # type: ignore[attr-defined]
    monkeypatch.setattr(logins, "clock", lambda: later)
    assert sara.get("/dashboard").status_code == 303


def test_script_in_a_client_message_or_name_is_shown_as_text(site, people):
    attack = '<img src=x onerror=alert(1)><script>alert(2)</script>'
    with site.werkmaat.database() as uow:
        client = uow.clients.get(people["waiting"])
        assert client is not None
        client.first_name = attack
        uow.clients.save(client)
        uow.audit.add(AuditRecord("test", "setup", "x", datetime.now(UTC)))
        uow.commit()
    chat_text = "hallo " + attack
    _ = chat_text
    sara = site.logged_in("sara")
    for path in ("/dashboard", f"/dashboard/clients/{people['waiting']}"):
        html = sara.get(path).text
        assert "<script>alert(2)</script>" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(2)&lt;/script&gt;" in html


def test_the_page_language_switches_between_dutch_and_english(site):
    sara = site.logged_in("sara")
    assert "Wachtrij" in sara.get("/dashboard").text
    assert sara.get("/dashboard/language/en?next=/dashboard").status_code == 303
    assert 'lang="en"' in sara.get("/dashboard").text
    assert sara.get("/dashboard/language/en?next=https://evil.example"
                    ).headers["location"] == "/dashboard"


def test_log_in_helper_works_for_every_role(site):
    for login in ("sara", "tom", "coord", "admin"):
        log_in(site.browser(), login)
