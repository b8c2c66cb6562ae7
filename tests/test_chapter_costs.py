"""benchmarks/chapter_costs.py keeps one entry per label, with the fields a comparison needs."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from resdyn_utils.integrity import read_json

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def chapter_costs(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("chapter_costs", ROOT / "benchmarks" / "chapter_costs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "OUT", tmp_path / "chapter_costs.json")
    return module


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
