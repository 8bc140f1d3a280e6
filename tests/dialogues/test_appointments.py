"""Appointments end to end through the real engine, dispatcher and catalogs, on a test clock.

A counselor plans; the client gets the notice and the reminders at the right local times in
their language; answers by button or in their own words reach the counselor; a move cancels
the old reminders; a crash between claiming and sending loses nothing and doubles nothing.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from dialogues.appointments import Actor, AppointmentBook, AppointmentDetails
from dialogues.channel import CollectingChannel
from dialogues.dispatcher import Dispatcher, DispatchStats
from dialogues.messages import ChannelName, ClientKey, CounselorAlert, Relay
from dialogues.settings import DialogueSettings
from dialogues.state import Step
from storage.memory import MemoryStore
from storage.records import (
    AppointmentKind,
    AppointmentStatus,
    CaseRecord,
    ClientStatus,
    ConsentState,
    CounselorRecord,
    CounselorRole,
    ScheduledStatus,
    StateRecord,
    TaskKind,
)
from storage.repositories import UnitOfWorkFactory
from storage.sql import Database
from tests.transcript import Conversation, forge, make_engine, press, say

BXL = ZoneInfo("Europe/Brussels")
COUNSELOR = Actor("counselor:1", "Sara", 1)


class Clock:
    """A clock the test sets; every call moves it a second, as time passes in a turn."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now

    def set(self, *args: int) -> None:
        self.now = datetime(*args, tzinfo=BXL)  # type: ignore[misc]


class Sink:
    """The counselors' side: alerts collected."""

    def __init__(self) -> None:
        self.alerts: list[CounselorAlert] = []

    async def alert(self, alert: CounselorAlert) -> None:
        self.alerts.append(alert)

    async def relay(self, relay: Relay, client: ClientKey) -> None:
        pass


def register(store: UnitOfWorkFactory, external_id: str, language: str, name: str) -> int:
    with store() as uow:
        if not uow.counselors.all():
            uow.counselors.add(CounselorRecord("Sara Peeters", CounselorRole.COUNSELOR,
                                               datetime(2026, 11, 1, tzinfo=UTC), 777_001))
        client = uow.clients.add("telegram", external_id, language, datetime(2026, 11, 2,
                                                                                tzinfo=UTC))
        client.first_name, client.status = name, ClientStatus.REGISTERED
        client.consent = ConsentState.GRANTED
        uow.clients.save(client)
        uow.cases.add(CaseRecord(client_id=client.id, opened_at=client.created_at))
        uow.states.save(client.id, StateRecord(Step.REGISTERED.value, {}, client.created_at))
        uow.commit()
    return client.id


class World:
    def __init__(self, store: UnitOfWorkFactory, nlu, language: str = "tr") -> None:
        self.store = store
        self.clock = Clock(datetime(2026, 11, 23, 10, 0, tzinfo=BXL))  # a Monday
        self.settings = DialogueSettings()
        self.client_id = register(store, "9001", language, "Emre")
        self.book = AppointmentBook(store, self.settings, self.clock)
        self.channel = CollectingChannel()
        self.sink = Sink()
        self.chat = Conversation(make_engine(store, nlu, self.clock))  # type: ignore[arg-type]
        self.chat.key = ClientKey(ChannelName.TELEGRAM, "9001")

    def dispatcher(self, owner: str = "worker-1") -> Dispatcher:
        return Dispatcher(self.store, self.settings, {ChannelName.TELEGRAM: self.channel},
                          self.sink, self.clock, owner)

    def dispatch(self, *at: int) -> list[str]:
        """Move the clock, run the dispatcher, return the texts the client got."""
        if at:
            self.clock.set(*at)
        before = len(self.channel.sent)
        asyncio.run(self.dispatcher().run_until_idle())
        return [m.text for _, m in self.channel.sent[before:]]

    def plan(self, *at: int, where: str = "Stadskantoor Kortrijk") -> int:
        outcome = self.book.plan(self.client_id, AppointmentDetails(
            datetime(*at, tzinfo=BXL), AppointmentKind.INTAKE, location=where),  # type: ignore[misc]
            COUNSELOR)
        assert outcome.ok, outcome.note
        assert outcome.appointment is not None
        return outcome.appointment.id

    def appointment(self, appointment_id: int):
        with self.store() as uow:
            return uow.appointments.get(appointment_id)

    def tasks(self, kind: TaskKind) -> list[str]:
        with self.store() as uow:
            return [t.summary for t in uow.tasks.open(limit=1000) if t.kind == kind]


