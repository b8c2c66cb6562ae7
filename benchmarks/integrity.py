"""What verifying the data costs: the sha256 of the four MNIST files at every load.

    .venv/bin/python benchmarks/integrity.py

``data.load_mnist`` hashes the four IDX files (55 MB) before it reads them. This
measures that check beside the whole load (median of 5 rounds each), to decide whether
the verified digest needs caching (by size and mtime): it does not when the check is a
small part of the load.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from resdyn_utils.training import cpu_model
from resdyn_utils import data
from resdyn_utils.integrity import write_json
from resdyn_utils.paths import data_dir

ROUNDS = 5


def median_seconds(action) -> float:
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    root = data_dir()
    data.load_mnist(root)  # builds the files if needed
    megabytes = sum((root / "MNIST" / "raw" / name).stat().st_size for name in data.MNIST_IDX_SHA256) / 1e6
    verify = median_seconds(lambda: data.verify_mnist_files(root))
    load = median_seconds(lambda: data.load_mnist(root))
    result = {"cpu": cpu_model(), "rounds": ROUNDS, "megabytes": megabytes,
              "verify_seconds": verify, "load_seconds": load, "verify_share_of_load": verify / load}
    print(result)
    out = Path(__file__).with_suffix(".json")
    write_json(out, result)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
