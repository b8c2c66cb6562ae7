"""The book runner, the profiles, the notebook conventions and the dependency lists."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import nbformat
import pytest
import yaml

from resdyn_utils import book
from resdyn_utils.profiles import PROFILES, get_profile
from resdyn_utils.results import certified_stamp, load_results, save, stamp

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "book").glob("*.ipynb"))


def test_unknown_profile_is_refused():
    with pytest.raises(ValueError, match="unknown profile 'fast'.*quick, full"):
        get_profile("fast")
    assert book.main(["--profile", "fast", "--root", str(ROOT)]) == 1


def make_book(root: Path, cells: list[str]) -> None:
    (root / "book").mkdir(parents=True)
    (root / "_toc.yml").write_text("format: jb-book\nroot: book/intro\nchapters:\n  - file: book/chapter\n")
    (root / "book" / "intro.md").write_text("# Intro\n")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell('profile = "quick"\nseed = 0', metadata={"tags": ["parameters"]})]
    nb.cells += [nbformat.v4.new_code_cell(src) for src in cells]
    nbformat.write(nb, root / "book" / "chapter.ipynb")


def test_failing_cell_stops_the_runner_naming_notebook_and_cell(tmp_path, capsys):
    make_book(tmp_path, ["x = 1", "raise RuntimeError('broken on purpose')"])
    assert book.main(["--profile", "quick", "--root", str(tmp_path), "--no-html"]) == 1
    err = capsys.readouterr().err
    assert "chapter.ipynb" in err and "cell 3" in err and "broken on purpose" in err


def test_runner_injects_the_profile_and_records_timings(tmp_path):
    make_book(tmp_path, ["assert profile == 'full', profile"])
    timings = book.run_book(tmp_path, "full", html=False)
    assert list(timings) == ["book/chapter.ipynb"]
    info = (tmp_path / "_build" / "src" / "book" / "build_info.md").read_text()
    assert "`full`" in info and "book/chapter.ipynb" in info and "no matmuls" in info
    build = json.loads((tmp_path / "_build" / "results" / "build.json").read_text())
    precision = build["environment"]["mnist_precision"]
    assert f"**MNIST training precision:** `{precision}`" in info
    assert (precision == "bf16") == build["environment"]["bf16_native"]
    assert all(build["gemm_peak_gflops"][p] > 0 for p in ("fp32", "bf16"))


def test_runner_records_the_matmul_flops_each_chapter_executed(tmp_path):
    """The chapter's kernel counts its nets' matmuls and hands them to the runner as it
    exits; build.json holds them with their floor at the GEMM peak measured in the build."""
    make_book(tmp_path, ["import torch\nfrom resdyn_utils.models import ModelConfig, ResidualNet\n"
                         "net = ResidualNet(ModelConfig(20, 32, 5, 10))\n"
                         "with torch.no_grad():\n    net(torch.rand(100, 20))"])
    book.run_book(tmp_path, "full", html=False)
    build = json.loads((tmp_path / "_build" / "results" / "build.json").read_text())
    chapter = build["chapters"]["book/chapter.ipynb"]
    flops = 2 * 100 * (5 * 32 * 32 + 32 * 10)
    assert chapter["flops"] == {"fp32": flops, "bf16": 0.0}
    assert chapter["floor_seconds"] == pytest.approx(flops / (build["gemm_peak_gflops"]["fp32"] * 1e9))
    assert build["chapters"]["total"]["tflop"] == pytest.approx(flops / 1e12)


def test_a_build_in_one_regime_runs_only_that_regimes_study(tmp_path):
    """``--regime short`` runs the regime study's chapters in that regime and nothing
    else; the chapters' pages (the primary regime) keep their earlier records."""
    make_book(tmp_path, ["regime = globals().get('regime', 'validated')"])
    (tmp_path / "book" / "chapter.ipynb").rename(tmp_path / "book" / "transients.ipynb")
    make_book(tmp_path / "other", ["x = 1"])
    shutil.copy(tmp_path / "other" / "book" / "chapter.ipynb", tmp_path / "book" / "chapter.ipynb")
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: book/intro\nchapters:\n"
                                       "  - file: book/chapter\n  - file: book/transients\n")
    book.run_book(tmp_path, "full", html=False, regime="validated")
    first = json.loads((tmp_path / "_build" / "results" / "build.json").read_text())["chapters"]
    assert set(first) == {"book/chapter.ipynb", "book/transients.ipynb", "total"}
    timings = book.run_book(tmp_path, "full", html=False, regime="short")
    assert list(timings) == ["book/chapter.ipynb", "book/transients.ipynb@short", "book/transients.ipynb"]
    runs = json.loads((tmp_path / "_build" / "results" / "build.json").read_text())["chapters"]
    assert runs["book/chapter.ipynb"] == first["book/chapter.ipynb"]  # kept, not rerun
    assert (tmp_path / "_build" / "regimes" / "short" / "book" / "transients.ipynb").exists()
    assert not (tmp_path / "_build" / "regimes" / "torch-init").exists()
    assert book.main(["--profile", "full", "--regime", "long", "--root", str(tmp_path), "--no-html"]) == 1


