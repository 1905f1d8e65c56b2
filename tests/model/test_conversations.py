"""Conversation tests (test stories in English and Arabic) and training-data validation."""

from __future__ import annotations

from tests.conftest import ROOT, run_rasa


def test_training_data_validates_without_warnings():
    done = run_rasa(
        "data", "validate", "--domain", "domain", "--data", "data", "--config", "config.yml",
        "--fail-on-warnings",
    )  # fmt: skip
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]


def test_stories_in_english_and_arabic(model, tmp_path):
    assert {p.name for p in (ROOT / "tests" / "stories").glob("*.yml")} >= {
        "test_en.yml",
        "test_ar.yml",
    }
    done = run_rasa(
        "test", "core", "--model", str(model), "--stories", "tests/stories",
        "--fail-on-prediction-errors", "--out", str(tmp_path), "--no-plot",
    )  # fmt: skip
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    assert "- story" not in (tmp_path / "failed_test_stories.yml").read_text(encoding="utf-8")
