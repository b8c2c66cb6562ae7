"""The paper's claims as tested rules: one object per claim, shown to the reader.

Each :class:`Claim` holds the paper's own words (with their section), its **kind**
(:data:`KINDS`: only paper claims count in the tally), the premise the paper states for
it, and the **rule**: a function of one seed's recorded measurements that returns the
verdict, the sentence "ours" and the margin to the nearest cut-off. The cut-offs are
named :class:`Cut` constants, each with a one-line reason, so the reader sees how every
verdict was reached (:func:`rules_table`).

A chapter measures, then calls :func:`verdicts` with one measurement dict per seed.
Every seed gets its own verdict: a failing premise is reported as such, a NaN in the
measurements as "not graded", and where the seeds disagree the aggregate says
"mixed over seeds" instead of taking the side of their mean. A *pooled* rule (a
comparison over all seeds at once) gets the list of all seeds' measurements.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

VERDICTS = ("reproduced", "partly reproduced", "not reproduced", "not testable")
REPRODUCED, PARTLY, NOT_REPRODUCED, NOT_TESTABLE = VERDICTS
QUICK_VERDICT = "quick profile: not a reproduction"  # a quick build is a smoke test
NOT_GRADED = "not graded"
PREMISE_NOT_MET = "premise not met"
MIXED = "mixed over seeds"

KINDS = {
    "paper claim": "what the paper reports or concludes; graded and counted in the tally",
    "assumption": "an assumption of the paper's derivation; measured, not counted",
    "our reading": "a choice the paper leaves open; we test our reading of it; not counted",
    "beyond the paper": "a measurement of ours or of related work; not counted",
}


@dataclass(frozen=True)
class Cut:
    """A threshold of a rule and why it sits where it does."""

    value: float
    why: str


@dataclass(frozen=True)
class Grade:
    """One seed's (or a pooled) verdict, what we measured, and the distance of the
    deciding number to the nearest cut-off (in that number's unit)."""

    verdict: str
    ours: str
    margin: float | None = None


Rule = Callable[[Any, dict[str, float]], Grade]
Premise = Callable[[dict, dict[str, float]], tuple[bool, str]]


@dataclass(frozen=True)
class Claim:
    """One item of the paper, where the book measures it, and how it is graded."""

    id: str
    experiment: str
    item: str  # the claim, in our words
    paper: str  # the paper's figure or statement, short
    quote: str  # the paper's own words
    source: str  # where in the paper
    kind: str
    chapter: str
    section: str
    rule_text: str = ""  # the rule in words; {name} placeholders take the cut values
    cuts: dict[str, Cut] = field(default_factory=dict)
    rule: Rule | None = None
    premise: str | None = None  # the premise, in words
    premise_check: Premise | None = None
    pooled: bool = False  # the rule compares all seeds at once
    untestable: str | None = None  # why no measurement can decide it
    seeds_note: str | None = None  # why it rests on fewer seeds than the profile has

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"{self.id}: unknown kind {self.kind!r}; use one of {', '.join(KINDS)}")
        if (self.rule is None) == (self.untestable is None):
            raise ValueError(f"{self.id}: give either a rule or the reason it is untestable")
        if (self.premise is None) != (self.premise_check is None):
            raise ValueError(f"{self.id}: a premise needs both its words and its check")

    @property
    def cut_values(self) -> dict[str, float]:
        return {name: cut.value for name, cut in self.cuts.items()}

    @property
    def rule_in_words(self) -> str:
        """The rule with its cut values filled in, then each cut's reason."""
        if self.untestable:
            return f"not testable: {self.untestable}"
        text = self.rule_text.format(**{k: _fmt(v) for k, v in self.cut_values.items()})
        reasons = "; ".join(f"{_fmt(c.value)}: {c.why}" for c in self.cuts.values())
        return f"{text} ({reasons})" if reasons else text

    def grade_seed(self, measured: dict) -> Grade:
        """The verdict on one seed's measurements: NaN first, then the premise, then the rule."""
        bad = _not_finite(measured)
        if bad:
            return Grade(f"{NOT_GRADED}: NaN or infinity in {', '.join(bad)}", "not graded")
        if self.premise_check is not None:
            holds, why = self.premise_check(measured, self.cut_values)
            if not holds:
                return Grade(PREMISE_NOT_MET, why)
        return self.rule(measured, self.cut_values)


def _fmt(value: float) -> str:
    return f"{value:g}"


