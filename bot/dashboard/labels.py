"""The dashboard's names for the case store's codes, marked for translation (nl, en)."""

from __future__ import annotations

from dialogues.i18n import N_
from storage.records import (
    AppointmentKind,
    AppointmentMode,
    AppointmentStatus,
    CaseOutcome,
    CaseStatus,
    CheckinAnswer,
    ConsentState,
    ContractType,
    CounselorRole,
    EscalationReason,
    EscalationStatus,
    TaskKind,
    TaskPriority,
)

CASE_STATUS = {
    CaseStatus.NEW: N_("nieuw"),
    CaseStatus.ACTIVE: N_("actieve begeleiding"),
    CaseStatus.NAZORG: N_("nazorg"),
    CaseStatus.CLOSED: N_("afgesloten"),
}
OUTCOME = {
    CaseOutcome.LASTING_JOB: N_("duurzaam werk"),
    CaseOutcome.TRAINING: N_("opleiding"),
    CaseOutcome.INDEPENDENT: N_("zelfstandig verder"),
    CaseOutcome.STOPPED_PRACTICAL: N_("gestopt (praktische redenen)"),
    CaseOutcome.STOPPED_BY_CLIENT: N_("gestopt door de cliënt"),
}
REASON = {
    EscalationReason.ASKED_FOR_PERSON: N_("vraagt een persoon"),
    EscalationReason.UNCLEAR: N_("de bot begrijpt het niet"),
    EscalationReason.SENSITIVE: N_("gevoelig onderwerp"),
    EscalationReason.CRISIS: N_("crisis"),
    EscalationReason.NOT_ELIGIBLE: N_("niet voor het programma, wil hulp"),
    EscalationReason.FLOW_EVENT: N_("opvolging"),
}
ESCALATION_STATUS = {
    EscalationStatus.OPEN: N_("wacht"),
    EscalationStatus.CLAIMED: N_("opgenomen"),
    EscalationStatus.RESOLVED: N_("afgerond"),
}
PRIORITY = {TaskPriority.URGENT: N_("dringend"), TaskPriority.NORMAL: N_("normaal")}
APPOINTMENT_KIND = {
    AppointmentKind.INTAKE: N_("intake"),
    AppointmentKind.FOLLOW_UP: N_("opvolggesprek"),
    AppointmentKind.TRAINING: N_("opleiding"),
    AppointmentKind.JOB_INTERVIEW: N_("sollicitatie"),
    AppointmentKind.OTHER: N_("andere"),
}
APPOINTMENT_MODE = {
    AppointmentMode.IN_PERSON: N_("ter plaatse"),
    AppointmentMode.PHONE: N_("telefonisch"),
    AppointmentMode.VIDEO: N_("video"),
}
APPOINTMENT_STATUS = {
    AppointmentStatus.PLANNED: N_("gepland"),
    AppointmentStatus.CONFIRMED: N_("bevestigd"),
    AppointmentStatus.CANCEL_REQUESTED: N_("cliënt kan niet"),
    AppointmentStatus.RESCHEDULE_REQUESTED: N_("cliënt vraagt ander moment"),
    AppointmentStatus.CANCELLED: N_("geannuleerd"),
    AppointmentStatus.ATTENDED: N_("aanwezig"),
    AppointmentStatus.NO_SHOW: N_("niet gekomen"),
}
CONTRACT = {
    ContractType.PERMANENT: N_("vast contract"),
    ContractType.FIXED_TERM: N_("bepaalde duur"),
    ContractType.INTERIM: N_("interim"),
    ContractType.DAY_CONTRACT: N_("dagcontract"),
    ContractType.ARTICLE_60: N_("artikel 60"),
    ContractType.TRAINING: N_("opleiding"),
}
CHECKIN_ANSWER = {
    CheckinAnswer.GOOD: N_("goed"),
    CheckinAnswer.SO_SO: N_("gaat wel"),
    CheckinAnswer.PROBLEM: N_("problemen"),
    CheckinAnswer.JOB_LOST: N_("job verloren"),
}
TASK_KIND = {
    TaskKind.NEW_CASE: N_("nieuw dossier"),
    TaskKind.CONTACT_REQUEST: N_("wil contact"),
    TaskKind.CLIENT_QUESTION: N_("vraag"),
    TaskKind.CRISIS: N_("crisis"),
    TaskKind.MEDIA_RECEIVED: N_("foto of spraakbericht"),
    TaskKind.CLIENT_UNREACHABLE: N_("onbereikbaar: bel de cliënt"),
    TaskKind.APPOINTMENT_ANSWER: N_("antwoord op afspraak"),
    TaskKind.APPOINTMENT_NO_ANSWER: N_("geen antwoord op afspraak"),
    TaskKind.APPOINTMENT_OUTCOME: N_("afspraak voorbij: aanwezig?"),
    TaskKind.MESSAGE_UNDELIVERED: N_("bericht niet afgeleverd"),
    TaskKind.JOB_STARTED: N_("job gestart"),
    TaskKind.RIGHTS_CHECK: N_("rechtencheck"),
    TaskKind.NAZORG_SILENCE: N_("geen antwoord in nazorg"),
}
ROLE = {
    CounselorRole.COUNSELOR: N_("begeleider"),
    CounselorRole.COORDINATOR: N_("coördinator"),
    CounselorRole.ADMIN: N_("beheerder"),
}
CONSENT = {
    ConsentState.UNKNOWN: N_("nog niet gevraagd"),
    ConsentState.GRANTED: N_("gegeven"),
    ConsentState.DECLINED: N_("geweigerd"),
    ConsentState.WITHDRAWN: N_("ingetrokken"),
}
HELP_WANTED = {  # what the client asked help with at registration (first contact's keys)
    "work": N_("werk zoeken"),
    "training": N_("een opleiding"),
    "dutch": N_("Nederlands leren"),
    "paperwork": N_("hulp met papieren"),
    "other": N_("iets anders"),
}
