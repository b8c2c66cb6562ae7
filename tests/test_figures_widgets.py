"""The functions behind the figures and the explorer (not the sliders)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from resdyn_utils import dynamics, figures, widgets  # noqa: E402


def test_phase_portrait_marks_every_fixed_point_and_the_trajectory():
    W = np.array([[0.5, -2.0], [2.0, -0.5]])
    fig = figures.phase_portrait(W, np.array([0.2, 0.1]))
    ax = fig.axes[0]
    points = [line for line in ax.lines if line.get_label() in dynamics.STABILITY]
    expected = dynamics.fixed_points(W)
    assert len(points) == len(expected) == 4  # the corners; no edge point for these weights
    assert sorted(p.get_label() for p in points) == sorted(p.stability for p in expected)
    trajectory = next(line for line in ax.lines if line.get_label() == "trajectory")
    xy = trajectory.get_xydata()
    assert np.all((xy >= 0) & (xy <= 1))  # eq. 3 keeps the residuals in the unit square


def test_phase_portrait_refuses_other_sizes():
    with pytest.raises(ValueError, match="N = 2"):
        figures.phase_portrait(np.eye(3))


def test_explorer_is_not_created_headless():
    assert widgets.phase_explorer(live=False) == widgets.LIVE_ONLY


def test_explorer_sliders_start_at_the_default():
    explorer = widgets.phase_explorer(w12=-1.0)
    values = {child.description: child.value for child in explorer.children if hasattr(child, "min")}
    assert values == widgets.PHASE_DEFAULT | {"w12": -1.0}
