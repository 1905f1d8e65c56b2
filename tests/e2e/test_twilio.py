"""SMS and WhatsApp through the Twilio channel, in the real Rasa server, signed as Twilio signs.

Requests are signed with the twilio package's own ``RequestValidator`` (HMAC-SHA1 over the full URL and
the sorted form fields), exactly as Twilio signs its webhooks; replies are read from the TwiML.
"""

from __future__ import annotations

import random
import xml.etree.ElementTree as ET

import pytest
import requests
from twilio.request_validator import RequestValidator

from bot.channels import sms
from bot.texts import Texts
from tests.e2e.conftest import CHANNEL_ENV
from tests.e2e.test_rest import ROUTES, fact, plain

pytestmark = pytest.mark.e2e

PATH = "/webhooks/twilio/webhook"
SIGNER = RequestValidator(CHANNEL_ENV["TWILIO_AUTH_TOKEN"])
TEXTS = Texts.load()


def new_number() -> str:
    return f"+4477009{random.randint(0, 99999):05d}"  # Ofcom's range for drama: never a real person


def post(assistant, params: dict, signature: str | None = "sign", **kwargs) -> requests.Response:
    url = f"{assistant.url}{PATH}"
    headers = {}
    if signature == "sign":
        headers["X-Twilio-Signature"] = SIGNER.compute_signature(url, params)
    elif signature is not None:
        headers["X-Twilio-Signature"] = signature
    return requests.post(url, data=params, headers=headers, timeout=60, **kwargs)


def text_message(sender: str, body: str) -> dict:
    return {
        "MessageSid": f"SM{random.getrandbits(128):032x}",
        "AccountSid": "AC" + "0" * 32,
        "From": sender,
        "To": "+447700900000",
        "Body": body,
        "NumMedia": "0",
    }


def replies(response: requests.Response) -> list[str]:
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("application/xml")
    root = ET.fromstring(response.text)
    assert root.tag == "Response"
    return [message.text or "" for message in root.findall("Message")]


def sms_say(assistant, sender: str, body: str) -> list[str]:
    return replies(post(assistant, text_message(sender, body)))


@pytest.mark.parametrize("language", ["en", "ar"])
@pytest.mark.parametrize("route", ["emergency", "domestic_abuse", "modern_slavery"])
def test_sms_answers_with_the_right_services(assistant, route, language):
    bodies = sms_say(assistant, new_number(), ROUTES[route]["messages"][language])
    assert bodies, "an SMS always gets an answer"
    reply = plain("\n".join(bodies))
    for ref in ROUTES[route]["facts"]:
        assert fact(ref) in reply, f"{route} ({language}) must give {ref}: {reply}"
    if route == "emergency":
        assert reply.index(fact("police_999.phone")) < 80, "999 comes first"
    if language == "ar":
        assert any("\u0600" <= c <= "\u06ff" for c in reply), "answered in Arabic"
        assert bodies[0].startswith("\u200f"), "marked right to left"


def test_whatsapp_is_served_by_the_same_channel_and_suggests_disappearing_messages(assistant):
    number = new_number()
    bodies = replies(
        post(assistant, text_message(f"whatsapp:{number}", ROUTES["modern_slavery"]["messages"]["en"]))
    )
    assert fact("modern_slavery_helpline.phone") in plain("\n".join(bodies))
    tip = TEXTS.locale("en").labels["disappearing_whatsapp"]
    assert tip in "\n".join(bodies), "the first reply says how to make the chat delete itself"
    later = replies(post(assistant, text_message(f"whatsapp:{number}", "thanks")))
    assert tip not in "\n".join(later), "once is enough"
    sms = sms_say(assistant, number, ROUTES["modern_slavery"]["messages"]["en"])
    assert "disappearing" not in "\n".join(sms), "SMS has no such setting"


