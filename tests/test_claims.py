"""Every rule of the claims layer on made-up measurements: each verdict it can return,
a measurement that must fail does fail, a failing premise is reported, a NaN is not graded."""

from __future__ import annotations

import numpy as np
import pytest

from resdyn_utils import claims
from resdyn_utils.claims import CLAIMS, MIXED, NOT_REPRODUCED, PARTLY, PREMISE_NOT_MET, REPRODUCED

N = 784


def corner(distance, ones=1, same=True, stable=True, settled=True):
    return {"corner distance y(15)": [distance, distance], "corner": [0, 0, 1], "corner ones": ones,
            "same corner": same, "corner stable": stable, "settled at a one-hot corner": settled}


def eigen(*rows):
    """Classes as (|F|, within-class std, positive eigenvalues)."""
    return {"classes": [{"class": c, "|F|": f, "within-class std": s, "positive eigenvalues": list(e)}
                        for c, (f, s, e) in enumerate(rows)]}


def std_profile(first, last, length=1000):
    profile = np.geomspace(first, last, length)
    return {"max std per layer": profile.tolist(), "q90 std per layer": (profile / 2).tolist()}


def spread(after, share4, share15):
    return {"max std per layer": [0.3] * 4 + [after] * 11,
            "share above the level per layer": [0.5, 0.45, 0.4, share4] + [0.3] * 10 + [share15], "level": 0.05}


def means(shared_sat, shared_nonzero, variable_sat, variable_nonzero):
    def vector(sat, nonzero):
        return [1.0] * sat + [0.5] * (nonzero - sat) + [0.0] * (N - nonzero)
    return {"mean y(15)": {"shared": vector(shared_sat, shared_nonzero),
                          "variable": vector(variable_sat, variable_nonzero)}}


def readout(full, own_sum, own_x0=0.3):
    return {"accuracy, full": full, "accuracy, own sum, x(0) at its mean": own_sum,
            "accuracy, own x(0), sum at its mean": own_x0, "accuracy, own sum, random other x(0)": own_sum - 0.01}


def split(full, own_transient, settled=0.01):
    return {"largest within-class std at the unroll depth": settled, "accuracy, full": full,
            "accuracy, own transient, rest at its mean": own_transient, "accuracy, transient at its mean": 0.5}


def wins(b, a=5):
    return {"wins (b), signed K": b, "wins (b), |K|": b, "wins (a), signed K": a, "wins (a), |K|": a}


def fig4a(a):
    return wins(5, a)


def pooled(n=3, **values):
    return [{"n seeds": n, "summary": "s", **values}]


def shared_better(shared, variable, searched=True):
    return [{"seed": i, "shared error %": s, "variable error %": v, "recipe searched for both": searched}
            for i, (s, v) in enumerate(zip(shared, variable))]


