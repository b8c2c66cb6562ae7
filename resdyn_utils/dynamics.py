r"""The continuous residual dynamics of the paper (its eq. 3) and their fixed points.

With shared weights, reading ``x(t) - x(t-1) = y(t)`` as an Euler step of
``dx/dt = y`` and differentiating ``y = sigmoid(W x + b)`` gives

.. math:: \frac{dy_i}{dt} = y_i (1 - y_i) \sum_j w_{ij} y_j .

This module gives the vector field, its Jacobian, its integration with
:func:`scipy.integrate.solve_ivp`, the enumeration of its fixed points for small N,
their stability from the Jacobian eigenvalues, and the continuation of a trained
shared network until its residuals stop moving.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from scipy.integrate import solve_ivp

STABILITY = ("stable", "saddle", "unstable", "non-hyperbolic")


def vector_field(y: np.ndarray, W: np.ndarray) -> np.ndarray:
    """``dy/dt = y (1 - y) * (W y)``; ``y`` may be (N,) or a batch (B, N)."""
    y = np.asarray(y, dtype=float)
    return y * (1.0 - y) * (y @ np.asarray(W, dtype=float).T)


def jacobian(y: np.ndarray, W: np.ndarray) -> np.ndarray:
    """Jacobian of :func:`vector_field` at ``y`` (N,):
    ``J_ij = delta_ij (1 - 2 y_i)(W y)_i + y_i (1 - y_i) w_ij``."""
    y = np.asarray(y, dtype=float)
    W = np.asarray(W, dtype=float)
    return np.diag((1.0 - 2.0 * y) * (W @ y)) + (y * (1.0 - y))[:, None] * W


def integrate(y0: np.ndarray, W: np.ndarray, t_max: float, t_eval: np.ndarray | None = None,
              rtol: float = 1e-8, atol: float = 1e-10) -> tuple[np.ndarray, np.ndarray]:
    """Integrate eq. 3 from ``y0`` over ``[0, t_max]``; returns ``(t, y)``, ``y`` (len(t), N).

    ``t_eval`` defaults to the integer times 0..t_max, the layers of a network.
    """
    if t_eval is None:
        t_eval = np.arange(0, int(np.floor(t_max)) + 1, dtype=float)
    sol = solve_ivp(lambda _t, y: vector_field(y, W), (0.0, float(t_max)), np.asarray(y0, float),
                    t_eval=t_eval, method="LSODA", rtol=rtol, atol=atol)
    if not sol.success:
        raise RuntimeError(f"integration of eq. 3 failed: {sol.message}")
    return sol.t, sol.y.T


def first_order_step(y: np.ndarray, W: np.ndarray) -> np.ndarray:
    """The paper's linearised layer map ``y + y (1 - y) * (W y)`` (first order in ``W y``)."""
    return np.asarray(y, float) + vector_field(y, W)


def exact_step(y: np.ndarray, W: np.ndarray) -> np.ndarray:
    """The network's exact map between residuals with shared weights:
    ``y(t+1) = sigmoid(logit(y(t)) + W y(t))``, since ``z(t+1) = z(t) + W y(t)``."""
    y = np.asarray(y, float)
    z = np.log(y) - np.log1p(-y) + y @ np.asarray(W, float).T
    return 1.0 / (1.0 + np.exp(-z))


def first_order_errors(y: np.ndarray, W: np.ndarray) -> dict[str, np.ndarray]:
    """Per-layer accuracy of the first-order step on residuals ``y`` (T, B, N) of a
    shared-weight net: mean ``|y(t+1) - first_order(y(t))|``, the mean size of the
    step itself, and the mean ``|W y(t)|`` (the increment of the pre-activation that the
    expansion assumes small). Arrays have length T - 1, index 0 being t = 1."""
    y = np.asarray(y, float)
    pred = first_order_step(y[:-1], W)
    return {
        "error": np.abs(y[1:] - pred).mean(axis=(1, 2)),
        "step": np.abs(y[1:] - y[:-1]).mean(axis=(1, 2)),
        "dz": np.abs(y[:-1] @ np.asarray(W, float).T).mean(axis=(1, 2)),
    }


def classify(eigenvalues: np.ndarray, tol: float = 1e-9) -> str:
    """Stability from Jacobian eigenvalues: stable, saddle, unstable or non-hyperbolic."""
    re = np.real(np.asarray(eigenvalues))
    if np.all(re < -tol):
        return "stable"
    if np.all(re > tol):
        return "unstable"
    if np.any(np.abs(re) <= tol):
        return "non-hyperbolic"
    return "saddle"


