"""The recorded benchmark files as tables: columns, percentages, labels, None when missing."""

from __future__ import annotations

import pandas as pd
import pytest

from resdyn_utils import book, recorded
from resdyn_utils.experiments import mnist_recipe
from resdyn_utils.integrity import CorruptFileError, write_json
from resdyn_utils.models import KIND_LABELS
from resdyn_utils.results import BENCHMARKS

SHARED, VARIABLE = KIND_LABELS["shared"], KIND_LABELS["variable"]


@pytest.fixture
def benchmarks(tmp_path, monkeypatch):
    """A folder outside any repository whose ``benchmarks/`` the loaders read; returns
    a function that writes ``benchmarks/<name>.json`` (verified, as the scripts do)."""
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "benchmarks"
    folder.mkdir()
    return lambda name, obj: write_json(folder / f"{name}.json", obj)


def search_row(stage: str, weights: str, lr: float, weight_decay: float, validation: float, **kw) -> dict:
    model = {"weights": weights, "residual": True, "bias_init": kw.get("bias_init", -3.0), "w_std": 1.0}
    return {"stage": stage, "config": {"model": model, "batch_size": 128, "optimizer": "adam"},
            "bias_init": model["bias_init"], "w_std": 1.0, "schedule": kw.get("schedule", "onecycle"), "lr": lr,
            "weight_decay": weight_decay, "epochs": 3 if stage == "screen" else 5,
            "n_train": 10_000 if stage == "screen" else 50_000, "validation_error": validation,
            "train_error": validation / 2, "seconds": 30.0}


def run_row(net: str, seed: int, epochs: int, precision: str, errors: list[float]) -> dict:
    return {"net": net, "seed": seed, "epochs": epochs, "precision": precision, "lr": 0.01,
            "test_error": errors[-1], "train_error": 0.001, "seconds": 120.0, "test_error_per_epoch": errors}


SHARED_RECIPE, VARIABLE_RECIPE = (mnist_recipe("short", kind, 784) for kind in ("shared", "variable"))
SEARCH = [search_row("final", "shared", SHARED_RECIPE["lr"], SHARED_RECIPE["weight_decay"], 0.0180),
          search_row("screen", "shared", 1e-3, 0.0, 0.1455, bias_init=0.0, schedule="constant"),
          search_row("final", "variable", VARIABLE_RECIPE["lr"], VARIABLE_RECIPE["weight_decay"], 0.0169),
          search_row("final", "variable", SHARED_RECIPE["lr"], SHARED_RECIPE["weight_decay"], 0.0230),
          search_row("final", "shared", 0.02, 0.0, 0.0209)]


def test_every_loader_and_view_is_none_where_its_file_is_missing(benchmarks):
    for loader in (recorded.recipe_search, lambda: recorded.recipe_stage("screen"),
                   lambda: recorded.recipe_stage_common("final"), recorded.step_rates, recorded.recipe_best, recorded.recipe_swap, recorded.longer_training,
                   recorded.longer_curves, recorded.longer_by_net, recorded.throughput,
                   recorded.precision, recorded.precision_by_seed, recorded.precision_effect,
                   recorded.precision_minutes, recorded.integrity, recorded.bf16_eval, recorded.regime_study,
                   recorded.model_costs, recorded.slowest_cells):
        assert loader() is None, loader
    assert recorded.searched_recipes() == set()
    assert list(recorded.attempts({"seed 0": 2.0})["from"]) == [recorded.THIS_BUILD]
    note = recorded.table(None, "throughput", "Training steps")
    assert "benchmarks/throughput.json is not here" in note.data and "run benchmarks/throughput.py" in note.data


