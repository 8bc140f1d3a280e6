"""The client's own data, from the chat: see it (/mydata), erase it (/delete), and withdraw
consent. These work at any step, also while a counselor holds the conversation: they are the
client's rights, not a topic for a person to pick up.
"""

from __future__ import annotations

import json
from datetime import datetime

from dialogues.i18n import Translator
from dialogues.messages import Attachment, Button, CounselorAlert, Outgoing
from dialogues.turn import Turn
from storage.records import (
    CaseRecord,
    ClientStatus,
    ConsentRecord,
    ConsentState,
    TaskKind,
    TaskPriority,
    TaskRecord,
)

PRIVACY = "privacy:"
SHOW = "privacy:show"
ERASE_ASK = "privacy:erase"
ERASE_YES = "privacy:erase:yes"
ERASE_NO = "privacy:erase:no"
WITHDRAW_ASK = "privacy:withdraw"
WITHDRAW_YES = "privacy:withdraw:yes"
COMMANDS = ("mydata", "delete", "privacy")
EXPORT_VERSION = 1


def handles(turn: Turn) -> bool:
    incoming = turn.incoming
    return incoming.command in COMMANDS or incoming.payload.startswith(PRIVACY)


def handle(turn: Turn) -> None:
    incoming = turn.incoming
    choice = incoming.payload or {"mydata": SHOW, "privacy": SHOW,
                                  "delete": ERASE_ASK}[incoming.command]
    if choice == SHOW:
        show_data(turn)
    elif choice == ERASE_ASK:
        ask_erase(turn)
    elif choice == ERASE_YES:
        erase(turn)
    elif choice == WITHDRAW_ASK:
        ask_withdraw(turn)
    elif choice == WITHDRAW_YES:
        withdraw(turn)
    else:  # "no", or a forged payload: nothing changes
        _ = turn.tr.gettext
        turn.say(_("Goed, er verandert niets."))
        turn.reprompt()


def show_data(turn: Turn) -> None:
    """A readable summary in the client's language, and everything as a JSON file."""
    _ = turn.tr.gettext
    client = turn.client
    export = turn.uow.privacy.export(client.id)
    case = turn.uow.cases.current_for(client.id)
    count = len(export.get("interactions", ()))
    appointments = len(export.get("appointments", ()))
    lines = [_("Dit bewaren we over jou:")]
    if client.first_name:
        lines.append(turn.tr.format(_("• Naam: {name}"), name=client.first_name))
    if client.contact:
        lines.append(turn.tr.format(_("• Contact: {contact}"), contact=client.contact))
    if case is not None:
        lines.append(turn.tr.format(_("• Dossier: {case}, sinds {date}"), case=case.reference,
                                    date=turn.tr.date(case.opened_at)))
    lines.append(turn.tr.format(turn.tr.ngettext("• {count} bericht", "• {count} berichten",
                                                 count), count=count))
    if appointments:
        lines.append(turn.tr.format(turn.tr.ngettext("• {count} afspraak", "• {count} afspraken",
                                                     appointments), count=appointments))
    consents = list(turn.uow.consents.for_client(client.id))
    if consents:
        last = consents[-1]
        lines.append(turn.tr.format(
            _("• Toestemming gegeven op {date} (versie {version})") if last.granted
            else _("• Geen toestemming sinds {date} (versie {version})"),
            date=turn.tr.date(last.created_at), version=last.version))
    lines.append(_("In het bestand staat alles, ook wat je begeleider noteerde."))
    document = {"werkmaat_export": EXPORT_VERSION, "exported_at": turn.now.isoformat(),
                "programme": turn.settings.programme_name, "tables": export}
    content = json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
    turn.reply.messages.append(Outgoing(
        "\n".join(lines), language=turn.tr.code, rtl=turn.tr.rtl,
        attachment=Attachment(f"werkmaat-{_stamp(turn.now)}.json", content),
        buttons=_rows(turn)))


def ask_erase(turn: Turn) -> None:
    _ = turn.tr.gettext
    turn.say(_("Wil je dat we al je gegevens wissen? Dan verdwijnen je berichten, je naam, je "
               "contactgegevens en je afspraken meteen. Je begeleider krijgt bericht. We houden "
               "alleen cijfers zonder naam bij (bijvoorbeeld of een traject eindigde met werk). "
               "Dit kan niet ongedaan worden."),
             [[Button(_("🗑️ Ja, wis alles"), ERASE_YES)],
              [Button(_("↩️ Nee, bewaar mijn gegevens"), ERASE_NO)]])


