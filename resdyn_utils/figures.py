"""Figures of the book (seaborn/matplotlib). Each function draws one idea and
returns its :class:`matplotlib.figure.Figure`."""

from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from . import dynamics

sns.set_theme(context="notebook", style="whitegrid", rc={"legend.fontsize": 9, "legend.title_fontsize": 9})

#: Width of a figure, in inches, that fits the book's text column (688 px) at 1:1:
#: figures are drawn as SVG (see :func:`for_the_page`), 96 px per inch in the browser.
PAGE_WIDTH = 7.0


def for_the_page() -> None:
    """Draw the notebook's figures as SVG: sharp at any zoom and shown at their natural
    size, since every figure of this module is at most :data:`PAGE_WIDTH` wide. Outside
    IPython (tests, scripts) this does nothing."""
    try:
        from IPython import get_ipython
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:  # pragma: no cover - IPython ships with the book's environment
        return
    if get_ipython() is not None:
        set_matplotlib_formats("svg")


for_the_page()

STABILITY_MARKERS = {"stable": ("o", "black"), "saddle": ("X", "tab:orange"),
                     "unstable": ("s", "white"), "non-hyperbolic": ("D", "tab:gray")}


def learning_curves(histories: pd.DataFrame | None, metric: str = "test_error", hue: str | None = None,
                    reference: float | None = None):
    """Per-epoch curves, one line per ``hue`` value (mean and spread over seeds), log scale,
    with an optional dashed line at ``reference``.

    ``histories`` has columns ``epoch``, ``hue`` and the metric; ``None`` (recorded runs
    that are missing, e.g. on Colab) draws an empty axis saying so. The default ``hue``
    is the net's display label: the column ``net``, or ``model`` in a frame without one.
    """
    fig, ax = plt.subplots(figsize=(PAGE_WIDTH, 4))
    band = ""
    if histories is None:
        ax.text(0.5, 0.5, "no recorded runs", ha="center", va="center", transform=ax.transAxes)
    else:
        hue = hue or ("net" if "net" in histories else "model")
        palette = net_colors(histories[hue].unique()) if hue in ("net", "model") else None
        sns.lineplot(data=histories, x="epoch", y=metric, hue=hue, marker="o", errorbar=("pi", 100), ax=ax,
                     palette=palette)
        log_axis(ax, "y", histories[metric], reference)
        integer_ticks(ax, "x")
        if histories.groupby([hue, "epoch"]).size().max() > 1:
            band = " (band: min to max over seeds)"
    if reference is not None:
        ax.axhline(reference, color="gray", ls="--", lw=1.2)
    ax.set_ylabel(metric.replace("_", " "))
    ax.set_title(f"{metric.replace('_', ' ')} per epoch{band}")
    fig.tight_layout()
    return fig


def integer_ticks(ax, axis: str = "x") -> None:
    """Whole-number ticks on ``axis`` (epochs, layers, depths)."""
    from matplotlib.ticker import MaxNLocator

    getattr(ax, f"{axis}axis").set_major_locator(MaxNLocator(integer=True))


def log_axis(ax, axis: str, values, reference: float | None = None) -> None:
    """A log scale with plain numbers as tick labels (2, 5, 10, not 2×10⁰), whose range
    leaves room around the data and the ``reference`` line."""
    from matplotlib.ticker import LogLocator, ScalarFormatter

    getattr(ax, f"set_{axis}scale")("log")
    values = pd.Series(values, dtype=float)
    values = values[values > 0]
    subs = (1.0, 2.0, 5.0)
    if len(values):
        low, high = values.min(), values.max()
        if reference is not None and reference > 0:
            low, high = min(low, reference), max(high, reference)
        getattr(ax, f"set_{axis}lim")(low / 1.25, high * 1.25)
        decades = np.log10(high / low) if low > 0 else 3.0
        subs = (1.0, 1.5, 2.0, 3.0, 5.0, 7.0) if decades < 1.3 else subs if decades < 3 else (1.0,)
    scale = getattr(ax, f"{axis}axis")
    scale.set_major_locator(LogLocator(subs=subs))
    scale.set_minor_formatter(plt.NullFormatter())
    formatter = ScalarFormatter()
    formatter.set_scientific(False)
    scale.set_major_formatter(formatter)


