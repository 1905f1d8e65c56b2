"""The benchmark harness works: a tiny run (few messages, no training, no stock assistant) writes a report
with every section filled. The figures of a tiny run mean nothing; `make bench` makes the real ones."""

from __future__ import annotations

import json

import pytest

from bench.run import main

pytestmark = pytest.mark.model


def test_a_tiny_bench_run_writes_the_report(model, tmp_path):
    assert main(["--tiny", "--out", str(tmp_path), "--model", str(model)]) == 0
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    for lang, figures in report["quality"]["per_language"].items():
        assert figures["messages"] > 0 and 0 <= figures["intent_accuracy"] <= 1, lang
        assert report["routes"][lang]["stories"] > 0 and report["sms"][lang]["worst"] >= 1, lang
    load = report["speed"]["ours"]["load"]
    assert [run["concurrency"] for run in load] == [1, 2]
    assert all(run["failures"] == 0 and run["latency_ms"]["p95"] > 0 for run in load)
    assert all(run["cpu_ms_per_message"] > 0 for run in load), "the server's CPU time is read"
    assert report["speed"]["ours"]["resident_mb"] > 100
    assert {"accuracy.png", "confusion.png", "latency.png"} <= {p.name for p in tmp_path.glob("*.png")}
    assert "## Quality per language" in (tmp_path / "report.md").read_text(encoding="utf-8")
