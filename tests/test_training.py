"""Training: determinism, the checkpoint cache, and config validation."""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn

from resdyn_utils import experiments, training
from resdyn_utils.depth import AdaptiveDepth
from resdyn_utils.models import ModelConfig
from resdyn_utils.profiles import get_profile
from resdyn_utils.results import load_benchmark
from resdyn_utils.training import DataConfig, TrainConfig, load_checkpoint, train


def circles_config(**kw) -> TrainConfig:
    model = ModelConfig(3, 3, 5, 2, "shared", bias_init=-1.0)
    return TrainConfig(model, DataConfig("circles", 200, 200), **(dict(epochs=3, batch_size=32, lr=1e-2) | kw))


def test_each_validated_recipe_is_its_nets_selection_in_the_recorded_budget_search():
    """The validated and torch-init regimes train each net with the recipe that
    benchmarks/recipe_budget.py selected on the validation split; the MLP takes the
    variable net's."""
    selection = load_benchmark("recipe_budget")["selection"]
    for (regime, weights, width), recipe in experiments.MNIST_RECIPES.items():
        if regime == "short":
            continue
        best = selection[f"{weights}-{width}" + ("-torchinit" if regime == "torch-init" else "")]["best"]
        config = experiments.mnist_config(weights, get_profile("full", regime), seed=0, width=width)
        assert (config.epochs, config.batch_size, config.lr, config.weight_decay, config.schedule) == (
            best["epochs"], best["batch_size"], best["lr"], best["weight_decay"], best["schedule"]), (regime, weights)
        assert (config.ema > 0) == (best["weights_used"] == "ema") and config.model.init == best["init"]
        mlp = experiments.mnist_config("mlp", get_profile("full", regime), seed=0, width=width)
        if weights == "variable":
            assert mlp.replace(model=dict(residual=True)) == config
    with pytest.raises(ValueError, match="covered widths"):
        experiments.mnist_config("shared", get_profile("full", "torch-init"), seed=0, width=1064)


def test_each_short_recipe_is_its_nets_best_in_the_recorded_recipe_search():
    rows = load_benchmark("recipe_search")["rows"]
    full = get_profile("full", "short")
    for kind in ("shared", "variable"):
        best = experiments.search_best(rows, kind)
        config = experiments.mnist_config(kind, full, seed=0)
        assert (config.lr, config.weight_decay, config.schedule, config.batch_size, config.optimizer) == (
            best["lr"], best["weight_decay"], best["schedule"], best["config"]["batch_size"], best["config"]["optimizer"]), kind
        assert (config.model.bias_init, config.model.w_std, config.model.weights) == (best["bias_init"], best["w_std"], kind)
    mlp, variable = (experiments.mnist_config(k, full, seed=0) for k in ("mlp", "variable"))
    assert (mlp.lr, mlp.weight_decay) == (variable.lr, variable.weight_decay)


def test_search_best_and_uses_recipe_tell_the_nets_recipes_apart():
    rows = load_benchmark("recipe_search")["rows"]
    shared, variable = experiments.search_best(rows, "shared"), experiments.search_best(rows, "variable")
    assert shared["config"]["model"]["weights"] == "shared" and variable["config"]["model"]["weights"] == "variable"
    assert experiments.uses_recipe("shared", shared) and experiments.uses_recipe("variable", variable)
    assert not experiments.uses_recipe("shared", variable) and not experiments.uses_recipe("variable", shared)
    with pytest.raises(ValueError, match="no final-stage row for the variable net"):
        experiments.search_best([r for r in rows if r["config"]["model"]["weights"] == "shared"], "variable")


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_same_seed_gives_identical_weights(precision):
    a = train(circles_config(precision=precision), cache=False, progress=False)
    b = train(circles_config(precision=precision), cache=False, progress=False)
    for p, q in zip(a.model.state_dict().values(), b.model.state_dict().values()):
        assert p.dtype == torch.float32 and torch.equal(p, q)
    c = train(circles_config(seed=1, precision=precision), cache=False, progress=False)
    assert not torch.equal(a.model.readout.weight, c.model.readout.weight)


