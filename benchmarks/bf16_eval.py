"""Would bfloat16 evaluation change a recorded number? Float32 against bfloat16 on the
book's own nets and readings.

    .venv/bin/python benchmarks/bf16_eval.py

The analysis chapters evaluate every net in float32, and their floors are float32
floors. Running them in bfloat16 would halve the floor, but only where no number the
book records would move. This runs, on the full profile's short-regime nets (shared,
variable and the plain MLP at N = 784, every seed, all 10k test images, loaded from the
cache), the readings the chapters record in both precisions:

- ``clean``: the test accuracy (robustness, depth);
- ``noise <sigma>``: the accuracy under the clamped Gaussian noise of the reference
  levels (robustness, Fig. 8's sweep);
- ``unroll 1000``: for the shared net, the class means of ``y(1000)`` (transients,
  Fig. 6 and the eigenvalue check), as their largest absolute difference.

A reading is unchanged when no prediction flips (accuracies are recorded to one image
of 10k) or, for the class means, when they agree to the 1e-4 the chapter prints.
"""

from __future__ import annotations

import time
from pathlib import Path

import torch

from resdyn_utils.experiments import mnist_config
from resdyn_utils.integrity import write_json
from resdyn_utils.profiles import get_profile
from resdyn_utils.robustness import REFERENCE_SIGMAS, add_noise
from resdyn_utils.training import cpu_model, dataset_for, train

KINDS = ("shared", "variable", "mlp")
NOISE_SEED = 0
UNROLL = 1000


def timed(action):
    start = time.perf_counter()
    value = action()
    return value, time.perf_counter() - start


@torch.no_grad()
def predictions(net, x, precision: str) -> torch.Tensor:
    return torch.cat([net(x[i : i + 2000], precision=precision).argmax(1) for i in range(0, len(x), 2000)])


@torch.no_grad()
def end_point(net, x, precision: str) -> torch.Tensor:
    """``y(UNROLL)`` of every input, the matmuls in ``precision``."""
    out = []
    for i in range(0, len(x), 2000):
        h = net.pad(x[i : i + 2000])
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
            for t in range(1, UNROLL + 1):
                h, y = net.step(h, t)
        out.append(y.float())
    return torch.cat(out)


def main() -> None:
    P = get_profile("full", "short")
    test = dataset_for(mnist_config("shared", P, P.seeds[0]).data).test
    inputs = {"clean": test.x} | {f"noise {round(255 * s)}": add_noise(test.x, s, NOISE_SEED, clamp=True)
                                  for s in REFERENCE_SIGMAS}
    rows = []
    for kind in KINDS:
        for seed in P.seeds:
            net = train(mnist_config(kind, P, seed), progress=False).model
            for reading, x in inputs.items():
                (fp32, t32), (bf16, t16) = (timed(lambda p=p: predictions(net, x, p)) for p in ("fp32", "bf16"))
                rows.append({"net": kind, "seed": seed, "reading": reading,
                             "accuracy fp32": float((fp32 == test.y).float().mean()),
                             "accuracy bf16": float((bf16 == test.y).float().mean()),
                             "flipped predictions": int((fp32 != bf16).sum()),
                             "seconds fp32": t32, "seconds bf16": t16})
                print(rows[-1], flush=True)
            if kind == "shared":
                (y32, t32), (y16, t16) = (timed(lambda p=p: end_point(net, test.x, p)) for p in ("fp32", "bf16"))
                means = [torch.stack([y[test.y == c].mean(0) for c in range(10)]) for y in (y32, y16)]
                rows.append({"net": kind, "seed": seed, "reading": f"unroll {UNROLL}",
                             "largest class-mean difference": float((means[0] - means[1]).abs().max()),
                             "seconds fp32": t32, "seconds bf16": t16})
                print(rows[-1], flush=True)
    result = {"cpu": cpu_model(), "torch": torch.__version__,
              "threads": torch.get_num_threads(), "profile": "full", "regime": P.regime,
              "n_test": len(test.y), "rows": rows}
    out = Path(__file__).with_suffix(".json")
    write_json(out, result)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
