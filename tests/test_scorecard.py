"""The scorecard: its claims match the chapters, and it shows what the results JSON holds."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from docutils.nodes import make_id

from resdyn_utils import scorecard
from resdyn_utils.results import certify, save

ROOT = Path(__file__).resolve().parents[1]


def notebook_text(chapter: str) -> tuple[list[str], str]:
    """Markdown headings and all code of a chapter notebook."""
    cells = json.loads((ROOT / "book" / f"{chapter}.ipynb").read_text())["cells"]
    headings = [line.lstrip("#").strip() for c in cells if c["cell_type"] == "markdown"
                for line in "".join(c["source"]).splitlines() if line.startswith("#")]
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    return headings, code


def test_claim_ids_are_unique():
    ids = [c.id for c in scorecard.CLAIMS]
    assert len(ids) == len(set(ids))


def test_every_claim_points_at_an_existing_section():
    for claim in scorecard.CLAIMS:
        headings, _ = notebook_text(claim.chapter)
        assert claim.section in headings, f"{claim.id}: no heading {claim.section!r} in {claim.chapter}"


def test_every_chapter_with_testable_claims_grades_them_through_the_claims_layer():
    """No chapter computes a verdict inline: each calls claims.verdicts for itself (which
    refuses a chapter that leaves one of its claims unmeasured)."""
    for chapter in scorecard.CHAPTERS:
        _, code = notebook_text(chapter)
        testable = [c for c in scorecard.CLAIMS if c.chapter == chapter and not c.untestable]
        assert (f'claims.verdicts("{chapter}"' in code) == bool(testable), chapter
        assert "grade(" not in code and "verdict_table(" not in code, chapter


@pytest.mark.parametrize("heading", ["The paper's Fig. 5: class means and spreads of $x(1)$ and $x(15)$",
                                     "The width: 784 or 1064?", "Deleting one layer (Veit et al.)"])
def test_anchor_is_the_id_sphinx_gives_the_heading(heading):
    assert scorecard.anchor(heading) == make_id(heading.replace("$", ""))


def test_scorecard_reads_the_verdicts_of_the_results():
    save("training", "full", verdicts=[
        {"id": "E2.error", "claim": "x", "ours": "1.91 (1.89-1.93)", "seeds": 3, "margin": 0.01,
         "verdict": "not reproduced", "measured verdict": "not reproduced"}])
    certify("training", "full")
    card = scorecard.scorecard("full").set_index("id")
    assert card.loc["E2.error", "verdict"] == "not reproduced"
    assert card.loc["E2.error", "ours"] == "1.91 (1.89-1.93)" and card.loc["E2.error", "seeds"] == 3
    assert card.loc["E2.error", "kind"] == "paper claim" and card.loc["E2.error", "margin"] == 0.01
    assert card.loc["T.small-steps", "kind"] == "assumption"
    assert card.loc["E3.error", "verdict"] == "missing"  # the row is not in the results
    assert card.loc["E1.accuracy", "verdict"] == "missing"  # no circles results at all
    assert "circles: not run" in card.loc["E1.accuracy", "ours"]
    assert card.loc["E1.weights", "verdict"] == "not testable"
    assert len(card) == len(scorecard.CLAIMS)


@pytest.mark.parametrize("how", ["other profile", "never certified", "failed rerun", "edited"])
def test_stale_results_never_feed_the_scorecard_and_the_chapter_is_named(how):
    from resdyn_utils.integrity import write_json
    from resdyn_utils.results import load_results, results_path, uncertify

    row = {"id": "E2.error", "claim": "x", "ours": "1.4", "seeds": 3, "verdict": "reproduced"}
    save("training", "quick" if how == "other profile" else "full", verdicts=[row])
    if how != "never certified":
        certify("training", "quick" if how == "other profile" else "full")
    if how == "failed rerun":  # the runner withdraws the certificate, the chapter records, then fails
        uncertify("training")
        save("training", "full", verdicts=[row])
    if how == "edited":  # rewritten (with a valid digest) after it was certified
        results = load_results("training")
        results["values"]["verdicts"][0]["verdict"] = "not reproduced"
        write_json(results_path("training"), results)
    card = scorecard.scorecard("full").set_index("id")
    assert card.loc["E2.error", "verdict"] == "stale"
    assert "chapter training: stale" in card.loc["E2.error", "ours"]
    assert "resdyn_utils.book --profile full --only training" in card.loc["E2.error", "ours"]
    _, unusable = scorecard.chapter_results("full")
    assert unusable["training"].startswith("stale")


def test_only_paper_claims_count_in_the_tally():
    save("theory", "full", verdicts=[{"id": "T.small-steps", "ours": "o", "verdict": "does not hold",
                                        "measured verdict": "does not hold"}])
    save("training", "full", verdicts=[{"id": "E2.error", "ours": "o", "verdict": "mixed over seeds: 2 partly "
                                          "reproduced, 1 not reproduced", "measured verdict": "m"}])
    for chapter in ("theory", "training"):
        certify(chapter, "full")
    counts = scorecard.tally(scorecard.scorecard("full"))
    assert counts["mixed over seeds"] == 1 and "does not hold" not in counts and counts.get("not reproduced", 0) == 0
    assert counts["not testable"] == 2  # E1.weights and E3.single-point


def test_unknown_verdict_rows_are_reported():
    save("depth", "quick", verdicts=[{"id": "E9.new", "claim": "a claim nobody listed", "verdict": "reproduced"}])
    certify("depth", "quick")
    assert scorecard.unlisted_verdicts("quick") == ["depth: a claim nobody listed"]


def test_html_links_each_claim_to_its_section():
    save("robustness", "quick", verdicts=[{"id": "R.veit", "claim": "c", "ours": "o", "seeds": 1,
                                             "verdict": "quick profile: not a reproduction"}])
    certify("robustness", "quick")
    html = scorecard.to_html(scorecard.scorecard("quick"))
    assert '<a href="robustness.html#deleting-one-layer-veit-et-al">' in html
    assert "quick profile: not a reproduction" in html


def test_the_page_table_leads_with_the_verdict_and_the_details_keep_the_rest():
    """Narrow enough for a phone: verdict, claim, paper, ours; the rules, seeds, margins
    and premises stay reachable in the details, with the rule's verdict of a quick build."""
    from resdyn_utils.claims import CLAIM_IDS

    save("training", "quick", verdicts=[
        {"id": "E2.width", "claim": "x", "ours": "1.9", "seeds": 1, "margin": 0.25,
         "verdict": "quick profile: not a reproduction", "measured verdict": "partly reproduced"},
        {"id": "E2.error", "claim": "x", "ours": "2.1", "seeds": 3, "margin": None,
         "verdict": "quick profile: not a reproduction", "measured verdict": "not reproduced"}])
    certify("training", "quick")
    card = scorecard.scorecard("quick")
    assert card["seeds"].map(lambda s: s is None or type(s) is int).all()
    page = scorecard.page_table(card)
    assert list(page.data.columns) == ["verdict", "claim", "paper", "ours"]
    html = page.to_html()
    assert "<em>(assumption)</em>" in html and "&lt;a href" not in html
    details = scorecard.details_table(card)
    row = details.data.set_index("id").loc["E2.width"]
    assert row["the rule's verdict"] == "partly reproduced"
    note = CLAIM_IDS["E2.width"].seeds_note
    assert row["seeds"] == "1" + (f" ({note})" if note else "") and row["margin"] == 0.25
    assert row["rule"] == CLAIM_IDS["E2.width"].rule_in_words
    assert details.data.set_index("id").loc["E1.weights", "seeds"] == ""
    folded = scorecard.collapsed("Rules & seeds", details)
    assert folded.startswith("<details>") and "<summary>Rules &amp; seeds</summary>" in folded
    full = scorecard.details_table(card.assign(**{"measured verdict": card["verdict"]}))
    assert "the rule's verdict" not in full.data.columns  # nothing to add where they agree