def test_record_names_the_run_and_reads_its_history():
    trained = train(circles_config(precision="bf16", seed=3), cache=False, progress=False)
    row = trained.row()
    assert (row["net"], row["seed"], row["epochs"], row["precision"], row["lr"]) == ("shared", 3, 3, "bf16", 1e-2)
    assert row["test_error_per_epoch"] == [1 - h["test_acc"] for h in trained.history]
    assert row["test_error"] == row["test_error_per_epoch"][-1] and row["seconds"] == trained.train_seconds
    assert row["train_error"] == 1 - trained.history[-1]["train_acc"]
    assert ModelConfig(3, 3, 5, 2, "variable", residual=False).kind == "mlp"
    json.dumps(row)  # JSON-ready


def test_precision_is_in_the_cache_key_only_when_not_fp32():
    fp32, bf16 = circles_config(), circles_config(precision="bf16")
    assert "precision" not in fp32.to_dict()  # the keys of configs older than the field hold
    assert bf16.to_dict()["precision"] == "bf16" and bf16.key() != fp32.key()
    assert train(bf16, cache=False, progress=False).model.layer(1).weight.dtype == torch.float32
    with pytest.raises(ValueError, match="unknown precision 'fp16'"):
        circles_config(precision="fp16")


CPUINFO = """processor\t: 0
model name\t: Some CPU @ 2.0GHz
flags\t\t: fpu sse2 avx2 {extra}
"""


def test_cpu_flags_and_model_are_read_from_cpuinfo():
    assert training.cpu_flags(CPUINFO.format(extra="avx512_bf16")) >= {"avx2", "avx512_bf16"}
    assert "avx512_bf16" not in training.cpu_flags(CPUINFO.format(extra=""))
    assert training.cpu_flags("no flags line") == frozenset()
    assert training.cpu_model(CPUINFO.format(extra="")) == "Some CPU @ 2.0GHz"


@pytest.mark.parametrize("flags, native", [({"avx2"}, False), ({"avx2", "avx512_bf16"}, True),
                                           ({"amx_bf16"}, True)])
def test_a_cpu_multiplies_bf16_natively_only_with_its_instructions(monkeypatch, flags, native):
    monkeypatch.setattr(training, "cpu_flags", lambda: frozenset(flags))
    assert training.native_bf16(torch.device("cpu")) is native


@pytest.mark.parametrize("native, precision", [(True, "bf16"), (False, "fp32")])
def test_mnist_nets_train_in_bf16_only_where_the_hardware_has_it(monkeypatch, native, precision):
    monkeypatch.delenv(experiments.PRECISION_ENV, raising=False)
    monkeypatch.setattr(experiments, "native_bf16", lambda device: native)
    config = experiments.mnist_config("shared", get_profile("quick"), 0)
    assert experiments.mnist_precision() == precision and config.precision == precision
    monkeypatch.setattr(experiments, "native_bf16", lambda device: not native)
    other = experiments.mnist_config("shared", get_profile("quick"), 0)
    assert other.precision != precision and other.key() != config.key()  # two models in the cache


def test_the_precision_can_be_forced_and_a_bad_one_is_refused(monkeypatch):
    monkeypatch.setattr(experiments, "native_bf16", lambda device: False)
    monkeypatch.setenv(experiments.PRECISION_ENV, "bf16")
    assert experiments.mnist_config("variable", get_profile("quick"), 0).precision == "bf16"
    monkeypatch.setenv(experiments.PRECISION_ENV, "fp16")
    with pytest.raises(ValueError, match="RESDYN_PRECISION='fp16' is not a precision.*unset it"):
        experiments.mnist_precision()


