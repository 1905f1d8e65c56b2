"""Every shipped language is shipped whole: understanding, replies, safety net, names and tests."""

from __future__ import annotations

import pytest
import yaml

from bot.danger import load_pattern_files
from bot.language import LANGUAGE_SCRIPTS
from bot.nlu.language import load_language_names
from tests.conftest import ROOT, SHIPPED

INTENTS = yaml.safe_load((ROOT / "domain" / "core.yml").read_text(encoding="utf-8"))["intents"]
# Intents people only reach by a button or a command: no free text to learn.
MIN_EXAMPLES = 15


def pipeline_languages() -> list[str]:
    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    detector = next(c for c in config["pipeline"] if c["name"].endswith("LanguageDetector"))
    return sorted(detector["languages"])


def examples(path) -> dict[str, list[str]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    out: dict[str, list[str]] = {}
    for block in data["nlu"]:
        lines = [line.strip()[2:] for line in block["examples"].splitlines() if line.strip().startswith("- ")]
        out.setdefault(block["intent"], []).extend(lines)
    return out


def test_the_pipeline_detects_exactly_the_shipped_languages():
    assert pipeline_languages() == SHIPPED
    assert set(SHIPPED) <= set(LANGUAGE_SCRIPTS)


@pytest.mark.parametrize("lang", SHIPPED)
def test_every_intent_is_taught_in_every_language(lang):
    taught = examples(ROOT / "data" / "nlu" / f"{lang}.yml")
    thin = {
        intent: len(taught.get(intent, []))
        for intent in INTENTS
        if len(taught.get(intent, [])) < MIN_EXAMPLES
    }
    assert not thin, f"{lang}: fewer than {MIN_EXAMPLES} examples: {thin}"
    assert set(taught) <= set(INTENTS), f"{lang}: unknown intents {set(taught) - set(INTENTS)}"


@pytest.mark.parametrize("lang", SHIPPED)
def test_every_intent_is_tested_in_every_language(lang):
    tested = examples(ROOT / "tests" / "nlu" / f"{lang}.yml")
    assert set(tested) == set(INTENTS), f"{lang}: missing {set(INTENTS) - set(tested)}"


@pytest.mark.parametrize("lang", SHIPPED)
def test_every_language_has_its_safety_net_and_tests(lang):
    assert lang in load_pattern_files()
    danger = yaml.safe_load((ROOT / "tests" / "danger" / f"{lang}.yml").read_text(encoding="utf-8"))
    assert danger["danger"] and danger["near_misses"]
    assert (ROOT / "tests" / "stories" / f"test_{lang}.yml").exists()


def test_every_language_can_be_named():
    names = load_language_names()
    assert set(SHIPPED) <= set(names)