def test_a_recorded_table_says_so_in_its_caption(benchmarks):
    benchmarks("integrity", {"megabytes": 55.0, "rounds": 5, "verify_seconds": 0.05, "load_seconds": 0.5,
                             "verify_share_of_load": 0.1})
    html = recorded.table(recorded.integrity(), "integrity", "The check beside the load").to_html()
    assert "The check beside the load (recorded: benchmarks/integrity.py, not this build)" in html
    with pytest.raises(ValueError, match="unknown benchmark 'speed'"):
        recorded.caption("speed", "x")
    assert set(BENCHMARKS) == {"recipe_search", "recipe_budget", "circles_recipe", "longer_training", "throughput",
                               "throughput_b256", "throughput_avx2", "throughput_avx2_b256", "throughput_gpu",
                               "quick_gpu", "precision", "integrity", "bf16_eval", "chapter_costs",
                               "regime_study", "model_costs"}  # each has a loader
    assert recorded.source("throughput_avx2_b256") == "recorded: benchmarks/throughput.py"
    note = recorded.table(None, "throughput_b256", "Steps").data
    assert "run benchmarks/throughput.py --batch 256 --out benchmarks/throughput_b256.json" in note


def test_recipe_search_in_percent_by_stage_with_each_nets_best(benchmarks):
    benchmarks("recipe_search", {"rows": SEARCH})
    search = recorded.recipe_search()
    assert list(search.columns[:4]) == ["stage", "net", "validation error %", "training error %"]
    assert list(search["stage"]) == ["screen", "final", "final", "final", "final"]  # screen first
    assert list(search["net"]) == [SHARED, SHARED, SHARED, VARIABLE, VARIABLE]
    assert search["validation error %"].tolist() == pytest.approx([14.55, 1.80, 2.09, 1.69, 2.30])
    assert search.loc[0, "training images"] == 10_000 and search.loc[0, "schedule"] == "constant"
    best = recorded.recipe_best().set_index("net")
    assert best.loc[SHARED, "validation error %"] == pytest.approx(1.80)
    assert best.loc[VARIABLE, "peak lr"] == VARIABLE_RECIPE["lr"]
    assert set(best["the book's recipe"]) == {"yes"} and recorded.searched_recipes() == {"shared", "variable"}
    screen = recorded.recipe_stage("screen")  # one candidate: no setting differs
    assert list(screen.columns) == ["validation error %", "training error %", "seconds"]
    final = recorded.recipe_stage("final")
    assert list(final.columns) == ["net", "peak lr", "weight decay", "validation error %", "training error %",
                                   "seconds"]
    assert recorded.recipe_stage_common("final") == (
        "bias init -3, weight std 1, schedule onecycle, epochs 5, training images 50000")
    assert recorded.recipe_stage_common("screen").startswith(f"net {SHARED}, bias init 0, weight std 1")
    assert recorded.recipe_settings(final.iloc[0]) == f"net {SHARED}, peak lr 0.01, weight decay 0.0001"
    with pytest.raises(ValueError, match="no stage 'warmup'"):
        recorded.recipe_stage("warmup")
    swap = recorded.recipe_swap()
    assert list(swap["recipe of"]) == [VARIABLE, SHARED]
    assert swap[f"{VARIABLE}, validation error %"].tolist() == pytest.approx([1.69, 2.30])


def test_a_search_whose_best_is_not_the_books_recipe_says_no(benchmarks):
    rows = SEARCH + [search_row("final", "variable", 0.003, 0.0, 0.0150)]
    benchmarks("recipe_search", {"rows": rows})
    best = recorded.recipe_best().set_index("net")
    assert best.loc[VARIABLE, "the book's recipe"] == "no" and best.loc[SHARED, "the book's recipe"] == "yes"
    assert recorded.searched_recipes() == {"shared"}


