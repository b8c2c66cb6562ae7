"""Transient analysis on small nets whose answers are known."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from resdyn_utils import transients
from resdyn_utils.models import ModelConfig, ResidualNet


def test_class_means():
    values = torch.tensor([[[0.0], [2.0], [10.0], [14.0]]])  # (T=1, B=4, N=1)
    labels = torch.tensor([0, 0, 1, 1])
    assert transients.class_means(values, labels, 2).flatten().tolist() == [1.0, 12.0]


def test_decomposition_adds_up_to_the_last_layer():
    torch.manual_seed(0)
    net = ResidualNet(ModelConfig(3, 3, 15, 2, "shared", bias_init=-1.0))
    traj = net.trajectory(torch.rand(6, 3))
    y_star, converged = transients.settled_residuals(net, torch.rand(6, 3))
    parts = transients.decompose(traj, y_star)
    torch.testing.assert_close(parts.total, traj.x[-1], atol=1e-5, rtol=0)
    torch.testing.assert_close(parts.steady, 15 * y_star)


def readout_identity_net() -> ResidualNet:
    net = ResidualNet(ModelConfig(2, 2, 1, 2, "shared"))
    with torch.no_grad():
        net.readout.weight.copy_(torch.eye(2))
        net.readout.bias.zero_()
    return net


def transient_coded_problem() -> tuple[torch.Tensor, transients.Decomposition]:
    """Two classes that differ only in their transient (input and steady state shared)."""
    labels = torch.tensor([0, 0, 1, 1])
    transient = torch.tensor([[2.0, 0.0], [1.5, 0.0], [0.0, 2.0], [0.0, 1.0]])
    same = torch.ones(4, 2)
    return labels, transients.Decomposition(same, same, transient, same / 15)


def test_swap_follows_the_transient_when_only_the_transient_differs():
    labels, parts = transient_coded_problem()
    out = transients.transient_swap(readout_identity_net(), parts, labels)
    assert out == {"intact": 1.0, "follows_transient": 1.0, "follows_own_transient": 1.0}


def test_swap_ignores_the_transient_when_the_input_decides():
    labels = torch.tensor([0, 0, 1, 1])
    inputs = torch.tensor([[5.0, 0.0], [5.0, 0.0], [0.0, 5.0], [0.0, 5.0]])
    transient = torch.tensor([[0.1, 0.0], [0.1, 0.0], [0.0, 0.1], [0.0, 0.1]])
    zero = torch.zeros(4, 2)
    parts = transients.Decomposition(inputs, zero, transient, zero)
    out = transients.transient_swap(readout_identity_net(), parts, labels)
    assert out["intact"] == 1.0 and out["follows_transient"] == 0.0 and out["follows_own_transient"] == 0.0


def test_spread_layer():
    assert transients.spread_layer(np.array([0.5, 0.2, 0.001, 0.002, 0.0005]), 0.01) == 3
    assert transients.spread_layer(np.array([0.5, 0.001, 0.2, 0.001]), 0.01) == 4
    assert transients.spread_layer(np.array([0.5, 0.2]), 0.01) is None


def test_unroll_accuracy_matches_the_forward_pass_at_every_depth():
    torch.manual_seed(1)
    net = ResidualNet(ModelConfig(4, 5, 3, 3, "shared", bias_init=-1.0))
    x, y = torch.rand(50, 4), torch.randint(0, 3, (50,))
    curve = transients.unroll(net, x, 40, y, batch=16).accuracy_by_depth
    assert len(curve) == 40
    for depth in (1, 3, 40):
        expected = float((net(x, depth).argmax(1) == y).float().mean())
        assert abs(curve[depth - 1] - expected) < 1e-6


def test_unroll_refuses_a_variable_net_past_its_layers():
    net = ResidualNet(ModelConfig(4, 5, 3, 3, "variable"))
    with pytest.raises(ValueError, match="only shared weights"):
        transients.unroll(net, torch.rand(2, 4), 4)


def test_linear_probe_separates_separable_classes_and_not_noise():
    gen = torch.Generator().manual_seed(0)
    y = torch.randint(0, 3, (600,), generator=gen)
    centres = torch.tensor([[3.0, 0.0], [0.0, 3.0], [-3.0, -3.0]])
    x = centres[y] + 0.3 * torch.randn(600, 2, generator=gen)
    assert transients.linear_probe(x[:400], y[:400], x[400:], y[400:]) > 0.98
    noise = torch.randn(600, 2, generator=gen)
    assert transients.linear_probe(noise[:400], y[:400], noise[400:], y[400:]) < 0.5


def test_probes_fitted_side_by_side_give_each_probe_alone_exactly_and_in_order():
    gen = torch.Generator().manual_seed(1)
    y = torch.randint(0, 4, (700,), generator=gen)
    tasks = []
    for spread in (0.5, 1.0, 2.0, 4.0, 8.0):  # from separable to nearly noise: distinct accuracies
        x = torch.nn.functional.one_hot(y, 4).float() @ torch.randn(4, 30, generator=gen) \
            + spread * torch.randn(700, 30, generator=gen)
        tasks.append((x[:500], y[:500], x[500:], y[500:]))
    alone = [transients.linear_probe(*task) for task in tasks]
    assert len(set(alone)) > 2  # the order is tested, not five equal numbers
    assert transients.linear_probes(tasks, workers=2) == alone
    assert transients.linear_probes(tasks[::-1], workers=3) == alone[::-1]


def test_layer_probes_name_every_layer_of_every_net_and_the_pixels():
    from resdyn_utils.models import ModelConfig, ResidualNet

    torch.manual_seed(0)
    nets = {"a": ResidualNet(ModelConfig(6, 8, 3, 3)), "b": ResidualNet(ModelConfig(6, 8, 3, 3, "variable"))}
    gen = torch.Generator().manual_seed(2)
    y = torch.randint(0, 3, (300,), generator=gen)
    x = torch.nn.functional.one_hot(y, 3).float() @ torch.randn(3, 6, generator=gen) \
        + torch.randn(300, 6, generator=gen)
    probes = transients.layer_probes(nets, x[:200], y[:200], x[200:], y[200:])
    assert list(probes) == ["a: y(t)", "a: x(t)", "b: y(t)", "b: x(t)", "pixels"]
    assert [len(v) for v in probes.values()] == [3, 3, 3, 3, 1]
    tr, te = nets["b"].trajectory(x[:200]), nets["b"].trajectory(x[200:])
    assert probes["b: x(t)"][1] == transients.linear_probe(tr.x[2], y[:200], te.x[2], y[200:])  # x(2)
    assert probes["pixels"] == [transients.linear_probe(x[:200], y[:200], x[200:], y[200:])]


def test_unroll_end_point_matches_the_trajectory():
    torch.manual_seed(3)
    net = ResidualNet(ModelConfig(4, 5, 3, 3, "shared", bias_init=-1.0))
    x = torch.rand(9, 4)
    unrolled = transients.unroll(net, x, 30, batch=4)
    torch.testing.assert_close(unrolled.y_end, net.trajectory(x, depth=30).y[-1])
    assert unrolled.accuracy_by_depth is None


def test_settled_class_means_of_a_net_without_weights_are_its_bias_sigmoid():
    net = ResidualNet(ModelConfig(2, 2, 3, 2, "shared", w_std=0.0))
    with torch.no_grad():
        net.layers[0].bias.copy_(torch.tensor([-1.0, 2.0]))
    labels = torch.tensor([0, 1, 1, 0])
    means = transients.settled_class_means(net, torch.rand(4, 2), labels, 2)
    torch.testing.assert_close(means, torch.sigmoid(torch.tensor([[-1.0, 2.0], [-1.0, 2.0]])))


def test_readout_wins_tell_the_two_readings_of_fig4_apart():
    # three classes; K picks unit c for class c (signed) but unit 2 for every class by |K|
    K = torch.tensor([[1.0, 0.0, -5.0], [0.0, 1.0, -5.0], [0.0, 0.0, 1.0]])
    # class means of x(15), rows: classes, columns: units
    x15 = torch.tensor([[5.0, 1.0, 0.0],    # class 0: its unit 0 is its largest chosen unit, and the largest class on unit 0
                        [4.0, 3.0, 0.0],    # class 1: unit 0 beats its own unit 1 (a fails); on unit 1 it is the largest class (b)
                        [0.0, 2.0, 9.0]])   # class 2: wins both
    wins = transients.readout_wins(x15, K)
    assert wins["wins (b), signed K"] == 3 and wins["wins (a), signed K"] == 2
    # by |K| every class picks unit 2, which class 0 weights most (|-5|, ties to the first);
    # class 2 has the largest x there, so no unit is a win
    assert wins["wins (b), |K|"] == 0
    assert wins["wins (a), |K|"] == 1  # one unit chosen thrice: its ties go to the first class only


def test_fig4_reading_b_credits_the_class_most_sensitive_to_the_unit():
    # class 0 picks unit 0, but class 1 weights unit 0 even more: the caption credits class 1
    K = torch.tensor([[2.0, 0.0], [3.0, 4.0]])
    x15 = torch.tensor([[1.0, 0.0], [5.0, 6.0]])  # class 1 is largest on both units
    wins = transients.readout_wins(x15, K)
    assert wins["wins (b), signed K"] == 2  # crediting the class that picked unit 0 would give 1
    assert wins["wins (a), signed K"] == 2  # within each class, its own unit is its largest


def test_pair_separation_is_the_mean_distance_over_the_within_class_spread():
    labels = torch.tensor([0, 0, 1, 1])
    values = torch.tensor([[0.0, -1.0], [0.0, 1.0], [4.0, -1.0], [4.0, 1.0]])  # means 4 apart, spread 1
    assert transients._pair_separations(values, labels, 2).tolist() == [4.0]


def test_spread_profile_counts_the_units_that_still_differ():
    net = ResidualNet(ModelConfig(2, 2, 3, 2, "variable"))
    with torch.no_grad():
        for layer in net.layers:
            layer.weight.zero_()
        net.layers[0].weight.copy_(torch.tensor([[50.0, 0.0], [0.0, 0.0]]))  # layer 1: unit 0 follows the input
    inputs = torch.tensor([[-1.0, 0.0], [1.0, 0.0]])
    profile = transients.spread_profile(net, inputs, 3)
    assert profile["share"].tolist() == [0.5, 0.0, 0.0] and profile["max"][0] > 0.5
    assert profile["max"][1] == 0.0 and profile["settled units"] == 2


def test_per_claim_regroups_seeds_under_each_claim():
    per_seed = {0: {"A": {"v": 1}, "B": {"w": 2}}, 1: {"A": {"v": 3}, "B": {"w": 4}}}
    assert transients.per_claim(per_seed) == {"A": [{"seed": 0, "v": 1}, {"seed": 1, "v": 3}],
                                             "B": [{"seed": 0, "w": 2}, {"seed": 1, "w": 4}]}


def test_seed_table_keeps_one_claims_scalars_and_shows_accuracies_in_percent():
    per_seed = {s: {"A": {"accuracy, full": 0.5 + s / 10, "units": 3 + s, "per layer": [1.0, 2.0]},
                    "B": {"other": 1}} for s in (0, 2)}
    table = transients.seed_table(per_seed, "A")
    assert list(table.columns) == ["seed", "accuracy, full (%)", "units"]
    assert table["seed"].tolist() == [0, 2] and table["units"].tolist() == [3, 5]
    assert np.allclose(table["accuracy, full (%)"], [50.0, 70.0])
    assert table["units"].dtype.kind == "i"  # counts stay integers beside floats
