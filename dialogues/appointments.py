"""Planning appointments: plan, move, cancel, accept a client's proposal, mark the outcome.

Channel-agnostic like the counselor desk: the counselors' Telegram topic, the CLI and (later)
the dashboard call the same methods. Every change writes its scheduled messages in the same
transaction as the appointment (the notice to the client, the reminders, the checks at the
start and the end), cancels what an older version planned, and is written to the audit log.
Delivery is the dispatcher's job.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from dialogues.i18n import N_, Translator
from dialogues.settings import DialogueSettings
from storage.records import (
    AppointmentKind,
    AppointmentMode,
    AppointmentRecord,
    AppointmentStatus,
    AuditRecord,
    ScheduledKind,
    ScheduledMessageRecord,
)
from storage.repositories import UnitOfWork, UnitOfWorkFactory

KIND_NAMES = {
    AppointmentKind.INTAKE: N_("intakegesprek"),
    AppointmentKind.FOLLOW_UP: N_("gesprek met je begeleider"),
    AppointmentKind.TRAINING: N_("opleiding"),
    AppointmentKind.JOB_INTERVIEW: N_("sollicitatiegesprek"),
    AppointmentKind.OTHER: N_("afspraak"),
}
MODE_NAMES = {
    AppointmentMode.PHONE: N_("telefonisch"),
    AppointmentMode.VIDEO: N_("via video"),
}


@dataclass(frozen=True, slots=True)
class Actor:
    """Who changes an appointment, for the audit log and the client's message."""

    label: str  # "counselor:3", "cli"
    name: str = ""
    counselor_id: int | None = None


@dataclass(frozen=True, slots=True)
class AppointmentDetails:
    starts_at: datetime
    kind: AppointmentKind = AppointmentKind.FOLLOW_UP
    mode: AppointmentMode = AppointmentMode.IN_PERSON
    location: str = ""
    with_whom: str = ""
    duration_minutes: int = 60


@dataclass
class BookOutcome:
    """What a planning action did; `note` is for the counselors, in their language."""

    ok: bool
    note: str
    appointment: AppointmentRecord | None = None
    scheduled: list[ScheduledMessageRecord] = field(default_factory=list)


def key_prefix(appointment: AppointmentRecord) -> str:
    return f"appt:{appointment.id}:v{appointment.version}"


