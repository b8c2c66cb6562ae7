"""What training the book's MNIST models cost, one training regime at a time, recorded
from the cache.

    .venv/bin/python benchmarks/model_costs.py --regime short [--profile full] [--note TEXT]

``python -m resdyn_utils.catalogue --regime R`` trains a regime's models into the cache,
and each checkpoint keeps the wall clock of its training (the evaluation after each
epoch apart) and the device that trained it. This loads every model of the regime's
plan (static and dependent, :mod:`resdyn_utils.catalogue`) from the cache, never
training one (a missing or damaged one is an error naming the command that trains it), and records
per model the chapter that first needs it, its matmul TFLOP, its step and evaluation
seconds, its test error and the device that trained it, with this CPU's GEMM peaks
(:func:`resdyn_utils.recorded.floor_peaks`, the floor of the models it trained), the
commit and date of the record (a checkpoint keeps no commit) and the CPU. One entry per
(profile, regime); an entry recorded again is replaced.

A fresh machine starts with an empty cache, so a cold full build trains every model
before its chapters run. With ``benchmarks/chapter_costs.json`` (each chapter's run,
its models loaded), this gives each chapter's cold time: the training of the models it
first needs plus its run (:func:`resdyn_utils.recorded.cold_build`).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from resdyn_utils import catalogue
from resdyn_utils.integrity import read_json, write_json
from resdyn_utils.ledger import measure_peaks
from resdyn_utils.profiles import REGIMES
from resdyn_utils.recorded import floor_peaks
from resdyn_utils.results import stamp
from resdyn_utils.training import CheckpointError, checkpoint_path, cpu_model, load_checkpoint

OUT = Path(__file__).with_suffix(".json")


def _load(plan: list[catalogue.Planned], profile: str, regime: str) -> list:
    """The models of ``plan``, each loaded and verified from the cache; a missing or
    damaged checkpoint stops the record with the command that trains it (a cost is never
    recorded from a model trained now)."""
    fix = f"train them with python -m resdyn_utils.catalogue --profile {profile} --regime {regime}"
    missing = [p.label for p in plan if not checkpoint_path(p.config).exists()]
    if missing:
        raise SystemExit(f"{len(missing)} models of the {regime} regime are not in the cache "
                         f"({'; '.join(missing)}): {fix}")
    try:
        return [load_checkpoint(p.config, checkpoint_path(p.config)) for p in plan]
    except CheckpointError as err:
        raise SystemExit(f"{err}: delete it and {fix}") from None


def model_rows(profile: str, regime: str) -> list[dict]:
    """One row per model of ``regime``'s plan, every one loaded from the cache (the static
    models first, so that choosing the dependent ones trains nothing)."""
    static = catalogue.static_plan(profile, regime)
    loaded = _load(static, profile, regime)
    dependent = catalogue.dependent_plan(profile, regime)
    loaded += _load(dependent, profile, regime)
    rows, seen = [], set()
    for p, trained in zip(static + dependent, loaded):
        if p.config.key() in seen:  # a dependent model may be a static one (the best MLP's first seed)
            continue
        seen.add(p.config.key())
        tflop = catalogue.plan_flops([p]) / 1e12
        rows.append({"label": p.label, "chapter": p.chapter, "kind": p.config.model.kind,
                     "depth": p.config.model.depth, "width": p.config.model.width, "seed": p.config.seed,
                     "precision": p.config.precision, "device": trained.device, "tflop": tflop,
                     "step_seconds": trained.train_seconds - trained.eval_seconds,
                     "eval_seconds": trained.eval_seconds, "test_error": trained.test_error})
    return rows


def record(profile: str, regime: str, rows: list[dict], extra: dict, root: Path = Path(".")) -> dict:
    """Store ``rows`` as the entry of (``profile``, ``regime``), with the commit of
    ``root``, the date and ``extra``; the entry of another (profile, regime) is kept."""
    entry = {"profile": profile, "regime": regime, **stamp(root), **extra, "models": rows}
    entries = read_json(OUT, fix="restore it with git")["entries"] if OUT.exists() else []
    write_json(OUT, {"entries": [e for e in entries if (e["profile"], e["regime"]) != (profile, regime)]
                     + [entry]})
    minutes = sum(r["step_seconds"] + r["eval_seconds"] for r in rows) / 60
    print(f"{profile} {regime}: {len(rows)} models, {sum(r['tflop'] for r in rows):.0f} TFLOP, "
          f"{minutes:.1f} min of training")
    return entry


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--regime", required=True, choices=REGIMES)
    parser.add_argument("--profile", default="full")
    parser.add_argument("--note", default="", help="what a reader should know of these runs")
    args = parser.parse_args(argv)
    rows = model_rows(args.profile, args.regime)
    extra = {"cpu": cpu_model(), "gemm_peak_gflops": floor_peaks(measure_peaks())}
    record(args.profile, args.regime, rows, extra | ({"note": args.note} if args.note else {}))


if __name__ == "__main__":
    main()
