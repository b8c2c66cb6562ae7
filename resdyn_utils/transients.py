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
