"""What a chapter finds, in words generated from its results.

Each chapter opens with a box, "What this chapter finds", and ends with a summary; both
come from :func:`publish`, called at the end of the chapter with its verdict table
(:func:`resdyn_utils.claims.verdicts`) and the chapter's main numbers as sentences. The
box is a myst-nb ``glue`` of the short text, so it is true in every profile and needs no
hand-typed number; the summary is displayed where :func:`publish` is called.
"""

from __future__ import annotations

from collections import Counter
from typing import Sequence

import pandas as pd

from .claims import QUICK_VERDICT, labelled, verdict_word

#: The order in which verdicts are counted in a sentence.
ORDER = ("reproduced", "partly reproduced", "mixed over seeds", "not reproduced", "premise not met",
         "not graded", "not measured")
QUICK_NOTE = ("This is a quick build, a smoke test on small subsets and few epochs: the verdicts in "
              "this chapter are what the rules say about these small runs, not the reproduction. The "
              "full build grades the paper's settings.")
QUICK_TALLY = "Quick build, so no verdict stands; the rules applied to these smoke-test runs say: "
#: The quick build's note in a chapter that grades no claim (``verdicts=None``).
QUICK_NUMBERS_NOTE = ("This is a quick build, a smoke test on small subsets and few epochs: the numbers of "
                      "this build below are not those of the full build.")
NO_CLAIM = "This chapter grades no claim of the paper itself."


def glue_key(chapter: str) -> str:
    """The name under which :func:`publish` glues the chapter's findings box."""
    return f"findings-{chapter}"


def _measured(verdicts: pd.DataFrame) -> pd.Series:
    """Each claim's verdict in one word, from the rule (also in the quick profile, where
    the verdict column only says that the profile is not a reproduction)."""
    column = "measured verdict" if "measured verdict" in verdicts else "verdict"
    return verdicts[column].map(verdict_word)


def tally(verdicts: pd.DataFrame) -> str:
    """One sentence: how many of the chapter's paper claims got each verdict."""
    papers = verdicts[verdicts["kind"] == "paper claim"]
    if papers.empty:
        return NO_CLAIM
    counts = Counter(_measured(papers))
    lead = QUICK_TALLY if (papers["verdict"] == QUICK_VERDICT).all() else ""
    parts = [f"{counts[v]} {v}" for v in ORDER if counts.get(v)] + \
            [f"{n} {v}" for v, n in counts.items() if v not in ORDER]
    n = len(papers)
    if n == 1:
        return f"{lead}The one claim of the paper graded here: {next(iter(counts))}."
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"{lead}Of the {n} claims of the paper graded here: {listed}."


def seed_tally(verdicts: pd.DataFrame, claim_id: str, noun: str = "seed") -> str:
    """How the seeds (or nets: ``noun``) of one claim were graded, for a sentence:
    ``"partly reproduced (seed 0)"`` for one, ``"reproduced in all 3 seeds"``, or
    ``"reproduced in 2 of 3 seeds and not reproduced in 1"``; the tiers in the order of
    :data:`ORDER`. A claim graded on all seeds at once gives its one verdict."""
    row = verdicts.set_index("id").loc[claim_id]
    per_seed = row["per seed"]
    if not per_seed:
        return row["measured verdict"]
    words = [v["verdict"].split(":")[0] for v in per_seed]
    if len(per_seed) == 1:
        seed = per_seed[0]["seed"]
        return f"{words[0]} ({f'{noun} ' if isinstance(seed, int) else ''}{seed})"
    counts = Counter(words)
    rank = lambda w: ORDER.index(verdict_word(w)) if verdict_word(w) in ORDER else len(ORDER)  # noqa: E731
    tiers = sorted(counts, key=rank)
    n = len(per_seed)
    if len(tiers) == 1:
        return f"{tiers[0]} in all {n} {noun}s"
    parts = [f"{tiers[0]} in {counts[tiers[0]]} of {n} {noun}s"] + [f"{w} in {counts[w]}" for w in tiers[1:]]
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def claim_lines(verdicts: pd.DataFrame) -> list[str]:
    """One Markdown bullet per claim: the verdict, the claim and what we measured."""
    words = _measured(verdicts)
    lines = []
    for (_, row), word in zip(verdicts.iterrows(), words):
        word = labelled(word, row["kind"])
        kind = "" if row["kind"] == "paper claim" else f" ({row['kind']})"
        n = row.get("seeds")  # None or NaN where no seed stands behind the row (the scorecard)
        seeds = "" if n is None or pd.isna(n) or not n else f", {int(n)} seed{'s' if n != 1 else ''}"
        lines.append(f"- **{word}**{kind}: {row['claim']}. Ours: {row['ours']}{seeds}.")
    return lines


def findings(verdicts: pd.DataFrame | None, facts: Sequence[str] = (), profile: str = "full") -> tuple[str, str]:
    """``(box, summary)`` in Markdown: the box holds the chapter's main numbers and the
    tally; the summary adds one line per claim. ``verdicts=None``: a chapter that grades
    no claim (an appendix); box and summary hold its numbers and say so."""
    if verdicts is None:
        head = [QUICK_NUMBERS_NOTE] if profile == "quick" else []
        box = "\n\n".join(head + ([" ".join(facts)] if facts else []) + [NO_CLAIM])
        return box, box
    head = [QUICK_NOTE] if profile == "quick" else []
    counted = tally(verdicts).removeprefix(QUICK_TALLY) if head else tally(verdicts)  # said once
    counted = counted[:1].upper() + counted[1:]
    box = "\n\n".join(head + ([" ".join(facts)] if facts else []) + [counted])
    summary = "\n\n".join([box, "\n".join(claim_lines(verdicts))])
    return box, summary


def publish(chapter: str, verdicts: pd.DataFrame | None, facts: Sequence[str] = (), profile: str = "full"):
    """Glue the chapter's findings box (shown at the top of the page) and return its
    summary for display (the end of the page)."""
    from IPython.display import Markdown

    box, summary = findings(verdicts, facts, profile)
    try:
        from myst_nb import glue
    except ImportError:  # on Colab: no book to glue into; the summary still shows
        pass
    else:
        glue(glue_key(chapter), Markdown(box), display=False)
    return Markdown(summary)
