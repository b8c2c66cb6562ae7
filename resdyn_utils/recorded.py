"""The recorded benchmark runs (``benchmarks/*.json``) as tables for the page.

Each file of ``benchmarks/`` is written by the script of the same name, run outside the
book's profiles on the reference machine because of its cost. One function per file
reads it, verified (:func:`resdyn_utils.results.load_benchmark`), and returns a tidy
:class:`pandas.DataFrame` with readable column names (percentages in columns named
"... %", the net under "net" with its :data:`~resdyn_utils.models.KIND_LABELS` label),
or ``None`` where the file is not here (on Colab). The derived views the chapters need
sit beside them. No chapter parses a benchmark's schema.

These rows are *recorded runs*, not this build's: :func:`table` shows one with a
caption that says so (:func:`caption`), or, where the file is missing, a note saying
how to produce it.
"""

from __future__ import annotations

import pandas as pd
import torch

from . import results
from .data import N_PIXELS
from .experiments import mnist_recipe, search_best, uses_recipe, weights_of
from .models import KIND_LABELS, PRECISIONS
from .profiles import REGIMES

#: The source of a row that this build measured (beside recorded ones).
THIS_BUILD = "this build"


def source(name: str) -> str:
    """Where a recorded row comes from, in words: ``"recorded: benchmarks/<name>.py"``."""
    if name not in results.BENCHMARKS:
        raise ValueError(f"unknown benchmark {name!r}; known: {', '.join(results.BENCHMARKS)}")
    return f"recorded: {results.benchmark_script(name)}"


def caption(name: str, text: str) -> str:
    """``text`` followed by the words that label its rows as recorded, not this build's."""
    return f"{text} ({source(name)}, not this build)"


def table(frame: pd.DataFrame | None, name: str, text: str, columns: list[str] | None = None):
    """A recorded table for the page (:func:`resdyn_utils.tables.table`), captioned as
    recorded by ``benchmarks/<name>.py``, optionally of some ``columns`` only; where the
    file is not here (``frame`` is None), a note saying so."""
    if frame is None:
        from IPython.display import Markdown

        return Markdown(results.missing_benchmark(name))
    from .tables import table as page_table

    return page_table(frame if columns is None else frame[columns], caption=caption(name, text))


def _rows(name: str) -> list[dict] | None:
    data = results.load_benchmark(name)
    return None if data is None else data["rows"]


