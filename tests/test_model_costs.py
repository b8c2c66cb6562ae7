"""benchmarks/model_costs.py records each regime's model training from the cache, and
recorded.cold_build sets it beside the chapters' runs."""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from resdyn_utils import catalogue, recorded
from resdyn_utils.experiments import mnist_config
from resdyn_utils.integrity import read_json, write_json
from resdyn_utils.profiles import get_profile

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def model_costs(benchmark_script, tmp_path):
    return benchmark_script("model_costs", tmp_path / "model_costs.json")


def model(label: str, chapter: str, tflop: float, step_seconds: float, kind: str = "shared",
          precision: str = "fp32") -> dict:
    return {"label": label, "chapter": chapter, "kind": kind, "depth": 15, "width": 784, "seed": 0,
            "precision": precision, "device": "cpu", "tflop": tflop, "step_seconds": step_seconds,
            "eval_seconds": 60.0, "test_error": 0.017}


def test_a_regime_recorded_again_replaces_its_entry_and_keeps_the_others(model_costs):
    model_costs.record("full", "short", [model("a", "transients", 1.0, 60.0)], {"cpu": "X"}, ROOT)
    model_costs.record("full", "torch-init", [model("b", "transients", 4.0, 240.0)], {"cpu": "X"}, ROOT)
    model_costs.record("full", "short", [model("c", "transients", 1.0, 50.0)], {"cpu": "Y"}, ROOT)
    entries = read_json(model_costs.OUT, fix="")["entries"]
    assert [(e["regime"], e["cpu"]) for e in entries] == [("torch-init", "X"), ("short", "Y")]
    assert entries[1]["models"][0]["label"] == "c" and len(entries[1]["commit"]) >= 7


def test_a_model_missing_from_the_cache_is_refused_with_the_command_that_trains_it(model_costs, monkeypatch):
    config = mnist_config("shared", get_profile("full", "short"), 0)
    plan = [catalogue.Planned("transients", "short", "short: shared, seed 0", config)]
    monkeypatch.setattr(catalogue, "static_plan", lambda profile, regime: plan)
    monkeypatch.setattr(catalogue, "dependent_plan", lambda *a: pytest.fail("chose a model from missing ones"))
    with pytest.raises(SystemExit, match="--regime short") as refused:
        model_costs.model_rows("full", "short")
    assert "short: shared, seed 0" in str(refused.value)
    assert not model_costs.OUT.exists()


@pytest.fixture
def benchmarks(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "benchmarks").mkdir()
    return lambda name, obj: write_json(tmp_path / "benchmarks" / f"{name}.json", obj)


def test_each_chapter_run_s_cold_time_adds_the_models_it_needs_first(benchmarks):
    short = {"profile": "full", "regime": "short", "commit": "abc", "cpu": "EPYC", "gemm_peak_gflops": {"fp32": 100.0},
             "models": [model("shared", "transients", 6.0, 540.0), model("mlp 1", "robustness", 0.6, 0.0)]}
    other = {**short, "profile": "quick", "models": [model("q", "transients", 1.0, 1e6)]}
    benchmarks("model_costs", {"entries": [short, other]})
    models = recorded.model_costs()
    assert list(models["model"]) == ["shared", "mlp 1"]  # the quick profile's entry is left out
    assert models["floor minutes"].tolist() == pytest.approx([1.0, 0.1])  # TFLOP at 100 GFLOP/s
    assert models["step minutes"].tolist() == pytest.approx([9.0, 0.0])

    costs = pd.DataFrame([
        {"chapter": "transients@short", "seconds": 900.0, "floor, s": 300.0},
        {"chapter": "transients@short", "seconds": 600.0, "floor, s": 300.0},  # the latest run counts
        {"chapter": "circles@short", "seconds": 120.0, "floor, s": 0.0},
        {"chapter": "robustness@short", "seconds": 300.0, "floor, s": 60.0},
        {"chapter": "robustness@torch-init", "seconds": 300.0, "floor, s": 60.0},  # its models not recorded
        {"chapter": "robustness", "seconds": 300.0, "floor, s": 60.0},  # the primary regime's: not recorded
    ])
    cold = recorded.cold_build(models, costs).set_index("chapter")
    assert sorted(cold.index) == ["circles@short", "robustness@short", "transients@short"]
    # 9 step minutes + 1 evaluation minute of training, then the 10-minute run
    assert cold.loc["transients@short", "cold minutes"] == pytest.approx(20.0)
    assert cold.loc["transients@short", "floor minutes"] == pytest.approx(6.0)
    assert cold.loc["circles@short", "training minutes"] == 0.0  # its nets train inside the chapter
    assert cold.loc["circles@short", "bound by"].startswith("overhead")
    assert cold.loc["transients@short", "bound by"] == "above 1.5x of the floor"  # 20 min against 6
    assert cold.loc["robustness@short", "cold minutes"] == pytest.approx(6.0)
    assert cold.attrs["left out"] == []
    assert recorded.cold_build(models, costs[costs["chapter"] != "transients@short"]).attrs["left out"] == [
        "transients@short"]  # its models are recorded, its run is not
    assert recorded.cold_build(models, costs[costs["chapter"].str.endswith("torch-init")]) is None


