"""SMS arithmetic and rendering: alphabets, segments, cheap characters, and what our replies cost."""

from __future__ import annotations

import statistics

import pytest

from bot.channels import sms
from bot.channels.twilio import TwilioChannel
from tests.conftest import SAMPLE_VALUES, SHIPPED


@pytest.mark.parametrize(
    ("text", "gsm", "segments"),
    [
        ("", True, 1),
        ("a" * 160, True, 1),
        ("a" * 161, True, 2),
        ("a" * 306, True, 2),
        ("a" * 307, True, 3),
        ("€" * 80, True, 1),  # the extension table: two septets each
        ("€" * 81, True, 2),
        ("café à l'école", True, 1),
        ("ą" * 70, False, 1),
        ("ą" * 71, False, 2),
        ("ا" * 134, False, 2),
        ("ا" * 135, False, 3),
        ("\U0001f600" * 35, False, 1),  # an emoji is two UTF-16 units
        ("\U0001f600" * 36, False, 2),
        ("it\u2019s", False, 1),
    ],
)
def test_alphabet_and_segments(text, gsm, segments):
    assert sms.is_gsm(text) is gsm
    assert sms.segments(text) == segments


def test_typographic_characters_become_gsm():
    assert (
        sms.gsm_friendly("\u201cHi\u201d \u2013 it\u2019s\u00a0ok\u2026 \U0001f44d") == '"Hi" - it\'s ok... '
    )
    assert sms.is_gsm(sms.gsm_friendly("\u2018quoted\u2019\u200b\u00a0\u2014"))


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("Jeśli jesteś w niebezpieczeństwie, zadzwoń", "Jesli jestes w niebezpieczenstwie, zadzwon"),
        ("Łódź", "Lodz"),
        ("Dacă sunteți în pericol, sunați", "Daca sunteti in pericol, sunati"),
        ("Nëse jeni në rrezik", "Nese jeni ne rrezik"),
        ("Está em perigo? Ligue já", "Esta em perigo? Ligue ja"),
        ("é è à ù ñ ü ö Ä", "é è à ù ñ ü ö Ä"),  # GSM-7 has these: kept
    ],
)
def test_plain_letters_only_drop_accents_gsm_lacks(text, plain):
    assert sms.plain_letters(text) == plain
    assert sms.is_gsm(sms.plain_letters(text))


def test_split_cuts_at_line_breaks_and_loses_nothing():
    text = "\n".join(f"line {i} " + "x" * 50 for i in range(100))
    parts = sms.split(text, 1600)
    assert all(len(p) <= 1600 for p in parts)
    assert "\n".join(parts) == text
    long_line = "word " * 1000
    parts = sms.split(long_line.strip(), 1600)
    assert all(len(p) <= 1600 for p in parts) and " ".join(parts) == long_line.strip()


def sms_replies(channel: TwilioChannel, language: str) -> dict[str, str]:
    texts = channel.texts
    out = {}
    for key in texts.locales["en"].responses:
        message = texts.render(key, language, channel="twilio", values=SAMPLE_VALUES)
        (body,) = channel.render([message], whatsapp=False)
        out[key] = body
    return out


@pytest.fixture(scope="module")
def channel() -> TwilioChannel:
    return TwilioChannel(auth_token="unused")


@pytest.mark.parametrize("language", SHIPPED)
def test_sms_replies_use_the_cheapest_alphabet_their_language_allows(channel, language):
    locale = channel.texts.locale(language)
    replies = sms_replies(channel, language)
    for key, body in replies.items():
        assert len(body) <= sms.TWILIO_MAX_CHARS
        if not locale.rtl:
            typographic = [c for c in body if c in sms.GSM_EQUIVALENTS]
            assert not typographic, f"{language}.{key}: {typographic}"
        if locale.sms_plain_letters and key != "utter_language_menu":  # the menu shows every script
            assert sms.is_gsm(body), f"{language}.{key}: {[c for c in body if not sms.is_gsm(c)]}"
    if locale.sms_plain_letters:
        median = statistics.median(sms.segments(b) for b in replies.values())
        assert median <= sms.SEGMENT_BUDGET, f"{language}: median {median} segments"


def test_buttons_become_numbered_options_under_a_reply_hint(channel):
    (body,) = channel.render(
        [channel.texts.render("utter_ask_danger", "ar", channel="twilio")], whatsapp=False
    )
    lines = body.split("\n")
    assert lines[-3].endswith(channel.texts.locale("ar").labels["reply_with_number"])
    assert lines[-2].startswith("1. ") and lines[-1].startswith("2. ")


def test_a_turn_of_several_messages_is_one_sms_when_it_fits(channel):
    first = channel.texts.render("utter_report_crime", "en", channel="twilio")
    second = channel.texts.render("utter_ask_danger", "en", channel="twilio")
    bodies = channel.render([first, second], whatsapp=False)
    assert len(bodies) == 1 and bodies[0].startswith(f"Message received.\n{first['text']}")
    assert bodies[0].count("Message received.") == 1, "one neutral line a turn"


def test_the_first_line_is_neutral_except_the_999_answer(channel):
    texts = channel.texts
    for language in texts.languages:
        (body,) = channel.render(
            [texts.render("utter_domestic_abuse", language, channel="twilio")], whatsapp=False
        )
        opening = channel.for_sms(texts.label("neutral_opening", language), language)
        assert body.split("\n")[0] == opening, language
        (emergency,) = channel.render(
            [texts.render("utter_emergency", language, channel="twilio")], whatsapp=False
        )
        assert opening not in emergency.split("\n")[0], language


def test_whatsapp_keeps_the_text_as_written(channel):
    message = {"text": "Jeśli \u201cnow\u201d", "language": "pl", "response": "utter_emergency"}
    assert channel.render([message], whatsapp=True) == ["Jeśli \u201cnow\u201d"]
    assert channel.render([message], whatsapp=False) == ['Jesli "now"']
