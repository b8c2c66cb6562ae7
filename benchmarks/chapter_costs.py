"""Each chapter's cost against its floor, recorded from a build of the book.

    .venv/bin/python benchmarks/chapter_costs.py --label after [--build _build]

Copies the per-chapter ledger of ``<build>/results/build.json`` (written by the book
runner: the wall time, the matmul TFLOP the chapter's nets executed, and their floor at
this machine type's GEMM peak of each precision) into benchmarks/chapter_costs.json
under ``label``, with the profile, the commit and date the runs ran at (their
certificates', :func:`resdyn_utils.results.run_stamp`) and the machine, so that builds
before and after a change sit side by side. A label recorded again is replaced.

Each run also keeps its slowest cells, from the durations papermill wrote into the
executed copy: where a chapter's time goes when it is far from its floor.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from resdyn_utils import book
from resdyn_utils.integrity import read_json, write_json
from resdyn_utils.paths import BUILD_DIR_ENV
from resdyn_utils.results import certified_stamp, run_key, stamp

OUT = Path(__file__).with_suffix(".json")


#: How many of a run's slowest cells the record keeps.
SLOWEST = 3


def executed_copy(build: Path, name: str) -> Path:
    """The executed copy of the run ``name`` of a build's ledger: ``book/x.ipynb`` (the
    chapter's page) or ``book/x.ipynb@regime`` (a run of the regime study)."""
    rel, _, regime = name.partition("@")
    return build / (f"{book.REGIME_RUNS}/{regime}" if regime else "src") / rel


def slowest_cells(notebook: Path, n: int = SLOWEST) -> list[dict]:
    """The ``n`` code cells of an executed notebook that took longest, by the durations
    papermill recorded, each named by its first line of code."""
    cells = []
    for cell in json.loads(notebook.read_text())["cells"]:
        duration = cell.get("metadata", {}).get("papermill", {}).get("duration")
        if cell["cell_type"] == "code" and duration is not None:
            lines = [line for line in "".join(cell["source"]).splitlines()
                     if line.strip() and not line.lstrip().startswith(("#", "%"))]  # no comment, no magic
            cells.append({"cell": lines[0] if lines else "", "seconds": duration})
    return sorted(cells, key=lambda c: -c["seconds"])[:n]


def ran_at(names: list[str]) -> dict | None:
    """The commit and date that the book runner's certificates of the runs ``names``
    (``book/x.ipynb`` or ``book/x.ipynb@regime``) hold, where they all name one commit
    (the date: the latest run's start); None where a run names none or they differ."""
    stamps = [certified_stamp(run_key(name)) for name in names]
    commits = {s.get("commit") if s else None for s in stamps}
    if len(commits) != 1 or None in commits:
        return None
    return {"commit": commits.pop(), "date": max(s["date"] for s in stamps)}


def record(label: str, chapters: dict[str, dict], extra: dict, root: Path = Path("."),
           stamped: dict | None = None) -> dict:
    """Store one build's per-chapter ``seconds``, ``tflop`` and ``floor_seconds`` (with a
    ``total``), and each run's ``slowest_cells`` where given, under ``label``, with
    ``stamped`` (the commit and date the runs ran at; by default the commit of ``root``
    and the date now) and ``extra``; a label recorded again is replaced."""
    keys = ("seconds", "tflop", "floor_seconds")
    entry = {"label": label, **(stamped or stamp(root)), **extra,
             "chapters": {name: {**{k: c[k] for k in keys}, **({"slowest_cells": c["slowest_cells"]}
                                                              if "slowest_cells" in c else {})}
                          for name, c in chapters.items()}}
    runs = read_json(OUT, fix="restore it with git")["runs"] if OUT.exists() else []
    write_json(OUT, {"runs": [r for r in runs if r["label"] != label] + [entry]})
    total = entry["chapters"]["total"]
    print(f"{label}: {total['seconds']:.0f} s, floor {total['floor_seconds']:.0f} s")
    return entry


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--label", required=True, help="e.g. before, after")
    parser.add_argument("--build", type=Path, default=Path("_build"))
    parser.add_argument("--only", nargs="+", metavar="CHAPTER",
                        help="record only these runs (e.g. robustness transients@short): a partial build's "
                             "build.json also keeps the earlier runs of the other chapters")
    args = parser.parse_args(argv)
    os.environ[BUILD_DIR_ENV] = str(args.build.resolve())  # the certificates of this build
    build = read_json(args.build / "results" / "build.json", fix="build the book first")
    if "chapters" not in build:
        raise SystemExit("this build.json has no per-chapter ledger: build the book with the current runner")
    chapters = build["chapters"]
    if args.only:
        runs = {name: c for name, c in chapters.items() if name != "total"}
        names = {run_key(name): name for name in runs}
        unknown = [n for n in args.only if n not in names]
        if unknown:
            raise SystemExit(f"no run {', '.join(unknown)} in this build.json; it holds {', '.join(sorted(names))}")
        chapters = book.chapter_costs({names[n]: runs[names[n]] for n in args.only}, build["gemm_peak_gflops"])
    for name, cost in chapters.items():
        copy = executed_copy(args.build, name)
        if name != "total" and copy.exists():
            cost["slowest_cells"] = slowest_cells(copy)
    stamped = ran_at([name for name in chapters if name != "total"])
    if stamped is None:
        print("the runs' certificates name no one commit they ran at: stamped with HEAD now", file=sys.stderr)
    record(args.label, chapters, {
        "profile": build["profile"], "gemm_peak_gflops": build["gemm_peak_gflops"],
        "machine": {k: build["environment"][k] for k in ("cpu", "cpu_count", "gpu")}}, stamped=stamped)


if __name__ == "__main__":
    main()
