"""Appointments, durable scheduled messages and the send-pacing book, on every store."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from storage import UnitOfWorkFactory
from storage.records import (
    AppointmentKind,
    AppointmentMode,
    AppointmentRecord,
    AppointmentStatus,
    ScheduledKind,
    ScheduledMessageRecord,
    ScheduledStatus,
    WebMessageRecord,
)
from storage.send_slots import Limit, MemorySendSlots
from storage.sql import Database
from storage.sql.send_slots import SqlSendSlots
from tests.storage.test_repository_contract import NOW


def _client_and_appointment(store: UnitOfWorkFactory) -> tuple[int, int]:
    with store() as uow:
        client = uow.clients.add("telegram", "501", "tr", NOW)
        appointment = uow.appointments.add(AppointmentRecord(
            client_id=client.id, starts_at=NOW + timedelta(days=2), created_at=NOW,
            kind=AppointmentKind.INTAKE, mode=AppointmentMode.PHONE, location="Stadskantoor"))
        uow.commit()
    return client.id, appointment.id


def _message(client_id: int, appointment_id: int, key: str, due_in: timedelta
             ) -> ScheduledMessageRecord:
    return ScheduledMessageRecord(key=key, client_id=client_id,
                                  kind=ScheduledKind.APPOINTMENT_REMINDER, due_at=NOW + due_in,
                                  created_at=NOW, appointment_id=appointment_id,
                                  details={"version": 1, "before_minutes": 120})


def test_appointments_round_trip(store):
    client_id, appointment_id = _client_and_appointment(store)
    with store() as uow:
        appointment = uow.appointments.get(appointment_id)
        assert appointment.kind == AppointmentKind.INTAKE
        assert appointment.mode == AppointmentMode.PHONE
        assert appointment.starts_at == NOW + timedelta(days=2)
        appointment.status, appointment.version = AppointmentStatus.CONFIRMED, 2
        appointment.proposed_at = NOW + timedelta(days=3)
        uow.appointments.save(appointment)
        uow.commit()
    with store() as uow:
        [found] = uow.appointments.for_client(client_id)
        assert (found.status, found.version, found.proposed_at) == (
            AppointmentStatus.CONFIRMED, 2, NOW + timedelta(days=3))
        assert [a.id for a in uow.appointments.between(NOW, NOW + timedelta(days=3))] == [
            appointment_id]
        assert uow.appointments.between(NOW, NOW + timedelta(days=1)) == []


def test_scheduling_twice_under_one_key_keeps_one_row(store):
    client_id, appointment_id = _client_and_appointment(store)
    with store() as uow:
        first = uow.schedule.add(_message(client_id, appointment_id, "appt:1:v1:r", timedelta()))
        again = uow.schedule.add(_message(client_id, appointment_id, "appt:1:v1:r",
                                          timedelta(hours=5)))
        uow.commit()
    assert again.id == first.id and again.due_at == first.due_at
    with store() as uow:
        assert len(uow.schedule.for_appointment(appointment_id)) == 1
        assert uow.schedule.for_appointment(appointment_id)[0].details["before_minutes"] == 120


def test_due_rows_are_claimed_once_and_finished_by_their_owner(store):
    client_id, appointment_id = _client_and_appointment(store)
    with store() as uow:
        due = uow.schedule.add(_message(client_id, appointment_id, "a", timedelta(minutes=-1)))
        later = uow.schedule.add(_message(client_id, appointment_id, "b", timedelta(hours=1)))
        uow.commit()
    with store() as uow:
        [claimed] = uow.schedule.claim_due(NOW, "worker-1", 60, 10)
        uow.commit()
    assert claimed.id == due.id and claimed.status == ScheduledStatus.CLAIMED
    assert claimed.attempts == 1 and claimed.lease_owner.startswith("worker-1")
    with store() as uow:
        assert uow.schedule.claim_due(NOW, "worker-2", 60, 10) == []  # held by worker-1
        assert uow.schedule.next_due() == later.due_at
        assert not uow.schedule.finish(claimed.id, "worker-2/x", ScheduledStatus.SENT, NOW)
        assert uow.schedule.finish(claimed.id, claimed.lease_owner, ScheduledStatus.SENT, NOW)
        uow.commit()
    with store() as uow:
        assert uow.schedule.get(due.id).status == ScheduledStatus.SENT
        assert uow.schedule.claim_due(NOW + timedelta(hours=2), "w", 60, 10)[0].id == later.id
        assert uow.schedule.counts() == {ScheduledStatus.SENT: 1, ScheduledStatus.CLAIMED: 1}


def test_an_expired_lease_is_taken_over_and_the_old_owner_cannot_finish(store):
    client_id, appointment_id = _client_and_appointment(store)
    with store() as uow:
        uow.schedule.add(_message(client_id, appointment_id, "a", timedelta()))
        uow.commit()
    with store() as uow:
        [first] = uow.schedule.claim_due(NOW, "crashed", 30, 10)
        uow.commit()
    with store() as uow:
        assert uow.schedule.claim_due(NOW + timedelta(seconds=29), "w2", 30, 10) == []
        [second] = uow.schedule.claim_due(NOW + timedelta(seconds=31), "w2", 30, 10)
        uow.commit()
    assert second.id == first.id and second.attempts == 2
    with store() as uow:
        assert not uow.schedule.finish(first.id, first.lease_owner, ScheduledStatus.SENT, NOW)
        assert uow.schedule.retry_later(second.id, second.lease_owner,
                                        NOW + timedelta(minutes=5), "429")
        uow.commit()
    with store() as uow:
        again = uow.schedule.get(first.id)
        assert again.status == ScheduledStatus.PENDING and again.error == "429"
        assert again.due_at == NOW + timedelta(minutes=5)


def test_cancel_pending_leaves_finished_rows_alone(store):
    client_id, appointment_id = _client_and_appointment(store)
    with store() as uow:
        sent = uow.schedule.add(_message(client_id, appointment_id, "a", timedelta()))
        uow.schedule.add(_message(client_id, appointment_id, "b", timedelta(hours=1)))
        uow.schedule.add(_message(client_id, appointment_id, "c", timedelta(hours=2)))
        uow.commit()
    with store() as uow:
        [claimed] = uow.schedule.claim_due(NOW, "w", 60, 1)
        uow.schedule.finish(claimed.id, claimed.lease_owner, ScheduledStatus.SENT, NOW)
        uow.commit()
    with store() as uow:
        assert uow.schedule.cancel_pending(appointment_id, NOW) == 2
        uow.commit()
    with store() as uow:
        statuses = {r.key: r.status for r in uow.schedule.for_appointment(appointment_id)}
        assert statuses == {"a": ScheduledStatus.SENT, "b": ScheduledStatus.CANCELLED,
                            "c": ScheduledStatus.CANCELLED}
        assert sent.id in [r.id for r in uow.schedule.for_client(client_id)]
        assert uow.schedule.next_due() is None


def test_web_outbox_keeps_buttons(store):
    with store() as uow:
        uow.web_outbox.add(WebMessageRecord("tok", "⏰", "tr", False, NOW,
                                            buttons=((("✅ Geliyorum", "appt:yes:1:1"),),)))
        uow.commit()
    with store() as uow:
        [message] = uow.web_outbox.after("tok", 0)
        assert message.buttons == ((("✅ Geliyorum", "appt:yes:1:1"),),)


def _slots(store: UnitOfWorkFactory):
    return SqlSendSlots(store.engine) if isinstance(store, Database) else MemorySendSlots()


def test_send_slots_space_messages_under_every_limit(store):
    slots = _slots(store)
    everyone, chat = Limit("all", 0.1), Limit("chat:1", 1.0)
    moments = [slots.reserve([everyone, chat], 1000.0) for _ in range(3)]
    assert moments == [1000.0, 1001.0, 1002.0]  # one a second into one chat
    others = [slots.reserve([everyone, Limit(f"chat:{n}", 1.0)], 1000.0) for n in range(2, 5)]
    assert others == pytest.approx([1002.1, 1002.2, 1002.3])  # after the booked global slots
    burst = Limit("chat:9", 1.0, burst=3)
    assert [slots.reserve([burst], 2000.0) for _ in range(4)] == [2000.0, 2000.0, 2000.0,
                                                                 2001.0]


def test_send_slots_never_double_book_under_concurrency(store):
    slots = _slots(store)
    booked: list[float] = []
    lock = threading.Lock()

    def book() -> None:
        for _ in range(15):
            moment = slots.reserve([Limit("all", 0.05)], 5000.0)
            with lock:
                booked.append(moment)

    threads = [threading.Thread(target=book) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    booked.sort()
    assert len(booked) == 60
    assert all(b - a >= 0.05 - 1e-9 for a, b in zip(booked, booked[1:], strict=False))


def test_jobs_check_ins_and_case_changes_round_trip(store):
    from datetime import date

    from storage.records import (
        CaseOutcome,
        CaseRecord,
        CaseStatus,
        CheckinAnswer,
        CheckinRecord,
        ContractType,
        JobRecord,
    )

    with store() as uow:
        client = uow.clients.add("telegram", "77", "so", NOW)
        case = uow.cases.add(CaseRecord(client_id=client.id, opened_at=NOW))
        job = uow.jobs.add(JobRecord(client_id=client.id, case_id=case.id,
                                     started_on=date(2026, 11, 30),
                                     contract=ContractType.INTERIM, created_at=NOW,
                                     employer="Randstad - Barco"))
        checkin = uow.checkins.add(CheckinRecord(job.id, client.id, 1, NOW))
        uow.commit()
    with store() as uow:
        [found] = uow.jobs.for_client(client.id)
        assert found.active and found.contract == ContractType.INTERIM
        assert found.started_on == date(2026, 11, 30) and found.employer == "Randstad - Barco"
        found.ended_at, found.end_reason, found.paused = NOW, "lost", True
        uow.jobs.save(found)
        checkin.answer, checkin.problem, checkin.note = (CheckinAnswer.PROBLEM, "transport",
                                                         "geen bus")
        checkin.answered_at = NOW
        uow.checkins.save(checkin)
        case.status, case.outcome, case.closed_at = (CaseStatus.CLOSED,
                                                     CaseOutcome.LASTING_JOB, NOW)
        uow.cases.save(case)
        uow.commit()
    with store() as uow:
        job = uow.jobs.get(job.id)
        assert not job.active and job.paused and job.end_reason == "lost"
        [saved] = uow.checkins.for_job(job.id)
        assert (saved.answer, saved.problem, saved.note) == (CheckinAnswer.PROBLEM,
                                                             "transport", "geen bus")
        closed = uow.cases.get(case.id)
        assert (closed.status, closed.outcome, closed.closed_at) == (
            CaseStatus.CLOSED, CaseOutcome.LASTING_JOB, NOW)


def test_cancel_by_key_prefix_touches_only_that_prefix(store):
    client_id, _appointment_id = _client_and_appointment(store)
    with store() as uow:
        for key in ("job:1:checkin:1", "job:1:silence:1", "job:12:checkin:1", "job:1_x"):
            uow.schedule.add(ScheduledMessageRecord(
                key=key, client_id=client_id, kind=ScheduledKind.NAZORG_CHECKIN,
                due_at=NOW + timedelta(days=1), created_at=NOW, details={"job": 1}))
        uow.commit()
    with store() as uow:
        assert uow.schedule.cancel_pending_keys("job:1:", NOW) == 2
        uow.commit()
    with store() as uow:
        statuses = {r.key: r.status for r in uow.schedule.for_client(client_id)}
    assert statuses == {"job:1:checkin:1": ScheduledStatus.CANCELLED,
                        "job:1:silence:1": ScheduledStatus.CANCELLED,
                        "job:12:checkin:1": ScheduledStatus.PENDING,
                        "job:1_x": ScheduledStatus.PENDING}


@pytest.mark.postgres
def test_a_claim_never_takes_more_than_its_limit_with_production_statistics(postgres_url):
    """Measured: with mostly sent rows and fresh statistics, PostgreSQL ran
    `UPDATE … WHERE id IN (SELECT … LIMIT 50 FOR UPDATE SKIP LOCKED)` as a semi-join that
    re-ran the LIMIT per row and claimed hundreds of rows at once."""
    from sqlalchemy import insert, text

    from storage.sql import models as m

    database = Database(postgres_url)
    database.upgrade()
    with database.engine.begin() as conn:
        conn.execute(insert(m.Client), [{
            "id": 1, "first_name": "", "contact": "", "language": "nl", "status": "registered",
            "consent": "granted", "reachable": True, "created_at": NOW, "last_seen_at": NOW}])
        rows = [{"key": f"k{i}", "client_id": 1, "kind": "appointment_reminder",
                 "due_at": NOW - timedelta(seconds=1), "details": {}, "status": "sent",
                 "attempts": 0, "lease_owner": "", "error": "", "created_at": NOW}
                for i in range(23_000)]
        conn.execute(insert(m.ScheduledMessage), rows[:20_000])
        conn.execute(text("ANALYZE scheduled_messages"))  # statistics: everything was sent
        conn.execute(insert(m.ScheduledMessage), [{**row, "status": "pending"}
                                                  for row in rows[20_000:]])
    sizes = []
    for worker in range(3):
        with database() as uow:
            sizes.append(len(uow.schedule.claim_due(NOW, f"w{worker}", 60, 50)))
            uow.commit()
    database.dispose()
    assert sizes == [50, 50, 50]
