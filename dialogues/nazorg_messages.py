"""What a due after-care row becomes: a check-in for the client, or a silence check.

Decided when due: a job that ended, a paused job or a closed case sends nothing.
"""

from __future__ import annotations

from datetime import datetime

from dialogues.i18n import N_, Translator
from dialogues.messages import Button, Outgoing
from dialogues.nazorg import CONTRACT_NAMES
from dialogues.scheduled_messages import Rendered, reachable
from dialogues.settings import DialogueSettings
from storage.records import (
    CaseStatus,
    CheckinRecord,
    ClientRecord,
    JobRecord,
    ScheduledKind,
    ScheduledMessageRecord,
    TaskKind,
    TaskRecord,
)
from storage.repositories import UnitOfWork

NAZORG = "nz:"  # nz:<good|soso|problem>:<job>:<number>, nz:kind:<kind>, nz:talk, nz:fine …


def checkin_buttons(tr: Translator, job_id: int, number: int) -> tuple[tuple[Button, ...], ...]:
    _ = tr.gettext
    ref = f"{job_id}:{number}"
    return ((Button(_("😀 Goed"), f"{NAZORG}good:{ref}"),),
            (Button(_("😐 Gaat wel"), f"{NAZORG}soso:{ref}"),),
            (Button(_("😟 Problemen"), f"{NAZORG}problem:{ref}"),))


def render_nazorg(uow: UnitOfWork, row: ScheduledMessageRecord, settings: DialogueSettings,
                  now: datetime) -> Rendered:
    client = uow.clients.get(row.client_id)
    if client is None:
        return Rendered(skip="client gone")
    job = uow.jobs.get(int(row.details.get("job", 0)))
    number = int(row.details.get("number", 0))
    if job is None or not job.active:
        return Rendered(skip="the job ended")
    case = uow.cases.get(job.case_id) if job.case_id else None
    if case is None or case.status == CaseStatus.CLOSED:
        return Rendered(skip="the case is closed")
    if job.paused:
        return Rendered(skip="paused after silence")
    if row.kind == ScheduledKind.NAZORG_SILENCE:
        return _silence(uow, job, number, client, settings, now)
    address = reachable(uow, client)
    if isinstance(address, str):
        return Rendered(skip=address)
    tr = Translator(client.language, settings.timezone)
    _ = tr.gettext
    if job.employer:
        text = tr.format(_("👋 Hoe gaat het op je werk bij {employer}?"), employer=job.employer)
    else:
        text = _("👋 Hoe gaat het op je werk?")

    def sent(uow: UnitOfWork, at: datetime) -> None:
        uow.checkins.add(CheckinRecord(job_id=job.id, client_id=job.client_id, number=number,
                                       sent_at=at))

    return Rendered(address, [Outgoing(text, checkin_buttons(tr, job.id, number), tr.code,
                                       tr.rtl)], effects=[sent])


def _silence(uow: UnitOfWork, job: JobRecord, number: int, client: ClientRecord,
             settings: DialogueSettings, now: datetime) -> Rendered:
    """Two check-ins in a row without an answer: the counselor decides what next."""
    sent = {c.number: c for c in uow.checkins.for_job(job.id)}
    this, before = sent.get(number), sent.get(number - 1)
    if this is None or this.answer is not None or before is None or before.answer is not None:
        return Rendered(skip="answered, or not two in a row")
    staff = Translator(settings.staff_language, settings.timezone)
    summary = staff.format(staff.gettext(N_(
        "🔕 {name} antwoordde niet op de laatste twee nazorg-check-ins ({contract}, "
        "{employer}). De bot vraagt niets meer tot je beslist: bel de cliënt, /nazorg hervat "
        "of /afsluiten.")), name=client.first_name or f"#{client.id}",
        contract=staff.gettext(CONTRACT_NAMES[job.contract]), employer=job.employer or "—")

    def pause(uow: UnitOfWork, at: datetime) -> None:
        stored = uow.jobs.get(job.id)
        if stored is not None:
            stored.paused = True
            uow.jobs.save(stored)
            uow.schedule.cancel_pending_keys(f"job:{job.id}:", at)

    return Rendered(tasks=[TaskRecord(kind=TaskKind.NAZORG_SILENCE, summary=summary,
                                      created_at=now, client_id=client.id,
                                      case_id=job.case_id)], actions=[()], effects=[pause])
