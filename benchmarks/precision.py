"""Does training in bfloat16 change the MNIST results? The book's nets against float32 twins.

    .venv/bin/python benchmarks/precision.py

The training chapter trains its MNIST nets with bfloat16 matmuls where the hardware
multiplies bfloat16 natively (``resdyn_utils.experiments.mnist_precision``). This trains, for the shared and the
variable net and the full profile's seeds, the same config with float32 matmuls, and
records both test errors and training times in benchmarks/precision.json, which the
training chapter displays. Both precisions load from the checkpoint cache when there
(the book trains the bfloat16 nets; the float32 twins are the book's models of cache
format 2, before the switch); on an empty cache this trains 12 models (about 25 min
on our 2-core machine).
"""

from __future__ import annotations

from pathlib import Path

import torch

from resdyn_utils.experiments import mnist_config
from resdyn_utils.integrity import write_json
from resdyn_utils.profiles import get_profile
from resdyn_utils.training import cpu_model, train


def main() -> None:
    full = get_profile("full")
    rows = []
    for kind in ("shared", "variable"):
        for seed in full.seeds:
            config = mnist_config(kind, full, seed)
            for precision in ("fp32", "bf16"):
                trained = train(config.replace(precision=precision), progress=False)
                rows.append({**trained.row(), "config_key": trained.config.key()})
                print({k: v for k, v in rows[-1].items() if k != "test_error_per_epoch"}, flush=True)
    out = Path(__file__).with_suffix(".json")
    write_json(out, {"cpu": cpu_model(), "torch": torch.__version__,
                      "rows": rows})
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
