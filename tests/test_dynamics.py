"""Eq. 3 of the paper: vector field, Jacobian, integration, fixed points, stability."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from resdyn_utils import dynamics
from resdyn_utils.models import ModelConfig, ResidualNet


def test_jacobian_matches_finite_differences():
    rng = np.random.default_rng(0)
    W = rng.normal(size=(4, 4))
    y = rng.uniform(0.05, 0.95, size=4)
    eps = 1e-6
    numeric = np.stack(
        [(dynamics.vector_field(y + eps * e, W) - dynamics.vector_field(y - eps * e, W)) / (2 * eps) for e in np.eye(4)],
        axis=1,
    )
    np.testing.assert_allclose(dynamics.jacobian(y, W), numeric, atol=1e-7)


def test_every_enumerated_fixed_point_zeroes_the_field():
    rng = np.random.default_rng(1)
    W = rng.normal(size=(3, 3))
    points = dynamics.fixed_points(W)
    # the 8 corners of the cube are always fixed points
    corners = {tuple(p.y) for p in points if set(p.y) <= {0.0, 1.0}}
    assert len(corners) == 8
    for p in points:
        assert np.max(np.abs(dynamics.vector_field(p.y, W))) < 1e-10
        assert np.all((p.y >= 0) & (p.y <= 1))


def test_line_of_fixed_points_is_skipped_not_mis_solved():
    # rows summing to zero: every y1 = y2 is a fixed point (W_FF singular)
    W = np.array([[-1.0, 1.0], [1.0, -1.0]])
    ys = [tuple(np.round(p.y, 6)) for p in dynamics.fixed_points(W)]
    assert sorted(ys) == [(0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0)]


@pytest.mark.parametrize(
    "diag, expected",
    [((1.0, 1.0), "stable"), ((-1.0, -1.0), "unstable"), ((1.0, -1.0), "saddle")],
)
def test_stability_labels_at_corner_with_diagonal_W(diag, expected):
    # At y = (1, 1) the Jacobian is diag(-(W y)_i) = diag(-w_ii): self-excitation makes
    # y_i = 1 attracting, self-inhibition repelling.
    assert dynamics.analyse_point(np.ones(2), np.diag(diag)).stability == expected


def test_stability_of_the_origin_is_non_hyperbolic():
    # J(0) = 0 for every W: the origin is never hyperbolic
    assert dynamics.analyse_point(np.zeros(2), np.array([[1.0, 2.0], [3.0, 4.0]])).stability == "non-hyperbolic"


def test_classify_known_spectra():
    assert dynamics.classify(np.array([-1.0, -0.5])) == "stable"
    assert dynamics.classify(np.array([1.0, 0.5])) == "unstable"
    assert dynamics.classify(np.array([1.0, -0.5])) == "saddle"
    assert dynamics.classify(np.array([-1 + 2j, -1 - 2j])) == "stable"
    assert dynamics.classify(np.array([0.0, -1.0])) == "non-hyperbolic"


def test_face_fixed_point_and_its_eigenvalues():
    W = np.array([[-2.0, 1.0], [0.0, 1.0]])
    # on the face y2 = 1: (W y)_1 = -2 y1 + 1 = 0, so y1 = 0.5
    fps = {tuple(np.round(p.y, 6)): p for p in dynamics.fixed_points(W)}
    p = fps[(0.5, 1.0)]
    # J = [[0.25 * -2, 0.25 * 1], [0, -(W y)_2]] = [[-0.5, 0.25], [0, -1]]
    np.testing.assert_allclose(np.sort(np.real(p.eigenvalues)), [-1.0, -0.5])
    assert p.stability == "stable"


def test_diagonal_W_matches_closed_form():
    # W = diag(a): each unit obeys dy/dt = a y^2 (1 - y), solved by
    # G(y(t)) = G(y0) + a t with G(y) = ln(y / (1 - y)) - 1 / y.
    a = np.array([0.8, -0.5])
    y0 = np.array([0.2, 0.7])
    t, y = dynamics.integrate(y0, np.diag(a), 12.0)
    G = lambda v: np.log(v / (1 - v)) - 1 / v  # noqa: E731
    np.testing.assert_allclose(G(y), G(y0) + np.outer(t, a), rtol=1e-6, atol=1e-6)


def test_constant_drive_gives_the_logistic_curve():
    # y2 = 1 is an invariant face; with (W y)_1 = r y2 the first unit is logistic.
    r = 0.7
    W = np.array([[0.0, r], [0.0, 0.0]])
    y0 = np.array([0.1, 1.0])
    t, y = dynamics.integrate(y0, W, 10.0)
    logistic = 1.0 / (1.0 + (1.0 / y0[0] - 1.0) * np.exp(-r * t))
    np.testing.assert_allclose(y[:, 0], logistic, rtol=1e-6)
    np.testing.assert_allclose(y[:, 1], 1.0)


def test_unroll_until_settled_reaches_a_fixed_point_of_the_network():
    torch.manual_seed(0)
    net = ResidualNet(ModelConfig(3, 3, 5, 2, "shared", bias_init=-1.0))
    settled = dynamics.unroll_until_settled(net, torch.rand(8, 3), tol=1e-7, max_layers=200_000)
    assert settled.converged
    x_next, y_next = net.step(settled.x, 1)
    assert torch.allclose(y_next, settled.y, atol=1e-6)


def test_unroll_refuses_variable_weights():
    net = ResidualNet(ModelConfig(3, 3, 5, 2, "variable"))
    with pytest.raises(ValueError, match="shared"):
        dynamics.unroll_until_settled(net, torch.rand(2, 3))


def test_exact_step_reproduces_a_shared_network():
    torch.manual_seed(2)
    net = ResidualNet(ModelConfig(4, 4, 6, 2, "shared", w_std=1.5, bias_init=-1.0))
    traj = net.trajectory(torch.rand(5, 4))
    W = net.weight_matrix().numpy()
    y = traj.y.numpy().astype(float)
    np.testing.assert_allclose(dynamics.exact_step(y[:-1], W), y[1:], atol=1e-5)


def test_first_order_error_is_second_order_in_the_increment():
    rng = np.random.default_rng(3)
    y = rng.uniform(0.2, 0.8, size=(1, 50, 3))
    W = rng.normal(size=(3, 3))
    errs = []
    for scale in (0.1, 0.05):
        y2 = dynamics.exact_step(y, scale * W)
        errs.append(dynamics.first_order_errors(np.concatenate([y, y2]), scale * W)["error"][0])
    # halving W quarters the error: the expansion is exact to first order
    assert 3.5 < errs[0] / errs[1] < 4.5


def test_ode_comparison_is_exact_for_a_network_that_follows_eq3():
    # Build "network" trajectories from the ODE itself: the gap must vanish.
    rng = np.random.default_rng(5)
    W = rng.normal(size=(3, 3))
    y1 = np.array([0.3, 0.6, 0.2])
    _, y = dynamics.integrate(y1, W, 9)
    y = np.repeat(y[:, None, :], 4, axis=1)  # 4 identical samples of class 0
    x0 = np.zeros((1, 4, 3))
    x = np.concatenate([x0, x0 + np.cumsum(y, axis=0)])
    cmp = dynamics.compare_with_ode(x, y, np.zeros(4, int), W)
    assert cmp.y_gap < 1e-6 and cmp.x_gap < 1e-5
    # and a perturbed network shows a gap of the perturbation's size
    cmp2 = dynamics.compare_with_ode(x, y + 0.01, np.zeros(4, int), W)
    assert 0.005 < cmp2.y_gap < 0.05


def test_first_order_ratio_is_small_for_small_weights_and_refuses_variable_nets():
    torch.manual_seed(0)
    net = ResidualNet(ModelConfig(3, 3, 6, 2, "shared", w_std=0.1))
    inputs = torch.rand(20, 3)
    small = dynamics.first_order_ratio(net, inputs)
    with torch.no_grad():
        net.layers[0].weight.mul_(100.0)
    large = dynamics.first_order_ratio(net, inputs)
    assert small.shape == (5,) and small.max() < 0.05 and large.max() > 5 * small.max()
    with pytest.raises(ValueError, match="shared weights only"):
        dynamics.first_order_ratio(ResidualNet(ModelConfig(3, 3, 6, 2, "variable")), inputs)


def test_point_text_rounds_without_negative_zero():
    assert dynamics.point_text(np.array([0.0, -1e-9, 0.98312, 1.0])) == "(0, 0, 0.983, 1)"
    assert dynamics.point_text(np.array([-2.4191, 12.0]), decimals=2) == "(-2.42, 12)"


def test_fixed_point_table_has_one_row_per_point_and_counts_in_words():
    W = np.diag([-1.0, 2.0])  # at a corner, unit i's eigenvalue is (1 - 2 y_i) w_ii y_i
    points = dynamics.fixed_points(W)
    table = dynamics.fixed_point_table(points)
    assert list(table.columns) == ["y*", "stability", "eigenvalues (real part)"]
    assert len(table) == len(points) and set(table["y*"]) >= {"(0, 0)", "(1, 1)"}
    row = table.set_index("y*").loc["(1, 1)"]
    assert row["stability"] == "saddle" and row["eigenvalues (real part)"] == "(1, -2)"
    assert dynamics.describe_stability(points) == "1 saddle and 3 non-hyperbolic"
    assert dynamics.describe_stability([]) == "none"
    point = lambda kind: dynamics.FixedPoint(np.zeros(2), np.zeros(2), kind)  # noqa: E731
    kinds = ["saddle", "stable", "unstable", "saddle"]
    assert dynamics.describe_stability([point(k) for k in kinds]) == "1 stable, 2 saddles and 1 unstable"


def test_matrix_latex_rounds_each_entry_in_its_row():
    latex = dynamics.matrix_latex(np.array([[-2.4191, -1e-7], [1.0, 0.5]]), "W")
    assert latex == r"$$ W = \begin{pmatrix} -2.419 & 0 \\ 1 & 0.5 \end{pmatrix} $$"
