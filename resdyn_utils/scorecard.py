"""The reproduction scorecard: every item of the paper beside our measured verdict.

:data:`CLAIMS` lists what the paper reports (experiments E1-E5, the theory, and the
related-work figures of the project's paper notes), each with the chapter section
that measures it. The measurement and the verdict are never written here: they are
read from the chapters' results JSON, where each verdict row carries the claim's
``id``. An item no chapter can measure says why, and is marked "not testable".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from .results import StaleResultsError, certified_results


@dataclass(frozen=True)
class Claim:
    """One item the paper reports, and where the book measures it."""

    id: str
    experiment: str
    item: str
    paper: str
    chapter: str
    section: str
    untestable: str | None = None  # why no measurement can decide it


CLAIMS: tuple[Claim, ...] = (
    Claim("T.small-steps", "theory", "a layer is a small Euler step of eq. 3 (first order in W y)",
          "derivation", "theory", "Step 2: from activations to residuals"),
    Claim("E1.accuracy", "E1 circles", "100% test accuracy", "100%", "circles", "Training: accuracy over seeds"),
    Claim("E1.extra-unit", "E1 circles", "the third unit is a zero-padded input dimension (our reading)",
          "not stated", "circles", "Training: accuracy over seeds"),
    Claim("E1.same-point", "E1 circles", "both classes converge to the same fixed point", "(0, 0, 1)",
          "circles", "Where the residuals go: the fixed point of each class"),
    Claim("E1.corner", "E1 circles", "that fixed point is a corner of the cube", "(0, 0, 1)",
          "circles", "Where the residuals go: the fixed point of each class"),
    Claim("E1.weights", "E1 circles", "quoted weights w13, w23, w33", "-1.95, -0.87, 0.8", "circles",
          "The sums $x(15)$ and the classifier",
          untestable="the weights of one particular trained net; units are defined only up to "
                     "permutation and each seed finds its own solution"),
    Claim("E1.x15", "E1 circles", "x(15) of both classes nearly equal, one unit near 12",
          "[1.95, 0.68, 12.02] vs [2.03, 0.81, 11.63]", "circles", "The sums $x(15)$ and the classifier"),
    Claim("E1.fig2", "E1 circles", "Fig. 2: the network follows the integration of eq. 3", "qualitative",
          "circles", "Fig. 2: the network against eq. 3"),
    Claim("E1.transients", "E1 circles", "the classes differ only through their transients", "argued",
          "circles", "The classes differ through their transients"),
    Claim("E2.error", "E2 MNIST shared", "test error, 15 shared layers", "1.4%", "training", "Training"),
    Claim("E2.width", "E2 MNIST shared", "the width 1064 (784 pixels + 280 zeros) gives that error",
          "1064 units", "training", "The width: 784 or 1064?"),
    Claim("E2.fig3", "E2 MNIST shared", "Fig. 3: residual std non-zero in the first layers", "yes",
          "transients", "Fig. 3: the residuals across the 15 layers"),
    Claim("E2.unrolled", "E2 MNIST shared", "unrolled to 1000 layers: a few units settle non-zero, negligible std",
          "yes", "transients", "Unrolling the shared net to many layers"),
    Claim("E2.fig6", "E2 MNIST shared", "Fig. 6: class means at layer 1000 differ, many dimensions coincide",
          "yes", "transients", "Fig. 6: the class means at the last unrolled layer"),
    Claim("E2.eigen", "E2 MNIST shared", "classes 0, 2, 3 end at saddles (one eigenvalue about 0.02)",
          "3 saddles", "transients", "Eigenvalues of eq. 3 at each class's end point"),
    Claim("E2.fig4", "E2 MNIST shared", "Fig. 4: the class weighting unit i* most has the largest x_i*(15)",
          "9 of 10", "transients", "Fig. 4: the unit each class reads most"),
    Claim("E2.fig5", "E2 MNIST shared", "Fig. 5: x(15) larger than x(1) and spread wide, per class", "yes",
          "transients", "Fig. 5: class means and spreads of $x(1)$ and $x(15)$"),
    Claim("E2.transient-readout", "E2 MNIST shared", "the classification rests on the transient residuals",
          "argued", "transients", "Beyond the paper: does the classifier read the transient?"),
    Claim("E3.error", "E3 MNIST variable", "test error, 15 variable layers", "about 1.8%", "training", "Training"),
    Claim("E3.shared-better", "E3 MNIST variable", "shared weights beat variable weights", "1.4% < 1.8%",
          "training", "Verdicts"),
    Claim("E3.spread", "E3 MNIST variable", "residual std across samples is zero after layer 4", "layer 4",
          "transients", "The variable net: one fixed point, and converging weights"),
    Claim("E3.weights", "E3 MNIST variable", "the last layers' matrices converge to one matrix", "yes",
          "transients", "The variable net: one fixed point, and converging weights"),
    Claim("E3.saturation", "E3 MNIST variable", "more residuals saturate at 1 than with shared weights", "yes",
          "transients", "The variable net: one fixed point, and converging weights"),
    Claim("E3.single-point", "E3 MNIST variable", "the higher error comes from one fixed point for all classes",
          "suggested", "transients", "The variable net: one fixed point, and converging weights",
          untestable="an explanation, not a measurement; its premises are the rows 'std zero after "
                     "layer 4' and 'shared beats variable'"),
    Claim("E4.shared-depth", "E4 adaptive depth", "circles, shared weights: 5 layers remain", "5", "depth",
          "Circles: shared and variable weights from 15 layers"),
    Claim("E4.shared-accuracy", "E4 adaptive depth", "circles, shared weights: still 100% accuracy", "100%",
          "depth", "Circles: shared and variable weights from 15 layers"),
    Claim("E4.variable-depth", "E4 adaptive depth", "circles, variable weights: all 15 layers kept", "15",
          "depth", "Circles: shared and variable weights from 15 layers"),
    Claim("E5.noise", "E5 robustness", "ResNets are more robust to noisy inputs than MLPs", "yes (v2 abstract)",
          "robustness", "Input noise"),
    Claim("E5.evolution", "E5 robustness", "noise evolves fundamentally differently in ResNets and MLPs",
          "yes (v2 abstract)", "robustness", "How the noise evolves through the layers"),
    Claim("E5.early-layers", "E5 robustness", "perturbations of early layers matter more", "yes (appendix)",
          "robustness", "A perturbation at one layer"),
    Claim("E5.eq3", "E5 robustness", "eq. 3 describes how a small perturbation travels", "implied",
          "robustness", "Does eq. 3 predict the evolution of a small perturbation?"),
    Claim("R.dense", "related work", "a good dense MLP reaches about the same error (LeCun: 800 units)", "1.6%",
          "robustness", "The models"),
    Claim("R.veit", "related work", "deleting one layer barely hurts a ResNet, a plain net collapses (Veit)",
          "yes", "robustness", "Deleting one layer (Veit et al.)"),
    Claim("R.seed-spread", "related work", "accuracy under noise spreads by several points over seeds",
          "about ±2 to ±5 points", "robustness", "Input noise"),
)

CHAPTERS = ("theory", "circles", "training", "transients", "depth", "robustness")


def anchor(heading: str) -> str:
    """The HTML id Sphinx gives a section heading (docutils' ``make_id`` for ASCII text)."""
    text = re.sub(r"\$[^$]*\$", lambda m: m.group(0).strip("$"), heading).lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def chapter_results(profile: str) -> tuple[dict[str, dict], dict[str, str]]:
    """The certified results of each chapter in ``profile``, and the reason each other
    chapter's results are not used ("not run", or why they are stale)."""
    found, unusable = {}, {}
    for chapter in CHAPTERS:
        try:
            found[chapter] = certified_results(chapter, profile)
        except FileNotFoundError:
            unusable[chapter] = "not run"
        except StaleResultsError as err:
            unusable[chapter] = f"stale: {err}"
    return found, unusable


def scorecard(profile: str) -> pd.DataFrame:
    """One row per claim: the paper's value, ours, the seeds, the verdict and the section
    (``chapter``, ``anchor``) that shows it. Only results the book runner certified for
    ``profile`` are read; a claim of a chapter without them says so in its verdict."""
    found, unusable = chapter_results(profile)
    rows = {row["id"]: row for results in found.values()
            for row in results["values"].get("verdicts", []) if row.get("id")}
    table = []
    for claim in CLAIMS:
        row = rows.get(claim.id)
        if claim.untestable:
            ours, seeds, verdict = claim.untestable, None, "not testable"
        elif claim.chapter in unusable:
            reason = unusable[claim.chapter]
            ours, seeds = f"chapter {claim.chapter}: {reason}", None
            verdict = "stale" if reason.startswith("stale") else "missing"
        elif row is None:
            ours, seeds, verdict = f"chapter {claim.chapter} recorded no verdict for it", None, "missing"
        else:
            ours, seeds, verdict = row.get("ours"), row.get("seeds"), row["verdict"]
        table.append({"id": claim.id, "experiment": claim.experiment, "claim": claim.item, "paper": claim.paper,
                      "ours": ours, "seeds": seeds, "verdict": verdict, "chapter": claim.chapter,
                      "anchor": anchor(claim.section)})
    return pd.DataFrame(table)


def unlisted_verdicts(profile: str) -> list[str]:
    """Verdict rows of the chapters whose id is not a claim of the scorecard (or has none)."""
    known = {c.id for c in CLAIMS}
    found, _ = chapter_results(profile)
    return [f"{chapter}: {r.get('claim')}" for chapter, results in found.items()
            for r in results["values"].get("verdicts", []) if r.get("id") not in known]


def to_html(table: pd.DataFrame) -> str:
    """The scorecard as an HTML table, each claim linked to the section that measures it."""
    shown = table.copy()
    shown["claim"] = [f'<a href="{c}.html#{a}">{claim}</a>'
                      for c, a, claim in zip(shown["chapter"], shown["anchor"], shown["claim"])]
    shown["seeds"] = shown["seeds"].map(lambda s: "" if pd.isna(s) else str(int(s)))
    return shown.drop(columns=["id", "chapter", "anchor"]).to_html(index=False, escape=False, na_rep="")
