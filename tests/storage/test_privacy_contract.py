"""A client's own data: exported whole, and erased so that nothing about them can be found."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import String, Text, select
from sqlalchemy.types import JSON

from storage import (
    CaseRecord,
    ClientStatus,
    ConsentRecord,
    EscalationReason,
    EscalationRecord,
    InteractionRecord,
    StateRecord,
    TaskKind,
    TaskPriority,
    TaskRecord,
    TopicRecord,
    WebMessageRecord,
)
from storage.records import (
    AppointmentRecord,
    Author,
    CheckinRecord,
    ContractType,
    Direction,
    JobRecord,
    RightsCheckRecord,
    ScheduledKind,
    ScheduledMessageRecord,
)
from storage.sql import Database
from storage.sql import models as m
from storage.sql.privacy import ERASURE, client_tables

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
NAME, PHONE = "Yusuf Haddad", "+32 470 98 76 54"
SECRET = "mijn schulden bij de energieleverancier"


def fill(uow, token: str, name: str, phone: str, words: str) -> tuple[int, int]:
    """One client with something in every table that can hold client data."""
    client = uow.clients.add("web", token, "ar", NOW)
    client.first_name, client.contact, client.status = name, phone, ClientStatus.REGISTERED
    uow.clients.save(client)
    uow.states.save(client.id, StateRecord("registered", {"answers": {"first_name": name}}, NOW))
    case = uow.cases.add(CaseRecord(client.id, NOW, municipality="Menen", help_wanted="work"))
    for i, (direction, author, text) in enumerate([
            (Direction.IN, Author.CLIENT, words), (Direction.OUT, Author.BOT, f"Dag {name}!")]):
        uow.interactions.add(InteractionRecord(client.id, direction, author, "web",
                                               NOW + timedelta(seconds=i), text=text,
                                               case_id=case.id))
    uow.consents.add(ConsentRecord(client.id, "case_registration", "2026-11", True, "ar",
                                   "نص الموافقة", NOW))
    uow.tasks.add(TaskRecord(TaskKind.NEW_CASE, f"Nieuw: {name}, {phone}", NOW, client.id,
                             case.id))
    uow.escalations.add(EscalationRecord(client.id, EscalationReason.SENSITIVE,
                                         TaskPriority.NORMAL, "ar", f"{name}: {words}", NOW,
                                         case_id=case.id))
    uow.topics.save(TopicRecord(client.id, -100, 7000 + client.id, NOW))
    uow.web_outbox.add(WebMessageRecord(token, f"{name}, je begeleider schrijft", "ar", True,
                                        NOW))
    appointment = uow.appointments.add(AppointmentRecord(
        client.id, NOW + timedelta(days=2), NOW, location=f"bij {name} thuis", case_id=case.id))
    uow.schedule.add(ScheduledMessageRecord(f"appt:{appointment.id}:v1:r", client.id,
                                            ScheduledKind.APPOINTMENT_REMINDER,
                                            NOW + timedelta(days=1), NOW, appointment.id))
    job = uow.jobs.add(JobRecord(client.id, date(2026, 11, 1), ContractType.INTERIM, NOW,
                                 employer="Barco", case_id=case.id))
    uow.checkins.add(CheckinRecord(job.id, client.id, 1, NOW, note=words))
    uow.rights_checks.add(RightsCheckRecord(client.id, {"debts": "yes"}, ("energy",), NOW,
                                            case.id))
    return client.id, case.id


def test_every_table_with_client_data_has_an_erasure_rule():
    assert {t.name for t in client_tables()} <= set(ERASURE)


def test_export_holds_everything_and_erase_leaves_only_the_anonymous_case(store):
    with store() as uow:
        yusuf, case_id = fill(uow, "token-yusuf-0123456789", NAME, PHONE, SECRET)
        other, _ = fill(uow, "token-other-0123456789", "Amina", "+32 470 11 22 33", "hallo")
        uow.commit()
    with store() as uow:
        export = uow.privacy.export(yusuf)
    text = json.dumps(export, ensure_ascii=False)
    for table in ("clients", "channel_identities", "interactions", "consent_records", "tasks",
                  "escalations", "appointments", "scheduled_messages", "jobs", "checkins",
                  "rights_checks", "web_outbox", "cases", "conversation_states"):
        assert export.get(table), table
    assert NAME in text and PHONE in text and SECRET in text and "Amina" not in text
    with store() as uow:
        counts = uow.privacy.erase(yusuf)
        uow.commit()
    assert counts["interactions"] == 2 and counts["clients"] == 1
    with store() as uow:
        after = json.dumps(uow.privacy.export(yusuf), ensure_ascii=False)
        client = uow.clients.get(yusuf)
        case = uow.cases.get(case_id)
        assert uow.clients.by_identity("web", "token-yusuf-0123456789") is None
        assert uow.web_outbox.after("token-yusuf-0123456789", 0) == []
        assert uow.escalations.active_for(yusuf) is not None  # kept, without its words
        still = json.dumps(uow.privacy.export(other), ensure_ascii=False)
    for needle in (NAME, "Yusuf", PHONE, SECRET, "thuis", "Barco", "energy"):
        assert needle not in after, needle
    assert client is not None and client.status == ClientStatus.ERASED
    assert client.first_name == "" and client.contact == "" and not client.reachable
    assert case is not None and case.municipality == "Menen"  # the anonymous outcome record
    assert "Amina" in still and "hallo" in still  # nobody else is touched


def test_a_search_of_the_whole_database_finds_nothing_after_erasure(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'w.db'}")
    database.upgrade()
    with database() as uow:
        yusuf, _ = fill(uow, "token-yusuf-0123456789", NAME, PHONE, SECRET)
        uow.commit()
    with database() as uow:
        uow.privacy.erase(yusuf)
        uow.commit()
    with database.engine.connect() as connection:
        for table in m.Base.metadata.sorted_tables:
            columns = [c for c in table.c if isinstance(  # encrypted columns: by what they are
                getattr(c.type, "impl_instance", c.type), String | Text | JSON)]
            for row in connection.execute(select(*columns)) if columns else []:
                cells = " ".join(str(v) for v in row)
                for needle in ("Yusuf", "Haddad", "98 76 54", SECRET, "token-yusuf"):
                    assert needle not in cells, (table.name, needle)
    database.dispose()
