"""Analysis of the transients: class means, settled residuals, and the decomposition

    x(T) = x(0) + T y*  +  sum_t (y(t) - y*)
           input  steady   transient

where ``y*`` is the residual a sample's trajectory settles at when a shared-weight
network is unrolled until its residuals stop moving (see
:func:`resdyn_utils.dynamics.unroll_until_settled`).
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from .dynamics import unroll_until_settled
from .models import ResidualNet, Trajectory
from .training import cpu_threads_for


def class_means(values: torch.Tensor, labels: torch.Tensor, n_classes: int) -> torch.Tensor:
    """Mean over the samples of each class: ``values`` (T, B, N) -> (C, T, N)."""
    return torch.stack([values[:, labels == c].mean(dim=1) for c in range(n_classes)])


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


@dataclass
class Unrolled:
    """A net run to ``depth`` layers: ``y(depth)`` for every input and, where labels were
    given, the readout's accuracy at every layer ``T' = 1..depth``."""

    y_end: torch.Tensor
    accuracy_by_depth: np.ndarray | None


@torch.no_grad()
def unroll(model: ResidualNet, inputs: torch.Tensor, depth: int, labels: torch.Tensor | None = None,
           batch: int = 2000) -> Unrolled:
    """Run ``model`` to ``depth`` layers in one pass without keeping the trajectory
    (memory-light): ``y(depth)`` and, with ``labels``, the accuracy of the readout
    applied at every layer, so that the end point and the accuracy curve share the
    unroll's matmuls."""
    if depth > model.max_depth:
        raise ValueError(f"this net has {model.max_depth} layers; only shared weights unroll further")
    out, correct = [], torch.zeros(depth)
    for i in range(0, len(inputs), batch):
        x = model.pad(inputs[i : i + batch])
        for t in range(1, depth + 1):
            x, y = model.step(x, t)
            if labels is not None:
                correct[t - 1] += (model.readout(x).argmax(1) == labels[i : i + batch]).sum()
        out.append(y)
    curve = (correct / len(labels)).numpy() if labels is not None else None
    return Unrolled(torch.cat(out), curve)


Probe = tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]  # train x, y; test x, y
_PROBE_INIT = threading.Lock()  # the seeded initialisation draws from torch's global generator