# Per claim: measurements that give each verdict. A per-seed rule gets one dict (wrapped
# in a list below); a pooled rule gets its list.
CASES = {
    "T.small-steps": {REPRODUCED: {"net": "n", "first-order error / step": [0.05, 0.08]},
                      PARTLY: {"net": "n", "first-order error / step": [0.2, 0.3, 0.9]},
                      NOT_REPRODUCED: {"net": "n", "first-order error / step": [0.6, 0.9]}},
    "E1.accuracy": {REPRODUCED: {"accuracy": 1.0}, PARTLY: {"accuracy": 0.985}, NOT_REPRODUCED: {"accuracy": 0.936}},
    "E1.extra-unit": {REPRODUCED: {"accuracy": 1.0, "accuracy without the extra unit": 0.7},
                      PARTLY: {"accuracy": 1.0, "accuracy without the extra unit": 0.995},
                      NOT_REPRODUCED: {"accuracy": 0.9, "accuracy without the extra unit": 0.95}},
    "E1.same-point": {REPRODUCED: {"gap y(15)": 0.01, "gap settled": 0.0},
                      PARTLY: {"gap y(15)": 0.2, "gap settled": 0.001},
                      NOT_REPRODUCED: {"gap y(15)": 0.2, "gap settled": 0.5}},
    "E1.corner": {REPRODUCED: corner(0.01), PARTLY: corner(0.01, ones=2),
                  NOT_REPRODUCED: corner(0.3, settled=False)},
    "E1.x15": {REPRODUCED: {"x(15) gap": 0.035, "gap settled": 0.0},
               PARTLY: {"x(15) gap": 0.2, "gap settled": 0.0},
               NOT_REPRODUCED: {"x(15) gap": 0.6, "gap settled": 0.0}},
    "E1.fig2": {REPRODUCED: {"gap in y": 0.05}, PARTLY: {"gap in y": 0.2}, NOT_REPRODUCED: {"gap in y": 0.5}},
    "E1.transients": {REPRODUCED: {"follows the swapped transient": 0.97, "gap settled": 0.0},
                      PARTLY: {"follows the swapped transient": 0.6, "gap settled": 0.0},
                      NOT_REPRODUCED: {"follows the swapped transient": 0.1, "gap settled": 0.0}},
    "E2.error": {REPRODUCED: {"error %": 1.38}, PARTLY: {"error %": 1.83}, NOT_REPRODUCED: {"error %": 2.4}},
    "E3.error": {REPRODUCED: {"error %": 1.55}, PARTLY: {"error %": 2.0}, NOT_REPRODUCED: {"error %": 3.0}},
    "E2.width": {REPRODUCED: {"error % at 1064": 1.35, "error % at 784": 1.8},
                 PARTLY: {"error % at 1064": 1.55, "error % at 784": 1.8},
                 NOT_REPRODUCED: {"error % at 1064": 1.88, "error % at 784": 1.85}},
    "E3.shared-better": {REPRODUCED: shared_better([1.4, 1.5], [1.8, 1.9]),
                         PARTLY: shared_better([1.4, 1.5], [1.8, 1.9], searched=False),
                         NOT_REPRODUCED: shared_better([1.8, 1.9], [1.5, 1.6])},
    "E2.fig3": {REPRODUCED: std_profile(0.2, 1e-4), PARTLY: std_profile(0.2, 0.05),
                NOT_REPRODUCED: std_profile(0.02, 1e-4)},
    "E2.unrolled": {REPRODUCED: {"non-zero units": 12, "units": N, "max std at the end": 1e-4, "settled units": 700},
                    PARTLY: {"non-zero units": 300, "units": N, "max std at the end": 1e-4, "settled units": 700},
                    NOT_REPRODUCED: {"non-zero units": 0, "units": N, "max std at the end": 1e-4,
                                     "settled units": 784}},
    "E2.fig6": {REPRODUCED: {"smallest class-pair difference": 0.1, "coinciding units": 150, "active units": 185},
                PARTLY: {"smallest class-pair difference": 0.1, "coinciding units": 0, "active units": 185},
                NOT_REPRODUCED: {"smallest class-pair difference": 0.001, "coinciding units": 0,
                                 "active units": 185}},
    "E2.eigen": {REPRODUCED: eigen((1e-5, 0.01, [0.02]), (1e-5, 0.01, []), (1e-5, 0.01, [1e-4])),
                 PARTLY: eigen((1e-5, 0.01, [0.5, 0.3]), (1e-5, 0.01, [])),
                 NOT_REPRODUCED: eigen((1e-5, 0.01, []), (1e-5, 0.01, [5e-4]))},
    "E2.fig4": {REPRODUCED: wins(9), PARTLY: wins(7), NOT_REPRODUCED: wins(2)},
    "E2.fig4-a": {REPRODUCED: fig4a(10), PARTLY: fig4a(6), NOT_REPRODUCED: fig4a(1)},
    "E2.fig5": {REPRODUCED: {"smallest pair separation x(15)": 0.6, "median pair separation x(15)": 0.9,
                             "median pair separation x(0)": 0.7},
                PARTLY: {"smallest pair separation x(15)": 0.3, "median pair separation x(15)": 0.9,
                         "median pair separation x(0)": 0.7},
                NOT_REPRODUCED: {"smallest pair separation x(15)": 0.1, "median pair separation x(15)": 0.3,
                                 "median pair separation x(0)": 0.7}},
    "E2.transient-readout": {REPRODUCED: readout(0.98, 0.97), PARTLY: readout(0.98, 0.85),
                             NOT_REPRODUCED: readout(0.98, 0.57)},
    "B.steady-transient": {REPRODUCED: split(0.98, 0.96), PARTLY: split(0.98, 0.85), NOT_REPRODUCED: split(0.98, 0.2)},
    "E3.spread": {REPRODUCED: spread(0.001, 0.37, 0.0), PARTLY: spread(0.3, 0.37, 0.06),
                  NOT_REPRODUCED: spread(0.3, 0.2, 0.3)},
    "E3.weights": {REPRODUCED: {"distance W(14)-W(15)": 0.05, "distance W(15) from its initialisation": 0.5},
                   PARTLY: {"distance W(14)-W(15)": 0.5, "distance W(15) from its initialisation": 0.5},
                   NOT_REPRODUCED: {"distance W(14)-W(15)": 1.36, "distance W(15) from its initialisation": 0.2}},
    "E3.saturation": {REPRODUCED: means(2, 200, 10, 300), PARTLY: means(0, 223, 2, 86),
                      NOT_REPRODUCED: means(5, 223, 2, 86)},
    "E4.shared-depth": {REPRODUCED: {"final depth": 6}, PARTLY: {"final depth": 10}, NOT_REPRODUCED: {"final depth": 15}},
    "E4.shared-accuracy": {REPRODUCED: {"accuracy": 1.0}, PARTLY: {"accuracy": 0.99}, NOT_REPRODUCED: {"accuracy": 0.9}},
    "E4.variable-depth": {REPRODUCED: {"final depth": 15, "shared final depth": 6},
                          PARTLY: {"final depth": 12, "shared final depth": 6},
                          NOT_REPRODUCED: {"final depth": 5, "shared final depth": 6}},
    "E5.noise": {REPRODUCED: pooled(**{"ResNets beat the best MLP at every level, every seed": True,
                                       "ResNets beat the 15-layer MLP at every level, every seed": True}),
                 PARTLY: pooled(**{"ResNets beat the best MLP at every level, every seed": False,
                                   "ResNets beat the 15-layer MLP at every level, every seed": True}),
                 NOT_REPRODUCED: pooled(**{"ResNets beat the best MLP at every level, every seed": False,
                                           "ResNets beat the 15-layer MLP at every level, every seed": False})},
    "E5.evolution": {REPRODUCED: pooled(**{"shared apart from the best MLP": True, "variable apart from the best MLP": True}),
                     PARTLY: pooled(**{"shared apart from the best MLP": True, "variable apart from the best MLP": False}),
                     NOT_REPRODUCED: pooled(**{"shared apart from the best MLP": False,
                                               "variable apart from the best MLP": False})},
    "E5.early-layers": {REPRODUCED: {"rho": {"fixed": {"shared": -0.9, "variable": -0.6},
                                             "relative": {"shared": -0.7, "variable": -0.6}}},
                        PARTLY: {"rho": {"fixed": {"shared": -1.0, "variable": -1.0},
                                         "relative": {"shared": 0.84, "variable": 0.56}}},
                        NOT_REPRODUCED: {"rho": {"fixed": {"shared": -0.9, "variable": 0.2},
                                                 "relative": {"shared": 0.84, "variable": 0.5}}}},
    "E5.eq3": {REPRODUCED: {"eq. 3 / network": 1.2}, PARTLY: {"eq. 3 / network": 0.3},
               NOT_REPRODUCED: {"eq. 3 / network": 0.05}},
    "R.dense": {REPRODUCED: pooled(**{"gap to the best ResNet (points)": 0.2}),
                PARTLY: pooled(**{"gap to the best ResNet (points)": -0.8}),
                NOT_REPRODUCED: pooled(**{"gap to the best ResNet (points)": 2.0})},
    "R.veit": {REPRODUCED: pooled(**{"largest ResNet error increase": 0.5, "smallest MLP error increase": 40}),
               PARTLY: pooled(**{"largest ResNet error increase": 0.5, "smallest MLP error increase": 3}),
               NOT_REPRODUCED: pooled(**{"largest ResNet error increase": 5, "smallest MLP error increase": 40})},
    "R.seed-spread": {REPRODUCED: pooled(**{"largest ResNet half-range": 3.0}),
                      PARTLY: pooled(**{"largest ResNet half-range": 1.5}),
                      NOT_REPRODUCED: pooled(**{"largest ResNet half-range": 0.4})},
}

