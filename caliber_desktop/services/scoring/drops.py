"""Rows that leave scoring: why, how many, what they carried — added up over a file's batches.

Part of the preprocess stage (``docs/scoring.md`` §1): every data row is accounted for under
exactly one reason, in the precedence of :data:`DROP_REASONS`. A file read in batches reports
each reason once for the whole file: :class:`DropTally` adds up the rows, impressions and spend
and keeps the first examples in file order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from caliber_desktop.models.enums import AnalysisLevel
from caliber_desktop.services.scoring.identifiers import is_total_label
from caliber_desktop.services.scoring.model import DIMENSION_COLUMNS, DroppedRows, unit_noun

if TYPE_CHECKING:
    import pandas as pd

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]

#: Drop reasons in precedence order: code → label shown in the data-quality report.
DROP_REASONS: dict[str, str] = {
    "empty_row": "Empty rows (every column Caliber reads is blank)",
    "header_row": "Header rows repeated inside the file (exports pasted together)",
    "total_row": "Total rows (Total, Grand Total): sums of other rows, not sites",
    "blank_id": "Rows with a blank id",
    "non_targetable": "Rows whose id no list can target (Other, Unknown, (not set), tail…)",
    "unreadable_number": "Rows with a count that is not a number (e.g. text in Impressions)",
    "zero_impressions": "Rows with spend but zero impressions: nothing to rate",
    "no_impressions": "Rows of sites with no impressions at all (missing or 0): nothing to rate",
}
EXAMPLES = 5


def total_labels(values: pa.Array) -> Bools:
    """Which ``values`` are total labels; the regex runs only where ``total`` occurs at all.

    ``match_substring`` folds case at least as widely as :func:`is_total_label` does for the
    letters of ``total``, so it never hides one.
    """
    out = np.zeros(len(values), dtype=bool)
    hits = np.flatnonzero(
        np.asarray(pc.fill_null(pc.match_substring(values, "total", ignore_case=True), False))
    )
    for i in hits:
        out[i] = is_total_label(str(values[int(i)].as_py()))
    return out


def total_rows(frame: pd.DataFrame, skip: str) -> Bools | None:
    """Rows with ``Total``/``Grand Total`` in a dimension cell (the id column is done apart).

    Decided on each column's distinct values; None (no row array at all) when there is none.
    """
    mask: Bools | None = None
    for name in DIMENSION_COLUMNS:
        if name in frame.columns and name != skip:
            cells = pa.array(frame[name].astype("string").array)  # no copy for Arrow strings
            distinct = pc.unique(cells)
            labels = distinct.filter(pa.array(total_labels(distinct)))
            if len(labels):
                hit = np.asarray(pc.is_in(cells, value_set=labels), dtype=bool)
                mask = hit if mask is None else mask | hit
    return mask


def drop_label(reason: str, level: AnalysisLevel) -> str:
    """The reason in the analyst's words, naming sites or supply vendors as the level does."""
    label = DROP_REASONS[reason]
    if reason == "blank_id":
        noun = unit_noun(level, plural=False)
        return "Rows with a blank " + ("supply vendor" if noun == "vendor" else "site")
    if reason == "no_impressions":
        return label.replace("sites", unit_noun(level))
    return label


def row_example(reason: str, row: int, spelling: str, spend: float | None = None) -> str:
    """How one dropped row is quoted: its row number, and its id where that helps."""
    if reason in ("total_row", "blank_id"):
        return f"row {row}"
    text = f"row {row}: {spelling or '(blank)'}"
    if reason == "zero_impressions" and spend is not None:
        text += f" ({spend:,.2f} spend)"
    return text


class DropTally:
    """The rows left out for each reason, added up batch by batch (examples in file order)."""

    def __init__(self, level: AnalysisLevel) -> None:
        self.level = level
        self._found: dict[str, DroppedRows] = {}

    def add(
        self,
        reason: str,
        mask: Bools,
        spelling: Callable[[int], str],
        rows: Ints,
        imps: Floats | None,
        spend: Floats | None,
    ) -> None:
        """Rows of one batch (``mask``) left out for ``reason``; ``spelling(i)`` names row i."""
        where = np.flatnonzero(mask)
        if not len(where):
            return
        if reason == "non_targetable":
            examples = list(dict.fromkeys(spelling(i) for i in where[:10_000]))[:EXAMPLES]
        else:
            examples = [
                row_example(reason, int(rows[i]), spelling(i), None if spend is None else spend[i])
                for i in where[:EXAMPLES]
            ]
        self.merge(
            DroppedRows(
                reason=reason,
                label=drop_label(reason, self.level),
                rows=len(where),
                impressions=0.0 if imps is None else float(np.nansum(imps[where])),
                spend=0.0 if spend is None else float(np.nansum(spend[where])),
                examples=tuple(examples),
            )
        )

    def merge(self, found: DroppedRows) -> None:
        """Add rows counted elsewhere (the reader's empty rows, a batch's rows)."""
        before = self._found.get(found.reason)
        if before is None:
            self._found[found.reason] = found
            return
        examples = before.examples + found.examples
        if found.reason == "non_targetable":  # distinct ids, not rows
            examples = tuple(dict.fromkeys(examples))
        self._found[found.reason] = replace(
            before,
            rows=before.rows + found.rows,
            impressions=before.impressions + found.impressions,
            spend=before.spend + found.spend,
            examples=examples[:EXAMPLES],
        )

    def quote(self, reason: str, examples: list[str]) -> None:
        """Replace the examples of ``reason`` (rows quoted by the cell that left them out)."""
        self._found[reason] = replace(self._found[reason], examples=tuple(examples[:EXAMPLES]))

    def dropped(self) -> list[DroppedRows]:
        """Every reason with rows, in the order of :data:`DROP_REASONS`."""
        return [self._found[r] for r in DROP_REASONS if r in self._found]

    def rows(self) -> int:
        return sum(d.rows for d in self._found.values())