class AppointmentBook:
    def __init__(self, store: UnitOfWorkFactory, settings: DialogueSettings,
                 clock: Callable[[], datetime]) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock
        self.staff = Translator(settings.staff_language, settings.timezone)

    # ---- actions ----------------------------------------------------------------------------

    def plan(self, client_id: int, details: AppointmentDetails, actor: Actor) -> BookOutcome:
        _ = self.staff.gettext
        now = self.clock()
        if details.starts_at <= now:
            return BookOutcome(False, _("Dat moment is al voorbij. Kies een moment in de "
                                        "toekomst."))
        with self.store() as uow:
            client = uow.clients.get(client_id)
            if client is None:
                return BookOutcome(False, _("Die cliënt bestaat niet."))
            case = uow.cases.current_for(client_id)
            appointment = uow.appointments.add(AppointmentRecord(
                client_id=client_id, case_id=case.id if case else None,
                counselor_id=actor.counselor_id, starts_at=details.starts_at,
                duration_minutes=details.duration_minutes, kind=details.kind,
                mode=details.mode, location=details.location.strip()[:300],
                with_whom=(details.with_whom or actor.name)[:200], created_at=now,
                updated_at=now))
            scheduled = self._schedule(uow, appointment, now, ScheduledKind.APPOINTMENT_NOTICE)
            self._audit(uow, actor, "appointment.plan", appointment, now)
            uow.commit()
        note = self.staff.format(_("📅 Afspraak gepland: {when}, {where}. {name} krijgt het "
                                   "bericht en herinneringen."),
                                 when=self.staff.datetime(appointment.starts_at),
                                 where=self.where(appointment, self.staff),
                                 name=client.first_name or f"#{client.id}")
        return BookOutcome(True, note, appointment, scheduled)

    def move(self, appointment_id: int, starts_at: datetime, actor: Actor) -> BookOutcome:
        _ = self.staff.gettext
        now = self.clock()
        if starts_at <= now:
            return BookOutcome(False, _("Dat moment is al voorbij. Kies een moment in de "
                                        "toekomst."))
        with self.store() as uow:
            appointment = uow.appointments.get(appointment_id)
            if appointment is None or not appointment.status.upcoming:
                return BookOutcome(False, _("Die afspraak bestaat niet of is al voorbij."))
            uow.schedule.cancel_pending(appointment.id, now)
            appointment.starts_at, appointment.version = starts_at, appointment.version + 1
            appointment.status, appointment.proposed_at = AppointmentStatus.PLANNED, None
            appointment.answered_at, appointment.updated_at = None, now
            uow.appointments.save(appointment)
            scheduled = self._schedule(uow, appointment, now, ScheduledKind.APPOINTMENT_NOTICE)
            self._audit(uow, actor, "appointment.move", appointment, now)
            uow.commit()
        note = self.staff.format(_("📅 Afspraak verplaatst naar {when}. De cliënt krijgt het "
                                   "nieuwe moment; de oude herinneringen vervallen."),
                                 when=self.staff.datetime(starts_at))
        return BookOutcome(True, note, appointment, scheduled)

    def accept_proposal(self, appointment_id: int, version: int, actor: Actor) -> BookOutcome:
        """The counselor says yes to the time the client proposed."""
        with self.store() as uow:
            appointment = uow.appointments.get(appointment_id)
        if (appointment is None or appointment.proposed_at is None
                or appointment.version != version):
            return BookOutcome(False, self.staff.gettext(
                N_("Dat voorstel geldt niet meer: de afspraak is intussen gewijzigd.")))
        return self.move(appointment_id, appointment.proposed_at, actor)

    def cancel(self, appointment_id: int, actor: Actor) -> BookOutcome:
        _ = self.staff.gettext
        now = self.clock()
        with self.store() as uow:
            appointment = uow.appointments.get(appointment_id)
            if appointment is None or not appointment.status.upcoming:
                return BookOutcome(False, _("Die afspraak bestaat niet of is al voorbij."))
            uow.schedule.cancel_pending(appointment.id, now)
            appointment.status, appointment.updated_at = AppointmentStatus.CANCELLED, now
            uow.appointments.save(appointment)
            message = uow.schedule.add(ScheduledMessageRecord(
                key=f"appt:{appointment.id}:cancelled", client_id=appointment.client_id,
                kind=ScheduledKind.APPOINTMENT_CANCELLED, due_at=now, created_at=now,
                appointment_id=appointment.id, details={"version": appointment.version}))
            self._audit(uow, actor, "appointment.cancel", appointment, now)
            uow.commit()
        note = self.staff.format(_("📅 Afspraak van {when} geannuleerd. De cliënt krijgt "
                                   "bericht."), when=self.staff.datetime(appointment.starts_at))
        return BookOutcome(True, note, appointment, [message])

    def mark(self, appointment_id: int, attended: bool, actor: Actor) -> BookOutcome:
        """After the appointment: did the client come?"""
        _ = self.staff.gettext
        now = self.clock()
        with self.store() as uow:
            appointment = uow.appointments.get(appointment_id)
            if appointment is None or appointment.status == AppointmentStatus.CANCELLED:
                return BookOutcome(False, _("Die afspraak bestaat niet of is geannuleerd."))
            if appointment.starts_at > now:
                return BookOutcome(False, _("Die afspraak moet nog beginnen."))
            appointment.status = (AppointmentStatus.ATTENDED if attended
                                  else AppointmentStatus.NO_SHOW)
            appointment.updated_at = now
            uow.appointments.save(appointment)
            uow.schedule.cancel_pending(appointment.id, now)
            self._audit(uow, actor, "appointment.attended" if attended
                        else "appointment.no_show", appointment, now)
            uow.commit()
        note = (_("✅ Genoteerd: de cliënt was er.") if attended
                else _("❌ Genoteerd: de cliënt is niet gekomen."))
        return BookOutcome(True, note, appointment)

    # ---- lookups ----------------------------------------------------------------------------

    def next_for(self, client_id: int) -> AppointmentRecord | None:
        with self.store() as uow:
            return next_appointment(uow, client_id, self.clock())

    def last_past_for(self, client_id: int) -> AppointmentRecord | None:
        """The latest appointment that began and has no outcome yet (to mark)."""
        now = self.clock()
        with self.store() as uow:
            past = [a for a in uow.appointments.for_client(client_id)
                    if a.starts_at <= now and a.status.upcoming]
        return past[-1] if past else None

    def upcoming_for(self, client_id: int) -> list[AppointmentRecord]:
        now = self.clock()
        with self.store() as uow:
            return [a for a in uow.appointments.for_client(client_id)
                    if a.status.upcoming and a.starts_at + timedelta(
                        minutes=a.duration_minutes) > now]

    @staticmethod
    def where(appointment: AppointmentRecord, tr: Translator) -> str:
        if appointment.mode in MODE_NAMES:
            return tr.gettext(MODE_NAMES[appointment.mode])
        return appointment.location or "—"

    # ---- helpers ----------------------------------------------------------------------------

    def _schedule(self, uow: UnitOfWork, appointment: AppointmentRecord, now: datetime,
                  notice: ScheduledKind) -> list[ScheduledMessageRecord]:
        """The notice, the reminders and the two checks, keyed by the appointment's version."""
        policy = self.settings.reminders
        prefix = key_prefix(appointment)
        base = {"version": appointment.version}
        ending = appointment.starts_at + timedelta(minutes=appointment.duration_minutes)
        plan: list[tuple[str, ScheduledKind, datetime, dict[str, object]]] = [
            ("notice", notice, policy.notice_time(now, appointment.starts_at), {}),
            ("start", ScheduledKind.APPOINTMENT_START, appointment.starts_at, {}),
            ("end", ScheduledKind.APPOINTMENT_END, ending, {}),
        ]
        for offset, moment in policy.reminder_times(appointment.starts_at, now):
            minutes = int(offset.total_seconds() // 60)
            plan.append((f"remind:{minutes}m", ScheduledKind.APPOINTMENT_REMINDER, moment,
                         {"before_minutes": minutes}))
        return [uow.schedule.add(ScheduledMessageRecord(
            key=f"{prefix}:{name}", client_id=appointment.client_id, kind=kind, due_at=due,
            created_at=now, appointment_id=appointment.id, details={**base, **extra}))
            for name, kind, due, extra in plan]

    @staticmethod
    def _audit(uow: UnitOfWork, actor: Actor, action: str, appointment: AppointmentRecord,
               now: datetime) -> None:
        audit(uow, actor, action, f"appointment:{appointment.id}", now,
              {"client": appointment.client_id, "starts_at": appointment.starts_at.isoformat(),
               "version": appointment.version})


def audit(uow: UnitOfWork, actor: Actor, action: str, subject: str, now: datetime,
          details: dict[str, object]) -> None:
    """Every planning action by a counselor (or the CLI) goes into the audit log."""
    uow.audit.add(AuditRecord(actor=actor.label, action=action, subject=subject,
                              created_at=now, details=dict(details)))


def next_appointment(uow: UnitOfWork, client_id: int, now: datetime
                     ) -> AppointmentRecord | None:
    """The client's next appointment that has not ended yet."""
    for appointment in uow.appointments.for_client(client_id):
        ending = appointment.starts_at + timedelta(minutes=appointment.duration_minutes)
        if appointment.status.upcoming and ending > now:
            return appointment
    return None