def class_trajectories(values: np.ndarray, labels: Sequence[str], title: str, ylabel: str,
                       ode: np.ndarray | None = None, layers: np.ndarray | None = None):
    """Curves per class and unit: ``values`` (classes, T, N), optional ODE overlay (same shape)."""
    n_cls, T, N = values.shape
    layers = np.arange(1, T + 1) if layers is None else layers
    fig, axes = plt.subplots(1, N, figsize=(PAGE_WIDTH, 3.3 if N > 1 else 3.9), sharex=True, squeeze=False)
    palette = sns.color_palette("deep", n_cls)
    for i, ax in enumerate(axes[0]):
        for c in range(n_cls):
            ax.plot(layers, values[c, :, i], "o", ms=4, color=palette[c], label=f"{labels[c]}: network")
            if ode is not None:
                ax.plot(layers, ode[c, :, i], "-", color=palette[c], alpha=0.8, label=f"{labels[c]}: eq. 3")
        ax.set_title(f"unit {i + 1}")
        ax.set_xlabel("layer t")
    axes[0][0].set_ylabel(ylabel)
    handles, names = axes[0][-1].get_legend_handles_labels()  # below the panels, off the data
    fig.legend(handles, names, loc="lower center", ncol=min(len(names), 4), fontsize=8)
    fig.suptitle(title)
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    return fig


def phase_portrait(W: np.ndarray, y0: np.ndarray | None = None, t_max: float = 30.0,
                   grid: int = 21, ax=None):
    """Phase portrait of eq. 3 for N = 2: the flow, the fixed points by stability, a trajectory."""
    W = np.asarray(W, float)
    if W.shape != (2, 2):
        raise ValueError(f"a phase portrait needs N = 2, got W of shape {W.shape}")
    if ax is None:
        fig, ax = plt.subplots(figsize=(4.5, 4.5))
    else:
        fig = ax.figure
    g = np.linspace(0, 1, grid)
    Y1, Y2 = np.meshgrid(g, g)
    flow = dynamics.vector_field(np.stack([Y1.ravel(), Y2.ravel()], 1), W)
    U, V = flow[:, 0].reshape(Y1.shape), flow[:, 1].reshape(Y1.shape)
    speed = np.hypot(U, V)
    ax.streamplot(Y1, Y2, U, V, color=speed, cmap="Blues", density=1.0, linewidth=0.8)
    for fp in dynamics.fixed_points(W):
        marker, color = STABILITY_MARKERS[fp.stability]
        ax.plot(*fp.y, marker=marker, color=color, mec="black", ms=10, ls="none", label=fp.stability,
                clip_on=False, zorder=5)  # corner points whole, above the flow
    if y0 is not None:
        _, traj = dynamics.integrate(np.asarray(y0, float), W, t_max, t_eval=np.linspace(0, t_max, 300))
        ax.plot(traj[:, 0], traj[:, 1], color="tab:red", lw=2, label="trajectory")
        ax.plot(*traj[0], "o", color="tab:red", ms=6)
    handles, names = ax.get_legend_handles_labels()
    unique = dict(zip(names, handles))
    ax.legend(unique.values(), unique.keys(), loc="upper right", fontsize=8, framealpha=0.9)
    ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="$y_1$", ylabel="$y_2$", aspect="equal")
    ax.set_title(f"W = [[{W[0, 0]:.2g}, {W[0, 1]:.2g}], [{W[1, 0]:.2g}, {W[1, 1]:.2g}]]", pad=10)
    fig.tight_layout()
    return fig


def phase_portraits(systems: dict[str, np.ndarray], y0: np.ndarray | None = None):
    """Phase portraits of several N = 2 systems side by side."""
    fig, axes = plt.subplots(1, len(systems), figsize=(PAGE_WIDTH, PAGE_WIDTH / len(systems) + 0.9))
    for ax, (name, W) in zip(np.atleast_1d(axes), systems.items()):
        phase_portrait(W, y0, ax=ax)
        ax.set_title(name, pad=10)  # clear of the markers on the top edge
        ax.get_legend().remove()
    unique = {}  # every stability that occurs in any panel, once
    for ax in np.atleast_1d(axes):
        handles, names = ax.get_legend_handles_labels()
        unique.update({name: handle for name, handle in zip(names, handles) if name not in unique})
    fig.legend(unique.values(), unique.keys(), loc="lower center", ncol=len(unique))
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return fig


