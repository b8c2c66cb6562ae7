"""The catalogue of the book's MNIST models: the same configs the chapters ask for, in
every regime, each once."""

from __future__ import annotations

import pytest

from resdyn_utils import catalogue
from resdyn_utils.experiments import mnist_config, mnist_recipe
from resdyn_utils.profiles import REGIMES, get_profile
from resdyn_utils.results import regime_key, results_path, run_key, save


def test_the_static_plan_covers_every_regime_once_per_model():
    plan = catalogue.static_plan("full")
    keys = [p.config.key() for p in plan]
    assert len(keys) == len(set(keys))
    full = get_profile("full")
    # the headline at the paper's width, in the primary regime only
    headline = [p for p in plan if p.config.model.width == 1064]
    assert {p.regime for p in headline} == {"validated"} and len(headline) == 2 * len(full.seeds)
    for regime in REGIMES:
        P = get_profile("full", regime)
        for kind in ("shared", "variable", "mlp"):
            for s in P.seeds:
                assert mnist_config(kind, P, s).key() in keys, (regime, kind, s)
        for d in P.mlp_depths:
            assert mnist_config("mlp", P, P.seeds[0], depth=d).key() in keys
    adaptive = [p for p in plan if p.config.adaptive_depth is not None]
    assert len(adaptive) == 2 and all(p.config.ema == 0 for p in adaptive)
    # the regime study trains only what its chapters need
    assert {p.chapter for p in plan if p.regime != "validated"} <= set(catalogue.STUDY_CHAPTERS)


def test_one_regime_plans_only_its_own_models():
    every = catalogue.static_plan("full")
    for regime in REGIMES:
        plan = catalogue.static_plan("full", regime)
        assert plan and {p.regime for p in plan} == {regime}
        assert [p.config.key() for p in plan] == [p.config.key() for p in every if p.regime == regime]
    with pytest.raises(ValueError, match="unknown regime 'long'"):
        catalogue.static_plan("full", "long")


def test_the_plan_flops_weigh_each_model_by_its_epochs_and_width():
    P = get_profile("full")
    narrow = catalogue.Planned("training", "validated", "a", mnist_config("shared", P, 0))
    wide = catalogue.Planned("training", "validated", "b", mnist_config("shared", P, 0, width=1064))
    short = catalogue.Planned("transients", "short", "c", mnist_config("shared", get_profile("full", "short"), 0))
    f_narrow, f_wide, f_short = (catalogue.plan_flops([p]) for p in (narrow, wide, short))
    assert f_wide / f_narrow == pytest.approx((3 * 15 * 1064**2 - 1064**2 + 3 * 1064 * 10)
                                              / (3 * 15 * 784**2 - 784**2 + 3 * 784 * 10), rel=1e-6)
    assert f_narrow / f_short == pytest.approx(20 / 5)


def test_a_regime_is_checked_and_the_study_records_its_results_apart():
    with pytest.raises(ValueError, match="unknown regime"):
        get_profile("full", "long")
    with pytest.raises(ValueError, match="unknown regime"):
        mnist_recipe("long", "shared", 784)
    assert regime_key("transients", "validated") == "transients"
    assert regime_key("transients", "short") == "transients@short"
    save("transients", get_profile("quick", "short"), x=1)
    assert results_path("transients@short").exists() and not results_path("transients").exists()


def test_a_run_of_the_ledger_is_named_by_its_results_key():
    assert run_key("book/transients.ipynb") == "transients"
    assert run_key("book/transients.ipynb@short") == "transients@short"
    with pytest.raises(ValueError, match="unknown regime"):
        run_key("book/transients.ipynb@long")


def test_the_quick_profile_caps_the_epochs_of_every_regime():
    for regime in REGIMES:
        config = mnist_config("variable", get_profile("quick", regime), 0)
        assert config.epochs == min(6, mnist_recipe(regime, "variable", 784)["epochs"])
        assert config.data.n_train == 2_000
        assert config.ema == 0.0  # a few dozen steps: no average over a thousand
    assert mnist_config("variable", get_profile("full"), 0).ema == 0.999


def test_the_cost_per_regime_sets_the_recorded_steps_beside_the_floor():
    from resdyn_utils.training import Trained, training_flops

    def trained(regime: str, seconds: float, device: str = "cpu") -> Trained:
        config = mnist_config("shared", get_profile("quick", regime), 0)
        return Trained(None, config, [{"seconds": seconds, "eval_seconds": 0.0, "device": device}])

    models = {"validated": [trained("validated", 60.0), trained("validated", 60.0, "NVIDIA H100")],
              "short": [trained("short", 30.0)]}
    costs = catalogue.cost_by_regime(models, {"fp32": 100.0, "bf16": 200.0}).set_index("regime")
    flops = training_flops(models["validated"][0].config, 2_000)
    assert costs.loc["validated", "TFLOP"] == pytest.approx(2 * flops / 1e12)
    peak = {"fp32": 100e9, "bf16": 200e9}[models["validated"][0].config.precision]  # this machine's
    assert costs.loc["validated", "floor minutes"] == pytest.approx(2 * flops / peak / 60)
    assert costs.loc["total", "models"] == 3 and costs.loc["total", "step minutes"] == pytest.approx(2.5)
    assert costs.loc["validated", "trained on"] == "NVIDIA H100, cpu"
    assert costs.loc["total", "time / floor"] == pytest.approx(2.5 / costs.loc["total", "floor minutes"])
    assert catalogue.cost_by_regime(models, None).set_index("regime").loc["total", "floor minutes"] is None
