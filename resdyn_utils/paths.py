"""Where the book keeps what it builds: executed notebooks, results, checkpoints, data.

Everything lives under one *build directory*. The book runner sets it through the
``RESDYN_BUILD_DIR`` environment variable; a notebook run by hand (or on Colab) uses
``_build`` in the repository when it finds one, and ``./resdyn_build`` otherwise.
"""

from __future__ import annotations

import os
from pathlib import Path

BUILD_DIR_ENV = "RESDYN_BUILD_DIR"
#: Set by the book runner to the Colab address of the notebook it executes.
COLAB_URL_ENV = "RESDYN_COLAB_URL"
DATA_DIR_ENV = "RESDYN_DATA_DIR"


def repo_root(start: Path | None = None) -> Path | None:
    """The repository root (the folder holding ``_toc.yml``) above ``start``, if any."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "_toc.yml").is_file() and (folder / "resdyn_utils").is_dir():
            return folder
    return None


def build_dir() -> Path:
    """The build directory (created on demand)."""
    env = os.environ.get(BUILD_DIR_ENV)
    if env:
        path = Path(env)
    else:
        root = repo_root()
        path = root / "_build" if root else Path.cwd() / "resdyn_build"
    path.mkdir(parents=True, exist_ok=True)
    return path.resolve()


def _sub(name: str) -> Path:
    path = build_dir() / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def results_dir() -> Path:
    """Per-chapter results JSON files."""
    return _sub("results")


def cache_dir() -> Path:
    """The checkpoint cache."""
    return _sub("cache")


def data_dir() -> Path:
    """Datasets (``RESDYN_DATA_DIR`` overrides; the default is shared across builds)."""
    env = os.environ.get(DATA_DIR_ENV)
    path = Path(env) if env else _sub("data")
    path.mkdir(parents=True, exist_ok=True)
    return path.resolve()
