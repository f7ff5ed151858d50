"""Preprocess: from the rows a file holds to one row per site (or supply vendor), with the losses.

Stage 1 of scoring (``docs/scoring.md`` §1). Every later stage derives its rates from the sums
this stage produces, so the choices here decide what a site *is* and what it *did*:

* Rows that name no site leave scoring but are counted in :class:`DataQuality`, each row under
  exactly one reason, in this precedence: ``total_row`` (``Total``/``Grand Total`` in any
  dimension cell — a sum of other rows, counting it would double them), ``blank_id``,
  ``non_targetable`` (``Other``, ``(not set)``, ``[tail aggregate]``…), ``zero_impressions``
  (spend but no impressions: nothing to rate; adding the money to a site would charge its CPM
  for impressions it never served — usually a billing adjustment, so the analyst sees it
  instead). Rows with missing (not zero) impressions stay: their other counts still count.
* A rate the file gives without its count becomes a count (rate × denominator, rounded for
  event counts: a rate printed to 0.01 % recovers the exact clicks on rows under ~10k
  impressions) before anything is summed: rates are never averaged. Where a file gives both,
  the counts win and one warning per rate column says when they disagree by more than 1 %
  relative beyond the rate's printed precision.
* Counts are summed per site with NaN only when every cell of the site was missing.
* Impossible numbers become plain-language ``integrity`` notes on the site, never an exception.

Everything runs on integer codes (``pd.factorize`` + ``np.bincount``), so a 1M-row report with
100k sites costs about half a second beyond classifying its 100k distinct ids.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import pandas as pd

from caliber_desktop.errors import ValidationError
from caliber_desktop.models.enums import AnalysisLevel
from caliber_desktop.services.progress import CancelToken, ProgressCallback, no_progress
from caliber_desktop.services.scoring.identifiers import classify_distinct, is_total_label
from caliber_desktop.services.scoring.model import (
    COUNT_COLUMNS,
    DIMENSION_COLUMNS,
    DataQuality,
    DroppedRows,
    Issue,
    RawReport,
    SiteTable,
)

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]

#: Drop reasons in precedence order: code → label shown in the data-quality report.
DROP_REASONS: dict[str, str] = {
    "total_row": "Total rows (Total, Grand Total): sums of other rows, not sites",
    "blank_id": "Rows with a blank id",
    "non_targetable": "Rows whose id no list can target (Other, Unknown, (not set), tail…)",
    "zero_impressions": "Rows with spend but zero impressions: nothing to rate",
}
#: A rate column may disagree with its counts on this many rows before we warn (rounding noise).
MISMATCH_MIN_ROWS = 3
MISMATCH_MIN_SHARE = 0.001
MISMATCH_RELATIVE = 0.01
_EXAMPLES = 5
_LABELS = {"ctr": "CTR", "cpm": "CPM", "cpa": "CPA", "viewability": "viewability", "vcr": "VCR"}


def _column(frame: pd.DataFrame, name: str) -> Floats | None:
    if name not in frame.columns:
        return None
    values = pd.to_numeric(frame[name], errors="coerce")
    return np.asarray(values.to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64)


def _quantum(rate: Floats) -> float:
    """The step the file printed the rate with (0.0001 for ``0.11%``), 0 when full precision."""
    sample = rate[np.isfinite(rate) & (rate != 0)][:20_000]
    if not len(sample):
        return 0.0
    for digits in range(9):
        scaled = sample * 10.0**digits
        if np.all(np.abs(scaled - np.round(scaled)) <= 1e-6 * np.maximum(1.0, np.abs(scaled))):
            return float(10.0**-digits)
    return 0.0


def _fill(count: Floats | None, derived: Floats, rounded: bool) -> Floats:
    """Count cells the file left empty take the value implied by its rate."""
    value = np.round(derived) if rounded else derived
    if count is None:
        return value
    return np.where(np.isnan(count) & ~np.isnan(value), value, count)


def _check_rate(
    name: str, rate: Floats, numerator: Floats, denominator: Floats, rows: Ints, formula: str
) -> Issue | None:
    """One warning when the file's rate and the counts disagree on more than a few rows."""
    ok = np.isfinite(rate) & np.isfinite(numerator) & np.isfinite(denominator) & (denominator > 0)
    if not ok.any():
        return None
    computed = numerator[ok] / denominator[ok]
    tolerance = MISMATCH_RELATIVE * np.abs(computed) + _quantum(rate) / 2 + 1e-12
    bad = np.abs(rate[ok] - computed) > tolerance
    n_bad, compared = int(bad.sum()), int(ok.sum())
    if n_bad <= max(MISMATCH_MIN_ROWS, MISMATCH_MIN_SHARE * compared):
        return None
    first = int(rows[ok][bad][0])
    label = _LABELS[name]
    return Issue(
        code="rate_mismatch",
        message=(
            f"The file's {label} disagrees with {formula} by more than 1 % on {n_bad:,} of "
            f"{compared:,} rows (first at row {first}). Caliber uses the counts; check the "
            f"column mapping if the {label} column is not what it seems."
        ),
        column=name,
        row=first,
    )


