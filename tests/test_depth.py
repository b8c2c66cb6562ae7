"""The adaptive-depth component on hand-built nets whose answers are known."""

from __future__ import annotations

import math

import pytest
import torch

from resdyn_utils.depth import AdaptiveDepth, DepthController, last_layer_measure
from resdyn_utils.experiments import circles_config
from resdyn_utils.models import ModelConfig, ResidualNet
from resdyn_utils.profiles import get_profile
from resdyn_utils.training import fit


def constant_residual_net(biases: list[float], weights: str = "variable") -> ResidualNet:
    """W(t) = 0, so y(t) = sigmoid(b(t)) whatever the input."""
    net = ResidualNet(ModelConfig(2, 2, len(biases), 2, weights))
    with torch.no_grad():
        for t, b in enumerate(biases, start=1):
            net.layer(t).weight.zero_()
            net.layer(t).bias.fill_(b)
    return net


def epochs(controller, net, n):
    logs = [{} for _ in range(n)]
    for log in logs:
        controller(net, log)
    return logs


def test_removes_identical_last_layers_and_stops_at_the_right_one():
    # layers 1..4 have distinct residuals; layers 5..9 repeat layer 4 exactly
    net = constant_residual_net([-2.0, -1.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0])
    controller = DepthController(AdaptiveDepth(0.01), torch.rand(16, 2))
    logs = epochs(controller, net, 7)
    assert net.depth == 4 and len(net.layers) == 4
    assert [r["removed"] for r in logs] == [1, 1, 1, 1, 1, 0, 0]  # one layer per epoch
    assert logs[-1]["depth_measure"] == pytest.approx(torch.sigmoid(torch.tensor(1.0)) - torch.sigmoid(torch.tensor(0.0)))


def test_unlimited_removals_cut_all_repeats_in_one_epoch():
    net = constant_residual_net([-2.0, -1.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0])
    logs = epochs(DepthController(AdaptiveDepth(0.01, max_removals=None), torch.rand(16, 2)), net, 2)
    assert net.depth == 4 and [r["removed"] for r in logs] == [5, 0]


def test_a_net_whose_residuals_keep_changing_keeps_every_layer():
    net = constant_residual_net([-3.0, -2.0, -1.0, 0.0, 1.0, 2.0])
    logs = epochs(DepthController(AdaptiveDepth(0.01), torch.rand(8, 2)), net, 4)
    assert net.depth == 6 and all(r["removed"] == 0 for r in logs)


def test_shared_weights_converged_net_shrinks_to_min_depth():
    net = constant_residual_net([0.5] * 7, weights="shared")  # every y(t) identical
    epochs(DepthController(AdaptiveDepth(0.01, min_depth=2), torch.rand(8, 2)), net, 9)
    assert net.depth == 2
    assert net.trajectory(torch.rand(3, 2)).depth == 2


def test_removed_layers_leave_parameters_and_forward_pass():
    net = constant_residual_net([0.0, 1.0, 1.0, 1.0])
    n_before = sum(p.numel() for p in net.parameters())
    epochs(DepthController(AdaptiveDepth(0.01), torch.rand(4, 2)), net, 3)
    assert net.depth == 2
    assert sum(p.numel() for p in net.parameters()) == n_before - 2 * (2 * 2 + 2)
    assert net.trajectory(torch.rand(3, 2)).y.shape[0] == 2
    with pytest.raises(ValueError):
        net(torch.rand(3, 2), depth=3)


def test_last_epoch_is_measured_but_never_cut():
    net = constant_residual_net([1.0, 1.0, 1.0])
    log = {"last_epoch": True}
    DepthController(AdaptiveDepth(0.01), torch.rand(4, 2))(net, log)
    assert net.depth == 3 and log["removed"] == 0 and log["depth_measure"] == 0.0


def test_magnitude_criterion_reads_the_last_residual():
    net = constant_residual_net([0.0, -8.0])  # y(2) = sigmoid(-8) = 3.4e-4
    assert last_layer_measure(net, torch.rand(4, 2), "magnitude") == pytest.approx(float(torch.sigmoid(torch.tensor(-8.0))))
    epochs(DepthController(AdaptiveDepth(0.01, criterion="magnitude"), torch.rand(4, 2)), net, 1)
    assert net.depth == 1


@pytest.mark.parametrize("bad", [0, -0.01, math.nan, math.inf, "0.01", None, True])
def test_bad_thresholds_are_refused(bad):
    with pytest.raises(ValueError, match="positive number"):
        AdaptiveDepth(bad)


def test_training_logs_depth_per_epoch_and_never_goes_below_one():
    cfg = circles_config("shared", get_profile("quick"), 0).replace(epochs=20, adaptive_depth=AdaptiveDepth(0.5))
    trained = fit(cfg, progress=False)
    depths = [h["depth"] for h in trained.history]
    assert len(depths) == 20 and all(d >= 1 for d in depths)
    assert depths == sorted(depths, reverse=True) and depths[-1] < 15  # a huge threshold cuts layers
    assert trained.model.depth == depths[-1] == depths[-2]  # nothing is cut after the last epoch
