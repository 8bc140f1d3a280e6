"""What counselors do with an escalation: claim it, talk to the client, hand back to the bot.

Channel-agnostic like the engine: an adapter (the counselors' Telegram group, the dashboard)
names the counselor (by Telegram user id or by dashboard login) and delivers what comes back.
Only registered, active counselors can act; every action, allowed or refused, is in the audit
log.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from dialogues.i18n import N_, Translator
from dialogues.messages import ChannelName, ClientKey, Outgoing
from dialogues.office_hours import OfficeHours
from dialogues.settings import DialogueSettings
from storage.records import (
    AuditRecord,
    Author,
    ClientRecord,
    CounselorRecord,
    CounselorRole,
    Direction,
    EscalationReason,
    EscalationRecord,
    EscalationStatus,
    InteractionRecord,
    TaskPriority,
)
from storage.repositories import UnitOfWork, UnitOfWorkFactory

CHANNEL_PREFERENCE = (ChannelName.TELEGRAM.value, ChannelName.WEB.value,
                      ChannelName.CONSOLE.value)


@dataclass(frozen=True, slots=True)
class Staff:
    """Who acts: a Telegram account in the counselors' group, or a dashboard login.

    A bare int given to the desk's methods is a Telegram user id.
    """

    telegram_user_id: int | None = None
    counselor_id: int | None = None

    @property
    def label(self) -> str:
        if self.counselor_id is not None:
            return f"counselor:{self.counselor_id}"
        return f"telegram:{self.telegram_user_id}"


@dataclass(frozen=True, slots=True)
class Reminder:
    """An escalation nobody claimed in time: announce it again, the second time to coordinators."""

    escalation_id: int
    client_id: int
    text: str
    coordinators: tuple[CounselorRecord, ...] = ()


@dataclass
class DeskOutcome:
    """What an action produced: messages for the client, and a note for the counselors."""

    allowed: bool
    to_client: list[tuple[ClientKey, Outgoing]] = field(default_factory=list)
    note: str = ""
    escalation: EscalationRecord | None = None


def first_name(counselor: CounselorRecord) -> str:
    return counselor.name.split()[0] if counselor.name.strip() else counselor.name


class CounselorDesk:
    def __init__(self, store: UnitOfWorkFactory, settings: DialogueSettings,
                 clock: Callable[[], datetime]) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock
        self.staff = Translator(settings.staff_language, settings.timezone)

    def claim(self, escalation_id: int, who: int | Staff) -> DeskOutcome:
        with self.store() as uow:
            counselor = self._authorised(uow, who, "escalation.claim",
                                         f"escalation:{escalation_id}")
            escalation = uow.escalations.get(escalation_id)
            if counselor is None or escalation is None:
                uow.commit()
                return self._refused(counselor)
            _ = self.staff.gettext
            if escalation.status != EscalationStatus.OPEN:
                uow.commit()
                return DeskOutcome(True, note=_("Dit gesprek is al opgenomen of afgesloten."),
                                   escalation=escalation)
            escalation.status, escalation.claimed_by = EscalationStatus.CLAIMED, counselor.id
            escalation.claimed_at = self.clock()
            uow.escalations.save(escalation)
            client = uow.clients.get(escalation.client_id)
            assert client is not None
            tr = Translator(client.language, self.settings.timezone)
            message = tr.format(tr.gettext("{name}, je begeleider, leest nu mee en antwoordt "
                                           "je hier."), name=first_name(counselor))
            outcome = self._to_client(uow, client, counselor, message, tr)
            outcome.note = self.staff.format(_("{name} neemt dit gesprek op."),
                                             name=counselor.name)
            outcome.escalation = escalation
            uow.commit()
            return outcome

    def reply(self, client_id: int, who: int | Staff, text: str) -> DeskOutcome:
        """A counselor writes to a client; an open escalation becomes theirs."""
        with self.store() as uow:
            counselor = self._authorised(uow, who, "client.message",
                                         f"client:{client_id}")
            client = uow.clients.get(client_id)
            if counselor is None or client is None or not text.strip():
                uow.commit()
                return self._refused(counselor)
            escalation = uow.escalations.active_for(client_id)
            if escalation is None:
                escalation = uow.escalations.add(EscalationRecord(
                    client_id=client_id, reason=EscalationReason.FLOW_EVENT,
                    priority=TaskPriority.NORMAL, language=client.language,
                    summary=self.staff.gettext(N_("Gesprek gestart door een begeleider.")),
                    created_at=self.clock()))
            if escalation.status == EscalationStatus.OPEN:
                escalation.status, escalation.claimed_by = EscalationStatus.CLAIMED, counselor.id
                escalation.claimed_at = self.clock()
                uow.escalations.save(escalation)
            tr = Translator(client.language, self.settings.timezone)
            message = tr.format(tr.gettext("💬 {name}, je begeleider:"), name=first_name(counselor))
            outcome = self._to_client(uow, client, counselor, f"{message}\n{text.strip()}", tr)
            outcome.escalation = escalation
            uow.commit()
            return outcome

    def hand_back(self, client_id: int, who: int | Staff) -> DeskOutcome:
        """The person is done: the escalation is resolved and the bot takes over again."""
        with self.store() as uow:
            counselor = self._authorised(uow, who, "escalation.resolve",
                                         f"client:{client_id}")
            client = uow.clients.get(client_id)
            escalation = uow.escalations.active_for(client_id)
            if counselor is None or client is None or escalation is None:
                uow.commit()
                return self._refused(counselor)
            escalation.status, escalation.resolved_at = EscalationStatus.RESOLVED, self.clock()
            uow.escalations.save(escalation)
            tr = Translator(client.language, self.settings.timezone)
            message = tr.format(tr.gettext("{name}, je begeleider, heeft het gesprek afgesloten. "
                                           "Ik help je weer verder. Schrijf me gerust."),
                                name=first_name(counselor))
            outcome = self._to_client(uow, client, counselor, message, tr, author=Author.BOT)
            outcome.note = self.staff.format(self.staff.gettext("{name} gaf het gesprek terug "
                                                                "aan de bot."),
                                             name=counselor.name)
            outcome.escalation = escalation
            uow.commit()
            return outcome

    def due_reminders(self) -> list[Reminder]:
        """Open escalations waiting longer than they should, during office hours.

        Normal ones after `escalation_remind_minutes`, urgent ones after a fifth of that and at
        any hour. From the second reminder on, the coordinators are told too.
        """
        now = self.clock()
        hours = OfficeHours(self.settings.office_hours, self.settings.timezone)
        wait = timedelta(minutes=self.settings.escalation_remind_minutes)
        reminders: list[Reminder] = []
        with self.store() as uow:
            coordinators = tuple(c for c in uow.counselors.all()
                                 if c.active and c.role in (CounselorRole.COORDINATOR,
                                                            CounselorRole.ADMIN))
            for escalation in uow.escalations.active(limit=1000):
                if escalation.status != EscalationStatus.OPEN:
                    continue
                urgent = escalation.priority == TaskPriority.URGENT
                since = escalation.reminded_at or escalation.created_at
                if now - since < (wait / 5 if urgent else wait):
                    continue
                if not urgent and not hours.is_open(now):
                    continue
                escalation.reminders += 1
                escalation.reminded_at = now
                uow.escalations.save(escalation)
                minutes = int((now - escalation.created_at).total_seconds() // 60)
                client = uow.clients.get(escalation.client_id)
                text = self.staff.format(self.staff.ngettext(
                    "⏰ Nog niet opgenomen: {name} wacht al {minutes} minuut op een persoon.",
                    "⏰ Nog niet opgenomen: {name} wacht al {minutes} minuten op een persoon.",
                    minutes), name=client.first_name if client and client.first_name
                    else f"#{escalation.client_id}", minutes=minutes)
                reminders.append(Reminder(escalation.id, escalation.client_id, text,
                                          coordinators if escalation.reminders >= 2 else ()))
            uow.commit()
        return reminders

    def authorise(self, who: int | Staff, action: str, subject: str
                  ) -> CounselorRecord | None:
        """The registered, active counselor behind a Telegram account or login, or None; audited."""
        with self.store() as uow:
            counselor = self._authorised(uow, who, action, subject)
            uow.commit()
        return counselor

    # ---- helpers ----------------------------------------------------------------------------

    def _authorised(self, uow: UnitOfWork, who: int | Staff, action: str,
                    subject: str) -> CounselorRecord | None:
        staff = Staff(telegram_user_id=who) if isinstance(who, int) else who
        if staff.counselor_id is not None:
            counselor = uow.counselors.get(staff.counselor_id)
        elif staff.telegram_user_id is not None:
            counselor = uow.counselors.by_telegram_id(staff.telegram_user_id)
        else:
            counselor = None
        allowed = counselor is not None and counselor.active
        uow.audit.add(AuditRecord(
            actor=f"counselor:{counselor.id}" if counselor else staff.label,
            action=action if allowed else f"{action}.refused", subject=subject,
            created_at=self.clock()))
        return counselor if allowed else None

    def _refused(self, counselor: CounselorRecord | None) -> DeskOutcome:
        _ = self.staff.gettext
        if counselor is None:
            return DeskOutcome(False, note=_("Alleen geregistreerde begeleiders kunnen dit."))
        return DeskOutcome(True, note=_("Dit gesprek is niet (meer) open."))

    def _to_client(self, uow: UnitOfWork, client: ClientRecord, counselor: CounselorRecord,
                   text: str, tr: Translator, author: Author = Author.COUNSELOR) -> DeskOutcome:
        identities = sorted(uow.clients.identities(client.id),
                            key=lambda i: CHANNEL_PREFERENCE.index(i.channel)
                            if i.channel in CHANNEL_PREFERENCE else 99)
        if not identities:
            return DeskOutcome(True)
        target = identities[0]
        key = ClientKey(ChannelName(target.channel), target.external_id)
        case = uow.cases.current_for(client.id)
        uow.interactions.add(InteractionRecord(
            client_id=client.id, case_id=case.id if case else None, direction=Direction.OUT,
            author=author, channel=target.channel, created_at=self.clock(), text=text,
            language=client.language,
            counselor_id=counselor.id if author == Author.COUNSELOR else None))
        return DeskOutcome(True, [(key, Outgoing(text, language=client.language,
                                                 rtl=tr.rtl))])