def _counts(frame: pd.DataFrame, rows: Ints) -> tuple[dict[str, Floats], list[Issue]]:
    """Every count column the file has or implies (rates → counts), and the mismatch warnings."""
    c: dict[str, Floats] = {}
    for name in COUNT_COLUMNS:
        values = _column(frame, name)
        if values is not None:
            c[name] = values
    r = {name: v for name in _LABELS if (v := _column(frame, name)) is not None}
    original = dict(c)
    imps = c.get("impressions")
    issues: list[Issue] = []

    def check(name: str, num: Floats | None, den: Floats | None, formula: str) -> None:
        if name not in r or num is None or den is None:
            return
        if (issue := _check_rate(name, r[name], num, den, rows, formula)) is not None:
            issues.append(issue)

    if imps is not None:
        check("ctr", original.get("clicks"), imps, "Clicks ÷ Impressions")
        spend = original.get("spend")
        check("cpm", None if spend is None else spend * 1000.0, imps, "1000 × Spend ÷ Impressions")
        if "cpm" in r:
            c["spend"] = _fill(c.get("spend"), r["cpm"] * imps / 1000.0, rounded=False)
        if "ctr" in r:
            c["clicks"] = _fill(c.get("clicks"), r["ctr"] * imps, rounded=True)
    if "spend" in c:
        check("cpa", original.get("spend"), original.get("conversions"), "Spend ÷ Conversions")
        if "cpa" in r:
            cpa = np.where(r["cpa"] > 0, r["cpa"], np.nan)
            c["conversions"] = _fill(c.get("conversions"), c["spend"] / cpa, rounded=True)
    check(
        "viewability", original.get("viewed_imps"), original.get("tracked_imps"), "Viewed ÷ Tracked"
    )
    if "viewability" in r and imps is not None:
        tracked = c.get("tracked_imps")
        base = imps if tracked is None else np.where(np.isnan(tracked), imps, tracked)
        viewed = c.get("viewed_imps")
        missing = np.isnan(viewed) if viewed is not None else np.ones(len(imps), dtype=bool)
        c["viewed_imps"] = _fill(viewed, r["viewability"] * base, rounded=True)
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
        c["completes"] = _fill(c.get("completes"), r["vcr"] * base, rounded=True)
    return {name: c[name] for name in COUNT_COLUMNS if name in c}, issues


def _total_rows(frame: pd.DataFrame, skip: str) -> npt.NDArray[np.bool_]:
    """Rows with ``Total``/``Grand Total`` in a dimension cell (the id column is done apart)."""
    mask = np.zeros(len(frame), dtype=bool)
    for name in DIMENSION_COLUMNS:
        if name in frame.columns and name != skip:
            codes, uniques = pd.factorize(frame[name].astype("string").fillna(""))
            hits = np.array([is_total_label(str(u)) for u in uniques] + [False])
            mask |= hits[codes]
    return mask


def _dropped(
    reason: str,
    mask: npt.NDArray[np.bool_],
    spelling: Callable[[int], str],
    rows: Ints,
    imps: Floats | None,
    spend: Floats | None,
    level: AnalysisLevel,
) -> DroppedRows:
    where = np.flatnonzero(mask)
    examples: list[str] = []
    if reason == "non_targetable":
        examples = list(dict.fromkeys(spelling(i) for i in where[:10_000]))[:_EXAMPLES]
    else:
        for i in where[:_EXAMPLES]:
            text = f"row {rows[i]}"
            if reason == "zero_impressions" and spend is not None:
                text += f": {spelling(i)} ({spend[i]:,.2f} spend)"
            examples.append(text)
    label = DROP_REASONS[reason]
    if reason == "blank_id":
        label = "Rows with a blank " + ("supply vendor" if level == "supply_vendor" else "site")
    return DroppedRows(
        reason=reason,
        label=label,
        rows=len(where),
        impressions=0.0 if imps is None else float(np.nansum(imps[where])),
        spend=0.0 if spend is None else float(np.nansum(spend[where])),
        examples=tuple(examples),
    )


