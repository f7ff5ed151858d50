"""Preprocess: from the rows a file holds to one row per site (or supply vendor), with the losses.

Stage 1 of scoring (``docs/scoring.md`` §1). Every later stage derives its rates from the sums
this stage produces, so the choices here decide what a site *is* and what it *did*:

* Every data row of the file is accounted for: ``rows_read = rows_scored + rows_dropped``.
  Rows that cannot be scored leave scoring but are counted in :class:`DataQuality`, each row
  under exactly one reason, in this precedence: ``empty_row`` (every mapped cell blank; found by
  the reader), ``total_row`` (``Total``/``Grand Total`` in any dimension cell — a sum of other
  rows, counting it would double them), ``blank_id``, ``non_targetable`` (``Other``,
  ``(not set)``, ``[tail aggregate]``…), ``unreadable_number`` (a count cell holding text such
  as ``two thousand``: the row's other numbers without it would skew its site's rates),
  ``zero_impressions`` (spend but no impressions: nothing to rate; adding the money to a site
  would charge its CPM for impressions it never served — usually a billing adjustment, so the
  analyst sees it instead), ``no_impressions`` (the rows of a site whose impressions add up to
  nothing: no rate can be computed for it). Rows with missing (not zero) impressions stay when
  their site has impressions elsewhere: their other counts still count.
* In-app or web is decided per row with every clue (:mod:`.identifiers`): an app name beside
  the id (TTD's ``App`` column), a site column that holds apps, the CTV channel.
* A rate the file gives without its count becomes a count before anything is summed, and
  counts win over rates (:mod:`.integrity`).
* Counts are summed per site with NaN only when every cell of the site was missing.
* Impossible numbers become plain-language ``integrity`` notes on the site, never an exception.

Row-level work is integer arithmetic: the id column is factorised once, everything about an id
(its site, kind, host, spelling, whether it is a total) is decided once per distinct value and
gathered by code, and per-site sums are ``np.bincount`` over site codes in row order (rows left
out go to one extra bin, so no column is copied to drop them). A 1M-row report with 100k sites
takes a few hundred milliseconds and about its id codes in memory.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from caliber_desktop.errors import ValidationError
from caliber_desktop.models.enums import AnalysisLevel, Channel
from caliber_desktop.services.progress import CancelToken, ProgressCallback, no_progress
from caliber_desktop.services.scoring.headers import normalize_header
from caliber_desktop.services.scoring.id_column import DistinctIds, classify_column
from caliber_desktop.services.scoring.identifiers import is_non_targetable, is_total_label
from caliber_desktop.services.scoring.integrity import column, integrity_notes, rate_counts
from caliber_desktop.services.scoring.model import (
    DIMENSION_COLUMNS,
    DataQuality,
    DroppedRows,
    IdSummary,
    Issue,
    RawReport,
    SiteTable,
    counted,
    unit_noun,
)

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]
Objects = npt.NDArray[np.object_]

#: Drop reasons in precedence order: code → label shown in the data-quality report.
DROP_REASONS: dict[str, str] = {
    "empty_row": "Empty rows (every column Caliber reads is blank)",
    "total_row": "Total rows (Total, Grand Total): sums of other rows, not sites",
    "blank_id": "Rows with a blank id",
    "non_targetable": "Rows whose id no list can target (Other, Unknown, (not set), tail…)",
    "unreadable_number": "Rows with a count that is not a number (e.g. text in Impressions)",
    "zero_impressions": "Rows with spend but zero impressions: nothing to rate",
    "no_impressions": "Rows of sites with no impressions at all (missing or 0): nothing to rate",
}
#: Site-column headers (normalised) that say every id in them is an app.
APP_SITE_HEADERS = frozenset(
    {"app", "app name", "app bundle", "bundle", "bundle id", "app id", "app store id"}
)
_EXAMPLES = 5


def _totals(values: pa.Array) -> Bools:
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


def _total_rows(frame: pd.DataFrame, skip: str) -> Bools | None:
    """Rows with ``Total``/``Grand Total`` in a dimension cell (the id column is done apart).

    Decided on each column's distinct values; None (no row array at all) when there is none.
    """
    mask: Bools | None = None
    for name in DIMENSION_COLUMNS:
        if name in frame.columns and name != skip:
            cells = pa.array(frame[name].astype("string").array)  # no copy for Arrow strings
            distinct = pc.unique(cells)
            labels = distinct.filter(pa.array(_totals(distinct)))
            if len(labels):
                hit = np.asarray(pc.is_in(cells, value_set=labels), dtype=bool)
                mask = hit if mask is None else mask | hit
    return mask


def _dropped(
    reason: str,
    mask: npt.NDArray[np.bool_],
    spelling: Callable[[int], str],
    rows: Ints,
    imps: Floats | None,
    spend: Floats | None,
    level: AnalysisLevel,
    examples: list[str] | None = None,
) -> DroppedRows:
    where = np.flatnonzero(mask)
    if examples is None:
        examples = []
        if reason == "non_targetable":
            examples = list(dict.fromkeys(spelling(i) for i in where[:10_000]))[:_EXAMPLES]
        else:
            for i in where[:_EXAMPLES]:
                text = f"row {rows[i]}: {spelling(i) or '(blank)'}"
                if reason == "zero_impressions" and spend is not None:
                    text += f" ({spend[i]:,.2f} spend)"
                examples.append(f"row {rows[i]}" if reason in ("total_row", "blank_id") else text)
    label = DROP_REASONS[reason]
    noun = unit_noun(level, plural=False)
    if reason == "blank_id":
        label = "Rows with a blank " + ("supply vendor" if noun == "vendor" else "site")
    elif reason == "no_impressions":
        label = label.replace("sites", unit_noun(level))
    return DroppedRows(
        reason=reason,
        label=label,
        rows=len(where),
        impressions=0.0 if imps is None else float(np.nansum(imps[where])),
        spend=0.0 if spend is None else float(np.nansum(spend[where])),
        examples=tuple(examples),
    )


def _sum(codes: Ints, k: int, values: Floats, n_rows: Ints) -> Floats:
    """Per-site sums with NaN where every cell of the site was missing (``min_count=1``).

    ``codes`` holds ``k`` for rows left out. Bins add in row order, as a per-site sum would.
    """
    missing = np.isnan(values)
    if not missing.any():  # float64 even with no rows, where numpy's bincount gives int64
        return np.bincount(codes, weights=values, minlength=k + 1)[:k].astype(np.float64)
    sums = np.bincount(codes, weights=np.where(missing, 0.0, values), minlength=k + 1)[:k]
    seen = n_rows - np.bincount(codes[missing], minlength=k + 1)[:k]
    return np.where(seen > 0, sums, np.nan)


def _display_names(site: Ints, k: int, spelling: Objects, rows: Ints) -> Objects:
    """Most frequent spelling per site (rows); ties go to the smallest spelling.

    Per distinct raw value ``i``: its site ``site[i]``, its ``spelling`` (trimmed) and its
    number of scored ``rows``; values that share a site and a spelling add up.
    """
    names = np.empty(k, dtype=object)
    scored = np.flatnonzero(rows > 0)
    if k == 0 or not len(scored):
        return names
    spell, uniques = pd.factorize(spelling[scored])
    spellings, n = np.asarray(uniques, dtype=object), len(uniques)
    pairs, inverse = np.unique(site[scored] * n + spell, return_inverse=True)
    counts = np.bincount(inverse.ravel(), weights=rows[scored])
    order = np.lexsort((-counts, pairs // n))
    pairs, counts = pairs[order], counts[order]
    first = np.r_[True, pairs[1:] // n != pairs[:-1] // n]
    group, best = np.cumsum(first) - 1, counts[first]
    names[:] = spellings[pairs[first] % n]
    for s in np.unique(group[~first & (counts == best[group])]):  # rare: a tie
        names[s] = min(spellings[pairs[(group == s) & (counts == best[s])] % n])
    return names


def _children(
    site: Ints, host: Objects, scored: Bools, raw_codes: Ints, keep: Bools, names: Objects,
    imps: Floats,
) -> dict[str, list[tuple[str, float]]]:  # fmt: skip
    """Registrable domain → its hosts with impressions, where it was seen under several hosts.

    Per distinct raw value: its ``site``, ``host`` and whether it is a domain with scored rows
    (``scored``); the impressions of scored rows add up per (site, host) in row order.
    """
    host_code, uniques = pd.factorize(host)
    hosts, n = np.asarray(uniques, dtype=object), max(len(uniques), 1)
    which = np.flatnonzero(scored)
    pairs, inverse = np.unique(site[which] * n + host_code[which], return_inverse=True)
    pair_of_raw = np.full(len(site), len(pairs), dtype=np.int64)  # the extra bin: not counted
    pair_of_raw[which] = inverse.ravel()
    row_pair = pair_of_raw[raw_codes]
    if not keep.all():
        row_pair[~keep] = len(pairs)
    weights = imps if np.isfinite(imps).all() else np.nan_to_num(imps)
    totals = np.bincount(row_pair, weights=weights, minlength=len(pairs) + 1)
    sites = pairs // n
    several = np.flatnonzero(np.bincount(sites, minlength=len(names)) > 1)
    out: dict[str, list[tuple[str, float]]] = {}
    for i in np.flatnonzero(np.isin(sites, several)):
        out.setdefault(names[sites[i]], []).append((hosts[pairs[i] % n], float(totals[i])))
    return {key: sorted(val, key=lambda hv: (-hv[1], hv[0])) for key, val in sorted(out.items())}


def _sorted_order(names: Objects) -> Ints:
    """Order of ``names`` by code point, as ``sorted`` gives (Arrow sorts UTF-8 bytes alike)."""
    try:
        return np.asarray(pc.sort_indices(pa.array(names, pa.large_string())), dtype=np.int64)
    except (pa.ArrowException, UnicodeError):  # e.g. a lone surrogate: sort in Python
        return np.asarray(sorted(range(len(names)), key=lambda i: names[i]), dtype=np.int64)


def _in_app_evidence(
    report: RawReport, channel: Channel | None, id_column: str
) -> tuple[Bools | None, bool]:
    """(rows that name an app beside their id, whether every row is in an app)."""
    if id_column != "site":
        return None, False
    if channel is Channel.CTV:
        return None, True
    header = report.mapping.columns.get("site", "")
    if (
        report.mapping.origins.get("site") == "app"
        or normalize_header(header)[0] in APP_SITE_HEADERS
    ):
        return None, True
    if "app_name" not in report.frame.columns:
        return None, False
    names = pa.array(report.frame["app_name"].astype("string").array)
    distinct = pc.unique(names)
    named = np.array([not is_non_targetable(str(v)) for v in distinct.to_pylist()], dtype=bool)
    if not named.any():
        return None, False
    return np.asarray(pc.is_in(names, value_set=distinct.filter(pa.array(named))), bool), False


def _unreadable_rows(report: RawReport, n: int) -> tuple[Bools, dict[int, str]]:
    """Rows with an unreadable count, and ``row number → "Header 'text'"`` for examples."""
    mask = np.zeros(n, dtype=bool)
    examples: dict[int, str] = {}
    for cells in report.unreadable:
        mask |= cells.mask
        for row, text in cells.examples:
            examples.setdefault(row, f"{cells.header} '{text}'")
    return mask, examples


def _id_summary(
    ids: DistinctIds, raw_rows: Ints, kinds: Objects, level: AnalysisLevel
) -> IdSummary:
    """What the ids were read as: sites per kind, hosts rolled up, apps kept whole."""
    scored = raw_rows > 0
    counts = pd.Series(kinds, dtype=object).value_counts()
    kind_counts = {str(k): int(v) for k, v in counts.items()}
    if level == AnalysisLevel.SUPPLY_VENDOR:
        return IdSummary(kinds=kind_counts)
    domains = scored & (ids.kind == "domain") & (ids.host != ids.site_id)
    pairs = sorted(set(zip(ids.host[domains], ids.site_id[domains], strict=True)))
    web = ids.web_site_id
    app_pairs: list[tuple[str, str]] = []
    if ids.in_app is not None and web is not None:
        found = np.flatnonzero(scored & ids.in_app)
        app_pairs = sorted({(str(ids.site_id[i]), str(web[i])) for i in found})
    return IdSummary(
        kinds=kind_counts,
        rolled_up=len(pairs),
        rollup_examples=tuple(f"{host} → {site}" for host, site in pairs[:_EXAMPLES]),
        in_app=len(app_pairs),
        in_app_examples=tuple(f"{app} (not {web})" for app, web in app_pairs[:_EXAMPLES]),
    )


def _id_notes(source: str, summary: IdSummary) -> list[Issue]:
    out = []
    if summary.in_app:
        out.append(
            Issue(
                "apps_kept_whole",
                f"{source}: {summary.in_app:,} app id(s) look like web addresses but their rows "
                "say they are apps (an app name beside them, an app column or the CTV channel), "
                "so each keeps its whole id and goes to the app lists, e.g. "
                + "; ".join(summary.in_app_examples[:3])
                + ".",
                severity="info",
            )
        )
    if summary.rolled_up:
        out.append(
            Issue(
                "hosts_rolled_up",
                f"{source}: {summary.rolled_up:,} web host(s) are scored under their registrable "
                "domain, e.g. " + "; ".join(summary.rollup_examples[:3]) + ".",
                severity="info",
            )
        )
    return out


def preprocess(
    report: RawReport,
    level: AnalysisLevel,
    *,
    channel: Channel | None = None,
    progress: ProgressCallback = no_progress,
    cancel: CancelToken | None = None,
) -> SiteTable:
    """Drop what cannot be scored (counted), turn rates into counts and sum them per site.

    Row-level work is integer indexing only: ids are classified once per distinct spelling and
    every per-site quantity is a ``bincount`` over site codes. ``channel`` is the campaign's
    (CTV ids are apps).
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
    in_app_rows, all_in_app = _in_app_evidence(report, channel, id_column)
    ids: DistinctIds = classify_column(
        frame[id_column], level, in_app_rows=in_app_rows, all_in_app=all_in_app
    )
    raw_codes = ids.codes
    spelled = np.array([v.strip() for v in ids.raw], dtype=object)  # the raw spelling, as shown
    u_total = _totals(pa.array(ids.raw, pa.large_string()))
    u_blank = ids.site_id == ""
    u_placeholder = ids.kind == "non_targetable"

    step(1, "Finding total and placeholder rows")
    rows: Ints = (
        frame["_row"].to_numpy(dtype=np.int64)
        if "_row" in frame.columns
        else np.arange(n, dtype=np.int64) + report.header_row + 1
    )
    other_totals = _total_rows(frame, id_column)
    u_total_rows = u_total[raw_codes] if u_total.any() else np.zeros(n, dtype=bool)
    totals = u_total_rows if other_totals is None else u_total_rows | other_totals
    blank = ~totals & u_blank[raw_codes]
    placeholder = ~totals & ~blank & u_placeholder[raw_codes]
    unreadable, bad_cells = _unreadable_rows(report, n)
    unreadable &= ~(totals | blank | placeholder)

    step(2, "Turning rates into counts")
    counts, issues = rate_counts(frame, rows, report.source)
    imps, spend = counts.get("impressions"), counts.get("spend")
    out = totals | blank | placeholder | unreadable
    zero = np.zeros(n, dtype=bool)
    if imps is not None and spend is not None:
        zero = ~out & (imps == 0) & (spend > 0)
    out |= zero
    # A site whose remaining rows hold no impressions cannot be rated: its rows are counted.
    site_of_raw, uniques = pd.factorize(ids.site_id)
    none = np.zeros(n, dtype=bool)
    if imps is not None:
        row_site = site_of_raw[raw_codes]
        site_imps = np.bincount(
            row_site[~out], weights=np.nan_to_num(imps[~out]), minlength=len(uniques)
        )
        none = ~out & ~(site_imps > 0)[row_site]
    masks = {
        "total_row": totals,
        "blank_id": blank,
        "non_targetable": placeholder,
        "unreadable_number": unreadable,
        "zero_impressions": zero,
        "no_impressions": none,
    }
    dropped = []
    if report.empty_rows:
        dropped.append(
            DroppedRows(
                "empty_row",
                DROP_REASONS["empty_row"],
                report.empty_rows,
                0.0,
                0.0,
                tuple(f"row {r}" for r in report.empty_examples),
            )
        )
    for reason, mask in masks.items():
        if not mask.any():
            continue
        examples = None
        if reason == "unreadable_number":
            where = set(rows[mask][: _EXAMPLES * 20].tolist())
            found = sorted(r for r in bad_cells if r in where)[:_EXAMPLES]
            examples = [f"row {r}: {bad_cells[r]}" for r in found] or None
        dropped.append(
            _dropped(
                reason, mask, lambda i: spelled[raw_codes[i]], rows, imps, spend, level, examples
            )
        )
    keep = ~(out | none)
    everything = bool(keep.all())

    step(3, "Adding up rows per site")
    # Distinct spellings → sites, sorted by id; sites without a scored row get code k.
    raw_rows = np.bincount(raw_codes if everything else raw_codes[keep], minlength=len(ids.raw))
    site_names = np.asarray(uniques, dtype=object)
    present = np.flatnonzero(np.bincount(site_of_raw, weights=raw_rows, minlength=len(site_names)))
    present = present[_sorted_order(site_names[present])]
    k = len(present)
    names = site_names[present]
    rank = np.full(len(site_names) + 1, k, dtype=np.int64)
    rank[present] = np.arange(k)
    code_of_raw = rank[site_of_raw]
    codes = code_of_raw[raw_codes]
    if not everything:
        codes[~keep] = k
    last_raw = np.full(len(site_names), -1, dtype=np.int64)  # a site's kind: its last spelling's
    np.maximum.at(last_raw, site_of_raw, np.arange(len(site_of_raw)))
    n_rows = np.bincount(codes, minlength=k + 1)[:k]
    sums = {name: _sum(codes, k, values, n_rows) for name, values in counts.items()}
    kinds = ids.kind[last_raw[present]]
    table = pd.DataFrame(
        {
            "kind": pd.Series(kinds, dtype=object),
            "display_name": pd.Series(
                _display_names(code_of_raw, k, spelled, raw_rows), dtype=object
            ),
            "n_rows": n_rows.astype(np.int64),
            **sums,
        },
    )
    table.index = pd.Index(names, name="site_id", dtype=object)

    step(4, "Checking integrity")
    rates = {
        name: v for name in ("ctr", "viewability", "vcr") if (v := column(frame, name)) is not None
    }
    notes = integrity_notes(codes, k, sums, counts, rates)
    table["integrity"] = pd.Series(notes, index=table.index, dtype=object)
    flagged = sorted((names[i], note) for i, note in enumerate(notes) if note)
    if flagged:
        sample, problems = flagged[0]
        issues.append(
            Issue(
                code="integrity",
                message=(
                    f"{len(flagged):,} {unit_noun(level)} in {report.source} have impossible "
                    f"numbers (e.g. {sample}: {'; '.join(problems)}); they are scored as "
                    "reported and flagged."
                ),
            )
        )
    children: dict[str, list[tuple[str, float]]] = {}
    domains = (ids.kind == "domain") & (raw_rows > 0)
    if imps is not None and domains.any():
        children = _children(code_of_raw, ids.host, domains, raw_codes, keep, names, imps)
    id_summary = _id_summary(ids, raw_rows, kinds, level)
    issues += _id_notes(report.source, id_summary)
    quality = DataQuality(
        source=report.source,
        rows_read=n + report.empty_rows,
        rows_scored=int(keep.sum()),
        sites=len(table),
        dropped=dropped,
        issues=issues,
        ids=id_summary,
        level=level.value,
    )
    progress(steps, steps, f"{counted(len(table), level)} from {int(keep.sum()):,} rows")
    return SiteTable(frame=table, level=level, quality=quality, children=children)