TESTABLE = [c for c in CLAIMS if not c.untestable]


def measurements(claim, measured):
    return measured if claim.pooled else [{"seed": 0, **measured}]


def test_every_testable_claim_has_cases():
    assert sorted(CASES) == sorted(c.id for c in TESTABLE)


@pytest.mark.parametrize("claim", TESTABLE, ids=lambda c: c.id)
def test_each_rule_returns_each_of_its_verdicts(claim):
    for expected, measured in CASES[claim.id].items():
        row = claims.grade_claim(claim, measurements(claim, measured), "full")
        assert row["measured verdict"] == claims.labelled(expected, claim.kind), (expected, row["ours"])
        assert claims.verdict_word(row["verdict"]) == expected
        assert row["rule"] and row["ours"]


@pytest.mark.parametrize("claim", TESTABLE, ids=lambda c: c.id)
def test_every_rule_can_say_not_reproduced(claim):
    assert NOT_REPRODUCED in CASES[claim.id]


@pytest.mark.parametrize("claim", [c for c in TESTABLE if not c.pooled], ids=lambda c: c.id)
def test_a_nan_is_not_graded(claim):
    import copy

    measured = copy.deepcopy(CASES[claim.id][REPRODUCED])
    key = next(k for k, v in measured.items() if not isinstance(v, (bool, str)))

    def poison(value):  # the first number found, however deep, becomes NaN
        if isinstance(value, dict):
            first = next(iter(value))
            return {**value, first: poison(value[first])}
        if isinstance(value, list):
            return [poison(value[0]), *value[1:]]
        return float("nan")

    measured[key] = poison(measured[key])
    row = claims.grade_claim(claim, [{"seed": 0, **measured}], "full")
    assert row["measured verdict"].startswith("not graded: NaN or infinity in " + key)


