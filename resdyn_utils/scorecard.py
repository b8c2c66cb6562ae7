"""The reproduction scorecard: every claim of the paper beside our measured verdict.

The claims, their kinds and their rules live in :mod:`resdyn_utils.claims`. The
measurement and the verdict are never written here: they are read from the chapters'
certified results JSON, where each verdict row carries the claim's ``id``. Only paper
claims count in the tally (:func:`tally`); assumptions, our readings and measurements
beyond the paper are listed with their kind.
"""

from __future__ import annotations

import html
import re

import pandas as pd

from .claims import CLAIMS, verdict_word
from .results import StaleResultsError, certified_results
from .tables import table as page_table_of

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
    """One row per claim: the paper's value, ours, the seeds, the verdict (and the
    ``measured verdict``: what the rule says, also in a quick build, whose ``verdict``
    says it is not a reproduction), the rule and the section (``chapter``, ``anchor``)
    that shows it. Only results the book runner certified for ``profile`` are read; a
    claim of a chapter without them says so in its verdict. ``seeds`` holds whole
    numbers or None."""
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
        measured = verdict if row is None or claim.untestable else row.get("measured verdict", verdict)
        premise = "" if claim.premise is None or row is None else (
            "not met" if "premise not met" in row.get("measured verdict", "") else "met")
        table.append({"id": claim.id, "experiment": claim.experiment, "claim": claim.item, "kind": claim.kind,
                      "paper": claim.paper, "ours": ours, "seeds": seeds, "seeds note": claim.seeds_note or "",
                      "margin": None if row is None else row.get("margin"), "premise": premise,
                      "verdict": verdict, "measured verdict": measured, "rule": claim.rule_in_words,
                      "chapter": claim.chapter, "anchor": anchor(claim.section)})
    card = pd.DataFrame(table)
    card["seeds"] = pd.Series([None if r["seeds"] is None else int(r["seeds"]) for r in table], dtype=object)
    return card


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


def _linked_claims(card: pd.DataFrame) -> list[str]:
    """Each claim as a link to the section that measures it, its kind after it unless
    it is a claim of the paper (HTML)."""
    return [f'<a href="{c}.html#{a}">{html.escape(claim)}</a>'
            + ("" if kind == "paper claim" else f" <em>({html.escape(kind)})</em>")
            for c, a, claim, kind in zip(card["chapter"], card["anchor"], card["claim"], card["kind"])]


def page_table(card: pd.DataFrame):
    """The scorecard for the page, narrow enough for a phone: the verdict first, then the
    claim (linked to the section that measures it, with its kind unless it is the
    paper's), the paper's value and ours. The rest is in :func:`details_table`."""
    shown = pd.DataFrame({"verdict": card["verdict"], "claim": _linked_claims(card),
                          "paper": card["paper"], "ours": card["ours"]})
    styler = page_table_of(shown, caption="Every claim of the paper, and what we measured")
    return styler.format(lambda cell: cell, subset=["claim"], escape=None)


def _seeds_text(seeds, note: str) -> str:
    return ("" if seeds is None or pd.isna(seeds) else str(int(seeds))) + (f" ({note})" if note else "")


def details_table(card: pd.DataFrame):
    """What stands behind each verdict of :func:`page_table`: the claim's id, experiment
    and kind, the seeds (and why a claim rests on fewer), the margin of the deciding
    measurement to the nearest cut-off of its rule, whether the paper's premise was met,
    and the rule. Where the verdict shown is not the rule's (a quick build), the rule's
    verdict too."""
    shown = pd.DataFrame({"id": card["id"], "experiment": card["experiment"], "kind": card["kind"],
                          "seeds": [_seeds_text(s, n) for s, n in zip(card["seeds"], card["seeds note"])],
                          "margin": card["margin"], "premise": card["premise"], "rule": card["rule"]})
    if (card["measured verdict"] != card["verdict"]).any():
        shown.insert(1, "the rule's verdict", card["measured verdict"])
    return page_table_of(shown, caption="Behind each verdict: seeds are training seeds (independent "
                                        "nets); the margin is the distance of the deciding measurement "
                                        "to the nearest cut-off of the rule, for the closest seed, in "
                                        "the unit of that measurement (small: a close call)")


def collapsed(summary: str, styler) -> str:
    """``styler``'s table in a closed HTML ``<details>`` element titled ``summary``: on
    the page until the reader opens it, it takes one line."""
    return f"<details>\n<summary>{html.escape(summary)}</summary>\n\n{styler.to_html()}\n</details>"


def to_html(card: pd.DataFrame) -> str:
    """:func:`page_table` as HTML."""
    return page_table(card).to_html()
