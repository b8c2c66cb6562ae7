"""The cost ledger: the matmul FLOPs the package's nets execute, by precision.

Every matmul of a :class:`~resdyn_utils.models.ResidualNet` is counted analytically
where it runs: a forward hook on each ``nn.Linear`` (every layer call, the readout, the
trajectories and the analyses that step through the layers), and the hand-written
training pass (:class:`~resdyn_utils.models.ResidualStack`) counts its forward and
backward matmuls itself. A test checks the count against torch's own
:class:`torch.utils.flop_counter.FlopCounterMode`. Counting costs a few additions per
layer call; no dispatch mode slows the chapters down.

The book runner sets ``RESDYN_FLOP_LEDGER`` to a file per chapter; the chapter's kernel
writes its totals there when it exits, and the runner records them in ``build.json``
with their floor: the time of these FLOPs at the machine's GEMM peak of each precision.
"""

from __future__ import annotations

import atexit
import json
import os

import torch

LEDGER_ENV = "RESDYN_FLOP_LEDGER"
FLOPS: dict[str, float] = {"fp32": 0.0, "bf16": 0.0}


def add(precision: str, flops: float) -> None:
    """Count ``flops`` matmul FLOPs (2 per multiply-add) in ``precision``."""
    if precision not in FLOPS:
        raise ValueError(f"unknown precision {precision!r}; use one of {tuple(FLOPS)}")
    FLOPS[precision] += float(flops)


def snapshot() -> dict[str, float]:
    """The FLOPs counted so far, by precision."""
    return dict(FLOPS)


def since(before: dict[str, float]) -> dict[str, float]:
    """The FLOPs counted since ``before`` (a :func:`snapshot`)."""
    return {p: FLOPS[p] - before.get(p, 0.0) for p in FLOPS}


def _precision_of(x: torch.Tensor) -> str:
    if torch.is_autocast_enabled(x.device.type) and torch.get_autocast_dtype(x.device.type) == torch.bfloat16:
        return "bf16"
    return "bf16" if x.dtype == torch.bfloat16 else "fp32"


def linear_hook(module: torch.nn.Linear, inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
    """A forward hook for ``nn.Linear``: counts ``2 * rows * in * out``."""
    x = inputs[0]
    rows = x.numel() // module.in_features
    add(_precision_of(x), 2.0 * rows * module.in_features * module.out_features)


def floor_seconds(flops: dict[str, float], gemm_peak_gflops: dict[str, float]) -> float:
    """The time of ``flops`` at the GEMM peak of each precision (GFLOP/s): no
    implementation executes these matmuls faster on that machine."""
    missing = [p for p, f in flops.items() if f and p not in gemm_peak_gflops]
    if missing:
        raise ValueError(f"no GEMM peak for {missing}: rerun benchmarks/throughput.py")
    return sum(f / (gemm_peak_gflops[p] * 1e9) for p, f in flops.items() if f)


def _write_at_exit(path: str) -> None:
    with open(path, "w") as out:
        json.dump(snapshot(), out)


if os.environ.get(LEDGER_ENV):
    atexit.register(_write_at_exit, os.environ[LEDGER_ENV])
