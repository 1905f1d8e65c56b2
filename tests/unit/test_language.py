"""Language guessing and the choice of reply language."""

from __future__ import annotations

import pytest

from bot.language import LanguageGuesser, find_language_names, guesses_from_events, resolve_language
from bot.nlu.language import load_language_names

NAMES = load_language_names()


@pytest.fixture(scope="module")
def guesser() -> LanguageGuesser:
    return LanguageGuesser(["en", "ar"])


@pytest.mark.parametrize(
    ("text", "code", "confident"),
    [
        ("my neighbour is playing loud music every night", "en", True),
        ("زوجي يضربني", "ar", True),
        ("مرحبا", "ar", True),
        ("ok", "en", False),
        ("yes", "en", False),
        ("bike stolen", "en", False),
        ("101", None, False),
        ("", None, False),
        ("🙂🙂", None, False),
        ("我的手机被偷了", None, False),
    ],
)
def test_guesses(guesser, text, code, confident):
    guess = guesser.guess(text)
    assert (guess.code, guess.confident) == (code, confident)


def test_guesses_between_languages_sharing_a_script():
    guesser = LanguageGuesser(["en", "fr"])
    assert guesser.guess("on m'a volé mon téléphone dans le métro ce matin").code == "fr"
    assert guesser.guess("someone stole my phone on the tube this morning").code == "en"


@pytest.mark.parametrize(
    ("text", "code"),
    [("arabic please", "ar"), ("Can we speak in English", "en"), ("بالعربي لو سمحت", "ar"),
     ("الإنجليزية", "en"), ("not english, ARABIC", "ar")],
)  # fmt: skip
def test_explicit_language_names(text, code):
    assert find_language_names(text, NAMES)[-1][0] == code


def test_no_language_named():
    assert find_language_names("my husband takes my money and my passport", NAMES) == []


def test_resolution_order():
    confident_ar = {"code": "ar", "confident": True}
    unsure_en = {"code": "en", "confident": False}
    assert resolve_language("en", [confident_ar], ["en", "ar"]) == "en"
    assert resolve_language(None, [unsure_en, confident_ar], ["en", "ar"]) == "ar"
    assert resolve_language("xx", [None], ["en", "ar"]) == "en"
    assert resolve_language(None, [], ["en", "ar"]) == "en"


def test_guesses_from_serialised_events_stop_at_restart():
    events = [
        {"event": "user", "parse_data": {"language": {"code": "ar", "confident": True}}},
        {"event": "restart"},
        {"event": "user", "parse_data": {"language": {"code": "en", "confident": False}}},
    ]
    assert list(guesses_from_events(events)) == [{"code": "en", "confident": False}]
