"""Each chapter's cost against its floor, recorded from a build of the book.

    .venv/bin/python benchmarks/chapter_costs.py --label after [--build _build]

Copies the per-chapter ledger of ``<build>/results/build.json`` (written by the book
runner: the wall time, the matmul TFLOP the chapter's nets executed, and their floor at
this machine type's GEMM peak of each precision) into benchmarks/chapter_costs.json
under ``label``, with the profile, the commit, the date and the machine, so that builds
before and after a change sit side by side. A label recorded again is replaced.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from resdyn_utils import book
from resdyn_utils.integrity import read_json, write_json
from resdyn_utils.results import stamp

OUT = Path(__file__).with_suffix(".json")


def record(label: str, chapters: dict[str, dict], extra: dict, root: Path = Path(".")) -> dict:
    """Store one build's per-chapter ``seconds``, ``tflop`` and ``floor_seconds`` (with a
    ``total``) under ``label``, with the commit of ``root``, the date and ``extra``; a
    label recorded again is replaced."""
    entry = {"label": label, **stamp(root), **extra,
             "chapters": {name: {k: c[k] for k in ("seconds", "tflop", "floor_seconds")}
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
    build = read_json(args.build / "results" / "build.json", fix="build the book first")
    if "chapters" not in build:
        raise SystemExit("this build.json has no per-chapter ledger: build the book with the current runner")
    chapters = build["chapters"]
    if args.only:
        runs = {name: c for name, c in chapters.items() if name != "total"}
        names = {Path(name).name.replace(".ipynb", ""): name for name in runs}  # book/x.ipynb@r -> x@r
        unknown = [n for n in args.only if n not in names]
        if unknown:
            raise SystemExit(f"no run {', '.join(unknown)} in this build.json; it holds {', '.join(sorted(names))}")
        chapters = book.chapter_costs({names[n]: runs[names[n]] for n in args.only}, build["gemm_peak_gflops"])
    record(args.label, chapters, {
        "profile": build["profile"], "gemm_peak_gflops": build["gemm_peak_gflops"],
        "machine": {k: build["environment"][k] for k in ("cpu", "cpu_count", "gpu")}})


if __name__ == "__main__":
    main()
