"""Training throughput of the paper's MNIST nets beside this machine's GEMM peak.

    .venv/bin/python benchmarks/throughput.py [--batch 128] [--steps 40] [--rounds 3]

Measures, in one run and at one batch size:

1. the peak GEMM rate of torch on this machine for the layer's matmul shape,
   (batch x N) @ (N x N), best of several short windows;
2. training samples/s of the 15-layer shared and variable nets (forward, backward,
   Adam step on one batch), turned into achieved GFLOP/s with the matmuls the step
   executes (``resdyn_utils.training.training_flops``), for two implementations:
   - ``autograd``: the layer-by-layer forward differentiated by autograd, with torch's
     default (for-loop) CPU Adam: the training step of cache format 1;
   - ``hand-written``: the book's training step (cache format 2): the
     ``ResidualStack`` backward pass, which forms the weight gradients in one large
     matmul, and fused Adam.

This machine is a shared VM whose GEMM rate drifts by tens of percent within a minute
(75 to 180 GFLOP/s at this shape, over two instances), so every training step is paired
with a window of bare GEMMs, as many as the step executes, timed right after it: the fraction of the
peak is the ratio of the two rates, both measured in the same machine state. The
conservative figure divides by the fastest GEMM rate of the whole run (which is also
the rate for the training chapter's time floor). Writes benchmarks/throughput.json
(the medians over rounds, and every round).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

import torch
from torch import nn

from resdyn_utils.models import ModelConfig, ResidualNet
from resdyn_utils.training import DataConfig, TrainConfig, training_flops


def gemm_peak(batch: int, width: int, seconds: float = 2.0) -> float:
    a, w = torch.randn(batch, width), torch.randn(width, width)
    for _ in range(10):
        a @ w
    best = 0.0
    for _ in range(5):  # best of 5 windows
        n, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds / 5:
            a @ w
            n += 1
        best = max(best, 2 * batch * width * width * n / (time.perf_counter() - start) / 1e9)
    return best


IMPLEMENTATIONS = {  # name: (the forward pass's ``stack`` argument, Adam options)
    "autograd": (False, {}),
    "hand-written": (True, {"fused": True}),
}


def training_rate(weights: str, batch: int, width: int, steps: int, implementation: str) -> dict:
    """Samples/s and GFLOP/s of training steps, each paired with a bare-GEMM window.

    After every training step the same number of (batch x N) @ (N x N) matmuls as the
    step executes is timed on its own, so step and peak see the same machine state;
    ``fraction_of_paired_peak`` is the ratio of the two rates over all steps."""
    torch.manual_seed(0)
    cfg = ModelConfig(784, width, 15, 10, weights, bias_init=-3.0)
    model = ResidualNet(cfg)
    stack, adam_options = IMPLEMENTATIONS[implementation]
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, **adam_options)
    x, y = torch.rand(batch, 784), torch.randint(0, 10, (batch,))
    a, w = torch.randn(batch, width), torch.randn(width, width)
    loss_fn = nn.CrossEntropyLoss()
    flops_per_sample = training_flops(TrainConfig(cfg, DataConfig(), epochs=1), n_train=1)
    n_gemms = round(flops_per_sample * batch / (2 * batch * width * width))

    def step():
        loss = loss_fn(model(x, stack=stack), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    for _ in range(5):
        step()
    step_seconds = gemm_seconds = 0.0
    for _ in range(steps):
        start = time.perf_counter()
        step()
        middle = time.perf_counter()
        for _ in range(n_gemms):
            a @ w
        step_seconds += middle - start
        gemm_seconds += time.perf_counter() - middle
    samples_s = steps * batch / step_seconds
    paired_peak = steps * n_gemms * 2 * batch * width * width / gemm_seconds / 1e9
    gflops = samples_s * flops_per_sample / 1e9
    return {"samples_per_s": samples_s, "gflops": gflops, "paired_peak_gflops": paired_peak,
            "fraction_of_paired_peak": gflops / paired_peak}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--width", type=int, default=784)
    args = parser.parse_args()
    rounds = []
    for r in range(args.rounds):
        peak = gemm_peak(args.batch, args.width)
        row = {"gemm_peak_gflops": peak}
        print(f"round {r + 1}: GEMM peak {peak:.1f} GFLOP/s")
        for weights in ("shared", "variable"):
            for implementation in IMPLEMENTATIONS:
                rate = training_rate(weights, args.batch, args.width, args.steps, implementation)
                row[f"{weights}/{implementation}"] = rate
                print(f"  {weights:8s} {implementation:12s}: {rate['samples_per_s']:.0f} samples/s, "
                      f"{rate['gflops']:.1f} GFLOP/s, {100 * rate['fraction_of_paired_peak']:.0f}% of the paired "
                      f"GEMM rate ({rate['paired_peak_gflops']:.1f})")
        rounds.append(row)
    # The floor of a training time needs the fastest GEMM rate seen, paired windows included.
    best_peak = max(max(row["gemm_peak_gflops"], *(v["paired_peak_gflops"] for v in row.values()
                                                   if isinstance(v, dict))) for row in rounds)
    result = {"batch": args.batch, "width": args.width, "depth": 15, "threads": torch.get_num_threads(),
              "cpu": platform.processor() or platform.machine(), "torch": torch.__version__,
              "rounds": rounds, "gemm_peak_gflops": best_peak}
    for weights in ("shared", "variable"):
        for implementation in IMPLEMENTATIONS:
            rates = [row[f"{weights}/{implementation}"] for row in rounds]
            summary = {key: statistics.median(rate[key] for rate in rates) for key in rates[0]}
            summary["fraction_of_best_peak"] = summary["gflops"] / best_peak
            result.setdefault(weights, {})[implementation] = summary
            print(f"{weights:8s} {implementation:12s}: median {summary['gflops']:.1f} GFLOP/s, "
                  f"{100 * summary['fraction_of_paired_peak']:.0f}% of the paired GEMM rate, "
                  f"{100 * summary['fraction_of_best_peak']:.0f}% of the run's best GEMM rate ({best_peak:.1f})")
    out = Path(__file__).with_suffix(".json")
    out.write_text(json.dumps(result, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
