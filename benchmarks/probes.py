"""The transients chapter's per-layer linear probes: one after another, or side by side.

    .venv/bin/python benchmarks/probes.py [--regime short]

The chapter fits 61 multinomial logistic regressions (L-BFGS) on the full profile's
seed-0 nets of one regime: on y(t) and x(t) of the shared and the variable net at every
layer, and on the pixels, with 5000 training and 2000 test images. Each probe's matmuls
are small, so each runs on one thread. This times the probes fitted one after another
(``transients.linear_probe``, the chapter's cell before the change) and side by side on
one thread per core (``transients.linear_probes``), checks that both give the same
accuracies, and writes benchmarks/probes.json. The nets load from the cache (they are
trained first on an empty one).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from resdyn_utils import transients
from resdyn_utils.experiments import mnist_config
from resdyn_utils.integrity import write_json
from resdyn_utils.profiles import get_profile
from resdyn_utils.training import cpu_model, dataset_for, train

N_TRAIN, N_TEST = 5000, 2000  # the chapter's, in the full profile


def probe_tasks(regime: str) -> list[transients.Probe]:
    """The chapter's probes (:func:`~resdyn_utils.transients.layer_probe_tasks`), in its order."""
    P = get_profile("full", regime)
    data = dataset_for(mnist_config("shared", P, 0).data)
    nets = {kind: train(mnist_config(kind, P, 0), progress=False).model for kind in ("shared", "variable")}
    tasks = transients.layer_probe_tasks(nets, data.train.x[:N_TRAIN], data.train.y[:N_TRAIN],
                                         data.test.x[:N_TEST], data.test.y[:N_TEST])
    return [task for layer_tasks in tasks.values() for task in layer_tasks]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--regime", default="short")
    args = parser.parse_args()
    tasks = probe_tasks(args.regime)
    start = time.perf_counter()
    alone = [transients.linear_probe(*task) for task in tasks]
    one_by_one = time.perf_counter() - start
    start = time.perf_counter()
    together = transients.linear_probes(tasks)
    side_by_side = time.perf_counter() - start
    if together != alone:
        raise SystemExit("the probes fitted side by side gave other accuracies than one by one")
    result = {"cpu": cpu_model(), "cores": os.cpu_count(), "regime": args.regime, "probes": len(tasks),
              "n_train": N_TRAIN, "n_test": N_TEST, "seconds_one_by_one": one_by_one,
              "seconds_side_by_side": side_by_side, "speedup": one_by_one / side_by_side,
              "identical_accuracies": True}
    print(f"{len(tasks)} probes: {one_by_one:.1f} s one by one, {side_by_side:.1f} s side by side "
          f"({one_by_one / side_by_side:.2f}x), identical accuracies")
    out = Path(__file__).with_suffix(".json")
    write_json(out, result)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