def _standardised(train_x: torch.Tensor, test_x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Both feature sets scaled by the training features' mean and standard deviation."""
    mean, std = train_x.mean(0), train_x.std(0) + 1e-6
    return (train_x - mean) / std, (test_x - mean) / std


def _fit_probe(xtr: torch.Tensor, train_y: torch.Tensor, xte: torch.Tensor, test_y: torch.Tensor,
               l2: float, max_iter: int) -> float:
    """Fit on standardised features, return the test accuracy."""
    with _PROBE_INIT:
        torch.manual_seed(0)
        probe = torch.nn.Linear(xtr.shape[1], int(train_y.max()) + 1)
    opt = torch.optim.LBFGS(probe.parameters(), max_iter=max_iter, history_size=20, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(probe(xtr), train_y) + l2 * probe.weight.pow(2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    with torch.no_grad():
        return float((probe(xte).argmax(1) == test_y).float().mean())


def linear_probe(train_x: torch.Tensor, train_y: torch.Tensor, test_x: torch.Tensor, test_y: torch.Tensor,
                 l2: float = 1e-3, max_iter: int = 100) -> float:
    """Test accuracy of a multinomial logistic regression fitted (L-BFGS) on standardised
    features: how linearly separable the classes are in that representation."""
    xtr, xte = _standardised(train_x, test_x)
    with cpu_threads_for(0):  # small matmuls: one thread is fastest
        return _fit_probe(xtr, train_y, xte, test_y, l2, max_iter)


def linear_probes(probes: list[Probe], l2: float = 1e-3, max_iter: int = 100,
                  workers: int | None = None) -> list[float]:
    """:func:`linear_probe` of each ``(train_x, train_y, test_x, test_y)``, fitted side by
    side on ``workers`` threads (default: one per core), each single-threaded as one
    probe is: the same accuracies, in the time of fewer probes."""
    workers = workers or os.cpu_count() or 1
    scaled = [(*_standardised(tr_x, te_x), tr_y, te_y) for tr_x, tr_y, te_x, te_y in probes]
    with cpu_threads_for(0), ThreadPoolExecutor(workers) as pool:
        return list(pool.map(lambda p: _fit_probe(p[0], p[2], p[1], p[3], l2, max_iter), scaled))


def layer_probe_tasks(models: dict[str, ResidualNet], train_x: torch.Tensor, train_y: torch.Tensor,
                      test_x: torch.Tensor, test_y: torch.Tensor) -> dict[str, list[Probe]]:
    """The probes of the transients chapter: per net, on ``y(t)`` and on ``x(t)`` at every
    layer ``t = 1..T`` (``"<name>: y(t)"``, ``"<name>: x(t)"``), and ``"pixels"``: one on
    the inputs."""
    tasks = {}
    for name, model in models.items():
        tr, te = model.trajectory(train_x), model.trajectory(test_x)
        depth = len(tr.y)
        tasks[f"{name}: y(t)"] = [(tr.y[t], train_y, te.y[t], test_y) for t in range(depth)]
        tasks[f"{name}: x(t)"] = [(tr.x[t], train_y, te.x[t], test_y) for t in range(1, depth + 1)]
    tasks["pixels"] = [(train_x, train_y, test_x, test_y)]
    return tasks


def layer_probes(models: dict[str, ResidualNet], train_x: torch.Tensor, train_y: torch.Tensor,
                 test_x: torch.Tensor, test_y: torch.Tensor) -> dict[str, list[float]]:
    """The test accuracy of every probe of :func:`layer_probe_tasks`, under its name, all
    fitted side by side (:func:`linear_probes`)."""
    tasks = layer_probe_tasks(models, train_x, train_y, test_x, test_y)
    accuracies = iter(linear_probes([task for layer_tasks in tasks.values() for task in layer_tasks]))
    return {name: [next(accuracies) for _ in layer_tasks] for name, layer_tasks in tasks.items()}


def strongest_readout_units(K: torch.Tensor) -> list[int]:
    """For each class c, the unit i* with the largest classifier weight K[c, i*]."""
    return [int(i) for i in K.argmax(dim=1)]


# --------------------------------------------------------------------------- claims


def per_claim(per_seed: dict[int, dict[str, dict]]) -> dict[str, list[dict]]:
    """``{seed: {claim id: measurements}}`` -> ``{claim id: [measurements with "seed"]}``,
    the form :func:`resdyn_utils.claims.verdicts` grades. (For the MNIST measurements,
    pass each seed's ``["claims"]``.)"""
    out: dict[str, list[dict]] = {}
    for seed, by_claim in per_seed.items():
        for claim_id, measured in by_claim.items():
            out.setdefault(claim_id, []).append({"seed": seed, **measured})
    return out


def seed_table(per_seed: dict[int, dict[str, dict]], claim_id: str) -> pd.DataFrame:
    """One row per seed of one claim's numbers, for the page: ``per_seed`` is
    ``{seed: {claim id: measurements}}`` (for the MNIST nets, each seed's ``["claims"]``).
    Per-layer lists and other non-scalar values are left out; accuracies (the keys that
    start with "accuracy", fractions) become percentages in a column named "... (%)"."""
    rows = []
    for seed, by_claim in per_seed.items():
        row = {"seed": seed}
        for name, value in by_claim[claim_id].items():
            if not np.isscalar(value):
                continue
            if name.startswith("accuracy") and not isinstance(value, bool):
                row[f"{name} (%)"] = 100 * float(value)
            else:
                row[name] = value
        rows.append(row)
    return pd.DataFrame(rows)


@torch.no_grad()
def circles_measurements(net: ResidualNet, split, accuracy: float, accuracy_without_extra_unit: float) -> dict:
    """The measurements of the E1 claims for one trained shared circles net.

    Graded at layer 15 (the net as trained): the class means of ``y(15)``, the corner of
    the cube nearest to them and its stability under eq. 3; beside them the points the
    classes settle at when the net is unrolled until its residuals stop moving."""
    from .dynamics import analyse_point, compare_with_ode

    traj = net.trajectory(split.x)
    W = net.weight_matrix().numpy().astype(float)
    labels = split.y
    y15 = class_means(traj.y[-1:], labels, 2)[:, 0].numpy().astype(float)
    y_star, _ = settled_residuals(net, split.x)
    settled = torch.stack([y_star[labels == c].mean(0) for c in (0, 1)]).numpy().astype(float)
    gap_settled = float(np.abs(settled[0] - settled[1]).max())
    corners = np.rint(y15)
    settled_corners = np.rint(settled)
    x15 = class_means(traj.x[-1:], labels, 2)[:, 0].numpy()
    swap = transient_swap(net, decompose(traj, y_star), labels)
    return {
        "E1.accuracy": {"accuracy": accuracy},
        "E1.extra-unit": {"accuracy": accuracy, "accuracy without the extra unit": accuracy_without_extra_unit},
        "E1.same-point": {"gap y(15)": float(np.abs(y15[0] - y15[1]).max()), "gap settled": gap_settled},
        "E1.corner": {
            "corner distance y(15)": np.abs(y15 - corners).max(1).tolist(), "corner": corners[0].astype(int).tolist(),
            "corner ones": int(corners[0].sum()), "same corner": bool((corners[0] == corners[1]).all()),
            "corner stable": analyse_point(corners[0], W).stability == "stable",
            "settled at a one-hot corner": bool((np.abs(settled - settled_corners).max() < 0.05)
                                                and (settled_corners.sum(1) == 1).all()),
        },
        "E1.x15": {"x(15) gap": float(np.linalg.norm(x15[1] - x15[0]) / np.linalg.norm((x15[0] + x15[1]) / 2)),
                   "gap settled": gap_settled},
        "E1.fig2": {"gap in y": compare_with_ode(traj.x.numpy(), traj.y.numpy(), labels.numpy(), W).y_gap},
        "E1.transients": {"follows the swapped transient": swap["follows_transient"], "gap settled": gap_settled},
    }


SPREAD_LEVEL = 0.05  # a unit "still differs across samples" while its std is above this


@torch.no_grad()
def spread_profile(model: ResidualNet, inputs: torch.Tensor, depth: int) -> dict[str, np.ndarray]:
    """Per layer, over the units, statistics of the std of ``y(t)`` across ``inputs``:
    the largest, the 90% quantile and the share above :data:`SPREAD_LEVEL`; also the
    mean ``y`` at layer 15 (or the last) and the units that stopped moving at the end.
    Runs layer by layer without keeping the trajectory."""
    x = model.pad(inputs)
    largest, q90, share, y_prev = [], [], [], None
    for t in range(1, depth + 1):
        x, y = model.step(x, t)
        std = y.std(0)
        largest.append(float(std.max()))
        q90.append(float(torch.quantile(std, 0.9)))
        share.append(float((std > SPREAD_LEVEL).float().mean()))
        if t == min(15, depth):
            y15 = y.mean(0).numpy()
        if t == depth - 1:
            y_prev = y
    moving = (y - y_prev).abs().max(0).values if y_prev is not None else torch.full_like(y[0], float("inf"))
    return {"max": np.array(largest), "q90": np.array(q90), "share": np.array(share), "mean y(15)": y15,
            "mean y(end)": y.mean(0).numpy(), "max std at the end": float(y.std(0).max()),
            "settled units": int((moving < 1e-5).sum())}


def _pair_separations(values: torch.Tensor, labels: torch.Tensor, n_classes: int) -> np.ndarray:
    """For every pair of classes: distance of their means over the mean of their
    within-class RMS distances to the mean."""
    means = torch.stack([values[labels == c].mean(0) for c in range(n_classes)])
    spread = torch.stack([(values[labels == c] - means[c]).pow(2).sum(1).mean().sqrt() for c in range(n_classes)])
    return np.array([float((means[a] - means[b]).norm() / ((spread[a] + spread[b]) / 2))
                     for a in range(n_classes) for b in range(a + 1, n_classes)])


def readout_wins(class_x15: torch.Tensor, K: torch.Tensor) -> dict[str, int]:
    """Fig. 4 in both readings, with the unit of class c the largest signed K[c, i] or |K[c, i]|.

    (b), the caption: on the unit i*_c, the class with the largest mean x_i*(15) is the
    class with the highest sensitivity to that unit (the largest K[:, i*_c]), counted
    over the ten units. (a), the text: within class c, among the ten units i*, its own
    i*_c has the largest mean x(15). ``class_x15`` is (C, N)."""
    out = {}
    for name, weights in (("signed K", K), ("|K|", K.abs())):
        units = weights.argmax(1)
        chosen = class_x15[:, units]  # (C classes, C units)
        most_sensitive = weights[:, units].argmax(0)  # per chosen unit, the class that weights it most
        out[f"wins (b), {name}"] = int((chosen.argmax(0) == most_sensitive).sum())
        out[f"wins (a), {name}"] = int((chosen.argmax(1) == torch.arange(len(units))).sum())
    return out


@torch.no_grad()
def mnist_measurements(shared: ResidualNet, variable: ResidualNet, variable_init: ResidualNet, test,
                       sample: torch.Tensor, unroll_depth: int, seed: int) -> dict:
    """The measurements of the E2/E3 dynamics claims for one seed's pair of MNIST nets
    (under ``"claims"``), with the class means of ``y`` at the unroll depth and of
    ``x(15)`` over all test images and the shared net's std profile, for the figures.

    ``sample`` indexes the random test samples of Fig. 3 (the paper's 200); the class
    statistics use every test image. ``variable_init`` is the variable net as initialised
    before training (same seed), for the distance of its matrices from their start."""
    from .dynamics import analyse_point, vector_field

    x_s = test.x[sample]
    n_classes = int(test.y.max()) + 1
    fig3 = spread_profile(shared, x_s, unroll_depth)
    var = spread_profile(variable, x_s, variable.depth)
    x0, x15 = shared.pad(test.x), shared.hidden(test.x)
    labels = test.y
    unrolled = unroll(shared, test.x, unroll_depth, labels)
    y_end = unrolled.y_end
    K = shared.readout.weight.detach()
    acc = lambda feats: float((predict(shared, feats) == labels).float().mean())  # noqa: E731
    residual_sum = x15 - x0
    other = torch.randperm(len(labels), generator=torch.Generator().manual_seed(seed))
    depth = shared.depth
    steady, transient = depth * y_end, residual_sum - depth * y_end
    end_means = torch.stack([y_end[labels == c].mean(0) for c in range(n_classes)])
    active = (end_means > 0.01).any(0)
    spread_over_classes = end_means[:, active].max(0).values - end_means[:, active].min(0).values
    pair_gap = [float((end_means[a] - end_means[b]).abs().max()) for a in range(n_classes)
                for b in range(a + 1, n_classes)]
    W = shared.weight_matrix().numpy().astype(float)
    eigen = []
    for c in range(n_classes):
        point = analyse_point(end_means[c].numpy().astype(float), W)
        real = np.sort(np.real(point.eigenvalues))[::-1]
        eigen.append({"class": c, "|F|": float(np.abs(vector_field(point.y, W)).max()),
                      "within-class std": float(y_end[labels == c].std(0).max()),
                      "positive eigenvalues": [float(e) for e in real[:5] if e > 1e-6]})
    sep15, sep0 = _pair_separations(x15, labels, n_classes), _pair_separations(x0, labels, n_classes)
    Ws = [variable.weight_matrix(t) for t in range(1, variable.depth + 1)]
    W0 = variable_init.weight_matrix(variable.depth)
    rel = lambda a, b: float((a - b).norm() / b.norm())  # noqa: E731
    class_x15 = torch.stack([x15[labels == c].mean(0) for c in range(n_classes)])
    claims = {
        "E2.fig3": {"max std per layer": fig3["max"], "q90 std per layer": fig3["q90"]},
        "E2.unrolled": {"non-zero units": int((fig3["mean y(end)"] > 0.01).sum()), "units": shared.width,
                        "max std at the end": fig3["max std at the end"], "settled units": fig3["settled units"]},
        "E2.fig6": {"smallest class-pair difference": min(pair_gap), "active units": int(active.sum()),
                    "coinciding units": int((spread_over_classes < 0.01).sum())},
        "E2.eigen": {"classes": eigen},
        "E2.fig4": readout_wins(class_x15, K),
        "E2.fig4-a": readout_wins(class_x15, K),
        "E2.fig5": {"smallest pair separation x(15)": float(sep15.min()),
                    "median pair separation x(15)": float(np.median(sep15)),
                    "median pair separation x(0)": float(np.median(sep0))},
        "E2.transient-readout": {
            "accuracy, full": acc(x15),
            "accuracy, own sum, x(0) at its mean": acc(residual_sum + x0.mean(0)),
            "accuracy, own x(0), sum at its mean": acc(x0 + residual_sum.mean(0)),
            "accuracy, own sum, random other x(0)": acc(residual_sum + x0[other]),
        },
        "B.steady-transient": {
            "largest within-class std at the unroll depth": max(eigen_row["within-class std"] for eigen_row in eigen),
            "accuracy, full": acc(x15),
            "accuracy, own transient, rest at its mean": acc(transient + (x0 + steady).mean(0)),
            "accuracy, transient at its mean": acc(x0 + steady + transient.mean(0)),
        },
        "E3.spread": {"max std per layer": var["max"], "share above the level per layer": var["share"],
                      "level": SPREAD_LEVEL},
        "E3.weights": {"distance W(14)-W(15)": rel(Ws[-2], Ws[-1]),
                       "distance W(15) from its initialisation": rel(Ws[-1], W0),
                       "distance to W(15) per layer": [rel(w, Ws[-1]) for w in Ws],
                       "distance from initialisation per layer": [
                           rel(w, variable_init.weight_matrix(t)) for t, w in enumerate(Ws, start=1)]},
        "E3.saturation": {"mean y(15)": {"shared": fig3["mean y(15)"], "variable": var["mean y(15)"]}},
    }
    return {"claims": claims, "class means y(end)": end_means.numpy(), "class means x(15)": class_x15.numpy(),
            "std profile": fig3, "accuracy by depth": unrolled.accuracy_by_depth}