def test_seeds_that_straddle_a_cut_are_mixed_not_the_means_side():
    claim = claims.CLAIM_IDS["E2.error"]
    row = claims.grade_claim(claim, [{"seed": 0, "error %": 1.85}, {"seed": 1, "error %": 1.91},
                                     {"seed": 2, "error %": 1.72}], "full")
    assert row["measured verdict"] == f"{MIXED}: 2 partly reproduced, 1 not reproduced"
    assert row["seeds"] == 3 and row["margin"] == pytest.approx(0.01)  # 1.91 is 0.01 past 1.9
    assert [s["verdict"] for s in row["per seed"]] == [PARTLY, NOT_REPRODUCED, PARTLY]


@pytest.mark.parametrize("claim_id,failing", [
    ("E1.transients", {"follows the swapped transient": 0.97, "gap settled": 0.4}),
    ("E1.x15", {"x(15) gap": 0.01, "gap settled": 0.4}),
    ("E2.eigen", eigen((0.2, 0.01, [0.02]), (1e-5, 0.3, []))),
    ("B.steady-transient", split(0.98, 0.96, settled=0.5)),
])
def test_a_failing_premise_is_reported_instead_of_the_conclusion(claim_id, failing):
    claim = claims.CLAIM_IDS[claim_id]
    row = claims.grade_claim(claim, [{"seed": 0, **failing}], "full")
    assert row["measured verdict"] == PREMISE_NOT_MET
    assert row["premise"]
    good = CASES[claim_id][REPRODUCED]
    expected = claims.labelled(REPRODUCED, claim.kind)
    mostly = claims.grade_claim(claim, [{"seed": 0, **failing}, {"seed": 1, **good}, {"seed": 2, **good}], "full")
    assert mostly["measured verdict"] == f"{expected} (1 of 3 seeds: premise not met or not graded)"
    half = claims.grade_claim(claim, [{"seed": 0, **failing}, {"seed": 1, **good}], "full")
    assert half["measured verdict"] == f"{PREMISE_NOT_MET} in 1 of 2 seeds; where met: {expected}"
    assert claims.verdict_word(half["verdict"]) == PREMISE_NOT_MET  # not tallied as reproduced