def _finite(value: Any) -> bool:
    """Whether every number in ``value`` (nested dicts, lists, arrays) is finite."""
    if isinstance(value, dict):
        return all(_finite(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return all(_finite(v) for v in value)
    if isinstance(value, (bool, str)) or value is None:
        return True
    return bool(np.isfinite(np.asarray(value, dtype=float)).all())


def _not_finite(measured: dict) -> list[str]:
    return [name for name, value in measured.items() if not _finite(value)]


def _at_least(value: float, reproduced: float, partly: float | None = None) -> tuple[str, float]:
    """Verdict and margin of a number where higher is better."""
    cuts = [reproduced] + ([partly] if partly is not None else [])
    margin = min(abs(value - c) for c in cuts)
    if value >= reproduced:
        return REPRODUCED, margin
    return (PARTLY if partly is not None and value >= partly else NOT_REPRODUCED), margin


def _at_most(value: float, reproduced: float, partly: float | None = None) -> tuple[str, float]:
    """Verdict and margin of a number where lower is better."""
    verdict, margin = _at_least(-value, -reproduced, None if partly is None else -partly)
    return verdict, margin


def _tier(reproduced: bool, partly: bool) -> str:
    """Reproduced if the first condition holds, else partly if the second, else not."""
    return REPRODUCED if reproduced else (PARTLY if partly else NOT_REPRODUCED)


def _both(first: bool, second: bool) -> str:
    return _tier(first and second, first or second)


def aggregate(grades: list[Grade]) -> tuple[str, float | None]:
    """The verdict over seeds and the smallest margin among the graded seeds."""
    graded = [g for g in grades if g.verdict in VERDICTS]
    margins = [g.margin for g in graded if g.margin is not None]
    margin = min(margins) if margins else None
    if not graded:
        if any(g.verdict == PREMISE_NOT_MET for g in grades):
            return PREMISE_NOT_MET, None
        return grades[0].verdict if grades else NOT_GRADED, None
    kinds = sorted({g.verdict for g in graded}, key=VERDICTS.index)
    if len(kinds) == 1:
        verdict = kinds[0]
    else:
        counts = ", ".join(f"{sum(g.verdict == k for g in graded)} {k}" for k in kinds)
        verdict = f"{MIXED}: {counts}"
    skipped = len(grades) - len(graded)
    if skipped and 2 * len(graded) <= len(grades):  # most seeds fail the premise: that is the finding
        lead = PREMISE_NOT_MET if any(g.verdict == PREMISE_NOT_MET for g in grades) else NOT_GRADED
        return f"{lead} in {skipped} of {len(grades)} seeds; where met: {verdict}", margin
    if skipped:
        verdict += f" ({skipped} of {len(grades)} seeds: premise not met or not graded)"
    return verdict, margin


#: The one outcome of the seeds a verdict leaves ungraded (premise not met, or no number).
UNGRADED = "ungraded seeds"


def _seed_counts(verdict: str) -> tuple[dict[str, int | None], bool]:
    """What a verdict of :func:`aggregate` (or its :func:`labelled` form) says of the
    graded seeds, outcome -> number of seeds (None where a clean verdict does not say),
    and whether it leaves some seeds ungraded."""
    text, ungraded = verdict, False
    for lead in (PREMISE_NOT_MET, NOT_GRADED):
        if text.startswith(f"{lead} in ") and "; where met: " in text:
            ungraded, text = True, text.split("; where met: ", 1)[1]
    if text.endswith(" seeds: premise not met or not graded)"):
        ungraded, text = True, text[: text.rindex(" (")]
    if text.startswith(f"{MIXED}: "):
        counts = (part.split(" ", 1) for part in text[len(MIXED) + 2:].split(", "))
        return {outcome: int(n) for n, outcome in counts}, ungraded
    if text.startswith(NOT_GRADED):  # no seed graded; the text names the measures that were not numbers
        text = NOT_GRADED
    return {text: None}, ungraded


def outcomes(verdict: str) -> frozenset[str]:
    """The per-seed outcomes that a verdict of :func:`aggregate` (or its :func:`labelled`
    form) reports, without how many seeds had each. Seeds left ungraded beside graded
    ones, whether most or a few, are the one outcome :data:`UNGRADED`; a verdict that
    grades no seed is its one outcome (premise not met, not graded)."""
    counts, ungraded = _seed_counts(verdict)
    return frozenset(counts) | ({UNGRADED} if ungraded else frozenset())


def leading(verdict: str) -> frozenset[str]:
    """The outcomes most of the graded seeds of a verdict had (several where they tie)."""
    counts, _ = _seed_counts(verdict)
    most = max((n or 0) for n in counts.values())
    return frozenset(o for o, n in counts.items() if (n or 0) == most)


# Verdict words for what is not a paper claim: an assumption or a reading "holds".
HOLDS = {NOT_REPRODUCED: "does not hold", PARTLY: "partly holds", REPRODUCED: "holds"}


def labelled(verdict: str, kind: str) -> str:
    """``verdict`` in the words of the claim's kind ("holds" for all but paper claims)."""
    if kind == "paper claim":
        return verdict
    for word, label in HOLDS.items():  # "not reproduced" and "partly reproduced" before "reproduced"
        verdict = verdict.replace(word, label)
    return verdict


def verdict_word(verdict: str) -> str:
    """The category of a verdict string (for colours and the tally)."""
    for word, label in HOLDS.items():
        if verdict.startswith(label):
            return word
    for word in (MIXED, PREMISE_NOT_MET, NOT_GRADED, *VERDICTS):
        if verdict.startswith(word):
            return word
    return verdict


def grade_claim(claim: Claim, measured: list[dict], profile: str) -> dict:
    """The verdict row of ``claim`` from one measurement dict per seed (each with ``seed``)."""
    if claim.untestable:
        raise ValueError(f"{claim.id} is not testable: {claim.untestable}")
    if not measured:
        raise ValueError(f"{claim.id}: no measurements")
    seeds = [m.get("seed") for m in measured]
    n_seeds = measured[0].get("n seeds", len(measured)) if claim.pooled else len(measured)
    if claim.pooled:
        bad = sorted({name for m in measured for name in _not_finite(m)})
        grade = (Grade(f"{NOT_GRADED}: NaN or infinity in {', '.join(bad)}", "not graded") if bad
                 else claim.rule(measured, claim.cut_values))
        per_seed, (verdict, margin) = [], (grade.verdict, grade.margin)
        ours = grade.ours
    else:
        grades = [claim.grade_seed(m) for m in measured]
        per_seed = [{"seed": s, "verdict": labelled(g.verdict, claim.kind), "ours": g.ours, "margin": g.margin}
                    for s, g in zip(seeds, grades)]
        verdict, margin = aggregate(grades)
        ours = grades[0].ours if len(grades) == 1 else "; ".join(
            f"{'seed ' if isinstance(s, int) else ''}{s}: {g.ours}" for s, g in zip(seeds, grades))
    return {
        "id": claim.id, "claim": claim.item, "kind": claim.kind, "paper": claim.paper,
        "ours": ours, "verdict": QUICK_VERDICT if profile == "quick" else labelled(verdict, claim.kind),
        "measured verdict": labelled(verdict, claim.kind), "seeds": n_seeds, "seeds note": claim.seeds_note or "",
        "margin": margin,
        "premise": claim.premise or "", "per seed": per_seed, "rule": claim.rule_in_words,
    }


NOT_MEASURED = "not measured"


def verdicts(chapter: str, measured: dict[str, list[dict]], profile: str, skipped: dict[str, str] | None = None):
    """The verdict table of a chapter: every testable claim of ``chapter`` graded on
    ``measured[claim.id]`` (one dict per seed). ``skipped`` names the claims this
    profile does not measure, with the reason. A claim neither measured nor skipped, or
    measurements of a claim of another chapter, is an error."""
    import pandas as pd

    skipped = skipped or {}
    mine = [c for c in CLAIMS if c.chapter == chapter and not c.untestable]
    unknown = (set(measured) | set(skipped)) - {c.id for c in mine}
    if unknown:
        raise ValueError(f"measurements for claims that are not testable claims of {chapter!r}: {sorted(unknown)}")
    missing = [c.id for c in mine if c.id not in measured and c.id not in skipped]
    if missing:
        raise ValueError(f"chapter {chapter!r} has no measurements for {missing}")
    rows = [grade_claim(c, measured[c.id], profile) if c.id in measured else
            {"id": c.id, "claim": c.item, "kind": c.kind, "paper": c.paper, "ours": skipped[c.id],
             "verdict": NOT_MEASURED, "measured verdict": NOT_MEASURED, "seeds": 0, "margin": None,
             "premise": c.premise or "", "per seed": [], "rule": c.rule_in_words}
            for c in mine]
    return pd.DataFrame(rows)


def summary(table):
    """A chapter's verdict table for the page: the verdict first, then the claim, its
    kind, what we measured, the seeds and the margin to the nearest cut-off."""
    from .tables import table as page_table

    shown = table[["verdict", "id", "claim", "kind", "paper", "ours", "seeds", "margin"]]
    return page_table(shown.rename(columns={"margin": "margin to the nearest cut"}),
                      caption="Verdicts: each seed graded by the rule of its claim (rules below)")


def rules_frame(chapter: str):
    """The chapter's claims beside their rules: what the paper says and how we grade it."""
    import pandas as pd

    rows = [{"id": c.id, "kind": c.kind, "the paper": f"“{c.quote}” ({c.source})",
             "premise": c.premise or "", "rule": c.rule_in_words}
            for c in CLAIMS if c.chapter == chapter]
    return pd.DataFrame(rows)


def rules_table(chapter: str):
    """:func:`rules_frame` for the page."""
    from .tables import table as page_table

    return page_table(rules_frame(chapter), caption="How each verdict is reached: the paper's words and the rule")


# --------------------------------------------------------------------------- rules


def _accuracy_rule(m: dict, c: dict) -> Grade:
    verdict, margin = _at_least(m["accuracy"], c["reproduced"], c["partly"])
    return Grade(verdict, f"{100 * m['accuracy']:.1f}%", margin)


def _same_point_rule(m: dict, c: dict) -> Grade:
    at15, settled = m["gap y(15)"], m["gap settled"]
    verdict = _tier(at15 < c["same_at_15"], settled < c["same_settled"])
    margin = min(abs(at15 - c["same_at_15"]), abs(settled - c["same_settled"]))
    return Grade(verdict, f"class means of y(15) {at15:.3f} apart (settled: {settled:.3f})", margin)


def _corner_rule(m: dict, c: dict) -> Grade:
    near = max(m["corner distance y(15)"]) < c["near"]
    pattern = m["corner ones"] == 1 and m["same corner"]
    stable = m["corner stable"]
    verdict = _tier(near and pattern and stable, near or m["settled at a one-hot corner"])
    return Grade(verdict, f"y(15) within {max(m['corner distance y(15)']):.3f} of corner "
                          f"{m['corner']} ({'stable' if stable else 'not stable'}; both classes: "
                          f"{'yes' if m['same corner'] else 'no'})",
                 abs(max(m["corner distance y(15)"]) - c["near"]))


def _gap_rule(key: str, what: str) -> Rule:
    def rule(m: dict, c: dict) -> Grade:
        verdict, margin = _at_most(m[key], c["reproduced"], c["partly"])
        return Grade(verdict, f"{what} {m[key]:.3f}", margin)
    return rule


def _swap_rule(m: dict, c: dict) -> Grade:
    verdict, margin = _at_least(m["follows the swapped transient"], c["reproduced"], c["partly"])
    return Grade(verdict, f"{100 * m['follows the swapped transient']:.0f}% follow the swapped transient", margin)


COMMON_POINT = 0.01  # premise of E1.transients and E1.x15: settled class means this close


def _common_point(m: dict, c: dict) -> tuple[bool, str]:
    holds = m["gap settled"] < COMMON_POINT
    return holds, ("both classes settle at one point" if holds else
                   f"the classes settle at different points ({m['gap settled']:.3f} apart)")


def _extra_unit_rule(m: dict, c: dict) -> Grade:
    gain = m["accuracy"] - m["accuracy without the extra unit"]
    verdict, margin = _at_least(gain, c["reproduced"], c["partly"])
    return Grade(verdict, f"{100 * m['accuracy']:.1f}% padded, {100 * m['accuracy without the extra unit']:.1f}% "
                          "without", margin)


def _error_rule(m: dict, c: dict) -> Grade:
    verdict, margin = _at_most(m["error %"], c["reproduced"], c["partly"])
    return Grade(verdict, f"{m['error %']:.2f}%", margin)


def _width_rule(m: dict, c: dict) -> Grade:
    wide, narrow = m["error % at 1064"], m["error % at 784"]
    halfway = (narrow + c["reproduced"]) / 2  # closes half the gap from 784 units to 1.4%
    verdict = _tier(wide <= c["reproduced"], wide <= halfway)
    return Grade(verdict, f"N = 1064: {wide:.2f}%, N = 784: {narrow:.2f}%",
                 min(abs(wide - c["reproduced"]), abs(wide - halfway)))


def _shared_better_rule(ms: list[dict], c: dict) -> Grade:
    shared = [m["shared error %"] for m in ms]
    variable = [m["variable error %"] for m in ms]
    searched = all(m["recipe searched for both"] for m in ms)
    difference = float(np.mean(variable) - np.mean(shared))
    verdict = _tier(max(shared) < min(variable) and searched, difference > 0)
    note = "" if searched else " (recipe searched for one net only)"
    return Grade(verdict, f"shared {np.mean(shared):.2f}% ({min(shared):.2f}-{max(shared):.2f}), variable "
                          f"{np.mean(variable):.2f}% ({min(variable):.2f}-{max(variable):.2f}){note}", abs(difference))


def _fig3_rule(m: dict, c: dict) -> Grade:
    profile = np.asarray(m["max std per layer"], float)
    first, last = float(profile[0]), float(profile[-1])
    transient, settles = first >= c["transient"], last < c["negligible"]
    decays = last < first and float(profile[min(14, len(profile) - 1)]) < first  # smaller at 15 and at the end
    verdict = _tier(transient and settles, transient and decays)
    from .transients import spread_layer

    layer = spread_layer(profile, c["negligible"])
    q90 = spread_layer(m["q90 std per layer"], c["negligible"])
    since = lambda t: f"from layer {t}" if t else "never"  # noqa: E731
    return Grade(verdict, f"max std {first:.3f} at layer 1, {last:.1e} at layer {len(profile)}; below "
                          f"{c['negligible']:g}: {since(layer)} (90% of units: {since(q90)})",
                 min(abs(first - c["transient"]), abs(last - c["negligible"])))


def _unrolled_rule(m: dict, c: dict) -> Grade:
    n, share, std = m["non-zero units"], m["non-zero units"] / m["units"], m["max std at the end"]
    few = 1 <= n and share <= c["few"]
    verdict = _tier(few and std < c["negligible"], n >= 1 and (few or std < c["negligible"]))
    return Grade(verdict, f"{n} of {m['units']} units non-zero, max std {std:.1e}, "
                          f"{m['settled units']} stopped moving", min(abs(share - c["few"]), abs(std - c["negligible"])))


def _fig6_rule(m: dict, c: dict) -> Grade:
    differ = m["smallest class-pair difference"] > c["differ"]
    coincide = m["coinciding units"] >= c["many"] * m["active units"] and m["active units"] > 0
    return Grade(_both(differ, coincide),
                 f"every class pair differs by at least {m['smallest class-pair difference']:.3f}; "
                 f"{m['coinciding units']} of {m['active units']} active units coincide",
                 abs(m["smallest class-pair difference"] - c["differ"]))


def _at_fixed_points(m: dict, c: dict) -> list[dict]:
    return [row for row in m["classes"] if row["|F|"] < c["fixed"] and row["within-class std"] < c["spread"]]


def _eigen_premise(m: dict, c: dict) -> tuple[bool, str]:
    n = len(_at_fixed_points(m, c))
    smallest_f = min(row["|F|"] for row in m["classes"])
    smallest_std = min(row["within-class std"] for row in m["classes"])
    return n > 0, (f"{n} of {len(m['classes'])} class means are fixed points with a small spread" if n else
                   f"no class mean is a fixed point with a small spread (smallest |F| {smallest_f:.1e}, "
                   f"smallest within-class std {smallest_std:.2f})")


def _eigen_rule(m: dict, c: dict) -> Grade:
    points = _at_fixed_points(m, c)
    unstable = [[e for e in row["positive eigenvalues"] if e > c["tol"]] for row in points]
    saddles = sum(len(u) == 1 and u[0] < c["small"] for u in unstable)
    other = sum(len(u) > 0 for u in unstable) - saddles
    n = len(points)
    verdict = _tier(saddles >= 1 and other == 0, saddles >= 1 or other >= 1)
    return Grade(verdict, f"of {n} classes at a fixed point: {saddles} saddles with one small positive "
                          f"eigenvalue, {other} other unstable, {n - saddles - other} stable", None)


def _wins_rule(key: str) -> Rule:
    def rule(m: dict, c: dict) -> Grade:
        verdict, margin = _at_least(m[key], c["reproduced"], c["partly"])
        alt = key.replace("signed K", "|K|")
        return Grade(verdict, f"{m[key]} of 10 ({m[alt]} of 10 with |K|)", margin)
    return rule


def _fig5_rule(m: dict, c: dict) -> Grade:
    low, median = m["smallest pair separation x(15)"], m["median pair separation x(15)"]
    beyond_pixels = median > m["median pair separation x(0)"]
    verdict = _tier(low >= c["separated"] and beyond_pixels, median >= c["separated"])
    return Grade(verdict, f"class-mean distance / within-class spread: smallest pair {low:.2f}, median "
                          f"{median:.2f} (pixels x(0): {m['median pair separation x(0)']:.2f})",
                 min(abs(low - c["separated"]), abs(median - c["separated"])))


def _readout_rule(m: dict, c: dict) -> Grade:
    kept = m["accuracy, own sum, x(0) at its mean"] / m["accuracy, full"]
    verdict, margin = _at_least(kept, c["reproduced"], c["partly"])
    return Grade(verdict, f"own Σy with x(0) at its mean: {100 * m['accuracy, own sum, x(0) at its mean']:.1f}%; "
                          f"own x(0) with Σy at its mean: {100 * m['accuracy, own x(0), sum at its mean']:.1f}% "
                          f"(full {100 * m['accuracy, full']:.1f}%; random other x(0): "
                          f"{100 * m['accuracy, own sum, random other x(0)']:.1f}%)", margin)


def _settled_premise(m: dict, c: dict) -> tuple[bool, str]:
    std = m["largest within-class std at the unroll depth"]
    holds = std < c["settled"]
    return holds, (f"the samples have settled (within-class std up to {std:.2f})" if holds else
                   f"the samples have not settled at the unroll depth (within-class std up to {std:.2f}), so "
                   "15 y(T') is not a steady part")


def _split_rule(m: dict, c: dict) -> Grade:
    kept = m["accuracy, own transient, rest at its mean"] / m["accuracy, full"]
    verdict, margin = _at_least(kept, c["reproduced"], c["partly"])
    return Grade(verdict, f"own transient, input and steady part at their means: "
                          f"{100 * m['accuracy, own transient, rest at its mean']:.1f}%; own input and steady "
                          f"part, transient at its mean: {100 * m['accuracy, transient at its mean']:.1f}%", margin)


def _spread_rule(m: dict, c: dict) -> Grade:
    after = float(np.max(m["max std per layer"][4:]))
    share4, share15 = m["share above the level per layer"][3], m["share above the level per layer"][-1]
    verdict = _tier(after < c["negligible"], share15 <= c["most"] and share15 < share4)
    return Grade(verdict, f"max std after layer 4 up to {after:.2f}; units with std > {m['level']:g}: "
                          f"{100 * share4:.0f}% at layer 4, {100 * share15:.0f}% at layer 15",
                 min(abs(after - c["negligible"]), abs(share15 - c["most"])))


def _weights_rule(m: dict, c: dict) -> Grade:
    last = m["distance W(14)-W(15)"]
    verdict, margin = _at_most(last, c["reproduced"], c["partly"])
    return Grade(verdict, f"relative distance W(14)-W(15) {last:.2f} (unrelated matrices: 1.41; W(15) from its "
                          f"initialisation: {m['distance W(15) from its initialisation']:.2f})", margin)


def _saturation_rule(m: dict, c: dict) -> Grade:
    means = {net: np.asarray(v, float) for net, v in m["mean y(15)"].items()}
    sat = {net: int((v > c["saturated"]).sum()) for net, v in means.items()}
    nonzero = {net: int((v > c["nonzero"]).sum()) for net, v in means.items()}
    more_saturated = sat["variable"] > sat["shared"]
    more_nonzero = nonzero["variable"] > nonzero["shared"]
    return Grade(_both(more_saturated, more_nonzero),
                 f"saturated (mean y(15) > {c['saturated']:g}): variable {sat['variable']}, shared {sat['shared']}; "
                 f"non-zero (> {c['nonzero']:g}): variable {nonzero['variable']}, shared {nonzero['shared']}", None)


def _depth_rule(m: dict, c: dict) -> Grade:
    depth = m["final depth"]
    off = abs(depth - c["paper"])
    verdict = REPRODUCED if off <= c["tolerance"] else (PARTLY if depth < 15 else NOT_REPRODUCED)
    return Grade(verdict, f"{depth} layers", abs(off - c["tolerance"]))


def _variable_depth_rule(m: dict, c: dict) -> Grade:
    depth, shared = m["final depth"], m["shared final depth"]
    verdict = REPRODUCED if depth == 15 else (PARTLY if depth > shared else NOT_REPRODUCED)
    return Grade(verdict, f"{depth} layers (shared net of the seed: {shared})", float(depth - shared))


def _small_steps_rule(m: dict, c: dict) -> Grade:
    ratio = np.asarray(m["first-order error / step"], float)
    worst, median = float(ratio.max()), float(np.median(ratio))
    verdict = _tier(worst < c["reproduced"], median < c["partly"])
    return Grade(verdict, f"first-order error {worst:.0%} of the step at worst, median {median:.0%}",
                 min(abs(worst - c["reproduced"]), abs(median - c["partly"])))


def _pooled_table_rule(fn: Callable[[dict, dict], Grade]) -> Rule:
    """A rule over a table the chapter already pooled over seeds (passed as the only seed)."""
    def rule(ms: list[dict], c: dict) -> Grade:
        return fn(ms[0], c)
    return rule


def _noise_rule(m: dict, c: dict) -> Grade:
    verdict = REPRODUCED if m["ResNets beat the best MLP at every level, every seed"] else (
        PARTLY if m["ResNets beat the 15-layer MLP at every level, every seed"] else NOT_REPRODUCED)
    return Grade(verdict, m["summary"], None)


def _evolution_rule(m: dict, c: dict) -> Grade:
    return Grade(_both(m["shared apart from the best MLP"], m["variable apart from the best MLP"]), m["summary"])


def _early_layers_rule(m: dict, c: dict) -> Grade:
    readings = {name: max(rho.values()) <= c["reproduced"] for name, rho in m["rho"].items()}
    worst = max(v for rho in m["rho"].values() for v in rho.values())
    verdict = _tier(all(readings.values()), any(readings.values()))
    return Grade(verdict, "Spearman rho(k, logit change): " + "; ".join(
        f"{name}: " + ", ".join(f"{k} {v:.2f}" for k, v in rho.items()) for name, rho in m["rho"].items()),
        abs(worst - c["reproduced"]))


def _eq3_rule(m: dict, c: dict) -> Grade:
    ratio = m["eq. 3 / network"]
    off = abs(math.log(ratio))
    verdict, margin = _at_most(off, math.log(c["reproduced"]), math.log(c["partly"]))
    return Grade(verdict, f"predicted / measured change of y(T) at sigma 0.01: {ratio:.2f}", margin)


def _dense_rule(m: dict, c: dict) -> Grade:
    gap = m["gap to the best ResNet (points)"]
    verdict, margin = _at_most(abs(gap), c["reproduced"], c["partly"])
    return Grade(verdict, m["summary"], margin)


def _veit_rule(m: dict, c: dict) -> Grade:
    resnet_ok = m["largest ResNet error increase"] < c["barely"]
    mlp_collapses = m["smallest MLP error increase"] > c["collapse"]
    verdict = REPRODUCED if resnet_ok and mlp_collapses else (PARTLY if resnet_ok else NOT_REPRODUCED)
    return Grade(verdict, m["summary"], abs(m["largest ResNet error increase"] - c["barely"]))


def _seed_spread_rule(m: dict, c: dict) -> Grade:
    verdict, margin = _at_least(m["largest ResNet half-range"], c["reproduced"], c["partly"])
    return Grade(verdict, m["summary"], margin)


# --------------------------------------------------------------------------- the claims

PCT_100 = {"reproduced": Cut(0.995, "'100%' of 1000 test points, allowing 5 misclassified"),
           "partly": Cut(0.98, "within 2 points of 100%")}
E1 = "E1 circles"

CLAIMS: tuple[Claim, ...] = (
    Claim("T.small-steps", "theory", "a layer is a small Euler step of eq. 3 (first order in W y)", "derivation",
          "assuming that the neuronal activities were samples of the original system, resulting from the forward "
          "difference Euler method", "§2", "assumption", "theory", "Step 2: from activations to residuals",
          "holds if the first-order error is below {reproduced} of the layer's step at every layer; partly if its "
          "median is below {partly}",
          {"reproduced": Cut(0.1, "an error of a tenth of the step keeps the trajectory's shape"),
           "partly": Cut(0.5, "beyond half the step, eq. 3 no longer describes the layer")},
          _small_steps_rule),
    Claim("E1.accuracy", E1, "100% test accuracy", "100%",
          "the classification accuracy on the test set was 100%", "§3", "paper claim", "circles",
          "Training: accuracy over seeds", "reproduced if test accuracy ≥ {reproduced}; partly if ≥ {partly}",
          PCT_100, _accuracy_rule),
    Claim("E1.extra-unit", E1, "the third unit is a zero-padded input dimension, and it is needed", "not stated",
          "Using a network with 3 neurons in each layer", "§3", "our reading", "circles",
          "Training: accuracy over seeds",
          "holds if zero-padding gains ≥ {reproduced} in accuracy over the 2-unit net; partly if it gains anything",
          {"reproduced": Cut(0.02, "20 of 1000 test points"), "partly": Cut(1e-9, "any gain")}, _extra_unit_rule),
    Claim("E1.same-point", E1, "both classes converge to the same fixed point", "(0, 0, 1)",
          "This fixed point is identical for both classes.", "§3", "paper claim", "circles",
          "Where the residuals go: the fixed point of each class",
          "reproduced if the class means of y(15), the net as trained, are within {same_at_15} of each other; "
          "partly if only the points they settle at when unrolled coincide (within {same_settled})",
          {"same_at_15": Cut(0.05, "a twentieth of the residual range (0, 1), finer than Fig. 2 can show"),
           "same_settled": Cut(0.01, "the settled points agree to two decimals")}, _same_point_rule),
    Claim("E1.corner", E1, "that fixed point is the corner (0, 0, 1), stable", "(0, 0, 1)",
          "the residuals converge to the stable fixed point of the system equation 3 which is (0., 0., 1.0)", "§3",
          "paper claim", "circles", "Where the residuals go: the fixed point of each class",
          "reproduced if y(15) of both classes is within {near} of one corner with one unit at 1 and two at 0 (up "
          "to a permutation of the units) and that corner is stable under eq. 3; partly if y(15) is near another "
          "corner, or only the unrolled end point is such a corner",
          {"near": Cut(0.05, "a twentieth of the residual range")}, _corner_rule),
    Claim("E1.weights", E1, "quoted weights w13, w23, w33", "-1.95, -0.87, 0.8",
          "with eigenvalues w13 = -1.95, w23 = -0.87, and -w33 = -0.8", "§3", "paper claim", "circles",
          "The sums $x(15)$ and the classifier",
          untestable="the weights of one particular trained net; units are defined only up to permutation and "
                     "each seed finds its own solution"),
    Claim("E1.x15", E1, "x(15) of both classes nearly equal", "[1.95, 0.68, 12.02] vs [2.03, 0.81, 11.63]",
          "for radius = 0.5, x(15) = [1.95, 0.68, 12.02] while for radius = 1.0, x(15) = [2.03, 0.81, 11.63]",
          "§3", "our reading", "circles", "The sums $x(15)$ and the classifier",
          "holds if the two class means of x(15) differ by less than {reproduced} of their size; partly if by "
          "less than {partly}",
          {"reproduced": Cut(0.1, "about three times the paper's own 3.5%"),
           "partly": Cut(0.3, "the classes still share most of x(15)")}, _gap_rule("x(15) gap", "relative difference"),
          premise="both classes settle at one point (the paper's setting)", premise_check=_common_point),
    Claim("E1.fig2", E1, "Fig. 2: the network follows the integration of eq. 3", "qualitative",
          "The mean of the residuals and the activities of the neurons ... are compared to the integration results "
          "of equation 3", "Fig. 2", "paper claim", "circles", "The paper's Fig. 2: the network against eq. 3",
          "reproduced if the class-mean residuals of net and ODE differ by less than {reproduced} at every layer; "
          "partly if by less than {partly}",
          {"reproduced": Cut(0.1, "a tenth of the residual range: the curves overlap at the figure's scale"),
           "partly": Cut(0.3, "same shape, visibly apart")}, _gap_rule("gap in y", "largest gap in y")),
    Claim("E1.transients", E1, "the classes differ only through their transients", "argued",
          "even if the residuals that result from two different classes of datasets converge to a single fixed "
          "point, because they have different transitions towards the fixed point, the cumulative of the residuals "
          "will have a different representation", "§3", "paper claim", "circles",
          "The classes differ through their transients",
          "reproduced if at least {reproduced} of the test points are classified as the class whose mean "
          "transient they are given; partly if more than {partly}",
          {"reproduced": Cut(0.9, "the transient decides nearly every point"),
           "partly": Cut(0.5, "chance for two classes")}, _swap_rule,
          premise="both classes settle at one point", premise_check=_common_point),
    Claim("E2.error", "E2 MNIST shared", "test error, 15 shared layers", "1.4%",
          "In this case, the classification error on the test set was 1.4%.", "§4", "paper claim", "training",
          "Training", "reproduced if a seed's test error ≤ {reproduced}%; partly if ≤ {partly}%",
          {"reproduced": Cut(1.4, "the paper's figure"),
           "partly": Cut(1.9, "within 0.5 points: the gap between the paper's two nets")}, _error_rule),
    Claim("E2.width", "E2 MNIST shared", "the width 1064 (784 pixels + 280 zeros) gives that error", "1064 units",
          "we considered a network with 1064 sigmoid neurons in each layer", "§4", "our reading", "training",
          "The width: 784 or 1064?",
          "holds if the 1064-unit net reaches ≤ {reproduced}%; partly if it closes at least half the gap from the "
          "784-unit net to {reproduced}%", {"reproduced": Cut(1.4, "the paper's figure")}, _width_rule),
    Claim("E2.fig3", "E2 MNIST shared", "Fig. 3: the residuals' std is non-zero in the first layers, then vanishes",
          "yes", "the residuals in the first few layers are still in the transition period (non-zero standard "
          "deviation for 200 random samples from 10 classes)", "§4, Fig. 3 top", "paper claim", "transients",
          "The paper's Fig. 3: the residuals across the 15 layers",
          "reproduced if the largest std over units across 200 samples is ≥ {transient} at layer 1 and below "
          "{negligible} at the last unrolled layer; partly if it is ≥ {transient} at layer 1 and smaller at layer 15 "
          "and at the last layer than at layer 1 (a transient that decays)",
          {"transient": Cut(0.05, "a twentieth of the residual range: visibly non-zero"),
           "negligible": Cut(0.01, "the paper's 'negligible', a hundredth of the range")}, _fig3_rule),
    Claim("E2.unrolled", "E2 MNIST shared", "unrolled to 1000 layers: a few units settle non-zero, negligible std",
          "yes", "There were a few non-zero fixed points with some negligible standard deviation among 200 samples.",
          "§4", "paper claim", "transients", "Unrolling the shared net to many layers",
          "reproduced if at least one and at most a fraction {few} of the units end non-zero (mean > 0.01) and the "
          "largest std is below {negligible}; partly if some unit ends non-zero and one of the two holds",
          {"few": Cut(0.1, "'a few': at most a tenth of the units"),
           "negligible": Cut(0.01, "a hundredth of the residual range")}, _unrolled_rule),
    Claim("E2.fig6", "E2 MNIST shared", "Fig. 6: class means at layer 1000 differ, many dimensions coincide", "yes",
          "The average for each class is different from any other class, however, a large number of dimensions are "
          "identical.", "§4, Fig. 6", "paper claim", "transients",
          "The paper's Fig. 6: the class means at the last unrolled layer",
          "reproduced if every pair of classes differs by more than {differ} on some unit and at least a fraction "
          "{many} of the active units coincide (within 0.01); partly if one of the two holds",
          {"differ": Cut(0.01, "a hundredth of the residual range"),
           "many": Cut(0.5, "'a large number': at least half of the active units")}, _fig6_rule),
    Claim("E2.eigen", "E2 MNIST shared", "some classes end at saddles with one small positive eigenvalue",
          "classes 0, 2, 3 (eigenvalue about 0.02)",
          "Residuals corresponding to classes 0, 2, 3 had a single small positive eigenvalue (around 0.02) among all "
          "other negative eigenvalues (saddle point).", "§4", "paper claim", "transients",
          "Eigenvalues of eq. 3 at each class's end point",
          "among the class means that are fixed points: reproduced if at least one is a saddle with exactly one "
          "eigenvalue above {tol}, and below {small}, and none is unstable otherwise; partly if some are unstable in "
          "another way; not reproduced if all are stable",
          {"tol": Cut(1e-3, "eigenvalues below it are numerically zero at these points"),
           "small": Cut(0.1, "'small (around 0.02)'"),
           "fixed": Cut(1e-3, "premise: |F| below it, i.e. 1000 layers to move by 1"),
           "spread": Cut(0.05, "premise: the class's within-class std below it")}, _eigen_rule,
          premise="the class mean at the unroll depth is a fixed point (|F| < 1e-3) with a small within-class spread "
                  "(std < 0.05)", premise_check=_eigen_premise),
    Claim("E2.fig4", "E2 MNIST shared", "Fig. 4 (caption): for the unit each class reads most, that class has the "
          "largest x(15)", "9 of 10",
          "In all cases, but class 8, the cumulative with the highest final value at layer 15 corresponds to the "
          "class that has the highest sensitivity to that neuron.", "Fig. 4 caption", "paper claim", "transients",
          "The paper's Fig. 4: the unit each class reads most",
          "reading (b), the headline: for each class c and its unit i* (largest K[c, i]), class c has the largest "
          "mean x_i*(15) of all classes; reproduced if in ≥ {reproduced} of 10 classes, partly if ≥ {partly}",
          {"reproduced": Cut(9, "the paper's 9 of 10"),
           "partly": Cut(6, "far above the 1 of 10 expected by chance")}, _wins_rule("wins (b), signed K")),
    Claim("E2.fig4-a", "E2 MNIST shared", "Fig. 4 (text): within each class, its own unit has the largest x(15) "
          "among the ten chosen units", "9 of 10",
          "In almost all cases (apart from class 8), the maximum value of x(15) belonged to the neuron that had the "
          "largest coefficient in the classifier vector for that particular class.", "§4", "paper claim",
          "transients", "The paper's Fig. 4: the unit each class reads most",
          "reading (a): for each class c, among the ten units i*, its own has the largest class-c mean x(15); "
          "reproduced if in ≥ {reproduced} of 10 classes, partly if ≥ {partly}",
          {"reproduced": Cut(9, "the paper's 9 of 10"),
           "partly": Cut(6, "far above the 1 of 10 expected by chance")}, _wins_rule("wins (a), signed K")),
    Claim("E2.fig5", "E2 MNIST shared", "Fig. 5: the class means of x(15) differ from class to class", "yes",
          "The activities of neurons at layer 15 are different for different classes.", "Fig. 5", "paper claim",
          "transients", "The paper's Fig. 5: class means and spreads of $x(1)$ and $x(15)$",
          "separation of a class pair = distance of their mean x(15) / mean within-class RMS distance; reproduced if "
          "every pair is separated by ≥ {separated} and the median pair more than in the pixels x(0); partly if the "
          "median pair is separated by ≥ {separated} (that x(15) exceeds x(1) is not graded: residuals are "
          "positive, so it always holds)",
          {"separated": Cut(0.5, "the means are half a within-class spread apart, what a mean ± std panel shows")},
          _fig5_rule),
    Claim("E2.transient-readout", "E2 MNIST shared", "the classification rests on the sum of the residuals", "argued",
          "We show that Resnets classify input patterns based on the sum of the transient dynamics of the residuals "
          "in different layers.", "§1, contribution 1", "paper claim", "transients",
          "Does the classifier read the sum of the residuals?",
          "accuracy with each image's own Σ_t y(t) and x(0) replaced by its mean over the test set, as a fraction "
          "of the full accuracy: reproduced if ≥ {reproduced}, partly if ≥ {partly}",
          {"reproduced": Cut(0.95, "the sum alone keeps nearly all of the decision"),
           "partly": Cut(0.8, "the sum carries most of it")}, _readout_rule),
    Claim("B.steady-transient", "E2 MNIST shared", "within the sum, the transient part (not the steady part) carries "
          "the classification", "not in the paper",
          "These transitions are critical in assigning the right class to the data.", "abstract", "beyond the paper",
          "transients", "Beyond the paper: the steady and the transient part",
          "accuracy with each image's own transient Σ(y(t) - y*) and its input and steady part at their means, as a "
          "fraction of the full accuracy: holds if ≥ {reproduced}, partly if ≥ {partly}",
          {"reproduced": Cut(0.95, "the transient alone keeps nearly all of the decision"),
           "partly": Cut(0.8, "it carries most of it"),
           "settled": Cut(0.05, "premise: the within-class std of y(T') below it, as for the eigenvalues")},
          _split_rule, premise="each sample's residuals have settled by the unroll depth (within-class std < 0.05), "
                               "so that 15 y(T') is the steady part", premise_check=_settled_premise),
    Claim("E3.error", "E3 MNIST variable", "test error, 15 variable layers", "about 1.8%",
          "In this example, the classification error on the test set was about 1.8%.", "§4", "paper claim",
          "training", "Training", "reproduced if a seed's test error ≤ {reproduced}%; partly if ≤ {partly}%",
          {"reproduced": Cut(1.8, "the paper's figure"), "partly": Cut(2.3, "within 0.5 points")}, _error_rule),
    Claim("E3.shared-better", "E3 MNIST variable", "shared weights beat variable weights", "1.4% < 1.8%",
          "This higher value of the error rate might be due the paucity of separate fixed points", "§4",
          "paper claim", "training", "Verdicts",
          "over all seeds: reproduced if every shared seed beats every variable seed and both nets' recipes were "
          "searched; partly if the shared mean is lower; not reproduced otherwise", {}, _shared_better_rule,
          pooled=True),
    Claim("E3.spread", "E3 MNIST variable", "residual std across samples is zero after layer 4", "layer 4",
          "as their standard deviations across samples converge to zero after the fourth layer", "§4, Fig. 3 bottom",
          "paper claim", "transients", "The variable net: one fixed point, and converging weights",
          "reproduced if the largest std over units is below {negligible} at every layer from 5 on; partly if the "
          "share of units with std above 0.05 at layer 15 is at most {most} and smaller than at layer 4",
          {"negligible": Cut(0.01, "a hundredth of the residual range"),
           "most": Cut(0.1, "nine units in ten have stopped differing")}, _spread_rule),
    Claim("E3.weights", "E3 MNIST variable", "the last layers' matrices converge to one matrix", "yes",
          "at the few layers close to the output layer, the weight matrix between layers converged to a fixed "
          "matrix", "§4", "paper claim", "transients", "The variable net: one fixed point, and converging weights",
          "relative distance ||W(15) - W(14)|| / ||W(15)||: reproduced if below {reproduced}; partly if below "
          "{partly}",
          {"reproduced": Cut(0.1, "the matrices agree to a tenth of their size"),
           "partly": Cut(0.71, "half the distance of two unrelated initialisations (√2 ≈ 1.41)")}, _weights_rule),
    Claim("E3.saturation", "E3 MNIST variable", "more residuals saturate at 1, and more end non-zero, than with "
          "shared weights", "yes",
          "has more residuals at their maximum values which correspond to many saturated neurons ... there are more "
          "residuals that converge to nonzero values", "Fig. 3 caption; §4", "paper claim", "transients",
          "The variable net: one fixed point, and converging weights",
          "reproduced if the variable net of a seed has more units with mean y(15) > {saturated} and more with "
          "mean y(15) > {nonzero} than the shared net of that seed; partly if one of the two",
          {"saturated": Cut(0.99, "saturated: within 1% of the maximum"),
           "nonzero": Cut(0.01, "non-zero: above a hundredth")}, _saturation_rule),
    Claim("E3.single-point", "E3 MNIST variable", "the higher error comes from one fixed point for all classes",
          "suggested", "This higher value of the error rate might be due the paucity of separate fixed points to "
          "represent each class.", "§4", "paper claim", "transients",
          "The variable net: one fixed point, and converging weights",
          untestable="an explanation, not a measurement; its premises are the rows 'std zero after layer 4' and "
                     "'shared beats variable'"),
    Claim("E4.shared-depth", "E4 adaptive depth", "circles, shared weights: 5 layers remain", "5",
          "We observed that a network with 5 hidden layers was also able to classify the test data with 100% "
          "accuracy.", "§5", "paper claim", "depth", "Circles: shared and variable weights from 15 layers",
          "reproduced if the final depth is within ±{tolerance} of the paper's {paper} (a single run); partly if "
          "any layer was removed",
          {"paper": Cut(5, "the paper's single run"), "tolerance": Cut(2, "a single run pins the depth only roughly")},
          _depth_rule),
    Claim("E4.shared-accuracy", "E4 adaptive depth", "circles, shared weights: still 100% accuracy", "100%",
          "was also able to classify the test data with 100% accuracy", "§5", "paper claim", "depth",
          "Circles: shared and variable weights from 15 layers",
          "reproduced if test accuracy ≥ {reproduced}; partly if ≥ {partly}", PCT_100, _accuracy_rule),
    Claim("E4.variable-depth", "E4 adaptive depth", "circles, variable weights: all 15 layers kept", "15",
          "The same network with variable weights between layers required the maximum number of layers defined "
          "initially for training (15 layers).", "§5", "paper claim", "depth",
          "Circles: shared and variable weights from 15 layers",
          "reproduced if all 15 layers remain; partly if more remain than in the shared net of the same seed",
          {}, _variable_depth_rule),
    Claim("E5.noise", "E5 robustness", "ResNets are more robust to noisy inputs than MLPs", "yes (v2 abstract)",
          "ResNets are more robust to noisy inputs", "v2 abstract", "paper claim", "robustness", "Input noise",
          "reproduced if both ResNets' lowest seed beats the best MLP's highest seed at every noise level; partly if "
          "they beat the 15-layer MLP that way", {}, _pooled_table_rule(_noise_rule), pooled=True),
    Claim("E5.evolution", "E5 robustness", "noise evolves fundamentally differently in ResNets and MLPs",
          "yes (v2 abstract)", "their internal dynamics and how input noise evolves through the layers are "
          "fundamentally different", "v2 abstract", "paper claim", "robustness",
          "How the noise evolves through the layers",
          "reproduced if the seed ranges of the noise gain x(T)/x(0) of both ResNets are apart from the best MLP's; "
          "partly if one is", {}, _pooled_table_rule(_evolution_rule), pooled=True),
    Claim("E5.early-layers", "E5 robustness", "perturbations of early layers matter more", "yes (§1, §2)",
          "perturbations at initial layers can change the dynamic trajectory of the residuals more drastically",
          "§2", "paper claim", "robustness", "A perturbation at one layer",
          "per seed, for each of two readings of 'a perturbation' (a fixed norm, which grows smaller relative to "
          "x(k) with depth, and 0.5 ||x(k)||, which grows larger): the Spearman rho of the perturbed layer k against "
          "the logit change; reproduced if rho ≤ {reproduced} for both ResNets under both readings; partly if under "
          "one of them",
          {"reproduced": Cut(-0.5, "a clear decrease with depth")}, _early_layers_rule),
    Claim("E5.eq3", "E5 robustness", "eq. 3 predicts how a small perturbation travels", "implied",
          "The dynamical system interpretation of Resnets clarifies that perturbations at initial layers can change "
          "the dynamic trajectory of the residuals", "§2", "our reading", "robustness",
          "Does eq. 3 predict the evolution of a small perturbation?",
          "per seed, the shared net: holds if the linearised eq. 3 predicts the change of y(T) within a factor "
          "{reproduced}; partly within a factor {partly}",
          {"reproduced": Cut(2.0, "same order of magnitude, same sign"),
           "partly": Cut(5.0, "right order of magnitude")}, _eq3_rule),
    Claim("R.dense", "related work", "a good dense MLP reaches about the same error (LeCun: 800 units)", "1.6%",
          "2-layer MLP with 800 hidden units and cross-entropy: 1.6% error", "LeCun's MNIST table",
          "beyond the paper", "robustness", "The models",
          "holds if the best MLP's mean error is within {reproduced} points of the better ResNet's; partly within "
          "{partly}", {"reproduced": Cut(0.5, "the seed spread of these nets"), "partly": Cut(1.0, "one point")},
          _pooled_table_rule(_dense_rule), pooled=True),
    Claim("R.veit", "related work", "deleting one layer barely hurts a ResNet, a plain net collapses (Veit)", "yes",
          "deleting a single layer of a trained ResNet barely hurts it, while plain networks collapse",
          "Veit et al. 2016", "beyond the paper", "robustness", "Deleting one layer (Veit et al.)",
          "holds if no ResNet seed loses {barely} points or more (median over the deleted layers) and every MLP "
          "seed loses more than {collapse}; partly if only the ResNet half holds",
          {"barely": Cut(2.0, "two points of error"), "collapse": Cut(10.0, "ten points of error")},
          _pooled_table_rule(_veit_rule), pooled=True),
    Claim("R.seed-spread", "related work", "accuracy under noise spreads by several points over seeds",
          "about ±2 to ±5 points", "large seed-to-seed spread under noise: about ±2 to ±5 points of accuracy",
          "an independent replication", "beyond the paper", "robustness", "Input noise",
          "holds if a ResNet's half-range over seeds at sigma 100/255 is ≥ {reproduced} points; partly if ≥ "
          "{partly}", {"reproduced": Cut(2.0, "the low end of ±2 to ±5"), "partly": Cut(1.0, "half of it")},
          _pooled_table_rule(_seed_spread_rule), pooled=True),
)

CLAIM_IDS = {c.id: c for c in CLAIMS}
