"""Shared fixtures: every test writes into its own temporary build directory."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def isolated_build(tmp_path, monkeypatch):
    """Point RESDYN_BUILD_DIR at a fresh folder (MNIST stays in the shared data dir)."""
    monkeypatch.setenv("RESDYN_BUILD_DIR", str(tmp_path / "build"))
    return tmp_path / "build"
