"""Per-chapter results JSON: the one way a chapter records its key figures.

``record("training", profile, test_error={...})`` merges values into
``<build>/results/training.json``. The scorecard chapter and the tests read these
files; nothing in them is typed by hand.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .paths import results_dir


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


def record(chapter: str, profile: str, **values: Any) -> None:
    """Merge ``values`` into the chapter's results file (written atomically).

    Values recorded under another profile are discarded: one file holds one profile.
    """
    path = results_path(chapter)
    current = load_results(chapter) if path.exists() else {}
    if current.get("profile") != profile:
        current = {"chapter": chapter, "profile": profile, "values": {}}
    current["values"].update(to_jsonable(values))
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "w") as fh:
        json.dump(current, fh, indent=2, sort_keys=True)
    os.replace(tmp, path)


def load_results(chapter: str) -> dict:
    """The chapter's results: ``{"chapter", "profile", "values"}``."""
    path = results_path(chapter)
    if not path.exists():
        raise FileNotFoundError(f"no results for chapter {chapter!r} at {path}: execute that chapter first")
    return json.loads(path.read_text())


VERDICTS = ("reproduced", "partly reproduced", "not reproduced", "not testable")
QUICK_VERDICT = "quick profile: not a reproduction"


def mean_spread(values, unit: str = "", digits: int = 2) -> str:
    """``"mean ± half-range (min-max, n runs)"`` of a few numbers, e.g. test errors over seeds."""
    values = [float(v) for v in values]
    lo, hi, mean = min(values), max(values), sum(values) / len(values)
    if len(values) == 1:
        return f"{mean:.{digits}f}{unit} (1 run)"
    return f"{mean:.{digits}f} ± {(hi - lo) / 2:.{digits}f}{unit} ({lo:.{digits}f}-{hi:.{digits}f}, {len(values)} runs)"


def grade(reproduced: bool, partly: bool = False) -> str:
    """The verdict word: reproduced, else partly reproduced (if ``partly``), else not."""
    return VERDICTS[0] if reproduced else (VERDICTS[1] if partly else VERDICTS[2])


def verdict_table(rows: list[dict], profile: str):
    """A chapter's verdicts (claim, paper, ours, verdict) as a DataFrame. A quick-profile
    run is a smoke test, so its verdicts are replaced by a mark saying so."""
    import pandas as pd

    table = pd.DataFrame(rows)
    if profile == "quick":
        table["verdict"] = QUICK_VERDICT
    return table