def test_longer_training_runs_curves_and_the_nets_after_15_epochs(benchmarks):
    benchmarks("longer_training", {"rows": [
        run_row("shared", 0, 2, "bf16", [0.05, 0.02]), run_row("shared", 0, 2, "fp32", [0.04, 0.03]),
        run_row("shared", 1, 2, "bf16", [0.05, 0.01]), run_row("variable", 0, 2, "bf16", [0.03, 0.015])]})
    runs = recorded.longer_training()
    assert list(runs.columns) == ["net", "epochs", "precision", "seed", "test error %", "training error %",
                                  "minutes"]
    assert list(runs["precision"][:3]) == ["fp32", "bf16", "bf16"] and runs.loc[0, "minutes"] == 2.0
    assert runs.loc[0, "test error %"] == pytest.approx(3.0)
    curves = recorded.longer_curves()
    assert set(curves["run"]) == {"2 epochs, bf16", "2 epochs, fp32"}
    assert curves["test error %"].tolist() == pytest.approx([5.0, 2.0, 4.0, 3.0])
    by_net = recorded.longer_by_net(2, "bf16").set_index("net")
    assert by_net.loc[SHARED].tolist() == pytest.approx([2, 1.5, 1.0, 2.0])  # seeds, mean, min, max
    assert by_net.loc[VARIABLE, "seeds"] == 1
    with pytest.raises(ValueError, match="no recorded longer run of 15 epochs"):
        recorded.longer_by_net(15, "bf16")
    attempts = recorded.attempts({"seed 0": 1.9})
    assert attempts.loc[0].tolist() == ["seed 0", 1.9, "test", recorded.THIS_BUILD]
    assert set(attempts["from"][1:]) == {"recorded: benchmarks/longer_training.py"}
    assert "2 epochs, bf16, mean of 2 seeds" in set(attempts["attempt"])


def throughput_step(precision: str, fraction: float) -> dict:
    return {"precision": precision, "samples_per_s": 3000.0, "gflops": 150.0, "fraction_of_paired_peak": fraction,
            "fraction_of_best_peak": fraction - 0.1, "optimizer_share": 0.02, "optimizer_ceiling": 0.98,
            "paired_peak_gflops": 170.0}


def test_throughput_in_percent_and_the_gemm_peaks(benchmarks):
    steps = {"hand-written": throughput_step("fp32", 0.9), "hand-written bf16": throughput_step("bf16", 0.7)}
    benchmarks("throughput", {"shared": steps, "variable": steps, "gemm_peak_gflops": {"fp32": 180.0, "bf16": 360.0}})
    frame = recorded.throughput()
    assert len(frame) == 4 and list(frame["net"]) == [SHARED, SHARED, VARIABLE, VARIABLE]
    assert list(frame["training step"]) == ["hand-written"] * 4 and list(frame["precision"][:2]) == ["fp32", "bf16"]
    assert frame.loc[0, "% of paired GEMM rate"] == pytest.approx(90.0)
    assert frame.loc[0, "% of best GEMM rate"] == pytest.approx(80.0)
    assert frame.loc[0, "Adam, % of the step"] == pytest.approx(2.0)
    assert frame.loc[0, "ceiling with that Adam, %"] == pytest.approx(98.0)
    html = recorded.table(frame, "throughput", "Steps", columns=["net", "samples/s"]).to_html()
    assert "samples/s" in html and "GFLOP" not in html
    rates = recorded.step_rates()
    assert len(rates) == 8 and set(rates["measured"]) == {"training step", "paired GEMMs"}
    assert rates.loc[0, "step"] == f"{SHARED}, hand-written, fp32" and rates.loc[0, "GFLOP/s"] == 150.0
    assert rates[rates["measured"] == "paired GEMMs"]["GFLOP/s"].tolist() == [170.0] * 4


