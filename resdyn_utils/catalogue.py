"""The MNIST models the book trains, listed ahead of the chapters.

``python3 tasks.py models`` trains them in this order before any chapter runs, so the
chapters only load them (the cache, :func:`~resdyn_utils.training.train`). The list is
built from the same config functions the chapters call (:mod:`resdyn_utils.experiments`),
in every regime the book executes (:data:`STUDY_CHAPTERS`). The circles nets, seconds
each, are left to their chapters.

Some models depend on others: the robustness chapter's best MLP (chosen by training
accuracy among :attr:`~resdyn_utils.profiles.Profile.mlp_depths`) and the depth
chapter's net trained from scratch at the depth its adaptive net reached. They are
listed by :func:`dependent_plan` once the models they depend on are in the cache.
"""

from __future__ import annotations

from dataclasses import dataclass

from .depth import AdaptiveDepth
from .experiments import MODEL_KINDS, PAPER_DEPTH, best_by_training_accuracy, mnist_config, mnist_precision
from .profiles import REGIMES, Profile, get_profile
from .training import TrainConfig, train, training_flops

# The chapters whose dynamics verdicts the regime study grades in every training regime
# (the circles of E1 and E4, the MNIST nets of E2, E3 and E5): the book runner executes
# them once per regime; every other chapter runs in the primary regime only. The depth
# chapter's MNIST section runs in the primary regime only (no MNIST models of its own in
# the other regimes).
STUDY_CHAPTERS = ("circles", "transients", "depth", "robustness")
DEPTH_RULE = AdaptiveDepth(0.01)  # the depth chapter's rule on MNIST


@dataclass(frozen=True)
class Planned:
    """One model of the plan: the chapter that first needs it, its regime, a label and
    its config."""

    chapter: str
    regime: str
    label: str
    config: TrainConfig


def adaptive_config(config: TrainConfig, rule: AdaptiveDepth = DEPTH_RULE) -> TrainConfig:
    """The depth chapter's adaptive twin of ``config``. The depth rule removes layers from
    the trained net, which has no weight average: the twin trains without EMA."""
    return config.replace(adaptive_depth=rule, ema=0.0)


def _unique(plan: list[Planned]) -> list[Planned]:
    seen, out = set(), []
    for item in plan:
        if item.config.key() not in seen:
            seen.add(item.config.key())
            out.append(item)
    return out


def _regime_plan(P: Profile, primary: bool) -> list[Planned]:
    """The static models of one regime: of every MNIST chapter in the primary regime,
    of :data:`STUDY_CHAPTERS` only in the others."""
    tag, plan = f"{P.regime}: ", []
    if primary:
        plan += [Planned("training", P.regime, f"{tag}{kind} {P.headline_width}, seed {s}",
                         mnist_config(kind, P, s, width=P.headline_width))
                 for kind in ("shared", "variable") for s in P.seeds]
    first = "training" if primary else "transients"
    plan += [Planned(first, P.regime, f"{tag}{kind}, seed {s}", mnist_config(kind, P, s))
             for kind in MODEL_KINDS for s in P.seeds]
    plan += [Planned("robustness", P.regime, f"{tag}MLP depth {d}, seed {P.seeds[0]}",
                     mnist_config("mlp", P, P.seeds[0], depth=d)) for d in P.mlp_depths]
    if primary:
        plan += [Planned("depth", P.regime, f"{tag}{kind} adaptive, seed {P.seeds[0]}",
                         adaptive_config(mnist_config(kind, P, P.seeds[0]))) for kind in ("shared", "variable")]
    return plan


def regimes(profile: str) -> tuple[str, ...]:
    """The regimes the book executes in ``profile``: the primary one first."""
    return REGIMES


def _selected(profile: str, only: str | None) -> list[tuple[int, str]]:
    """The regimes of ``profile`` with their index (0: the primary), or only ``only``."""
    selected = [(i, r) for i, r in enumerate(regimes(profile)) if only in (None, r)]
    if not selected:
        raise ValueError(f"unknown regime {only!r}: use one of {', '.join(regimes(profile))}")
    return selected


def static_plan(profile: str, regime: str | None = None) -> list[Planned]:
    """Every model the chapters of ``profile`` need that depends on no other model, in the
    order they are trained: the primary regime first, then the regime study (or only the
    models of ``regime``)."""
    plan = []
    for i, name in _selected(profile, regime):
        plan += _regime_plan(get_profile(profile, name), primary=i == 0)
    return _unique(plan)


