"""Analysis of the transients: class means, settled residuals, and the decomposition

    x(T) = x(0) + T y*  +  sum_t (y(t) - y*)
           input  steady   transient

where ``y*`` is the residual a sample's trajectory settles at when a shared-weight
network is unrolled until its residuals stop moving (see
:func:`resdyn_utils.dynamics.unroll_until_settled`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .dynamics import unroll_until_settled
from .models import ResidualNet, Trajectory
from .training import cpu_threads_for


def class_means(values: torch.Tensor, labels: torch.Tensor, n_classes: int) -> torch.Tensor:
    """Mean over the samples of each class: ``values`` (T, B, N) -> (C, T, N)."""
    return torch.stack([values[:, labels == c].mean(dim=1) for c in range(n_classes)])


def class_stds(values: torch.Tensor, labels: torch.Tensor, n_classes: int) -> torch.Tensor:
    """Standard deviation over the samples of each class: (T, B, N) -> (C, T, N)."""
    return torch.stack([values[:, labels == c].std(dim=1) for c in range(n_classes)])


@dataclass
class Decomposition:
    """The three parts of ``x(T)``, each (B, N), and the settled residuals ``y_star``."""

    input: torch.Tensor
    steady: torch.Tensor
    transient: torch.Tensor
    y_star: torch.Tensor

    @property
    def total(self) -> torch.Tensor:
        return self.input + self.steady + self.transient


def decompose(traj: Trajectory, y_star: torch.Tensor) -> Decomposition:
    """Split ``x(T)`` of a trajectory given each sample's settled residual ``y_star`` (B, N)."""
    T = traj.depth
    return Decomposition(traj.x[0], T * y_star, (traj.y - y_star).sum(0), y_star)


def settled_residuals(model: ResidualNet, inputs: torch.Tensor, tol: float = 1e-6,
                      max_layers: int = 20_000) -> tuple[torch.Tensor, bool]:
    """Each sample's residual after unrolling the shared net until it stops moving."""
    settled = unroll_until_settled(model, inputs, tol=tol, max_layers=max_layers)
    return settled.y, settled.converged


def settled_class_means(model: ResidualNet, inputs: torch.Tensor, labels: torch.Tensor, n_classes: int) -> torch.Tensor:
    """Per class, the mean of the residuals its inputs settle to when the shared net is
    unrolled (:func:`settled_residuals`): shape (C, N)."""
    y_star, _ = settled_residuals(model, inputs)
    return torch.stack([y_star[labels == c].mean(0) for c in range(n_classes)])


@torch.no_grad()
def predict(model: ResidualNet, features: torch.Tensor) -> torch.Tensor:
    """The readout's class decision for given ``x(T)`` vectors."""
    return model.readout(features).argmax(dim=1)


@torch.no_grad()
def transient_swap(model: ResidualNet, parts: Decomposition, labels: torch.Tensor) -> dict[str, float]:
    """Give every sample the mean transient of another class (binary: the other class).

    Returns the fraction of samples classified as their own class with their own
    parts (``intact``), as the class whose transient they received
    (``follows_transient``), and, as a control, with the other class's mean input and
    steady part but their own transient (``follows_own_transient``).
    """
    n_classes = int(labels.max()) + 1
    other = (labels + 1) % n_classes
    mean = lambda v: torch.stack([v[labels == c].mean(0) for c in range(n_classes)])  # noqa: E731
    m_in, m_st, m_tr = mean(parts.input), mean(parts.steady), mean(parts.transient)
    swapped = parts.input + parts.steady + m_tr[other]
    control = m_in[other] + m_st[other] + parts.transient
    return {
        "intact": float((predict(model, parts.total) == labels).float().mean()),
        "follows_transient": float((predict(model, swapped) == other).float().mean()),
        "follows_own_transient": float((predict(model, control) == labels).float().mean()),
    }


