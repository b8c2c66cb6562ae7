"""The chapters' findings in words: generated from the verdict table, never typed."""

from __future__ import annotations

import pandas as pd

from resdyn_utils import claims, findings


def table(*rows: tuple[str, str, str]) -> pd.DataFrame:
    return pd.DataFrame([{"id": f"c{i}", "claim": claim, "kind": kind, "ours": "x = 1", "seeds": 3,
                          "verdict": verdict, "measured verdict": verdict}
                         for i, (claim, kind, verdict) in enumerate(rows)])


def test_tally_counts_paper_claims_only_in_a_fixed_order():
    verdicts = table(("A", "paper claim", "not reproduced"), ("B", "paper claim", "reproduced"),
                     ("C", "paper claim", "not reproduced"), ("D", "assumption", "holds"),
                     ("E", "paper claim", "premise not met: only 1 of 3 seeds"))
    assert findings.tally(verdicts) == ("Of the 4 claims of the paper graded here: 1 reproduced, "
                                        "2 not reproduced and 1 premise not met.")


def test_quick_profile_uses_the_measured_verdict_and_says_it_is_a_smoke_test():
    verdicts = table(("A", "paper claim", "reproduced"))
    verdicts["verdict"] = claims.QUICK_VERDICT
    box, summary = findings.findings(verdicts, ["The net reaches 2.0% error."], profile="quick")
    assert box.startswith(findings.QUICK_NOTE)
    assert findings.tally(verdicts).startswith(findings.QUICK_TALLY)  # the table says no verdict stands
    assert findings.QUICK_TALLY not in box  # the box says it once, in its note
    assert "graded here: reproduced." in box and "The net reaches 2.0% error." in box
    assert "- **reproduced**: A. Ours: x = 1, 3 seeds." in summary


def test_claims_that_are_not_the_papers_hold_or_do_not():
    verdicts = table(("D", "our reading", "does not hold"), ("E", "beyond the paper", "holds"))
    lines = findings.claim_lines(verdicts)
    assert lines[0].startswith("- **does not hold** (our reading): D.")
    assert lines[1].startswith("- **holds** (beyond the paper): E.")
    assert findings.tally(verdicts) == "This chapter grades no claim of the paper itself."


def test_a_chapter_with_only_failures_says_so():
    verdicts = table(("A", "paper claim", "not reproduced"))
    box, _ = findings.findings(verdicts)
    assert box == "The one claim of the paper graded here: not reproduced."


def test_a_chapter_without_verdicts_holds_its_numbers_and_says_it_grades_no_claim():
    box, summary = findings.findings(None, ["Training took 3.0 min.", "The floor is 1.0 min."], profile="full")
    assert box == summary == "Training took 3.0 min. The floor is 1.0 min.\n\n" + findings.NO_CLAIM
    quick, _ = findings.findings(None, profile="quick")
    assert quick == findings.QUICK_NUMBERS_NOTE + "\n\n" + findings.NO_CLAIM
    assert "verdict" not in quick


def test_seed_tally_counts_each_claims_seeds_in_words():
    fig4 = claims.CLAIM_IDS["E2.fig4"]  # reproduced from 9 of 10 classes, partly from 6

    def graded(*wins: int) -> dict:
        return claims.grade_claim(fig4, [{"seed": s, "wins (b), signed K": w, "wins (b), |K|": w}
                                         for s, w in enumerate(wins)], "full")

    verdicts = pd.DataFrame([dict(graded(9), id="one"), dict(graded(9, 10, 7), id="mixed"),
                             dict(graded(2, 9, 3), id="worse"), dict(graded(10, 9), id="all")])
    assert findings.seed_tally(verdicts, "one") == "reproduced (seed 0)"
    assert findings.seed_tally(verdicts, "mixed") == "reproduced in 2 of 3 seeds and partly reproduced in 1"
    assert findings.seed_tally(verdicts, "worse") == "reproduced in 1 of 3 seeds and not reproduced in 2"
    assert findings.seed_tally(verdicts, "all", noun="net") == "reproduced in all 2 nets"
