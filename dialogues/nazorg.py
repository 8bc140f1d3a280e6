"""Nazorg (after-care): a client started a job; the bot checks in on a schedule until the case
closes, and the counselor hears when something is wrong or when the client goes silent.

Channel-agnostic like the appointment book: the counselors' topic (`/werk`, `/afsluiten`,
`/heropen`, `/nazorg`), the CLI and later the dashboard call the same methods. Check-ins are
durable scheduled messages (`job:<id>:checkin:<n>`), each followed a few days later by a
silence check: two check-ins in a row without an answer → a task, and no more automatic
check-ins until the counselor resumes them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dialogues.appointments import Actor, audit
from dialogues.i18n import N_, Translator
from dialogues.settings import DialogueSettings
from storage.records import (
    CaseOutcome,
    CaseStatus,
    CheckinAnswer,
    ContractType,
    JobRecord,
    ScheduledKind,
    ScheduledMessageRecord,
)
from storage.repositories import UnitOfWork, UnitOfWorkFactory

# days after the start: more often for volatile contracts (the defaults)
DEFAULT_SCHEDULE: Mapping[ContractType, tuple[int, ...]] = {
    ContractType.INTERIM: (2, 7, 14, 30, 60, 90),
    ContractType.DAY_CONTRACT: (2, 7, 14, 30, 60, 90),
    ContractType.FIXED_TERM: (7, 14, 30, 60, 90),
    ContractType.ARTICLE_60: (7, 30, 60, 90, 180),
    ContractType.TRAINING: (7, 30, 60, 90),
    ContractType.PERMANENT: (7, 30, 90, 180),
}
CHECKIN_TIME = time(10, 0)  # local: inside office hours, far from quiet hours
SILENCE_AFTER = timedelta(days=3)  # how long a check-in may stay unanswered

CONTRACT_NAMES = {
    ContractType.PERMANENT: N_("vast contract"),
    ContractType.FIXED_TERM: N_("contract van bepaalde duur"),
    ContractType.INTERIM: N_("interimwerk"),
    ContractType.DAY_CONTRACT: N_("dagcontract"),
    ContractType.ARTICLE_60: N_("artikel 60"),
    ContractType.TRAINING: N_("opleiding"),
}
PROBLEM_NAMES = {
    "pay": N_("loon of contract"), "hours": N_("uren"), "people": N_("collega's of baas"),
    "language": N_("taal op het werk"), "transport": N_("vervoer"),
    "childcare": N_("kinderopvang"), "health": N_("gezondheid"), "ended": N_("job gestopt"),
    "other": N_("iets anders"),
}
ANSWER_NAMES = {
    CheckinAnswer.GOOD: N_("😀 Goed"), CheckinAnswer.SO_SO: N_("😐 Gaat wel"),
    CheckinAnswer.PROBLEM: N_("😟 Problemen"), CheckinAnswer.JOB_LOST: N_("job gestopt"),
}
OUTCOME_NAMES = {
    CaseOutcome.LASTING_JOB: N_("duurzaam werk"),
    CaseOutcome.TRAINING: N_("opleiding"),
    CaseOutcome.INDEPENDENT: N_("gaat zelfstandig verder"),
    CaseOutcome.STOPPED_PRACTICAL: N_("gestopt om praktische of medische redenen"),
    CaseOutcome.STOPPED_BY_CLIENT: N_("gestopt op vraag van de cliënt of wegens gebrek aan "
                                      "medewerking"),
}


def parse_schedule(spec: str) -> dict[ContractType, tuple[int, ...]]:
    """'interim,day_contract:2,7,14; permanent:7,30' → days per contract; others keep the
    defaults."""
    schedule = dict(DEFAULT_SCHEDULE)
    for part in (p.strip() for p in spec.split(";") if p.strip()):
        names, _, days = part.partition(":")
        values = tuple(sorted({int(d) for d in days.split(",") if d.strip()}))
        if not values or values[0] < 0:
            raise ValueError(f"check-in days must be whole numbers from 0: {part!r}")
        for name in names.split(","):
            schedule[ContractType(name.strip())] = values
    return schedule


@dataclass
class AftercareOutcome:
    ok: bool
    note: str
    job: JobRecord | None = None
    scheduled: list[ScheduledMessageRecord] = field(default_factory=list)


def checkin_key(job: JobRecord, number: int, suffix: str = "") -> str:
    return f"job:{job.id}:checkin:{number}{suffix}"


def active_job(uow: UnitOfWork, client_id: int) -> JobRecord | None:
    jobs = [j for j in uow.jobs.for_client(client_id) if j.active]
    return jobs[-1] if jobs else None


def end_job(uow: UnitOfWork, job: JobRecord, reason: str, now: datetime) -> None:
    """The job ended: no more check-ins, and the case is back in active guidance."""
    job.ended_at, job.end_reason = now, reason
    uow.jobs.save(job)
    uow.schedule.cancel_pending_keys(f"job:{job.id}:", now)
    case = uow.cases.get(job.case_id) if job.case_id else None
    if case is not None and case.status == CaseStatus.NAZORG:
        case.status = CaseStatus.ACTIVE
        uow.cases.save(case)


class Aftercare:
    def __init__(self, store: UnitOfWorkFactory, settings: DialogueSettings,
                 clock: Callable[[], datetime]) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock
        self.staff = Translator(settings.staff_language, settings.timezone)
        self.tz = ZoneInfo(settings.timezone)

    def start_job(self, client_id: int, started_on: date, contract: ContractType,
                  employer: str, actor: Actor) -> AftercareOutcome:
        _ = self.staff.gettext
        now = self.clock()
        with self.store() as uow:
            client = uow.clients.get(client_id)
            case = uow.cases.current_for(client_id)
            if client is None or case is None:
                return AftercareOutcome(False, _("Deze cliënt heeft geen dossier."))
            if case.status == CaseStatus.CLOSED:
                return AftercareOutcome(False, _("Dit dossier is afgesloten. Heropen het "
                                                 "eerst met /heropen."))
            previous = active_job(uow, client_id)
            if previous is not None:
                end_job(uow, previous, "replaced", now)
            job = uow.jobs.add(JobRecord(client_id=client_id, case_id=case.id,
                                         started_on=started_on, contract=contract,
                                         employer=employer.strip()[:200], created_at=now))
            case.status = CaseStatus.NAZORG
            uow.cases.save(case)
            scheduled = self._schedule(uow, job, now)
            audit(uow, actor, "job.start", f"job:{job.id}", now,
                        {"client": client_id, "contract": contract.value})
            uow.commit()
        first = scheduled[0].due_at if scheduled else None
        note = self.staff.format(
            _("💼 {name} begon op {date} ({contract}, {employer}). Nazorg: {count} check-ins, "
              "de eerste op {first}."), name=client.first_name or f"#{client.id}",
            date=self.staff.date(datetime.combine(started_on, CHECKIN_TIME, self.tz)),
            contract=_(CONTRACT_NAMES[contract]), employer=employer.strip() or "—",
            count=len([s for s in scheduled if s.kind == ScheduledKind.NAZORG_CHECKIN]),
            first=self.staff.datetime(first) if first else "—")
        return AftercareOutcome(True, note, job, scheduled)

    def resume(self, client_id: int, actor: Actor) -> AftercareOutcome:
        """After silence: the counselor decides the bot may ask again."""
        _ = self.staff.gettext
        now = self.clock()
        with self.store() as uow:
            job = active_job(uow, client_id)
            if job is None:
                return AftercareOutcome(False, _("Deze cliënt heeft geen lopende job."))
            job.paused = False
            uow.jobs.save(job)
            scheduled = self._schedule(uow, job, now, f":resumed{int(now.timestamp())}")
            audit(uow, actor, "nazorg.resume", f"job:{job.id}", now, {})
            uow.commit()
        return AftercareOutcome(True, self.staff.format(
            _("Nazorg loopt weer: nog {count} check-ins."),
            count=len([s for s in scheduled if s.kind == ScheduledKind.NAZORG_CHECKIN])),
            job, scheduled)

    def close_case(self, client_id: int, outcome: CaseOutcome, actor: Actor
                   ) -> AftercareOutcome:
        _ = self.staff.gettext
        now = self.clock()
        with self.store() as uow:
            case = uow.cases.current_for(client_id)
            if case is None:
                return AftercareOutcome(False, _("Deze cliënt heeft geen dossier."))
            if case.status == CaseStatus.CLOSED:
                return AftercareOutcome(False, _("Dit dossier is al afgesloten."))
            case.status, case.outcome, case.closed_at = CaseStatus.CLOSED, outcome, now
            uow.cases.save(case)
            for job in uow.jobs.for_client(client_id):
                uow.schedule.cancel_pending_keys(f"job:{job.id}:", now)
            audit(uow, actor, "case.close", f"case:{case.id}", now,
                        {"outcome": outcome.value})
            uow.commit()
        return AftercareOutcome(True, self.staff.format(
            _("📁 Dossier {case} afgesloten: {outcome}. Er gaan geen check-ins meer uit."),
            case=case.reference, outcome=_(OUTCOME_NAMES[outcome])))

    def reopen_case(self, client_id: int, actor: Actor) -> AftercareOutcome:
        _ = self.staff.gettext
        now = self.clock()
        with self.store() as uow:
            case = uow.cases.current_for(client_id)
            if case is None or case.status != CaseStatus.CLOSED:
                return AftercareOutcome(False, _("Dit dossier is niet afgesloten."))
            case.status, case.outcome, case.closed_at = CaseStatus.ACTIVE, None, None
            uow.cases.save(case)
            audit(uow, actor, "case.reopen", f"case:{case.id}", now, {})
            uow.commit()
        return AftercareOutcome(True, self.staff.format(
            _("📂 Dossier {case} is weer open (actieve begeleiding)."), case=case.reference))

    def status(self, client_id: int) -> str:
        """For `/nazorg`: the job, the check-ins sent and what came back."""
        _ = self.staff.gettext
        with self.store() as uow:
            job = active_job(uow, client_id)
            if job is None:
                return _("Deze cliënt heeft geen lopende job.")
            checkins = list(uow.checkins.for_job(job.id))
        lines = [self.staff.format(_("💼 {contract}, {employer}, sinds {date}"),
                                   contract=_(CONTRACT_NAMES[job.contract]),
                                   employer=job.employer or "—",
                                   date=self.staff.date(datetime.combine(job.started_on,
                                                                         CHECKIN_TIME,
                                                                         self.tz)))]
        for checkin in checkins:
            answer = _(ANSWER_NAMES[checkin.answer]) if checkin.answer else "—"
            problem = PROBLEM_NAMES.get(checkin.problem)
            lines.append(f"{checkin.number}. {self.staff.datetime(checkin.sent_at)}: {answer}"
                         + (f" ({_(problem)})" if problem else ""))
        if job.paused:
            lines.append(_("⏸ Gepauzeerd na stilte: /nazorg hervat om opnieuw te vragen."))
        return "\n".join(lines)

    # ---- helpers ----------------------------------------------------------------------------

    def _schedule(self, uow: UnitOfWork, job: JobRecord, now: datetime, suffix: str = ""
                  ) -> list[ScheduledMessageRecord]:
        """Check-ins still ahead (those already past at registration are left out), each with
        its silence check."""
        rows: list[ScheduledMessageRecord] = []
        days = self.settings.nazorg_schedule.get(job.contract, DEFAULT_SCHEDULE[job.contract])
        for number, day in enumerate(days, start=1):
            local = datetime.combine(job.started_on + timedelta(days=day), CHECKIN_TIME)
            due = local.replace(tzinfo=self.tz)
            if due <= now:
                continue
            details = {"job": job.id, "number": number}
            rows.append(uow.schedule.add(ScheduledMessageRecord(
                key=checkin_key(job, number, suffix), client_id=job.client_id,
                kind=ScheduledKind.NAZORG_CHECKIN, due_at=due, created_at=now,
                details=details)))
            rows.append(uow.schedule.add(ScheduledMessageRecord(
                key=f"job:{job.id}:silence:{number}{suffix}", client_id=job.client_id,
                kind=ScheduledKind.NAZORG_SILENCE, due_at=due + SILENCE_AFTER, created_at=now,
                details=details)))
        return rows
