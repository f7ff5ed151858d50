"""Empty count cells beside the value they are measured against: counted as 0, and said so.

A row with 9,000 impressions and an empty spend cell adds nothing to its site's spend but all
its impressions, so the site's CPM reads low; an empty impressions cell beside clicks makes its
CTR read high. Summing has to count such a cell as something, and 0 is what an export most
often means by it — but it is a guess, so the run says where it made it: one note per column,
with the rows, the sites and the first row to look at.

Only cells that move a rate count: the column is empty while the other side of one of the
rates built on it (:func:`pairs`) holds a value above 0 on the same row, and the site has that
column on other rows (a site with no value at all in a column has no such rate: nothing is
guessed). Both sides empty together — video columns on a display row, viewability not
measured — move nothing and are not noted.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Mapping

import numpy as np
import numpy.typing as npt

from caliber_desktop.models import labels
from caliber_desktop.models.enums import AnalysisLevel
from caliber_desktop.services.scoring.model import Issue
from caliber_desktop.services.scoring.vocabulary import counted, unit_noun

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]


@functools.cache
def pairs() -> tuple[tuple[str, str, str, str | None], ...]:
    """``(metric, numerator, denominator, fallback denominator)`` of every metric divided out
    of summed counts: the rates of :data:`~.metrics.RATES`, CPM and ROAS.

    Imported when the first batch is summed: pandas is loaded by then.
    """
    from caliber_desktop.services.scoring.metrics import RATES

    rates = [(r.name, r.numerator, r.denominator, r.fallback_denominator) for r in RATES]
    return (*rates, ("cpm", "spend", "impressions", None), ("roas", "revenue", "spend", None))


def _ratios(columns: Collection[str]) -> list[tuple[str, str, str]]:
    """``(metric, numerator, denominator)`` of the metrics ``columns`` can make (the fallback
    denominator only without the primary one)."""
    out = []
    for metric, num, den, fallback in pairs():
        if den not in columns and fallback is not None:
            den = fallback
        if num in columns and den in columns:
            out.append((metric, num, den))
    return out


def gap_rows(counts: Mapping[str, Floats]) -> dict[str, Bools]:
    """Per count column of the batch, the rows where it is empty while the other side of a
    metric built on it holds a value above 0."""
    out: dict[str, Bools] = {}
    empty = {name: cells for name, values in counts.items() if (cells := np.isnan(values)).any()}
    if not empty:  # a clean export: one pass over each column
        return out
    for _, num, den in _ratios(counts.keys()):
        for side, other in ((num, den), (den, num)):
            if side in empty:
                gap = empty[side] & (counts[other] > 0)
                if gap.any():
                    out[side] = out[side] | gap if side in out else gap
    return out


def gap_note(
    column: str,
    header: str | None,
    *,
    source: str,
    level: AnalysisLevel,
    columns: Collection[str],
    gaps: Ints,
    seen: Ints,
    first: Ints,
    names: npt.NDArray[np.object_],
) -> Issue | None:
    """The note for one column over the sites of the table: ``gaps`` counts rows with an empty
    cell that moves a metric, ``seen`` rows with a value, ``first`` is the first gap's row, per
    site; ``columns`` are the count columns of the file."""
    partial = (gaps > 0) & (seen > 0)
    if not partial.any():
        return None
    rows = int(gaps[partial].sum())
    where = np.flatnonzero(partial)
    example = where[np.argmin(first[where])]
    ratios = _ratios(columns)
    over = [(m, den) for m, num, den in ratios if num == column]
    under = [(m, num) for m, num, den in ratios if den == column]
    moved = list(dict.fromkeys(labels.metric(m) for m, _ in (*over, *under)))
    beside = list(dict.fromkeys(labels.in_sentence(labels.column(c)) for _, c in (*over, *under)))
    way = "read high" if not over else "read low" if not under else "be off"
    name = header or labels.column(column)
    one = len(where) == 1
    whose = f"that {unit_noun(level, plural=False)}'s" if one else f"those {unit_noun(level)}'"
    return Issue(
        "empty_counts",
        f"{source}: {rows:,} empty {name!r} {'cell' if rows == 1 else 'cells'} in "
        f"{counted(len(where), level)} that {'has' if one else 'have'} the column on other rows "
        f"(first: row {int(first[example])}, {names[example]}) {'is' if rows == 1 else 'are'} "
        f"counted as 0 beside the row's {_listed(beside)}, so {whose} {_listed(moved)} may "
        f"{way}. {'If it is' if rows == 1 else 'If they are'} not 0, fill "
        f"{'it' if rows == 1 else 'them'} in or re-export the report, and score it again.",
        column=name,
        row=int(first[example]),
    )


def _listed(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]
