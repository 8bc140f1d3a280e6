"""A client asks for a person; a counselor claims, talks and hands back in the client's topic.

Werkmaat runs as a process against the fake Bot API server with a forum supergroup; the
counselor is registered with `werkmaat counselor add`, a stranger in the group is not.
"""

from __future__ import annotations

import time

import pytest

from tests.bot.test_cli import werkmaat as werkmaat_cli
from tests.e2e.test_telegram_process import TOKEN, TelegramClient
from tests.fake_telegram import FakeTelegramServer, ForumTopic, SentMessage
from tests.processes import WerkmaatProcess

pytestmark = pytest.mark.e2e


def wait_in_topic(server: FakeTelegramServer, chat_id: int, thread: int, phrase: str,
                  timeout: float = 20) -> SentMessage:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in server.sent_messages(chat_id, thread):
            if phrase in (message.plain_text or ""):
                return message
        time.sleep(0.05)
    said = [m.plain_text for m in server.sent_messages(chat_id, thread)]
    raise AssertionError(f"no {phrase!r} in topic {thread} within {timeout} s: {said}")


def wait_for_topics(server: FakeTelegramServer, chat_id: int, count: int,
                    timeout: float = 20) -> list[ForumTopic]:
    """The alert (and its topic) follows the client's reply: under load it takes a moment."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        topics = server.topics(chat_id)
        if len(topics) >= count:
            return topics
        time.sleep(0.05)
    raise AssertionError(f"{count} topic(s) expected in {chat_id} within {timeout} s")


def test_claim_talk_relay_and_hand_back_in_a_forum_topic(tmp_path):
    with FakeTelegramServer(token=TOKEN) as telegram:
        forum = telegram.create_forum("Begeleiders 't Werkt")
        sara = telegram.create_user("Sara", language_code="nl")
        stranger = telegram.create_user("Mallory", language_code="nl")
        env = {"WERKMAAT_TELEGRAM_TOKEN": TOKEN, "WERKMAAT_TELEGRAM_BASE_URL": telegram.base_url,
               "WERKMAAT_COUNSELOR_CHAT_ID": str(forum.id),
               "WERKMAAT_OFFICE_HOURS": "mon-sun 00:00-23:59"}
        process = WerkmaatProcess(tmp_path, **env)
        added = werkmaat_cli("counselor", "add", "--name", "Sara Peeters", "--telegram-id",
                             str(sara.id), env={"WERKMAAT_DATABASE_URL":
                                                process.env["WERKMAAT_DATABASE_URL"]})
        assert added.returncode == 0, added.stderr
        process.start()
        try:
            client = TelegramClient(telegram, telegram.create_user("Amina", language_code="nl"))
            client.say("/start")
            client.expect("Kies je taal")
            for payload, phrase in (("lang:nl", "akkoord"), ("consent:yes", "gemeente"),
                                    ("area:Menen", "Europese Unie"), ("nat:yes", "Zoek je"),
                                    ("seek:yes", "voornaam")):
                client.press(payload)
                client.expect(phrase)
            client.say("Amina")
            client.expect("Dag Amina!")
            client.press("contact:chat")
            client.expect("Waarmee wil je hulp?")
            client.press("help:work")
            client.expect("Je bent ingeschreven")

            [topic] = wait_for_topics(telegram, forum.id, 1)  # counselors hear right after
            thread = topic.message_thread_id
            assert "Amina" in topic.name and "WM-" in topic.name
            wait_in_topic(telegram, forum.id, thread, "Toestemming: granted")
            wait_in_topic(telegram, forum.id, thread, "Nieuwe aanmelding")

            client.press("menu:human")
            client.expect("doorgegeven")
            card = wait_in_topic(telegram, forum.id, thread, "vraagt om met een persoon")
            claim = next(b for b in card.callback_data() if b.startswith("desk:claim:"))

            telegram.press_button(stranger, card, claim)
            wait_in_topic(telegram, forum.id, thread, "Alleen geregistreerde begeleiders")
            telegram.press_button(sara, card, claim)
            client.expect("Sara, je begeleider, leest nu mee")
            wait_in_topic(telegram, forum.id, thread, "Sara Peeters neemt dit gesprek op")

            hello = telegram.send_text(sara, "Hallo Amina, waarmee kan ik helpen?",
                                       chat=forum.id, message_thread_id=thread)
            client.expect("Hallo Amina, waarmee kan ik helpen?")

            letter = telegram.send_text(client.user, "ik heb een brief van de RVA gekregen")
            wait_in_topic(telegram, forum.id, thread, "👤 Amina: ik heb een brief van de RVA")

            # a crash before Telegram heard these were handled: it hands them out again, and
            # neither reaches the other side twice
            process.kill()
            telegram.redeliver(hello)
            telegram.redeliver(letter)
            process.start()
            telegram.send_text(sara, "Ik kijk het na.", chat=forum.id, message_thread_id=thread)
            client.expect("Ik kijk het na.")
            telegram.wait_for_updates_consumed(timeout=20)
            assert sum("Hallo Amina, waarmee" in (m.plain_text or "")
                       for m in telegram.sent_messages(client.user.id)) == 1
            assert sum("ik heb een brief" in (m.plain_text or "")
                       for m in telegram.sent_messages(forum.id, thread)) == 1
            telegram.send_photo(client.user, caption="de brief")
            deadline = time.monotonic() + 20
            while telegram.sent_messages(forum.id, thread)[-1].method != "copyMessage":
                assert time.monotonic() < deadline, "the photo was not relayed to the topic"
                time.sleep(0.05)
            quiet = [m.plain_text for m in telegram.sent_messages(client.user.id)[client.seen:]]
            assert quiet == [], f"the bot kept quiet while Sara had the conversation: {quiet}"

            telegram.send_text(stranger, "geef me je gegevens", chat=forum.id,
                               message_thread_id=thread)
            deadline = time.monotonic() + 10
            notes = []
            while time.monotonic() < deadline and len(notes) < 2:
                notes = [m for m in telegram.sent_messages(forum.id, thread)
                         if "Alleen geregistreerde" in (m.plain_text or "")]
                time.sleep(0.05)
            assert len(notes) == 2
            assert not any("gegevens" in (m.plain_text or "")
                           for m in telegram.sent_messages(client.user.id))

            back = next(b for b in card.callback_data() if b.startswith("desk:back:"))
            telegram.press_button(sara, card, back)
            client.expect("heeft het gesprek afgesloten")
            client.say("hallo")
            client.expect("Dag Amina!")

            telegram.delete_topic(forum.id, thread)
            client.say("ik wil opnieuw met iemand praten")
            client.expect("doorgegeven")
            deadline = time.monotonic() + 20
            while len(telegram.topics(forum.id)) < 1 or telegram.topics(forum.id)[-1] \
                    .message_thread_id == thread:
                assert time.monotonic() < deadline, "the topic was not recreated"
                time.sleep(0.05)
            new_thread = telegram.topics(forum.id)[-1].message_thread_id
            wait_in_topic(telegram, forum.id, new_thread, "vraagt om met een persoon")
        finally:
            process.stop()
