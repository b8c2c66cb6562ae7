"""The functions behind the figures and the explorer (not the sliders)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from pathlib import Path

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


def test_phase_portraits_legend_names_every_stability_of_every_panel():
    systems = {"cooperation": np.array([[0.5, 1.5], [1.5, 0.5]]),
               "competition": np.array([[0.5, -1.5], [-1.5, 0.5]])}
    fig = figures.phase_portraits(systems, np.array([0.2, 0.1]))
    shown = {text.get_text() for text in fig.legends[0].get_texts()}
    expected = {p.stability for W in systems.values() for p in dynamics.fixed_points(W)}
    assert shown == expected | {"trajectory"}


def test_phase_portrait_refuses_other_sizes():
    with pytest.raises(ValueError, match="N = 2"):
        figures.phase_portrait(np.eye(3))


def test_explorer_is_not_created_headless():
    assert widgets.phase_explorer(live=False) == widgets.live_only()


def test_explorer_sliders_start_at_the_default():
    explorer = widgets.phase_explorer(w12=-1.0)
    values = {child.description: child.value for child in explorer.children if hasattr(child, "min")}
    assert values == widgets.PHASE_DEFAULT | {"w12": -1.0}


def test_noise_view_draws_the_noise_every_model_sees_and_the_chosen_level():
    import pandas as pd
    import torch

    from resdyn_utils.robustness import add_noise

    image = np.linspace(0, 1, 784).astype(np.float32)
    evolution = pd.DataFrame([{"net": m, "run": 0, "sigma": s, "layer": t, "x": s * (t + 1)}
                              for m in ("a", "b") for s in (0.1, 0.3) for t in range(4)])
    fig = widgets.noise_view(image, evolution, 0.3, seed=5)
    shown = fig.axes[1].images[0].get_array()
    expected = add_noise(torch.as_tensor(image)[None], 0.3, 5, clamp=True)[0].numpy().reshape(28, 28)
    np.testing.assert_allclose(shown, expected)
    curves = [line.get_ydata() for line in fig.axes[2].lines if len(line.get_ydata()) == 4]
    assert any(np.allclose(c, 0.3 * np.arange(1, 5)) for c in curves)  # the sigma = 0.3 rows, not 0.1
    with pytest.raises(ValueError, match="no noise evolution"):
        widgets.noise_view(image, evolution, 0.2, seed=5)
    assert widgets.noise_explorer(image, evolution, 5, live=False) == widgets.live_only()


def test_neuron_view_draws_every_class_and_thickens_the_chosen_one():
    y_mean = np.random.default_rng(0).random((3, 5, 4))  # classes, layers, units
    x_mean = np.cumsum(np.concatenate([np.zeros((3, 1, 4)), y_mean], axis=1), axis=1)
    fig = figures.neuron_by_class(y_mean, x_mean, units=[2], highlight=[1])
    top, bottom = fig.axes[0], fig.axes[1]
    assert len(top.lines) == len(bottom.lines) == 3
    np.testing.assert_allclose(top.lines[1].get_ydata(), y_mean[1, :, 2])
    np.testing.assert_allclose(bottom.lines[2].get_ydata(), x_mean[2, :, 2])
    widths = [line.get_linewidth() for line in top.lines]
    assert widths[1] > widths[0] == widths[2]
    assert widgets.neuron_explorer(y_mean, x_mean, live=False) == widgets.live_only()


def test_depth_view_draws_the_recorded_depths_of_the_chosen_threshold():
    recorded = {0.01: {0: [15, 14, 13], 1: [15, 15, 14]}, 0.1: {0: [15, 10, 5], 1: [15, 9, 4]}}
    fig = figures.recorded_depths(recorded, 0.1)
    lines = fig.axes[0].lines
    assert [list(line.get_ydata()) for line in lines] == [[15, 10, 5], [15, 9, 4]]
    assert widgets.depth_explorer(recorded, live=False) == widgets.live_only()
    explorer = widgets.depth_explorer(recorded)
    assert explorer.children[0].options == (0.01, 0.1)


def test_learning_curves_draw_each_run_and_say_when_none_was_recorded():
    import pandas as pd

    frame = pd.DataFrame({"run": ["a"] * 3 + ["b"] * 3, "epoch": [1, 2, 3] * 2, "err": [3, 2, 1, 4, 3, 2]})
    ax = figures.learning_curves(frame, "err", hue="run", reference=1.4).axes[0]
    curves = [list(line.get_ydata()) for line in ax.lines if len(line.get_ydata()) == 3]
    assert [3, 2, 1] in curves and [4, 3, 2] in curves
    assert any(list(line.get_ydata()) == [1.4, 1.4] for line in ax.lines)
    empty = figures.learning_curves(None, "err").axes[0]
    assert [t.get_text() for t in empty.texts] == ["no recorded runs"]


def test_by_model_labels_the_y_axis_with_a_real_name():
    import pandas as pd

    frame = pd.DataFrame({"net": ["a", "a", "b", "b"], "layer": [1, 2, 1, 2], "x": [1.0, 2.0, 1.5, 2.5]})
    assert figures.by_model(frame, "layer", "x", "t").axes[0].get_ylabel() == "x"
    fig = figures.by_model(frame, "layer", "x", "t", ylabel="relative change of x(t)")
    assert fig.axes[0].get_ylabel() == "relative change of x(t)"


def test_robustness_panels_share_one_legend_below_them_with_every_net():
    import pandas as pd

    nets = ["ResNet, shared W", "ResNet, variable W", "MLP, 1 layer (best)"]
    table = pd.DataFrame([{"net": n, "run": 0, "layer": k, "size": "||delta|| = 8",
                           "accuracy drop": 0.1 * k, "logit change": 1.0 + k}
                          for n in nets for k in range(4)])
    fig = figures.layer_perturbation(table)
    assert all(ax.get_legend() is None for ax in fig.axes)
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == nets
    renderer = fig.canvas.get_renderer()
    below = min(ax.get_tightbbox(renderer).y0 for ax in fig.axes)  # tick and axis labels included
    assert legend.get_window_extent(renderer).y1 <= below
    assert [ax.get_ylabel() for ax in fig.axes] == ["accuracy drop", "logit change"]
    assert fig.get_figwidth() <= figures.PAGE_WIDTH


def test_learning_curves_default_to_the_net_column_and_still_read_model():
    import pandas as pd

    frame = pd.DataFrame({"net": ["a"] * 2 + ["b"] * 2, "epoch": [1, 2] * 2, "test_error": [0.3, 0.2, 0.4, 0.1]})
    for column in ("net", "model"):
        ax = figures.learning_curves(frame.rename(columns={"net": column})).axes[0]
        assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b"]


def test_headless_note_links_the_chapter_on_colab(monkeypatch):
    from resdyn_utils.book import chapter_colab_url

    url = chapter_colab_url(Path(__file__).resolve().parents[1], "book/theory.ipynb")
    monkeypatch.setenv(widgets.COLAB_URL_ENV, url)
    note = widgets.phase_explorer(live=False)
    assert isinstance(note, widgets.LiveOnly)
    page = note._repr_html_()
    assert 'class="admonition note"' in page
    assert "colab.research.google.com/github/" in page and "/blob/main/book/theory.ipynb" in page
    assert "'" not in repr(note)  # no quoted Python string in the fallback
    monkeypatch.delenv(widgets.COLAB_URL_ENV)
    assert widgets.live_only().colab_url is None


def test_figures_fit_the_text_column():
    """Every figure of the book is at most PAGE_WIDTH wide, and Fig. 4 is a grid."""
    rng = np.random.default_rng(0)
    y_mean, x_mean = rng.random((10, 15, 20)), rng.random((10, 16, 20))
    fig = figures.neuron_by_class(y_mean, x_mean, list(range(10)))
    width, height = fig.get_size_inches()
    assert width <= figures.PAGE_WIDTH and height > 0.6 * width  # a grid, not ten panels in a row
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == 20 and len({round(ax.get_position().y0, 3) for ax in visible}) == 4


def test_verdict_tally_legend_names_every_verdict_drawn_the_quick_colour_included():
    import pandas as pd

    card = pd.DataFrame({"experiment": ["E1", "E1", "E2"], "kind": ["paper claim"] * 3,
                         "verdict": ["quick profile: not a reproduction", "not testable",
                                     "quick profile: not a reproduction"]})
    fig = figures.verdict_counts(card)
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == ["not testable", "quick profile: not a reproduction"]
    quick = legend.legend_handles[1].get_facecolor()
    assert quick == pytest.approx(matplotlib.colors.to_rgba(figures.VERDICT_COLORS["quick profile: not a reproduction"]))


def test_a_net_has_the_same_colour_in_every_figure():
    from resdyn_utils.models import KIND_LABELS

    few = figures.net_colors([KIND_LABELS["mlp"], "MLP, 1 layer (best)"])
    many = figures.net_colors(list(KIND_LABELS.values()) + ["MLP, 1 layer (best)"])
    assert few == many and len(set(many.values())) == 4


def test_learning_curves_read_plainly():
    """Percent ticks as plain numbers, whole epochs, the 1.4% line inside the axes, and a
    band announced only where several seeds make one."""
    import pandas as pd

    one = pd.DataFrame({"epoch": [1, 2, 3], "net": ["ResNet, shared W"] * 3, "test error %": [5.0, 3.0, 2.0]})
    fig = figures.learning_curves(one, "test error %", reference=1.4)
    ax = fig.axes[0]
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert labels and not any("10^" in t or "times" in t or "×" in t for t in labels)
    assert ax.get_ylim()[0] < 1.4 < ax.get_ylim()[1]
    assert all(float(t).is_integer() for t in ax.get_xticks())
    assert "band" not in ax.get_title()
    two = pd.concat([one, one.assign(**{"test error %": one["test error %"] + 0.5})])
    assert "band" in figures.learning_curves(two, "test error %").axes[0].get_title()
