"""benchmarks/regime_study.py records certified study-chapter verdicts per regime, and the
scorecard shows the record regime by regime, under the commit that measured each."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from resdyn_utils import scorecard
from resdyn_utils.integrity import read_json
from resdyn_utils.profiles import get_profile
from resdyn_utils.results import certified_stamp, certify, regime_key, results_path, run_stamp, save, stamp

ROOT = Path(__file__).resolve().parents[1]
IDS = [c.id for c in scorecard.CLAIMS if c.chapter == "transients" and not c.untestable][:2]


@pytest.fixture
def regime_study(benchmark_script, tmp_path):
    (tmp_path / "repo" / "benchmarks").mkdir(parents=True)
    return benchmark_script("regime_study", tmp_path / "repo" / "benchmarks" / "regime_study.json")


def run(regime: str, words: list[str], chapter: str = "transients", profile: str = "full",
        ran_at: dict | None = None) -> None:
    """A certified run of ``chapter`` in ``regime`` that grades IDS with ``words``, at
    ``ran_at`` (by default the commit and date of this checkout now)."""
    rows = [{"id": i, "claim": i, "verdict": w, "measured verdict": w, "ours": f"{w}!", "seeds": 3}
            for i, w in zip(IDS, words)]
    save(chapter, get_profile(profile, regime), verdicts=rows + [{"claim": "no id", "verdict": "x"}])
    certify(regime_key(chapter, regime), profile, ran_at or stamp(ROOT))


def test_runs_of_one_regime_at_a_time_accumulate_and_a_rerun_replaces_its_entry(regime_study, monkeypatch,
                                                                                  tmp_path):
    run("short", ["reproduced", "not reproduced"])
    regime_study.record(regime_study.certified_runs(), {"cpu": "A"}, ROOT)
    # the next session's build holds only the validated regime's run
    monkeypatch.setenv("RESDYN_BUILD_DIR", str(tmp_path / "next"))
    assert regime_study.certified_runs() == []
    run("validated", ["reproduced", "partly reproduced"])
    regime_study.record(regime_study.certified_runs(), {"cpu": "B"}, ROOT)
    entries = read_json(regime_study.OUT, fix="")["entries"]
    assert [(e["profile"], e["regime"], e["cpu"]) for e in entries] == [("full", "short", "A"),
                                                                        ("full", "validated", "B")]
    assert [r["id"] for r in entries[0]["verdicts"]] == IDS  # rows without a claim id are left out
    assert entries[0]["verdicts"][1] == {"id": IDS[1], "verdict": "not reproduced",
                                         "measured verdict": "not reproduced", "ours": "not reproduced!",
                                         "seeds": 3}
    run("short", ["reproduced", "partly reproduced"])  # the short regime measured again
    regime_study.record([r for r in regime_study.certified_runs() if r[0] == "short"], {"cpu": "B"}, ROOT)
    entries = read_json(regime_study.OUT, fix="")["entries"]
    assert [(e["regime"], e["cpu"]) for e in entries] == [("validated", "B"), ("short", "B")]


def test_the_recorded_view_grades_agreement_and_names_the_commits(regime_study, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path / "repo")  # the loaders read ./benchmarks outside a repository
    assert scorecard.recorded_regime_view("full", ("transients",)) is None
    run("validated", ["reproduced", "partly reproduced"])
    run("short", ["reproduced", "not reproduced"])
    regime_study.record(regime_study.certified_runs(), {"cpu": "A"}, ROOT)
    view = scorecard.recorded_regime_view("full", ("transients",))
    at = view.iloc[-1]
    assert at["claim"] == "measured at" and at["torch-init"] == "not recorded"
    assert at["validated"] == at["short"] and len(at["short"].split(" ")[0]) >= 7  # the commit
    rows = view.iloc[:-1].set_index("id")
    assert rows.loc[IDS[0], "across regimes"] == scorecard.INCOMPLETE  # torch-init not recorded
    assert rows.loc[IDS[1], "short"] == "not reproduced" and rows.loc[IDS[1], "validated"] == "partly reproduced"
    assert rows.loc[IDS[1], "across regimes"] == scorecard.DIFFERS  # two regimes disagree: a third cannot undo it
    sentence = scorecard.regime_sentence(rows.loc[IDS].reset_index())
    assert f"1 changes with the regime ({IDS[1]})" in sentence
    assert "1 agrees (at least up to the split over the seeds) in the regimes that were run but lack one" in sentence
    run("torch-init", ["reproduced", "not reproduced"])
    regime_study.record(regime_study.certified_runs(), {"cpu": "A"}, ROOT)
    rows = scorecard.recorded_regime_view("full", ("transients",)).iloc[:-1].set_index("id")
    assert rows.loc[IDS[0], "across regimes"] == scorecard.HOLDS_ACROSS
    assert rows.loc[IDS[1], "across regimes"] == scorecard.DIFFERS
    assert scorecard.recorded_regime_view("quick", ("transients",)).iloc[-1]["short"] == "not recorded"


def test_each_run_is_read_in_its_certified_profile_and_a_tampered_one_is_named(regime_study, capsys):
    run("short", ["reproduced", "not reproduced"], profile="quick")
    run("validated", ["reproduced", "partly reproduced"])
    results_file = results_path(regime_key("transients", "validated"))
    results_file.write_bytes(results_file.read_bytes().replace(b"partly", b"fully"))
    runs = regime_study.certified_runs()
    assert [(regime, results["profile"]) for regime, _, results, _ in runs] == [("short", "quick")]
    assert "'transients' changed after its run was certified" in capsys.readouterr().err  # said so


def test_a_record_is_stamped_with_the_checkout_that_measured_it(tmp_path):
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True).stdout.strip()
    assert stamp(ROOT)["commit"] == head and stamp(ROOT)["date"].endswith(" UTC")
    with pytest.raises(RuntimeError, match="not a git checkout"):
        stamp(tmp_path)


def test_a_run_is_stamped_with_the_commit_it_ran_at_not_the_one_it_is_recorded_at(regime_study, monkeypatch,
                                                                                   capsys):
    monkeypatch.setattr(regime_study, "stamp", lambda root: {"commit": "bbbbbbb", "date": "d2"})  # HEAD now
    run("validated", ["reproduced", "partly reproduced"], ran_at={"commit": "aaaaaaa", "date": "d1"})
    regime_study.record(regime_study.certified_runs(), {"cpu": "A"}, ROOT)
    assert [(e["commit"], e["date"]) for e in read_json(regime_study.OUT, fix="")["entries"]] == [("aaaaaaa", "d1")]
    assert regime_study.record(regime_study.certified_runs(), {"cpu": "A"}, ROOT) == []  # the same run: kept
    run("validated", ["reproduced", "not reproduced"], ran_at={"commit": "ccccccc", "date": "d3"})  # run again
    regime_study.record(regime_study.certified_runs(), {"cpu": "A"}, ROOT)
    entries = read_json(regime_study.OUT, fix="")["entries"]
    assert [(e["commit"], e["verdicts"][1]["verdict"]) for e in entries] == [("ccccccc", "not reproduced")]
    assert capsys.readouterr().err == ""
    # a certificate from before certificates held the commit: HEAD, and stderr says so
    save("transients", get_profile("full", "short"), verdicts=[])
    certify(regime_key("transients", "short"), "full")
    assert certified_stamp(regime_key("transients", "short")) is None
    regime_study.record(regime_study.certified_runs(), {"cpu": "A"}, ROOT)
    entries = {e["regime"]: e for e in read_json(regime_study.OUT, fix="")["entries"]}
    assert entries["short"]["commit"] == "bbbbbbb" and entries["validated"]["commit"] == "ccccccc"
    assert "names no commit it ran at; stamped with HEAD bbbbbbb" in capsys.readouterr().err


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", *args], check=True,
                   capture_output=True)


def test_the_stamp_of_a_run_marks_uncommitted_changes_and_knows_no_commit_outside_a_checkout(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / "a.py").write_text("x = 1\n")
    _git(repo, "add", "a.py")
    _git(repo, "commit", "-q", "-m", "a")
    head = stamp(repo)["commit"]
    (repo / "untracked.json").write_text("{}")  # not part of any commit: not a change to one
    assert run_stamp(repo)["commit"] == head
    (repo / "a.py").write_text("x = 2\n")
    assert run_stamp(repo)["commit"] == f"{head}+dirty"
    outside = run_stamp(tmp_path / "copy")
    assert outside["commit"] is None and outside["date"].endswith(" UTC")


def test_a_partial_full_build_records_only_its_full_runs_not_the_quick_ones_beside_them(regime_study):
    run("short", ["reproduced", "not reproduced"], profile="quick")
    run("torch-init", ["reproduced", "reproduced"], chapter="robustness")
    assert [(r[0], r[1]) for r in regime_study.certified_runs()] == [("torch-init", "robustness"),
                                                                     ("short", "transients")]
    full = regime_study.certified_runs(profile="full")
    assert [(r[0], r[1], r[2]["profile"]) for r in full] == [("torch-init", "robustness", "full")]
    assert [r[0] for r in regime_study.certified_runs(profile="quick")] == ["short"]
