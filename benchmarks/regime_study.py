"""The regime study's verdicts, recorded from a build of the book.

    .venv/bin/python benchmarks/regime_study.py [--build _build] [--profile full]

Copies the verdict rows of every study chapter (``resdyn_utils.catalogue.STUDY_CHAPTERS``)
that the book runner certified in ``<build>/results``, in each training regime, into
benchmarks/regime_study.json, with the profile, the commit and date each chapter ran at
(its certificate's, :func:`resdyn_utils.results.run_stamp`) and the CPU of the build.
One entry per (profile, regime, chapter): a chapter recorded again replaces its entry,
the others stay. The full regime study needs more models than one session of the
2-core reference machine trains (the README); this record lets runs of one regime at a
time, on different days or machines, sit side by side in the scorecard chapter, each
under the commit that measured it.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from resdyn_utils.catalogue import STUDY_CHAPTERS
from resdyn_utils.integrity import content_digest, read_json, write_json
from resdyn_utils.paths import BUILD_DIR_ENV
from resdyn_utils.profiles import REGIMES
from resdyn_utils.results import (StaleResultsError, certified_profile, certified_results, certified_stamp,
                                  regime_key, stamp)

OUT = Path(__file__).with_suffix(".json")
#: The fields of a verdict row that the record keeps.
FIELDS = ("id", "verdict", "measured verdict", "ours", "seeds")


Run = tuple[str, str, dict, dict | None]


def certified_runs(chapters: tuple[str, ...] = STUDY_CHAPTERS, profile: str | None = None) -> list[Run]:
    """(regime, chapter, certified results, the commit and date it ran at) of every study
    chapter run that the book runner certified in the current build directory, in the
    profile it was certified in (only those of ``profile``, where given: a partial full
    build leaves the quick certificates of the chapters it did not run). A certified file
    that fails verification is named on stderr and left out."""
    runs = []
    for regime in REGIMES:
        for chapter in chapters:
            key = regime_key(chapter, regime)
            certified = certified_profile(key)
            if certified is None or profile not in (None, certified):
                continue
            try:
                runs.append((regime, chapter, certified_results(key, certified), certified_stamp(key)))
            except (FileNotFoundError, StaleResultsError) as error:
                print(f"not recorded: {error}", file=sys.stderr)
    return runs


def _key(entry: dict) -> tuple[str, str, str]:
    """What one entry of the record stands for: (profile, regime, chapter)."""
    return entry["profile"], entry["regime"], entry["chapter"]


def record(runs: list[Run], extra: dict, root: Path = Path(".")) -> list[dict]:
    """Store the verdict rows of ``runs`` (from :func:`certified_runs`), one entry per
    (profile, regime, chapter), with the commit and date the run's certificate holds and
    ``extra``; an entry recorded again is replaced, the others are kept. A run whose
    certificate holds no commit (certified before certificates did, or run outside a
    git checkout) is stamped with the commit of ``root`` now, and stderr says so. A run
    already recorded (the same results, by the sha256 of their content) keeps its entry,
    so recording a later build never restamps an earlier run. Returns the entries
    written now."""
    entries = read_json(OUT, fix="restore it with git")["entries"] if OUT.exists() else []
    before = {_key(e): e for e in entries}
    new, unchanged = [], []
    for regime, chapter, results, ran_at in runs:
        key, digest = (results["profile"], regime, chapter), content_digest(results)
        if key in before and before[key].get("results sha256") == digest:
            unchanged.append(before[key])
            continue
        stamped = ran_at if ran_at and ran_at.get("commit") else stamp(root)
        if stamped is not ran_at:
            print(f"{chapter} ({regime}): its certificate names no commit it ran at; stamped with HEAD "
                  f"{stamped['commit']}, which may be later", file=sys.stderr)
        new.append({"profile": results["profile"], "regime": regime, "chapter": chapter, **stamped, **extra,
                    "results sha256": digest,
                    "verdicts": [{k: row.get(k) for k in FIELDS}
                                 for row in results["values"].get("verdicts", []) if row.get("id")]})
    keys = {_key(e) for e in new}
    write_json(OUT, {"entries": [e for e in entries if _key(e) not in keys] + new})
    for e in new:
        print(f"{e['profile']} {e['regime']} {e['chapter']}: {len(e['verdicts'])} verdicts at {e['commit']}")
    for e in unchanged:
        print(f"{e['profile']} {e['regime']} {e['chapter']}: unchanged since {e['commit']}")
    return new


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build", type=Path, default=Path("_build"))
    parser.add_argument("--profile", default="full", help="record only the runs certified in this profile")
    args = parser.parse_args(argv)
    os.environ[BUILD_DIR_ENV] = str(args.build.resolve())
    runs = certified_runs(profile=args.profile)
    if not runs:
        raise SystemExit(f"no study chapter certified in the {args.profile} profile in {args.build}/results: "
                         "build the book first "
                         "(python -m resdyn_utils.book --profile full --regime R --only transients robustness)")
    build = read_json(args.build / "results" / "build.json", fix="build the book first")
    record(runs, {"cpu": build["environment"]["cpu"]})


if __name__ == "__main__":
    main()
