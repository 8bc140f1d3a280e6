"""The counselors' Telegram forum group: one topic per client, claim and hand back, relay.

New work is posted in the client's own topic (created on first need, recreated when deleted)
with a header card and buttons to claim or hand back. Whatever a registered counselor writes
in the topic goes to the client; whatever the client writes while a counselor has the
conversation comes into the topic. Telegram allows about 20 messages a minute into one group:
posts wait their turn, none is dropped.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest

from bot.telegram_channel import TelegramChannel, split_text
from dialogues import ChannelName, ClientKey, CounselorAlert, Outgoing
from dialogues.appointment_commands import AppointmentCommands
from dialogues.appointments import Actor, next_appointment
from dialogues.channel import Channel
from dialogues.counselor_desk import CounselorDesk, DeskOutcome
from dialogues.i18n import N_, Translator
from dialogues.ids import parse_id
from dialogues.messages import Button, Relay
from dialogues.nazorg_commands import AftercareCommands
from dialogues.scheduled_messages import DESK_APPOINTMENT
from dialogues.topic_commands import CommandOutcome, TopicCommands
from storage.records import EscalationStatus, TopicRecord
from storage.repositories import UnitOfWorkFactory
from storage.sql.leadership import Leadership

log = logging.getLogger(__name__)

CLAIM = "desk:claim:"
HAND_BACK = "desk:back:"
GROUP_MESSAGES_PER_MINUTE = 20
FLUSH_AFTER = timedelta(seconds=30)  # a turn announces its own new work well within this


class GroupPace:
    """At most `per_minute` posts into the group in any minute; callers wait, nobody is dropped."""

    def __init__(self, per_minute: int = GROUP_MESSAGES_PER_MINUTE) -> None:
        self.per_minute = per_minute
        self._sent: deque[float] = deque()
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        async with self._lock:
            while True:
                now = time.monotonic()
                while self._sent and now - self._sent[0] >= 60:
                    self._sent.popleft()
                if len(self._sent) < self.per_minute:
                    self._sent.append(now)
                    return
                await asyncio.sleep(60 - (now - self._sent[0]) + 0.01)


class TelegramCounselorDesk:
    def __init__(self, channel: TelegramChannel, desk: CounselorDesk, store: UnitOfWorkFactory,
                 chat_id: int, staff: Translator,
                 other_channels: dict[ChannelName, Channel] | None = None,
                 appointments: AppointmentCommands | None = None,
                 wake: Callable[[], None] | None = None,
                 aftercare: AftercareCommands | None = None) -> None:
        self.channel = channel
        self.bot = channel.application.bot
        self.desk = desk
        self.store = store
        self.chat_id = chat_id
        self.staff = staff
        self.other_channels = other_channels or {}
        self.pace = GroupPace()
        self.appointments = appointments
        self.aftercare = aftercare
        self.wake = wake  # the dispatcher's clock: a new notice goes at once
        self._topic_locks: dict[int, asyncio.Lock] = {}

    # ---- the bot to the counselors ----------------------------------------------------------

    async def alert(self, alert: CounselorAlert) -> None:
        """New work, in the client's topic when there is a client, with claim/hand-back buttons."""
        text = ("🚨 " if alert.urgent else "🔔 ") + alert.text
        markup = None
        if alert.client_id is not None:
            escalation = await asyncio.to_thread(self._active_escalation, alert.client_id)
            if escalation is not None:
                markup = self._buttons(escalation[0], alert.client_id, escalation[1])
            if alert.actions:
                markup = _with_actions(markup, alert.actions)
            posted = await self._post_in_topic(alert.client_id, text, markup)
        else:
            posted = await self._post(text, markup, None)
        if posted:
            await asyncio.to_thread(self._mark_notified, alert.task_id)

    async def relay(self, relay: Relay, client: ClientKey) -> None:
        """What a client says while a counselor has the conversation, into their topic."""
        name = await asyncio.to_thread(self._client_name, relay.client_id)
        thread = await self._topic(relay.client_id)
        if thread is None:
            return
        if (relay.kind.is_media and client.channel == ChannelName.TELEGRAM
                and relay.channel_message_id):
            await self.pace.wait()
            await self.channel._call(lambda: self.bot.copy_message(
                self.chat_id, int(client.external_id), int(relay.channel_message_id),
                message_thread_id=thread))
            return
        for part in split_text(f"👤 {name}: {relay.text}"):  # Telegram takes 4,096 at most
            await self._post_in_topic(relay.client_id, part, None)

    async def flush(self) -> None:
        """Announce work stored while Telegram was unreachable or the bot was down. Work of
        the last half minute is left to the turn that stored it, which announces it itself
        (in this process or another worker)."""
        def pending() -> list[CounselorAlert]:
            settled = datetime.now(UTC) - FLUSH_AFTER
            with self.store() as uow:
                return [CounselorAlert(t.id, t.summary, t.client_id,
                                       t.priority.value == "urgent")
                        for t in uow.tasks.unnotified() if t.created_at <= settled]
        for alert in await asyncio.to_thread(pending):
            await self.alert(alert)

    async def remind(self) -> None:
        """Announce unclaimed escalations again; from the second time, to coordinators too."""
        for reminder in await asyncio.to_thread(self.desk.due_reminders):
            escalation = await asyncio.to_thread(self._active_escalation, reminder.client_id)
            markup = (self._buttons(escalation[0], reminder.client_id, escalation[1])
                      if escalation else None)
            text = reminder.text
            if reminder.coordinators:
                names = ", ".join(c.name for c in reminder.coordinators)
                text += "\n" + self.staff.format(
                    self.staff.gettext(N_("Coördinatoren: {names}")), names=names)
            await self._post_in_topic(reminder.client_id, text, markup)
            for coordinator in reminder.coordinators:
                if coordinator.telegram_user_id is not None:
                    await self._direct(coordinator.telegram_user_id, reminder.text)

    async def _direct(self, user_id: int, text: str) -> None:
        """A private message to one counselor (a coordinator who must know)."""
        await self.channel._call(lambda: self.bot.send_message(user_id, text))

    async def watch(self, every_seconds: float = 60.0,
                    leadership: Leadership | None = None) -> None:
        """The desk's clock: stored work announced, unclaimed work announced again; with
        several workers, by the one that leads."""
        while True:
            try:
                if leadership is None or await asyncio.to_thread(leadership.lead):
                    await self.flush()
                    await self.remind()
            except Exception:
                log.exception("the counselor desk's round failed; it tries again")
            await asyncio.sleep(every_seconds)

    # ---- the counselors to the bot ----------------------------------------------------------

    async def on_update(self, update: Update) -> None:
        """A button or a message in the counselors' group."""
        query = update.callback_query
        if query is not None and query.data and query.from_user:
            asyncio.get_running_loop().create_task(_answer(query))
            data = query.data
            if data.startswith(CLAIM):
                escalation_id = _int(data.removeprefix(CLAIM))
                outcome = await asyncio.to_thread(self.desk.claim, escalation_id,
                                                  query.from_user.id)
            elif data.startswith(HAND_BACK):
                client_id = _int(data.removeprefix(HAND_BACK))
                outcome = await asyncio.to_thread(self.desk.hand_back, client_id,
                                                  query.from_user.id)
            elif data.startswith(DESK_APPOINTMENT):
                thread = (query.message.message_thread_id
                          if isinstance(query.message, Message) else None)
                await self._appointment_button(data, query.from_user.id, thread)
                return
            else:
                return
            await self._after(outcome, query.message.message_thread_id
                              if isinstance(query.message, Message) else None)
            return
        message = update.message
        if (message is None or message.from_user is None or message.from_user.is_bot
                or not message.is_topic_message or message.message_thread_id is None):
            return
        topic = await self._client_topic(message.message_thread_id)
        if topic is None or update.update_id <= topic.handled_update:
            return  # the group's own topic, or delivered again after a crash: done before
        await self._in_topic(message, topic)
        await asyncio.to_thread(self._handled, topic, update.update_id)

    async def _in_topic(self, message: Message, topic: TopicRecord) -> None:
        """A counselor's command or message to the client in the client's topic."""
        assert message.from_user is not None and message.message_thread_id is not None
        command = _command(message.text or "", self._command_names())
        if command is not None:
            await self._appointment_command(topic.client_id, message.from_user.id, *command,
                                            message.message_thread_id)
            return
        text = message.text or message.caption or ""
        media = message.text is None
        if media and not text:
            text = self.staff.gettext(N_("(bijlage)"))
        outcome = await asyncio.to_thread(self.desk.reply, topic.client_id,
                                          message.from_user.id, text)
        if not outcome.allowed:
            await self._post(outcome.note, None, message.message_thread_id)
            return
        if media:
            await self._copy_to_client(outcome, message)
        await self._after(outcome, message.message_thread_id)

    async def _appointment_command(self, client_id: int, user_id: int, name: str, args: str,
                                   thread: int) -> None:
        """/afspraak, /verplaats, /annuleer, /aanwezig, /afwezig, /afspraken, /werk,
        /afsluiten, /heropen, /nazorg in a topic."""
        handler = next((c for c in self._command_sets() if name in c.names), None)
        if handler is None:
            return
        actor = await self._actor(user_id, f"topic.{name}", f"client:{client_id}")
        if actor is None:
            await self._post(self.staff.gettext(N_("Alleen geregistreerde begeleiders kunnen "
                                                   "dit.")), None, thread)
            return
        outcome = await asyncio.to_thread(handler.handle, client_id, actor, name, args)
        await self._after_booking(outcome, thread)

    async def _appointment_button(self, data: str, user_id: int, thread: int | None) -> None:
        """desk:appt:<accept|attended|noshow>:<id>:<version> under a task in a topic."""
        if self.appointments is None:
            return
        parts = data.removeprefix(DESK_APPOINTMENT).split(":")
        numbers = [parse_id(p) for p in parts[1:]] if len(parts) == 3 else []
        if len(numbers) != 2 or numbers[0] is None or numbers[1] is None:
            return
        action, appointment_id, version = parts[0], numbers[0], numbers[1]
        actor = await self._actor(user_id, f"appointment.{action}",
                                  f"appointment:{appointment_id}")
        if actor is None:
            await self._post(self.staff.gettext(N_("Alleen geregistreerde begeleiders kunnen "
                                                   "dit.")), None, thread)
            return
        book = self.appointments.book
        if action == "accept":
            outcome = await asyncio.to_thread(book.accept_proposal, appointment_id, version,
                                              actor)
        elif action in ("attended", "noshow"):
            outcome = await asyncio.to_thread(book.mark, appointment_id, action == "attended",
                                              actor)
        else:
            return
        await self._after_booking(outcome, thread)

    def _command_sets(self) -> list[TopicCommands]:
        return [c for c in (self.appointments, self.aftercare) if c is not None]

    def _command_names(self) -> tuple[str, ...]:
        return tuple(name for commands in self._command_sets() for name in commands.names)

    async def _after_booking(self, outcome: CommandOutcome, thread: int | None) -> None:
        if outcome.scheduled and self.wake is not None:
            self.wake()
        await self._post(outcome.note, None, thread)

    async def _actor(self, user_id: int, action: str, subject: str) -> Actor | None:
        counselor = await asyncio.to_thread(self.desk.authorise, user_id, action, subject)
        if counselor is None:
            return None
        return Actor(f"counselor:{counselor.id}", counselor.name.split()[0]
                     if counselor.name.strip() else counselor.name, counselor.id)

    async def _after(self, outcome: DeskOutcome, thread: int | None) -> None:
        for key, out in outcome.to_client:
            await self._deliver(key, out)
        if outcome.note:
            await self._post(outcome.note, None, thread)

    async def _deliver(self, key: ClientKey, message: Outgoing) -> None:
        if key.channel == ChannelName.TELEGRAM:
            await self.channel.send(key, message)
        elif key.channel in self.other_channels:
            await self.other_channels[key.channel].send(key, message)
        else:
            log.info("a %s client has no live channel; the message waits in their case",
                     key.channel.value)

    async def _copy_to_client(self, outcome: DeskOutcome, message: Message) -> None:
        """Photos of letters, documents and voice notes from a counselor reach the client."""
        for key, _ in outcome.to_client:
            if key.channel == ChannelName.TELEGRAM:
                await self._copy(int(key.external_id), message.message_id)

    async def _copy(self, to_chat: int, message_id: int) -> None:
        await self.channel._call(lambda: self.bot.copy_message(to_chat, self.chat_id,
                                                               message_id))

    # ---- topics -----------------------------------------------------------------------------

    async def _topic(self, client_id: int, recreate: bool = False) -> int | None:
        lock = self._topic_locks.setdefault(client_id, asyncio.Lock())
        async with lock:
            existing = await asyncio.to_thread(self._stored_topic, client_id)
            if existing is not None and not recreate:
                return existing.thread_id
            title, header = await asyncio.to_thread(self._header, client_id)
            await self.pace.wait()
            try:
                topic = await self.bot.create_forum_topic(self.chat_id, title[:128])
            except Exception:
                log.exception("could not create a forum topic for a client")
                return None
            thread = topic.message_thread_id
            await asyncio.to_thread(self._save_topic, client_id, thread)
        await self._post(header, None, thread)
        return thread

    async def _client_topic(self, thread_id: int) -> TopicRecord | None:
        """The client a topic belongs to; None for the group's own topics. A topic being
        created right now is waited for: its first message can come before it is stored."""
        topic = await asyncio.to_thread(self._topic_by_thread, thread_id)
        if topic is None and any(lock.locked() for lock in self._topic_locks.values()):
            for lock in list(self._topic_locks.values()):
                async with lock:
                    pass
            topic = await asyncio.to_thread(self._topic_by_thread, thread_id)
        return topic

    async def note(self, client_id: int, text: str) -> None:
        """What a counselor did elsewhere (the dashboard), in the client's topic if it has one,
        so colleagues who work in Telegram see the same story."""
        if await asyncio.to_thread(self._stored_topic, client_id) is None:
            return
        await self._post_in_topic(client_id, text, None)

    async def _post_in_topic(self, client_id: int, text: str,
                             markup: InlineKeyboardMarkup | None) -> bool:
        thread = await self._topic(client_id)
        if thread is None:
            return await self._post(text, markup, None)
        try:
            await self.pace.wait()
            await self.bot.send_message(self.chat_id, text, reply_markup=markup,
                                        message_thread_id=thread)
            return True
        except BadRequest as exc:
            if "thread not found" not in str(exc).lower():
                log.warning("Telegram refused a post in a client's topic")
                return False
        thread = await self._topic(client_id, recreate=True)  # someone deleted the topic
        return await self._post(text, markup, thread)

    async def _post(self, text: str, markup: InlineKeyboardMarkup | None,
                    thread: int | None) -> bool:
        await self.pace.wait()
        return await self.channel._call(lambda: self.bot.send_message(
            self.chat_id, text, reply_markup=markup, message_thread_id=thread))

    def _buttons(self, escalation_id: int, client_id: int,
                 status: EscalationStatus) -> InlineKeyboardMarkup:
        _ = self.staff.gettext
        row = [InlineKeyboardButton(_("✅ Terug naar de bot"), callback_data=f"{HAND_BACK}"
                                                                          f"{client_id}")]
        if status == EscalationStatus.OPEN:
            row.insert(0, InlineKeyboardButton(_("✋ Ik neem dit op"),
                                               callback_data=f"{CLAIM}{escalation_id}"))
        return InlineKeyboardMarkup([row])

    # ---- store (run in a thread) ------------------------------------------------------------

    def _active_escalation(self, client_id: int) -> tuple[int, EscalationStatus] | None:
        with self.store() as uow:
            escalation = uow.escalations.active_for(client_id)
            return (escalation.id, escalation.status) if escalation else None

    def _stored_topic(self, client_id: int) -> TopicRecord | None:
        with self.store() as uow:
            topic = uow.topics.for_client(client_id)
            return topic if topic and topic.chat_id == self.chat_id else None

    def _topic_by_thread(self, thread_id: int) -> TopicRecord | None:
        with self.store() as uow:
            return uow.topics.by_thread(self.chat_id, thread_id)

    def _handled(self, topic: TopicRecord, update_id: int) -> None:
        """Telegram may deliver an update again until it hears it was handled (a crash in
        between); the topic remembers the last one. A crash before this commit is the window
        in which a counselor's message could reach the client twice."""
        with self.store() as uow:
            stored = uow.topics.for_client(topic.client_id)
            if stored is not None and stored.thread_id == topic.thread_id:
                uow.topics.save(replace(stored, handled_update=max(stored.handled_update,
                                                                   update_id)))
                uow.commit()

    def _save_topic(self, client_id: int, thread_id: int) -> None:
        with self.store() as uow:
            uow.topics.save(TopicRecord(client_id, self.chat_id, thread_id, datetime.now(UTC)))
            uow.commit()

    def _mark_notified(self, task_id: int) -> None:
        with self.store() as uow:
            uow.tasks.mark_notified(task_id, datetime.now(UTC))
            uow.commit()

    def _client_name(self, client_id: int) -> str:
        with self.store() as uow:
            client = uow.clients.get(client_id)
            return client.first_name if client and client.first_name else f"#{client_id}"

    def _header(self, client_id: int) -> tuple[str, str]:
        """The topic's title and its header card: who this is, at a glance."""
        staff = self.staff
        with self.store() as uow:
            client = uow.clients.get(client_id)
            case = uow.cases.current_for(client_id)
            counselor = next((c for c in uow.counselors.all()
                              if case and c.id == case.counselor_id), None)
            upcoming = next_appointment(uow, client_id, datetime.now(UTC))
        assert client is not None
        name = client.first_name or f"#{client.id}"
        reference = case.reference if case else staff.gettext(N_("geen dossier"))
        title = f"{reference} · {name} · {client.language}"
        header = staff.format(staff.gettext(N_(
            "📇 {case}\nVoornaam: {name}\nTaal: {language}\nToestemming: {consent}\n"
            "Begeleider: {counselor}\nVolgende afspraak: {appointment}")),
            case=reference, name=name, language=client.language,
            consent=client.consent.value, counselor=counselor.name if counselor else "—",
            appointment=staff.datetime(upcoming.starts_at) if upcoming else "—")
        return title, header


async def _answer(query: object) -> None:
    try:
        await query.answer()  # type: ignore[attr-defined]
    except Exception:
        log.debug("callback answer failed", exc_info=True)


def _with_actions(markup: InlineKeyboardMarkup | None,
                  actions: tuple[Button, ...]) -> InlineKeyboardMarkup:
    rows = [list(row) for row in markup.inline_keyboard] if markup else []
    rows.insert(0, [InlineKeyboardButton(b.label, callback_data=b.payload[:64])
                    for b in actions])
    return InlineKeyboardMarkup(rows)


def _command(text: str, names: tuple[str, ...]) -> tuple[str, str] | None:
    """('afspraak', 'vrijdag 10:00 …') for a counselor's command, else None."""
    stripped = text.strip()
    if not stripped.startswith("/"):
        return None
    head, _, args = stripped[1:].partition(" ")
    name = head.split("@", 1)[0].lower()
    return (name, args.strip()) if name in names else None


def _int(text: str) -> int:
    found = parse_id(text)
    return -1 if found is None else found


__all__ = ["CLAIM", "HAND_BACK", "GroupPace", "TelegramCounselorDesk"]