def test_the_gemm_peaks_of_each_kind_of_machine_set_bf16_beside_fp32(benchmarks):
    assert recorded.gemm_peaks_by_machine() is None
    steps = {"hand-written": throughput_step("fp32", 0.9)}
    benchmarks("throughput_avx2", {"shared": steps, "variable": steps, "cpu": "AMD EPYC",
                                   "gemm_peak_gflops": {"fp32": 140.0, "bf16": 2.8}})
    frame = recorded.gemm_peaks_by_machine()
    assert list(frame["machine"]) == ["with AVX2 only"] and frame.loc[0, "CPU (as recorded)"] == "AMD EPYC"
    assert frame.loc[0, "bf16 / fp32"] == pytest.approx(0.02)
    benchmarks("throughput", {"shared": steps, "variable": steps, "cpu": "x86_64",
                              "gemm_peak_gflops": {"fp32": 180.0, "bf16": 360.0}})
    frame = recorded.gemm_peaks_by_machine()
    assert list(frame["record"]) == ["throughput.json", "throughput_avx2.json"]
    assert list(frame["bf16 / fp32"]) == pytest.approx([2.0, 0.02])
    assert list(recorded.throughput("throughput_avx2")["precision"]) == ["fp32", "fp32"]  # no emulated bf16 step


@pytest.mark.parametrize("native, record", [(True, "throughput"), (False, "throughput_avx2")])
def test_a_busy_machine_never_lowers_the_floor_below_its_kind_s_recorded_peak(benchmarks, monkeypatch,
                                                                              native, record):
    from resdyn_utils import training

    monkeypatch.setattr(training, "native_bf16", lambda device: native)
    measured = {"fp32": 20.0, "bf16": 500.0}  # fp32 slowed down by another job
    assert recorded.floor_peaks(measured) == measured  # nothing recorded: the measurement
    benchmarks(record, {"gemm_peak_gflops": {"fp32": 180.0, "bf16": 360.0}})
    other = "throughput_avx2" if native else "throughput"
    benchmarks(other, {"gemm_peak_gflops": {"fp32": 900.0, "bf16": 900.0}})  # the other kind: ignored
    assert recorded.floor_peaks(measured) == {"fp32": 180.0, "bf16": 500.0}


def test_the_step_rates_figure_draws_a_bar_per_step_and_measure_within_the_column():
    import matplotlib

    matplotlib.use("Agg")
    import pandas as pd

    from resdyn_utils import figures

    rates = pd.DataFrame({"step": ["a", "b", "a", "b"], "measured": ["training step"] * 2 + ["paired GEMMs"] * 2,
                          "GFLOP/s": [100.0, 150.0, 180.0, 190.0]})
    fig = figures.step_rates(rates)
    assert fig.get_size_inches()[0] <= figures.PAGE_WIDTH
    widths = sorted(round(p.get_width()) for p in fig.axes[0].patches if p.get_width() > 0)
    assert widths == [100, 150, 180, 190]
    assert "GFLOP/s" in fig.axes[0].get_xlabel()
    empty = figures.step_rates(None)
    assert [t.get_text() for t in empty.axes[0].texts] == ["no recorded runs"]


def test_precision_twins_pair_each_seed(benchmarks):
    benchmarks("precision", {"rows": [
        run_row("shared", 0, 5, "bf16", [0.018]), run_row("shared", 0, 5, "fp32", [0.020]),
        run_row("shared", 1, 5, "fp32", [0.016]), run_row("shared", 1, 5, "bf16", [0.017])]})
    twins = recorded.precision()
    assert list(twins["precision"]) == ["fp32", "bf16", "fp32", "bf16"]
    by_seed = recorded.precision_by_seed()
    assert list(by_seed.columns) == ["net", "seed", "fp32 error %", "bf16 error %", "bf16 - fp32 %"]
    assert by_seed["bf16 - fp32 %"].tolist() == pytest.approx([-0.2, 0.1])
    effect = recorded.precision_effect().iloc[0]
    assert effect["net"] == SHARED and effect["mean bf16 - fp32 %"] == pytest.approx(-0.05)
    assert effect["seed range fp32 %"] == pytest.approx(0.4) and effect["seed range bf16 %"] == pytest.approx(0.1)
    assert recorded.precision_minutes() == {"bf16": 4.0, "fp32": 4.0}