def test_other_kinds_hold_rather_than_reproduce_and_quick_runs_are_marked():
    claim = claims.CLAIM_IDS["T.small-steps"]
    row = claims.grade_claim(claim, [{"seed": 0, **CASES["T.small-steps"][PARTLY]}], "full")
    assert row["kind"] == "assumption" and row["verdict"] == "partly holds"
    assert claims.verdict_word("does not hold") == NOT_REPRODUCED
    quick = claims.grade_claim(claims.CLAIM_IDS["E2.error"], [{"seed": 0, "error %": 21.3}], "quick")
    assert quick["verdict"] == claims.QUICK_VERDICT and quick["measured verdict"] == NOT_REPRODUCED


def test_a_chapter_must_measure_each_of_its_claims_and_only_those():
    with pytest.raises(ValueError, match=r"no measurements for \['E2.width', 'E3.error', 'E3.shared-better'\]"):
        claims.verdicts("training", {"E2.error": [{"seed": 0, "error %": 1.5}]}, "full")
    with pytest.raises(ValueError, match="not testable claims of 'training'.*E1.accuracy"):
        claims.verdicts("training", {"E1.accuracy": [{"seed": 0, "accuracy": 1.0}]}, "full")


def test_claims_are_well_formed():
    ids = [c.id for c in CLAIMS]
    assert len(ids) == len(set(ids))
    for claim in CLAIMS:
        assert claim.quote and claim.source and claim.kind in claims.KINDS
        for name in claim.cuts:
            assert claim.cuts[name].why
        if not claim.untestable:
            claim.rule_in_words  # every placeholder has a cut
    with pytest.raises(ValueError, match="unknown kind"):
        claims.Claim("X", "x", "x", "x", "q", "§1", "a guess", "theory", "s", untestable="u")
    with pytest.raises(ValueError, match="either a rule or"):
        claims.Claim("X", "x", "x", "x", "q", "§1", "paper claim", "theory", "s")


def test_rules_table_shows_the_quote_the_premise_and_the_thresholds():
    table = claims.rules_frame("transients").set_index("id")
    assert "0.05" in table.loc["E2.eigen", "rule"] and "1e-3" not in table.loc["E2.eigen", "rule"]
    assert "0.001" in table.loc["E2.eigen", "rule"]
    assert table.loc["E2.eigen", "the paper"].startswith("“Residuals corresponding to classes 0, 2, 3")
    assert "fixed point" in table.loc["E2.eigen", "premise"]


def test_page_tables_show_every_character_left_aligned_with_a_caption():
    from markupsafe import escape

    page = claims.rules_table("transients").to_html()
    for claim in claims.CLAIMS:
        if claim.chapter == "transients":  # every rule in full, however long (pandas cuts at 50 characters)
            assert str(escape(claim.rule_in_words)) in page, claim.id
    assert max(len(c.rule_in_words) for c in claims.CLAIMS) > 200
    assert "How each verdict is reached" in page and "text-align: left" in page
    rows = claims.verdicts("depth", {cid: [{"seed": 0, **CASES[cid][REPRODUCED]}] for cid in
                                     ("E4.shared-depth", "E4.shared-accuracy", "E4.variable-depth")}, "full")
    shown = claims.summary(rows).to_html()
    assert shown.index("reproduced") < shown.index("E4.shared-depth")  # the verdict comes first


