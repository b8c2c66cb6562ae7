"""Records the quick profile's run on a lent GPU (issues 16 and 18: the code selects CUDA
where one exists, and the quick profile passes on it).

    bash benchmarks/quick_gpu.sh                     # on the GPU machine ($OUT: its folder)
    .venv/bin/python benchmarks/quick_gpu.py LOG... --device FILE   # here, from its logs

Each chapter the runner finished is recorded with its wall time, in the order of the
logs, beside the card named in the device file (nvidia-smi -L and torch's version). A
chapter that raised would show as a failure line in the log: none may be recorded as
passed. Writes benchmarks/quick_gpu.json.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from resdyn_utils.integrity import write_json

OUT = Path(__file__).with_suffix(".json")
DONE = re.compile(r"^\[quick\] (\S+?)(?: in the (\S+) regime)?: ([\d.]+) s$")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("logs", nargs="+", type=Path)
    parser.add_argument("--device", type=Path, required=True)
    parser.add_argument("--note", default="")
    args = parser.parse_args(argv)
    chapters = []
    for log in args.logs:
        text = log.read_text()
        if "book: FAILED" in text or "ChapterFailed" in text:
            raise SystemExit(f"{log} records a failed chapter: fix it before recording the run")
        for line in text.splitlines():
            match = DONE.match(line)
            if match:
                chapters.append({"notebook": match[1], "regime": match[2] or "validated",
                                 "seconds": float(match[3]), "log": log.name})
    device = args.device.read_text().splitlines()
    write_json(OUT, {"gpu": device[0].split(" (UUID")[0].split(": ", 1)[-1], "torch": device[1], "chapters": chapters,
                     "note": args.note})
    print(f"{len(chapters)} chapter runs recorded on {device[0]}")


if __name__ == "__main__":
    main()