def test_the_findings_tally_counts_what_the_rules_say_on_the_whole_card():
    from resdyn_utils import findings

    save("training", "quick", verdicts=[
        {"id": "E2.error", "claim": "x", "ours": "2.1", "seeds": 3,
         "verdict": "quick profile: not a reproduction", "measured verdict": "not reproduced"}])
    certify("training", "quick")
    card = scorecard.scorecard("quick")
    sentence = findings.tally(card)
    papers = int((card["kind"] == "paper claim").sum())
    assert sentence.startswith(f"Of the {papers} claims of the paper")
    assert "1 not reproduced" in sentence and "2 not testable" in sentence and "quick profile" not in sentence
    assert f"{papers - 3} missing" in sentence
    _, summary = findings.findings(card, ["A fact."], profile="quick")
    assert "nan" not in summary and " 3 seeds" in summary


def _verdict_rows(chapter: str, verdicts: dict[str, str]) -> list[dict]:
    return [{"id": claim_id, "claim": claim_id, "verdict": v, "measured verdict": v}
            for claim_id, v in verdicts.items()]


def test_the_regime_view_says_which_verdicts_change_with_the_training_regime():
    """Each regime's certified results feed its column; a claim whose verdict differs
    between regimes is 'differs', one missing in a regime 'incomplete'."""
    from resdyn_utils.profiles import get_profile
    from resdyn_utils.results import regime_key

    ids = [c.id for c in scorecard.CLAIMS if c.chapter == "transients" and not c.untestable][:6]
    four, three = "mixed over seeds: 4 reproduced, 1 not reproduced", "mixed over seeds: 3 reproduced, 2 not reproduced"
    graded = {"validated": ["reproduced", "reproduced", "mixed over seeds: 2 reproduced, 1 not reproduced", four,
                            "mixed over seeds: 2 reproduced, 1 not reproduced",
                            "premise not met in 4 of 5 seeds; where met: not reproduced"],
              "torch-init": ["reproduced", "not reproduced", "mixed over seeds: 2 reproduced, 1 not reproduced", three,
                             "mixed over seeds: 1 reproduced, 2 not reproduced",
                             "not reproduced (2 of 5 seeds: premise not met or not graded)"],
              "short": ["reproduced", "mixed over seeds: 1 reproduced, 2 not reproduced",
                        "mixed over seeds: 2 reproduced, 1 not reproduced", four,
                        "mixed over seeds: 2 reproduced, 1 not reproduced",
                        "premise not met in 4 of 5 seeds; where met: not reproduced"]}
    for regime, words in graded.items():
        save("transients", get_profile("full", regime), verdicts=_verdict_rows("transients", dict(zip(ids, words))))
        certify(regime_key("transients", regime), "full")
    view = scorecard.regime_view("full", ("transients",)).set_index("id")
    assert view.loc[ids[0], "across regimes"] == scorecard.HOLDS_ACROSS
    assert view.loc[ids[1], "across regimes"] == scorecard.DIFFERS
    assert view.loc[ids[1], "torch-init"] == "not reproduced"  # and mixed in the short regime: differs
    assert view.loc[ids[2], "across regimes"] == scorecard.HOLDS_ACROSS
    # reproduced and not reproduced over the seeds in every regime, mostly reproduced: 4:1 in two, 3:2 in one
    assert view.loc[ids[3], "across regimes"] == scorecard.SAME_OUTCOMES
    assert view.loc[ids[4], "across regimes"] == scorecard.DIFFERS  # the majority flips: 2:1, then 1:2
    # most seeds ungraded in two regimes, most graded in one: not the same kind of verdict
    assert view.loc[ids[5], "across regimes"] == scorecard.DIFFERS
    others = [i for i in view.index if i not in ids]
    assert (view.loc[others, "across regimes"] == scorecard.INCOMPLETE).all()
    sentence = scorecard.regime_sentence(view.loc[ids].reset_index())
    assert sentence.startswith("2 of 6 verdicts are the same")
    assert f"3 change with the regime ({ids[1]}, {ids[4]}, {ids[5]})" in sentence
    assert (f"1 keeps the same outcomes and the same majority in every regime, split differently over the seeds "
            f"({ids[3]})") in sentence


def test_a_chapter_shows_its_own_run_as_the_primary_regime_before_it_is_certified():
    import pandas as pd

    from resdyn_utils.profiles import get_profile

    claim_id = next(c.id for c in scorecard.CLAIMS if c.chapter == "robustness" and not c.untestable)
    current = pd.DataFrame(_verdict_rows("robustness", {claim_id: "partly reproduced"}))
    view = scorecard.chapter_regime_view("robustness", current, get_profile("full")).set_index("id")
    assert view.loc[claim_id, "validated"] == "partly reproduced"
    assert view.loc[claim_id, "short"] == "not run" and view.loc[claim_id, "across regimes"] == scorecard.INCOMPLETE
    # a run in another regime does not pass its own table off as the primary regime's
    view = scorecard.chapter_regime_view("robustness", current, get_profile("full", "short")).set_index("id")
    assert view.loc[claim_id, "validated"] == "not run"
