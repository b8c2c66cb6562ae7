"""Per-chapter results JSON: the one way a chapter records its key figures.

``save("training", profile, test_error={...})`` merges values into
``<build>/results/training.json``. The scorecard chapter and the tests read these
files; nothing in them is typed by hand. Each file carries the sha256 of its content
(:mod:`resdyn_utils.integrity`), so a corrupt one raises instead of being read.

The book runner *certifies* a chapter's results once the chapter has executed without
error (:func:`certify`): ``certified.json`` records the profile, the sha256 of the
file and the commit the chapter ran at (:func:`run_stamp`). The scorecard reads only
certified results (:func:`certified_results`), so a file of another profile, or one left
by a run of a chapter that failed later, never feeds it.
"""

from __future__ import annotations

import subprocess
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .integrity import read_json, sha256_of, write_json
from .paths import results_dir
from .profiles import REGIMES, Profile

CERTIFICATES = "certified.json"


class StaleResultsError(RuntimeError):
    """A chapter's results are not those of its last successful run in this profile."""


def to_jsonable(value: Any) -> Any:
    """Convert numpy/torch scalars and arrays (nested in dicts/lists) to plain JSON."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, torch.Tensor):
        return to_jsonable(value.detach().cpu().numpy())
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def results_path(chapter: str) -> Path:
    return results_dir() / f"{chapter}.json"


def regime_key(chapter: str, regime: str) -> str:
    """The name under which a chapter executed in ``regime`` records its results: the
    chapter's own in the primary regime, ``chapter@regime`` in the regime study."""
    if regime not in REGIMES:
        raise ValueError(f"unknown regime {regime!r}: use one of {', '.join(REGIMES)}")
    return chapter if regime == REGIMES[0] else f"{chapter}@{regime}"


def run_key(run: str) -> str:
    """The :func:`regime_key` of a run of the book runner's ledger, named by its notebook:
    ``book/x.ipynb`` (the chapter's page) gives ``x``, ``book/x.ipynb@regime`` (a run of
    the regime study) ``x@regime``. A regime not in :data:`~resdyn_utils.profiles.REGIMES`
    raises (:func:`regime_key`): a record of one is not a run of this book."""
    notebook, _, regime = run.partition("@")
    return regime_key(Path(notebook).stem, regime or REGIMES[0])


def save(chapter: str, profile: str | Profile, **values: Any) -> None:
    """Merge ``values`` into the chapter's results file (written atomically).

    Values recorded under another profile are discarded: one file holds one profile.
    Given a :class:`~resdyn_utils.profiles.Profile`, a chapter run in a regime of the
    regime study records under :func:`regime_key`.
    """
    if isinstance(profile, Profile):
        chapter, profile = regime_key(chapter, profile.regime), profile.name
    path = results_path(chapter)
    current = load_results(chapter) if path.exists() else {}
    if current.get("profile") != profile:
        current = {"chapter": chapter, "profile": profile, "values": {}}
    current["values"].update(to_jsonable(values))
    write_json(path, current)


def load_results(chapter: str) -> dict:
    """The chapter's results: ``{"chapter", "profile", "values"}``, verified."""
    return read_json(results_path(chapter), fix=f"execute the chapter {chapter!r} again (delete the file first "
                                                 "if it is corrupt)")


def _certificates_path() -> Path:
    return results_dir() / CERTIFICATES


def _certificates() -> dict:
    path = _certificates_path()
    return read_json(path, fix="delete it and build the book again")["chapters"] if path.exists() else {}


def uncertify(chapter: str) -> None:
    """Before a chapter runs: withdraw its certificate and delete its results, so that a
    failure leaves nothing that passes for this run's results."""
    chapters = _certificates()
    chapters.pop(chapter, None)
    write_json(_certificates_path(), {"chapters": chapters})
    results_path(chapter).unlink(missing_ok=True)


def certified_profile(chapter: str) -> str | None:
    """The profile in which the book runner last certified ``chapter``, or None."""
    certificate = _certificates().get(chapter)
    return certificate["profile"] if certificate else None


def certified_stamp(chapter: str) -> dict | None:
    """The ``{"commit", "date"}`` that the book runner's certificate of ``chapter`` holds:
    the checkout the chapter ran at (:func:`run_stamp`); None for a chapter not
    certified, or certified before certificates held it."""
    certificate = _certificates().get(chapter)
    return certificate.get("ran at") if certificate else None


def certify(chapter: str, profile: str, ran_at: dict | None = None) -> None:
    """After a chapter ran without error in ``profile``: record its results file's sha256
    and ``ran_at``, the :func:`run_stamp` taken as it started."""
    path = results_path(chapter)
    chapters = _certificates()
    chapters[chapter] = {"profile": profile, "sha256": sha256_of(path) if path.exists() else None,
                         "ran at": ran_at}
    write_json(_certificates_path(), {"chapters": chapters})


