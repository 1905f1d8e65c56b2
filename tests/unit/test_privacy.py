"""Masking personal data in what is logged and stored."""

from __future__ import annotations

import logging

import pytest

from bot.privacy import install_log_redaction, luhn, redact, redact_values


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("call me on 07700 900123 please", "call me on [phone] please"),
        ("my number is +44 (0)20 7946 0958", "my number is [phone]"),
        ("whatsapp me 00447700900123", "whatsapp me [phone]"),
        ("07700-900-123 or 020 7946 0958", "[phone] or [phone]"),
        ("email jo.bloggs+x@example.co.uk now", "email [email] now"),
        ("card 4111 1111 1111 1111 was stolen", "card [card] was stolen"),
        ("card 5500-0000-0000-0004", "card [card]"),
    ],
)
def test_personal_data_is_masked(text, masked):
    assert redact(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "call 999 now",
        "ring 101",
        "Samaritans 116 123",
        "it happened at 10:30 on 12/03/2024",
        "bus 159 at 23:15",
        "he was 35 and drove a red car, reg AB12 CDE",
        "",
    ],
)
def test_ordinary_numbers_are_kept(text):
    assert redact(text) == text


def test_postcodes_are_masked_in_logs_only_when_asked():
    assert redact("it was at SW1A 1AA") == "it was at SW1A 1AA"
    assert redact("it was at SW1A 1AA and w2 1jb", postcodes=True) == "it was at [postcode] and [postcode]"


def test_luhn():
    assert luhn("4111111111111111") and not luhn("4111111111111112")


def test_nested_values():
    assert redact_values({"text": "07700 900123", "n": 3, "e": [{"value": "a@b.org"}]}) == {
        "text": "[phone]",
        "n": 3,
        "e": [{"value": "[email]"}],
    }


def test_log_records_are_masked_whatever_the_logger(caplog):
    install_log_redaction()
    with caplog.at_level(logging.INFO):
        logging.getLogger("some.library").info("message from %s: %s", "+447700900123", "at W2 1JB")
        logging.getLogger("rasa.core").warning("user wrote jo@example.org")
    assert (
        "+447700900123" not in caplog.text
        and "jo@example.org" not in caplog.text
        and "W2 1JB" not in caplog.text
    )
    assert "message from [phone]: at [postcode]" in caplog.text


def test_tracebacks_and_bot_tokens_are_masked(caplog):
    install_log_redaction()
    with caplog.at_level(logging.INFO):
        try:
            raise ValueError("could not store 'call me on 07700 900123'")
        except ValueError:
            logging.getLogger("some.library").exception("failed")
        logging.getLogger("httpx").warning(
            "POST https://api.telegram.org/bot123456:AAEhBP0av28Rk-Rz_Hbw1zTf/sendMessage"
        )
    assert "07700 900123" not in caplog.text and "[phone]" in caplog.text
    assert "AAEhBP0av28Rk" not in caplog.text and "bot[token]/sendMessage" in caplog.text
    assert logging.getLogger("httpx").getEffectiveLevel() >= logging.WARNING, "httpx logs every Bot API URL"