def test_training_learns_circles():
    cfg = experiments.circles_config("shared", get_profile("quick"), seed=0)
    trained = train(cfg, cache=False, progress=False)
    assert trained.history[-1]["test_acc"] > 0.85  # chance is 0.5
    assert trained.history[-1]["loss"] < trained.history[0]["loss"]


def test_cache_returns_the_identical_model(isolated_build):
    cfg = circles_config()
    first = train(cfg, progress=False)
    second = train(cfg, progress=False)
    assert not first.from_cache and second.from_cache
    assert second.history == first.history
    for p, q in zip(first.model.state_dict().values(), second.model.state_dict().values()):
        assert torch.equal(p, q)
    assert len(list((isolated_build / "cache").glob("*.pt"))) == 1


def test_corrupt_checkpoint_is_detected_and_retrained(isolated_build):
    cfg = circles_config()
    first = train(cfg, progress=False)
    path = next((isolated_build / "cache").glob("*.pt"))
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(Exception, match="corrupt"):
        load_checkpoint(cfg, path)
    with pytest.warns(UserWarning, match="corrupt.*retraining"):
        again = train(cfg, progress=False)
    assert not again.from_cache
    assert torch.equal(again.model.readout.weight, first.model.readout.weight)


def test_checkpoint_of_another_config_is_rejected(isolated_build):
    cfg = circles_config()
    train(cfg, progress=False)
    path = next((isolated_build / "cache").glob("*.pt"))
    with pytest.raises(Exception, match="another config"):
        load_checkpoint(cfg.replace(lr=0.5), path)


def test_config_keys_differ_and_are_stable():
    a, b = circles_config(), circles_config(seed=1)
    assert a.key() == circles_config().key() and a.key() != b.key()
    assert a.replace(model={"depth": 7}).model.depth == 7


@pytest.mark.parametrize(
    "changes, message",
    [(dict(optimizer="rmsprop"), "unknown optimizer"), (dict(epochs=0), "epochs"), (dict(lr=-1.0), "lr")],
)
def test_bad_train_configs_are_refused(changes, message):
    with pytest.raises(ValueError, match=message):
        circles_config(**changes)


def test_training_flops_count_three_matmuls_per_layer_and_sample_but_none_for_the_input_gradient():
    from resdyn_utils.training import training_flops

    config = TrainConfig(ModelConfig(784, 1064, 15, 10), DataConfig(), epochs=5)
    per_sample = (3 * 15 - 1) * 2 * 1064 * 1064 + 3 * 2 * 1064 * 10
    assert training_flops(config, 60_000) == per_sample * 60_000 * 5


def test_training_cost_splits_the_recorded_time_and_prices_each_precision_at_its_own_peak():
    from resdyn_utils.training import Trained, training_cost, training_flops

    fp32, bf16 = circles_config(), circles_config(precision="bf16")
    history = [{"seconds": 30.0, "eval_seconds": 6.0}, {"seconds": 30.0, "eval_seconds": 6.0}]
    models = [Trained(None, fp32, history), Trained(None, bf16, history), Trained(None, bf16, [{"seconds": 60.0}])]
    flops = training_flops(fp32, 200)  # circles_config trains on 200 points
    cost = training_cost(models, {"fp32": 1.0, "bf16": 2.0})
    assert cost["models"] == 3 and cost["tflop"] == 3 * flops / 1e12
    assert (cost["minutes"], cost["eval_minutes"], cost["step_minutes"]) == pytest.approx((3.0, 0.4, 2.6))
    assert cost["floor_minutes"] == pytest.approx((flops / 1e9 + 2 * flops / 2e9) / 60)
    assert "floor_minutes" not in training_cost(models)
    with pytest.raises(ValueError, match=r"no GEMM peak for precision \['bf16'\]"):
        training_cost(models, {"fp32": 1.0})