def test_buttons_become_numbered_options_and_a_number_picks_one(assistant):
    sender = new_number()
    (menu,) = sms_say(assistant, sender, "HELP")  # our own help text: the topics
    lines = menu.split("\n")
    first = lines.index("Reply with a number:")
    assert lines[first + 1].startswith("1. ")
    assert lines[first + 2].startswith("2. ")
    assert sms.is_gsm(menu), "an English reply costs GSM-7 segments"
    bodies = sms_say(assistant, sender, "1")  # the first topic: someone is in danger now
    assert plain(bodies[0]).startswith(
        f"If you or someone else is in danger now, call {fact('police_999.phone')}"
    )


def test_a_number_without_options_is_just_text(assistant):
    bodies = sms_say(assistant, new_number(), "7")
    assert bodies and fact("police_999.phone") in plain("\n".join(bodies)), "the fallback keeps the 999 line"


def test_a_latin_script_reply_has_no_character_that_forces_ucs2(assistant):
    sender = new_number()
    for body in sms_say(assistant, sender, ROUTES["domestic_abuse"]["messages"]["pl"]):
        assert sms.is_gsm(body), f"Polish SMS should be GSM-7: {[c for c in body if not sms.is_gsm(c)]}"


@pytest.mark.parametrize("word", ["STOP", "stop", "Unsubscribe", "CANCEL", "end", "QUIT", "STOPALL"])
def test_stop_words_get_no_reply_and_nothing_is_stored(assistant, word):
    before = len(assistant.stored_events())
    assert replies(post(assistant, text_message(new_number(), word))) == []
    assert len(assistant.stored_events()) == before


@pytest.mark.parametrize(
    "signature", [None, "", "d3Jvbmc=", SIGNER.compute_signature("http://example.org/webhook", {})]
)
def test_a_request_without_the_right_signature_is_refused_and_reaches_nothing(assistant, signature):
    before = len(assistant.stored_events())
    response = post(assistant, text_message(new_number(), "someone is breaking in"), signature=signature)
    assert response.status_code == 403
    assert len(assistant.stored_events()) == before


def test_a_signature_for_other_content_is_refused(assistant):
    params = text_message(new_number(), "hello")
    url = f"{assistant.url}{PATH}"
    forged = SIGNER.compute_signature(url, {**params, "Body": "something else"})
    response = requests.post(url, data=params, headers={"X-Twilio-Signature": forged}, timeout=60)
    assert response.status_code == 403


def test_bad_requests_get_clear_errors(assistant):
    before = len(assistant.stored_events())
    url = f"{assistant.url}{PATH}"
    assert requests.post(url, json={"From": "+447700900123"}, timeout=60).status_code == 400
    no_sender = {k: v for k, v in text_message(new_number(), "hi").items() if k != "From"}
    assert post(assistant, no_sender).status_code == 400
    huge = text_message(new_number(), "a" * 70_000)
    assert post(assistant, huge).status_code == 413
    assert len(assistant.stored_events()) == before


@pytest.mark.parametrize("body", ["", "\U0001f62d\U0001f62d", "help me " * 1500, "\x00\x07 hi"])
def test_bad_input_still_gets_a_useful_answer(assistant, body):
    reply = plain("\n".join(sms_say(assistant, new_number(), body)))
    assert fact("police_999.phone") in reply


def test_no_phone_number_is_stored_or_logged(assistant):
    number = new_number()
    sms_say(assistant, number, "my neighbour is dealing drugs from his flat")
    replies(post(assistant, text_message(f"whatsapp:{number}", "thanks")))
    post(assistant, text_message(new_number(), "forged"), signature="d3Jvbmc=")  # a refusal is logged
    stored = "\n".join(f"{sender} {data}" for sender, data in assistant.stored_events())
    assert number not in stored and number.lstrip("+") not in stored
    assert "sms-" in stored and "whatsapp-" in stored  # the conversations are there, under pseudonyms
    log = assistant.log.read_text(encoding="utf-8", errors="replace")
    assert "Twilio webhook: request with a missing or wrong signature refused." in log
    assert number not in log and number.lstrip("+") not in log
