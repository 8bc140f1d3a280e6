"""First contact as transcripts through the real engine, flows and catalogs."""

from __future__ import annotations

import pytest

from dialogues import ChannelName, ClientKey, InputKind
from dialogues.i18n import Translator
from storage import ClientStatus, ConsentState, TaskKind
from storage.memory import MemoryStore
from tests.transcript import Conversation, forge, make_engine, press, say, send

DUTCH_TO_REGISTERED = (
    say("/start", "Kies je taal", "Choose your language"),
    press("Nederlands", "Welkom bij 't Werkt", "Ga je akkoord?"),
    press("Ik ga akkoord", "In welke gemeente woon je?"),
    press("Kortrijk", "buiten de Europese Unie"),
    press("nat:yes", "Zoek je werk of een opleiding?"),
    press("seek:yes", "Hoe is je voornaam?"),
    say("Amina", "Dag Amina!", "telefoonnummer"),
    say("0470 12 34 56", "Waarmee wil je hulp?"),
    press("Werk zoeken", "Je bent ingeschreven", "WM-", "3 werkdagen", "0470 12 34 56"),
)


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


def test_dutch_first_contact_registers_a_case_and_tells_counselors(store, nlu):
    chat = Conversation(make_engine(store, nlu))
    chat.run(*DUTCH_TO_REGISTERED[:-1])
    reply = chat.do(DUTCH_TO_REGISTERED[-1])

    assert len(reply.alerts) == 1, "counselors are told at once"
    assert "Nieuwe aanmelding" in reply.alerts[0].text and "Amina" in reply.alerts[0].text
    with store() as uow:
        client = uow.clients.by_identity("telegram", "1001")
        assert client is not None
        assert client.status == ClientStatus.REGISTERED
        assert client.first_name == "Amina" and client.contact == "0470 12 34 56"
        assert client.language == "nl" and client.consent == ConsentState.GRANTED
        case = uow.cases.current_for(client.id)
        assert case is not None
        assert (case.municipality, case.non_eu_nationality, case.seeking, case.help_wanted) == (
            "Kortrijk", "yes", "yes", "work")
        consent = uow.consents.for_client(client.id)
        assert [c.granted for c in consent] == [True]
        assert "Ga je akkoord?" in consent[0].text and consent[0].version
        tasks = uow.tasks.open()
        assert [t.kind for t in tasks] == [TaskKind.NEW_CASE] and tasks[0].case_id == case.id
        logged = uow.interactions.for_client(client.id)
        assert any(i.text == "Amina" and i.direction.value == "in" for i in logged)
        assert any("Je bent ingeschreven" in i.text for i in logged)


def test_arabic_first_contact_speaks_arabic_right_to_left(store, nlu):
    chat = Conversation(make_engine(store, nlu), ClientKey(ChannelName.WEB, "x" * 24))
    chat.run(say("/start", "Kies je taal"))
    reply = chat.do(press("العربية"))
    assert all(m.rtl and m.language == "ar" for m in reply.messages)
    assert "Welkom" not in "\n".join(m.text for m in reply.messages), "no Dutch leaks"
    chat.run(press("consent:yes"), press("Menen"), press("nat:yes"), press("seek:yes"),
             say("يوسف"))
    reply = chat.do(say("0470 11 22 33"))
    reply = chat.do(press("help:dutch"))
    text = reply.messages[0].text
    assert "WM-" in text and "\u2068يوسف\u2069" in text, "inserted values are isolated"
    assert "Dank je" not in text
    with store() as uow:
        client = uow.clients.by_identity("web", "x" * 24)
        assert client is not None and client.language == "ar"
        assert uow.cases.current_for(client.id) is not None


def test_free_text_answers_work_where_natural(store, nlu):
    chat = Conversation(make_engine(store, nlu))
    chat.run(
        say("/start"),
        say("nederlands", "Ga je akkoord?"),
        say("ja", "In welke gemeente woon je?"),
        say("ik woon in heule", "buiten de Europese Unie"),
        say("ja", "Zoek je werk of een opleiding?"),
        say("ja ik zoek werk", "Hoe is je voornaam?"),
        say("  Mohammed   Ali ", "Dag Mohammed Ali!"),
        press("contact:chat", "Waarmee wil je hulp?"),
        say("ik wil nederlands leren", "Je bent ingeschreven", "via deze chat"),
    )


