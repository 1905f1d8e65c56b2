"""The web widget channel's rules, without a server: requests, CORS origins and the widget's data."""

from __future__ import annotations

import json
import re

import pytest

from bot.channels.common import MAX_MESSAGE_CHARS
from bot.channels.web import (
    BadRequest,
    allowed_origin,
    language_metadata,
    link_numbers,
    parse_request,
    reply,
    widget_data,
)
from bot.texts import LRM


@pytest.mark.parametrize(
    "origin, setting, expected",
    [
        ("https://a.example", "*", "*"),
        (None, "*", "*"),
        ("https://a.example", "", "*"),
        ("https://a.example", "https://a.example, https://b.example/", "https://a.example"),
        ("https://b.example", "https://a.example, https://b.example/", "https://b.example"),
        ("https://evil.example", "https://a.example,https://b.example", None),
        ("http://a.example", "https://a.example", None),
        (None, "https://a.example", None),
    ],
)
def test_allowed_origin(origin, setting, expected):
    assert allowed_origin(origin, setting) == expected


def test_a_good_request():
    body = json.dumps({"session": "a" * 16, "message": "hello", "language_hint": "pt-BR"}).encode()
    assert parse_request(body) == ("a" * 16, "hello", {"language_hint": "pt"})


def test_a_missing_message_is_empty_and_a_long_one_is_cut():
    assert parse_request(json.dumps({"session": "A-b_" * 8}).encode())[1] == ""
    long = json.dumps({"session": "s" * 128, "message": "é" * (MAX_MESSAGE_CHARS + 1)}).encode()
    assert parse_request(long)[1] == "é" * MAX_MESSAGE_CHARS


@pytest.mark.parametrize(
    "body",
    [b"", b"{", b"\xff\xfe", b"[]", b'"text"', b"{}", b'{"session": null}', b'{"session": 12345678901234567}',
     b'{"session": "' + b"a" * 15 + b'"}', b'{"session": "' + b"a" * 129 + b'"}',
     b'{"session": "aaaaaaaaaaaaaaaa aaaa"}', b'{"session": "aaaaaaaaaaaaaaaa/"}',
     b'{"session": "aaaaaaaaaaaaaaaa", "message": 5}', b'{"session": "aaaaaaaaaaaaaaaa", "message": null}'],
)  # fmt: skip
def test_bad_requests(body):
    with pytest.raises(BadRequest):
        parse_request(body)


@pytest.mark.parametrize(
    "hint, expected",
    [("fr", "fr"), ("AR", "ar"), ("pt-BR", "pt"), ("zh_Hant_TW", "zh"), ("fil", "fil"), (None, None), (5, None),
     ("", None), ("english", None), ("fr-", None), ("<b>", None), ("x" * 40, None), ("fr-FR-x-y-z-w", None)],
)  # fmt: skip
def test_language_hints_are_short_codes_or_nothing(hint, expected):
    assert language_metadata(hint).get("language_hint") == expected


def test_replies_keep_only_what_the_widget_reads():
    message = {
        "text": "hi",
        "buttons": [{"title": "Yes", "payload": "/yes", "extra": 1}, "junk"],
        "language": "ar",
        "direction": "rtl",
        "timestamp": 1.0,
        "recipient_id": "web-abc",
    }
    assert reply(message) == {
        "text": "hi",
        "buttons": [{"title": "Yes", "payload": "/yes"}],
        "language": "ar",
        "direction": "rtl",
    }
    assert reply({"text": "x", "buttons": []}) == {"text": "x", "language": "en", "direction": "ltr"}


def test_every_language_gets_every_widget_label_with_facts_filled(texts):
    data = widget_data(texts)
    english = data["languages"]["en"]["labels"]
    assert len(english) >= 20 and "offline" in english and "exit_two_left" in english
    for code, language in data["languages"].items():
        assert set(language["labels"]) == set(english), code
        assert language["dir"] == texts.locale(code).direction
        for key, text in language["labels"].items():
            assert text.strip() and not re.search(r"\{[^{}]*\}", text), f"{code}.{key}: {text}"
    assert english["offline"].endswith("call 999.")
    assert f"{LRM}999{LRM}" in data["languages"]["ar"]["labels"]["offline"]
    assert data["maxChars"] == MAX_MESSAGE_CHARS


def test_the_directory_numbers_become_call_or_text_links(directory):
    numbers = link_numbers(directory)
    assert numbers["999"] == "tel" and numbers["0808 2000 247"] == "tel" and numbers["18001 101"] == "tel"
    assert numbers[directory.get("shout").fact("sms_number")] == "sms"
    assert "200" not in numbers and "55" not in numbers, (
        "a count of languages or a code to press is no number"
    )
    assert list(numbers) == sorted(numbers, key=lambda n: (-len(n), n)), "longest first"
    assert directory.get("respect_phoneline").contacts["phone"] not in numbers, "unconfirmed: never given"
