"""Held-out evaluation per language: intent accuracy and macro F1 with `rasa test nlu`, emergency
recall, and the accuracy of language detection.

tests/nlu/<lang>.yml is never used in training (a test checks there is no overlap).
"""

from __future__ import annotations

import json
import pickle
import tarfile

import pytest
import yaml
from sklearn.metrics import f1_score

from bot.language import LanguageGuesser
from tests.conftest import ROOT, SHIPPED, run_rasa

HELD_OUT = ROOT / "tests" / "nlu"
# Issue #3: 95% in English, 90% in every other language.
TARGET_ACCURACY = {lang: 0.95 if lang == "en" else 0.90 for lang in SHIPPED}
# Language detection is judged on messages of four words or more.
DETECTION_MIN_WORDS = 4
DETECTION_TARGET = 0.97


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


@pytest.fixture(scope="module")
def guesser(model, tmp_path_factory) -> LanguageGuesser:
    """The language detector exactly as the trained model stores it."""
    with tarfile.open(model) as archive:
        member = next(m for m in archive.getmembers() if m.name.endswith("/language_model.pkl"))
        ngrams = pickle.loads(archive.extractfile(member).read())  # noqa: S301 - our own model
    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    detector = next(c for c in config["pipeline"] if c["name"].endswith("LanguageDetector"))
    return LanguageGuesser(
        detector["languages"],
        detector["min_confidence"],
        model=ngrams,
        lingua_weight=detector["lingua_weight"],
    )


def test_held_out_data_is_not_in_training():
    for lang in SHIPPED:
        training = yaml.safe_load((ROOT / "data" / "nlu" / f"{lang}.yml").read_text(encoding="utf-8"))
        seen = {
            line.strip()[2:].strip().lower()
            for block in training["nlu"]
            for line in block["examples"].splitlines()
            if line.strip().startswith("- ")
        }
        assert not {t.lower() for t in examples(lang)} & seen, lang


@pytest.mark.parametrize("lang", SHIPPED)
def test_intent_accuracy(results, lang):
    gold = examples(lang)
    missing = [t for t in gold if t not in results]
    assert not missing, f"{len(missing)} held-out examples were not evaluated"
    truth = list(gold.values())
    predicted = [results[t] for t in gold]
    correct = sum(p == t for p, t in zip(predicted, truth, strict=True))
    accuracy = correct / len(gold)
    macro_f1 = f1_score(truth, predicted, average="macro", labels=sorted(set(truth)), zero_division=0)
    target = TARGET_ACCURACY[lang]
    print(
        f"{lang}: accuracy {accuracy:.3f} ({correct}/{len(gold)}), macro F1 {macro_f1:.3f}, target {target}"
    )
    assert accuracy >= target


@pytest.mark.parametrize("lang", SHIPPED)
def test_every_held_out_emergency_is_recognised(results, lang):
    missed = [
        t for t, intent in examples(lang).items() if intent == "emergency" and results[t] != "emergency"
    ]
    assert missed == []


@pytest.mark.parametrize("lang", SHIPPED)
def test_language_detection(guesser, lang):
    """A held-out message of four words or more switches the conversation to its own language."""
    texts = [t for t in examples(lang) if len(t.split()) >= DETECTION_MIN_WORDS]
    guesses = {t: guesser.guess(t) for t in texts}
    right = [t for t, g in guesses.items() if g.code == lang and g.confident]
    wrong = [(t, g.code, round(g.confidence, 2)) for t, g in guesses.items() if t not in right]
    accuracy = len(right) / len(texts)
    print(f"{lang}: detection {accuracy:.3f} ({len(right)}/{len(texts)}); misses: {wrong[:5]}")
    assert accuracy >= DETECTION_TARGET, wrong
