"""The dialogue engine: one inbound message in, one unit of work, replies and alerts out.

It knows no channel SDK and no database library: adapters hand it `Incoming` messages, it
talks to the case store through the unit-of-work contract, and returns a `Reply`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Protocol

from dialogues.channel import AlertSink, Channel
from dialogues.flood import FloodGate
from dialogues.flows import (
    appointment_answers,
    first_contact,
    nazorg_answers,
    privacy,
    registered,
    rights,
)
from dialogues.flows.common import (
    HELP,
    HUMAN,
    LANGUAGE,
    request_human,
    send_crisis_help,
    send_help,
)
from dialogues.i18n import N_, Translator
from dialogues.languages import from_locale_hint, language, supported
from dialogues.messages import Button, Incoming, InputKind, Outgoing, Relay, Reply
from dialogues.ordering import KeyedLocks
from dialogues.settings import DialogueSettings
from dialogues.state import Conversation, IntakeAnswers, Step
from dialogues.turn import StepHandler, Turn
from nlu.types import NLU, ParseResult
from storage.records import (
    Author,
    ClientRecord,
    ConsentState,
    Direction,
    EscalationStatus,
    InteractionRecord,
    StateRecord,
    TaskKind,
)
from storage.repositories import StoreUnavailable, UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

MAX_STORED_TEXT = 10_000
SPEAK = "speak:"
SWITCH = "switch:"
STAY = "stay:"
APPOINTMENT_BUTTONS = "appt"  # under notices and reminders: valid in any step
NAZORG_BUTTONS = "nz:"  # under after-care check-ins: valid in any step
BEFORE_REGISTERED = (Step.START, Step.CHOOSE_LANGUAGE, Step.CONSENT, Step.AREA, Step.NATIONALITY,
                     Step.SEEKING, Step.FIRST_NAME, Step.CONTACT, Step.HELP_WANTED)
SWITCH_CONFIDENCE = 0.8
SWITCH_MIN_WORDS = 3
MEDIA_NAMES = {InputKind.VOICE: N_("een spraakbericht"), InputKind.AUDIO: N_("een geluidsbestand"),
               InputKind.PHOTO: N_("een foto"), InputKind.DOCUMENT: N_("een document")}


@dataclass(frozen=True, slots=True)
class TurnFacts:
    """What one handled message looked like, for metrics: no words, no names."""

    channel: str
    language: str
    seconds: float  # the whole turn, store included
    nlu_seconds: float | None  # None: nothing to parse (a button, a command, media)
    intent: str
    confidence: float | None
    replies: int
    failed: bool = False


class TurnObserver(Protocol):
    def turn_done(self, facts: TurnFacts) -> None: ...


STORE_WAITS = (0.5, 1.0, 2.0, 4.0, 8.0)  # a database restart takes seconds


HOLDS_AT_ONCE = 8  # clients held at once by one process (a database connection each)


class ClientHold(Protocol):
    """Keeps other processes from handling a client's messages meanwhile (the store's)."""

    def __call__(self, channel: str, external_id: str) -> AbstractContextManager[None]: ...


def utcnow() -> datetime:
    return datetime.now(UTC)


class Engine:
    def __init__(self, store: UnitOfWorkFactory, nlu: NLU, settings: DialogueSettings,
                 clock: Callable[[], datetime] = utcnow,
                 observer: TurnObserver | None = None,
                 hold: ClientHold | None = None) -> None:
        self.store = store
        self.hold = hold
        self._hold_slots: asyncio.Semaphore | None = None  # made in the running loop
        self.observer = observer
        self.nlu = nlu
        self.settings = settings
        self.clock = clock
        self.handlers: dict[Step, StepHandler] = {**first_contact.HANDLERS,
                                                  **registered.HANDLERS,
                                                  **appointment_answers.HANDLERS,
                                                  **nazorg_answers.HANDLERS,
                                                  **rights.HANDLERS}
        self._locks = KeyedLocks()
        self.flood = FloodGate(settings.flood_rate, settings.flood_burst)

    async def receive(self, incoming: Incoming, channel: Channel,
                      alerts: AlertSink | None = None) -> Reply:
        """Handle a message and deliver the replies through the channel it came from."""
        if incoming.delivery is None or self.hold is None:
            return await self._receive(incoming, channel, alerts)
        # A channel that delivers again (Telegram, after a time-out or a crash) may hand the
        # same message to another worker while this one still answers it: that worker waits
        # here, then finds the reply sent and sends nothing twice. Holds are few at a time (a
        # connection each): the others wait their turn here, not in a thread.
        if self._hold_slots is None:
            self._hold_slots = asyncio.Semaphore(HOLDS_AT_ONCE)
        async with self._hold_slots:
            held = await self._take_hold(incoming)
            try:
                return await self._receive(incoming, channel, alerts)
            finally:
                if held is not None:
                    await asyncio.to_thread(held.__exit__, None, None, None)

    async def _take_hold(self, incoming: Incoming) -> AbstractContextManager[None] | None:
        """The client held for this delivery; None only if the store stayed away throughout
        (the turn then waits for the store itself, and order rests on the channel's)."""
        assert self.hold is not None
        for wait in (*STORE_WAITS, None):
            held = self.hold(incoming.client.channel.value, incoming.client.external_id)
            try:
                await asyncio.to_thread(held.__enter__)
                return held
            except Exception:
                if wait is None:
                    log.error("could not hold the client for this delivery", exc_info=True)
                    return None
                log.warning("could not hold the client yet; trying again in %.1f s", wait)
                await asyncio.sleep(wait)
        return None

    async def _receive(self, incoming: Incoming, channel: Channel,
                       alerts: AlertSink | None) -> Reply:
        reply = await self.handle_async(incoming)
        for message in reply.messages:
            await channel.send(incoming.client, message)
            if incoming.delivery is not None:
                async with self._locks.hold(str(incoming.client)):
                    await asyncio.to_thread(self._went_out, incoming)
        if alerts is not None:
            for alert in reply.alerts:
                try:
                    await alerts.alert(alert)
                except Exception:
                    log.exception("counselor alert %s not delivered now; it stays in the store",
                                  alert.task_id)
            for relay in reply.relays:
                try:
                    await alerts.relay(relay, incoming.client)
                except Exception:
                    log.exception("a client's message was not relayed now; it is in the case")
        return reply

    def _went_out(self, incoming: Incoming) -> None:
        """A message of the reply went out (or was given up on): delivered again, this
        message does not go again (`Conversation.handled_before`). A crash before this commit
        sends it twice: the window, one round trip per message."""
        try:
            with self.store() as uow:
                key = incoming.client
                client = uow.clients.by_identity(key.channel.value, key.external_id)
                stored = uow.states.load(client.id) if client else None
                if client is None or stored is None:
                    return
                conversation = Conversation.from_stored(stored.step, stored.data)
                if (conversation.delivered.get(key.channel.value) != incoming.delivery
                        or not conversation.last_reply):
                    return
                conversation.last_reply = conversation.last_reply[1:]
                uow.states.save(client.id, StateRecord(stored.step, conversation.to_data(),
                                                       stored.updated_at))
                uow.commit()
        except Exception:  # delivered again, it would go twice; nothing is lost
            log.warning("could not note that a reply went out", exc_info=True)

    async def handle_async(self, incoming: Incoming) -> Reply:
        """Handle messages of one client strictly in order; never raise to the channel."""
        key = str(incoming.client)
        if self.flood.too_many(self._locks.waiting(key)):
            return Reply()  # a script, not a person: deliberately unanswered (and logged)
        async with self._locks.hold(key):
            try:
                await self.flood.wait_turn(key)
                return await self._handle_waiting_for_store(incoming)
            except Exception:
                log.exception("turn failed for a %s client", incoming.client.channel.value)
                return self.apology(incoming)

    async def _handle_waiting_for_store(self, incoming: Incoming) -> Reply:
        """A store away for a moment (a database restart) is waited for, not apologised for:
        the turn was rolled back, so trying it again is safe."""
        for wait in STORE_WAITS:
            try:
                return await asyncio.to_thread(self.handle, incoming)
            except StoreUnavailable:
                log.warning("the case store is away; the turn tries again in %.1f s", wait)
                await asyncio.sleep(wait)
        return await asyncio.to_thread(self.handle, incoming)

    def apology(self, incoming: Incoming) -> Reply:
        """A polite answer when something broke on our side; the client may simply retry."""
        code = from_locale_hint(incoming.locale_hint) or "nl"
        try:
            with self.store() as uow:
                client = uow.clients.by_identity(incoming.client.channel.value,
                                                 incoming.client.external_id)
                code = client.language if client else code
        except Exception:
            log.exception("could not read the client's language for an apology")
        tr = Translator(code, self.settings.timezone)
        _ = tr.gettext
        return Reply([Outgoing(_("Sorry, er ging iets mis bij ons. Probeer het zo opnieuw."),
                               language=code, rtl=tr.rtl)])

    def handle(self, incoming: Incoming) -> Reply:
        started = time.perf_counter()
        if "\x00" in incoming.text + incoming.payload + incoming.command_args:
            # NUL is no character anyone types, and PostgreSQL cannot store it in text
            incoming = replace(incoming, text=incoming.text.replace("\x00", ""),
                               payload=incoming.payload.replace("\x00", ""),
                               command_args=incoming.command_args.replace("\x00", ""))
        parse = self._parse(incoming)
        nlu_seconds = time.perf_counter() - started if parse is not None else None
        try:
            reply, code = self._handle(incoming, parse)
        except Exception:
            self._observe(incoming, started, nlu_seconds, parse, "", 0, failed=True)
            raise
        self._observe(incoming, started, nlu_seconds, parse, code, len(reply.messages))
        return reply

    def _observe(self, incoming: Incoming, started: float, nlu_seconds: float | None,
                 parse: ParseResult | None, language: str, replies: int,
                 failed: bool = False) -> None:
        if self.observer is None:
            return
        try:
            self.observer.turn_done(TurnFacts(
                incoming.client.channel.value, language, time.perf_counter() - started,
                nlu_seconds, parse.intent if parse else "", parse.confidence if parse else None,
                replies, failed))
        except Exception:
            log.exception("a metrics observer failed; the turn is not affected")

    def _handle(self, incoming: Incoming, parse: ParseResult | None) -> tuple[Reply, str]:
        now = self.clock()
        with self.store() as uow:
            uow.clients.lock(incoming.client.channel.value, incoming.client.external_id)
            client = self._client(uow, incoming, now)
            stored = uow.states.load(client.id)
            conversation = Conversation.from_stored(stored.step if stored else None,
                                                    stored.data if stored else None)
            turn = Turn(incoming=incoming, client=client, conversation=conversation, uow=uow,
                        settings=self.settings, now=now, parse=parse,
                        tr=Translator(client.language, self.settings.timezone),
                        prompt_step=self._prompt)
            channel = incoming.client.channel.value
            again = (conversation.handled_before(channel, incoming.delivery, now)
                     if incoming.delivery is not None else None)
            if again is not None:  # delivered again after a crash: nothing changes twice
                turn.reply.messages.extend(again)
                return turn.reply, client.language
            self._dispatch(turn)
            if turn.erased:  # nothing of this conversation may stay behind
                uow.clients.save(client)
                uow.commit()
                return turn.reply, client.language
            self._offer_listening(turn)
            if incoming.delivery is not None:
                conversation.replied(channel, incoming.delivery, turn.reply.messages, now)
            client.last_seen_at = now
            uow.clients.save(client)
            uow.states.save(client.id, StateRecord(conversation.step.value,
                                                   conversation.to_data(), now))
            self._log(turn)
            uow.commit()
        return turn.reply, client.language

    # ---- routing ----------------------------------------------------------------------------

    def _dispatch(self, turn: Turn) -> None:
        incoming = turn.incoming
        if turn.step == Step.START:
            self._prompt(turn)
            return
        if privacy.handles(turn):  # the client's rights, also while a person has the chat
            privacy.handle(turn)
            return
        with_person = turn.uow.escalations.active_for(turn.client.id)
        if with_person is not None and with_person.status == EscalationStatus.CLAIMED:
            # a person has the conversation: the bot stays quiet, except to keep someone safe
            turn.reply.relays.append(Relay(turn.client.id, with_person.id, incoming.kind,
                                           incoming.text or incoming.payload,
                                           incoming.channel_message_id))
            if turn.parse is not None and turn.parse.crisis:
                send_crisis_help(turn)
            return
        if incoming.kind == InputKind.COMMAND:
            self._command(turn)
        elif incoming.kind.is_media:
            self._media(turn)
        elif turn.parse is not None and turn.parse.crisis:
            send_crisis_help(turn)
        elif incoming.payload in (HELP, LANGUAGE, HUMAN):
            self._menu(turn)
        elif incoming.payload.startswith((SWITCH, STAY)):
            self._answer_switch(turn)
        elif incoming.payload.startswith(SPEAK):
            self._speak(turn)
        elif incoming.payload.startswith(APPOINTMENT_BUTTONS):
            appointment_answers.answer_button(turn)
        elif incoming.payload.startswith(NAZORG_BUTTONS):
            nazorg_answers.answer_button(turn)
        elif incoming.payload.startswith(rights.RIGHTS) and turn.step not in BEFORE_REGISTERED:
            rights.answer_button(turn)
        elif incoming.kind == InputKind.BUTTON and (
                not incoming.payload.startswith(self.handlers[turn.step].accepts or ("\0",))):
            _ = turn.tr.gettext
            turn.say(_("Die knop werkt niet meer. Kies een van de knoppen hieronder."))
            turn.reprompt()
        elif incoming.kind == InputKind.TEXT and not turn.text:
            turn.reprompt()
        elif (incoming.kind == InputKind.TEXT and turn.parse is not None
              and turn.parse.intent == "change_language"
              and turn.parse.confidence >= self.settings.nlu_confidence_threshold
              and turn.step not in (Step.CHOOSE_LANGUAGE, Step.FIRST_NAME, Step.CONTACT)):
            self._open_language_picker(turn)
        else:
            self.handlers[turn.step].answer(turn)
            self._maybe_offer_switch(turn)

    def _maybe_offer_switch(self, turn: Turn) -> None:
        """Free text clearly in another of our languages: offer to switch, in both languages.

        One-word or two-word messages ("ok", "merci") never trigger it, nor does a language the
        client already said no to.
        """
        parse = turn.parse
        if (parse is None or turn.incoming.kind != InputKind.TEXT
                or turn.step in (Step.CHOOSE_LANGUAGE, Step.FIRST_NAME, Step.CONTACT)
                or not supported(parse.language) or parse.language == turn.client.language
                or parse.language_confidence < SWITCH_CONFIDENCE
                or len(turn.text.split()) < SWITCH_MIN_WORDS
                or parse.language in turn.conversation.declined_languages):
            return
        offered = language(parse.language)
        lines = []
        for code in (offered.code, turn.client.language):
            tr = Translator(code, self.settings.timezone)
            lines.append(tr.format(tr.gettext("Wil je verder in deze taal: {language}?"),
                                   language=offered.native_name))
        _ = turn.tr.gettext
        turn.say("\n".join(lines), [[Button(f"✅ {offered.native_name}", SWITCH + offered.code),
                                     Button(_("❌ Nee, bedankt"), STAY + offered.code)]])

    def _offer_listening(self, turn: Turn) -> None:
        """A 🔊 button under each reply, where the client's language has a voice."""
        messages = turn.reply.messages
        if (not messages or turn.client.language not in self.settings.voice_languages
                or any(m.voice for m in messages)):
            return
        spoken = "\n\n".join(m.text for m in messages if m.language == turn.client.language)
        if not spoken:
            return
        key = turn.conversation.remember_for_speech(spoken)
        last = messages[-1]
        messages[-1] = replace(last, buttons=(*last.buttons, (Button("🔊", SPEAK + key),)))

    def _speak(self, turn: Turn) -> None:
        text = turn.conversation.spoken.get(turn.incoming.payload.removeprefix(SPEAK))
        if text is None or turn.client.language not in self.settings.voice_languages:
            _ = turn.tr.gettext
            turn.say(_("Die knop werkt niet meer. Kies een van de knoppen hieronder."))
            turn.reprompt()
            return
        turn.reply.messages.append(Outgoing("", self._current_buttons(turn),
                                            language=turn.client.language, rtl=turn.tr.rtl,
                                            voice=text))

    def _current_buttons(self, turn: Turn) -> tuple[tuple[Button, ...], ...]:
        """The buttons of the current question, so a voice note keeps them at hand."""
        spoken = turn.reply
        turn.reply = Reply()
        try:
            self._prompt(turn)
            return turn.reply.messages[-1].buttons if turn.reply.messages else ()
        finally:
            turn.reply = spoken

    def _answer_switch(self, turn: Turn) -> None:
        payload = turn.incoming.payload
        if payload.startswith(SWITCH) and supported(payload.removeprefix(SWITCH)):
            turn.switch_language(payload.removeprefix(SWITCH))
            _ = turn.tr.gettext
            turn.say(_("Goed, we praten verder in het Nederlands."))
        elif payload.startswith(STAY):
            turn.conversation.declined_languages.append(payload.removeprefix(STAY)[:8])
        turn.reprompt()

    def _prompt(self, turn: Turn) -> None:
        self.handlers[turn.conversation.step].prompt(turn)

    def _command(self, turn: Turn) -> None:
        _ = turn.tr.gettext
        name = turn.incoming.command
        if name == "start":
            if turn.step in (Step.START, Step.STOPPED, Step.CHOOSE_LANGUAGE):
                turn.go(Step.CHOOSE_LANGUAGE)
            elif turn.step == Step.REGISTERED:
                turn.say(turn.tr.format(_("Welkom terug, {name}!"), name=turn.client.first_name))
                turn.reprompt()
            else:
                turn.say(_("Welkom terug! We gaan verder waar we waren."))
                turn.reprompt()
        elif name == "language":
            self._open_language_picker(turn)
        elif name == "help":
            send_help(turn)
            turn.reprompt()
        elif name == "stop":
            self._stop(turn)
        else:
            turn.say(_("Dat commando ken ik niet. Je kunt /start, /language, /help, /stop, "
                       "/mydata en /delete gebruiken."))
            turn.reprompt()

    def _open_language_picker(self, turn: Turn) -> None:
        if turn.step != Step.CHOOSE_LANGUAGE:
            turn.conversation.resume = turn.step
        turn.go(Step.CHOOSE_LANGUAGE)

    def _stop(self, turn: Turn) -> None:
        _ = turn.tr.gettext
        if turn.client.consent == ConsentState.GRANTED and turn.step == Step.REGISTERED:
            turn.say(_("Goed, ik stop. Je begeleider kan je nog altijd bereiken. "
                       "Schrijf me gerust als je iets nodig hebt."))
            return
        turn.conversation.answers = IntakeAnswers()
        turn.conversation.resume = None
        if turn.client.consent == ConsentState.GRANTED and turn.uow.cases.current_for(
                turn.client.id):
            turn.conversation.step = Step.REGISTERED
            turn.say(_("Goed, ik stop. Je begeleider kan je nog altijd bereiken. "
                       "Schrijf me gerust als je iets nodig hebt."))
            return
        turn.go(Step.STOPPED)

    def _menu(self, turn: Turn) -> None:
        payload = turn.incoming.payload
        if payload == HELP:
            send_help(turn)
            turn.reprompt()
        elif payload == LANGUAGE:
            self._open_language_picker(turn)
        else:
            request_human(turn)

    def _media(self, turn: Turn) -> None:
        _ = turn.tr.gettext
        kind = turn.incoming.kind
        if kind == InputKind.VOICE or kind == InputKind.AUDIO:
            turn.say(_("Ik kan nog niet naar spraakberichten luisteren. "
                       "Typ je bericht, of kies een knop."))
        elif kind in (InputKind.PHOTO, InputKind.DOCUMENT):
            turn.say(_("Ik kan nog geen foto’s of bestanden lezen. "
                       "Typ je bericht, of kies een knop."))
        else:
            turn.say(_("Dat kan ik niet lezen. Typ je bericht, of kies een knop."))
        if turn.step == Step.REGISTERED and kind in (InputKind.VOICE, InputKind.AUDIO,
                                                     InputKind.PHOTO, InputKind.DOCUMENT):
            staff = turn.staff
            turn.add_task(TaskKind.MEDIA_RECEIVED,
                          staff.format(staff.gettext(N_("{name} stuurde iets in de chat: {kind}. "
                                                        "Neem contact op als het belangrijk "
                                                        "lijkt.")),
                                       name=turn.client.first_name,
                                       kind=staff.gettext(MEDIA_NAMES[kind])))
            turn.say(_("Ik heb je begeleider laten weten dat je iets stuurde."))
        if turn.step != Step.REGISTERED:
            turn.reprompt()

    # ---- store ------------------------------------------------------------------------------

    def _parse(self, incoming: Incoming) -> ParseResult | None:
        if incoming.kind != InputKind.TEXT or not incoming.text.strip():
            return None
        return self.nlu.parse(incoming.text)

    def _client(self, uow: UnitOfWork, incoming: Incoming, now: datetime) -> ClientRecord:
        key = incoming.client
        client = uow.clients.by_identity(key.channel.value, key.external_id)
        if client is None:
            hint = from_locale_hint(incoming.locale_hint) or "nl"
            client = uow.clients.add(key.channel.value, key.external_id, language(hint).code,
                                     now)
        return client

    def _log(self, turn: Turn) -> None:
        """Every message both ways, but only for clients who agreed that we keep it."""
        client = turn.client
        if client.consent != ConsentState.GRANTED:
            return
        case = turn.uow.cases.current_for(client.id)
        case_id = case.id if case else None
        incoming = turn.incoming
        parse = turn.parse
        channel = incoming.client.channel.value
        turn.uow.interactions.add(InteractionRecord(
            client_id=client.id, case_id=case_id, direction=Direction.IN, author=Author.CLIENT,
            channel=channel, created_at=turn.now, kind=incoming.kind.value,
            text=(incoming.text or "")[:MAX_STORED_TEXT],
            payload=(incoming.payload or incoming.command)[:200],
            language=parse.language if parse else "", intent=parse.intent if parse else "",
            confidence=parse.confidence if parse else None))
        for message in turn.reply.messages:
            turn.uow.interactions.add(InteractionRecord(
                client_id=client.id, case_id=case_id, direction=Direction.OUT,
                author=Author.BOT, channel=channel, created_at=turn.now, kind="text",
                text=(message.text or f"[voice] {message.voice}")[:MAX_STORED_TEXT],
                payload=" ".join(b.payload for b in message.flat_buttons)[:200],
                language=message.language))