@pytest.fixture
def world(nlu) -> World:
    return World(MemoryStore(), nlu)


def test_notice_and_reminders_arrive_at_their_local_times_in_turkish(world):
    appointment_id = world.plan(2026, 11, 26, 14, 0)  # Thursday 14:00
    [notice] = world.dispatch()
    assert "26 Kasım 2026 Perşembe" in notice and "14:00" in notice
    assert "Stadskantoor Kortrijk" in notice
    [(_, message)] = world.channel.sent
    assert message.language == "tr" and message.calendar is not None
    assert message.calendar.starts_at == datetime(2026, 11, 26, 14, 0, tzinfo=BXL)
    assert [b.payload for b in message.flat_buttons] == [
        f"appt:yes:{appointment_id}:1", f"appt:no:{appointment_id}:1",
        f"appt:other:{appointment_id}:1"]
    assert world.dispatch(2026, 11, 25, 13, 59) == []
    [day_before] = world.dispatch(2026, 11, 25, 14, 0)
    assert "⏰" in day_before and "14:00" in day_before
    assert world.dispatch(2026, 11, 26, 11, 59) == []
    [two_hours] = world.dispatch(2026, 11, 26, 12, 0)
    assert "⏰" in two_hours
    assert world.dispatch(2026, 11, 26, 14, 0) == []  # the start: the counselor hears
    assert len(world.tasks(TaskKind.APPOINTMENT_NO_ANSWER)) == 1
    assert world.dispatch(2026, 11, 26, 15, 0) == []  # the end: attended or no-show?
    [outcome] = world.tasks(TaskKind.APPOINTMENT_OUTCOME)
    assert "Emre" in outcome and "Was de cliënt er?" in outcome
    alert = world.sink.alerts[-1]
    assert [b.payload for b in alert.actions] == [f"desk:appt:attended:{appointment_id}:1",
                                                   f"desk:appt:noshow:{appointment_id}:1"]
    assert world.book.mark(appointment_id, False, COUNSELOR).ok
    assert world.appointment(appointment_id).status == AppointmentStatus.NO_SHOW


def test_pressing_i_will_come_confirms_and_the_counselor_hears(world):
    appointment_id = world.plan(2026, 11, 26, 14, 0)
    world.dispatch()
    world.chat.last = [m for _, m in world.channel.sent]
    world.chat.run(press(f"appt:yes:{appointment_id}:1", "14:00"))
    assert world.appointment(appointment_id).status == AppointmentStatus.CONFIRMED
    [task] = world.tasks(TaskKind.APPOINTMENT_ANSWER)
    assert "Emre komt naar de afspraak" in task
    [reminder] = world.dispatch(2026, 11, 25, 14, 0)
    assert "⏰" in reminder
    world.dispatch(2026, 11, 26, 14, 0)
    assert world.tasks(TaskKind.APPOINTMENT_NO_ANSWER) == []  # they answered


def test_i_cannot_come_then_another_time_by_free_text(world):
    appointment_id = world.plan(2026, 11, 26, 14, 0)
    world.dispatch()
    world.chat.last = [m for _, m in world.channel.sent]
    world.chat.run(press(f"appt:no:{appointment_id}:1"))
    assert world.appointment(appointment_id).status == AppointmentStatus.CANCEL_REQUESTED
    world.chat.run(press(f"appt:other:{appointment_id}:1"),
                   say("cuma saat 10"))
    appointment = world.appointment(appointment_id)
    assert appointment.status == AppointmentStatus.RESCHEDULE_REQUESTED
    assert appointment.proposed_at == datetime(2026, 11, 27, 10, 0, tzinfo=BXL)
    tasks = world.tasks(TaskKind.APPOINTMENT_ANSWER)
    assert any("kan niet komen" in t for t in tasks)
    assert any("vrijdag 27 november 2026" in t for t in tasks)


