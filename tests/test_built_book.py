"""Checks on the book that the runner just built (run after `resdyn_utils.book`).

They read the per-chapter results JSON and the HTML: the mechanics and sanity bounds
of whatever profile was built, never the paper's numbers.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from resdyn_utils.book import study_regimes, toc_files
from resdyn_utils.integrity import read_json
from resdyn_utils.results import certified_results

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "_build"
RESULTS = BUILD / "results"

pytestmark = pytest.mark.skipif(not (RESULTS / "build.json").exists(), reason="the book has not been built")


@pytest.fixture(autouse=True)
def the_built_book(isolated_build, monkeypatch):
    """These tests read the real build, not the temporary one of the other tests."""
    monkeypatch.setenv("RESDYN_BUILD_DIR", str(BUILD))


def build_record() -> dict:
    return read_json(RESULTS / "build.json")


def results(chapter: str) -> dict:
    """The chapter's results, certified by the runner for the profile of the build."""
    return certified_results(chapter, build_record()["profile"])["values"]


def test_every_chapter_page_is_rendered():
    assert (BUILD / "html" / "index.html").is_file()
    for rel in toc_files(ROOT):
        page = BUILD / "html" / Path(rel).with_suffix(".html")
        assert page.is_file(), page
        assert "Traceback" not in page.read_text(errors="replace") or rel.endswith(".md")


def test_build_info_lists_every_notebook():
    build = build_record()
    notebooks = [f for f in toc_files(ROOT) if f.endswith(".ipynb")]
    study = [f"{rel}@{regime}" for rel in notebooks for regime in study_regimes(Path(rel).stem, build["profile"])]
    assert study and sorted(build["timings"]) == sorted(notebooks + study)
    assert all(seconds > 0 for seconds in build["timings"].values())
    costs = build["chapters"]
    assert set(costs) == set(build["timings"]) | {"total"}
    # the chapters that evaluate MNIST nets executed matmuls (training loads cached
    # models in a warm build), and no chapter beats its floor
    for rel in ("book/transients.ipynb", "book/robustness.ipynb"):
        assert costs[rel]["tflop"] > 0
    assert all(c["seconds"] > c["floor_seconds"] for c in costs.values())


def test_theory_identities_hold():
    v = results("theory")
    assert v["euler_gap"] < 1e-5 and v["sum_gap"] < 1e-4 and v["exact_map_gap"] < 1e-4
    assert len(v["first_order_error"]) == 14
    assert v["circles_fixed_point_counts"]  # at least the corners of the cube


def test_circles_sanity():
    v = results("circles")
    accs = [a for variant in v["accuracy"].values() for a in variant.values()]
    assert all(0.0 <= a <= 1.0 for a in accs)
    assert max(v["accuracy"]["shared, padded (paper)"].values()) > 0.75  # well above chance (0.5)
    assert 0 <= v["ode_gap_y"] < 1.0
    assert len(v["measurements"]["E1.accuracy"]) == len(v["seeds"])  # every seed measured


def test_every_chapter_records_one_verdict_per_testable_claim_of_its_own():
    from resdyn_utils.claims import CLAIMS
    from resdyn_utils.scorecard import CHAPTERS

    for chapter in CHAPTERS:
        expected = [c.id for c in CLAIMS if c.chapter == chapter and not c.untestable]
        rows = results(chapter)["verdicts"]
        assert [r["id"] for r in rows] == expected, chapter
        assert all(r["rule"] and r["kind"] for r in rows)


def test_training_sanity():
    v = results("training")
    shared = list(v["test_error"]["ResNet, shared W"].values())
    assert all(0.0 <= e < 0.5 for e in shared)  # a ResNet learns, even in the quick profile
    assert 0 < v["train_step_minutes"] < v["train_minutes"]  # the per-epoch evaluation takes time too


def test_transients_sanity():
    v = results("transients")
    for m in v["measurements"]["E2.fig4"]:
        assert all(0 <= m[k] <= 10 for k in ("wins (a), signed K", "wins (b), signed K", "wins (a), |K|"))
    for m in v["measurements"]["E2.transient-readout"]:
        assert all(0.0 <= a <= 1.0 for k, a in m.items() if k.startswith("accuracy"))
    assert len(v["measurements"]["E2.fig3"][0]["max std per layer"]) == v["unroll_depth"]
    assert len(v["accuracy_by_depth"]) == v["unroll_depth"]
    assert all(len(curve) == 15 for curve in v["probes"].values())


def test_robustness_sanity():
    v = results("robustness")
    sweep = v["noise_sweep"]
    assert all(0.0 <= r["accuracy"] <= 1.0 for r in sweep)
    assert {round(r["sigma"], 4) for r in sweep} >= {round(s, 4) for s in (50 / 255, 75 / 255, 100 / 255, 1.0)}
    # noise cannot help on average: the clean accuracy of a trained ResNet beats its sigma = 1 accuracy
    shared = [r for r in sweep if r["net"] == "ResNet, shared W" and r["clamped"]]
    assert min(r["accuracy"] for r in shared if r["sigma"] == 0) > max(r["accuracy"] for r in shared if r["sigma"] == 1.0)
    assert v["best_mlp_depth"] in [int(d) for d in v["mlp_depth_train_acc"]]


def test_scorecard_covers_every_claim_and_links_to_real_sections():
    from resdyn_utils.claims import CLAIMS

    v = results("scorecard")
    assert [r["id"] for r in v["rows"]] == [c.id for c in CLAIMS]
    assert v["unlisted"] == []
    assert not [r["id"] for r in v["rows"] if r["verdict"] == "missing"]
    assert not [r["id"] for r in v["rows"] if not r["ours"]]  # every row shows a measurement (or why none)
    for row in v["rows"]:
        page = (BUILD / "html" / "book" / f"{row['chapter']}.html").read_text()
        assert f'id="{row["anchor"]}"' in page, f"{row['id']}: no section #{row['anchor']} in {row['chapter']}.html"
