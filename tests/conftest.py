"""Shared fixtures: every test writes into its own temporary build directory."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def isolated_build(tmp_path, monkeypatch):
    """Point RESDYN_BUILD_DIR at a fresh folder (MNIST stays in the shared data dir)."""
    monkeypatch.setenv("RESDYN_BUILD_DIR", str(tmp_path / "build"))
    return tmp_path / "build"


@pytest.fixture
def benchmark_script(monkeypatch):
    """Load ``benchmarks/<name>.py`` as a module whose record (``OUT``) is ``out``, a
    temporary file, never the repository's."""

    def load(name: str, out: Path):
        spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        monkeypatch.setattr(module, "OUT", out)
        return module

    return load
