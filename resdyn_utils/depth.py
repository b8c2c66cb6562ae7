"""The paper's adaptive-depth rule (E4) as a reusable training component.

After each epoch, measure how much the last layer still changes the residuals,

    delta = mean over a fixed evaluation batch and over units of |y(T) - y(T-1)|,

and if ``delta`` is below the threshold (the paper's 0.01), remove the last layer: one
layer per epoch, the paper's literal rule (``max_removals=None`` keeps removing, with
the measurement repeated on the shortened net, while the criterion holds). With ``criterion="magnitude"`` the
rule looks at ``mean |y(T)|`` instead: the epsilon-ResNet baseline, which drops a block
whose response is small.

Our stopping rule (the paper's "until the training loss is at its minimum" is not
specific): training runs its configured epochs and schedule; the depth is adapted after
every epoch except the last, so the final net is always trained at its final depth.

Use it with any loop::

    controller = DepthController(AdaptiveDepth(0.01), eval_inputs)  # one layer per epoch at most
    for epoch in range(epochs):
        ...train one epoch...
        controller(model, log)   # may call model.remove_last_layer()
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import torch

from .models import ResidualNet

CRITERIA = ("change", "magnitude")


@dataclass(frozen=True)
class AdaptiveDepth:
    """Settings of the rule: a positive ``threshold``, the ``criterion``, the size of the
    fixed evaluation batch (the first ``eval_size`` training samples), ``min_depth``, and
    the most layers removed after one epoch (``None``: no limit)."""

    threshold: float = 0.01
    criterion: str = "change"
    eval_size: int = 1000
    min_depth: int = 1
    max_removals: int | None = 1

    def __post_init__(self) -> None:
        t = self.threshold
        if isinstance(t, bool) or not isinstance(t, numbers.Real) or not math.isfinite(t) or t <= 0:
            raise ValueError(f"the depth threshold must be a positive number, got {t!r}")
        if self.criterion not in CRITERIA:
            raise ValueError(f"unknown depth criterion {self.criterion!r}; use one of {CRITERIA}")
        if self.min_depth < 1:
            raise ValueError(f"min_depth must be >= 1 (a net needs a layer), got {self.min_depth}")
        if self.eval_size < 1:
            raise ValueError(f"eval_size must be >= 1, got {self.eval_size}")
        if self.max_removals is not None and self.max_removals < 1:
            raise ValueError(f"max_removals must be >= 1 or None, got {self.max_removals}")


@torch.no_grad()
def last_layer_measure(model: ResidualNet, inputs: torch.Tensor, criterion: str = "change") -> float:
    """``mean |y(T) - y(T-1)|`` (criterion "change"; 0 change is reported for T = 1 as
    infinity, since there is no previous layer) or ``mean |y(T)|`` ("magnitude")."""
    traj = model.trajectory(inputs)
    if criterion == "magnitude":
        return float(traj.y[-1].abs().mean())
    if traj.depth < 2:
        return float("inf")
    return float((traj.y[-1] - traj.y[-2]).abs().mean())


class DepthController:
    """An ``on_epoch_end(model, log)`` callback applying :class:`AdaptiveDepth`.

    It adds to the epoch's log the measurement (``depth_measure``), the layers removed
    (``removed``) and the depth after the step (``depth``). Pass ``last_epoch=True`` in
    the log (the training loop does) to measure without removing.
    """

    def __init__(self, rule: AdaptiveDepth, eval_inputs: torch.Tensor) -> None:
        self.rule = rule
        self.eval_inputs = eval_inputs[: rule.eval_size]

    def __call__(self, model: ResidualNet, log: dict) -> None:
        measure = last_layer_measure(model, self.eval_inputs, self.rule.criterion)
        log["depth_measure"] = measure
        removed = 0
        if not log.get("last_epoch", False):
            limit = self.rule.max_removals if self.rule.max_removals is not None else model.depth
            while measure < self.rule.threshold and model.depth > self.rule.min_depth and removed < limit:
                model.remove_last_layer()
                removed += 1
                measure = last_layer_measure(model, self.eval_inputs, self.rule.criterion)
        log["removed"] = removed
        log["depth"] = model.depth
