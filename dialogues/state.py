"""A client's place in the conversation, with its own types, persisted after every message."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from dialogues.messages import Button, Outgoing

# Telegram hands out an unconfirmed update again for up to a day. After a week without any
# update its numbers start anew at random, so an old number proves nothing.
REDELIVERY_WINDOW = timedelta(days=1)


class Step(StrEnum):
    START = "start"
    CHOOSE_LANGUAGE = "choose_language"
    CONSENT = "consent"
    AREA = "area"
    NATIONALITY = "nationality"
    SEEKING = "seeking"
    FIRST_NAME = "first_name"
    CONTACT = "contact"
    HELP_WANTED = "help_wanted"
    REGISTERED = "registered"
    APPOINTMENT_PROPOSAL = "appointment_proposal"  # which other day and time would suit?
    NAZORG_PROBLEM = "nazorg_problem"  # trouble at work: what kind?
    NAZORG_NOTE = "nazorg_note"  # a few words for the counselor (optional)
    RIGHTS_HOUSEHOLD = "rights_household"  # the guided rights check, one question a step
    RIGHTS_CHILDREN = "rights_children"
    RIGHTS_INCOME = "rights_income"
    RIGHTS_HOUSING = "rights_housing"
    RIGHTS_HEALTH = "rights_health"
    RIGHTS_DEBTS = "rights_debts"
    NOT_ELIGIBLE = "not_eligible"
    INFO_ONLY = "info_only"
    STOPPED = "stopped"


@dataclass(slots=True)
class IntakeAnswers:
    """What the client answered during first contact, until the case is registered."""

    area: str = ""
    non_eu: str = ""  # yes / no / unsure
    seeking: str = ""  # yes / no
    first_name: str = ""
    contact: str = ""
    help_wanted: str = ""


@dataclass(slots=True)
class Conversation:
    step: Step = Step.START
    resume: Step | None = None  # where to go back to after the language picker
    unclear: int = 0  # free-text messages in a row the bot did not understand
    answers: IntakeAnswers = field(default_factory=IntakeAnswers)
    declined_languages: list[str] = field(default_factory=list)  # switch offers said no to
    spoken: dict[str, str] = field(default_factory=dict)  # recent replies a 🔊 button reads
    spoken_seq: int = 0
    appointment_id: int = 0  # the appointment a question is about (another time for it)
    job_id: int = 0  # after-care: the job and check-in being answered, the trouble named
    checkin: int = 0
    problem: str = ""
    rights: dict[str, str] = field(default_factory=dict)  # guided rights check answers so far
    delivered: dict[str, int] = field(default_factory=dict)  # last delivery handled, by channel
    delivered_at: dict[str, str] = field(default_factory=dict)  # and when (ISO 8601)
    last_reply: list[dict[str, Any]] = field(default_factory=list)  # its messages not yet sent

    def replied(self, channel: str, delivery: int, messages: list[Outgoing],
                now: datetime) -> None:
        """Remember the delivery just handled and its reply, in the turn's own commit."""
        self.delivered[channel] = delivery
        self.delivered_at[channel] = now.isoformat()
        self.last_reply = [{"text": m.text or m.voice, "language": m.language, "rtl": m.rtl,
                            "buttons": [[[b.label, b.payload] for b in row]
                                        for row in m.buttons]} for m in messages]

    def handled_before(self, channel: str, delivery: int,
                       now: datetime) -> list[Outgoing] | None:
        """None for a new delivery. For one handled before: what of its reply may not have
        gone out (a crash came first); nothing if a later message was handled after it."""
        last = self.delivered.get(channel)
        at = self.delivered_at.get(channel)
        if (last is None or delivery > last or at is None
                or now - datetime.fromisoformat(at) > REDELIVERY_WINDOW):
            return None
        if delivery < last:
            return []
        return [Outgoing(str(m.get("text") or ""),
                         tuple(tuple(Button(str(label), str(payload)) for label, payload in row)
                               for row in m.get("buttons") or []),
                         str(m.get("language") or "nl"), bool(m.get("rtl")))
                for m in self.last_reply]

    def remember_for_speech(self, text: str, keep: int = 5) -> str:
        """Keep a reply so its 🔊 button can read it later; returns the button's key."""
        self.spoken_seq += 1
        key = str(self.spoken_seq)
        self.spoken[key] = text
        for old in sorted(self.spoken, key=int)[:-keep]:
            del self.spoken[old]
        return key

    def to_data(self) -> dict[str, Any]:
        return {"resume": self.resume.value if self.resume else None, "unclear": self.unclear,
                "answers": asdict(self.answers), "declined": list(self.declined_languages),
                "spoken": dict(self.spoken), "spoken_seq": self.spoken_seq,
                "appointment_id": self.appointment_id, "job_id": self.job_id,
                "checkin": self.checkin, "problem": self.problem,
                "rights": dict(self.rights), "delivered": dict(self.delivered),
                "delivered_at": dict(self.delivered_at), "last_reply": list(self.last_reply)}

    @classmethod
    def from_stored(cls, step: str | None, data: dict[str, Any] | None) -> Conversation:
        """Rebuild from the store; anything unknown (an older release's step) starts over."""
        data = data or {}
        try:
            current = Step(step) if step else Step.START
        except ValueError:
            current = Step.START
        resume_raw = data.get("resume")
        resume = Step(str(resume_raw)) if resume_raw in Step._value2member_map_ else None
        known = IntakeAnswers.__dataclass_fields__
        answers = IntakeAnswers(**{k: str(v) for k, v in (data.get("answers") or {}).items()
                                   if k in known})
        declined = [str(c) for c in data.get("declined") or []][:20]
        spoken = {str(k): str(v) for k, v in (data.get("spoken") or {}).items()}
        return cls(current, resume, int(data.get("unclear") or 0), answers, declined, spoken,
                   int(data.get("spoken_seq") or 0), int(data.get("appointment_id") or 0),
                   int(data.get("job_id") or 0), int(data.get("checkin") or 0),
                   str(data.get("problem") or "")[:40],
                   {str(k)[:20]: str(v)[:20] for k, v in (data.get("rights") or {}).items()},
                   {str(k)[:20]: int(v) for k, v in (data.get("delivered") or {}).items()},
                   {str(k)[:20]: str(v) for k, v in (data.get("delivered_at") or {}).items()},
                   [m for m in data.get("last_reply") or [] if isinstance(m, dict)])
