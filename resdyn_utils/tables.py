"""Tables for the page: the whole text of every cell, left-aligned, with a caption.

pandas' plain display cuts a cell at 50 characters, which hides the verdicts' text and
the rules. :func:`table` returns a :class:`pandas.io.formats.style.Styler`, rendered as
HTML in full: text left-aligned, numbers to three significant digits, no index column
unless asked for; numbers in a column whose name holds "%" to two decimals.
"""

from __future__ import annotations

import numbers

import pandas as pd


def _number(value) -> str:
    if isinstance(value, bool) or not isinstance(value, numbers.Number):
        return "" if value is None else str(value)
    if pd.isna(value):
        return ""
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def _percent(value) -> str:
    if isinstance(value, numbers.Number) and not isinstance(value, bool) and not pd.isna(value):
        return f"{value:.2f}"
    return _number(value)


def table(frame: pd.DataFrame, caption: str | None = None, index: bool = False):
    """``frame`` for the page: every cell in full, left-aligned, floats to three
    significant digits (two decimals in a column whose name holds "%"), missing values
    blank, an optional caption above it. A named index (ids such as the seed) becomes
    the first columns; a plain 0..n-1 index is not shown."""
    named = any(name is not None for name in frame.index.names)  # pandas 3 keeps seeds 0..n-1
    if not index and (named or not isinstance(frame.index, pd.RangeIndex)):  # as a RangeIndex
        frame = frame.reset_index()
    percent = [c for c in frame.columns if "%" in str(c)]
    styler = frame.style.format(_number, escape="html")
    if percent:
        styler = styler.format(_percent, subset=percent, escape="html")
    styler = styler.set_table_styles(
        [{"selector": "th", "props": [("text-align", "left")]},
         {"selector": "td", "props": [("text-align", "left"), ("vertical-align", "top")]}])
    if not index:
        styler = styler.hide(axis="index")
    if caption:
        styler = styler.set_caption(caption)
    return styler