def spread_layer(std_per_layer: np.ndarray, threshold: float) -> int | None:
    """The first layer (1-based) after which the std across samples stays below ``threshold``.

    ``std_per_layer`` is (T,) (e.g. the largest std over units at each layer). Returns
    ``None`` when the spread never settles below the threshold.
    """
    below = np.asarray(std_per_layer) < threshold
    for t in range(len(below)):
        if below[t:].all():
            return t + 1
    return None


@torch.no_grad()
def decomposition_accuracies(model: ResidualNet, parts: Decomposition, labels: torch.Tensor) -> dict[str, float]:
    """Readout accuracy on parts of ``x(T)``: the whole, only the transient, all but the
    transient, and the transient replaced by its class-agnostic mean."""
    acc = lambda feats: float((predict(model, feats) == labels).float().mean())  # noqa: E731
    mean_transient = parts.transient.mean(0, keepdim=True).expand_as(parts.transient)
    return {
        "full x(T)": acc(parts.total),
        "transient only": acc(parts.transient),
        "all but the transient": acc(parts.input + parts.steady),
        "transient -> class-agnostic mean": acc(parts.input + parts.steady + mean_transient),
    }


@torch.no_grad()
def residual_at_depth(model: ResidualNet, inputs: torch.Tensor, depth: int, batch: int = 2000) -> torch.Tensor:
    """``y(depth)`` for every input, without keeping the trajectory (memory-light)."""
    out = []
    for i in range(0, len(inputs), batch):
        x = model.pad(inputs[i : i + batch])
        for t in range(1, depth + 1):
            x, y = model.step(x, t)
        out.append(y)
    return torch.cat(out)


@torch.no_grad()
def accuracy_by_depth(model: ResidualNet, inputs: torch.Tensor, labels: torch.Tensor, max_depth: int,
                      batch: int = 2000) -> np.ndarray:
    """Test accuracy of the readout applied at every layer ``T' = 1..max_depth`` (one pass)."""
    if max_depth > model.max_depth:
        raise ValueError(f"this net has {model.max_depth} layers; only shared weights unroll further")
    correct = torch.zeros(max_depth)
    for i in range(0, len(labels), batch):
        x, yb = model.pad(inputs[i : i + batch]), labels[i : i + batch]
        for t in range(1, max_depth + 1):
            x, _ = model.step(x, t)
            correct[t - 1] += (model.readout(x).argmax(1) == yb).sum()
    return (correct / len(labels)).numpy()


def linear_probe(train_x: torch.Tensor, train_y: torch.Tensor, test_x: torch.Tensor, test_y: torch.Tensor,
                 l2: float = 1e-3, max_iter: int = 100) -> float:
    """Test accuracy of a multinomial logistic regression fitted (L-BFGS) on standardised
    features: how linearly separable the classes are in that representation."""
    torch.manual_seed(0)
    mean, std = train_x.mean(0), train_x.std(0) + 1e-6
    xtr, xte = (train_x - mean) / std, (test_x - mean) / std
    n_classes = int(train_y.max()) + 1
    probe = torch.nn.Linear(xtr.shape[1], n_classes)
    opt = torch.optim.LBFGS(probe.parameters(), max_iter=max_iter, history_size=20, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(probe(xtr), train_y) + l2 * probe.weight.pow(2).sum()
        loss.backward()
        return loss

    with cpu_threads_for(0):  # small matmuls: one thread is fastest
        opt.step(closure)
    with torch.no_grad():
        return float((probe(xte).argmax(1) == test_y).float().mean())


def strongest_readout_units(K: torch.Tensor) -> list[int]:
    """For each class c, the unit i* with the largest classifier weight K[c, i*]."""
    return [int(i) for i in K.argmax(dim=1)]


def own_class_wins(x_last: torch.Tensor, labels: torch.Tensor, K: torch.Tensor) -> list[bool]:
    """For each class c: is the mean ``x_{i*}(T)`` of class c the largest over classes?"""
    means = torch.stack([x_last[labels == c].mean(0) for c in range(K.shape[0])])  # (C, N)
    return [bool(means[:, i].argmax() == c) for c, i in enumerate(strongest_readout_units(K))]