def test_declining_consent_stores_nothing_but_the_decision(store, nlu):
    chat = Conversation(make_engine(store, nlu))
    chat.run(say("/start"), press("English", "Do you agree?"),
             press("consent:no", "VDAB", "CAW", "0800 13 500"),
             say("hello is anyone there"))
    with store() as uow:
        client = uow.clients.by_identity("telegram", "1001")
        assert client is not None and client.consent == ConsentState.DECLINED
        assert client.status == ClientStatus.INFO_ONLY and client.first_name == ""
        assert uow.interactions.for_client(client.id) == []
        assert [c.granted for c in uow.consents.for_client(client.id)] == [False]
    chat.run(press("consent:again", "Do you agree?"), press("consent:yes", "do you live in?"))


@pytest.mark.parametrize("answers", [
    ("area:other", "nat:yes", "seek:yes"),
    ("Marke", "nat:no", "seek:yes"),
    ("Marke", "nat:unsure", "seek:yes"),
    ("Menen", "nat:yes", "seek:no"),
])
def test_not_eligible_is_never_a_dead_end(store, nlu, answers):
    chat = Conversation(make_engine(store, nlu))
    chat.run(say("/start"), press("Nederlands"), press("consent:yes"))
    for payload in answers[:-1]:
        chat.do(press(payload))
    reply = chat.do(press(answers[-1], "VDAB", "OCMW", "CAW"))
    assert "menu:human" in [payload for _, payload in chat.buttons()]
    assert reply.alerts == []
    reply = chat.do(press("menu:human", "doorgegeven"))
    assert len(reply.alerts) == 1
    with store() as uow:
        assert [t.kind for t in uow.tasks.open()] == [TaskKind.CONTACT_REQUEST]
        assert uow.cases.recent() == []


def test_language_help_and_stop_work_in_every_step(store, nlu):
    chat = Conversation(make_engine(store, nlu))
    chat.run(say("/start"), press("Nederlands"), press("consent:yes"), press("Bissegem"),
             say("/help", "/language", "buiten de Europese Unie"),
             say("/language", "Kies je taal"),
             press("English", "continue in English", "outside the European Union"),
             press("nat:yes", "looking for work"),
             say("/stop", "Type /start"),
             say("/start", "Choose your language"))


def test_restart_resumes_the_conversation_where_it_was(store, nlu):
    first = Conversation(make_engine(store, nlu))
    first.run(say("/start"), press("Nederlands"), press("consent:yes"), press("Kooigem"),
              press("nat:yes"))
    # a new engine over the same store: as after killing and starting the process
    second = Conversation(make_engine(store, nlu), first.key, last=first.last)
    second.run(press("seek:yes", "Hoe is je voornaam?"), say("Sara", "Dag Sara!"))


def test_bad_input_gets_a_polite_answer_and_loses_nothing(store, nlu):
    chat = Conversation(make_engine(store, nlu))
    chat.run(say("/start"), press("Nederlands"), press("consent:yes"),
             send(InputKind.STICKER, "Dat kan ik niet lezen", "In welke gemeente"),
             send(InputKind.VOICE, "spraakberichten", "In welke gemeente"),
             say("/foobar", "Dat commando ken ik niet", "In welke gemeente"),
             forge("nat:yes", "Die knop werkt niet meer", "In welke gemeente"),
             forge("lang:ar", "Die knop werkt niet meer"),
             forge("x" * 5000, "Die knop werkt niet meer"),
             forge("", "In welke gemeente"),
             say("Atlantis", "Die gemeente ken ik niet"),
             say("😀😀😀", "In welke gemeente"),
             say("x" * 4000, "In welke gemeente"),
             press("Marke"), press("nat:yes"), press("seek:yes"),
             say("🙂", "alleen je voornaam"),
             say("a" * 200, "alleen je voornaam"),
             say("Lina", "Dag Lina!"),
             say("weet ik niet", "geen telefoonnummer"))


def test_crisis_gets_emergency_numbers_at_once_in_any_step(store, nlu):
    chat = Conversation(make_engine(store, nlu))
    chat.run(say("/start"), press("English"), press("consent:yes"))
    reply = chat.do(say("I have nowhere to sleep tonight", "112", "1813", "106",
                        "0800 13 500"))
    assert reply.alerts and "DRINGEND" in reply.alerts[0].text
    with store() as uow:
        tasks = uow.tasks.open()
        assert tasks[0].kind == TaskKind.CRISIS and tasks[0].priority.value == "urgent"


