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
import time

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


DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16}  # the precisions of FLOPS


def gemm_peak(precision: str, batch: int = 256, width: int = 784, seconds: float = 2.0,
              device: torch.device | str = "cpu") -> float:
    """This machine's GEMM rate (GFLOP/s) in ``precision`` for the layers' matmul shape,
    ``(batch x N) @ (N x N)``: the best of 5 windows of ``seconds / 5`` each (a shared
    VM's rate drifts by tens of percent within a minute)."""
    device = torch.device(device)

    def clock() -> float:
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        return time.perf_counter()

    a, w = (torch.randn(*shape, dtype=DTYPES[precision], device=device) for shape in ((batch, width), (width, width)))
    a @ w
    best = 0.0
    for _ in range(5):
        n, start = 0, clock()
        while time.perf_counter() - start < seconds / 5:
            for _ in range(1 if device.type == "cpu" else 50):
                a @ w
                n += 1
        best = max(best, 2 * batch * width * width * n / (clock() - start) / 1e9)
    return best


def measure_peaks(seconds: float = 1.0) -> dict[str, float]:
    """:func:`gemm_peak` of every precision on the CPU (the analyses' device)."""
    return {p: gemm_peak(p, seconds=seconds) for p in DTYPES}


def _write_at_exit(path: str) -> None:
    with open(path, "w") as out:
        json.dump(snapshot(), out)


if os.environ.get(LEDGER_ENV):
    atexit.register(_write_at_exit, os.environ[LEDGER_ENV])