def certified_results(chapter: str, profile: str) -> dict:
    """The chapter's results if the book runner certified them for ``profile``.

    Raises :class:`FileNotFoundError` when the chapter recorded nothing and
    :class:`StaleResultsError` (naming the reason) when its results are of another
    profile, of a run that failed or was not made by the book runner, or changed since."""
    path = results_path(chapter)
    if not path.exists():
        raise FileNotFoundError(f"no results for chapter {chapter!r}: execute that chapter first")
    certificate = _certificates().get(chapter)
    run = "python -m resdyn_utils.book --profile " + profile + " --only " + chapter
    if certificate is None:
        raise StaleResultsError(f"the results of chapter {chapter!r} are not from a completed run of the book "
                                f"runner (its last run failed, or it was run by hand). Fix: `{run}`")
    if certificate["profile"] != profile:
        raise StaleResultsError(f"the results of chapter {chapter!r} are of the {certificate['profile']!r} "
                                f"profile, not {profile!r}. Fix: `{run}`")
    if certificate["sha256"] != sha256_of(path):
        raise StaleResultsError(f"the results of chapter {chapter!r} changed after its run was certified. "
                                f"Fix: `{run}`")
    results = load_results(chapter)
    if results["profile"] != profile:
        raise StaleResultsError(f"the results of chapter {chapter!r} are of the {results['profile']!r} profile")
    return results


BENCHMARKS = ("recipe_search", "recipe_budget", "circles_recipe", "longer_training", "precision", "throughput",
              "throughput_b256", "throughput_avx2", "throughput_avx2_b256", "throughput_gpu", "quick_gpu",
              "integrity", "bf16_eval", "chapter_costs", "regime_study", "model_costs")


def benchmark_path(name: str) -> Path:
    """``benchmarks/<name>.json`` of the repository (found from the working directory)."""
    from .paths import repo_root

    if name not in BENCHMARKS:
        raise ValueError(f"unknown benchmark {name!r}; known: {', '.join(BENCHMARKS)}")
    return (repo_root() or Path.cwd()) / "benchmarks" / f"{name}.json"


def stamp(root: Path) -> dict[str, str]:
    """The ``commit`` (short hash of HEAD of the checkout at ``root``) and the UTC ``date``
    that a benchmark record is stamped with. Raises naming the fix outside a git checkout."""
    git = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    if git.returncode != 0:
        raise RuntimeError(f"{root} is not a git checkout ({git.stderr.strip()}): a benchmark record names the "
                           "commit that measured it, so run the benchmark in a clone of the repository")
    return {"commit": git.stdout.strip(), "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}


def run_stamp(root: Path) -> dict[str, str | None]:
    """What a run of a chapter is stamped with as it starts: the :func:`stamp` of the
    checkout at ``root``, its commit marked ``+dirty`` where tracked files differ from
    it (the run is of no commit); the commit is None outside a git checkout (a copy
    without its history), where only the date is known."""
    try:
        stamped: dict[str, str | None] = dict(stamp(root))
    except RuntimeError:
        return {"commit": None, "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}
    changed = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                             capture_output=True, text=True).stdout.strip()
    if changed:
        stamped["commit"] = f"{stamped['commit']}+dirty"
    return stamped


def load_benchmark(name: str) -> dict | None:
    """The recorded run of ``benchmarks/<name>.py``, verified; ``None`` where the
    repository's ``benchmarks/`` folder is not here (on Colab). A corrupt file raises
    :class:`~resdyn_utils.integrity.CorruptFileError`."""
    path = benchmark_path(name)
    if not path.exists():
        return None
    return read_json(path, fix=f"restore it with `git checkout {path.name}` or rerun {benchmark_script(name)}")


# Records written by another run of one script: name -> (script, its arguments).
OTHER_RUNS = {"throughput_b256": ("throughput", "--batch 256"),
              "throughput_avx2": ("throughput", "on an AVX2 machine"),
              "throughput_avx2_b256": ("throughput", "--batch 256 on an AVX2 machine"),
              "throughput_gpu": ("throughput", "--device cuda")}


def benchmark_script(name: str) -> str:
    """The script that records ``benchmarks/<name>.json``: ``benchmarks/<script>.py``."""
    return f"benchmarks/{OTHER_RUNS.get(name, (name,))[0]}.py"


def missing_benchmark(name: str) -> str:
    """What a chapter prints where a recorded benchmark is not here."""
    how = f"{benchmark_script(name)} {OTHER_RUNS[name][1]} --out benchmarks/{name}.json" if name in OTHER_RUNS \
        else benchmark_script(name)
    return f"benchmarks/{name}.json is not here (e.g. on Colab): run {how} to produce it"