def _sorted(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """``frame`` sorted by the columns ``by``, the precisions in their order (fp32 first)."""
    order = {precision: i for i, precision in enumerate(PRECISIONS)}
    key = lambda column: column.map(order) if column.name == "precision" else column  # noqa: E731
    return frame.sort_values(by, key=key, kind="stable").reset_index(drop=True)


def _net(model: dict) -> str:
    """The display label of a recorded model config (a ``ModelConfig`` as a dict)."""
    return KIND_LABELS[model["weights"] if model.get("residual", True) else "mlp"]


# --------------------------------------------------------------------------- recipe_search


def recipe_search() -> pd.DataFrame | None:
    """Every candidate of ``benchmarks/recipe_search.py``, one row each: its stage
    (screen, then final), net, recipe, training set, and errors on the validation split
    and the training data; sorted by stage, net and validation error."""
    rows = _rows("recipe_search")
    if rows is None:
        return None
    frame = pd.DataFrame([{
        "stage": r["stage"], "net": _net(r["config"]["model"]),
        "validation error %": 100 * r["validation_error"], "training error %": 100 * r["train_error"],
        "bias init": r["bias_init"], "weight std": r["w_std"], "schedule": r["schedule"],
        "peak lr": r["lr"], "weight decay": r["weight_decay"], "epochs": r["epochs"],
        "training images": r["n_train"], "seconds": r["seconds"]} for r in rows])
    frame["stage"] = pd.Categorical(frame["stage"], ["screen", "final"], ordered=True)
    frame = frame.sort_values(["stage", "net", "validation error %"], kind="stable")
    frame["stage"] = frame["stage"].astype(str)
    return frame.reset_index(drop=True)


#: The columns of :func:`recipe_search` that are results, not settings of a candidate.
RECIPE_RESULTS = ["validation error %", "training error %", "seconds"]


def recipe_stage(stage: str) -> pd.DataFrame | None:
    """The candidates of one stage of the recipe search ("screen" or "final"): the
    settings in which they differ, then their errors and seconds. The settings they
    share are :func:`recipe_stage_common`."""
    search = recipe_search()
    if search is None:
        return None
    rows = search[search["stage"] == stage].drop(columns="stage").reset_index(drop=True)
    if rows.empty:
        raise ValueError(f"the recipe search has no stage {stage!r}; its stages: screen, final")
    settings = [c for c in rows.columns if c not in RECIPE_RESULTS and rows[c].nunique() > 1]
    return rows[settings + RECIPE_RESULTS]


def recipe_stage_common(stage: str) -> str | None:
    """The settings every candidate of a stage shares, in words ("net ResNet, shared W,
    weight decay 0, epochs 3, training images 10000")."""
    search = recipe_search()
    if search is None:
        return None
    rows = search[search["stage"] == stage].drop(columns=["stage", *RECIPE_RESULTS])
    return _words({c: rows[c].iloc[0] for c in rows.columns if rows[c].nunique() == 1})


def recipe_settings(row: pd.Series) -> str:
    """A candidate's settings in words ("bias init -3, schedule onecycle, peak lr 0.01"):
    every field of a :func:`recipe_stage` row but its results."""
    return _words({c: row[c] for c in row.index if c not in RECIPE_RESULTS})


def _words(values: dict) -> str:
    return ", ".join(f"{name} {value:g}" if isinstance(value, float) else f"{name} {value}"
                     for name, value in values.items())


def recipe_best() -> pd.DataFrame | None:
    """Each residual net's best final candidate of the recipe search (lowest validation
    error), and whether the book trains that net with it."""
    rows = _rows("recipe_search")
    if rows is None:
        return None
    best = []
    for kind in ("shared", "variable"):
        row = search_best(rows, kind)
        best.append({"net": KIND_LABELS[kind], "peak lr": row["lr"], "weight decay": row["weight_decay"],
                     "validation error %": 100 * row["validation_error"],
                     "training error %": 100 * row["train_error"],
                     "the book's recipe": "yes" if uses_recipe(kind, row) else "no"})
    return pd.DataFrame(best)


def searched_recipes() -> set[str]:
    """The kinds of the nets that the book trains with their own best recipe of the
    search (empty where the search's file is not here)."""
    rows = _rows("recipe_search")
    if rows is None:
        return set()
    return {kind for kind in ("shared", "variable") if uses_recipe(kind, search_best(rows, kind))}


def recipe_swap(net: str = "variable", other: str = "shared") -> pd.DataFrame | None:
    """The ``net``'s validation error in the final stage of the search with its own
    recipe and with the ``other`` net's (the learning rate and weight decay of each)."""
    search = recipe_search()
    if search is None:
        return None
    final = search[(search["stage"] == "final") & (search["net"] == KIND_LABELS[net])]
    out = []
    for whose in (net, other):
        recipe = mnist_recipe("short", whose, N_PIXELS)
        match = final[(final["peak lr"] == recipe["lr"]) & (final["weight decay"] == recipe["weight_decay"])]
        if match.empty:
            raise ValueError(f"the recipe search has no final {net} run with the {whose} net's recipe: "
                             "rerun benchmarks/recipe_search.py")
        out.append({"recipe of": KIND_LABELS[whose], "peak lr": recipe["lr"],
                    "weight decay": recipe["weight_decay"],
                    f"{KIND_LABELS[net]}, validation error %": float(match["validation error %"].iloc[0])})
    return pd.DataFrame(out)


# --------------------------------------------------------------------------- longer_training


def longer_training() -> pd.DataFrame | None:
    """The runs of ``benchmarks/longer_training.py`` (full training set, each net's own
    recipe): net, epochs, precision, seed, final test and training error, minutes."""
    rows = _rows("longer_training")
    if rows is None:
        return None
    frame = pd.DataFrame([{"net": KIND_LABELS[r["net"]], "epochs": r["epochs"], "precision": r["precision"],
                           "seed": r["seed"], "test error %": 100 * r["test_error"],
                           "training error %": 100 * r["train_error"], "minutes": r["seconds"] / 60}
                          for r in rows])
    return _sorted(frame, ["net", "epochs", "precision", "seed"])


def longer_curves(kind: str = "shared", seed: int = 0) -> pd.DataFrame | None:
    """Test error per epoch (%) of the ``kind`` net's longer runs of ``seed``, one
    ``run`` ("15 epochs, bf16") per epoch count and precision."""
    rows = _rows("longer_training")
    if rows is None:
        return None
    return pd.DataFrame([{"run": f"{r['epochs']} epochs, {r['precision']}", "epoch": e + 1,
                          "test error %": 100 * err}
                         for r in rows if (r["net"], r["seed"]) == (kind, seed)
                         for e, err in enumerate(r["test_error_per_epoch"])])


def longer_by_net(epochs: int = 15, precision: str = "bf16") -> pd.DataFrame | None:
    """Per net, the final test error of its longer runs of ``epochs`` in ``precision``
    over the seeds: their number, mean, min and max (%)."""
    runs = longer_training()
    if runs is None:
        return None
    chosen = runs[(runs["epochs"] == epochs) & (runs["precision"] == precision)]
    if chosen.empty:
        raise ValueError(f"no recorded longer run of {epochs} epochs in {precision}: "
                         "rerun benchmarks/longer_training.py")
    by_net = chosen.groupby("net", sort=False)["test error %"]
    return pd.DataFrame({"seeds": by_net.count(), "mean %": by_net.mean(), "min %": by_net.min(),
                         "max %": by_net.max()}).reset_index()


def attempts(this_build: dict[str, float], kind: str = "shared") -> pd.DataFrame:
    """Every error of the ``kind`` net, side by side: ``this_build``'s (name -> test
    error in %), then the recorded longer runs (each, and the mean over the seeds of the
    runs with several) and the recipe search's best final candidate (validation error).
    Columns: ``attempt``, ``error %``, ``error on`` (test or validation) and ``from``
    (this build, or the benchmark that recorded it)."""
    rows = [(name, error, "test", THIS_BUILD) for name, error in this_build.items()]
    longer = longer_training()
    if longer is not None:
        mine = longer[longer["net"] == KIND_LABELS[kind]]
        rows += [(f"{r['epochs']} epochs, {r['precision']}, seed {r['seed']}", r["test error %"], "test",
                  source("longer_training")) for _, r in mine.iterrows()]
        for (epochs, precision), runs in mine.groupby(["epochs", "precision"], sort=False):
            if len(runs) > 1:
                rows.append((f"{epochs} epochs, {precision}, mean of {len(runs)} seeds",
                             runs["test error %"].mean(), "test", source("longer_training")))
    best = recipe_best()
    if best is not None:
        error = best.loc[best["net"] == KIND_LABELS[kind], "validation error %"]
        rows += [("best recipe-search candidate", float(error.iloc[0]), "validation", source("recipe_search"))]
    finals = recipe_budget()
    if finals is not None:  # the validated recipe's finals, trained on a GPU
        for net, runs in finals[finals["net"].str.startswith(f"{kind}-")].groupby("net", sort=False):
            rows += [(f"{net}, validated recipe, seed {r['seed']}", r["test error %"], "test",
                      source("recipe_budget")) for _, r in runs.iterrows()]
            rows.append((f"{net}, validated recipe, mean of {len(runs)} seeds", runs["test error %"].mean(), "test",
                         source("recipe_budget")))
    return pd.DataFrame(rows, columns=["attempt", "error %", "error on", "from"])


# --------------------------------------------------------------------------- throughput


def throughput(name: str = "throughput") -> pd.DataFrame | None:
    """The training steps timed by ``benchmarks/throughput.py`` (depth 15, N = 784; batch
    128 in ``throughput.json``, 256 in ``throughput_b256.json``), one row per net,
    implementation and precision: samples and GFLOP/s, the rate as a share of the bare
    GEMMs of the same precision timed right after the step ("paired") and of the run's
    fastest GEMM window, and the Adam update's share of the step with the ceiling it puts
    on the first share."""
    bench = results.load_benchmark(name)
    if bench is None:
        return None
    rows = []
    for kind in ("shared", "variable"):
        for step, r in bench[kind].items():
            rows.append({"net": KIND_LABELS[kind], "training step": step.removesuffix(" bf16"),
                         "precision": r["precision"],
                         "samples/s": round(r["samples_per_s"]), "GFLOP/s": r["gflops"],
                         "paired GEMMs, GFLOP/s": r["paired_peak_gflops"],
                         "% of paired GEMM rate": 100 * r["fraction_of_paired_peak"],
                         "% of best GEMM rate": 100 * r["fraction_of_best_peak"],
                         "Adam, % of the step": 100 * r["optimizer_share"],
                         "ceiling with that Adam, %": 100 * r["optimizer_ceiling"]})
    return pd.DataFrame(rows)


def step_rates() -> pd.DataFrame | None:
    """The throughput run in long form for a figure: per training step ("ResNet, shared
    W, hand-written, bf16"), its GFLOP/s and those of its paired GEMMs (``measured``)."""
    steps = throughput()
    if steps is None:
        return None
    rates = pd.DataFrame({"step": steps["net"] + ", " + steps["training step"] + ", " + steps["precision"],
                          "training step": steps["GFLOP/s"], "paired GEMMs": steps["paired GEMMs, GFLOP/s"]})
    return rates.melt(id_vars="step", var_name="measured", value_name="GFLOP/s")


# The throughput runs per kind of reference machine: the first instances had AVX512-BF16,
# later ones are AVX2 EPYCs (README, "Precision").
MACHINE_RECORDS = {"throughput": "with AVX512-BF16", "throughput_avx2": "with AVX2 only"}


def gemm_peaks_by_machine() -> pd.DataFrame | None:
    """Per recorded throughput run at batch 128, one per kind of 2-core reference machine:
    the CPU as recorded, its fastest float32 and bfloat16 GEMM rates and their ratio."""
    rows = []
    for name, kind in MACHINE_RECORDS.items():
        bench = results.load_benchmark(name)
        if bench is None:
            continue
        peaks = bench["gemm_peak_gflops"]
        rows.append({"record": f"{name}.json", "machine": kind, "CPU (as recorded)": bench["cpu"],
                     "fp32 GEMM, GFLOP/s": peaks["fp32"], "bf16 GEMM, GFLOP/s": peaks["bf16"],
                     "bf16 / fp32": peaks["bf16"] / peaks["fp32"]})
    return pd.DataFrame(rows) if rows else None


def floor_peaks(measured: dict[str, float]) -> dict[str, float]:
    """The GEMM peaks a floor is computed at: per precision, the faster of ``measured``
    (this build's windows, slow when another job shares the cores) and the recorded
    throughput run on this kind of machine (with or without native bfloat16), so that a
    busy machine never lowers the floor below a rate it is known to reach."""
    from .training import native_bf16

    name = "throughput" if native_bf16(torch.device("cpu")) else "throughput_avx2"
    bench = results.load_benchmark(name)
    known = bench["gemm_peak_gflops"] if bench else {}
    return {p: max(rate, known.get(p, 0.0)) for p, rate in measured.items()}


# --------------------------------------------------------------------------- precision


def precision() -> pd.DataFrame | None:
    """The twins of ``benchmarks/precision.py``: each net and seed of the full profile
    trained in float32 and in bfloat16 with the same recipe; final test and training
    error and minutes."""
    rows = _rows("precision")
    if rows is None:
        return None
    frame = pd.DataFrame([{"net": KIND_LABELS[r["net"]], "seed": r["seed"], "precision": r["precision"],
                           "test error %": 100 * r["test_error"], "training error %": 100 * r["train_error"],
                           "minutes": r["seconds"] / 60} for r in rows])
    return _sorted(frame, ["net", "seed", "precision"])


def _twins() -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """:func:`resdyn_utils.training.precision_comparison` of the recorded twins, the nets
    under their labels and the columns named as percentages."""
    from .training import precision_comparison

    rows = _rows("precision")
    if rows is None:
        return None
    by_seed, effect = precision_comparison(rows)
    by_seed = by_seed.rename(columns={"fp32": "fp32 error %", "bf16": "bf16 error %",
                                      "bf16 - fp32": "bf16 - fp32 %"})
    effect = effect.rename(columns=lambda column: f"{column} %")
    label = lambda frame: frame.rename(index=KIND_LABELS, level="net").reset_index()  # noqa: E731
    return label(by_seed), effect.rename(index=KIND_LABELS).reset_index()


def precision_by_seed() -> pd.DataFrame | None:
    """Test error (%) of each twin pair: one row per net and seed, float32 beside
    bfloat16, and their difference (in points)."""
    twins = _twins()
    return None if twins is None else twins[0]


def precision_effect() -> pd.DataFrame | None:
    """Per net: the mean test-error difference of bfloat16 over float32 beside each
    precision's range over the seeds (in points): a difference of the order of the seed
    range is noise."""
    twins = _twins()
    return None if twins is None else twins[1]


def precision_minutes() -> dict[str, float] | None:
    """Training minutes of all the twins, per precision."""
    twins = precision()
    return None if twins is None else twins.groupby("precision")["minutes"].sum().to_dict()


# --------------------------------------------------------------------------- integrity


def integrity() -> pd.DataFrame | None:
    """``benchmarks/integrity.py``: the sha256 check of the four MNIST files beside the
    whole load (median over its rounds), and the check's share of the load."""
    bench = results.load_benchmark("integrity")
    if bench is None:
        return None
    return pd.DataFrame([{"MNIST files, MB": bench["megabytes"], "rounds": bench["rounds"],
                          "sha256 check, s": bench["verify_seconds"], "whole load, s": bench["load_seconds"],
                          "check, % of the load": 100 * bench["verify_share_of_load"]}])


# --------------------------------------------------------------------------- bf16 evaluation


def bf16_eval() -> pd.DataFrame | None:
    """``benchmarks/bf16_eval.py``: per net and reading, over the seeds, what evaluating
    in bfloat16 instead of float32 changes (the most predictions flipped of the test
    images, the largest accuracy change in points, for the unroll the largest change of
    a class mean of ``y``) and the median seconds of one pass in each precision."""
    bench = results.load_benchmark("bf16_eval")
    if bench is None:
        return None
    frame = pd.DataFrame(bench["rows"])
    frame["net"] = frame["net"].map(KIND_LABELS)
    frame["accuracy change, points"] = 100 * (frame.get("accuracy bf16") - frame.get("accuracy fp32")).abs()
    for column in ("flipped predictions", "largest class-mean difference"):
        if column not in frame:
            frame[column] = float("nan")
    summary = frame.groupby(["net", "reading"], sort=False).agg(
        **{"seeds": ("seed", "nunique"), "most flipped predictions": ("flipped predictions", "max"),
           "largest accuracy change, points": ("accuracy change, points", "max"),
           "largest class-mean change": ("largest class-mean difference", "max"),
           "fp32, s": ("seconds fp32", "median"), "bf16, s": ("seconds bf16", "median")}).reset_index()
    summary["bf16 / fp32 time"] = summary["bf16, s"] / summary["fp32, s"]
    summary.attrs["n_test"] = bench["n_test"]
    return summary


def recipe_budget() -> pd.DataFrame | None:
    """``benchmarks/recipe_budget.py`` (issue 16's search on a GPU): the finals of each
    net's best validated recipe, one row per net and seed, with the validation and test
    errors of the weights the selection used (raw or averaged)."""
    bench = results.load_benchmark("recipe_budget")
    if bench is None:
        return None
    rows = []
    for net, final in bench["finals"].items():
        recipe = final["recipe"]
        for s in final["per_seed"]:
            rows.append({"net": net, "seed": s["seed"], "epochs": recipe["epochs"], "lr": recipe["lr"],
                         "weight decay": recipe["weight_decay"], "batch": recipe["batch_size"],
                         "weights": final["weights_used"], "validation error %": 100 * s["val_error"],
                         "test error %": 100 * s["test_error"]})
    return pd.DataFrame(rows)


def throughput_gpu() -> pd.DataFrame | None:
    """``benchmarks/throughput.py --device cuda``, recorded once on a lent GPU: one row per
    width, net and training step, with the card's name."""
    bench = results.load_benchmark("throughput_gpu")
    if bench is None:
        return None
    rows = []
    for width, run in bench["by_width"].items():
        for name, r in run["rounds"][0].items():
            if "/" not in name:
                continue  # the round's GEMM peaks
            kind, step = name.split("/", 1)
            rows.append({"GPU": bench["gpu"], "width N": int(width), "net": KIND_LABELS[kind],
                         "training step": step.removesuffix(" bf16"), "precision": r["precision"],
                         "samples/s": round(r["samples_per_s"]), "GFLOP/s": r["gflops"],
                         "% of paired GEMM rate": 100 * r["fraction_of_paired_peak"]})
    return pd.DataFrame(rows)


def _selection_key(regime: str, kind: str, width: int) -> str:
    return f"{weights_of(kind)}-{width}" + ("-torchinit" if regime == "torch-init" else "")


def recipe_selection() -> pd.DataFrame | None:
    """``benchmarks/recipe_budget.py``: each searched net's selected recipe (lowest
    validation error, one seed per candidate) and its best validation error at each
    budget of epochs searched: where a longer budget is worse, more epochs do not help."""
    bench = results.load_benchmark("recipe_budget")
    if bench is None:
        return None
    rows = []
    for net, chosen in bench["selection"].items():
        best = chosen["best"]
        budgets = {f"best at {e} epochs, val. %": 100 * v for e, v in sorted(
            chosen["best_val_error_by_budget"].items(), key=lambda item: int(item[0]))}
        rows.append({"net": net, "init": best["init"], "epochs": best["epochs"], "batch": best["batch_size"],
                     "lr": best["lr"], "weight decay": best["weight_decay"], "weights": best["weights_used"],
                     "validation error %": 100 * best["val_error"], **budgets})
    return pd.DataFrame(rows)


def _screen(net: str) -> list[dict]:
    bench = results.load_benchmark("recipe_budget")
    if bench is None:
        return []
    return [r for r in bench["rows"] if r.get("kind") == "screen" and r.get("net") == net
            and r.get("status") == "complete"]


def lever_grid(net: str = "shared-1064") -> pd.DataFrame | None:
    """``benchmarks/recipe_budget.py``'s screen of ``net``: the final validation error (%)
    of every lever (rows, in the order searched) at every budget of epochs (columns), each
    with the better of its raw and averaged weights, as the search scored it. A lever
    whose error rises from one budget to the next gains nothing from more epochs."""
    rows = _screen(net)
    if not rows:
        return None
    frame = pd.DataFrame([{"lever": r["lever"], "epochs": r["epochs"],
                           "error": 100 * min(r["val_error_raw_final"], r["val_error_ema_final"])} for r in rows])
    grid = frame.pivot_table(index="lever", columns="epochs", values="error", sort=False)
    grid = grid[sorted(grid.columns)]
    grid.columns = [f"{e} epochs, val. %" for e in grid.columns]
    return grid.reset_index()


def lever_curves(net: str = "shared-1064") -> pd.DataFrame | None:
    """Validation error per epoch (%) of ``net``'s selected lever at every budget searched,
    with the weights the selection used (raw or averaged), one ``run`` per budget."""
    bench = results.load_benchmark("recipe_budget")
    if bench is None or net not in bench["selection"]:
        return None
    best = bench["selection"][net]["best"]
    use = best["weights_used"]
    return pd.DataFrame([{"run": f"{best['lever']}, {r['epochs']} epochs", "epoch": e + 1,
                          "validation error %": 100 * err}
                         for r in sorted(_screen(net), key=lambda r: r["epochs"]) if r["lever"] == best["lever"]
                         for e, err in enumerate(r[f"val_error_{use}"])])


def budget_selected(regime: str, kind: str, width: int) -> bool:
    """Whether the book trains the ``kind`` net at ``width`` in ``regime`` with the recipe
    its search selected on the validation split: ``benchmarks/recipe_budget.json`` for the
    validated and torch-init regimes, ``benchmarks/recipe_search.json`` for the short one.
    False where the search's file is not here."""
    if regime == "short":
        return kind in searched_recipes()
    bench = results.load_benchmark("recipe_budget")
    chosen = None if bench is None else bench["selection"].get(_selection_key(regime, kind, width))
    if chosen is None:
        return False
    best, recipe = chosen["best"], mnist_recipe(regime, kind, width)
    uses_average = best["weights_used"] == "ema"
    return (best["epochs"], best["batch_size"], best["lr"], best["weight_decay"], best["schedule"], uses_average) \
        == (recipe["epochs"], recipe["batch_size"], recipe["lr"], recipe["weight_decay"], recipe["schedule"],
            recipe["ema"] > 0)


def budget_sentence(net: str = "shared-1064") -> str:
    """What :func:`recipe_selection` says of ``net``'s budgets, in one sentence ("" where
    the search's file is not here)."""
    selection = recipe_selection()
    if selection is None:
        return ""
    row = selection.set_index("net").loc[net]
    budgets = {int(c.split()[2]): row[c] for c in selection.columns if c.startswith("best at") and pd.notna(row[c])}
    best = min(budgets, key=budgets.get)
    return (f"For {net} the best validation error is "
            + ", ".join(f"{v:.2f}% at {e} epochs" for e, v in budgets.items())
            + f": {best} epochs is the best budget searched.")


def circles_selection() -> pd.DataFrame | None:
    """``benchmarks/circles_recipe.py``: per circles net and initialisation, the selected
    recipe and its held-out accuracy on each validation draw."""
    bench = results.load_benchmark("circles_recipe")
    if bench is None:
        return None
    rows = []
    for weights, stages in bench["selection"].items():
        for stage, best in stages.items():
            rows.append({"net": KIND_LABELS[weights], "initialisation": stage.removesuffix("-init"),
                         "schedule": best["schedule"], "peak lr": best["lr"], "epochs": best["epochs"],
                         "batch": best["batch_size"],
                         **{f"draw {i + 1} %": 100 * a for i, a in enumerate(best["validation_accuracy"])}})
    return pd.DataFrame(rows)


def quick_gpu() -> pd.DataFrame | None:
    """``benchmarks/quick_gpu.py``: the chapters of the quick profile that ran on a lent
    GPU, with their wall time and the card's name."""
    bench = results.load_benchmark("quick_gpu")
    if bench is None:
        return None
    return pd.DataFrame([{"GPU": bench["gpu"], "notebook": c["notebook"], "regime": c["regime"],
                          "seconds": c["seconds"]} for c in bench["chapters"]])


def paired_share(steps: pd.DataFrame, net: str, step: str = "hand-written", precision: str = "bf16") -> float:
    """The % of the paired GEMM rate of one training step of a :func:`throughput` table."""
    rows = steps[(steps["training step"] == step) & (steps["precision"] == precision) & (steps["net"] == net)]
    if rows.empty:
        raise ValueError(f"no {step} {precision} step of {net} in this throughput table")
    return float(rows["% of paired GEMM rate"].iloc[0])


# --------------------------------------------------------------------------- chapter costs

#: A chapter whose matmul floor is under this share of its time is not bound by matmuls:
#: its nets are too small for the GEMM peak to describe it (the circles nets: 2 inputs,
#: 3 units), and the time is per-step overhead.
OVERHEAD_SHARE = 0.1
#: The cost goal of the performance issue: every chapter within this factor of its floor.
FLOOR_GOAL = 1.5
#: The goal of the regime-study issue for a warm full rebuild (every model in the cache).
WARM_GOAL_MINUTES = 25


def _bound(seconds: float, floor: float) -> str:
    if floor < OVERHEAD_SHARE * seconds:
        return f"overhead: the matmuls are under {OVERHEAD_SHARE:.0%} of the time"
    return f"within {FLOOR_GOAL:g}x of the floor" if seconds <= FLOOR_GOAL * floor else \
        f"above {FLOOR_GOAL:g}x of the floor"


def _chapter_runs(profile: str):
    """Each chapter run recorded by ``benchmarks/chapter_costs.py`` in ``profile``, in the
    order recorded: (the build's record, the run's :func:`~resdyn_utils.results.run_key`,
    its cost); nothing where the file is not here."""
    bench = results.load_benchmark("chapter_costs")
    for run in bench["runs"] if bench is not None else ():
        if run["profile"] == profile:
            yield from ((run, results.run_key(name), cost) for name, cost in run["chapters"].items()
                        if name != "total")


def chapter_costs(profile: str = "full") -> pd.DataFrame | None:
    """Every chapter run recorded by ``benchmarks/chapter_costs.py`` in ``profile``: the
    chapter (``name@regime`` for a run of the regime study), the commit and CPU of the
    build, its seconds, the matmul TFLOP it executed, their floor at that build's GEMM
    peaks, the ratio, what bounds it (:func:`_bound`) and the label of its record (what
    the build had in its cache)."""
    rows = []
    for run, chapter, cost in _chapter_runs(profile):
        floor = cost["floor_seconds"] or 0.0
        rows.append({"chapter": chapter, "commit": run["commit"], "CPU": run.get("cpu") or run["machine"]["cpu"],
                     "seconds": cost["seconds"], "TFLOP": cost["tflop"], "floor, s": floor,
                     "time / floor": cost["seconds"] / floor if floor else None,
                     "bound by": _bound(cost["seconds"], floor), "record": run["label"]})
    return pd.DataFrame(rows) if rows else None


def slowest_cells(profile: str = "full") -> pd.DataFrame | None:
    """Where the time goes in the chapters above :data:`FLOOR_GOAL` of their floor: for
    the latest recorded run of each, its slowest cells (the first line of code of each,
    its seconds and its share of the run), as ``benchmarks/chapter_costs.py`` read them
    from the executed copy; ``None`` where no such run recorded its cells."""
    latest = {chapter: cost for _, chapter, cost in _chapter_runs(profile)}
    rows = [{"chapter": name, "cell": cell["cell"], "seconds": cell["seconds"],
             "% of the run": 100 * cell["seconds"] / cost["seconds"]}
            for name, cost in latest.items()
            if cost.get("slowest_cells") and _bound(cost["seconds"], cost["floor_seconds"] or 0.0).startswith("above")
            for cell in cost["slowest_cells"]]
    return pd.DataFrame(rows) if rows else None


def study_floor_minutes(costs: pd.DataFrame) -> tuple[str, float] | None:
    """A lower bound on the floor of a warm full rebuild: the regime (other than the
    primary) whose every study chapter has a recorded run in ``costs`` (the latest one of
    each), with the sum of their floors times the number of regimes, in minutes. Every
    regime evaluates nets of the same shapes on the same test sets, so each costs the
    study chapters the same matmuls; the other chapters and the depth chapter's MNIST
    section (primary regime only) add to it. ``None`` where no regime is complete."""
    from .catalogue import STUDY_CHAPTERS

    latest = costs.drop_duplicates("chapter", keep="last").set_index("chapter")["floor, s"]
    for regime in REGIMES[1:]:
        names = [f"{chapter}@{regime}" for chapter in STUDY_CHAPTERS]
        if all(name in latest.index for name in names):
            return regime, float(latest[names].sum()) * len(REGIMES) / 60
    return None


def warm_build(costs: pd.DataFrame, runs: list[str] | None = None) -> pd.DataFrame | None:
    """A warm full rebuild (every model in the cache) assembled from ``costs``
    (:func:`chapter_costs`): the latest recorded run of each of ``runs`` (results keys; by
    default every run a full build of this repository makes, :func:`~resdyn_utils.book.build_runs`),
    in that order, with its commit, CPU, minutes, floor minutes and the label of its record
    (a run may have trained nets a warm one loads, and says so there). ``attrs["not recorded"]``
    names the runs with no record, whose time the sums leave out; None where none of
    ``runs`` is recorded (or, by default, the repository is not here)."""
    if runs is None:
        from .book import build_runs
        from .paths import repo_root

        root = repo_root()
        if root is None:
            return None
        runs = [results.run_key(name) for name in build_runs(root, "full")]
    latest = costs.drop_duplicates("chapter", keep="last").set_index("chapter")
    found = [run for run in runs if run in latest.index]
    if not found:
        return None
    rows = latest.loc[found]
    frame = pd.DataFrame({"run": found, "commit": rows["commit"].to_numpy(), "CPU": rows["CPU"].to_numpy(),
                          "minutes": rows["seconds"].to_numpy() / 60,
                          "floor minutes": rows["floor, s"].to_numpy() / 60, "record": rows["record"].to_numpy()})
    frame.attrs["not recorded"] = [run for run in runs if run not in latest.index]
    return frame


def warm_sentence(warm: pd.DataFrame) -> str:
    """What :func:`warm_build` finds, against :data:`WARM_GOAL_MINUTES`: the runs summed and
    those left out, and whether the recorded floor alone already exceeds the goal. The runs
    left out can only add to both sums, so with any of them left out the sentence never
    says the goal is met."""
    minutes, floor = (round(float(warm[c].sum()), 1) for c in ("minutes", "floor minutes"))
    missing = warm.attrs.get("not recorded", [])
    goal = WARM_GOAL_MINUTES
    if floor > goal:
        verdict = "Their floor alone is above the goal: no float32 implementation of these runs on that CPU meets it"
    elif minutes > goal:
        verdict = "That is above the goal, though their floor is not" + (
            "; the runs not recorded add to both" if missing else "")
    elif missing:
        verdict = "That is within the goal before the runs not recorded, which add to it"
    else:
        verdict = "That is within the goal"
    left_out = f" (not recorded, so not in the sum: {', '.join(missing)})" if missing else ""
    commits, cpus = warm["commit"].nunique(), " and ".join(warm["CPU"].unique())
    return (f"A warm full rebuild (every model in the cache) makes {len(warm) + len(missing)} chapter runs; "
            f"the latest recorded run of {len(warm)} of them, on the {cpus} at {commits} "
            f"commit{'s' if commits > 1 else ''}, adds up to {minutes:g} min against a floor of {floor:g} min "
            f"and a goal of {goal} min{left_out}. {verdict}. This is a sum of separate runs, not one timed build.")


# --------------------------------------------------------------------------- model costs


def model_costs(profile: str = "full") -> pd.DataFrame | None:
    """Every MNIST model recorded by ``benchmarks/model_costs.py`` in ``profile``, one row
    each: its regime, label and the chapter that first needs it, the net, its matmul
    TFLOP, the minutes of its training steps and of its evaluation after each epoch,
    the floor of its matmuls at the GEMM peak of its precision on the recording CPU (NaN
    for a model a GPU trained), its test error, the device that trained it, the commit
    and CPU of the record and its note (what a reader should know of these runs)."""
    bench = results.load_benchmark("model_costs")
    if bench is None:
        return None
    rows = [{"regime": e["regime"], "model": m["label"], "chapter": m["chapter"], "net": KIND_LABELS[m["kind"]],
             "seed": m["seed"], "TFLOP": m["tflop"], "step minutes": m["step_seconds"] / 60,
             "eval minutes": m["eval_seconds"] / 60,
             "floor minutes": m["tflop"] * 1e3 / e["gemm_peak_gflops"][m["precision"]] / 60
             if m["device"] == "cpu" else float("nan"),
             "test error %": 100 * m["test_error"], "trained on": m["device"], "commit": e["commit"],
             "CPU": e["cpu"], "note": e.get("note", "")}
            for e in bench["entries"] if e["profile"] == profile for m in e["models"]]
    return pd.DataFrame(rows) if rows else None


def training_by_regime(models: pd.DataFrame) -> pd.DataFrame:
    """:func:`model_costs` summed per regime: the models, their TFLOP, the minutes of
    their training steps and of their evaluations, the floor of the steps' matmuls, the
    steps' time over it (the evaluation is not in the floor), the CPU and the note."""
    sums = models.groupby("regime", sort=False).agg(
        models=("model", "size"), TFLOP=("TFLOP", "sum"), step=("step minutes", "sum"),
        evaluation=("eval minutes", "sum"), floor=("floor minutes", "sum"), CPU=("CPU", "first"),
        note=("note", "first"))
    out = pd.DataFrame({"models": sums["models"], "TFLOP": sums["TFLOP"], "step minutes": sums["step"],
                        "evaluation minutes": sums["evaluation"], "floor minutes": sums["floor"]})
    out["step time / floor"] = out["step minutes"] / out["floor minutes"]
    return out.assign(CPU=sums["CPU"], note=sums["note"]).reset_index()


def cold_build(models: pd.DataFrame, costs: pd.DataFrame) -> pd.DataFrame | None:
    """Each chapter run's cold time, assembled from two records: the training of the models
    it needs first (:func:`model_costs`, by the chapter and regime of each; steps and
    evaluations, all part of a cold build) and its run with them loaded
    (:func:`chapter_costs`, the latest of each). One row per recorded run of a regime whose
    models are recorded, with the floors of both parts and their sum (no evaluation
    matmul is in it) and what bounds it (:func:`_bound`); a run that needs no MNIST model
    of its own (the circles) adds no training. ``attrs["left out"]`` names the runs whose
    models are recorded but whose run is not; None where no run is assembled."""
    recorded = set(models["regime"])
    names = models.apply(lambda m: results.regime_key(m["chapter"], m["regime"]), axis=1)
    training = models.assign(run=names).groupby("run")[["step minutes", "eval minutes", "floor minutes"]].sum()
    latest = costs.drop_duplicates("chapter", keep="last")
    rows = []
    for _, run in latest.iterrows():
        name = run["chapter"]
        if (name.split("@")[1] if "@" in name else REGIMES[0]) not in recorded:
            continue
        trained = training.loc[name] if name in training.index else None
        train_minutes = 0.0 if trained is None else float(trained["step minutes"] + trained["eval minutes"])
        train_floor = 0.0 if trained is None else float(trained["floor minutes"])
        cold, floor = train_minutes + run["seconds"] / 60, train_floor + run["floor, s"] / 60
        rows.append({"chapter": name, "training minutes": train_minutes, "run minutes": run["seconds"] / 60,
                     "cold minutes": cold, "floor minutes": floor, "cold / floor": cold / floor if floor else None,
                     "bound by": _bound(cold, floor)})
    if not rows:
        return None
    frame = pd.DataFrame(rows)
    frame.attrs["left out"] = sorted(set(training.index) - set(latest["chapter"]))
    return frame


# --------------------------------------------------------------------------- regime study


def regime_study(profile: str = "full") -> list[dict] | None:
    """The study chapters' verdicts recorded by ``benchmarks/regime_study.py`` in
    ``profile``: one entry per regime and chapter, with its ``commit``, ``date``, ``cpu``
    and ``verdicts`` (rows with the claim ``id``, ``verdict``, ``measured verdict``,
    ``ours`` and ``seeds``), in the order recorded; ``None`` where the file is not here.
    :func:`resdyn_utils.scorecard.recorded_regime_view` shows them as a table."""
    bench = results.load_benchmark("regime_study")
    if bench is None:
        return None
    return [e for e in bench["entries"] if e["profile"] == profile]