def test_precision_comparison_pairs_each_seed_and_sets_the_difference_beside_the_seed_range():
    from resdyn_utils.training import precision_comparison

    errors = {("shared", 0): (0.0180, 0.0185), ("shared", 1): (0.0170, 0.0169), ("variable", 0): (0.0150, 0.0160)}
    rows = [{"net": net, "seed": seed, "precision": precision, "test_error": error}
            for (net, seed), pair in errors.items() for precision, error in zip(("bf16", "fp32"), pair)]
    table, effect = precision_comparison(rows[::-1])  # row order must not matter
    assert list(table.columns) == ["fp32", "bf16", "bf16 - fp32"]
    assert table.loc[("shared", 0)].tolist() == pytest.approx([1.85, 1.80, -0.05])
    assert table.loc[("variable", 0), "bf16 - fp32"] == pytest.approx(-0.10)
    assert effect.loc["shared"].tolist() == pytest.approx([(-0.05 + 0.01) / 2, 1.85 - 1.69, 1.80 - 1.70])
    assert effect.loc["variable", "seed range fp32"] == 0


def _book_mnist(weights: str, width: int = 784, **kw) -> TrainConfig:
    """The book's MNIST configs spelt out (independent of experiments.py and profiles.py)."""
    return TrainConfig(ModelConfig(784, width, 15, 10, weights, bias_init=-3.0), DataConfig("mnist"),
                       **(dict(epochs=5, batch_size=128, lr=1e-2, optimizer="adam", schedule="onecycle",
                               weight_decay=1e-4, precision="bf16") | kw))


# Cache keys computed on main at 1aa6b34, before label_smoothing, ema and ModelConfig.init existed.
KEYS_BEFORE_THE_LEVERS = {
    "shared 784": (lambda: _book_mnist("shared"), "7afea7e1c5557c6205b3"),
    "variable 784": (lambda: _book_mnist("variable", weight_decay=0.0), "ad1e4a12466019d0f9d9"),
    "shared 1064 seed 2": (lambda: _book_mnist("shared", 1064, seed=2), "90479b08678a8f286e1d"),
    "shared fp32 3 epochs": (lambda: _book_mnist("shared", precision="fp32", epochs=3), "b1cf4f192d21275c0f9e"),
    "mlp subset": (lambda: TrainConfig(ModelConfig(784, 784, 15, 10, "variable", residual=False, bias_init=-3.0),
                                       DataConfig("mnist", 10000, 2000, seed=0), epochs=2, lr=1e-2,
                                       precision="bf16"), "53ffbe6e204b90e8ee0a"),
    "circles adaptive depth": (lambda: TrainConfig(
        ModelConfig(3, 3, 15, 2, "shared", w_std=2.0, bias_init=-1.0), DataConfig("circles", 1000, 1000, seed=4),
        epochs=300, batch_size=32, lr=3e-2, adaptive_depth=AdaptiveDepth()), "52b6f821d1d7801fe93a"),
    "circles plain": (lambda: circles_config(), "b1ffe94f6ffd833d101d"),
    "circles bf16": (lambda: circles_config(precision="bf16"), "e74d7d76b1d5904d77d3"),
}


@pytest.mark.parametrize("name", KEYS_BEFORE_THE_LEVERS)
def test_the_levers_leave_the_cache_keys_of_existing_configs_unchanged(name):
    make, key = KEYS_BEFORE_THE_LEVERS[name]
    config = make()
    assert config.key() == key
    assert not {"label_smoothing", "ema"} & set(config.to_dict()) and "init" not in config.to_dict()["model"]


@pytest.mark.parametrize("change", [dict(label_smoothing=0.1), dict(ema=0.999), dict(model=dict(init="torch", bias_init=0.0))])
def test_each_lever_changes_the_cache_key(change):
    base = _book_mnist("shared")
    changed = base.replace(**change)
    assert changed.key() != base.key()
    if "model" in change:
        assert changed.to_dict()["model"]["init"] == "torch"
        assert changed.replace(model=dict(init="paper", bias_init=-3.0)).key() == base.key()
    else:
        assert changed.to_dict()[next(iter(change))] == next(iter(change.values()))


