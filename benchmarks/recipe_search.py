"""The recipe search behind the MNIST training recipe of the book.

    .venv/bin/python benchmarks/recipe_search.py

Trains the 15-layer shared-weight net (N = 784) for 3 epochs on a stratified 10k
subset of MNIST (full 10k test set) with each candidate recipe, one seed, and
writes benchmarks/recipe_search.json, which the training chapter displays. The
candidates vary what the issue tracker's first tries pointed at: the hidden-bias
initialisation, the learning rate and the schedule.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from pathlib import Path

from resdyn_utils.models import ModelConfig
from resdyn_utils.training import DataConfig, TrainConfig, fit

CANDIDATES = [
    dict(bias_init=0.0, lr=1e-3, schedule="constant"),
    dict(bias_init=0.0, lr=1e-3, schedule="onecycle"),
    dict(bias_init=-3.0, lr=1e-3, schedule="onecycle"),
    dict(bias_init=-3.0, lr=3e-3, schedule="onecycle"),
    dict(bias_init=-3.0, lr=3e-3, schedule="cosine"),
    dict(bias_init=-3.0, lr=1e-2, schedule="onecycle"),
    dict(bias_init=-5.0, lr=3e-3, schedule="onecycle"),
    dict(bias_init=-3.0, lr=3e-3, schedule="onecycle", w_std=0.5),
]


def main() -> None:
    rows = []
    for cand in CANDIDATES:
        model = ModelConfig(784, 784, 15, 10, "shared", w_std=cand.get("w_std", 1.0), bias_init=cand["bias_init"])
        cfg = TrainConfig(model, DataConfig("mnist", 10_000, None), epochs=3, batch_size=128,
                          lr=cand["lr"], optimizer="adam", schedule=cand["schedule"], seed=0)
        start = time.perf_counter()
        trained = fit(cfg, progress=False)
        rows.append({**cand, "w_std": model.w_std, "test_error": 1 - trained.history[-1]["test_acc"],
                     "final_loss": trained.history[-1]["loss"], "seconds": time.perf_counter() - start,
                     "config": asdict(cfg)})
        print({k: v for k, v in rows[-1].items() if k != "config"}, flush=True)
    out = Path(__file__).with_suffix(".json")
    out.write_text(json.dumps(rows, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
