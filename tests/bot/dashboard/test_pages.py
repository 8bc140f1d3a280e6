"""The dashboard's pages through the real app: log in, the queue, a case, actions."""

from __future__ import annotations

import pytest

from storage import EscalationStatus
from tests.bot.dashboard.site import ARABIC_WALK, DUTCH_WALK, csrf_of, make_site


@pytest.fixture
def site(tmp_path, nlu, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return make_site(tmp_path, nlu)


def test_a_counselor_claims_an_arabic_escalation_replies_and_sees_it(site):
    chat, client_id = site.web_client(ARABIC_WALK)
    told: list[tuple[int, str]] = []

    async def topic(client: int, text: str) -> None:
        told.append((client, text))

    site.app.state.dashboard.services.notify = topic
    sara = site.logged_in("sara")
    queue = sara.get("/dashboard")
    assert queue.status_code == 200
    assert "يوسف" in queue.text and 'lang="ar"' in queue.text
    with site.werkmaat.database() as uow:
        escalation = uow.escalations.active_for(client_id)
    assert escalation is not None
    claimed = sara.post(f"/dashboard/escalations/{escalation.id}/claim",
                        data={"csrf": csrf_of(queue.text)})
    assert claimed.status_code == 303
    assert claimed.headers["location"].startswith(f"/dashboard/clients/{client_id}")
    page = sara.get(f"/dashboard/clients/{client_id}")
    assert page.status_code == 200 and 'dir="rtl"' in page.text
    sent = sara.post(f"/dashboard/clients/{client_id}/reply",
                     data={"csrf": csrf_of(page.text), "text": "مرحبا يوسف، سأتصل بك غدا"})
    assert sent.status_code == 303
    after = sara.get(f"/dashboard/clients/{client_id}")
    assert "مرحبا يوسف، سأتصل بك غدا" in after.text
    updates = chat.get("/chat/api/updates", params={"after": 0}).json()["messages"]
    assert any("مرحبا يوسف، سأتصل بك غدا" in m["text"] for m in updates)
    assert [c for c, _ in told] == [client_id, client_id]  # the claim and the reply
    assert told[1][1] == "🖥 Sara Peeters: 💬 مرحبا يوسف، سأتصل بك غدا"
    with site.werkmaat.database() as uow:
        escalation = uow.escalations.get(escalation.id)
        reads = [a for a in uow.audit.recent(200) if a.action == "case.read"]
    assert escalation is not None and escalation.status == EscalationStatus.CLAIMED
    assert escalation.claimed_by == site.counselors["sara"].id
    assert reads and reads[0].actor == f"counselor:{site.counselors['sara'].id}"


def test_pages_render_for_every_role(site):
    site.web_client(ARABIC_WALK)
    _, client_id = site.web_client(DUTCH_WALK)
    for login in ("sara", "tom", "coord", "admin"):
        browser = site.logged_in(login)
        for path in ("/dashboard", "/dashboard/cases", "/dashboard/cases?scope=team",
                     "/dashboard/cases?scope=all&status=any", "/dashboard/appointments",
                     f"/dashboard/clients/{client_id}"):
            answer = browser.get(path)
            assert answer.status_code == 200, (login, path, answer.text[:500])


def test_a_counselor_plans_moves_and_cancels_an_appointment_and_ticks_off_a_task(site):
    chat, client_id = site.web_client(DUTCH_WALK)
    coord = site.logged_in("coord")
    page = coord.get(f"/dashboard/clients/{client_id}")
    csrf = csrf_of(page.text)
    planned = coord.post(f"/dashboard/clients/{client_id}/appointments", data={
        "csrf": csrf, "date": "2031-03-14", "time": "10:30", "kind": "intake",
        "mode": "in_person", "location": "Stadskantoor Kortrijk", "duration": "45"})
    assert planned.status_code == 303
    assert "Afspraak%20gepland" in planned.headers["location"]
    with site.werkmaat.database() as uow:
        (appointment,) = uow.appointments.for_client(client_id)
        scheduled = uow.schedule.for_appointment(appointment.id)
    assert appointment.location == "Stadskantoor Kortrijk" and appointment.duration_minutes == 45
    assert appointment.starts_at.isoformat() == "2031-03-14T09:30:00+00:00"  # 10:30 in Brussels
    assert {s.kind.value for s in scheduled} >= {"appointment_notice", "appointment_reminder"}
    week = coord.get("/dashboard/appointments?week=2031-03-12")
    assert "Pieter" in week.text and "10:30" in week.text
    moved = coord.post(f"/dashboard/appointments/{appointment.id}/move",
                       data={"csrf": csrf, "date": "2031-03-15", "time": "09:00"})
    assert moved.status_code == 303
    cancelled = coord.post(f"/dashboard/appointments/{appointment.id}/cancel",
                           data={"csrf": csrf})
    assert cancelled.status_code == 303
    with site.werkmaat.database() as uow:
        appointment = uow.appointments.get(appointment.id)
        tasks = [t for t in uow.tasks.open(100) if t.client_id == client_id]
    assert appointment is not None and appointment.status.value == "cancelled"
    assert appointment.version == 2
    assert tasks, "registration leaves a task for the counselors"
    ticked = coord.post(f"/dashboard/clients/{client_id}/tasks/{tasks[0].id}/done",
                        data={"csrf": csrf})
    assert ticked.status_code == 303
    other = coord.post(f"/dashboard/clients/{client_id + 1000}/tasks/{tasks[0].id}/done",
                       data={"csrf": csrf})
    assert other.status_code == 404
    with site.werkmaat.database() as uow:
        assert tasks[0].id not in [t.id for t in uow.tasks.open(100)]
    bad = coord.post(f"/dashboard/clients/{client_id}/appointments",
                     data={"csrf": csrf, "date": "not a date", "time": "10:00"})
    assert "geldige%20datum" in bad.headers["location"]


def test_a_counselor_registers_a_job_closes_and_reopens_the_case(site):
    _, client_id = site.web_client(DUTCH_WALK)
    sara = site.logged_in("sara")  # an untaken new case is the team's work: she takes it
    csrf = csrf_of(sara.get(f"/dashboard/clients/{client_id}").text)
    assert sara.post(f"/dashboard/clients/{client_id}/assign",
                     data={"csrf": csrf}).status_code == 303
    with site.werkmaat.database() as uow:
        case = uow.cases.current_for(client_id)
    assert case is not None and case.counselor_id == site.counselors["sara"].id
    job = sara.post(f"/dashboard/clients/{client_id}/job", data={
        "csrf": csrf, "started_on": "2031-01-06", "contract": "interim",
        "employer": "Randstad - Barco"})
    assert job.status_code == 303
    with site.werkmaat.database() as uow:
        case = uow.cases.current_for(client_id)
        jobs = uow.jobs.for_client(client_id)
    assert case is not None and case.status.value == "nazorg" and jobs[0].employer == \
        "Randstad - Barco"
    page = sara.get(f"/dashboard/clients/{client_id}")
    assert "Randstad - Barco" in page.text
    assert sara.post(f"/dashboard/clients/{client_id}/close",
                     data={"csrf": csrf, "outcome": "made up"}).status_code == 303
    closed = sara.post(f"/dashboard/clients/{client_id}/close",
                       data={"csrf": csrf, "outcome": "lasting_job"})
    assert closed.status_code == 303
    with site.werkmaat.database() as uow:
        case = uow.cases.current_for(client_id)
    assert case is not None and case.status.value == "closed"
    assert case.outcome is not None and case.outcome.value == "lasting_job"
    sara.post(f"/dashboard/clients/{client_id}/reopen", data={"csrf": csrf})
    with site.werkmaat.database() as uow:
        case = uow.cases.current_for(client_id)
    assert case is not None and case.status.value == "active"
