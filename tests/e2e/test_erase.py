"""Erasing a conversation, in every language and on every channel: nothing of it is kept afterwards."""

from __future__ import annotations

import uuid

import pytest
import yaml

from bot.texts import Texts
from tests.conftest import ROOT, SHIPPED
from tests.e2e import test_telegram as telegram
from tests.e2e import test_twilio as twilio
from tests.e2e.test_rest import ROUTES, fact, plain, sender

pytestmark = pytest.mark.e2e

TEXTS = Texts.load()


def erase_request(language: str) -> str:
    """The first held-out way of asking, in ``language`` (tests/nlu, never trained on)."""
    data = yaml.safe_load((ROOT / "tests" / "nlu" / f"{language}.yml").read_text(encoding="utf-8"))
    block = next(item for item in data["nlu"] if item.get("intent") == "erase_conversation")
    return block["examples"].splitlines()[0].lstrip("- ").strip()


def stored_for(assistant, sender_id: str) -> list[str]:
    return [data for stored_sender, data in assistant.stored_events() if stored_sender == sender_id]


def first_line(key: str, language: str) -> str:
    return plain(TEXTS.render(key, language)["text"]).split("\n")[0]


@pytest.mark.parametrize("language", SHIPPED)
def test_erase_in_every_language_deletes_the_conversation_and_confirms(assistant, language):
    person = sender()
    assistant.say(person, ROUTES["domestic_abuse"]["messages"][language])
    assert stored_for(assistant, person), "the conversation was stored"
    replies = assistant.say(person, erase_request(language))
    reply = plain("\n".join(m.get("text", "") for m in replies))
    assert reply.split("\n")[0] == first_line("utter_erased", language), reply
    assert fact("police_999.phone") in reply
    assert stored_for(assistant, person) == [], "nothing of the conversation is kept"
    # and the assistant carries on as a new conversation
    assistant.say(person, ROUTES["report_crime"]["messages"][language])
    assert stored_for(assistant, person)


def marker() -> str:
    return f"zq{uuid.uuid4().hex[:10]}"


def test_erase_by_sms_explains_how_to_delete_the_thread(assistant):
    number, mark = twilio.new_number(), marker()
    twilio.sms_say(assistant, number, f"{ROUTES['modern_slavery']['messages']['en']} {mark}")
    assert mark in "".join(d for _, d in assistant.stored_events())
    bodies = twilio.sms_say(assistant, number, "delete this conversation")
    text = "\n".join(bodies)
    assert text.startswith("Message received.\nDone: this conversation is deleted")
    assert TEXTS.locale("en").labels["erase_device_sms"] in text
    assert mark not in "".join(d for _, d in assistant.stored_events())


def test_erase_on_whatsapp_gives_whatsapp_advice(assistant):
    number = f"whatsapp:{twilio.new_number()}"
    twilio.replies(twilio.post(assistant, twilio.text_message(number, "delete my messages")))
    bodies = twilio.replies(twilio.post(assistant, twilio.text_message(number, "erase everything")))
    assert TEXTS.locale("en").labels["erase_device_whatsapp"] in "\n".join(bodies)


def test_delete_command_on_telegram(assistant):
    chat_id, mark = telegram.new_chat(), marker()
    first = f"{ROUTES['domestic_abuse']['messages']['ar']} {mark}"
    telegram.say(assistant, telegram.text_update(chat_id, first, None))
    assert mark in "".join(d for _, d in assistant.stored_events())
    sent = telegram.say(assistant, telegram.text_update(chat_id, "/delete", language_code="ar"))
    text = plain("\n".join(m["text"] for m in sent))
    assert text.split("\n")[1] == first_line("utter_erased", "ar")
    assert plain(TEXTS.locale("ar").labels["erase_device_telegram"]) in text
    assert mark not in "".join(d for _, d in assistant.stored_events())
