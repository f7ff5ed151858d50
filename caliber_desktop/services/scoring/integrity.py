"""The numbers of a report: rates turned into counts, and impossible numbers noted per site.

Part of the preprocess stage (``docs/scoring.md`` §1), apart so that module stays about rows:

* A rate the file gives without its count becomes a count (rate × denominator, rounded for
  event counts: a rate printed to 0.01 % recovers the exact clicks on rows under ~10k
  impressions) before anything is summed: rates are never averaged. Where a file gives both,
  the counts win and one warning per rate column says when they disagree by more than 1 %
  relative beyond the rate's printed precision.
* Impossible numbers become plain-language notes on the site, never an exception.

Columns are read without copying when they already are ``float64`` (what the reader hands
over), and nothing here writes into them: the report's frame stays as it came.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np
import numpy.typing as npt

from caliber_desktop.models import labels
from caliber_desktop.services.scoring.model import COUNT_COLUMNS, Issue

if TYPE_CHECKING:
    import pandas as pd

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]

#: A rate column may disagree with its counts on this many rows before we warn (rounding noise).
MISMATCH_MIN_ROWS = 3
MISMATCH_MIN_SHARE = 0.001
MISMATCH_RELATIVE = 0.01
#: The rate columns in sentences, from the one labels table ("viewability", "CTR").
RATE_LABELS = {
    name: labels.in_sentence(labels.metric(name))
    for name in ("ctr", "cpm", "cpa", "viewability", "vcr")
}


def column(frame: pd.DataFrame, name: str) -> Floats | None:
    """A numeric column as float64 (text → NaN); a read-only view when it already is float64."""
    import pandas as pd

    if name not in frame.columns:
        return None
    series = frame[name]
    if series.dtype == np.float64:
        return np.asarray(series.to_numpy(copy=False), dtype=np.float64)
    values = pd.to_numeric(series, errors="coerce")
    return np.asarray(values.to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64)


def _quantum(rate: Floats) -> float | None:
    """The step the file printed the rate with (0.0001 for ``0.11%``), 0 when full precision;
    None when no cell holds a rate to judge by."""
    sample = rate[np.isfinite(rate) & (rate != 0)][:20_000]
    if not len(sample):
        return None
    for digits in range(9):
        scaled = sample * 10.0**digits
        if np.all(np.abs(scaled - np.round(scaled)) <= 1e-6 * np.maximum(1.0, np.abs(scaled))):
            return float(10.0**-digits)
    return 0.0


def _fill(count: Floats | None, derived: Floats, rounded: bool) -> tuple[Floats, int]:
    """Count cells the file left empty take the value implied by its rate; how many did."""
    value = np.round(derived) if rounded else derived
    if count is None:
        return value, int(np.count_nonzero(~np.isnan(value)))
    filled = np.isnan(count) & ~np.isnan(value)
    if not filled.any():
        return count, 0
    return np.where(filled, value, count), int(filled.sum())


#: count → (its name in sentences, the formula in words) for notes on counts rebuilt from a rate.
REBUILT: dict[str, tuple[str, str]] = {
    "spend": ("spend", "CPM × Impressions ÷ 1000"),
    "clicks": ("clicks", "CTR × Impressions"),
    "conversions": ("conversions", "Spend ÷ CPA"),
    "viewed_imps": ("viewable impressions", "viewability × measured (or all) impressions"),
    "completes": ("completed views", "completion rate × starts (or impressions)"),
}


def _rebuilt_note(source: str, name: str, rows: int, whole_column: bool) -> Issue:
    """Say that a count was computed from a rate: never a silent guess."""
    label, formula = REBUILT[name]
    if whole_column:
        text = (
            f"{source}: the report has no {label} column, so {label} is computed as "
            f"{formula} on {rows:,} rows. Map the {label} column if the file has one."
        )
    else:
        text = f"{source}: {label} is empty on {rows:,} rows and is computed there as {formula}."
    severity: Literal["info", "warning"] = "warning" if name == "spend" else "info"
    return Issue("count_from_rate", text, column=name, severity=severity)


@dataclass
class _Mismatch:
    formula: str
    bad: int = 0
    compared: int = 0
    first: int | None = None


@dataclass
class RateTally:
    """What :func:`rate_counts` found, added up over the batches of one file.

    A report read in batches gets one note per rate column for the whole file, never one per
    batch: the rows that disagree and the cells filled from a rate are counted here, and the
    notes are written once by :meth:`issues`, in the order the checks first ran. The step a
    rate was printed with is judged once, on the first cells that hold a rate.
    """

    order: list[tuple[str, str]] = field(default_factory=list)
    quantum: dict[str, float] = field(default_factory=dict)
    mismatch: dict[str, _Mismatch] = field(default_factory=dict)
    filled: dict[str, tuple[int, bool]] = field(default_factory=dict)

    def check(
        self,
        name: str,
        rate: Floats,
        numerator: Floats,
        denominator: Floats,
        rows: Ints,
        formula: str,
    ) -> None:
        """Count the rows where the file's rate and the counts disagree."""
        found = self.mismatch.get(name)
        if found is None:
            found = self.mismatch[name] = _Mismatch(formula)
            self.order.append(("check", name))
        ok = (
            np.isfinite(rate) & np.isfinite(numerator) & np.isfinite(denominator)
            & (denominator > 0)
        )  # fmt: skip
        if not ok.any():
            return
        if name not in self.quantum and (step := _quantum(rate)) is not None:
            self.quantum[name] = step
        computed = numerator[ok] / denominator[ok]
        tolerance = MISMATCH_RELATIVE * np.abs(computed) + self.quantum.get(name, 0.0) / 2 + 1e-12
        bad = np.abs(rate[ok] - computed) > tolerance
        n_bad = int(bad.sum())
        if n_bad and found.first is None:
            found.first = int(rows[ok][bad][0])
        found.bad += n_bad
        found.compared += int(ok.sum())

    def fill(self, name: str, rows: int, whole_column: bool) -> None:
        if name not in self.filled:
            self.order.append(("fill", name))
        before, _ = self.filled.get(name, (0, whole_column))
        self.filled[name] = (before + rows, whole_column)

    def issues(self, source: str) -> list[Issue]:
        out: list[Issue] = []
        for what, name in self.order:
            if what == "fill":
                rows, whole_column = self.filled[name]
                if rows:
                    out.append(_rebuilt_note(source, name, rows, whole_column))
            elif (issue := self._mismatch_issue(name)) is not None:
                out.append(issue)
        return out

    def _mismatch_issue(self, name: str) -> Issue | None:
        """One warning when the rate and the counts disagree on more than a few rows."""
        found = self.mismatch[name]
        n_bad, compared = found.bad, found.compared
        # A few rows off is rounding noise in a big file; in a small one, most rows off is not.
        if n_bad == 0 or (
            n_bad <= max(MISMATCH_MIN_ROWS, MISMATCH_MIN_SHARE * compared) and 2 * n_bad < compared
        ):
            return None
        label = RATE_LABELS[name]
        return Issue(
            code="rate_mismatch",
            message=(
                f"The file's {label} disagrees with {found.formula} by more than 1 % on "
                f"{n_bad:,} of {compared:,} rows (first at row {found.first}). Caliber uses the "
                f"counts; check the column mapping if the {label} column is not what it seems."
            ),
            column=name,
            row=found.first,
        )


