"""Nazorg through the real engine, dispatcher and catalogs, on a controlled clock."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from dialogues.nazorg import Aftercare
from dialogues.nazorg_commands import AftercareCommands, parse_job
from storage.memory import MemoryStore
from storage.records import (
    CaseStatus,
    CheckinAnswer,
    ContractType,
    EscalationStatus,
    ScheduledKind,
    ScheduledStatus,
    TaskKind,
)
from tests.dialogues.test_appointments import BXL, COUNSELOR, World
from tests.transcript import forge, press, say

MONDAY = date(2026, 11, 30)


class AftercareWorld(World):
    def __init__(self, nlu, language: str) -> None:
        super().__init__(MemoryStore(), nlu, language)
        self.aftercare = Aftercare(self.store, self.settings, self.clock)
        self.commands = AftercareCommands(self.aftercare, self.clock)

    def start(self, contract: ContractType = ContractType.INTERIM,
              employer: str = "Randstad - Barco") -> int:
        outcome = self.aftercare.start_job(self.client_id, MONDAY, contract, employer,
                                           COUNSELOR)
        assert outcome.ok, outcome.note
        assert outcome.job is not None
        return outcome.job.id

    def checkin_times(self) -> list[str]:
        with self.store() as uow:
            rows = uow.schedule.for_client(self.client_id)
        return [r.due_at.astimezone(BXL).strftime("%d/%m %H:%M") for r in rows
                if r.kind == ScheduledKind.NAZORG_CHECKIN and r.status == ScheduledStatus.PENDING]

    def case_status(self) -> CaseStatus:
        with self.store() as uow:
            case = uow.cases.current_for(self.client_id)
            assert case is not None
            return case.status

    def escalations(self) -> list[str]:
        with self.store() as uow:
            return [e.summary for e in uow.escalations.active()]


@pytest.fixture
def somali(nlu) -> AftercareWorld:
    return AftercareWorld(nlu, "so")


def test_the_schedule_follows_the_contract_type(nlu):
    world = AftercareWorld(nlu, "nl")
    world.start(ContractType.INTERIM)
    assert world.checkin_times() == ["02/12 10:00", "07/12 10:00", "14/12 10:00",
                                     "30/12 10:00", "29/01 10:00", "28/02 10:00"]
    assert world.case_status() == CaseStatus.NAZORG
    world.start(ContractType.PERMANENT)  # a new job replaces the old one's check-ins
    assert world.checkin_times() == ["07/12 10:00", "30/12 10:00", "28/02 10:00",
                                     "29/05 10:00"]


def test_the_issue_scenario_in_somali(somali):
    """Interim job; check-ins at the planned times in Somali; the third answered "problems →
    transport"; the counselor gets the escalation; closed as a lasting job, nothing more."""
    world = somali
    job_id = world.start()
    assert world.dispatch(2026, 12, 2, 9, 59) == []
    [first] = world.dispatch(2026, 12, 2, 10, 0)
    [(_, message)] = world.channel.sent[-1:]
    assert message.language == "so" and first != "👋 Hoe gaat het op je werk bij Randstad - Barco?"
    assert "Randstad - Barco" in first
    assert [b.payload for b in message.flat_buttons] == [
        f"nz:good:{job_id}:1", f"nz:soso:{job_id}:1", f"nz:problem:{job_id}:1"]
    world.chat.run(forge(f"nz:good:{job_id}:1"))
    [second] = world.dispatch(2026, 12, 7, 10, 0)
    world.chat.run(forge(f"nz:good:{job_id}:2"))
    [third] = world.dispatch(2026, 12, 14, 10, 0)
    world.chat.last = [world.channel.sent[-1][1]]
    world.chat.run(press(f"nz:problem:{job_id}:3"), press("nz:kind:transport"),
                   say("Baska subaxdii ma jiro"))
    [summary] = world.escalations()
    assert "check-in 3" in summary and "vervoer" in summary and "Emre" in summary
    assert "Baska subaxdii ma jiro" in summary and "interimwerk" in summary
    with world.store() as uow:
        answers = [(c.number, c.answer, c.problem) for c in uow.checkins.for_job(job_id)]
    assert answers == [(1, CheckinAnswer.GOOD, ""), (2, CheckinAnswer.GOOD, ""),
                       (3, CheckinAnswer.PROBLEM, "transport")]
    closed = world.commands.handle(world.client_id, COUNSELOR, "afsluiten", "duurzaam")
    assert closed.ok and "duurzaam werk" in closed.note
    assert world.case_status() == CaseStatus.CLOSED
    for month in (12, 1, 2, 3):
        year = 2026 if month == 12 else 2027
        assert world.dispatch(year, month, 28, 12, 0) == []
    assert world.checkin_times() == []


def test_good_gets_a_warm_reply_and_nothing_more(nlu):
    world = AftercareWorld(nlu, "nl")
    job_id = world.start()
    world.dispatch(2026, 12, 2, 10, 0)
    world.chat.run(forge(f"nz:good:{job_id}:1", "Fijn om te horen"))
    assert world.escalations() == [] and world.tasks(TaskKind.CONTACT_REQUEST) == []


