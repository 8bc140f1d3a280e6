"""One contract, three stores: the in-memory twin, SQLite and PostgreSQL pass the same tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from storage import (
    AuditRecord,
    Author,
    CaseRecord,
    CaseStatus,
    ClientStatus,
    ConsentRecord,
    ConsentState,
    CounselorRecord,
    CounselorRole,
    Direction,
    EscalationReason,
    EscalationRecord,
    EscalationStatus,
    InteractionRecord,
    StaffSessionRecord,
    StateRecord,
    TaskKind,
    TaskPriority,
    TaskRecord,
    TaskStatus,
    TopicRecord,
    WebMessageRecord,
)

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def test_clients_are_found_by_channel_identity(store):
    with store() as uow:
        added = uow.clients.add("telegram", "42", "ar", NOW)
        uow.commit()
    with store() as uow:
        found = uow.clients.by_identity("telegram", "42")
        assert found is not None and found.id == added.id and found.language == "ar"
        assert found.created_at == NOW and found.created_at.tzinfo is not None
        assert uow.clients.by_identity("web", "42") is None
        assert [(i.channel, i.external_id) for i in uow.clients.identities(added.id)] == [
            ("telegram", "42")]


def test_uncommitted_work_is_rolled_back(store):
    with store() as uow:
        uow.clients.add("telegram", "7", "nl", NOW)
    with store() as uow:
        assert uow.clients.by_identity("telegram", "7") is None


def test_client_fields_and_state_round_trip(store):
    with store() as uow:
        client = uow.clients.add("web", "tok", "nl", NOW)
        client.first_name, client.contact = "Ülkü Şahin", "0470 12 34 56"
        client.status, client.consent = ClientStatus.REGISTERED, ConsentState.GRANTED
        client.reachable = False
        client.last_seen_at = NOW + timedelta(minutes=3)
        uow.clients.save(client)
        uow.states.save(client.id, StateRecord("area", {"answers": {"area": "Menen"}},
                                               NOW))
        uow.commit()
    with store() as uow:
        again = uow.clients.get(client.id)
        assert again == client
        state = uow.states.load(client.id)
        assert state is not None and state.step == "area"
        assert state.data == {"answers": {"area": "Menen"}}
        uow.states.save(client.id, StateRecord("nationality", {}, NOW))
        uow.commit()
    with store() as uow:
        assert uow.states.load(client.id).step == "nationality"  # type: ignore[union-attr]
        assert [c.id for c in uow.clients.all()] == [client.id]


def test_cases_interactions_consent_tasks_and_audit(store):
    with store() as uow:
        client = uow.clients.add("telegram", "1", "fa", NOW)
        case = uow.cases.add(CaseRecord(client_id=client.id, opened_at=NOW,
                                        municipality="Kortrijk", help_wanted="work"))
        assert case.id > 0 and case.reference.startswith("WM-")
        assert case.status == CaseStatus.NEW
        for i, text in enumerate(["سلام", "Welkom", "x" * 5000]):
            uow.interactions.add(InteractionRecord(
                client_id=client.id, case_id=case.id,
                direction=Direction.IN if i % 2 == 0 else Direction.OUT,
                author=Author.CLIENT if i % 2 == 0 else Author.BOT, channel="telegram",
                created_at=NOW + timedelta(seconds=i), text=text, language="fa",
                intent="greet", confidence=0.9))
        uow.consents.add(ConsentRecord(client.id, "case_registration", "2026-11", True, "fa",
                                       "متن رضایت", NOW))
        task = uow.tasks.add(TaskRecord(TaskKind.NEW_CASE, "Nieuwe aanmelding", NOW,
                                        client.id, case.id, TaskPriority.URGENT))
        uow.audit.add(AuditRecord("cli", "case.read", f"case:{case.id}", NOW, {"why": "test"}))
        uow.commit()
    with store() as uow:
        assert uow.cases.current_for(client.id) == case
        assert uow.cases.get(case.id) == case and uow.cases.recent() == [case]
        logged = uow.interactions.for_client(client.id)
        assert [i.text[:5] for i in logged] == ["سلام", "Welko", "xxxxx"]
        assert len(logged[2].text) == 5000 and logged[0].confidence == pytest.approx(0.9)
        assert uow.consents.for_client(client.id)[0].text == "متن رضایت"
        assert [t.id for t in uow.tasks.unnotified()] == [task.id]
        uow.tasks.mark_notified(task.id, NOW)
        assert uow.audit.recent()[0].details == {"why": "test"}
        uow.commit()
    with store() as uow:
        assert uow.tasks.unnotified() == []
        assert [t.id for t in uow.tasks.open()] == [task.id]
        assert uow.tasks.done(task.id).status == TaskStatus.OPEN  # as it was
        assert uow.tasks.done(987654) is None
        uow.commit()
    with store() as uow:
        assert uow.tasks.open() == []


def test_dashboard_logins_and_sessions(store):
    with store() as uow:
        sara = uow.counselors.add(CounselorRecord("Sara Peeters", CounselorRole.COUNSELOR, NOW,
                                                  login="sara", password_hash="$argon2id$x"))
        uow.staff_sessions.add(StaffSessionRecord("a" * 64, sara.id, "csrf", NOW, NOW,
                                                  NOW + timedelta(hours=12)))
        uow.staff_sessions.add(StaffSessionRecord("b" * 64, sara.id, "csrf2", NOW, NOW,
                                                  NOW + timedelta(minutes=1)))
        uow.commit()
    with store() as uow:
        found = uow.counselors.by_login(" Sara")
        assert found == sara and uow.counselors.get(sara.id) == sara
        assert uow.counselors.by_login("nobody") is None and uow.counselors.get(999) is None
        found.active, found.password_hash = False, "$argon2id$y"
        uow.counselors.save(found)
        session = uow.staff_sessions.get("a" * 64)
        assert session is not None and session.csrf_token == "csrf"
        session.last_seen_at = NOW + timedelta(minutes=5)
        uow.staff_sessions.save(session)
        assert uow.staff_sessions.delete_expired(NOW + timedelta(minutes=2)) == 1
        uow.commit()
    with store() as uow:
        again = uow.counselors.get(sara.id)
        assert again is not None and not again.active and again.password_hash == "$argon2id$y"
        assert uow.staff_sessions.get("b" * 64) is None
        kept = uow.staff_sessions.get("a" * 64)
        assert kept is not None and kept.last_seen_at == NOW + timedelta(minutes=5)
        uow.staff_sessions.delete("a" * 64)
        uow.commit()
    with store() as uow:
        assert uow.staff_sessions.get("a" * 64) is None
        with pytest.raises(Exception):  # noqa: B017 - each store raises its own kind
            uow.counselors.add(CounselorRecord("Twin", CounselorRole.COUNSELOR, NOW,
                                               login="sara"))


def test_counselors_are_unique_by_telegram_id(store):
    with store() as uow:
        added = uow.counselors.add(CounselorRecord("Els Claes", CounselorRole.COORDINATOR, NOW,
                                                   telegram_user_id=5_000_000_001,
                                                   languages=("nl", "fr")))
        uow.commit()
    with store() as uow:
        found = uow.counselors.by_telegram_id(5_000_000_001)
        assert found == added and found.languages == ("nl", "fr")
        with pytest.raises(Exception):  # noqa: B017 - each store raises its own kind
            uow.counselors.add(CounselorRecord("Twin", CounselorRole.COUNSELOR, NOW,
                                               telegram_user_id=5_000_000_001))
            uow.commit()


def test_escalations_open_claim_resolve(store):
    with store() as uow:
        client = uow.clients.add("telegram", "9", "fa", NOW)
        counselor = uow.counselors.add(CounselorRecord("Sara", CounselorRole.COUNSELOR, NOW))
        opened = uow.escalations.add(EscalationRecord(
            client.id, EscalationReason.ASKED_FOR_PERSON, TaskPriority.NORMAL, "fa",
            "wil een persoon", NOW))
        uow.commit()
    with store() as uow:
        active = uow.escalations.active_for(client.id)
        assert active == opened and active.status == EscalationStatus.OPEN
        active.status, active.claimed_by = EscalationStatus.CLAIMED, counselor.id
        active.claimed_at = NOW + timedelta(hours=1)
        uow.escalations.save(active)
        uow.commit()
    with store() as uow:
        claimed = uow.escalations.get(opened.id)
        assert claimed is not None and claimed.claimed_by == counselor.id
        assert [e.id for e in uow.escalations.active()] == [opened.id]
        claimed.status, claimed.resolved_at = EscalationStatus.RESOLVED, NOW + timedelta(hours=2)
        uow.escalations.save(claimed)
        uow.commit()
    with store() as uow:
        assert uow.escalations.active_for(client.id) is None
        assert uow.escalations.active() == []
        assert uow.escalations.get(opened.id).resolved_at == NOW + timedelta(hours=2)


def test_one_topic_per_client_found_by_thread(store):
    with store() as uow:
        client = uow.clients.add("telegram", "11", "so", NOW)
        uow.topics.save(TopicRecord(client.id, -100123, 7, NOW))
        uow.commit()
    with store() as uow:
        assert uow.topics.for_client(client.id) == TopicRecord(client.id, -100123, 7, NOW)
        assert uow.topics.by_thread(-100123, 7).client_id == client.id
        assert uow.topics.by_thread(-100123, 8) is None
        uow.topics.save(TopicRecord(client.id, -100123, 9, NOW))  # recreated after deletion
        uow.commit()
    with store() as uow:
        assert uow.topics.for_client(client.id).thread_id == 9
        uow.topics.save(TopicRecord(client.id, -100123, 9, NOW, handled_update=880123456789))
        uow.commit()
    with store() as uow:  # a Telegram update id is beyond 32 bits
        assert uow.topics.by_thread(-100123, 9).handled_update == 880123456789
        uow.topics.forget(client.id)
        uow.commit()
    with store() as uow:
        assert uow.topics.for_client(client.id) is None


def test_web_outbox_keeps_messages_until_asked_for(store):
    with store() as uow:
        first = uow.web_outbox.add(WebMessageRecord("tok-a", "hallo", "nl", False, NOW))
        uow.web_outbox.add(WebMessageRecord("tok-b", "سلام", "fa", True, NOW))
        second = uow.web_outbox.add(WebMessageRecord("tok-a", "tot morgen", "nl", False, NOW))
        uow.commit()
    with store() as uow:
        assert [m.text for m in uow.web_outbox.after("tok-a", 0)] == ["hallo", "tot morgen"]
        assert [m.id for m in uow.web_outbox.after("tok-a", first.id)] == [second.id]
        assert uow.web_outbox.after("tok-b", 0)[0].rtl is True
        assert uow.web_outbox.latest_id("tok-a") == second.id
        assert uow.web_outbox.latest_id("nobody") == 0


def test_one_chat_is_handled_by_one_unit_of_work_at_a_time(store):
    """Two processes (here: threads) with messages of the same chat take turns; other chats
    do not wait."""
    import threading
    import time

    order: list[str] = []
    holding = threading.Event()

    def first() -> None:
        with store() as uow:
            uow.clients.lock("telegram", "555")
            holding.set()
            time.sleep(0.5)
            order.append("first done")
            uow.commit()

    def second(chat: str) -> None:
        holding.wait(5)
        with store() as uow:
            uow.clients.lock("telegram", chat)
            order.append(f"{chat} in")
            uow.commit()

    dialect = getattr(getattr(store, "engine", None), "dialect", None)
    if dialect is not None and dialect.name == "sqlite":
        with store() as uow:  # one process: the engine's own per-client locks keep the order
            uow.clients.lock("telegram", "555")
        return
    threads = [threading.Thread(target=first), threading.Thread(target=second, args=("555",)),
               threading.Thread(target=second, args=("556",))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert order.index("555 in") > order.index("first done")
    if dialect is not None:  # PostgreSQL: an advisory lock per chat, not a table lock
        assert order.index("556 in") < order.index("first done"), "another chat does not wait"