@dataclass(frozen=True)
class FixedPoint:
    """A fixed point of eq. 3 with its Jacobian eigenvalues and stability class."""

    y: np.ndarray
    eigenvalues: np.ndarray
    stability: str

    def as_dict(self) -> dict:
        return {
            "y": [float(v) for v in self.y],
            "eigenvalues_real": [float(v) for v in np.real(self.eigenvalues)],
            "eigenvalues_imag": [float(v) for v in np.imag(self.eigenvalues)],
            "stability": self.stability,
        }


def analyse_point(y: np.ndarray, W: np.ndarray, tol: float = 1e-9) -> FixedPoint:
    """Eigenvalues and stability of the Jacobian at ``y``."""
    eig = np.linalg.eigvals(jacobian(y, W))
    return FixedPoint(np.asarray(y, float), eig, classify(eig, tol))


def fixed_points(W: np.ndarray, tol: float = 1e-9, max_n: int = 10) -> list[FixedPoint]:
    """All isolated fixed points of eq. 3 in the closed cube ``[0, 1]^N``.

    Each component is 0, 1, or free with ``(W y)_i = 0``. For each of the ``3^N``
    patterns the free components solve the linear system
    ``W_FF y_F = -W_FC y_C``; singular systems (non-isolated points) are skipped,
    solutions outside the cube are dropped and duplicates merged.
    """
    W = np.asarray(W, dtype=float)
    n = W.shape[0]
    if n > max_n:
        raise ValueError(f"3^{n} patterns is too many; enumeration is for N <= {max_n}")
    found: dict[tuple, np.ndarray] = {}
    for pattern in itertools.product((0.0, 1.0, None), repeat=n):
        free = [i for i, p in enumerate(pattern) if p is None]
        y = np.array([0.0 if p is None else p for p in pattern])
        if free:
            fixed = [i for i in range(n) if i not in free]
            A = W[np.ix_(free, free)]
            rhs = -W[np.ix_(free, fixed)] @ y[fixed] if fixed else np.zeros(len(free))
            if abs(np.linalg.det(A)) < 1e-12:
                continue
            y[free] = np.linalg.solve(A, rhs)
        if np.any(y < -tol) or np.any(y > 1 + tol):
            continue
        y = np.clip(y, 0.0, 1.0)
        if np.max(np.abs(vector_field(y, W))) > 1e-8:
            continue
        found.setdefault(tuple(np.round(y, 8)), y)
    return [analyse_point(y, W, tol) for y in found.values()]


def point_text(y: np.ndarray, decimals: int = 3) -> str:
    """A point or a vector for a table or a sentence, rounded: ``(0, 0.131, 1)``."""
    values = (round(float(v), decimals) for v in np.ravel(np.real(y)))
    return "(" + ", ".join(f"{v + 0.0:g}" for v in values) + ")"  # + 0.0: no "-0"


def matrix_latex(matrix: np.ndarray, name: str, decimals: int = 3) -> str:
    r"""``matrix`` rounded, as a displayed equation ``$$ name = \begin{pmatrix} ...
    \end{pmatrix} $$`` for a Markdown cell."""
    rows = [" & ".join(f"{round(float(v), decimals) + 0.0:g}" for v in row) for row in np.atleast_2d(matrix)]
    return f"$$ {name} = \\begin{{pmatrix}} " + r" \\ ".join(rows) + r" \end{pmatrix} $$"


def fixed_point_table(points: list[FixedPoint], decimals: int = 3) -> pd.DataFrame:
    """One row per fixed point, for the page: the point ``y*``, its stability and the
    real parts of the Jacobian's eigenvalues there (as text, see :func:`point_text`)."""
    return pd.DataFrame([{"y*": point_text(p.y, decimals), "stability": p.stability,
                          "eigenvalues (real part)": point_text(p.eigenvalues, decimals)}
                         for p in points], columns=["y*", "stability", "eigenvalues (real part)"])


def describe_stability(points: list[FixedPoint]) -> str:
    """How many of ``points`` are of each stability, in words, in the order of
    :data:`STABILITY`: ``"1 stable, 6 saddles and 2 unstable"``; ``"none"`` if empty."""
    counts = [(sum(p.stability == kind for p in points), kind) for kind in STABILITY]
    parts = [f"{n} {kind}{'s' if kind == 'saddle' and n != 1 else ''}" for n, kind in counts if n]
    if not parts:
        return "none"
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