def test_so_so_offers_the_counselor(nlu):
    world = AftercareWorld(nlu, "nl")
    job_id = world.start()
    world.dispatch(2026, 12, 2, 10, 0)
    world.chat.run(forge(f"nz:soso:{job_id}:1", "praten met je begeleider"),
                   press("nz:fine", "Schrijf me gerust"))
    assert world.escalations() == []
    world.chat.run(forge(f"nz:soso:{job_id}:1"), press("nz:talk", "begeleider"))
    assert "matig" in world.escalations()[0]


def test_two_check_ins_without_an_answer_stop_the_nudges_until_the_counselor_decides(nlu):
    world = AftercareWorld(nlu, "nl")
    world.start()
    assert len(world.dispatch(2026, 12, 2, 10, 0)) == 1
    assert world.dispatch(2026, 12, 5, 10, 0) == []  # one unanswered: not yet a signal
    assert world.tasks(TaskKind.NAZORG_SILENCE) == []
    assert len(world.dispatch(2026, 12, 7, 10, 0)) == 1
    assert world.dispatch(2026, 12, 10, 10, 0) == []
    [silence] = world.tasks(TaskKind.NAZORG_SILENCE)
    assert "laatste twee" in silence and "Emre" in silence
    assert world.dispatch(2026, 12, 14, 10, 0) == []  # paused: no more automatic nudges
    assert "Gepauzeerd" in world.commands.handle(world.client_id, COUNSELOR, "nazorg", "").note
    resumed = world.commands.handle(world.client_id, COUNSELOR, "nazorg", "hervat")
    assert resumed.ok and "nog 3 check-ins" in resumed.note
    assert len(world.dispatch(2026, 12, 30, 10, 0)) == 1


@pytest.mark.parametrize("how", ["button", "free text"])
def test_a_lost_job_goes_back_to_active_guidance_and_the_counselor_hears(nlu, how):
    world = AftercareWorld(nlu, "nl")
    job_id = world.start()
    world.dispatch(2026, 12, 2, 10, 0)
    if how == "button":
        world.chat.run(forge(f"nz:problem:{job_id}:1", "Waar gaat het over?"),
                       press("nz:kind:ended", "job gestopt"))
    else:
        world.chat.run(say("mijn contract is gestopt", "job gestopt"))
    assert world.case_status() == CaseStatus.ACTIVE
    [summary] = world.escalations()
    assert "gestopt" in summary and "actieve begeleiding" in summary
    assert world.checkin_times() == []
    with world.store() as uow:
        assert not uow.jobs.get(job_id).active
        assert uow.escalations.active()[0].status == EscalationStatus.OPEN


def test_free_text_about_work_without_a_job_still_reaches_a_person(nlu):
    world = AftercareWorld(nlu, "nl")
    world.chat.run(say("mijn baas betaalt mijn loon niet", "begeleider"))
    assert world.escalations()


def test_closing_and_reopening_a_case(nlu):
    world = AftercareWorld(nlu, "nl")
    world.start()
    assert not world.commands.handle(world.client_id, COUNSELOR, "afsluiten", "").ok
    assert world.commands.handle(world.client_id, COUNSELOR, "afsluiten", "praktisch").ok
    assert not world.commands.handle(world.client_id, COUNSELOR, "afsluiten", "duurzaam").ok
    refused = world.commands.handle(world.client_id, COUNSELOR, "werk", "maandag vast X")
    assert not refused.ok and "/heropen" in refused.note
    reopened = world.commands.handle(world.client_id, COUNSELOR, "heropen", "")
    assert reopened.ok and world.case_status() == CaseStatus.ACTIVE
    with world.store() as uow:
        case = uow.cases.current_for(world.client_id)
        assert case.outcome is None and case.closed_at is None
        assert [a.action for a in uow.audit.recent()][:2] == ["case.reopen", "case.close"]
    assert world.commands.handle(world.client_id, COUNSELOR, "werk", "maandag vast X").ok


def test_job_commands_are_read_in_dutch(nlu):
    now = datetime(2026, 11, 25, 12, 0, tzinfo=BXL)
    assert parse_job("maandag interim Randstad - Barco", now, BXL) == (
        date(2026, 11, 30), ContractType.INTERIM, "Randstad - Barco")
    assert parse_job("2026-11-16 art. 60 OCMW Kortrijk", now, BXL) == (
        date(2026, 11, 16), ContractType.ARTICLE_60, "OCMW Kortrijk")
    assert parse_job("gisteren bepaalde duur bij Vandemoortele", now, BXL) == (
        date(2026, 11, 24), ContractType.FIXED_TERM, "Vandemoortele")
    assert parse_job("op 1/12 opleiding lasser bij VDAB", now, BXL) == (
        date(2026, 12, 1), ContractType.TRAINING, "lasser VDAB")
    assert parse_job("Barco", now, BXL) is None
    assert parse_job("maandag Barco", now, BXL) is None  # no contract type
    world = AftercareWorld(nlu, "nl")
    usage = world.commands.handle(world.client_id, COUNSELOR, "werk", "Barco")
    assert not usage.ok and "Gebruik: /werk" in usage.note
    started = world.commands.handle(world.client_id, COUNSELOR, "werk",
                                    "vandaag dagcontract Colruyt")
    assert started.ok and "dagcontract" in started.note and "Colruyt" in started.note
