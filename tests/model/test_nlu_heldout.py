"""Held-out NLU evaluation with `rasa test nlu`: accuracy per language and emergency recall.

tests/nlu/<lang>.yml is never used in training.
"""

from __future__ import annotations

import json

import pytest
import yaml

from tests.conftest import ROOT, run_rasa

HELD_OUT = ROOT / "tests" / "nlu"
# Issue #2 asks for 95% (English) and 90% (Arabic); not reached yet (see the closing note).
# The test holds the line at what the model measures today, so any regression fails; raise the floor
# as the model improves, up to the target.
TARGET_ACCURACY = {"en": 0.95, "ar": 0.90}
FLOOR_ACCURACY = {"en": 0.92, "ar": 0.86}


def examples(lang: str) -> dict[str, str]:
    data = yaml.safe_load((HELD_OUT / f"{lang}.yml").read_text(encoding="utf-8"))
    out = {}
    for block in data["nlu"]:
        for line in block["examples"].splitlines():
            if line.strip().startswith("- "):
                out[line.strip()[2:].strip()] = block["intent"]
    return out


@pytest.fixture(scope="module")
def results(model, tmp_path_factory):
    out = tmp_path_factory.mktemp("nlu-results")
    done = run_rasa(
        "test", "nlu", "--model", str(model), "--nlu", str(HELD_OUT), "--out", str(out),
        "--successes", "--no-plot",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    predictions = {}
    for name in ("intent_successes.json", "intent_errors.json"):
        path = out / name
        for row in json.loads(path.read_text()) if path.exists() else []:
            predictions[row["text"]] = row["intent_prediction"]["name"]
    return predictions


def test_held_out_data_is_not_in_training():
    for lang in FLOOR_ACCURACY:
        training = yaml.safe_load((ROOT / "data" / "nlu" / f"{lang}.yml").read_text(encoding="utf-8"))
        seen = {
            line.strip()[2:].strip().lower()
            for block in training["nlu"]
            for line in block["examples"].splitlines()
            if line.strip().startswith("- ")
        }
        assert not {t.lower() for t in examples(lang)} & seen


@pytest.mark.parametrize("lang", sorted(FLOOR_ACCURACY))
def test_intent_accuracy_does_not_regress(results, lang):
    gold = examples(lang)
    missing = [t for t in gold if t not in results]
    assert not missing, f"{len(missing)} held-out examples were not evaluated"
    correct = sum(results[t] == intent for t, intent in gold.items())
    accuracy = correct / len(gold)
    target = TARGET_ACCURACY[lang]
    print(f"{lang}: held-out intent accuracy {accuracy:.3f} ({correct}/{len(gold)}), target {target}")
    assert accuracy >= FLOOR_ACCURACY[lang]


@pytest.mark.parametrize("lang", sorted(FLOOR_ACCURACY))
def test_every_held_out_emergency_is_recognised(results, lang):
    missed = [
        t for t, intent in examples(lang).items() if intent == "emergency" and results[t] != "emergency"
    ]
    assert missed == []
