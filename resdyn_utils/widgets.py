"""Interactive explorers (ipywidgets). Each wraps a figure function of
:mod:`resdyn_utils.figures`, which is what the tests exercise; in the rendered book
the chapter draws that function's static default next to the explorer."""

from __future__ import annotations

import html
import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import figures
from .paths import COLAB_URL_ENV

#: Default of the N = 2 explorer: a predator-prey pair (unit 2 feeds on unit 1).
PHASE_DEFAULT = {"w11": 0.5, "w12": -2.0, "w21": 2.0, "w22": -0.5, "y1": 0.2, "y2": 0.1}


@dataclass(frozen=True)
class LiveOnly:
    """What an explorer shows where no live kernel is (the rendered book): a note that
    the explorer needs one, with a link that opens the chapter on Colab (where known)."""

    colab_url: str | None = None

    @property
    def text(self) -> str:
        return "The interactive explorer runs in a live notebook: open this chapter on Colab" + (
            f" ({self.colab_url})" if self.colab_url else "") + " or in Jupyter and run it."

    def __repr__(self) -> str:
        return self.text

    def _repr_html_(self) -> str:
        link = (f'<a href="{html.escape(self.colab_url)}">open this chapter on Colab</a>' if self.colab_url
                else "open this chapter on Colab")
        return ('<div class="admonition note"><p class="admonition-title">Note</p>'
                f"<p>The interactive explorer runs in a live notebook: {link} (or in Jupyter) and run it. "
                "The figure above is its default view.</p></div>")


def live_only() -> LiveOnly:
    """The note for the notebook the book runner is executing (its environment gives the
    notebook's Colab address)."""
    return LiveOnly(os.environ.get(COLAB_URL_ENV) or None)


def phase_explorer(live: bool = True, **defaults: float):
    """Sliders for W (2x2) and the initial residual, redrawing the phase portrait of eq. 3.

    With ``live=False`` (headless execution by the book runner, which injects
    ``interactive = False``) no widget is created, since widget comms can stall a
    headless kernel client; a :class:`LiveOnly` note is returned instead.
    """
    if not live:
        return live_only()
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    values = PHASE_DEFAULT | defaults

    def draw(w11: float, w12: float, w21: float, w22: float, y1: float, y2: float) -> None:
        figures.phase_portrait(np.array([[w11, w12], [w21, w22]]), np.array([y1, y2]))
        plt.show()

    weight = lambda v: widgets.FloatSlider(value=v, min=-4, max=4, step=0.1)  # noqa: E731
    start = lambda v: widgets.FloatSlider(value=v, min=0.01, max=0.99, step=0.01)  # noqa: E731
    return widgets.interactive(
        draw, **{k: (weight if k.startswith("w") else start)(v) for k, v in values.items()}
    )


def neuron_explorer(y_mean: np.ndarray, x_mean: np.ndarray, live: bool = True):
    """Pick a class, a unit and a layer range; draws the class-mean residual and activation
    of that unit for every class (the chosen class thick). Arrays as in
    :func:`resdyn_utils.figures.neuron_by_class`."""
    if not live:
        return live_only()
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    n_classes, depth, width = y_mean.shape

    def draw(cls: int, unit: int, layers: tuple[int, int]) -> None:
        figures.neuron_by_class(y_mean, x_mean, [unit], [cls], layers=layers)
        plt.show()

    return widgets.interactive(
        draw,
        cls=widgets.Dropdown(options=list(range(n_classes)), value=0, description="class"),
        unit=widgets.IntSlider(value=0, min=0, max=width - 1, description="unit"),
        layers=widgets.IntRangeSlider(value=(0, depth), min=0, max=depth, description="layers"),
    )


def depth_explorer(recorded: dict[float, dict[int, list[int]]], live: bool = True):
    """Pick a threshold of the recorded adaptive-depth runs; draws depth per epoch."""
    if not live:
        return live_only()
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    def draw(threshold: float) -> None:
        figures.recorded_depths(recorded, threshold)
        plt.show()

    options = sorted(recorded)
    return widgets.interactive(draw, threshold=widgets.SelectionSlider(options=options, value=options[len(options) // 2]))


def noise_view(image: np.ndarray, evolution: pd.DataFrame, sigma: float, seed: int):
    """The noise explorer's figure at one ``sigma``: ``image`` (784,) with the noise every
    model sees (:func:`resdyn_utils.robustness.add_noise`, clamped), and the rows of the
    precomputed ``evolution`` (a ``sigma`` column) at that level."""
    import torch

    from .robustness import add_noise

    rows = evolution[np.isclose(evolution["sigma"], sigma)]
    if rows.empty:
        raise ValueError(f"no noise evolution was computed at sigma = {sigma}; "
                         f"available: {sorted(evolution['sigma'].unique())}")
    noisy = add_noise(torch.as_tensor(image)[None], sigma, seed, clamp=True)[0].numpy()
    return figures.noisy_digit(image, noisy, rows, sigma)


def noise_explorer(image: np.ndarray, evolution: pd.DataFrame, seed: int, live: bool = True):
    """A slider over the noise levels of ``evolution``: the noisy digit and the per-layer
    noise of each model (see :func:`noise_view`)."""
    if not live:
        return live_only()
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    def draw(sigma: float) -> None:
        noise_view(image, evolution, sigma, seed)
        plt.show()

    levels = sorted(evolution["sigma"].unique())
    return widgets.interactive(draw, sigma=widgets.SelectionSlider(options=levels, value=levels[len(levels) // 2]))
