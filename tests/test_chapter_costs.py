"""benchmarks/chapter_costs.py keeps one entry per label, with the fields a comparison needs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from resdyn_utils import book
from resdyn_utils.integrity import read_json
from resdyn_utils.results import certify

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def chapter_costs(benchmark_script, tmp_path):
    return benchmark_script("chapter_costs", tmp_path / "chapter_costs.json")


def chapters(seconds: float) -> dict:
    run = {"seconds": seconds, "tflop": 2.0, "floor_seconds": 10.0, "flops": {"fp32": 2e12, "bf16": 0.0}}
    return {"book/theory.ipynb": run, "total": {k: v for k, v in run.items() if k != "flops"}}


def test_a_label_recorded_again_replaces_its_entry_and_keeps_the_others(chapter_costs):
    chapter_costs.record("before", chapters(30.0), {"profile": "full"}, ROOT)
    chapter_costs.record("after", chapters(20.0), {"profile": "full"}, ROOT)
    chapter_costs.record("before", chapters(25.0), {"profile": "full", "cold": True}, ROOT)
    runs = read_json(chapter_costs.OUT, fix="")["runs"]
    assert [r["label"] for r in runs] == ["after", "before"]
    before = runs[1]
    assert before["chapters"]["book/theory.ipynb"] == {"seconds": 25.0, "tflop": 2.0, "floor_seconds": 10.0}
    assert before["cold"] is True and before["profile"] == "full"
    assert len(before["commit"]) >= 7  # the checkout that was built


def test_only_the_named_runs_of_a_partial_build_are_recorded_with_their_own_total(chapter_costs, tmp_path,
                                                                                   monkeypatch):
    from resdyn_utils.integrity import write_json

    run = {"seconds": 30.0, "flops": {"fp32": 2e12}}
    runs = {"book/robustness.ipynb": run, "book/transients.ipynb@short": {**run, "seconds": 50.0},
            "book/scorecard.ipynb": {"seconds": 10.0, "flops": {}}}
    build = {"profile": "full", "chapters": book.chapter_costs(runs, {"fp32": 100.0}),
             "gemm_peak_gflops": {"fp32": 100.0}, "environment": {"cpu": "X", "cpu_count": 2, "gpu": "none"}}
    write_json(tmp_path / "results" / "build.json", build)
    executed = tmp_path / "regimes" / "short" / "book" / "transients.ipynb"  # the run's executed copy
    executed.parent.mkdir(parents=True)
    cells = [("# the unroll\nunrolled = unroll(nets)", 40.0), ("x = 1", 2.0), ("    # indented\nplot(x)", 5.0),
             ("%%time\ny = 2", 3.0)]
    executed.write_text(json.dumps({"cells": [{"cell_type": "markdown", "source": "text", "metadata": {}}] + [
        {"cell_type": "code", "source": src, "metadata": {"papermill": {"duration": d}}} for src, d in cells]}))
    ran = {"commit": "abc1234", "date": "2026-12-07 10:00 UTC"}
    monkeypatch.setenv("RESDYN_BUILD_DIR", str(tmp_path))  # the build's certificates
    certify("transients@short", "full", ran)
    certify("robustness", "full", {**ran, "date": "2026-12-07 11:00 UTC"})
    chapter_costs.main(["--label", "part", "--build", str(tmp_path), "--only", "transients@short", "robustness"])
    (entry,) = read_json(chapter_costs.OUT, fix="")["runs"]
    assert (entry["commit"], entry["date"]) == ("abc1234", "2026-12-07 11:00 UTC")  # where they ran, not HEAD
    assert sorted(entry["chapters"]) == ["book/robustness.ipynb", "book/transients.ipynb@short", "total"]
    assert entry["chapters"]["total"] == {"seconds": 80.0, "tflop": 4.0, "floor_seconds": 40.0}
    slowest = entry["chapters"]["book/transients.ipynb@short"]["slowest_cells"]
    assert slowest == [{"cell": "unrolled = unroll(nets)", "seconds": 40.0}, {"cell": "plot(x)", "seconds": 5.0},
                       {"cell": "y = 2", "seconds": 3.0}]
    assert "slowest_cells" not in entry["chapters"]["book/robustness.ipynb"]  # no executed copy here
    with pytest.raises(SystemExit, match="no run depth"):
        chapter_costs.main(["--label", "x", "--build", str(tmp_path), "--only", "depth"])


def test_runs_certified_at_different_commits_are_stamped_with_head(chapter_costs, tmp_path, monkeypatch):
    monkeypatch.setenv("RESDYN_BUILD_DIR", str(tmp_path))
    certify("transients@short", "full", {"commit": "abc1234", "date": "d"})
    certify("robustness", "full", {"commit": "def5678", "date": "d"})
    assert chapter_costs.ran_at(["book/transients.ipynb@short", "book/robustness.ipynb"]) is None
    assert chapter_costs.ran_at(["book/transients.ipynb@short"]) == {"commit": "abc1234", "date": "d"}
    certify("depth", "full")  # certified before certificates held the commit
    assert chapter_costs.ran_at(["book/depth.ipynb"]) is None
