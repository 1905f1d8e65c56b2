"""Rendering replies: facts from the directory, the clock, right-to-left text, channels, fallbacks."""

from __future__ import annotations

import pytest

from bot.texts import LRM, RLM, LocaleError
from tests.conftest import SAMPLE_VALUES, SHIPPED, london


def strip_marks(text: str) -> str:
    return text.replace(LRM, "").replace(RLM, "")


def test_emergency_reply_starts_with_999_and_the_silent_solution(texts):
    text = texts.render("utter_emergency", "en")["text"]
    assert text.startswith("If you or someone else is in danger now, call 999.")
    assert "press 55" in text
    assert "18000" in text
    assert 'text "register" to 999' in text


def test_childrens_services_number_follows_the_time(texts):
    day = texts.render("utter_child_at_risk", "en", when=london("2026-11-23 10:00"))["text"]
    night = texts.render("utter_child_at_risk", "en", when=london("2026-11-23 22:00"))["text"]
    assert "020 7641 4000 (daytime line)" in day and "2388" not in day
    assert "020 7641 2388 (out-of-hours line)" in night and "4000" not in night


def test_opening_status_and_hours(texts):
    saturday_night = london("2026-11-21 23:00")
    text = texts.render("utter_domestic_abuse", "en", when=saturday_night)["text"]
    assert "Galop 0800 999 5428 (closed now, opens Mon 10am)" in text
    monday = texts.render("utter_domestic_abuse", "en", when=london("2026-11-23 11:00"))["text"]
    assert "(open now)" in monday
    fraud = texts.render("utter_fraud", "en")["text"]
    assert "0300 123 2040 (Mon-Fri 8am-8pm)" in fraud
    nspcc = texts.render("utter_child_at_risk", "en", when=london("2026-11-23 22:30"))["text"]
    assert "closed now, opens tomorrow 8am" in nspcc


def test_unconfirmed_hours_are_not_stated(texts, directory):
    service = directory.get("westminster_prevent")
    assert texts.format_hours(service, texts.locale("en")) == "check the opening hours before calling"


def test_arabic_is_right_to_left_with_readable_numbers(texts):
    message = texts.render("utter_domestic_abuse", "ar")
    lines = message["text"].split("\n")
    assert all(line.startswith(RLM) for line in lines)
    # A spaced phone number inside Arabic text is wrapped in left-to-right marks, so it is not reversed.
    assert f"{LRM}0808 2000 247{LRM}" in message["text"]
    assert "0808 2000 247" in strip_marks(message["text"])


def test_buttons_keep_their_payloads_in_every_language(texts):
    en = texts.render("utter_help_menu", "en")["buttons"]
    ar = texts.render("utter_help_menu", "ar")["buttons"]
    assert [b["payload"] for b in en] == [b["payload"] for b in ar]
    assert en[0] == {"title": "Someone is in danger now", "payload": "/emergency"}
    assert all(b["title"].startswith(RLM) for b in ar)


def test_language_menu_lists_every_shipped_language(texts):
    buttons = texts.render("utter_language_menu", "en")["buttons"]
    assert {"title": "English", "payload": '/choose_language{"language":"en"}'} in buttons
    assert {"title": "العربية", "payload": '/choose_language{"language":"ar"}'} in buttons


def test_channels_without_buttons_get_a_numbered_list(texts):
    message = texts.render("utter_ask_danger", "en", channel="sms")
    assert "buttons" not in message
    assert message["text"].endswith("Reply with a number:\n1. Yes, danger now\n2. No, show me the options")


def test_first_reply_says_what_the_assistant_is(texts):
    first = texts.render("utter_report_crime", "en", first_reply=True)["text"]
    later = texts.render("utter_report_crime", "en")["text"]
    assert first.endswith("(I'm an automated guide, not the police.)")
    assert "automated" not in later
    assert first.startswith("If it is happening now")  # 999 stays first


def test_a_language_we_do_not_ship_gets_the_list_of_languages(texts):
    text = texts.render("utter_domestic_abuse", "en", unsupported_language=True)["text"]
    lines = text.split("\n")
    assert lines[0] == texts.render("utter_domestic_abuse", "en")["text"].split("\n")[0], "999 stays first"
    assert "I can reply in: " in lines[-1] and "interpreters" in lines[-1]
    assert all(texts.locales[code].native_name in lines[-1] for code in texts.languages)


def test_unknown_language_and_missing_key_fall_back_to_english(texts):
    assert texts.render("utter_noise", "xx") == texts.render("utter_noise", "en")
    del texts.locales["ar"].responses["utter_noise"]
    assert texts.render("utter_noise", "ar") == texts.render("utter_noise", "en")
    with pytest.raises(LocaleError):
        texts.render("utter_does_not_exist", "en")


@pytest.mark.parametrize("language", SHIPPED)
def test_every_response_renders_at_every_hour(texts, language):
    for key in texts.locales["en"].responses:
        for hour in (3, 12, 19):
            message = texts.render(
                key, language, when=london(f"2026-12-25 {hour:02d}:00"), values=SAMPLE_VALUES
            )
            assert message["text"].strip()