def test_registered_client_is_understood_or_handed_to_a_counselor(store, nlu):
    chat = Conversation(make_engine(store, nlu))
    chat.run(*DUTCH_TO_REGISTERED)
    chat.run(say("hallo", "Dag Amina!"),
             say("ik wil met mijn begeleider praten", "doorgegeven"),
             say("dank je wel", "Graag gedaan"),
             say("/start", "Welkom terug, Amina!"),
             say("/stop", "Je begeleider kan je nog altijd bereiken"))
    reply = chat.do(send(InputKind.PHOTO, "foto", "begeleider laten weten"))
    assert reply.alerts, "a photo from a registered client reaches the counselor"


def test_unclear_twice_offers_a_person(store, nlu):
    chat = Conversation(make_engine(store, nlu))
    chat.run(*DUTCH_TO_REGISTERED)
    chat.run(say("qwrtzp", "anders zeggen"), say("zzkxq vlm", "begeleider om je verder te helpen"))


def test_free_text_in_another_language_gets_a_switch_offer_in_both(store, nlu):
    chat = Conversation(make_engine(store, nlu))
    chat.run(*DUTCH_TO_REGISTERED)
    reply = chat.do(say("can I please speak with my counselor tomorrow", "doorgegeven"))
    offer = reply.messages[-1].text
    question = "Wil je verder in deze taal: {language}?"
    english = Translator("en").gettext(question).format(language="English")
    assert english != question.format(language="English"), "translated"
    assert offer == english + "\n" + question.format(language="English")
    chat.run(say("ok", forbid=("English?",)),
             forge("switch:en", "continue in English"),
             say("ik wil met iemand praten alsjeblieft", "Wil je verder in deze taal"),
             press("stay:nl"),
             say("ik wil nog eens met iemand praten", forbid=("Wil je verder",)))
    with store() as uow:
        assert uow.clients.by_identity("telegram", "1001").language == "en"


def test_a_listen_button_reads_the_last_reply_aloud(store, nlu):
    engine = make_engine(store, nlu, voice_languages=("nl", "ar"))
    chat = Conversation(engine)
    chat.run(say("/start"), press("Nederlands"))
    assert chat.buttons()[-1][0] == "🔊"
    consent_texts = "\n\n".join(m.text for m in chat.last)
    reply = chat.do(press("🔊"))
    assert [m.voice for m in reply.messages] == [consent_texts] and reply.messages[0].text == ""
    chat.run(press("consent:yes", "In welke gemeente"), forge("speak:999", "werkt niet meer"))
    tigrinya = Conversation(make_engine(MemoryStore(), nlu, voice_languages=("nl", "ar")),
                            ClientKey(ChannelName.WEB, "t" * 24))
    tigrinya.run(say("/start"), press("lang:ti"))
    assert "🔊" not in [label for label, _ in tigrinya.buttons()], "hidden without a voice"


def test_another_time_in_free_text_reaches_the_counselor_as_a_proposal(store, nlu):
    chat = Conversation(make_engine(store, nlu))  # the clock starts Monday 23 November 2026
    chat.run(*DUTCH_TO_REGISTERED)
    reply = chat.do(say("kan mijn afspraak verzet worden naar vrijdag om 10u",
                        "vrijdag 27 november 2026, 10:00", "laat het je weten"))
    assert "stelt voor: vrijdag 27 november 2026, 10:00" in reply.alerts[0].text


def test_a_turkish_client_proposes_thursday(store, nlu):
    chat = Conversation(make_engine(store, nlu), ClientKey(ChannelName.TELEGRAM, "2002"))
    chat.run(say("/start"), press("lang:tr"), press("consent:yes"), press("area:Menen"),
             press("nat:yes"), press("seek:yes"), say("Elif"), press("contact:chat"),
             press("help:work"))
    reply = chat.do(say("randevu perşembe saat 10da olabilir mi"))
    assert "26 Kasım 2026 Perşembe 10:00" in reply.messages[0].text
    assert "donderdag 26 november 2026, 10:00" in reply.alerts[0].text