def erase(turn: Turn) -> None:
    """Erase at once; the counselors hear of it without a name (there is none left)."""
    _ = turn.tr.gettext
    client = turn.client
    case = turn.uow.cases.current_for(client.id)
    turn.uow.privacy.erase(client.id)
    client.first_name, client.contact, client.reachable = "", "", False
    client.status, client.consent = ClientStatus.ERASED, ConsentState.WITHDRAWN
    turn.erased = True
    _alert(turn, TaskKind.CLIENT_ERASED, erased_note(turn.staff, case),
           case.id if case else None, with_client=False)
    turn.say(_("Klaar: we hebben je gegevens gewist. Als je ons opnieuw schrijft, begin je "
               "helemaal opnieuw. Veel succes!"))


def erased_note(staff: Translator, case: CaseRecord | None) -> str:
    """For the counselors, in their language; it names no one (there is no one left)."""
    if case is None:
        return staff.gettext("🗑️ Een cliënt zonder dossier heeft al zijn of haar gegevens "
                             "gewist.")
    return staff.format(staff.gettext("🗑️ De cliënt van dossier {case} heeft al zijn of haar "
                                      "gegevens gewist. Berichten en persoonsgegevens zijn weg; "
                                      "het dossier blijft zonder naam voor de cijfers. Verwijder "
                                      "ook het topic van deze cliënt in deze groep."),
                        case=case.reference)


def ask_withdraw(turn: Turn) -> None:
    _ = turn.tr.gettext
    turn.say(_("Wil je je toestemming intrekken? Dan bewaren we vanaf nu je berichten niet meer. "
               "Je begeleider neemt contact met je op over je traject. Wat we al bewaarden, "
               "kun je wissen met /delete."),
             [[Button(_("✋ Ja, trek mijn toestemming in"), WITHDRAW_YES)],
              [Button(_("↩️ Nee"), ERASE_NO)]])


def withdraw(turn: Turn) -> None:
    _ = turn.tr.gettext
    client = turn.client
    if client.consent != ConsentState.GRANTED:
        turn.say(_("Je hebt ons geen toestemming gegeven: we bewaren je berichten niet."))
        turn.reprompt()
        return
    client.consent = ConsentState.WITHDRAWN
    turn.uow.consents.add(ConsentRecord(
        client_id=client.id, purpose="case_registration",
        version=turn.settings.consent_version, granted=False, language=turn.tr.code,
        text=_("Toestemming ingetrokken via de chat."), created_at=turn.now))
    case = turn.uow.cases.current_for(client.id)
    staff = turn.staff
    _alert(turn, TaskKind.CONSENT_WITHDRAWN, staff.format(staff.gettext(
        "✋ {name} trok de toestemming in: berichten worden niet meer bewaard. Neem contact op "
        "over het traject."), name=client.first_name or f"#{client.id}"),
        case.id if case else None, with_client=True)
    turn.say(_("Goed. We bewaren je berichten niet meer. Je begeleider neemt contact met je op."))
    turn.reprompt()


def _alert(turn: Turn, kind: TaskKind, note: str, case_id: int | None,
           with_client: bool) -> None:
    task = turn.uow.tasks.add(TaskRecord(kind, note, turn.now,
                                         turn.client.id if with_client else None, case_id,
                                         TaskPriority.NORMAL))
    turn.reply.alerts.append(CounselorAlert(task.id, note,
                                            turn.client.id if with_client else None))


def _rows(turn: Turn) -> tuple[tuple[Button, ...], ...]:
    _ = turn.tr.gettext
    rows = [(Button(_("🗑️ Wis mijn gegevens"), ERASE_ASK),)]
    if turn.client.consent == ConsentState.GRANTED:
        rows.append((Button(_("✋ Toestemming intrekken"), WITHDRAW_ASK),))
    return tuple(rows)


def _stamp(now: datetime) -> str:
    return now.strftime("%Y%m%d-%H%M")