def integration(W: np.ndarray, y0: np.ndarray, t_max: float):
    """Each residual of eq. 3 against time, integrated from ``y0``."""
    t, y = dynamics.integrate(y0, W, t_max, t_eval=np.linspace(0, t_max, 400))
    fig, ax = plt.subplots(figsize=(PAGE_WIDTH, 3.5))
    for i in range(y.shape[1]):
        ax.plot(t, y[:, i], label=f"$y_{i + 1}$")
    ax.set(xlabel="time t of the flow (one unit: one layer)", ylabel="residual y(t)", ylim=(-0.02, 1.02),
           title="integration of eq. 3")
    ax.legend()
    fig.tight_layout()
    return fig


def first_order_error(errors: dict[str, np.ndarray]):
    """Per layer: the first-order error of eq. 3's step beside the step and |W y|."""
    t = np.arange(1, len(errors["error"]) + 1)
    fig, ax = plt.subplots(figsize=(PAGE_WIDTH, 3.8))
    ax.semilogy(t, errors["dz"], "s-", label="mean |W y(t)| (increment of z)")
    ax.semilogy(t, errors["step"], "o-", label="mean |y(t+1) - y(t)| (the step)")
    ax.semilogy(t, errors["error"], "^-", label="mean error of the first-order step")
    ax.set(xlabel="layer t", ylabel="mean over units and samples", title="where the first-order step (eq. 3) is accurate")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def spread_by_layer(spread: pd.DataFrame):
    """Lines of a per-layer statistic (index: layer), one per column, log scale."""
    fig, ax = plt.subplots(figsize=(PAGE_WIDTH, 3.8))
    for name in spread.columns:
        ax.semilogy(spread.index, spread[name], "o-", label=name)
    ax.set(xlabel="layer t", ylabel="std across samples", title="spread of the residuals across samples")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def residual_heatmaps(mean: np.ndarray, std: np.ndarray, title: str):
    """Mean and std over samples of every residual (units x layers), side by side."""
    fig, axes = plt.subplots(1, 2, figsize=(PAGE_WIDTH, 3.4))
    layers = np.arange(1, mean.shape[0] + 1)
    for ax, values, name, cmap in ((axes[0], mean, "mean", "viridis"), (axes[1], std, "std", "magma")):
        sns.heatmap(values.T, ax=ax, cmap=cmap, xticklabels=layers, yticklabels=False,
                    cbar_kws={"label": f"{name} of y(t)"}, rasterized=True)  # cells as pixels
        ax.set(xlabel="layer t", ylabel=f"unit (1..{values.shape[1]})", title=f"{name} over samples")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def class_heatmap(values: np.ndarray, title: str, label: str, units: np.ndarray | None = None):
    """A classes x units heatmap (e.g. class means at one layer); ``units`` labels columns."""
    fig, ax = plt.subplots(figsize=(PAGE_WIDTH, 3.2))
    sns.heatmap(values, ax=ax, cmap="viridis", cbar_kws={"label": label}, rasterized=True,
                xticklabels=False if units is None or len(units) > 40 else units)
    ax.set(xlabel="unit" if units is None else f"unit ({len(values[0])} shown)", ylabel="class", title=title)
    fig.tight_layout()
    return fig


