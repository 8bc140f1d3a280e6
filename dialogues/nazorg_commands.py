"""Counselors register a job and close cases in Dutch, in a client's topic.

/werk <startdag> <soort contract> <werkgever> — e.g. `/werk maandag interim Randstad - Barco`
/afsluiten <uitkomst> — duurzaam | opleiding | zelfstandig | praktisch | stopgezet
/heropen · /nazorg (the check-ins so far) · /nazorg hervat (ask again after silence)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from dialogues.appointments import Actor
from dialogues.i18n import N_
from dialogues.nazorg import Aftercare, AftercareOutcome
from nlu.dates import parse_when
from storage.records import CaseOutcome, ContractType

COMMANDS = ("werk", "afsluiten", "heropen", "nazorg")
CONTRACT_WORDS = {
    "vast": ContractType.PERMANENT, "onbepaalde": ContractType.PERMANENT,
    "bepaalde": ContractType.FIXED_TERM, "tijdelijk": ContractType.FIXED_TERM,
    "interim": ContractType.INTERIM, "uitzendwerk": ContractType.INTERIM,
    "dagcontract": ContractType.DAY_CONTRACT, "dagcontracten": ContractType.DAY_CONTRACT,
    "art60": ContractType.ARTICLE_60, "artikel60": ContractType.ARTICLE_60,
    "opleiding": ContractType.TRAINING, "ibo": ContractType.TRAINING,
}
OUTCOME_WORDS = {
    "duurzaam": CaseOutcome.LASTING_JOB, "werk": CaseOutcome.LASTING_JOB,
    "opleiding": CaseOutcome.TRAINING, "zelfstandig": CaseOutcome.INDEPENDENT,
    "praktisch": CaseOutcome.STOPPED_PRACTICAL, "medisch": CaseOutcome.STOPPED_PRACTICAL,
    "stopgezet": CaseOutcome.STOPPED_BY_CLIENT, "gestopt": CaseOutcome.STOPPED_BY_CLIENT,
}
WORK_USAGE = N_("Gebruik: /werk maandag interim Randstad - Barco (contract: vast, bepaalde "
                "duur, interim, dagcontract, art60, opleiding).")
CLOSE_USAGE = N_("Gebruik: /afsluiten duurzaam | opleiding | zelfstandig | praktisch | "
                 "stopgezet.")


def parse_job(args: str, now: datetime, tz: ZoneInfo) -> tuple[date, ContractType, str] | None:
    """'maandag interim Randstad - Barco' → (the start day, the contract, the employer)."""
    text = re.sub(r"(?i)\bartikel\s+60\b|\bart\.?\s*60\b", "art60", args)
    text = re.sub(r"(?i)\bbepaalde\s+duur\b", "bepaalde", text)
    text = re.sub(r"(?i)\bonbepaalde\s+duur\b", "onbepaalde", text)
    started = _day(text, now, tz)
    if started is None:
        return None
    day, matched = started
    rest = text.replace(matched, " ", 1) if matched else text
    contract = None
    employer = []
    for word in rest.split():
        folded = word.strip(",.;:").casefold()
        if contract is None and folded in CONTRACT_WORDS:
            contract = CONTRACT_WORDS[folded]
        elif folded not in ("op", "vanaf", "bij", "sinds"):
            employer.append(word)
    if contract is None:
        return None
    return day, contract, " ".join(employer).strip(" ,;-")


def _day(text: str, now: datetime, tz: ZoneInfo) -> tuple[date, str] | None:
    iso = re.search(r"\b(\d{4})-(\d{2})-(\d{2})\b", text)
    if iso:
        return date(int(iso[1]), int(iso[2]), int(iso[3])), iso[0]
    for word in ("vandaag", "gisteren", "eergisteren"):
        if re.search(rf"(?i)\b{word}\b", text):
            offset = {"vandaag": 0, "gisteren": 1, "eergisteren": 2}[word]
            return date.fromordinal(now.astimezone(tz).date().toordinal() - offset), word
    proposal = parse_when(text, "nl", now, tz)
    if proposal is None or proposal.date is None:
        return None
    return proposal.date, proposal.matched


class AftercareCommands:
    names = COMMANDS

    def __init__(self, aftercare: Aftercare, clock: Callable[[], datetime]) -> None:
        self.aftercare = aftercare
        self.clock = clock
        self.staff = aftercare.staff

    def handle(self, client_id: int, actor: Actor, command: str, args: str
               ) -> AftercareOutcome:
        _ = self.staff.gettext
        if command == "werk":
            parsed = parse_job(args, self.clock(), self.aftercare.tz)
            if parsed is None:
                return AftercareOutcome(False, _(WORK_USAGE))
            return self.aftercare.start_job(client_id, *parsed, actor)
        if command == "afsluiten":
            words = [w.casefold().strip(",.") for w in args.split()]
            outcome = next((OUTCOME_WORDS[w] for w in words if w in OUTCOME_WORDS), None)
            if outcome is None:
                return AftercareOutcome(False, _(CLOSE_USAGE))
            return self.aftercare.close_case(client_id, outcome, actor)
        if command == "heropen":
            return self.aftercare.reopen_case(client_id, actor)
        if args.strip().casefold() == "hervat":
            return self.aftercare.resume(client_id, actor)
        return AftercareOutcome(True, self.aftercare.status(client_id))
