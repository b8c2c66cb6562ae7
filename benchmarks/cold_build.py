"""A cold full build of one set of models, chapter by chapter, against its floor.

    .venv/bin/python benchmarks/cold_build.py --label after --regime short
    .venv/bin/python benchmarks/cold_build.py --label before --root ../before

The before/after of the performance issue: it executes every chapter of the checkout at
``--root`` in the full profile, in ``--regime`` where that checkout has training regimes
(passed to the chapters that take one; ``short`` is the recipe the book had before the
regime study), against an empty checkpoint cache in a fresh build directory, so that
every model is trained inside its chapter as in a cold build. No HTML is rendered (the
same for both).

Each chapter's kernel counts its matmul FLOPs with the package's cost ledger; an older
checkout needs ``resdyn_utils/ledger.py`` and its hooks patched in (the diff of that
worktree). The seconds, TFLOP and floor per chapter go to ``benchmarks/chapter_costs.json``
under ``--label``, beside the builds ``chapter_costs.py`` records: run before and after
on the same machine, back to back, and compare.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from chapter_costs import record

from resdyn_utils.book import chapter_costs, environment_report  # this checkout's, before the swap
from resdyn_utils.integrity import read_json

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--label", required=True, help="e.g. before, after")
    parser.add_argument("--root", type=Path, default=HERE.parent, help="the checkout to build")
    parser.add_argument("--regime", default=None, help="the training regime, where the checkout has them")
    parser.add_argument("--profile", default="full")
    parser.add_argument("--only", nargs="*", help="only these chapters (by stem), for a smoke test")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    # the kernels and this process import the checkout's package, not the installed one
    os.environ["PYTHONPATH"] = os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])
    sys.path.insert(0, str(root))
    for name in [m for m in sys.modules if m == "resdyn_utils" or m.startswith("resdyn_utils.")]:
        del sys.modules[name]
    book = importlib.import_module("resdyn_utils.book")
    ledger = importlib.import_module("resdyn_utils.ledger")
    from resdyn_utils.paths import BUILD_DIR_ENV, DATA_DIR_ENV

    build = Path(tempfile.mkdtemp(prefix=f"cold-{args.label}-"))
    os.environ[BUILD_DIR_ENV] = str(build)
    os.environ.setdefault(DATA_DIR_ENV, str(HERE.parent / "_build" / "data"))  # the data is not timed
    os.environ["TQDM_DISABLE"] = "1"
    with_regime = "regime" in inspect.signature(book.execute_notebook).parameters
    if args.regime and not with_regime:
        raise SystemExit(f"{root} has no training regimes: leave out --regime")
    runs, start = {}, time.perf_counter()
    for rel in book.toc_files(root):
        if not rel.endswith(".ipynb") or args.only and Path(rel).stem not in args.only:
            continue
        target = build / "executed" / rel
        path = build / "ledger" / f"{Path(rel).stem}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        os.environ[ledger.LEDGER_ENV] = str(path)
        extra = {"regime": args.regime} if args.regime else {}
        seconds = book.execute_notebook(root / rel, target, args.profile, target.parent, **extra)
        flops = json.loads(path.read_text()) if path.exists() else {"fp32": 0.0, "bf16": 0.0}
        runs[rel] = {"seconds": seconds, "flops": flops}
        print(f"[{args.label}] {rel}: {seconds:.0f} s, {sum(flops.values()) / 1e12:.1f} TFLOP", flush=True)
    print(f"[{args.label}] all chapters in {time.perf_counter() - start:.0f} s; build folder {build}")
    peaks = read_json(HERE / "throughput.json", fix="restore it with git")["gemm_peak_gflops"]
    machine = {k: environment_report()[k] for k in ("cpu", "cpu_count", "gpu")}
    record(args.label, chapter_costs(runs, peaks), {
        "profile": args.profile, "regime": args.regime, "cold": True, "gemm_peak_gflops": peaks,
        "machine": machine}, root)


if __name__ == "__main__":
    main()