@dataclass
class Settled:
    """Where a shared network's residuals settled when unrolled."""

    y: torch.Tensor
    x: torch.Tensor
    layers: int
    converged: bool
    last_change: float


@torch.no_grad()
def unroll_until_settled(model, inputs: torch.Tensor, tol: float = 1e-6, max_layers: int = 100_000,
                         check_every: int = 10) -> Settled:
    """Run a shared-weight net layer by layer until ``max|y(t) - y(t-1)| < tol``.

    Returns the final residuals and activations, the number of layers run and
    whether the tolerance was met before ``max_layers``.
    """
    if not model.shared:
        raise ValueError("only a shared-weight network defines one dynamical system to continue")
    x = model.pad(inputs)
    y_prev = None
    change = float("inf")
    for t in range(1, max_layers + 1):
        x, y = model.step(x, 1)
        if y_prev is not None and t % check_every == 0:
            change = float((y - y_prev).abs().max())
            if change < tol:
                return Settled(y, x, t, True, change)
        y_prev = y
    return Settled(y, x, max_layers, False, change)


@dataclass
class OdeComparison:
    """Network trajectories beside eq. 3 integrated from each sample's first residual.

    Class means are (C, T, N) for residuals ``y(1..T)`` and (C, T+1, N) for ``x(0..T)``;
    the ODE's activations are ``x(0) + y(1) + sum of the ODE residuals at layers 2..t``.
    ``sample_gap`` is, per sample, the largest |network - ODE| residual over layers and units.
    """

    y_net: np.ndarray
    y_ode: np.ndarray
    x_net: np.ndarray
    x_ode: np.ndarray
    sample_gap: np.ndarray

    @property
    def y_gap(self) -> float:
        """Largest |network - ODE| of the class-mean residuals over classes, layers, units."""
        return float(np.abs(self.y_net - self.y_ode).max())

    @property
    def x_gap(self) -> float:
        return float(np.abs(self.x_net - self.x_ode).max())

    @property
    def x_gap_relative(self) -> float:
        """``x_gap`` relative to the largest |x| of the class means."""
        return self.x_gap / float(np.abs(self.x_net).max())


def integrate_batch(y0: np.ndarray, W: np.ndarray, depth: int) -> np.ndarray:
    """Eq. 3 from every row of ``y0`` (B, N), sampled at t = 0..depth-1: (depth, B, N)."""
    y0 = np.asarray(y0, float)
    B, N = y0.shape
    sol = solve_ivp(lambda _t, v: vector_field(v.reshape(B, N), W).ravel(), (0.0, depth - 1.0), y0.ravel(),
                    t_eval=np.arange(depth, dtype=float), method="DOP853", rtol=1e-7, atol=1e-9)
    if not sol.success:
        raise RuntimeError(f"integration of eq. 3 failed: {sol.message}")
    return sol.y.T.reshape(depth, B, N)


def compare_with_ode(x: np.ndarray, y: np.ndarray, labels: np.ndarray, W: np.ndarray) -> OdeComparison:
    """Integrate eq. 3 from each sample's ``y(1)`` and set the class means side by side.

    ``x`` (T+1, B, N) and ``y`` (T, B, N) are a shared-weight network's trajectory.
    """
    x, y, labels = np.asarray(x, float), np.asarray(y, float), np.asarray(labels)
    y_ode = integrate_batch(y[0], W, y.shape[0])
    x_ode = np.concatenate([x[:1], x[:1] + np.cumsum(y_ode, axis=0)])
    classes = np.unique(labels)
    mean = lambda v: np.stack([v[:, labels == c].mean(1) for c in classes])  # noqa: E731
    gap = np.abs(y - y_ode).max(axis=(0, 2))
    return OdeComparison(mean(y), mean(y_ode), mean(x), mean(x_ode), gap)


def first_order_ratio(model, inputs: torch.Tensor) -> np.ndarray:
    """Per layer, the error of the first-order step (eq. 3) over the size of the step,
    on the residuals of a shared-weight ``model`` for ``inputs`` (see
    :func:`first_order_errors`): the derivation's small-step assumption, measured."""
    if not model.shared:
        raise ValueError("eq. 3 describes shared weights only")
    traj = model.trajectory(inputs)
    errors = first_order_errors(traj.y.numpy().astype(float), model.weight_matrix().numpy().astype(float))
    return errors["error"] / errors["step"]