def lines(x: np.ndarray, series: dict[str, np.ndarray], xlabel: str, ylabel: str, title: str,
          logx: bool = False, reference: float | None = None, logy: bool = False):
    """A few curves over a shared x axis, optionally with a horizontal reference line."""
    fig, ax = plt.subplots(figsize=(PAGE_WIDTH, 3.8))
    for name, values in series.items():
        ax.plot(x, values, "o-" if len(x) <= 30 else "-", ms=4, label=name)
    if reference is not None:
        ax.axhline(reference, color="gray", ls="--", lw=1)
    if logx:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def neuron_by_class(y_mean: np.ndarray, x_mean: np.ndarray, units: list[int], highlight: list[int] | None = None,
                    layers: tuple[int, int] | None = None):
    """Fig. 4 of the paper: for each panel k, unit ``units[k]``'s class-mean residual and
    activation across layers, the class ``highlight[k]`` drawn thick.

    ``y_mean`` is (C, T, N) and ``x_mean`` (C, T+1, N)."""
    n = len(units)
    highlight = highlight if highlight is not None else list(range(n))
    cols = min(n, 5)
    blocks = -(-n // cols)  # a block is a row of y panels above a row of x panels
    fig, axes = plt.subplots(2 * blocks, cols, figsize=(PAGE_WIDTH, 2.6 * blocks + 0.8), sharex=True,
                             squeeze=False)
    palette = sns.color_palette("tab10", y_mean.shape[0])
    for k in range(blocks * cols):
        top, bottom = axes[2 * (k // cols)][k % cols], axes[2 * (k // cols) + 1][k % cols]
        if k >= n:
            top.set_visible(False)
            bottom.set_visible(False)
            continue
        unit = units[k]
        for c in range(y_mean.shape[0]):
            lw = 2.5 if c == highlight[k] else 0.8
            top.plot(np.arange(1, y_mean.shape[1] + 1), y_mean[c, :, unit], color=palette[c], lw=lw)
            bottom.plot(np.arange(0, x_mean.shape[1]), x_mean[c, :, unit], color=palette[c], lw=lw, label=str(c))
        top.set_title(f"class {highlight[k]}: unit {unit}", fontsize=9)
        for ax in (top, bottom):
            ax.tick_params(labelsize=8)
        if k % cols == 0:
            top.set_ylabel("mean y(t)", fontsize=9)
            bottom.set_ylabel("mean x(t)", fontsize=9)
        if k // cols == blocks - 1:
            bottom.set_xlabel("layer t", fontsize=9)
    if layers is not None:
        axes[0][0].set_xlim(*layers)
    handles, names = axes[1][0].get_legend_handles_labels()
    fig.legend(handles, names, title="class (thick: the panel's class)", ncol=10, loc="lower center", fontsize=8)
    fig.tight_layout(rect=(0, 0.09 / blocks, 1, 1))
    return fig


def depth_trajectories(curves: pd.DataFrame):
    """Depth after each epoch (columns ``run``, ``net``, ``epoch``, ``depth``)."""
    fig, ax = plt.subplots(figsize=(PAGE_WIDTH, 3.8))
    sns.lineplot(data=curves, x="epoch", y="depth", hue="net", units="run", estimator=None, lw=1.2, ax=ax)
    ax.set(title="depth during training (one line per seed)", ylim=(0, curves["depth"].max() + 1))
    fig.tight_layout()
    return fig


def threshold_sweep(sweep: pd.DataFrame):
    """Final depth and test accuracy against the threshold (columns ``threshold``,
    ``final depth``, ``test accuracy``; one point per seed)."""
    fig, axes = plt.subplots(1, 2, figsize=(PAGE_WIDTH, 3.2))
    thresholds = sorted(sweep["threshold"].unique())
    for ax, col in zip(axes, ("final depth", "test accuracy")):
        sns.lineplot(data=sweep, x="threshold", y=col, marker="o", errorbar=("pi", 100), ax=ax)
        ax.set_xscale("log")
        ax.set_xticks(thresholds, [f"{t:g}" for t in thresholds])  # the thresholds tried, no minor labels
        ax.minorticks_off()
    fig.suptitle("adaptive depth: the threshold sets the final depth")
    fig.tight_layout()
    return fig


def recorded_depths(recorded: dict[float, dict[int, list[int]]], threshold: float):
    """Depth per epoch of the recorded runs at one threshold, one line per seed."""
    fig, ax = plt.subplots(figsize=(PAGE_WIDTH, 3.5))
    for s, depths in recorded[threshold].items():
        ax.plot(np.arange(1, len(depths) + 1), depths, label=f"seed {s}")
    ax.set(xlabel="epoch", ylabel="depth", title=f"threshold {threshold}", ylim=(0, 16))
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- robustness


def legend_below(fig, axes, titles: Sequence[str] = ("net", "source")) -> None:
    """One legend for the whole figure, below its panels, in as many columns as fit the
    page: the entries of every panel's legend, each once, without seaborn's section
    ``titles`` (the panels keep no legend)."""
    entries: dict[str, object] = {}
    for ax in np.atleast_1d(axes):
        legend = ax.get_legend()
        if legend is None:
            continue
        for handle, text in zip(legend.legend_handles, legend.get_texts()):
            if text.get_text() not in titles:
                entries.setdefault(text.get_text(), handle)
        legend.remove()
    if not entries:
        fig.tight_layout()
        return
    column = 0.6 + 0.075 * max(len(label) for label in entries)  # inches, at 9 pt
    rows = -(-len(entries) // max(1, int(0.95 * PAGE_WIDTH // column)))
    ncol = -(-len(entries) // rows)  # filled column by column: balanced rows
    fig.legend(entries.values(), entries.keys(), loc="lower center", ncol=ncol, frameon=False)
    fig.tight_layout(rect=(0, (0.24 * rows + 0.06) / fig.get_figheight(), 1, 1))


def net_colors(labels) -> dict[str, tuple]:
    """One colour per net, the same in every figure: the three kinds of
    :data:`~resdyn_utils.models.KIND_LABELS` first, in that order, then any other net
    (e.g. the best MLP) in order of its label."""
    from .models import KIND_LABELS

    known = list(KIND_LABELS.values())
    others = sorted(set(labels) - set(known))
    colours = sns.color_palette("deep", len(known) + len(others))
    return {label: colours[i] for i, label in enumerate(known + others)}


def by_model(frame: pd.DataFrame, x: str, y: str, title: str, ax=None, logy: bool = False,
             style: str | None = None, ylabel: str | None = None, hue: str = "net",
             xlabel: str | None = None):
    """One line per net (the column ``hue``; mean over runs, band from min to max);
    returns the figure. The axes are labelled ``xlabel`` and ``ylabel`` (default: the
    column names ``x`` and ``y``). Drawn on its own figure, the legend sits below the axes; drawn on a panel
    (``ax``), the panel keeps its legend for :func:`legend_below`."""
    own = ax is None
    if own:
        fig, ax = plt.subplots(figsize=(PAGE_WIDTH, 3.8))
    else:
        fig = ax.figure
    palette = net_colors(frame[hue].unique()) if hue == "net" else None
    sns.lineplot(data=frame, x=x, y=y, hue=hue, style=style, marker="o", ms=4,
                 errorbar=("pi", 100), ax=ax, palette=palette)
    if logy:
        ax.set_yscale("log")
    if x in ("layer", "epoch", "depth"):
        integer_ticks(ax, "x")
    ax.set_title(title)
    ax.set_xlabel(xlabel or x)
    ax.set_ylabel(ylabel or y)
    if own:
        legend_below(fig, [ax])
    return fig


def step_rates(rates: pd.DataFrame | None):
    """Horizontal bars: the GFLOP/s of each training step beside those of the bare GEMMs
    of its precision timed right after it. ``rates`` has columns ``step``, ``measured``
    and ``GFLOP/s`` (:func:`resdyn_utils.recorded.step_rates`); ``None`` (no recorded
    run, e.g. on Colab) draws an empty axis saying so."""
    fig, ax = plt.subplots(figsize=(PAGE_WIDTH, 3.8))
    if rates is None:
        ax.text(0.5, 0.5, "no recorded runs", ha="center", va="center", transform=ax.transAxes)
    else:
        sns.barplot(data=rates, y="step", x="GFLOP/s", hue="measured", orient="h", ax=ax)
        ax.legend(fontsize=8, ncol=2, loc="lower left", bbox_to_anchor=(0, 1), frameon=False)
    ax.set(xlabel="GFLOP/s (matmul work per second)", ylabel="")
    fig.tight_layout()
    return fig


def noise_accuracy(sweep: pd.DataFrame, reference: Sequence[float] = ()):
    """Accuracy against the noise level, unclamped and clamped side by side; dotted lines
    mark the ``reference`` levels."""
    fig, axes = plt.subplots(1, 2, figsize=(PAGE_WIDTH, 3.4), sharey=True)
    for ax, clamped in zip(axes, (False, True)):
        by_model(sweep[sweep["clamped"] == clamped], "sigma", "accuracy",
                 "clamped to [0, 1]" if clamped else "not clamped", ax=ax, ylabel="test accuracy")
        for s in reference:
            ax.axvline(s, color="gray", ls=":", lw=1)
        ax.set_xlabel("noise sigma (pixel scale [0, 1])")
    fig.suptitle("test accuracy under Gaussian input noise")
    legend_below(fig, axes)
    return fig


def noise_evolution(evolution: pd.DataFrame, sigma: float):
    """Relative change of x(t) and of y(t) per layer; eq. 3's linear prediction dashed."""
    fig, axes = plt.subplots(1, 2, figsize=(PAGE_WIDTH, 3.4))
    by_model(evolution, "layer", "x", "in x(t): ||x_noisy - x|| / ||x||", ax=axes[0], logy=True,
             ylabel="relative change of x(t)")
    residual = evolution.melt(id_vars=["net", "run", "layer"], value_vars=[c for c in ("y", "y, eq. 3") if c in evolution],
                              var_name="source", value_name="relative change").dropna()
    by_model(residual, "layer", "relative change", "in y(t) (dashed: linearised eq. 3)", ax=axes[1], logy=True,
             style="source", ylabel="relative change of y(t)")
    fig.suptitle(f"how input noise of sigma = {sigma:.3g} evolves through the layers")
    legend_below(fig, axes)
    return fig


def layer_perturbation(table: pd.DataFrame):
    """Accuracy drop and logit change against the layer k whose x(k) is perturbed."""
    fig, axes = plt.subplots(1, 2, figsize=(PAGE_WIDTH, 3.4))
    by_model(table, "layer", "accuracy drop", "accuracy drop", ax=axes[0])
    by_model(table, "layer", "logit change", "relative change of the logits", ax=axes[1], logy=True,
             ylabel="logit change")
    for ax in axes:
        ax.set_xlabel("perturbed layer k (0: input)")
    fig.suptitle(f"one fixed-size perturbation at x(k): {table['size'].iloc[0]}")
    legend_below(fig, axes)
    return fig


def noisy_digit(clean: np.ndarray, noisy: np.ndarray, evolution: pd.DataFrame, sigma: float):
    """The widget's view: a digit with and without noise, and the noise in x(t) of each model."""
    fig, axes = plt.subplots(1, 3, figsize=(PAGE_WIDTH, 2.6), gridspec_kw={"width_ratios": [1, 1, 2.4]})
    for ax, image, name in ((axes[0], clean, "clean"), (axes[1], noisy, f"sigma = {sigma:.3g}")):
        ax.imshow(image.reshape(28, 28), cmap="gray", vmin=0, vmax=1)
        ax.set(title=name, xticks=[], yticks=[])
    by_model(evolution, "layer", "x", "||x_noisy(t) - x(t)|| / ||x(t)||", ax=axes[2], logy=True,
             ylabel="relative change of x(t)")
    legend_below(fig, axes)
    return fig


VERDICT_COLORS = {"reproduced": "tab:green", "partly reproduced": "tab:olive", "mixed over seeds": "tab:purple",
                  "not reproduced": "tab:red", "premise not met": "tab:cyan", "not graded": "black",
                  "not measured": "lightgray", "not testable": "tab:gray", "stale": "tab:orange",
                  "quick profile: not a reproduction": "tab:blue", "missing": "white"}


def verdict_counts(card: pd.DataFrame):
    """Stacked bars: how many paper claims of each experiment got each kind of verdict
    (assumptions, our readings and what lies beyond the paper are not counted)."""
    from .claims import verdict_word

    papers = card[card["kind"] == "paper claim"].assign(verdict=lambda f: f["verdict"].map(verdict_word))
    counts = papers.groupby(["experiment", "verdict"], sort=False).size().unstack(fill_value=0)
    order = [v for v in VERDICT_COLORS if v in counts] + [v for v in counts if v not in VERDICT_COLORS]
    fig, ax = plt.subplots(figsize=(PAGE_WIDTH, 0.45 * len(counts) + 1.8))
    counts[order].plot.barh(stacked=True, ax=ax, edgecolor="black", linewidth=0.5,
                            color=[VERDICT_COLORS.get(v, "tab:blue") for v in order])
    ax.invert_yaxis()
    ax.set(xlabel="paper claims", ylabel="", title="verdicts per experiment (paper claims only)")
    ax.legend()
    legend_below(fig, [ax], titles=())  # every verdict drawn, the quick build's colour included
    return fig
