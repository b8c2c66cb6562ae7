"""Noise, perturbation, lesion and FGSM helpers on small nets with known answers."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from resdyn_utils import dynamics, robustness
from resdyn_utils.data import Split
from resdyn_utils.experiments import best_by_training_accuracy
from resdyn_utils.models import ModelConfig, ResidualNet
from resdyn_utils.training import Trained


def net(residual: bool = True, weights: str = "shared", width: int = 6, depth: int = 5, **init) -> ResidualNet:
    torch.manual_seed(0)
    return ResidualNet(ModelConfig(4, width, depth, 3, weights, residual, **init))


def split(n: int = 40) -> Split:
    gen = torch.Generator().manual_seed(1)
    return Split(torch.rand(n, 4, generator=gen), torch.randint(0, 3, (n,), generator=gen))


def test_noise_is_fixed_by_its_seed_and_scales_with_sigma():
    images = torch.rand(5, 4)
    a, b = robustness.add_noise(images, 0.3, seed=7), robustness.add_noise(images, 0.3, seed=7)
    assert torch.equal(a, b)
    assert not torch.equal(a, robustness.add_noise(images, 0.3, seed=8))
    # one draw z per image: sigma only scales it, so every sigma sees the same directions
    torch.testing.assert_close(robustness.add_noise(images, 0.6, seed=7) - images, 2 * (a - images))
    assert torch.equal(robustness.add_noise(images, 0.0, seed=7), images)
    assert a.shape == images.shape


def test_clamped_noise_stays_in_the_pixel_range():
    noisy = robustness.add_noise(torch.rand(50, 4), 1.0, seed=0, clamp=True)
    assert noisy.min() >= 0 and noisy.max() <= 1
    assert (noisy == 0).any() and (noisy == 1).any()  # sigma = 1 does hit the bounds


def test_bad_noise_level_is_refused():
    with pytest.raises(ValueError, match="sigma"):
        robustness.add_noise(torch.rand(2, 4), -0.1, seed=0)


def test_unit_directions_have_norm_one():
    d = robustness.unit_directions((10, 6), seed=3)
    torch.testing.assert_close(d.norm(dim=1), torch.ones(10))


def test_zero_perturbation_changes_nothing():
    model, data = net(), split()
    clean = robustness.run(model, data.x)
    for k in range(model.depth + 1):
        assert torch.equal(robustness.run(model, data.x, perturb_at=k, delta=torch.zeros(40, 6)), clean)


def test_perturbing_the_readout_input_moves_the_logits_by_k_delta():
    model, data = net(), split()
    delta = robustness.unit_directions((40, 6), seed=0)
    moved = robustness.run(model, data.x, perturb_at=model.depth, delta=delta) - robustness.run(model, data.x)
    torch.testing.assert_close(moved, delta @ model.readout.weight.detach().T)


def test_layer_perturbation_table_covers_every_layer():
    model = net(depth=4)
    table = robustness.layer_perturbation(model, split(), eps=1.0, seed=0)
    assert table["layer"].tolist() == [0, 1, 2, 3, 4]
    assert (table["logit change"] > 0).all()


def test_perturbation_arguments_are_checked():
    model, data = net(), split()
    with pytest.raises(ValueError, match="perturb x"):
        robustness.run(model, data.x, perturb_at=9, delta=torch.zeros(40, 6))
    with pytest.raises(ValueError, match="both"):
        robustness.run(model, data.x, perturb_at=1)
    with pytest.raises(ValueError, match="delete layer"):
        robustness.run(model, data.x, lesion=0)


def test_deleting_a_layer_whose_residual_is_zero_changes_nothing():
    model = net(bias_init=-1e4)  # sigmoid(-1e4) is exactly 0 in float32: every y(t) = 0
    data = split()
    assert torch.equal(model.trajectory(data.x).y, torch.zeros(5, 40, 6))
    table = robustness.lesion_sweep(model, data)
    assert (table["error"] == table["intact error"]).all()
    for k in range(1, 6):
        assert torch.equal(robustness.run(model, data.x, lesion=k), robustness.run(model, data.x))


def test_deleting_a_layer_of_a_working_net_changes_its_output():
    model, data = net(residual=False, weights="variable"), split()
    assert not torch.equal(robustness.run(model, data.x, lesion=2), robustness.run(model, data.x))


def test_mlp_lesion_passes_the_layer_input_on():
    model = net(residual=False, weights="variable")
    x = torch.rand(3, 6)
    x_next, y = model.step(x, 2, lesion=True)
    assert torch.equal(x_next, x) and torch.equal(y, torch.zeros_like(x))


def test_relative_change_known_values():
    clean = torch.tensor([[[3.0, 4.0], [1.0, 0.0]]])  # (L=1, B=2, N=2), norms 5 and 1
    perturbed = clean + torch.tensor([[[0.0, 5.0], [0.0, 0.5]]])
    torch.testing.assert_close(robustness.relative_change(clean, perturbed), torch.tensor([0.75]))


def test_linearised_eq3_uses_the_jacobian_of_eq3():
    model = net(width=4, depth=3)
    traj = model.trajectory(torch.rand(1, 4))
    d1 = torch.tensor([[0.01, -0.02, 0.03, 0.0]])
    predicted = robustness.linearised_eq3(model, traj.y, d1)
    W = model.weight_matrix().double().numpy()
    expected = d1[0].double().numpy()
    for t in range(1, 3):
        J = dynamics.jacobian(traj.y[t - 1, 0].double().numpy(), W)
        expected = expected + J @ expected
        np.testing.assert_allclose(predicted[t, 0].numpy(), expected, rtol=1e-5, atol=1e-7)


def test_linearised_eq3_predicts_small_noise_in_the_small_step_regime():
    # small W: each layer changes y only a little, the regime in which eq. 3 is derived
    model = net(width=6, depth=8, w_std=0.3, bias_init=-1.0)
    evolution = robustness.noise_evolution(model, torch.rand(30, 4), sigma=1e-3, seed=0)
    measured, predicted = evolution["y"].to_numpy()[2:], evolution["y, eq. 3"].to_numpy()[2:]
    np.testing.assert_allclose(predicted, measured, rtol=0.05)


def test_noise_evolution_rows_and_columns():
    residual = robustness.noise_evolution(net(depth=4), torch.rand(8, 4), sigma=0.1, seed=0)
    assert residual["layer"].tolist() == [0, 1, 2, 3, 4]
    assert list(residual.columns) == ["layer", "x", "y", "y, eq. 3"]
    plain = robustness.noise_evolution(net(residual=False, weights="variable", depth=4), torch.rand(8, 4), 0.1, 0)
    assert "y, eq. 3" not in plain  # eq. 3 describes residual nets only
    np.testing.assert_allclose(plain["x"].to_numpy()[1:], plain["y"].to_numpy()[1:])  # MLP: x(t) = y(t)


def test_noise_sweep_at_zero_noise_is_the_clean_accuracy():
    model, data = net(), split()
    table = robustness.noise_sweep({"a": [model]}, data, [0.0, 0.5], seed=0)
    assert len(table) == 4
    clean = float((robustness.run(model, data.x).argmax(1) == data.y).float().mean())
    assert (table[table["sigma"] == 0.0]["accuracy"] == clean).all()


def test_fgsm_raises_the_loss_and_stays_in_range():
    model, data = net(), split()
    adv = robustness.fgsm(model, data.x, data.y, 0.1)
    loss = lambda x: float(torch.nn.functional.cross_entropy(robustness.run(model, x), data.y))  # noqa: E731
    assert loss(adv) > loss(data.x)
    assert adv.min() >= 0 and adv.max() <= 1
    assert torch.equal(robustness.fgsm(model, data.x, data.y, 0.0), data.x)


def test_best_mlp_depth_is_chosen_on_training_accuracy_with_ties_to_the_shallower():
    def trained(acc: float) -> Trained:
        return Trained(model=None, config=None, history=[{"train_acc": acc, "test_acc": 0.0}])

    assert best_by_training_accuracy({1: trained(0.95), 2: trained(0.99), 5: trained(0.97)}) == 2
    assert best_by_training_accuracy({3: trained(0.99), 2: trained(0.99), 5: trained(0.5)}) == 2


def test_relative_perturbation_scales_with_the_activation_norm():
    model, data = net(depth=3), split()
    delta = robustness.unit_directions((40, 6), seed=0)
    norms = model.trajectory(data.x).x.norm(dim=-1, keepdim=True)
    expected = robustness.run(model, data.x, perturb_at=3, delta=0.5 * delta * norms[3])
    table = robustness.layer_perturbation(model, data, eps=0.5, seed=0, relative=True)
    clean = robustness.run(model, data.x)
    change = float(robustness.relative_change(clean[None], expected[None])[0])
    assert table.loc[3, "logit change"] == pytest.approx(change)
    assert table["size"].iloc[0] == "||delta|| = 0.5 ||x(k)||"


def test_noise_gain_is_last_over_first_layer():
    import pandas as pd

    evolution = pd.DataFrame({"net": ["a"] * 3 + ["b"] * 3, "run": 0, "layer": [0, 1, 2] * 2,
                              "x": [0.5, 0.3, 0.25, 0.1, 0.2, 0.4]})
    assert robustness.noise_gain(evolution).to_dict() == {("a", 0): 0.5, ("b", 0): 4.0}


def test_layer_trend_sign_follows_where_the_drop_is():
    import pandas as pd

    early = pd.DataFrame({"net": "early", "run": 0, "layer": range(5), "accuracy drop": [0.5, 0.4, 0.2, 0.1, 0.0]})
    late = early.assign(net="late", **{"accuracy drop": early["accuracy drop"][::-1].to_numpy()})
    trend = robustness.layer_trend(pd.concat([early, late]), "accuracy drop")
    assert trend.loc["early", "rho"] == pytest.approx(-1.0) and trend.loc["late", "rho"] == pytest.approx(1.0)
    assert trend.loc["early", "accuracy drop at k=0"] == pytest.approx(0.5)
    flat = early.assign(net="flat", **{"accuracy drop": 0.0})
    assert np.isnan(robustness.layer_trend(flat, "accuracy drop").loc["flat", "rho"])


def test_layer_trend_per_run_keeps_each_seeds_sign():
    import pandas as pd

    down = pd.DataFrame({"net": "m", "run": 0, "layer": range(4), "logit change": [0.4, 0.3, 0.2, 0.1]})
    up = down.assign(run=1, **{"logit change": [0.1, 0.2, 0.3, 0.4]})
    flat = down.assign(run=2, **{"logit change": 0.2})
    rho = robustness.layer_trend_per_run(pd.concat([down, up, flat]))
    assert rho[("m", 0)] == pytest.approx(-1.0) and rho[("m", 1)] == pytest.approx(1.0)
    assert np.isnan(rho[("m", 2)])
    # pooled over the runs, the two signs cancel: what the per-seed verdict must not hide
    assert robustness.layer_trend(pd.concat([down, up]))["rho"]["m"] != pytest.approx(-1.0)


def test_labels_name_the_three_kinds_and_count_the_mlps_layers_in_good_grammar():
    from resdyn_utils.models import KIND_LABELS

    assert robustness.mlp_label(1, best=True) == "MLP, 1 layer (best)"
    assert robustness.mlp_label(3) == "MLP, 3 layers"
    nets = robustness.compared_nets(2)
    assert nets == {KIND_LABELS["shared"]: ("shared", 15), KIND_LABELS["variable"]: ("variable", 15),
                    KIND_LABELS["mlp"]: ("mlp", 15), "MLP, 2 layers (best)": ("mlp", 2)}
    assert len(robustness.compared_nets(15)) == 4  # a best MLP of the nets' depth keeps its own label


def test_sweep_tables_are_per_net_and_raise_no_pandas_deprecation():
    """The chapter's tables come from these helpers: a pandas deprecation (e.g. join's
    rsuffix, a Pandas4Warning) would print a raw warning into the rendered page."""
    import warnings

    nets = {"a": [net(depth=3)], "b": [net(residual=False, weights="variable", depth=3)]}
    data = split()
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        warnings.simplefilter("error", FutureWarning)
        sweep = robustness.noise_sweep(nets, data, [0.0, *robustness.REFERENCE_SIGMAS], seed=0)
        reference = robustness.at_reference_levels(sweep)
        spread = robustness.mean_and_spread(reference, ["net", "sigma"], "accuracy")
        evolution = robustness.per_run(nets, lambda m: robustness.noise_evolution(m, data.x, 0.1, 0))
        gain = robustness.noise_gain(evolution)
        fixed = robustness.per_run(nets, lambda m: robustness.layer_perturbation(m, data, 1.0, 0))
        scaled = robustness.per_run(nets, lambda m: robustness.layer_perturbation(m, data, 0.5, 0, relative=True))
        trend = robustness.trend_table({"fixed": fixed, "relative": scaled})
    assert list(sweep.columns[:2]) == ["net", "run"] and set(gain.index) == {("a", 0), ("b", 0)}
    assert sorted(reference["sigma"].unique()) == [50, 75, 100] and reference["clamped"].all()
    assert reference["accuracy"].between(0, 100).all() and len(spread) == 6
    assert list(trend.index.names) == ["perturbation", "net"] and len(trend) == 4
    assert {"rho", "rho, accuracy drop", "logit change at k=0", "accuracy drop at k=T"} <= set(trend.columns)
    both = robustness.layer_trend(fixed, "accuracy drop")["rho"]
    np.testing.assert_array_equal(trend.loc["fixed", "rho, accuracy drop"].to_numpy(), both.to_numpy())


@pytest.mark.parametrize("residual,weights", [(True, "shared"), (True, "variable"), (False, "variable")])
def test_the_sweeps_that_share_the_intact_pass_give_the_numbers_of_one_run_per_reading(residual, weights):
    """lesion_sweep and layer_perturbation start each reading from the intact pass;
    that must change no number against running the whole net once per reading."""
    torch.manual_seed(3)
    model = net(residual=residual, weights=weights, width=8, depth=6)
    model.readout.weight.data.normal_()
    data = Split(torch.rand(300, 4), torch.randint(0, 10, (300,)))
    table = robustness.lesion_sweep(model, data)
    for k in range(1, 7):
        logits = robustness.run(model, data.x, lesion=k)
        assert table.loc[k - 1, "error"] == 1 - robustness._accuracy(logits, data.y)
    for relative in (False, True):
        table = robustness.layer_perturbation(model, data, 0.7, seed=2, relative=relative)
        direction = robustness.unit_directions((300, 8), 2)
        norms = model.trajectory(data.x).x.norm(dim=-1, keepdim=True)
        clean = robustness.run(model, data.x)
        for k in range(7):
            logits = robustness.run(model, data.x, perturb_at=k,
                                    delta=0.7 * direction * (norms[k] if relative else 1.0))
            expected = float(robustness.relative_change(clean[None], logits[None])[0])
            assert table.loc[k, "logit change"] == expected
            assert table.loc[k, "accuracy drop"] == robustness._accuracy(clean, data.y) - robustness._accuracy(logits, data.y)


def test_the_noise_sweep_gives_the_accuracy_of_each_noisy_input_run_on_its_own():
    torch.manual_seed(4)
    nets = {"a": [net(width=8, depth=4), net(width=8, depth=4, weights="variable")]}
    for n in nets["a"]:
        n.readout.weight.data.normal_()
    data = Split(torch.rand(200, 4), torch.randint(0, 10, (200,)))
    sigmas = (0.0, 0.3, 1.0)
    sweep = robustness.noise_sweep(nets, data, sigmas, seed=5)
    assert len(sweep) == 2 * 2 * len(sigmas)
    for (run_index, clamp), rows in sweep.groupby(["run", "clamped"]):
        expected = robustness.noise_accuracy(nets["a"][run_index], data, sigmas, 5, clamp)
        assert rows.sort_values("sigma")["accuracy"].tolist() == expected
