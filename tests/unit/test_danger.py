"""The safety net on its own: the danger lists and near misses of every language."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.danger import DangerDetector, PatternError, expand

LISTS = sorted((Path(__file__).resolve().parent.parent / "danger").glob("*.yml"))


@pytest.fixture(scope="module")
def detector() -> DangerDetector:
    return DangerDetector.from_files()


def cases(section: str):
    for path in LISTS:
        for line in yaml.safe_load(path.read_text(encoding="utf-8"))[section]:
            yield pytest.param(line, id=f"{path.stem}:{line[:40]}")


def test_there_are_lists_for_english_and_arabic():
    assert {p.stem for p in LISTS} >= {"en", "ar"}


@pytest.mark.parametrize("text", cases("danger"))
def test_danger_is_detected(detector, text):
    assert detector.detect(text) is not None


@pytest.mark.parametrize("text", cases("near_misses"))
def test_near_misses_are_not_emergencies(detector, text):
    assert detector.detect(text) is None, detector.detect(text)


def test_a_danger_clause_is_found_beside_a_past_one(detector):
    found = detector.detect("I called 999 last week. Now he is hitting me again")
    assert found is not None and found.rule == "attack_now"


def test_negation_cancels(detector):
    assert detector.detect("no one is in danger right now") is None


@pytest.mark.parametrize(
    "text", ["", "   ", "🙂" * 50, "a" * 10_000, "\x00\x07\x1b[31m", "x " * 5_000 + "help me now"]
)
def test_odd_input_does_not_crash(detector, text):
    detector.detect(text)


def test_pattern_expansion():
    assert expand("(he|she) (is|) hitting me") == [
        ["he", "is", "hitting", "me"], ["he", "hitting", "me"],
        ["she", "is", "hitting", "me"], ["she", "hitting", "me"],
    ]  # fmt: skip
    with pytest.raises(PatternError):
        expand(" ".join(["(a|b|c|d|e|f|g|h|i|j)"] * 4))
