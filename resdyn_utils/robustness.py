r"""Input noise, layer perturbations, layer lesions and FGSM (experiment E5).

The paper's v2 compares ResNets and MLPs under input noise but gives no protocol, so
the book defines one (see the robustness chapter):

- **noise**: Gaussian, on the [0, 1] pixel scale, ``x + sigma * z`` with one fixed
  draw ``z`` per test image (so every model and every sigma sees the same noise
  directions), optionally clamped back to [0, 1];
- **noise evolution**: ``||x_noisy(t) - x(t)|| / ||x(t)||`` per layer (and the same
  for ``y``), averaged over samples, beside the prediction of the linearised eq. 3,
  ``delta y(t+1) = (I + J(y(t))) delta y(t)``;
- **layer perturbation**: a random direction of fixed L2 norm ``eps`` added to
  ``x(k)`` at one layer ``k`` at a time (``k = 0`` is the input, ``k = T`` the
  readout's input);
- **lesion** (Veit et al. 2016): layer ``k`` deleted, ``x(k) = x(k-1)``; for a
  ResNet this is exactly ``y(k) = 0``;
- **FGSM**: ``x + eps * sign(grad_x loss)``, clamped to [0, 1].
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
import torch
from torch import nn

from .data import Split
from .models import KIND_LABELS, ResidualNet

#: The neural-ODE robustness protocol's noise levels (Yan et al. 2019): 50, 75, 100 on 0-255.
REFERENCE_SIGMAS = (50 / 255, 75 / 255, 100 / 255)
#: The noise levels of the book's sweeps: 0 to 1 on the [0, 1] pixel scale.
SIGMAS = tuple(sorted({0.0, 0.05, 0.1, *REFERENCE_SIGMAS, 0.5, 0.75, 1.0}))


def _check_sigma(sigma: float) -> None:
    if not (sigma >= 0 and np.isfinite(sigma)):
        raise ValueError(f"noise level sigma must be a finite number >= 0, got {sigma}")


def gaussian_directions(shape: Sequence[int], seed: int) -> torch.Tensor:
    """Standard normal draws of ``shape`` from their own generator: fixed by ``seed``."""
    return torch.randn(tuple(shape), generator=torch.Generator().manual_seed(seed))


def add_noise(images: torch.Tensor, sigma: float, seed: int, clamp: bool = False) -> torch.Tensor:
    """``images + sigma * z`` with ``z`` fixed by ``seed``; clamped to [0, 1] if asked."""
    _check_sigma(sigma)
    noisy = images + sigma * gaussian_directions(images.shape, seed).to(images.device)
    return noisy.clamp(0.0, 1.0) if clamp else noisy


def unit_directions(shape: Sequence[int], seed: int) -> torch.Tensor:
    """Random directions of L2 norm 1 per row, fixed by ``seed``."""
    z = gaussian_directions(shape, seed)
    return z / z.norm(dim=1, keepdim=True)


@torch.no_grad()
def run(model: ResidualNet, inputs: torch.Tensor, lesion: int | None = None,
        perturb_at: int | None = None, delta: torch.Tensor | None = None) -> torch.Tensor:
    """Logits of ``model`` with layer ``lesion`` deleted and/or ``delta`` added to
    ``x(perturb_at)`` (0: the padded input, T: the readout's input)."""
    T = model.depth
    if lesion is not None and not 1 <= lesion <= T:
        raise ValueError(f"cannot delete layer {lesion}: the net has layers 1..{T}")
    if perturb_at is not None and not 0 <= perturb_at <= T:
        raise ValueError(f"cannot perturb x({perturb_at}): the net has x(0..{T})")
    if (perturb_at is None) != (delta is None):
        raise ValueError("give both perturb_at and delta, or neither")
    x = model.pad(inputs)
    if perturb_at == 0:
        x = x + delta
    for t in range(1, T + 1):
        x, _ = model.step(x, t, lesion=(t == lesion))
        if t == perturb_at:
            x = x + delta
    return model.readout(x)


def _accuracy(logits: torch.Tensor, labels: torch.Tensor) -> float:
    return float((logits.argmax(1) == labels).float().mean())


def noise_accuracy(model: ResidualNet, split: Split, sigmas: Sequence[float], seed: int,
                   clamp: bool) -> list[float]:
    """Test accuracy under Gaussian noise of each ``sigma`` (same draws for every sigma)."""
    return [_accuracy(run(model, add_noise(split.x, s, seed, clamp)), split.y) for s in sigmas]


def mlp_label(depth: int, best: bool = False) -> str:
    """The display label of an MLP of ``depth`` layers that is not the book's 15-layer one
    (that one is ``KIND_LABELS["mlp"]``): "MLP, 1 layer", "MLP, 3 layers (best)"."""
    return f"MLP, {depth} layer{'s' if depth != 1 else ''}" + (" (best)" if best else "")


def compared_nets(best_mlp_depth: int, depth: int = 15) -> dict[str, tuple[str, int]]:
    """The nets the robustness chapter compares, display label -> (kind, depth): the three
    kinds at ``depth`` (labelled by :data:`~resdyn_utils.models.KIND_LABELS`) and the MLP
    at the depth where it trains best."""
    nets = {KIND_LABELS[kind]: (kind, depth) for kind in ("shared", "variable", "mlp")}
    return nets | {mlp_label(best_mlp_depth, best=True): ("mlp", best_mlp_depth)}


def noise_sweep(models: dict[str, Sequence[ResidualNet]], split: Split, sigmas: Sequence[float],
                seed: int) -> pd.DataFrame:
    """Accuracy of every net (label -> one net per training seed) at every sigma, clamped
    and not: columns ``net``, ``run``, ``sigma``, ``clamped``, ``accuracy``."""
    for sigma in sigmas:
        _check_sigma(sigma)
    z = gaussian_directions(split.x.shape, seed)  # one draw, as add_noise makes it, for every level
    inputs = {}
    for sigma in sigmas:
        noisy = split.x + sigma * z
        inputs[sigma, False], inputs[sigma, True] = noisy, noisy.clamp(0.0, 1.0)
    # an input that clamping leaves unchanged (sigma 0 on images in [0, 1]) is run once
    same = {key: (key[0], False) for key in inputs if key[1] and torch.equal(inputs[key], inputs[key[0], False])}
    rows = []
    for name, nets in models.items():
        for run_index, net in enumerate(nets):
            accuracy: dict[tuple[float, bool], float] = {}
            for clamp in (False, True):
                for sigma in sigmas:
                    key = same.get((sigma, clamp), (sigma, clamp))
                    if key not in accuracy:
                        accuracy[key] = _accuracy(run(net, inputs[key]), split.y)
                    rows.append({"net": name, "run": run_index, "sigma": sigma, "clamped": clamp,
                                 "accuracy": accuracy[key]})
    return pd.DataFrame(rows)


def at_reference_levels(sweep: pd.DataFrame) -> pd.DataFrame:
    """The rows of :func:`noise_sweep` with clamped noise at the :data:`REFERENCE_SIGMAS`,
    ``sigma`` on the 0-255 scale (50, 75, 100) and ``accuracy`` in %."""
    rows = sweep[sweep["sigma"].isin(REFERENCE_SIGMAS) & sweep["clamped"]]
    return rows.assign(accuracy=100 * rows["accuracy"],
                       sigma=(255 * rows["sigma"]).round().astype(int))


def relative_change(clean: torch.Tensor, perturbed: torch.Tensor) -> torch.Tensor:
    """Per leading index (layer), the mean over samples of ``||perturbed - clean|| / ||clean||``.

    Tensors are (L, B, N); the result is (L,)."""
    return ((perturbed - clean).norm(dim=-1) / clean.norm(dim=-1).clamp_min(1e-12)).mean(dim=-1)


@torch.no_grad()
def linearised_eq3(model: ResidualNet, y: torch.Tensor, dy1: torch.Tensor) -> torch.Tensor:
    r"""Propagate a residual perturbation ``dy1 = delta y(1)`` along the clean residuals
    ``y`` (T, B, N) with eq. 3's Jacobian: ``delta y(t+1) = (I + J_{t+1}(y(t))) delta y(t)``,
    ``J(y) d = (1 - 2y)(W y) d + y (1 - y)(W d)`` with layer ``t+1``'s W. Returns (T, B, N)."""
    out = [dy1]
    d = dy1
    for t in range(1, y.shape[0]):
        W = model.weight_matrix(t + 1)
        yt = y[t - 1]
        d = d + (1 - 2 * yt) * (yt @ W.T) * d + yt * (1 - yt) * (d @ W.T)
        out.append(d)
    return torch.stack(out)


def noise_evolution(model: ResidualNet, inputs: torch.Tensor, sigma: float, seed: int,
                    clamp: bool = False) -> pd.DataFrame:
    """Per layer ``t``: the relative change of ``x(t)`` (``t = 0..T``) and of ``y(t)``
    (``t = 1..T``) caused by input noise, and, for a residual net, the change of ``y``
    that the linearised eq. 3 predicts from the measured ``delta y(1)``."""
    clean = model.trajectory(inputs)
    noisy = model.trajectory(add_noise(inputs, sigma, seed, clamp))
    frame = pd.DataFrame({"layer": np.arange(clean.depth + 1),
                          "x": relative_change(clean.x, noisy.x).numpy()})
    dy = relative_change(clean.y, noisy.y).numpy()
    frame["y"] = np.concatenate([[np.nan], dy])
    if model.config.residual:
        predicted = linearised_eq3(model, clean.y, noisy.y[0] - clean.y[0])
        frame["y, eq. 3"] = np.concatenate([[np.nan], relative_change(clean.y, clean.y + predicted).numpy()])
    return frame


@torch.no_grad()
def layer_perturbation(model: ResidualNet, split: Split, eps: float, seed: int,
                       relative: bool = False) -> pd.DataFrame:
    """A random direction (fixed by ``seed``) of L2 norm ``eps`` (``relative``:
    ``eps * ||x(k)||`` per sample) added to ``x(k)``, one ``k = 0..T`` at a time: the
    relative change of the logits and the accuracy drop."""
    if not eps > 0:
        raise ValueError(f"perturbation size eps must be > 0, got {eps}")
    direction = unit_directions((len(split), model.width), seed)
    xs = model.trajectory(split.x).x  # the clean x(0..T), shared by every k
    norms = xs.norm(dim=-1, keepdim=True) if relative else None
    clean = model.readout(xs[-1])
    base = _accuracy(clean, split.y)
    size = f"||delta|| = {eps:g} ||x(k)||" if relative else f"||delta|| = {eps:g}"
    rows = []
    for k in range(model.depth + 1):
        delta = eps * direction * (norms[k] if relative else 1.0)
        logits = _continue(model, xs[k] + delta, k)  # = run(model, split.x, perturb_at=k, delta=delta)
        rows.append({"layer": k, "size": size,
                     "logit change": float(relative_change(clean[None], logits[None])[0]),
                     "accuracy drop": base - _accuracy(logits, split.y)})
    return pd.DataFrame(rows)


@torch.no_grad()
def _continue(model: ResidualNet, x: torch.Tensor, k: int) -> torch.Tensor:
    """Logits from ``x(k)``: layers ``k+1..T``, then the readout."""
    for t in range(k + 1, model.depth + 1):
        x, _ = model.step(x, t)
    return model.readout(x)


@torch.no_grad()
def lesion_sweep(model: ResidualNet, split: Split) -> pd.DataFrame:
    """Test error with each layer ``k = 1..T`` deleted (``x(k) = x(k-1)``), beside the intact error.

    The lesions share the intact pass: the net with layer ``k`` deleted runs only layers
    ``k+1..T``, from the intact ``x(k-1)`` (the same operations as :func:`run` with
    ``lesion=k``, so the same numbers, with about half its matmuls)."""
    T = model.depth
    x = model.pad(split.x)
    intact_x = [x]
    for t in range(1, T + 1):
        x, _ = model.step(x, t)
        intact_x.append(x)
    intact = 1 - _accuracy(model.readout(x), split.y)
    # with layer k deleted, x(k) = x(k-1)
    return pd.DataFrame([{"layer": k, "error": 1 - _accuracy(_continue(model, intact_x[k - 1], k), split.y),
                          "intact error": intact} for k in range(1, T + 1)])


def fgsm(model: ResidualNet, images: torch.Tensor, labels: torch.Tensor, eps: float) -> torch.Tensor:
    """Fast gradient sign attack: ``clamp(x + eps * sign(grad_x CE), 0, 1)``."""
    if not eps >= 0:
        raise ValueError(f"FGSM eps must be >= 0, got {eps}")
    model.eval()
    x = images.clone().requires_grad_(True)
    loss = nn.functional.cross_entropy(model(x), labels)
    (grad,) = torch.autograd.grad(loss, x)
    return (images + eps * grad.sign()).clamp(0.0, 1.0).detach()


def fgsm_accuracy(model: ResidualNet, split: Split, epsilons: Sequence[float]) -> list[float]:
    """Accuracy on FGSM examples at each ``eps`` (each attack made against this model)."""
    return [_accuracy(run(model, fgsm(model, split.x, split.y, e)), split.y) for e in epsilons]


def per_run(models: dict[str, Sequence[ResidualNet]], measure) -> pd.DataFrame:
    """``measure(net)`` (a DataFrame) for every net, with ``net`` and ``run`` columns added."""
    frames = [measure(net).assign(net=name, run=i)
              for name, nets in models.items() for i, net in enumerate(nets)]
    return pd.concat(frames, ignore_index=True)


def mean_and_spread(frame: pd.DataFrame, by: list[str], value: str) -> pd.DataFrame:
    """Mean, min and max of ``value`` over runs, per group ``by``."""
    return frame.groupby(by, sort=False)[value].agg(["mean", "min", "max", "count"]).reset_index()


def spread_table(spread: pd.DataFrame, unit: str = "") -> pd.DataFrame:
    """:func:`mean_and_spread` for the page: "mean", "min" and "max" followed by ``unit``
    (" %" makes them percent columns, shown to two decimals) and "count" as "seeds"."""
    return spread.rename(columns={"mean": f"mean{unit}", "min": f"min{unit}", "max": f"max{unit}",
                                  "count": "seeds"})


def noise_gain(evolution: pd.DataFrame) -> pd.Series:
    """Per (net, run): the relative noise in ``x(T)`` over that in ``x(0)``; below 1 the
    net damps input noise relative to its signal, above 1 it amplifies it."""
    return evolution.groupby(["net", "run"], sort=False)["x"].agg(lambda x: x.iloc[-1] / x.iloc[0])


def layer_trend_per_run(table: pd.DataFrame, metric: str = "logit change") -> pd.Series:
    """Per (net, run): the Spearman rank correlation of the perturbed layer ``k`` with
    ``metric`` of that run alone (NaN where the effect is the same at every layer)."""
    from scipy.stats import spearmanr

    def rho(f: pd.DataFrame) -> float:
        return np.nan if f[metric].nunique() < 2 else float(spearmanr(f["layer"], f[metric]).statistic)

    return table.groupby(["net", "run"], sort=False)[["layer", metric]].apply(rho).rename("rho")


def layer_trend(table: pd.DataFrame, metric: str = "logit change") -> pd.DataFrame:
    """Per net: the Spearman rank correlation of the perturbed layer ``k`` with the mean
    (over runs) ``metric``, beside that mean at the first and the last ``k``. ``rho < 0``:
    the earlier the perturbation, the larger its effect; NaN when the effect is the same
    at every layer (e.g. a net at chance)."""
    from scipy.stats import spearmanr

    mean = table.groupby(["net", "layer"], sort=False)[metric].mean().reset_index()
    rows = {}
    for name, f in mean.groupby("net", sort=False):
        constant = f[metric].nunique() < 2
        rows[name] = {"rho": np.nan if constant else spearmanr(f["layer"], f[metric]).statistic,
                      f"{metric} at k=0": f[metric].iloc[0], f"{metric} at k=T": f[metric].iloc[-1]}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("net")


def trend_table(readings: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """:func:`layer_trend` of the logit change and of the accuracy drop side by side, for
    each perturbation reading (name -> :func:`layer_perturbation` rows of every net), one
    row per (perturbation, net). The accuracy drop's rho is "rho, accuracy drop"."""
    logits = pd.concat({name: layer_trend(rows) for name, rows in readings.items()},
                       names=["perturbation"])
    drops = pd.concat({name: layer_trend(rows, "accuracy drop") for name, rows in readings.items()},
                      names=["perturbation"])
    return logits.join(drops.rename(columns={"rho": "rho, accuracy drop"}))