def test_a_chapter_is_certified_with_the_commit_it_ran_at(tmp_path):
    """The certificate holds the checkout's commit as the chapter started, so a record
    made after a later commit still names the commit that ran it."""
    make_book(tmp_path, ["x = 1"])
    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t"]
    for args in (["init", "-q"], ["add", "_toc.yml", "book"], ["commit", "-q", "-m", "book"]):
        subprocess.run(git + args, check=True, capture_output=True)
    ran_at = stamp(tmp_path)["commit"]
    book.run_book(tmp_path, "full", html=False)
    subprocess.run(git + ["commit", "-q", "--allow-empty", "-m", "later"], check=True, capture_output=True)
    assert stamp(tmp_path)["commit"] != ran_at
    assert certified_stamp("chapter")["commit"] == ran_at


def test_the_staged_config_announces_the_profile(tmp_path):
    (tmp_path / "_config.yml").write_text("title: t\nhtml:\n  favicon: f.png\n")
    for profile in ("quick", "full"):
        book.announce_profile(tmp_path, profile)
        config = yaml.safe_load((tmp_path / "_config.yml").read_text())
        assert config["html"] == {"favicon": "f.png", "announcement": book.PROFILE_BANNERS[profile]}
    assert "smoke test" in book.PROFILE_BANNERS["quick"] and "smoke" not in book.PROFILE_BANNERS["full"]
    assert set(book.PROFILE_BANNERS) == set(PROFILES)
    (tmp_path / "_config.yml").unlink()  # a book without one gets one with the banner
    book.announce_profile(tmp_path, "quick")
    assert yaml.safe_load((tmp_path / "_config.yml").read_text()) == {
        "html": {"announcement": book.PROFILE_BANNERS["quick"]}}


def test_a_chapter_that_fails_leaves_no_results_that_pass_for_the_run(tmp_path):
    """The runner certifies a chapter's results only after it ran without error; a rerun
    that fails after recording leaves them stale, and none of the earlier run's values."""
    from resdyn_utils.results import StaleResultsError, certified_results

    recording = "from resdyn_utils.results import save\nsave('chapter', profile, **{name: 1})"
    make_book(tmp_path, ["name = 'old'", recording])
    book.run_book(tmp_path, "full", html=False)
    assert certified_results("chapter", "full")["values"] == {"old": 1}
    shutil.rmtree(tmp_path / "book")
    make_book(tmp_path, ["name = 'new'", recording, "raise RuntimeError('fails after recording')"])
    with pytest.raises(book.ChapterFailed, match="fails after recording"):
        book.run_book(tmp_path, "full", html=False)
    with pytest.raises(StaleResultsError, match="its last run failed"):
        certified_results("chapter", "full")
    assert load_results("chapter")["values"] == {"new": 1}  # nothing of the earlier run mixed in


def test_toc_lists_existing_files_in_order():
    files = book.toc_files(ROOT)
    assert files[0] == "book/intro.md"
    assert all((ROOT / f).is_file() for f in files)
    assert {f"book/{p.name}" for p in NOTEBOOKS} <= set(files)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_have_no_outputs_and_a_parameters_cell(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code)
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1
    assert re.search(r"^profile\s*=\s*\"quick\"", params[0].source, re.M)
    assert re.search(r"^seed\s*=", params[0].source, re.M)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_record_results_through_the_helper(path):
    source = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells)
    assert "save(" in source
    assert "json.dump" not in source and "open(" not in source


def _draws(cell) -> list[bool]:
    """For each top-level statement of a code cell: is it a figure call (``figures.*`` or ``noise_view``)?"""
    import ast

    def is_draw(stmt) -> bool:
        if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)):
            return False
        f = stmt.value.func
        return ((isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "figures")
                or (isinstance(f, ast.Name) and f.id == "noise_view"))

    return [is_draw(stmt) for stmt in ast.parse(cell.source).body]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_figure_cells_are_collapsed_and_captioned(path):
    cells = nbformat.read(path, as_version=4).cells
    for i, cell in enumerate(cells):
        if cell.cell_type != "code" or "parameters" in cell.metadata.get("tags", []):
            continue
        draws = _draws(cell)
        if draws and all(draws):
            assert "hide-input" in cell.metadata.get("tags", []), f"cell {i} only draws: tag it hide-input"
        if any(draws) or "noise_view(" in cell.source:
            figure = cell.metadata.get("mystnb", {}).get("figure", {})
            alt = cell.metadata.get("mystnb", {}).get("image", {}).get("alt", "")
            assert figure.get("caption") and figure.get("name", "").startswith(f"fig-{path.stem}-"), \
                f"cell {i} draws a figure without a numbered caption (mystnb.figure caption and name)"
            assert len(alt) >= 10, f"cell {i}: the figure needs alt text (mystnb.image.alt)"
            after = cells[i + 1] if i + 1 < len(cells) else None
            assert after is not None, f"cell {i}: a figure is followed by a sentence on what it shows"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_chapters_open_with_their_findings_and_hide_the_bookkeeping(path):
    from resdyn_utils.findings import glue_key

    cells = nbformat.read(path, as_version=4).cells
    title = next(i for i, c in enumerate(cells) if c.cell_type == "markdown" and c.source.startswith("# "))
    box = cells[title + 1]
    assert box.cell_type == "markdown" and "What this chapter finds" in box.source
    assert f"{{glue:md}} {glue_key(path.stem)}" in box.source
    assert any(f'findings.publish("{path.stem}"' in c.source for c in cells if c.cell_type == "code")
    for cell in cells:
        if cell.cell_type == "code" and re.search(r"^save\(", cell.source, re.M):
            assert "remove-cell" in cell.metadata.get("tags", []), "the save() cell is bookkeeping: tag it remove-cell"
        if cell.cell_type == "code":
            long = [line for line in cell.source.splitlines() if len(line) > 88]
            assert not long, f"code lines over 88 characters: {long[:1]}"


