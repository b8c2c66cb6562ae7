"""Colab cells of the chapters, generated from ``_config.yml``.

Every chapter notebook starts with an "Open in Colab" badge and, after its
``parameters`` cell, a setup cell that installs ``resdyn_utils`` (and nothing else:
Colab has torch, torchvision, scipy, pandas, seaborn, tqdm and ipywidgets) when it is
missing. The repository URL lives only in ``_config.yml``; these cells are generated
from it, and ``python -m resdyn_utils.colab --check`` (run by the tests) reports any
notebook that disagrees. ``--sync`` rewrites the cells.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat
import yaml

BADGE_TAG = "colab-badge"
SETUP_TAG = "colab-setup"
#: Set to a wheel or a local path to install ``resdyn_utils`` from there instead of the repository.
SOURCE_ENV = "RESDYN_UTILS_SOURCE"
BADGE_SVG = "https://colab.research.google.com/assets/colab-badge.svg"


def repository(root: Path) -> tuple[str, str]:
    """``(url, branch)`` of the repository, from ``_config.yml``."""
    config = yaml.safe_load((root / "_config.yml").read_text())
    try:
        url, branch = config["repository"]["url"].rstrip("/"), config["repository"].get("branch", "main")
    except (KeyError, TypeError):
        raise ValueError(f"{root / '_config.yml'} has no repository.url: add it (the book's only copy of the URL)") from None
    if not url.startswith("https://github.com/"):
        raise ValueError(f"repository.url {url!r} is not a GitHub URL; Colab opens notebooks from GitHub")
    return url, branch


def colab_url(url: str, branch: str, notebook: str) -> str:
    """The address that opens ``notebook`` (path in the repository) on Colab."""
    return f"https://colab.research.google.com/github/{url.removeprefix('https://github.com/')}/blob/{branch}/{notebook}"


def badge_source(url: str, branch: str, notebook: str) -> str:
    """Markdown of the badge that opens ``notebook`` (path in the repository) on Colab."""
    return f"[![Open In Colab]({BADGE_SVG})]({colab_url(url, branch, notebook)})"


def setup_source(url: str, branch: str) -> str:
    """The setup cell: install the helper package from the repository when it is missing."""
    return "\n".join([
        "# Colab (or any environment without the helper package):",
        "# install resdyn_utils, nothing else.",
        "import importlib.util, os, subprocess, sys",
        "",
        'if importlib.util.find_spec("resdyn_utils") is None:',
        f'    source = os.environ.get("{SOURCE_ENV}",',
        f'                            "git+{url}@{branch}")',
        '    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps"]',
        "    subprocess.run([*pip, source], check=True)",
    ])


def _tagged(nb, tag: str) -> list[int]:
    return [i for i, c in enumerate(nb.cells) if tag in c.metadata.get("tags", [])]


def expected_cells(root: Path, notebook: Path) -> tuple[nbformat.NotebookNode, nbformat.NotebookNode]:
    url, branch = repository(root)
    rel = notebook.resolve().relative_to(root.resolve()).as_posix()
    badge = nbformat.v4.new_markdown_cell(badge_source(url, branch, rel),
                                          metadata={"tags": [BADGE_TAG, "remove-cell"]})
    setup = nbformat.v4.new_code_cell(setup_source(url, branch), metadata={"tags": [SETUP_TAG, "hide-cell"]})
    return badge, setup


def problems(root: Path, notebook: Path) -> list[str]:
    """What is wrong with ``notebook``'s Colab cells (empty: consistent with ``_config.yml``)."""
    nb = nbformat.read(notebook, as_version=4)
    badge, setup = expected_cells(root, notebook)
    found = []
    badges, setups, params = _tagged(nb, BADGE_TAG), _tagged(nb, SETUP_TAG), _tagged(nb, "parameters")
    if badges != [0] or nb.cells[0].source != badge.source:
        found.append(f"{notebook.name}: the first cell must be the Colab badge {badge.source}")
    if len(params) != 1:
        found.append(f"{notebook.name}: needs exactly one 'parameters' cell")
    elif setups != [params[0] + 1] or nb.cells[setups[0]].source != setup.source:
        found.append(f"{notebook.name}: the cell after 'parameters' must be the generated Colab setup cell")
    return found


def sync(root: Path, notebook: Path) -> bool:
    """Insert or rewrite the Colab cells of ``notebook``; True if the file changed."""
    if not problems(root, notebook):
        return False
    nb = nbformat.read(notebook, as_version=4)
    generated = set(_tagged(nb, BADGE_TAG) + _tagged(nb, SETUP_TAG))
    nb.cells = [c for i, c in enumerate(nb.cells) if i not in generated]
    badge, setup = expected_cells(root, notebook)
    params = _tagged(nb, "parameters")
    if len(params) != 1:
        raise ValueError(f"{notebook}: needs exactly one cell tagged 'parameters' (the papermill parameters)")
    nb.cells.insert(params[0] + 1, setup)
    nb.cells.insert(0, badge)
    nbformat.write(nb, notebook)
    return True


def chapter_notebooks(root: Path) -> list[Path]:
    """The chapter notebooks of the table of contents."""
    from .book import toc_files

    return [root / f for f in toc_files(root) if f.endswith(".ipynb")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m resdyn_utils.colab", description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("check", "sync"))
    parser.add_argument("--root", type=Path, default=Path.cwd())
    args = parser.parse_args(argv)
    if args.action == "sync":
        for nb in chapter_notebooks(args.root):
            if sync(args.root, nb):
                print(f"updated {nb}")
        return 0
    found = [p for nb in chapter_notebooks(args.root) for p in problems(args.root, nb)]
    print("\n".join(found) or "every chapter's Colab cells match _config.yml")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