#: The file rate a count is computed from when its own column is missing (see rate_counts).
COUNT_FROM_RATE = {
    "clicks": "ctr",
    "spend": "cpm",
    "conversions": "cpa",
    "viewed_imps": "viewability",
    "completes": "vcr",
}


def rate_counts(
    frame: pd.DataFrame, rows: Ints, source: str = "The report", tally: RateTally | None = None
) -> tuple[dict[str, Floats], list[Issue]]:
    """Every count column the file has or implies (rates → counts), and the notes on both.

    With a ``tally`` (a file read in batches) the notes are added up there and none is
    returned: :meth:`RateTally.issues` writes them once for the whole file.

    Counts win: a rate fills only the cells its count left empty, and spend is never rebuilt
    from a CPM column when the file has a spend column (its empty cells stay missing: a CPM
    that disagrees with the spend, as exports' rounded CPMs do, must not invent money). Every
    count computed from a rate is said so in a note.
    """
    c: dict[str, Floats] = {}
    for name in COUNT_COLUMNS:
        values = column(frame, name)
        if values is not None:
            c[name] = values
    r = {name: v for name in RATE_LABELS if (v := column(frame, name)) is not None}
    original = dict(c)
    imps = c.get("impressions")
    notes = RateTally() if tally is None else tally

    def check(name: str, num: Floats | None, den: Floats | None, formula: str) -> None:
        if name in r and num is not None and den is not None:
            notes.check(name, r[name], num, den, rows, formula)

    def fill(name: str, derived: Floats, rounded: bool) -> None:
        c[name], n = _fill(c.get(name), derived, rounded)
        notes.fill(name, n, name not in original)

    if imps is not None:
        check("ctr", original.get("clicks"), imps, "Clicks ÷ Impressions")
        spend = original.get("spend")
        check("cpm", None if spend is None else spend * 1000.0, imps, "1000 × Spend ÷ Impressions")
        if "cpm" in r and spend is None:
            fill("spend", r["cpm"] * imps / 1000.0, rounded=False)
        if "ctr" in r:
            fill("clicks", r["ctr"] * imps, rounded=True)
    if "spend" in c:
        check("cpa", original.get("spend"), original.get("conversions"), "Spend ÷ Conversions")
        if "cpa" in r:
            cpa = np.where(r["cpa"] > 0, r["cpa"], np.nan)
            fill("conversions", c["spend"] / cpa, rounded=True)
    check(
        "viewability", original.get("viewed_imps"), original.get("tracked_imps"), "Viewed ÷ Tracked"
    )
    if "viewability" in r and imps is not None:
        tracked = c.get("tracked_imps")
        base = imps if tracked is None else np.where(np.isnan(tracked), imps, tracked)
        viewed = c.get("viewed_imps")
        missing = np.isnan(viewed) if viewed is not None else np.ones(len(imps), dtype=bool)
        fill("viewed_imps", r["viewability"] * base, rounded=True)
        use_imps = missing & ~np.isnan(r["viewability"])
        if tracked is not None or use_imps.any():
            c["tracked_imps"] = np.where(use_imps, base, np.nan if tracked is None else tracked)
    starts = original.get("starts")
    den = imps if starts is None else starts
    check(
        "vcr",
        original.get("completes"),
        den,
        "Completes ÷ Starts" if starts is not None else "Completes ÷ Impressions",
    )
    if "vcr" in r and den is not None:
        base = den if imps is None else np.where(np.isnan(den), imps, den)
        fill("completes", r["vcr"] * base, rounded=True)
    counts = {name: c[name] for name in COUNT_COLUMNS if name in c}
    return counts, ([] if tally is not None else notes.issues(source))