def test_integrity_share_in_percent(benchmarks):
    benchmarks("integrity", {"megabytes": 55.0, "rounds": 5, "verify_seconds": 0.05, "load_seconds": 0.5,
                             "verify_share_of_load": 0.1})
    row = recorded.integrity().iloc[0]
    assert row["check, % of the load"] == pytest.approx(10.0) and row["sha256 check, s"] == 0.05


def test_a_damaged_recorded_file_raises_instead_of_showing(benchmarks, tmp_path):
    benchmarks("integrity", {"megabytes": 55.0, "rounds": 5, "verify_seconds": 0.05, "load_seconds": 0.5,
                             "verify_share_of_load": 0.1})
    path = tmp_path / "benchmarks" / "integrity.json"
    path.write_text(path.read_text().replace("55.0", "56.0"))
    with pytest.raises(CorruptFileError, match="integrity.json"):
        recorded.integrity()


def test_recipe_budget_finals_per_net_and_seed_in_percent(benchmarks):
    recipe = {"epochs": 20, "lr": 0.003, "weight_decay": 0.0001, "batch_size": 128}
    benchmarks("recipe_budget", {"finals": {"shared-1064": {
        "recipe": recipe, "weights_used": "ema",
        "per_seed": [{"seed": 0, "val_error": 0.0158, "test_error": 0.0145},
                     {"seed": 1, "val_error": 0.0149, "test_error": 0.0155}]}}})
    finals = recorded.recipe_budget()
    assert list(finals["seed"]) == [0, 1] and set(finals["weights"]) == {"ema"}
    assert finals["test error %"].tolist() == pytest.approx([1.45, 1.55])
    assert finals["validation error %"].tolist() == pytest.approx([1.58, 1.49])


def test_gpu_throughput_rows_name_the_card_and_skip_the_peaks(benchmarks):
    step = {"precision": "bf16", "samples_per_s": 31475.2, "gflops": 3137.7, "fraction_of_paired_peak": 0.2168}
    benchmarks("throughput_gpu", {"gpu": "NVIDIA H100", "by_width": {"1064": {"rounds": [
        {"gemm_peak_gflops_bf16": 19089.0, "shared/hand-written bf16": step}]}}})
    table = recorded.throughput_gpu()
    assert len(table) == 1  # the round's GEMM peak is not a training step
    row = table.iloc[0]
    assert (row["GPU"], row["width N"], row["training step"], row["samples/s"]) == ("NVIDIA H100", 1064, "hand-written", 31475)
    assert row["% of paired GEMM rate"] == pytest.approx(21.68)


def test_the_gpu_loaders_say_none_where_nothing_was_recorded(benchmarks):
    assert recorded.recipe_budget() is None and recorded.throughput_gpu() is None


def test_the_searches_selections_and_whether_the_book_uses_them(benchmarks):
    """The budget search's selection per net, its best validation error per budget, and
    budget_selected, which is False for a recipe the search did not select."""
    best = {"batch_size": 256, "epochs": 20, "init": "paper", "lr": 0.01, "schedule": "onecycle",
            "val_error": 0.0152, "weight_decay": 1e-4, "weights_used": "raw"}
    benchmarks("recipe_budget", {"finals": {}, "selection": {"shared-784": {
        "best": best, "best_val_error_by_budget": {"10": 0.0166, "20": 0.0152, "40": 0.0170}}}})
    table = recorded.recipe_selection()
    assert table.loc[0, "best at 40 epochs, val. %"] == pytest.approx(1.70)
    assert "1.52% at 20 epochs" in recorded.budget_sentence("shared-784")
    assert "20 epochs is the best budget" in recorded.budget_sentence("shared-784")
    assert recorded.budget_selected("validated", "shared", 784)
    assert not recorded.budget_selected("validated", "variable", 784)  # not in the selection
    benchmarks("recipe_budget", {"finals": {}, "selection": {"shared-784": {
        "best": best | {"weights_used": "ema"}, "best_val_error_by_budget": {"20": 0.0152}}}})
    assert not recorded.budget_selected("validated", "shared", 784)  # the book trains the raw weights
    benchmarks("circles_recipe", {"selection": {"shared": {"paper-init": {
        "lr": 0.01, "schedule": "constant", "epochs": 300, "batch_size": 50, "validation_accuracy": [0.99, 1.0, 1.0]}}}})
    circles = recorded.circles_selection()
    assert circles.loc[0, "initialisation"] == "paper" and circles.loc[0, "draw 1 %"] == pytest.approx(99.0)