def test_lever_values_are_checked():
    with pytest.raises(ValueError, match="label_smoothing must be in"):
        circles_config(label_smoothing=1.0)
    with pytest.raises(ValueError, match="ema .* must be in"):
        circles_config(ema=1.0)
    with pytest.raises(ValueError, match="cannot be combined"):
        circles_config(ema=0.9, adaptive_depth=AdaptiveDepth())
    with pytest.raises(ValueError, match="unknown init"):
        ModelConfig(3, 3, 5, 2, init="xavier")
    with pytest.raises(ValueError, match="would be ignored"):
        ModelConfig(3, 3, 5, 2, init="torch", bias_init=-1.0)


def test_ema_averages_without_changing_the_training_of_the_raw_weights():
    plain = train(circles_config(), cache=False, progress=False)
    averaged = train(circles_config(ema=0.9), cache=False, progress=False)
    assert [h["raw_test_acc"] for h in averaged.history] == [h["test_acc"] for h in plain.history]
    assert [h["raw_train_acc"] for h in averaged.history] == [h["train_acc"] for h in plain.history]
    assert "raw_test_acc" not in plain.history[0]
    # the returned model carries the average, not the raw weights
    assert not torch.equal(averaged.model.layer(1).weight, plain.model.layer(1).weight)


def test_label_smoothing_changes_training():
    plain = train(circles_config(), cache=False, progress=False)
    smoothed = train(circles_config(label_smoothing=0.1), cache=False, progress=False)
    assert smoothed.history[0]["loss"] != plain.history[0]["loss"]


def test_torch_init_is_nn_linears_default():
    from resdyn_utils.models import ResidualNet

    torch.manual_seed(0)
    net = ResidualNet(ModelConfig(784, 1064, 15, 10, "variable", init="torch"))
    bound = 1 / 1064**0.5
    for t in (1, 15):
        w, b = net.layer(t).weight, net.layer(t).bias
        assert w.abs().max() <= bound and w.abs().max() > 0.99 * bound
        assert b.abs().max() <= bound and b.std() > 0.5 * bound / 3**0.5
    torch.manual_seed(0)
    reference = nn.Linear(1064, 1064)
    torch.manual_seed(0)
    assert torch.equal(ResidualNet(ModelConfig(784, 1064, 15, 10, init="torch")).layer(1).weight, reference.weight)


def test_each_circles_recipe_is_its_nets_selection_on_the_validation_draws():
    """The validated and torch-init circles recipes are what benchmarks/circles_recipe.py
    selected on held-out draws; the short regime keeps the book's first recipe."""
    selection = load_benchmark("circles_recipe")["selection"]
    for weights in ("shared", "variable"):
        for regime, stage in (("validated", "paper-init"), ("torch-init", "torch-init")):
            best = selection[weights][stage]
            config = experiments.circles_config(weights, get_profile("full", regime), seed=0)
            assert (config.lr, config.schedule, config.epochs, config.batch_size) == (
                best["lr"], best["schedule"], best["epochs"], best["batch_size"]), (weights, regime)
            assert config.model.init == best["init"]
    short = experiments.circles_config("shared", get_profile("full", "short"), seed=0)
    assert (short.lr, short.schedule, short.epochs, short.batch_size) == (3e-2, "onecycle", 200, 32)
    assert experiments.circles_config("shared", get_profile("quick"), seed=0).epochs == 100


def test_small_nets_train_on_the_cpu_even_where_a_gpu_exists(monkeypatch):
    from resdyn_utils.training import default_device

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert default_device(3).type == "cpu" and default_device(784).type == "cuda"
    assert default_device().type == "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert default_device(784).type == "cpu"