def _sum(codes: Ints, k: int, values: Floats) -> Floats:
    """Per-code sums with NaN where every cell of the code was missing (``min_count=1``)."""
    present = ~np.isnan(values)
    sums = np.bincount(codes, weights=np.where(present, values, 0.0), minlength=k)
    seen = np.bincount(codes, weights=present.astype(np.float64), minlength=k)
    return np.where(seen > 0, sums, np.nan)


def _display_names(codes: Ints, k: int, spell: Ints, spellings: list[str]) -> list[str]:
    """Most frequent spelling per site (rows); ties go to the lowest code, i.e. the smallest.

    ``spell`` codes must be in lexicographic order of ``spellings`` (``factorize(sort=True)``).
    """
    if k == 0:
        return []
    n = len(spellings)
    pairs, counts = np.unique(codes * n + spell, return_counts=True)
    site, spelling = pairs // n, pairs % n
    order = np.lexsort((spelling, -counts, site))
    first = order[np.r_[True, site[order][1:] != site[order][:-1]]]
    names = [""] * k
    for s, sp in zip(site[first], spelling[first], strict=True):
        names[int(s)] = spellings[int(sp)]
    return names


def _children(
    codes: Ints, site_ids: list[str], host: Ints, hosts: list[str], imps: Floats
) -> dict[str, list[tuple[str, float]]]:
    """Registrable domain → its hosts with impressions, where it was seen under several hosts."""
    n = len(hosts)
    pairs, inverse = np.unique(codes * n + host, return_inverse=True)
    totals = np.bincount(inverse.ravel(), weights=np.nan_to_num(imps), minlength=len(pairs))
    site = pairs // n
    several = np.flatnonzero(np.bincount(site) > 1)
    out: dict[str, list[tuple[str, float]]] = {}
    for i in np.flatnonzero(np.isin(site, several)):
        out.setdefault(site_ids[site[i]], []).append((hosts[pairs[i] % n], float(totals[i])))
    return {key: sorted(val, key=lambda hv: (-hv[1], hv[0])) for key, val in sorted(out.items())}


def _codes(labels: list[str], sort: bool = False) -> tuple[Ints, list[str]]:
    codes, uniques = pd.factorize(np.asarray(labels, dtype=object), sort=sort)
    return np.asarray(codes, dtype=np.int64), [str(u) for u in uniques]


def _integrity(
    codes: Ints, k: int, sums: dict[str, Floats], rows: dict[str, Floats], rates: dict[str, Floats]
) -> list[tuple[str, ...]]:
    """Plain-language notes of impossible numbers per site (never an exception)."""
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
    for name, values in rows.items():
        negative = np.bincount(codes, weights=(values < 0).astype(np.float64), minlength=k)
        what = f"negative {name.replace('_', ' ')}"
        for i in np.flatnonzero(negative):
            notes.setdefault(int(i), []).append(f"{what} on {int(negative[i])} row(s)")
    for name, values in rates.items():
        over = np.bincount(codes, weights=(values > 1.0 + 1e-9).astype(np.float64), minlength=k)
        for i in np.flatnonzero(over):
            notes.setdefault(int(i), []).append(
                f"file {_LABELS[name]} > 100 % on {int(over[i])} row(s)"
            )
    out: list[tuple[str, ...]] = [()] * k
    for site, found in notes.items():
        out[site] = tuple(found)
    return out