def test_the_gpu_runs_name_their_card(benchmarks):
    benchmarks("quick_gpu", {"gpu": "NVIDIA H100 80GB HBM3", "torch": "torch 2.11", "note": "",
                             "chapters": [{"notebook": "book/depth.ipynb", "regime": "validated",
                                           "seconds": 72.4, "log": "x.log"}]})
    table = recorded.quick_gpu()
    assert table.loc[0, "GPU"] == "NVIDIA H100 80GB HBM3" and table.loc[0, "seconds"] == 72.4
    assert "H100" in book.recorded_gpu_section()


def test_the_paired_share_of_one_step_and_a_clear_error_for_a_missing_one():
    steps = pd.DataFrame([{"net": "a", "training step": "hand-written", "precision": "bf16",
                           "% of paired GEMM rate": 63.0},
                          {"net": "a", "training step": "hand-written", "precision": "fp32",
                           "% of paired GEMM rate": 93.0}])
    assert recorded.paired_share(steps, "a") == 63.0
    assert recorded.paired_share(steps, "a", precision="fp32") == 93.0
    with pytest.raises(ValueError, match="no autograd bf16 step of a"):
        recorded.paired_share(steps, "a", step="autograd")


def test_bf16_evaluation_keeps_the_worst_seed_of_each_reading(benchmarks):
    def row(net, seed, reading, fp32, bf16, flips):
        return {"net": net, "seed": seed, "reading": reading, "accuracy fp32": fp32, "accuracy bf16": bf16,
                "flipped predictions": flips, "seconds fp32": 1.0, "seconds bf16": 0.5}

    unroll = {"net": "shared", "seed": 0, "reading": "unroll 1000", "largest class-mean difference": 0.009,
              "seconds fp32": 70.0, "seconds bf16": 42.0}
    benchmarks("bf16_eval", {"n_test": 10_000, "rows": [
        row("shared", 0, "clean", 0.9815, 0.9814, 2), row("shared", 1, "clean", 0.9809, 0.9809, 4),
        row("variable", 0, "clean", 0.9841, 0.9841, 0), unroll]})
    table = recorded.bf16_eval().set_index(["net", "reading"])
    clean = table.loc[(SHARED, "clean")]
    assert clean["seeds"] == 2 and clean["most flipped predictions"] == 4  # the worse seed, not the mean
    assert clean["largest accuracy change, points"] == pytest.approx(0.01)
    assert clean["bf16 / fp32 time"] == pytest.approx(0.5)
    assert table.loc[(VARIABLE, "clean"), "most flipped predictions"] == 0
    assert table.loc[(SHARED, "unroll 1000"), "largest class-mean change"] == pytest.approx(0.009)
    assert table.loc[(SHARED, "unroll 1000"), "bf16 / fp32 time"] == pytest.approx(0.6)


