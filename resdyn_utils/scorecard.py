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

from .claims import CLAIMS, leading, outcomes, verdict_word
from .profiles import REGIMES
from .results import StaleResultsError, certified_results, regime_key
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


HOLDS_ACROSS, DIFFERS, INCOMPLETE = "same in every regime", "differs", "incomplete"
#: The verdicts of every regime have the same kind, the same per-seed outcomes and the same
#: outcome for most seeds, split differently over the seeds (4 of 5 reproduced against 3 of 5).
SAME_OUTCOMES = "same outcomes, split differently over the seeds"


def agreement_key(verdict: str) -> tuple:
    """What two regimes' verdicts of a claim must share to agree up to the split over the
    seeds: the kind of verdict (:func:`~resdyn_utils.claims.verdict_word`), the seeds'
    outcomes and the outcome most seeds had."""
    return verdict_word(verdict), outcomes(verdict), leading(verdict)


def regime_verdicts(profile: str, chapters: tuple[str, ...],
                    current: dict[str, pd.DataFrame] | None = None) -> dict[str, dict[str, dict]]:
    """regime -> claim id -> verdict row, from the certified results of ``chapters`` in
    each regime. ``current`` gives a chapter's verdict table of the run in progress (the
    primary regime's, not yet certified). A regime whose results are missing or stale
    maps to no rows."""
    out: dict[str, dict[str, dict]] = {regime: {} for regime in REGIMES}
    for regime in REGIMES:
        for chapter in chapters:
            if regime == REGIMES[0] and current and chapter in current:
                rows = current[chapter].to_dict("records")
            else:
                try:
                    rows = certified_results(regime_key(chapter, regime), profile)["values"].get("verdicts", [])
                except (FileNotFoundError, StaleResultsError):
                    continue
            out[regime].update({row["id"]: row for row in rows if row.get("id")})
    return out


def regime_view(profile: str, chapters: tuple[str, ...],
                current: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """The "holds across regimes" view: one row per graded claim of ``chapters``, the
    verdict its rule gives in each training regime (the measured verdict, also in a quick
    build) and whether the verdicts agree: :data:`HOLDS_ACROSS` word for word;
    :data:`SAME_OUTCOMES` where they agree up to the split over the seeds
    (:func:`agreement_key`: 4 of 5 seeds reproduced in one regime and 3 in another);
    :data:`DIFFERS` as soon as two regimes that were run do not (a verdict mixed over
    seeds in one regime and clean in another differs, so does one whose majority flips,
    and a third regime cannot undo that); or :data:`INCOMPLETE` where those that were
    run agree, at least up to the split, and a regime was not run."""
    return _across(regime_verdicts(profile, chapters, current), chapters)


def _across(by_regime: dict[str, dict[str, dict]], chapters: tuple[str, ...]) -> pd.DataFrame:
    """The rows of :func:`regime_view` from regime -> claim id -> verdict row."""
    rows = []
    for claim in CLAIMS:
        if claim.chapter not in chapters or claim.untestable:
            continue
        found = {r: by_regime.get(r, {}).get(claim.id) for r in REGIMES}
        words = {r: row.get("measured verdict", row["verdict"]) if row else "not run" for r, row in found.items()}
        run = {words[r] for r, row in found.items() if row}
        agreement = (DIFFERS if len({agreement_key(w) for w in run}) > 1 else INCOMPLETE if None in found.values()
                     else SAME_OUTCOMES if len(run) > 1 else HOLDS_ACROSS)
        rows.append({"id": claim.id, "claim": claim.item, "kind": claim.kind, **words, "across regimes": agreement})
    return pd.DataFrame(rows)


def recorded_regime_view(profile: str, chapters: tuple[str, ...]) -> pd.DataFrame | None:
    """:func:`regime_view` of the runs recorded by ``benchmarks/regime_study.py``
    (earlier builds, one regime at a time), with a last row ``measured at`` giving the
    commits that measured each regime; ``None`` where the record is not here."""
    from .recorded import regime_study

    entries = regime_study(profile)
    if entries is None:
        return None
    by_regime: dict[str, dict[str, dict]] = {}
    commits: dict[str, set[str]] = {}
    for e in entries:
        if e["chapter"] in chapters:
            by_regime.setdefault(e["regime"], {}).update({row["id"]: row for row in e["verdicts"]})
            commits.setdefault(e["regime"], set()).add(f"{e['commit']} ({e['date'][:10]})")
    view = _across(by_regime, chapters)
    at = {"id": "", "claim": "measured at", "kind": "",
          **{r: ", ".join(sorted(commits.get(r, {"not recorded"}))) for r in REGIMES}, "across regimes": ""}
    return pd.concat([view, pd.DataFrame([at])], ignore_index=True)


def regime_sentence(view: pd.DataFrame) -> str:
    """One sentence on the view: how many verdicts hold across the regimes, which differ."""
    if view.empty:
        return "No claim of these chapters was graded."
    counts = view["across regimes"].value_counts()
    differs = view[view["across regimes"] == DIFFERS]["id"].tolist()
    text = (f"{counts.get(HOLDS_ACROSS, 0)} of {len(view)} verdicts are the same in all {len(REGIMES)} "
            f"training regimes")
    if differs:
        verb = "changes" if len(differs) == 1 else "change"
        text += f"; {len(differs)} {verb} with the regime ({', '.join(differs)})"
    shifted = view[view["across regimes"] == SAME_OUTCOMES]["id"].tolist()
    if shifted:
        verb = "keeps" if len(shifted) == 1 else "keep"
        text += (f"; {len(shifted)} {verb} the same outcomes and the same majority in every regime, split "
                 f"differently over the seeds ({', '.join(shifted)})")
    if counts.get(INCOMPLETE, 0):
        n = counts[INCOMPLETE]
        text += (f"; {n} {'agrees' if n == 1 else 'agree'} (at least up to the split over the seeds) in the "
                 "regimes that were run but lack one that was not")
    return text + "."


def chapter_regime_view(chapter: str, verdicts: pd.DataFrame, profile) -> pd.DataFrame:
    """:func:`regime_view` of one chapter, as its primary run shows it: ``verdicts`` (this
    run's table) stand for the primary regime; a run in another regime shows only the
    certified results."""
    current = {chapter: verdicts} if profile.regime == REGIMES[0] else None
    return regime_view(profile.name, (chapter,), current)
