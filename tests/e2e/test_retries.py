"""A request sent again is answered once: when a load balancer resends a message to another replica after
the first died mid-message (nginx sets X-Request-Id; deploy/nginx/), or Twilio resends a MessageSid, the
copy gets the replies the original produced, and nothing is done twice: no second turn of a form, no
second report handed off."""

from __future__ import annotations

import json
import uuid

import pytest
import requests

from tests.e2e import test_twilio as twilio
from tests.e2e.test_report import code_in, partner, said, start_report, texts_of
from tests.e2e.test_rest import sender

pytestmark = pytest.mark.e2e


def say(assistant, person: str, text: str, request_id: str) -> list[dict]:
    answer = requests.post(
        f"{assistant.url}/webhooks/rest/webhook",
        json={"sender": person, "message": text},
        headers={"X-Request-Id": request_id},
        timeout=60,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def stored_user_texts(assistant, person: str) -> list[str]:
    return [
        json.loads(data).get("text")
        for sender_id, data in assistant.stored_events()
        if sender_id == person and json.loads(data).get("event") == "user"
    ]


def test_a_form_answer_sent_again_is_one_turn(assistant):
    person = sender()
    start_report(assistant, person, "en")
    first = say(assistant, person, "a window was smashed", "retry-1")
    again = say(assistant, person, "a window was smashed", "retry-1")
    assert said(first, "utter_ask_report_danger", "en") and texts_of(again) == texts_of(first)
    assert stored_user_texts(assistant, person).count("a window was smashed") == 1
    # The form moved one question, not two.
    assert said(assistant.say(person, "/deny"), "utter_ask_report_where", "en")


def test_a_handoff_sent_again_hands_off_one_report_and_gives_the_same_code(assistant):
    person = sender()
    start_report(assistant, person, "en")
    for answer in ("my phone was snatched", "/deny", "skip", "skip", "skip", "/affirm"):
        assistant.say(person, answer)
    before = len(partner(assistant, "/reports").json())
    request_id = str(uuid.uuid4())
    first = code_in(say(assistant, person, "/affirm", request_id))
    assert code_in(say(assistant, person, "/affirm", request_id)) == first
    assert len(partner(assistant, "/reports").json()) == before + 1


def test_an_id_reused_for_another_message_is_not_answered_from_the_past(assistant):
    person = sender()
    start_report(assistant, person, "en")
    say(assistant, person, "someone keyed my car", "same-id")
    answer = say(assistant, person, "/deny", "same-id")
    assert said(answer, "utter_ask_report_where", "en")


def test_an_sms_twilio_sends_again_is_answered_once(assistant):
    number = twilio.new_number()
    message = twilio.text_message(number, f"my bike was stolen from the station {uuid.uuid4().hex[:6]}")
    first = twilio.replies(twilio.post(assistant, message))
    again = twilio.replies(twilio.post(assistant, message))
    assert first and again == first
    stored = [data for _, data in assistant.stored_events() if message["Body"] in data]
    assert len([d for d in stored if json.loads(d).get("event") == "user"]) == 1
    assert not any(message["MessageSid"] in data for _, data in assistant.stored_events()), "kept as a hash"