def test_the_lever_grid_scores_each_candidate_as_the_search_did_and_curves_follow_the_selection(benchmarks):
    def screen(lever, epochs, raw, ema, status="complete", net="shared-1064"):
        return {"kind": "screen", "net": net, "lever": lever, "epochs": epochs, "status": status,
                "val_error_raw_final": raw[-1], "val_error_ema_final": ema[-1],
                "val_error_raw": raw, "val_error_ema": ema}

    rows = [screen("base", 2, [0.03, 0.020], [0.04, 0.018]), screen("lr 0.003", 2, [0.03, 0.016], [0.03, 0.017]),
            screen("lr 0.003", 3, [0.03, 0.015, 0.019], [0.03, 0.014, 0.018]),
            screen("base", 3, [0.0, 0.0, 0.001], [0.0, 0.0, 0.001], status="timeout"),  # not complete
            screen("base", 2, [0.0, 0.001], [0.0, 0.001], net="shared-784")]  # another net
    best = {"lever": "lr 0.003", "epochs": 2, "weights_used": "ema"}
    benchmarks("recipe_budget", {"finals": {}, "rows": rows,
                                 "selection": {"shared-1064": {"best": best, "best_val_error_by_budget": {}}}})
    grid = recorded.lever_grid().set_index("lever")
    assert list(grid.columns) == ["2 epochs, val. %", "3 epochs, val. %"]  # budgets in order
    assert grid.loc["base", "2 epochs, val. %"] == pytest.approx(1.8)  # the better of raw and EMA
    assert pd.isna(grid.loc["base", "3 epochs, val. %"])  # the timed-out run is left out
    assert grid.loc["lr 0.003", "3 epochs, val. %"] == pytest.approx(1.8)
    curves = recorded.lever_curves()
    assert list(curves["run"].unique()) == ["lr 0.003, 2 epochs", "lr 0.003, 3 epochs"]
    last = curves[curves["run"] == "lr 0.003, 3 epochs"]["validation error %"].tolist()
    assert last == pytest.approx([3.0, 1.4, 1.8])  # the selection's averaged weights, not the raw
    assert recorded.lever_grid("variable-784") is None and recorded.lever_curves("variable-784") is None


def test_chapter_costs_name_what_bounds_each_run_and_bound_the_warm_rebuild(benchmarks):
    def run(chapters: dict[str, tuple[float, float]], profile: str = "full") -> dict:
        return {"label": "x", "commit": "abc", "profile": profile, "machine": {"cpu": "EPYC"},
                "chapters": {ledger_name(name): {"seconds": s, "tflop": s / 100, "floor_seconds": f}
                             for name, (s, f) in chapters.items()}}

    def ledger_name(key: str) -> str:  # the runner's name of the run recorded as ``key``
        chapter, _, regime = key.partition("@")
        return f"book/{chapter}.ipynb" + (f"@{regime}" if regime else "")

    short = {"circles@short": (100.0, 1.0), "transients@short": (140.0, 100.0), "depth@short": (50.0, 40.0)}
    benchmarks("chapter_costs", {"runs": [run(short), run({"robustness@short": (200.0, 100.0)}),
                                          run({"robustness@short": (999.0, 1.0)}, profile="quick")]})
    costs = recorded.chapter_costs()
    by = costs.set_index("chapter")
    assert sorted(by.index) == ["circles@short", "depth@short", "robustness@short", "transients@short"]
    assert by.loc["circles@short", "bound by"].startswith("overhead")
    assert by.loc["transients@short", "bound by"] == "within 1.5x of the floor"
    assert by.loc["robustness@short", "bound by"] == "above 1.5x of the floor"
    assert by.loc["robustness@short", "time / floor"] == pytest.approx(2.0)
    # the four study chapters of one regime, times the three regimes
    assert recorded.study_floor_minutes(costs) == ("short", pytest.approx(3 * (1 + 100 + 40 + 100) / 60))
    assert recorded.study_floor_minutes(costs.query("chapter != 'robustness@short'")) is None