def test_a_named_index_of_ids_is_shown_as_the_first_column_a_plain_one_is_not():
    import pandas as pd

    from resdyn_utils.tables import table

    seeds = pd.DataFrame({"seed": [0, 1], "accuracy %": [99.5, 98.25]}).set_index("seed")
    page = table(seeds).to_html()
    assert ">seed<" in page and ">98.25<" in page  # pandas 3 makes seeds 0, 1 a RangeIndex
    plain = table(pd.DataFrame({"accuracy %": [99.5, 98.25]})).to_html()
    assert ">seed<" not in plain and ">index<" not in plain


@pytest.mark.parametrize("seeds", [
    [REPRODUCED, REPRODUCED, REPRODUCED],
    [REPRODUCED, NOT_REPRODUCED, REPRODUCED, REPRODUCED, NOT_REPRODUCED],
    [PARTLY, NOT_REPRODUCED, REPRODUCED],
    [PREMISE_NOT_MET, REPRODUCED, PARTLY],  # a few seeds ungraded
    [PREMISE_NOT_MET, PREMISE_NOT_MET, NOT_REPRODUCED],  # most seeds ungraded
    [f"{claims.NOT_GRADED}: NaN or infinity in a", f"{claims.NOT_GRADED}: NaN or infinity in b", PARTLY,
     NOT_REPRODUCED],
    [PREMISE_NOT_MET, PREMISE_NOT_MET],
])
@pytest.mark.parametrize("kind", ["paper claim", "assumption"])
def test_outcomes_read_back_what_aggregate_wrote_without_the_counts(seeds, kind):
    verdict, _ = claims.aggregate([claims.Grade(v, "") for v in seeds])
    graded = {claims.labelled(v, kind) for v in seeds if v in claims.VERDICTS}
    ungraded = {claims.UNGRADED} if any(v not in claims.VERDICTS for v in seeds) else set()
    expected = graded | ungraded if graded else {PREMISE_NOT_MET}  # no seed graded: the premise's verdict
    assert claims.outcomes(claims.labelled(verdict, kind)) == expected


def test_a_verdict_that_grades_no_seed_is_one_outcome_whatever_measure_was_not_a_number():
    a, b = (claims.aggregate([claims.Grade(f"{claims.NOT_GRADED}: NaN or infinity in {m}", "")])[0] for m in "ab")
    assert a != b and claims.outcomes(a) == claims.outcomes(b) == {claims.NOT_GRADED}


def test_the_leading_outcome_is_the_one_most_seeds_had():
    def verdict(*seeds):
        return claims.aggregate([claims.Grade(v, "") for v in seeds])[0]

    assert claims.leading(verdict(PARTLY, NOT_REPRODUCED, NOT_REPRODUCED)) == {NOT_REPRODUCED}
    assert claims.leading(verdict(PARTLY, PARTLY, NOT_REPRODUCED)) == {PARTLY}
    assert claims.leading(verdict(PARTLY, NOT_REPRODUCED)) == {PARTLY, NOT_REPRODUCED}  # a tie
    assert claims.leading(verdict(REPRODUCED, REPRODUCED)) == {REPRODUCED}
    assert claims.leading(verdict(PREMISE_NOT_MET, PREMISE_NOT_MET, REPRODUCED)) == {REPRODUCED}  # graded seeds


def test_verdicts_with_the_same_outcomes_differ_only_in_their_counts():
    four, three = (claims.aggregate([claims.Grade(v, "") for v in seeds])[0] for seeds in (
        [REPRODUCED] * 4 + [NOT_REPRODUCED], [REPRODUCED] * 3 + [NOT_REPRODUCED] * 2))
    assert four != three and claims.outcomes(four) == claims.outcomes(three)
    assert claims.outcomes(four) != claims.outcomes(REPRODUCED)  # mixed is not clean
    assert claims.outcomes(f"{MIXED}: 1 {PARTLY}, 2 {NOT_REPRODUCED}") != claims.outcomes(NOT_REPRODUCED)
