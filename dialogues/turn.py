"""One inbound message being handled: everything a step handler reads and writes."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from dialogues.i18n import N_, Translator
from dialogues.messages import Button, CounselorAlert, Incoming, Outgoing, Reply
from dialogues.settings import DialogueSettings
from dialogues.state import Conversation, Step
from nlu.types import ParseResult
from storage.records import (
    Author,
    ClientRecord,
    ConsentState,
    EscalationReason,
    EscalationRecord,
    TaskKind,
    TaskPriority,
    TaskRecord,
)
from storage.repositories import UnitOfWork

ButtonRows = Sequence[Sequence[Button]]


@dataclass
class Turn:
    incoming: Incoming
    client: ClientRecord
    conversation: Conversation
    uow: UnitOfWork
    settings: DialogueSettings
    now: datetime
    parse: ParseResult | None
    tr: Translator
    prompt_step: Callable[[Turn], None]
    reply: Reply = field(default_factory=Reply)
    erased: bool = False  # the client erased their data: keep no state, log nothing

    @property
    def step(self) -> Step:
        return self.conversation.step

    @property
    def text(self) -> str:
        return self.incoming.text.strip()

    def say(self, text: str, buttons: ButtonRows = ()) -> None:
        rows = tuple(tuple(row) for row in buttons if row)
        self.reply.messages.append(
            Outgoing(text=text, buttons=rows, language=self.tr.code, rtl=self.tr.rtl))

    def go(self, step: Step) -> None:
        """Move to a step and ask its question."""
        self.conversation.step = step
        self.conversation.unclear = 0
        self.prompt_step(self)

    def reprompt(self) -> None:
        self.prompt_step(self)

    @property
    def staff(self) -> Translator:
        """The counselors' language, for what the bot tells them."""
        return Translator(self.settings.staff_language, self.settings.timezone)

    def escalate(self, reason: EscalationReason, staff_note: str,
                 priority: TaskPriority = TaskPriority.NORMAL) -> EscalationRecord:
        """Bring in a person: one active escalation per client, with what was said so far.

        A second trigger while one is active adds nothing new, except that danger makes it
        urgent. Counselors hear of it at once (through the task it comes with).
        """
        active = self.uow.escalations.active_for(self.client.id)
        if active is not None and (priority != TaskPriority.URGENT
                                   or active.priority == TaskPriority.URGENT):
            return active
        summary = "\n".join(p for p in (staff_note, self.routing_note(),
                                         self.recent_conversation()) if p)
        if active is not None:
            active.priority, active.summary = TaskPriority.URGENT, summary
            self.uow.escalations.save(active)
            escalation = active
        else:
            case = self.uow.cases.current_for(self.client.id)
            escalation = self.uow.escalations.add(EscalationRecord(
                client_id=self.client.id, reason=reason, priority=priority,
                language=self.client.language, summary=summary, created_at=self.now,
                case_id=case.id if case else None))
        kind = TaskKind.CRISIS if reason == EscalationReason.CRISIS else TaskKind.CONTACT_REQUEST
        self.add_task(kind, summary, priority, escalation.case_id)
        return escalation

    def routing_note(self) -> str:
        """Who should take it: counselors who speak the client's language, else the case's own
        counselor, else the team."""
        staff = self.staff
        counselors = [c for c in self.uow.counselors.all() if c.active]
        speakers = [c.name for c in counselors if self.client.language in c.languages]
        case = self.uow.cases.current_for(self.client.id)
        own = [c.name for c in counselors if case is not None and c.id == case.counselor_id]
        names = speakers or own
        if not names:
            return staff.gettext(N_("Voor: het team"))
        return staff.format(staff.gettext(N_("Voor: {names}")), names=", ".join(names))

    def recent_conversation(self, limit: int = 6) -> str:
        """The last messages, for a counselor who takes over (only what the client let us keep)."""
        staff = self.staff
        lines = []
        if self.client.consent == ConsentState.GRANTED:
            for message in self.uow.interactions.for_client(self.client.id, limit=limit):
                who = (staff.gettext(N_("Cliënt")) if message.author == Author.CLIENT
                       else staff.gettext(N_("Bot")))
                lines.append(f"{who}: {message.text[:200]}")
        if self.incoming.text.strip():
            lines.append(f"{staff.gettext(N_('Cliënt'))}: {self.incoming.text.strip()[:500]}")
        return "\n".join(lines[-limit:])

    def switch_language(self, code: str) -> None:
        self.client.language = code
        self.tr = Translator(code, self.settings.timezone)

    def add_task(self, kind: TaskKind, summary: str,
                 priority: TaskPriority = TaskPriority.NORMAL, case_id: int | None = None,
                 actions: Sequence[Button] = ()) -> TaskRecord:
        """Work for a counselor, stored now and announced to them once this turn commits.

        Without a `case_id` the task goes with the client's current case, if they have one.
        """
        if case_id is None:
            case = self.uow.cases.current_for(self.client.id)
            case_id = case.id if case else None
        task = self.uow.tasks.add(TaskRecord(kind=kind, summary=summary, created_at=self.now,
                                             client_id=self.client.id, case_id=case_id,
                                             priority=priority))
        self.reply.alerts.append(CounselorAlert(task.id, summary, self.client.id,
                                                priority == TaskPriority.URGENT, tuple(actions)))
        return task


def column(buttons: Iterable[Button]) -> list[list[Button]]:
    return [[b] for b in buttons]


@dataclass(frozen=True, slots=True)
class StepHandler:
    """A step's question (`prompt`), what to do with an answer, and which buttons it takes.

    A button whose payload starts with none of `accepts` is stale (from an older question) or
    forged; the engine says so and asks the current question again.
    """

    prompt: Callable[[Turn], None]
    answer: Callable[[Turn], None]
    accepts: tuple[str, ...] = ()