def dependent_plan(profile: str, regime: str | None = None) -> list[Planned]:
    """The models chosen from trained ones (trains or loads what they depend on), of every
    regime or only of ``regime``."""
    plan = []
    for i, regime in _selected(profile, regime):
        P = get_profile(profile, regime)
        candidates = {d: train(mnist_config("mlp", P, P.seeds[0], depth=d), progress=False) for d in P.mlp_depths}
        best = best_by_training_accuracy(candidates)
        plan += [Planned("robustness", regime, f"{regime}: best MLP (depth {best}), seed {s}",
                         mnist_config("mlp", P, s, depth=best)) for s in P.seeds]
        if i == 0:
            for kind in ("shared", "variable"):
                d = train(adaptive_config(mnist_config(kind, P, P.seeds[0])), progress=False).model.depth
                if d < PAPER_DEPTH:
                    label = f"{regime}: {kind} from scratch at depth {d}, seed {P.seeds[0]}"
                    plan.append(Planned("depth", regime, label, mnist_config(kind, P, P.seeds[0], depth=d)))
    return _unique(plan)


def plan_flops(plan: list[Planned]) -> float:
    """The training matmul FLOPs of ``plan`` (:func:`~resdyn_utils.training.training_flops`)."""
    from .training import dataset_for

    return sum(training_flops(p.config, len(dataset_for(p.config.data).train)) for p in plan)


def train_plan(profile: str, gemm_peak_gflops: float | None = None, regime: str | None = None) -> list[str]:
    """Train every model of ``profile`` (of one ``regime``, or all) that is not in the
    cache, static models first, then the dependent ones; return the labels of those
    trained now.

    Before it starts it prints the plan's total FLOPs and, with this machine's GEMM peak
    in the models' precision, their floor. A progress bar counts TFLOP, so its ETA weighs
    each model by its cost at the measured rate. Interrupted, it resumes where it stopped:
    every finished model is in the cache."""
    from tqdm.auto import tqdm

    from .training import checkpoint_path

    trained = []
    for stage, make in (("static", static_plan), ("dependent", dependent_plan)):
        plan = make(profile, regime)
        todo = [p for p in plan if not checkpoint_path(p.config).exists()]
        total = plan_flops(plan) / 1e12
        floor = f", floor {total * 1e3 / gemm_peak_gflops / 60:.1f} min at {gemm_peak_gflops:.0f} GFLOP/s" \
            if gemm_peak_gflops else ""
        print(f"{stage} models of the {profile} profile: {len(plan)}, {total:.1f} TFLOP{floor}; "
              f"{len(plan) - len(todo)} in the cache, {len(todo)} to train", flush=True)
        with tqdm(total=plan_flops(todo) / 1e12, unit="TFLOP", desc=stage, disable=not todo) as bar:
            for p in todo:
                bar.set_postfix_str(p.label)
                train(p.config, progress=False)
                bar.update(plan_flops([p]) / 1e12)
                trained.append(p.label)
    return trained


def cost_by_regime(trained: dict[str, list], peaks: dict[str, float] | None):
    """What training the book's models cost, one row per regime and a total: the models,
    their matmul TFLOP, the recorded minutes of their training steps, the floor (each
    model's matmuls at its precision's GEMM peak; None without recorded peaks), the
    ratio of the two, and where they were trained. ``trained``: regime -> the
    :class:`~resdyn_utils.training.Trained` models of that regime."""
    import pandas as pd

    from .training import training_cost

    rows = []
    groups = {**trained, "total": [t for ts in trained.values() for t in ts]}
    for regime, models in groups.items():
        cost = training_cost(models, peaks)
        floor = cost.get("floor_minutes")
        rows.append({"regime": regime, "models": cost["models"], "TFLOP": cost["tflop"],
                     "step minutes": cost["step_minutes"], "floor minutes": floor,
                     "time / floor": None if not floor else cost["step_minutes"] / floor,
                     "trained on": ", ".join(sorted({t.device for t in models}))})
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    import argparse

    from .ledger import gemm_peak
    from .training import cpu_model

    parser = argparse.ArgumentParser(prog="python -m resdyn_utils.catalogue",
                                     description="Train every MNIST model the book needs (resumable).")
    parser.add_argument("--profile", default="full", help="quick or full (default full)")
    parser.add_argument("--regime", help=f"only this regime's models (one of {', '.join(REGIMES)})")
    parser.add_argument("--list", action="store_true", help="print the static plan and stop")
    args = parser.parse_args(argv)
    try:
        get_profile(args.profile)
        _selected(args.profile, args.regime)
    except ValueError as err:
        parser.error(str(err))
    if args.list:
        for p in static_plan(args.profile, args.regime):
            print(f"{p.chapter:<11} {p.label:<45} {p.config.key()}")
        return 0
    precision = mnist_precision()
    peak = gemm_peak(precision)  # this machine's, in the precision its models train in
    print(f"the MNIST nets train in {precision} on this machine ({cpu_model()}): GEMM peak {peak:.0f} GFLOP/s",
          flush=True)
    done = train_plan(args.profile, peak, args.regime)
    print(f"models: {len(done)} trained now, the rest loaded from the cache", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