def test_training_is_summed_per_regime_with_its_floor(benchmarks):
    entry = {"profile": "full", "regime": "short", "commit": "abc", "cpu": "EPYC", "gemm_peak_gflops": {"fp32": 100.0},
             "models": [model("a", "transients", 6.0, 540.0), model("b", "transients", 6.0, 660.0)]}
    benchmarks("model_costs", {"entries": [entry]})
    (row,) = recorded.training_by_regime(recorded.model_costs()).to_dict("records")
    assert row["models"] == 2 and row["TFLOP"] == pytest.approx(12.0)
    assert row["step minutes"] == pytest.approx(20.0) and row["evaluation minutes"] == pytest.approx(2.0)
    assert row["floor minutes"] == pytest.approx(2.0)
    assert row["step time / floor"] == pytest.approx(10.0)  # the evaluation's matmuls are not in the floor
    assert row["note"] == ""


def test_a_model_a_gpu_trained_has_no_cpu_floor_and_the_note_is_carried(benchmarks):
    gpu = {**model("a", "transients", 6.0, 60.0), "device": "NVIDIA H100 80GB HBM3"}
    entry = {"profile": "full", "regime": "short", "commit": "abc", "cpu": "EPYC", "gemm_peak_gflops": {"fp32": 100.0},
             "note": "seed 0 shared the cores", "models": [gpu]}
    benchmarks("model_costs", {"entries": [entry]})
    (row,) = recorded.model_costs().to_dict("records")
    assert math.isnan(row["floor minutes"]) and row["note"] == "seed 0 shared the cores"


def test_a_model_in_both_plans_is_recorded_once(model_costs, monkeypatch):
    """The best MLP's first seed is also a model of the depth sweep: trained once, counted once."""
    P = get_profile("full", "short")
    sweep = mnist_config("mlp", P, 0, depth=2)
    static = [catalogue.Planned("robustness", "short", "MLP depth 2, seed 0", sweep)]
    dependent = [catalogue.Planned("robustness", "short", "best MLP (depth 2), seed 0", sweep),
                 catalogue.Planned("robustness", "short", "best MLP (depth 2), seed 1", sweep.replace(seed=1))]
    monkeypatch.setattr(catalogue, "static_plan", lambda profile, regime: static)
    monkeypatch.setattr(catalogue, "dependent_plan", lambda profile, regime: dependent)
    monkeypatch.setattr(model_costs, "checkpoint_path", lambda config: Path(__file__))  # "in the cache"
    loaded = []
    monkeypatch.setattr(model_costs, "load_checkpoint", lambda config, path: loaded.append(config) or SimpleNamespace(
        device="cpu", train_seconds=10.0, eval_seconds=1.0, test_error=0.02))
    monkeypatch.setattr(catalogue, "plan_flops", lambda plan: 3e12 * len(plan))  # per model, not per plan
    rows = model_costs.model_rows("full", "short")
    assert [r["label"] for r in rows] == ["MLP depth 2, seed 0", "best MLP (depth 2), seed 1"]
    assert [c.seed for c in loaded] == [0, 0, 1] and rows[0]["step_seconds"] == 9.0  # each loaded, one recorded
    assert [r["tflop"] for r in rows] == [3.0, 3.0]


def test_a_damaged_checkpoint_is_refused_not_retrained(model_costs, monkeypatch):
    config = mnist_config("shared", get_profile("full", "short"), 0)
    plan = [catalogue.Planned("transients", "short", "short: shared, seed 0", config)]
    monkeypatch.setattr(catalogue, "static_plan", lambda profile, regime: plan)
    path = model_costs.checkpoint_path(config)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not a checkpoint")  # and no sha256 sidecar
    with pytest.raises(SystemExit, match="no checksum file.*--regime short"):
        model_costs.model_rows("full", "short")
    assert path.read_bytes() == b"not a checkpoint"  # neither deleted nor retrained
