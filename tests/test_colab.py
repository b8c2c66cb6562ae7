"""Colab: the generated cells agree with _config.yml, and a chapter runs alone, as on Colab."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import nbformat
import pytest

from resdyn_utils import colab

ROOT = Path(__file__).resolve().parents[1]


def test_every_chapter_has_the_colab_cells_of_config_yml():
    notebooks = colab.chapter_notebooks(ROOT)
    assert len(notebooks) >= 6
    assert [p for nb in notebooks for p in colab.problems(ROOT, nb)] == []


def test_the_url_lives_only_in_config_yml():
    url, _ = colab.repository(ROOT)
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    holders = {f for f in tracked if f.endswith((".md", ".py", ".yml", ".toml", ".cfg"))
               and url in (ROOT / f).read_text(errors="ignore")}
    assert holders == {"_config.yml"}


def test_a_changed_url_is_caught_and_synced(tmp_path):
    (tmp_path / "_config.yml").write_text(
        (ROOT / "_config.yml").read_text().replace("github.com/resdyn/resdyn", "github.com/someone/fork"))
    (tmp_path / "book").mkdir()
    notebook = tmp_path / "book" / "theory.ipynb"
    shutil.copy(ROOT / "book" / "theory.ipynb", notebook)
    found = colab.problems(tmp_path, notebook)
    assert len(found) == 2 and "someone/fork" in found[0]
    assert colab.sync(tmp_path, notebook)
    assert colab.problems(tmp_path, notebook) == []
    cells = nbformat.read(notebook, as_version=4).cells
    assert "github.com/someone/fork/blob/main/book/theory.ipynb" not in cells[0].source  # Colab's URL form
    assert "colab.research.google.com/github/someone/fork/blob/main/book/theory.ipynb" in cells[0].source
    setup = next(c for c in cells if "colab-setup" in c.metadata.get("tags", []))
    assert "git+https://github.com/someone/fork@main" in setup.source
    assert not colab.sync(tmp_path, notebook)  # idempotent


def test_a_notebook_without_parameters_cell_is_refused(tmp_path):
    shutil.copy(ROOT / "_config.yml", tmp_path / "_config.yml")
    notebook = tmp_path / "nb.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")]), notebook)
    with pytest.raises(ValueError, match="parameters"):
        colab.sync(tmp_path, notebook)


def test_config_without_repository_url_is_a_clear_error(tmp_path):
    (tmp_path / "_config.yml").write_text("title: x\n")
    with pytest.raises(ValueError, match="repository.url"):
        colab.repository(tmp_path)


def _build_wheel(out: Path) -> Path:
    """A wheel of resdyn_utils built from a copy of its sources (the repo stays clean)."""
    src = out / "src"
    shutil.copytree(ROOT / "resdyn_utils", src / "resdyn_utils", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "-w", str(out / "dist"), str(src)], check=True)
    (wheel,) = (out / "dist").glob("resdyn_utils-*.whl")
    return wheel


def test_a_chapter_runs_alone_as_on_colab(tmp_path):
    """One notebook, alone in an empty folder, in a fresh virtual environment whose only
    resdyn_utils comes from a wheel installed by the notebook's own setup cell.

    Colab comes with torch, scipy, seaborn... preinstalled; the fresh environment gets the
    same through a path entry to this environment's site-packages (which only adds the
    folder: the editable install of the repo there is not activated)."""
    wheel = _build_wheel(tmp_path / "wheel")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    Path(site, "colab_preinstalled.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    workdir = tmp_path / "colab"
    workdir.mkdir()
    shutil.copy(ROOT / "book" / "theory.ipynb", workdir / "theory.ipynb")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env |= {colab.SOURCE_ENV: str(wheel), "TQDM_DISABLE": "1", "HOME": str(tmp_path)}
    missing = subprocess.run([python, "-c", "import resdyn_utils"], cwd=workdir, env=env, capture_output=True)
    assert missing.returncode != 0, "the fresh environment must not see the repo's resdyn_utils"
    subprocess.run([python, "-m", "papermill", "theory.ipynb", "out.ipynb", "-p", "profile", "quick",
                    "-p", "interactive", "False", "-k", "python3", "--no-progress-bar"],
                   cwd=workdir, env=env, check=True, capture_output=True, timeout=900)
    executed = json.loads((workdir / "out.ipynb").read_text())
    errors = [o for c in executed["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert errors == []
    where = subprocess.run([python, "-c", "import resdyn_utils; print(resdyn_utils.__file__)"],
                           cwd=workdir, env=env, capture_output=True, text=True, check=True).stdout
    assert where.startswith(str(venv)), f"resdyn_utils was imported from {where}, not the wheel"
    results = json.loads(Path(env["RESDYN_BUILD_DIR"], "results", "theory.json").read_text())
    assert results["profile"] == "quick"