def test_the_slowest_cells_are_shown_for_the_chapters_above_the_goal(benchmarks):
    def cost(seconds: float, floor: float, cells: list[tuple[str, float]]) -> dict:
        return {"seconds": seconds, "tflop": 1.0, "floor_seconds": floor,
                "slowest_cells": [{"cell": c, "seconds": s} for c, s in cells]}

    old = {"book/robustness.ipynb@short": cost(400.0, 100.0, [("old = 1", 300.0)])}
    new = {"book/robustness.ipynb@short": cost(200.0, 100.0, [("sweep = noise_sweep(nets)", 120.0)]),
           "book/transients.ipynb@short": cost(140.0, 100.0, [("unrolled = unroll(nets)", 100.0)]),  # within 1.5x
           "book/circles.ipynb@short": cost(100.0, 1.0, [("nets = train()", 90.0)])}  # overhead: reason stated
    runs = [{"label": label, "commit": "abc", "profile": "full", "machine": {"cpu": "EPYC"}, "chapters": chapters}
            for label, chapters in (("old", old), ("new", new))]
    benchmarks("chapter_costs", {"runs": runs})
    (row,) = recorded.slowest_cells().to_dict("records")
    assert row == {"chapter": "robustness@short", "cell": "sweep = noise_sweep(nets)", "seconds": 120.0,
                   "% of the run": pytest.approx(60.0)}
    assert recorded.slowest_cells("quick") is None


def test_a_build_makes_each_study_chapter_s_run_in_every_regime_before_its_own():
    from conftest import ROOT
    from resdyn_utils.catalogue import STUDY_CHAPTERS
    from resdyn_utils.profiles import REGIMES
    from resdyn_utils.results import run_key

    runs = [run_key(name) for name in book.build_runs(ROOT, "full")]
    assert len(runs) == len(set(runs))
    for chapter in STUDY_CHAPTERS:
        assert max(runs.index(f"{chapter}@{regime}") for regime in REGIMES[1:]) < runs.index(chapter)
    assert "theory" in runs and not any(run.startswith("theory@") for run in runs)
    assert book.build_runs(ROOT, "quick") == book.build_runs(ROOT, "full")  # the study runs in both profiles
    recorded_runs = recorded.chapter_costs()["chapter"]  # every run a full build recorded is one it makes
    assert set(recorded_runs) <= set(runs) and "robustness@short" in set(recorded_runs)


def test_a_warm_rebuild_sums_the_latest_run_of_each_and_says_what_it_leaves_out():
    def costs(*rows):
        return pd.DataFrame([{"chapter": c, "commit": k, "CPU": "EPYC", "seconds": s, "floor, s": f,
                              "record": f"{c} at {k}"} for c, k, s, f in rows])

    recorded_runs = costs(("robustness", "new", 900.0, 600.0), ("transients@short", "old", 6000.0, 60.0),
                          ("transients@short", "new", 600.0, 300.0), ("elsewhere", "new", 5000.0, 0.0))
    warm = recorded.warm_build(recorded_runs, ["transients@short", "transients", "robustness"])
    assert warm["run"].tolist() == ["transients@short", "robustness"]  # the latest of each, in the build's order
    assert warm["record"].tolist() == ["transients@short at new", "robustness at new"]
    assert warm["minutes"].sum() == pytest.approx(25.0) and warm["floor minutes"].sum() == pytest.approx(15.0)
    assert warm.attrs["not recorded"] == ["transients"]
    sentence = recorded.warm_sentence(warm)
    assert "makes 3 chapter runs" in sentence and "of 2 of them, on the EPYC at 1 commit, adds up to 25 min" in sentence
    assert "not in the sum: transients" in sentence and "within the goal before the runs not recorded" in sentence

    def verdict(seconds: float, floor: float, missing: bool = False) -> str:
        runs = ["robustness", "theory"] if missing else ["robustness"]
        return recorded.warm_sentence(recorded.warm_build(costs(("robustness", "x", seconds, floor)), runs))

    assert "That is within the goal." in verdict(1500.0, 600.0)
    assert "above the goal, though their floor is not." in verdict(1506.0, 600.0)  # 25.1 min
    assert "though their floor is not; the runs not recorded add to both" in verdict(1800.0, 600.0, missing=True)
    assert "Their floor alone is above the goal" in verdict(1800.0, 1506.0)
    assert recorded.warm_build(recorded_runs, ["theory"]) is None
