"""Telegram rendering without the network: commands, language hints and keyboards."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.channels.telegram import (
    MAX_CALLBACK_BYTES,
    OPTION_PREFIX,
    command_text,
    inline_keyboard,
    language_hint,
    seconds,
    split_text,
)
from bot.texts import Texts
from tests.conftest import SAMPLE_VALUES


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/start", "/greet"),
        ("/help", "/help_menu"),
        ("/language", "/choose_language"),
        ("/START@SaferBot", "/greet"),
        ("/start campaign-1", "/greet"),
        ("my ex is outside", "my ex is outside"),
        ("", ""),
    ],
)
def test_commands(text, expected):
    assert command_text(text) == expected


@pytest.mark.parametrize(
    ("code", "hint"), [("pt-br", "pt"), ("AR", "ar"), ("en", "en"), (None, None), ("", None), ("x1", None)]
)
def test_language_hint(code, hint):
    assert language_hint(code) == hint


def test_every_keyboard_fits_telegrams_callback_limit():
    texts = Texts.load()
    for language in texts.languages:
        for key in texts.locales["en"].responses:
            buttons = (
                texts.render(key, language, channel="telegram", values=SAMPLE_VALUES).get("buttons") or []
            )
            markup = inline_keyboard(buttons)
            for row in markup.inline_keyboard if markup else ():
                assert len(row[0].callback_data.encode()) <= MAX_CALLBACK_BYTES


def test_a_payload_too_long_for_telegram_becomes_its_option_number():
    markup = inline_keyboard([{"title": "A", "payload": "/x" + "y" * 80}, {"title": "B", "payload": "/b"}])
    assert [row[0].callback_data for row in markup.inline_keyboard] == [f"{OPTION_PREFIX}0", "/b"]


def test_split_text_and_retry_after():
    assert split_text("") == [" "]
    assert split_text("a\nb", limit=1) == ["a", "b"]
    assert seconds(3) == 3.0 and seconds(timedelta(seconds=2)) == 2.0
