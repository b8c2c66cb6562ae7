"""The reproduction scorecard: every claim of the paper beside our measured verdict.

The claims, their kinds and their rules live in :mod:`resdyn_utils.claims`. The
measurement and the verdict are never written here: they are read from the chapters'
certified results JSON, where each verdict row carries the claim's ``id``. Only paper
claims count in the tally (:func:`tally`); assumptions, our readings and measurements
beyond the paper are listed with their kind.
"""

from __future__ import annotations

import re

import pandas as pd

from .claims import CLAIMS, verdict_word
from .results import StaleResultsError, certified_results

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
        premise = "" if claim.premise is None or row is None else (
            "not met" if "premise not met" in row.get("measured verdict", "") else "met")
        table.append({"id": claim.id, "experiment": claim.experiment, "claim": claim.item, "kind": claim.kind,
                      "paper": claim.paper, "ours": ours, "seeds": seeds, "seeds note": claim.seeds_note or "",
                      "margin": None if row is None else row.get("margin"), "premise": premise,
                      "verdict": verdict, "chapter": claim.chapter, "anchor": anchor(claim.section)})
    return pd.DataFrame(table)


def tally(card: pd.DataFrame) -> pd.Series:
    """How many *paper claims* got each verdict (mixed verdicts counted as mixed)."""
    papers = card[card["kind"] == "paper claim"]
    return papers["verdict"].map(verdict_word).value_counts()


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
    shown["seeds"] = [("" if pd.isna(s) else str(int(s))) + (f" ({note})" if note else "")
                      for s, note in zip(shown["seeds"], shown["seeds note"])]
    shown["margin"] = shown["margin"].map(lambda m: "" if m is None or pd.isna(m) else f"{m:.3g}")
    columns = ["verdict", "claim", "kind", "paper", "ours", "seeds", "margin", "premise", "experiment"]
    return shown[columns].to_html(index=False, escape=False, na_rep="")