def preprocess(
    report: RawReport,
    level: AnalysisLevel,
    *,
    progress: ProgressCallback = no_progress,
    cancel: CancelToken | None = None,
) -> SiteTable:
    """Drop what cannot be scored (counted), turn rates into counts and sum them per site.

    Row-level work is integer indexing only: ids are classified once per distinct spelling and
    every per-site quantity is a ``bincount`` over site codes.
    """
    cancel = cancel or CancelToken()
    level = AnalysisLevel(level)
    frame = report.frame
    id_column = "supply_vendor" if level == AnalysisLevel.SUPPLY_VENDOR else "site"
    if id_column not in frame.columns:
        what = "Supply Vendor" if id_column == "supply_vendor" else "Site/Domain"
        raise ValidationError(
            f"{report.source} has no {what} column to score at the {level.value} level.",
            field=id_column,
            hint="Map the column in the import preview, or choose another analysis level.",
        )
    n = len(frame)
    steps = 5

    def step(done: int, message: str) -> None:
        cancel.raise_if_cancelled()
        progress(done, steps, message)

    step(0, "Normalising site ids")
    raw_codes, found, raw_values = classify_distinct(frame[id_column], level)
    spelled = [v.strip() for v in raw_values]  # the raw spelling, as shown
    u_site, u_kind = [f.site_id for f in found], [f.kind for f in found]
    u_total = np.array([is_total_label(v) for v in raw_values] + [False])
    u_blank = np.array([sid == "" for sid in u_site] + [False])
    u_placeholder = np.array([kd == "non_targetable" for kd in u_kind] + [False])

    step(1, "Finding total and placeholder rows")
    rows: Ints = (
        frame["_row"].to_numpy(dtype=np.int64)
        if "_row" in frame.columns
        else np.arange(n, dtype=np.int64) + report.header_row + 1
    )
    totals = _total_rows(frame, id_column) | u_total[raw_codes]
    blank = ~totals & u_blank[raw_codes]
    placeholder = ~totals & ~blank & u_placeholder[raw_codes]

    step(2, "Turning rates into counts")
    counts, issues = _counts(frame, rows)
    imps, spend = counts.get("impressions"), counts.get("spend")
    zero = np.zeros(n, dtype=bool)
    if imps is not None and spend is not None:
        zero = ~(totals | blank | placeholder) & (imps == 0) & (spend > 0)
    masks = {"total_row": totals, "blank_id": blank, "non_targetable": placeholder}
    masks["zero_impressions"] = zero
    dropped = [
        _dropped(reason, mask, lambda i: spelled[raw_codes[i]], rows, imps, spend, level)
        for reason, mask in masks.items()
        if mask.any()
    ]
    keep = ~(totals | blank | placeholder | zero)

    step(3, "Adding up rows per site")
    # Distinct spellings → sites, then compact the codes to the sites that kept a row.
    site_of_raw, site_names = _codes(u_site)
    kept_raw = raw_codes[keep]
    all_codes = site_of_raw[kept_raw] if len(site_of_raw) else kept_raw
    present = np.flatnonzero(np.bincount(all_codes, minlength=len(site_names)))
    remap = np.full(len(site_names), -1, dtype=np.int64)
    remap[present] = np.arange(len(present))
    codes = remap[all_codes]
    k = len(present)
    names = [site_names[i] for i in present]
    kind_of_site = dict(zip(u_site, u_kind, strict=True))
    spell_of_raw, spellings = _codes(spelled, sort=True)
    kept_counts = {name: values[keep] for name, values in counts.items()}
    sums = {name: _sum(codes, k, values) for name, values in kept_counts.items()}
    table = pd.DataFrame(
        {
            "kind": pd.Series([kind_of_site[s] for s in names], dtype=object),
            "display_name": pd.Series(
                _display_names(codes, k, spell_of_raw[kept_raw], spellings), dtype=object
            ),
            "n_rows": np.bincount(codes, minlength=k).astype(np.int64),
            **sums,
        },
    )
    table.index = pd.Index(names, name="site_id", dtype=object)

    step(4, "Checking integrity")
    rates = {
        name: v[keep]
        for name in ("ctr", "viewability", "vcr")
        if (v := _column(frame, name)) is not None
    }
    notes = _integrity(codes, k, sums, kept_counts, rates)
    table["integrity"] = pd.Series(notes, index=table.index, dtype=object)
    flagged = sorted((names[i], note) for i, note in enumerate(notes) if note)
    if flagged:
        sample, problems = flagged[0]
        issues.append(
            Issue(
                code="integrity",
                message=(
                    f"{len(flagged):,} site(s) in {report.source} have impossible numbers "
                    f"(e.g. {sample}: {'; '.join(problems)}); they are scored as reported "
                    "and flagged."
                ),
            )
        )
    children: dict[str, list[tuple[str, float]]] = {}
    domain_rows = np.array([kd == "domain" for kd in u_kind] + [False])[kept_raw]
    if imps is not None and domain_rows.any():
        host_of_raw, hosts = _codes([f.host for f in found])
        children = _children(
            codes[domain_rows],
            names,
            host_of_raw[kept_raw[domain_rows]],
            hosts,
            imps[keep][domain_rows],
        )
    table = table.sort_index(kind="stable")
    quality = DataQuality(
        source=report.source,
        rows_read=n,
        rows_scored=int(keep.sum()),
        sites=len(table),
        dropped=dropped,
        issues=issues,
    )
    progress(steps, steps, f"{len(table):,} sites from {int(keep.sum()):,} rows")
    return SiteTable(frame=table, level=level, quality=quality, children=children)