def impossible_rows(
    codes: Ints, k: int, rows: dict[str, Floats], rates: dict[str, Floats]
) -> dict[str, Ints]:
    """Per site, how many scored rows hold a negative count or a file rate above 100 %.

    ``codes`` gives each row's site, ``k`` for rows that are not scored; keys are
    ``negative:<count>`` and ``over:<rate>`` in the order the notes name them. Counts of
    several batches add up.
    """

    def per_site(rows_hit: npt.NDArray[np.bool_]) -> Ints:
        if not rows_hit.any():  # the usual case: no row to count
            return np.zeros(k, dtype=np.int64)
        return np.bincount(codes[rows_hit], minlength=k + 1)[:k]

    with np.errstate(invalid="ignore"):
        found = {f"negative:{name}": per_site(values < 0) for name, values in rows.items()}
        found |= {f"over:{name}": per_site(values > 1.0 + 1e-9) for name, values in rates.items()}
    return found


def integrity_notes(
    k: int, sums: dict[str, Floats], impossible: dict[str, Ints]
) -> list[tuple[str, ...]]:
    """Plain-language notes of impossible numbers for ``k`` sites (never an exception).

    ``sums`` are the per-site sums, ``impossible`` the per-site row counts of
    :func:`impossible_rows`.
    """
    notes: dict[int, list[str]] = {}

    def above(big: str, small: str, text: str) -> None:
        if big in sums and small in sums:
            for i in np.flatnonzero(sums[big] > sums[small]):
                notes.setdefault(int(i), []).append(
                    f"{text} ({sums[big][i]:,.0f} > {sums[small][i]:,.0f})"
                )

    above("clicks", "impressions", "clicks > impressions")
    above("conversions", "impressions", "conversions > impressions")
    above("completes", "starts", "completes > starts")
    above("viewed_imps", "tracked_imps", "viewed > tracked impressions")

    for key, hits in impossible.items():
        kind, name = key.split(":", 1)
        for i in np.flatnonzero(hits):
            if kind == "negative":
                text = f"negative {name.replace('_', ' ')} on {int(hits[i])} row(s)"
            else:
                text = f"file {RATE_LABELS[name]} > 100 % on {int(hits[i])} row(s)"
            notes.setdefault(int(i), []).append(text)
    out: list[tuple[str, ...]] = [()] * k
    for site, found in notes.items():
        out[site] = tuple(found)
    return out