def test_the_executed_copy_has_no_papermill_cell_and_starts_live(tmp_path):
    make_book(tmp_path, ["print(profile)"])
    path = tmp_path / "book" / "chapter.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[0].source += "\ninteractive = True"
    nbformat.write(nb, path)
    book.run_book(tmp_path, "full", html=False)
    executed = nbformat.read(tmp_path / "_build" / "src" / "book" / "chapter.ipynb", as_version=4)
    assert not [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    source = "\n".join(c.source for c in executed.cells)
    assert 'profile = "full"' in source and "interactive = True" in source and "interactive = False" not in source
    assert executed.cells[-1].outputs[0]["text"].strip() == "full"  # it ran with the injected profile


def test_record_merges_and_converts(isolated_build):
    import numpy as np
    import torch

    save("demo", "quick", a=np.float32(0.5), b=torch.tensor([1, 2]))
    save("demo", "quick", c={"d": np.arange(2)})
    values = load_results("demo")["values"]
    assert values == {"a": 0.5, "b": [1, 2], "c": {"d": [0, 1]}}
    save("demo", "full", a=1)
    assert load_results("demo") == {"chapter": "demo", "profile": "full", "values": {"a": 1}}


def _normalise(spec: str) -> str:
    return re.sub(r"\s+", "", spec).lower()


def test_environment_yml_mirrors_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        declared += extra
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    conda_side = [s for s in pip if not s.startswith("-e")]
    assert sorted(map(_normalise, conda_side)) == sorted(map(_normalise, declared))


def test_lock_pins_the_torch_on_this_machine():
    lock = (ROOT / "requirements-lock.txt").read_text().splitlines()
    assert "torch==2.14.1" in lock and "torchvision==0.29.1" in lock
    assert any(line.startswith("jupyter-book==1.") for line in lock)


def test_profiles_are_ordered_by_cost():
    quick, full = PROFILES["quick"], PROFILES["full"]
    assert quick.mnist_n_train < 60_000 and full.mnist_n_train is None
    assert len(full.seeds) >= 3 and len(full.circles_seeds) >= 5
    assert json.dumps(sorted(PROFILES)) == '["full", "quick"]'


def test_duplicate_inline_scripts_are_dropped_whatever_their_empty_filename():
    from sphinx.builders.html._assets import _JavaScript

    from resdyn_utils.sphinx_assets import drop_duplicate_scripts

    body = "const THEBE_JS_URL = 'x';"
    scripts = [_JavaScript(None, body=body), _JavaScript("a.js"), _JavaScript("", body=body), _JavaScript("a.js"),
               _JavaScript("", body="other")]
    context = {"script_files": scripts}
    drop_duplicate_scripts(None, "page", "page.html", context, None)
    assert [(s.filename, s.attributes) for s in context["script_files"]] == [
        (None, {"body": body}), ("a.js", {}), ("", {"body": "other"})]


def test_the_colab_address_of_a_chapter_needs_a_github_repository(tmp_path):
    assert book.chapter_colab_url(tmp_path, "book/x.ipynb") == ""  # no _config.yml: no link, no error
    url = book.chapter_colab_url(ROOT, "book/theory.ipynb")
    assert url.startswith("https://colab.research.google.com/github/") and url.endswith("/blob/main/book/theory.ipynb")


def test_the_build_page_lists_the_runs_in_reading_order():
    toc = ["book/intro.md", "book/a.ipynb", "book/b.ipynb"]
    runs = {name: {"seconds": 1.0} for name in
            ("book/b.ipynb", "book/a.ipynb@short", "book/a.ipynb", "book/a.ipynb@torch-init")}
    assert list(book.in_reading_order(runs, toc)) == [
        "book/a.ipynb@torch-init", "book/a.ipynb@short", "book/a.ipynb", "book/b.ipynb"]
