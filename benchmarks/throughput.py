"""Training throughput of the paper's MNIST nets beside this machine's GEMM peak.

    .venv/bin/python benchmarks/throughput.py [--batch 128] [--steps 60]

Measures, in one run and at one batch size: (1) the peak GEMM rate of torch on
this machine for the layer's matmul shape (batch x N) @ (N x N); (2) training
samples/s of the 15-layer shared and variable nets (forward, backward, Adam step;
torch's three CPU implementations of Adam: one kernel sequence per tensor (the
default on CPU), ``foreach`` and ``fused``),
turned into achieved GFLOP/s with the matmul count of the model (3 matmuls per
layer and step: forward, input gradient, weight gradient; 3x the forward FLOPs of
``count_flops_per_sample``). Writes benchmarks/throughput.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import torch
from torch import nn

from resdyn_utils.models import ModelConfig, ResidualNet, count_flops_per_sample


def gemm_peak(batch: int, width: int, seconds: float = 3.0) -> float:
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


ADAM_IMPLEMENTATIONS = {"for-loop": {"foreach": False}, "foreach": {"foreach": True}, "fused": {"fused": True}}


def training_rate(weights: str, batch: int, width: int, steps: int, adam: str = "for-loop") -> dict:
    torch.manual_seed(0)
    cfg = ModelConfig(784, width, 15, 10, weights, bias_init=-3.0)
    model = ResidualNet(cfg)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, **ADAM_IMPLEMENTATIONS[adam])
    x, y = torch.rand(batch, 784), torch.randint(0, 10, (batch,))
    loss_fn = nn.CrossEntropyLoss()

    def step():
        loss = loss_fn(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    for _ in range(5):
        step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    elapsed = time.perf_counter() - start
    samples_s = steps * batch / elapsed
    flops_per_sample = 3 * count_flops_per_sample(cfg)
    return {"samples_per_s": samples_s, "gflops": samples_s * flops_per_sample / 1e9}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--width", type=int, default=784)
    args = parser.parse_args()
    peak = gemm_peak(args.batch, args.width)
    result = {"batch": args.batch, "width": args.width, "depth": 15, "threads": torch.get_num_threads(),
              "cpu": platform.processor() or platform.machine(), "torch": torch.__version__,
              "gemm_peak_gflops": peak}
    for weights in ("shared", "variable"):
        for adam in ADAM_IMPLEMENTATIONS:
            rate = training_rate(weights, args.batch, args.width, args.steps, adam)
            rate["fraction_of_peak"] = rate["gflops"] / peak
            result.setdefault(weights, {})[adam] = rate
            print(f"{weights:8s} Adam {adam:8s}: {rate['samples_per_s']:.0f} samples/s, {rate['gflops']:.1f} GFLOP/s, "
                  f"{100 * rate['fraction_of_peak']:.0f}% of the GEMM peak ({peak:.1f} GFLOP/s)")
    out = Path(__file__).with_suffix(".json")
    out.write_text(json.dumps(result, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
