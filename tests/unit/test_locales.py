"""The texts: every shipped language complete, no number or address outside the directory."""

from __future__ import annotations

import re
import unicodedata

import pytest
import yaml

from bot.texts import DEFAULT_LOCALES, PLACEHOLDER_RE, Texts
from tests.conftest import ROOT

LOCALE_FILES = sorted(DEFAULT_LOCALES.glob("*.yml"))


def test_english_and_arabic_ship(texts):
    assert {"en", "ar"} <= set(texts.locales)


def test_no_locale_problems(texts):
    """Every key of every language, identical placeholders and buttons, all facts resolvable."""
    assert texts.problems() == []


@pytest.mark.parametrize("path", LOCALE_FILES, ids=lambda p: p.stem)
def test_no_numbers_or_addresses_in_texts(path):
    """Numbers and addresses come only from the directory."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    strings = list(raw["labels"].values())
    for response in raw["responses"].values():
        strings.append(response["text"])
        if isinstance(response.get("buttons"), dict):
            strings += list(response["buttons"].values())
    for text in strings:
        bare = PLACEHOLDER_RE.sub("", text).replace("24/7", "")  # "24/7" is a phrase, not a fact
        assert not re.search(r"\d", bare), text  # any script's digits
        assert not re.search(r"www\.|https?:|\.(uk|org|com)\b|@", bare), text


@pytest.mark.parametrize("path", LOCALE_FILES, ids=lambda p: p.stem)
def test_latin_script_texts_stay_in_the_gsm_alphabet(path):
    """Curly quotes, emoji or non-breaking spaces would make every SMS cost more than twice as much.

    A language's own letters (Polish ł, Romanian ș, Vietnamese ơ) are its spelling and stay; every
    other character of a Latin-script text must be in the GSM alphabet."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if raw["meta"]["direction"] == "rtl":
        return
    gsm = set(
        "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
    )
    for key, response in raw["responses"].items():
        text = PLACEHOLDER_RE.sub("", response["text"])
        odd = {ch for ch in text if ch not in gsm and not unicodedata.category(ch).startswith(("L", "M"))}
        assert not odd, f"{key}: {odd}"


def test_domain_responses_match_english():
    domain = yaml.safe_load((ROOT / "domain" / "responses.yml").read_text(encoding="utf-8"))
    english = yaml.safe_load((DEFAULT_LOCALES / "en.yml").read_text(encoding="utf-8"))
    assert set(english["responses"]) - set(domain["responses"]) == {"utter_default"}
    assert set(domain["responses"]) <= set(english["responses"])


def test_every_utterance_the_dialogue_uses_has_text():
    used = set()
    for path in list((ROOT / "data").rglob("*.yml")) + list((ROOT / "tests" / "stories").glob("*.yml")):
        used |= set(re.findall(r"action:\s*(utter_\w+)", path.read_text(encoding="utf-8")))
    english = yaml.safe_load((DEFAULT_LOCALES / "en.yml").read_text(encoding="utf-8"))
    assert used and used <= set(english["responses"])


def test_a_broken_locale_is_reported(tmp_path, directory):
    en = yaml.safe_load((DEFAULT_LOCALES / "en.yml").read_text(encoding="utf-8"))
    broken = yaml.safe_load((DEFAULT_LOCALES / "ar.yml").read_text(encoding="utf-8"))
    del broken["responses"]["utter_noise"]
    broken["responses"]["utter_crisis"]["text"] = "{samaritans.phone} {shout.phone}"
    (tmp_path / "en.yml").write_text(yaml.safe_dump(en, allow_unicode=True))
    (tmp_path / "ar.yml").write_text(yaml.safe_dump(broken, allow_unicode=True))
    problems = Texts.load(tmp_path, directory).problems()
    assert "ar: responses.utter_noise missing" in problems
    assert "ar: utter_crisis placeholders differ from English" in problems
    assert any("shout.phone" in p for p in problems)
