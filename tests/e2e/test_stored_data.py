"""What the tracker store keeps: a person's words, without the phone numbers, emails and cards they typed."""

from __future__ import annotations

import pytest

from tests.e2e.test_rest import fact, plain, sender

pytestmark = pytest.mark.e2e

TYPED = {
    "phone": "07700 900123",
    "email": "my.ex@example.org",
    "card": "4111 1111 1111 1111",
}


def test_personal_data_typed_in_a_message_is_masked_in_the_store_but_understood(assistant):
    person = sender()
    message = (
        f"my ex keeps texting me threats from {TYPED['phone']} and emails {TYPED['email']}, "
        f"and someone used my card {TYPED['card']} online"
    )
    reply = plain("\n".join(m.get("text", "") for m in assistant.say(person, message)))
    assert fact("police_999.phone") in reply  # answered, as ever
    stored = [data for sender_id, data in assistant.stored_events() if sender_id == person]
    assert stored, "the conversation is stored"
    everything = "\n".join(stored)
    for kind, value in TYPED.items():
        assert value not in everything, f"the {kind} is stored"
    assert "[phone]" in everything and "[email]" in everything and "[card]" in everything
    assert "my ex keeps texting me threats" in everything, "the rest of the words are kept"
