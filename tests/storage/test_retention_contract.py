"""Retention: what was said goes after a while, people after a longer while, strangers soon."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from dialogues.retention import RetentionPolicy, run_retention
from storage import CaseRecord, CaseStatus, ClientStatus, InteractionRecord, WebMessageRecord
from storage.records import Author, CaseOutcome, Direction

NOW = datetime(2028, 6, 1, 3, 30, tzinfo=UTC)


def _client(uow, token: str, name: str, closed_days_ago: int | None, seen_days_ago: int = 0,
            registered: bool = True) -> int:
    client = uow.clients.add("web", token, "nl", NOW - timedelta(days=900))
    client.first_name, client.contact = name, f"{name.lower()}@example.org"
    client.last_seen_at = NOW - timedelta(days=seen_days_ago)
    client.status = ClientStatus.REGISTERED if registered else ClientStatus.CONTACT
    uow.clients.save(client)
    if registered:
        case = uow.cases.add(CaseRecord(client.id, NOW - timedelta(days=800)))
        if closed_days_ago is not None:
            case.status, case.outcome = CaseStatus.CLOSED, CaseOutcome.LASTING_JOB
            case.closed_at = NOW - timedelta(days=closed_days_ago)
            uow.cases.save(case)
    uow.interactions.add(InteractionRecord(client.id, Direction.IN, Author.CLIENT, "web",
                                           client.last_seen_at, text=f"ik ben {name}"))
    uow.web_outbox.add(WebMessageRecord(token, f"Dag {name}", "nl", False,
                                        NOW - timedelta(days=seen_days_ago + 1)))
    return client.id


def test_retention_lets_go_in_steps_and_a_second_run_changes_nothing(store):
    with store() as uow:
        active = _client(uow, "tok-active-00000000000", "Actief", None, seen_days_ago=400)
        recent = _client(uow, "tok-recent-00000000000", "Recent", closed_days_ago=100)
        quiet = _client(uow, "tok-quiet-000000000000", "Stil", closed_days_ago=400)
        old = _client(uow, "tok-old-00000000000000", "Oud", closed_days_ago=800)
        stranger = _client(uow, "tok-stranger-000000000", "Vreemde", None, seen_days_ago=45,
                           registered=False)
        visitor = _client(uow, "tok-visitor-0000000000", "Bezoeker", None, seen_days_ago=3,
                          registered=False)
        uow.commit()
    report = run_retention(store, RetentionPolicy(), lambda: NOW)
    assert (report.clients_erased, report.clients_with_messages_forgotten) == (2, 1)
    assert report.messages_forgotten == 1
    with store() as uow:
        text = {c: json.dumps(uow.privacy.export(c), ensure_ascii=False)
                for c in (active, recent, quiet, old, stranger, visitor)}
        statuses = {c: uow.clients.get(c).status for c in text}
        old_case = uow.cases.current_for(old)
    assert "ik ben Actief" in text[active] and "ik ben Recent" in text[recent]
    assert "ik ben Stil" not in text[quiet] and "Stil" in text[quiet]  # the person stays
    assert "Oud" not in text[old] and statuses[old] == ClientStatus.ERASED
    assert old_case is not None and old_case.outcome == CaseOutcome.LASTING_JOB
    assert "Vreemde" not in text[stranger] and statuses[stranger] == ClientStatus.ERASED
    assert "Bezoeker" in text[visitor]
    again = run_retention(store, RetentionPolicy(), lambda: NOW)
    assert (again.clients_erased, again.messages_forgotten, again.outbox_pruned) == (0, 0, 0)
