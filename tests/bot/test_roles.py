"""The roles of `werkmaat run`, one leader among workers, and what every role reports.

Scaling out means several processes that each do part of the work: web workers that take
Telegram's webhook, one poller or none, dispatchers. What each role takes from Telegram is
decided before anything starts (a poller next to a webhook would fight over the updates), jobs
that must not run twice have one leader, and every process answers health checks and counts
Telegram's errors for Prometheus.
"""

from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace

import httpx
import pytest
from pydantic import SecretStr
from telegram.error import Forbidden, RetryAfter, TimedOut

from bot.metrics import Metrics
from bot.runtime import Role, RoleRefused, Updates
from bot.settings import Settings
from bot.telegram_channel import TelegramChannel
from dialogues import ChannelName, ClientKey
from storage.memory import MemoryStore
from storage.sql import Database
from storage.sql.leadership import Leadership
from tests.bot.test_cli import werkmaat as werkmaat_cli
from tests.processes import free_port, run_werkmaat, wait_for_http


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.mark.parametrize(("role", "webhook", "updates"), [
    (Role.ALL, False, Updates.POLL),
    (Role.ALL, True, Updates.WEBHOOK),
    (Role.WEB, True, Updates.WEBHOOK),
    (Role.WEB, False, Updates.NONE),  # sends (dashboard replies); a bot process polls
    (Role.BOT, False, Updates.POLL),
    (Role.DISPATCHER, False, Updates.NONE),
    (Role.DISPATCHER, True, Updates.NONE),
])
def test_each_role_takes_telegrams_updates_its_own_way(role, webhook, updates):
    configured = settings(webhook_url="https://werkmaat.example/telegram/webhook"
                          if webhook else None, webhook_secret=SecretStr("s3cret"))
    assert role.telegram_updates(configured) == updates


def test_a_poller_next_to_a_webhook_is_refused_before_it_starts(tmp_path):
    with pytest.raises(RoleRefused, match="--role web"):
        Role.BOT.telegram_updates(settings(webhook_url="https://werkmaat.example/hook"))
    refused = werkmaat_cli("run", "--role", "bot", env={
        "WERKMAAT_DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}",
        "WERKMAAT_WEBHOOK_URL": "https://werkmaat.example/telegram/webhook"})
    assert refused.returncode != 0 and "--role web" in refused.stderr
    unknown = werkmaat_cli("run", "--role", "everything", env={
        "WERKMAAT_DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}"})
    assert unknown.returncode != 0 and "all, web, bot or dispatcher" in unknown.stderr


def test_one_process_serves_sqlite_and_always_leads(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'w.db'}")
    assert Leadership(database, "counselor-desk").lead()
    assert Leadership(database, "counselor-desk").lead()
    database.dispose()


@pytest.mark.postgres
def test_one_leader_at_a_time_on_postgres_and_the_next_takes_over(postgres_url):
    first, second = Database(postgres_url), Database(postgres_url)
    try:
        leader, other = Leadership(first, "retention"), Leadership(second, "retention")
        assert leader.lead() and leader.lead()  # keeps leading
        assert not other.lead()
        assert Leadership(second, "counselor-desk").lead()  # another job, its own leader
        leader.release()  # (a process that dies drops its connection the same way)
        assert other.lead()
        assert not leader.lead()
        other.release()
    finally:
        first.dispose()
        second.dispose()


class FlakyBot:
    """Answers each send with the next of `outcomes` (an exception or None)."""

    def __init__(self, *outcomes: Exception | None) -> None:
        self.outcomes = list(outcomes)

    async def send_message(self, *args: object, **kwargs: object) -> None:
        outcome = self.outcomes.pop(0)
        if outcome is not None:
            raise outcome


def test_telegrams_errors_are_counted_by_kind():
    metrics = Metrics()
    bot = FlakyBot(RetryAfter(0), TimedOut(), None, Forbidden("blocked"))
    channel = TelegramChannel(SimpleNamespace(bot=bot), MemoryStore(),  # type: ignore[arg-type]
                              failed=lambda kind: metrics.telegram_errors.labels(kind).inc())
    key = ClientKey(ChannelName.TELEGRAM, "4242")

    async def two_sends() -> tuple[bool, bool]:
        first = await channel._send_text(4242, "hallo", None, key)
        second = await channel._send_text(4242, "nog eens", None, key)
        return first, second

    assert asyncio.run(two_sends()) == (True, False)
    exposition = metrics.exposition().decode()
    for kind in ("429", "timeout", "blocked"):
        assert f'werkmaat_telegram_errors_total{{kind="{kind}"}} 1.0' in exposition
    assert channel.scheduled().failed is channel.failed  # the dispatcher's sends count too


def test_a_dispatcher_answers_health_checks_on_its_health_port(tmp_path):
    port = free_port()
    process = run_werkmaat(tmp_path, "--role", "dispatcher",
                           WERKMAAT_DATABASE_URL=f"sqlite:///{tmp_path / 'w.db'}",
                           WERKMAAT_HEALTH_PORT=str(port))
    try:
        wait_for_http(f"http://127.0.0.1:{port}/healthz", process)
        assert httpx.get(f"http://127.0.0.1:{port}/readyz").json()["status"] == "ready"
        deadline = time.monotonic() + 10
        body = ""
        while "werkmaat_scheduled_messages_handled" not in body and time.monotonic() < deadline:
            body = httpx.get(f"http://127.0.0.1:{port}/metrics").text
            time.sleep(0.2)
        assert "werkmaat_scheduled_messages_handled" in body
        assert "werkmaat_telegram_errors" in body
        assert httpx.get(f"http://127.0.0.1:{port}/chat").status_code == 404  # no web chat
    finally:
        process.terminate()
        process.wait(15)