def test_turkish_can_we_do_thursday_instead_then_the_counselor_moves_it(world):
    """The issue's scenario: the old reminders never arrive, the new ones do."""
    appointment_id = world.plan(2026, 11, 25, 14, 0)  # Wednesday 14:00
    world.dispatch()
    reply = world.chat.do(say("Randevuyu perşembeye alabilir miyiz?"))
    appointment = world.appointment(appointment_id)
    assert appointment.proposed_at == datetime(2026, 11, 26, 14, 0, tzinfo=BXL)
    [task] = world.tasks(TaskKind.APPOINTMENT_ANSWER)
    assert "donderdag 26 november 2026" in task
    [accept] = [a for a in reply.alerts if a.actions]
    assert accept.actions[0].payload == f"desk:appt:accept:{appointment_id}:1"
    moved = world.book.accept_proposal(appointment_id, 1, COUNSELOR)
    assert moved.ok and moved.appointment.version == 2
    [notice] = world.dispatch(2026, 11, 23, 10, 30)
    assert "26 Kasım 2026 Perşembe" in notice
    assert world.dispatch(2026, 11, 24, 14, 0) == []  # the old day-before reminder: never
    assert world.dispatch(2026, 11, 25, 12, 0) == []  # the old two-hour reminder: never
    [new_day_before] = world.dispatch(2026, 11, 25, 14, 0)
    assert "26 Kasım 2026 Perşembe" in new_day_before
    [new_two_hours] = world.dispatch(2026, 11, 26, 12, 0)
    assert "⏰" in new_two_hours
    with world.store() as uow:
        statuses = [r.status for r in uow.schedule.for_appointment(appointment_id)]
    assert statuses.count(ScheduledStatus.CANCELLED) == 4  # v1: 2 reminders, start, end
    # a button under the old notice answers with the new time
    world.chat.run(forge(f"appt:yes:{appointment_id}:1", "26 Kasım 2026 Perşembe"))
    assert world.appointment(appointment_id).status == AppointmentStatus.PLANNED


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def sql_world(request, tmp_path, nlu):
    url = (f"sqlite:///{tmp_path / 'werkmaat.db'}" if request.param == "sqlite"
           else request.getfixturevalue("postgres_url"))
    database = Database(url)
    database.upgrade()
    yield World(database, nlu)
    database.dispose()


def test_a_crash_between_claim_and_send_loses_nothing_and_doubles_nothing(sql_world):
    world = sql_world
    world.plan(2026, 11, 26, 14, 0)
    crashed = world.dispatcher("crashed-worker")
    with world.store() as uow:  # it claimed the notice, then the process was killed
        [claimed] = uow.schedule.claim_due(world.clock(), crashed.owner, 60, 10)
        uow.commit()
    assert world.dispatch() == []  # the lease still holds: nobody else sends it
    [notice] = world.dispatch(2026, 11, 23, 10, 2)  # the lease ran out: taken over, once
    assert "Kasım" in notice
    assert world.dispatch(2026, 11, 23, 10, 5) == []
    with world.store() as uow:
        row = uow.schedule.get(claimed.id)
        assert row.status == ScheduledStatus.SENT and row.attempts == 2
    # a new process (a new dispatcher, engine and book over the same database) goes on
    assert len(world.dispatch(2026, 11, 25, 14, 0)) == 1
    assert len(world.dispatch(2026, 11, 26, 12, 0)) == 1
    assert len(world.channel.sent) == 3


def test_a_counselor_cancels_and_the_client_hears_once_and_no_more_reminders(world):
    appointment_id = world.plan(2026, 11, 26, 14, 0)
    world.dispatch()
    outcome = world.book.cancel(appointment_id, COUNSELOR)
    assert outcome.ok and "geannuleerd" in outcome.note
    [cancelled] = world.dispatch()
    assert "26 Kasım 2026" in cancelled
    assert world.dispatch(2026, 11, 25, 14, 0) == []
    assert world.dispatch(2026, 11, 26, 15, 0) == []
    assert world.tasks(TaskKind.APPOINTMENT_OUTCOME) == []
    assert not world.book.cancel(appointment_id, COUNSELOR).ok  # twice: refused politely


def test_planned_late_in_the_evening_the_notice_waits_for_the_morning(world):
    world.clock.set(2026, 11, 23, 22, 15)
    world.plan(2026, 11, 26, 9, 0)
    assert world.dispatch() == []
    assert world.dispatch(2026, 11, 24, 7, 59) == []
    [notice] = world.dispatch(2026, 11, 24, 8, 0)
    assert "Kasım" in notice
    [day_before] = world.dispatch(2026, 11, 25, 9, 0)
    assert "⏰" in day_before
    # 2 h before 09:00 is 07:00, at night: it goes at 20:30 the evening before
    assert world.dispatch(2026, 11, 25, 20, 29) == []
    [evening] = world.dispatch(2026, 11, 25, 20, 30)
    assert "⏰" in evening
    assert world.dispatch(2026, 11, 26, 7, 0) == []


def test_a_client_who_blocked_the_bot_gets_no_more_reminders(world):
    world.plan(2026, 11, 26, 14, 0)

    class Blocked(CollectingChannel):
        async def send(self, to, message) -> bool:
            with world.store() as uow:  # what the Telegram adapter does on 403
                client = uow.clients.get(world.client_id)
                client.reachable = False
                uow.clients.save(client)
                uow.commit()
            return False

    world.channel = Blocked()
    stats = asyncio.run(world.dispatcher().run_until_idle())
    assert stats.skipped == 1 and stats.sent == 0 and world.channel.sent == []
    assert world.dispatch(2026, 11, 25, 14, 0) == []
    with world.store() as uow:
        skipped = [r for r in uow.schedule.for_client(world.client_id)
                   if r.status == ScheduledStatus.SKIPPED]
    assert len(skipped) == 2 and "blocked" in skipped[-1].error


def test_a_channel_that_keeps_failing_is_retried_then_a_counselor_is_told(world):
    world.plan(2026, 11, 30, 14, 0)

    class Down(CollectingChannel):
        async def send(self, to, message) -> bool:
            return False

    world.channel = Down()
    total = DispatchStats()
    for minutes in range(0, 24 * 60, 10):
        world.clock.now = datetime(2026, 11, 23, 10, 0, tzinfo=BXL) + timedelta(minutes=minutes)
        total.add(asyncio.run(world.dispatcher().run_until_idle()))
    assert total.failed == 1 and total.retried == 5 and total.sent == 0
    [task] = world.tasks(TaskKind.MESSAGE_UNDELIVERED)
    assert "Emre" in task and "6 pogingen" in task


@pytest.mark.parametrize(("language", "text", "status", "expect"), [
    ("nl", "ik kan morgen niet komen", AppointmentStatus.CANCEL_REQUESTED, "begeleider"),
    ("en", "can we do Friday at 10", AppointmentStatus.RESCHEDULE_REQUESTED, "Friday"),
    ("nl", "ik zal er zijn", AppointmentStatus.CONFIRMED, "Fijn"),
    ("nl", "wanneer is mijn afspraak", AppointmentStatus.PLANNED, "dinsdag 24 november"),
])
def test_free_text_about_the_next_appointment(nlu, language, text, status, expect):
    world = World(MemoryStore(), nlu, language)
    appointment_id = world.plan(2026, 11, 24, 14, 0)  # tomorrow
    world.dispatch()
    world.chat.run(say(text, expect))
    assert world.appointment(appointment_id).status == status


def test_free_text_without_an_appointment_still_reaches_the_counselor(nlu):
    world = World(MemoryStore(), nlu, "nl")
    world.chat.run(say("wanneer is mijn afspraak", "geen afspraak"))
    world.chat.run(say("kan het vrijdag om 10u", "vrijdag 27 november"))
    assert any("vrijdag 27 november" in t for t in world.tasks(TaskKind.CLIENT_QUESTION))


def test_asking_for_another_time_twice_without_a_time_goes_to_the_counselor(world):
    appointment_id = world.plan(2026, 11, 26, 14, 0)
    world.dispatch()
    world.chat.run(forge(f"appt:other:{appointment_id}:1"),
                   say("bilmiyorum"), say("bilmiyorum ki"))
    assert world.appointment(appointment_id).status == AppointmentStatus.RESCHEDULE_REQUESTED
    assert any("bilmiyorum ki" in t for t in world.tasks(TaskKind.APPOINTMENT_ANSWER))
    with world.store() as uow:
        assert uow.states.load(world.client_id).step == Step.REGISTERED.value


def test_buttons_for_someone_elses_appointment_are_refused(world):
    appointment_id = world.plan(2026, 11, 26, 14, 0)
    other = Conversation(world.chat.engine, ClientKey(ChannelName.TELEGRAM, "4242"))
    other.run(forge(f"appt:no:{appointment_id}:1"))
    assert world.appointment(appointment_id).status == AppointmentStatus.PLANNED


def test_planning_in_the_past_is_refused(world):
    outcome = world.book.plan(world.client_id, AppointmentDetails(
        datetime(2026, 11, 20, 10, tzinfo=BXL)), COUNSELOR)
    assert not outcome.ok and "voorbij" in outcome.note


def test_the_dispatcher_counts_what_it_did(world):
    """Sent rows are counted as sent, not as lost leases (an empty list of alerts is no
    failure)."""
    world.plan(2026, 11, 26, 14, 0)
    stats = asyncio.run(world.dispatcher().run_until_idle())
    assert (stats.claimed, stats.sent, stats.skipped, stats.lost_lease) == (1, 1, 0, 0)
    world.clock.set(2026, 11, 26, 14, 0)
    stats = asyncio.run(world.dispatcher().run_until_idle())  # two reminders and the start
    assert (stats.sent, stats.skipped, stats.lost_lease) == (3, 0, 0)
