"""Preprocess: from the rows a file holds to one row per site (or supply vendor), with the losses.

Stage 1 of scoring (``docs/scoring.md`` §1). Every later stage derives its rates from the sums
this stage produces, so the choices here decide what a site *is* and what it *did*:

* Every data row of the file is accounted for: ``rows_read = rows_scored + rows_dropped``.
  Rows that cannot be scored leave scoring but are counted in :class:`DataQuality`, each row
  under exactly one reason, in this precedence: ``empty_row`` (every mapped cell blank; found by
  the reader), ``header_row`` (a row repeating the header: exports pasted together; found by
  the reader, :mod:`.pasted`), ``total_row`` (``Total``/``Grand Total`` in any dimension
  cell — a sum of other rows, counting it would double them), ``blank_id``,
  ``non_targetable`` (``Other``, ``(not set)``, ``[tail aggregate]``…), ``unreadable_number``
  (a count cell holding text such as ``two thousand``: the row's other numbers without it would
  skew its site's rates),
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

The work is done by :class:`~.aggregate.SiteAccumulator`, which takes rows a batch at a time
and keeps only per-id and per-site tallies; :func:`preprocess` hands it a whole report as one
batch. Row-level work is integer arithmetic: everything about an id (its site, kind, host,
spelling, whether it is a total) is decided once per distinct value and gathered by code, and
per-site sums are ``np.bincount`` over site codes in row order (rows left out go to one extra
bin, so no column is copied to drop them).
"""

from __future__ import annotations

from caliber_desktop.errors import ValidationError
from caliber_desktop.models.enums import AnalysisLevel, Channel
from caliber_desktop.services.progress import CancelToken, ProgressCallback, no_progress
from caliber_desktop.services.scoring.aggregate import SiteAccumulator
from caliber_desktop.services.scoring.drops import DROP_REASONS
from caliber_desktop.services.scoring.model import RawReport, SiteTable

__all__ = ["DROP_REASONS", "preprocess", "require_id_column"]


def require_id_column(columns: object, level: AnalysisLevel, source: str) -> None:
    """Refuse, naming the column, a report without the ids of the level it is scored at."""
    id_column = "supply_vendor" if level == AnalysisLevel.SUPPLY_VENDOR else "site"
    if id_column not in columns:  # type: ignore[operator]
        what = "Supply Vendor" if id_column == "supply_vendor" else "Site/Domain"
        raise ValidationError(
            f"{source} has no {what} column to score at the {level.value} level.",
            field=id_column,
            hint="Map the column in the import preview, or choose another analysis level.",
        )


def preprocess(
    report: RawReport,
    level: AnalysisLevel,
    *,
    channel: Channel | None = None,
    progress: ProgressCallback = no_progress,
    cancel: CancelToken | None = None,
) -> SiteTable:
    """Drop what cannot be scored (counted), turn rates into counts and sum them per site.

    ``channel`` is the campaign's (CTV ids are apps). The whole report is one batch of
    :class:`~.aggregate.SiteAccumulator`; an id whose app evidence only a later row gives cannot
    happen here (every row is seen before anything is summed).
    """
    cancel = cancel or CancelToken()
    level = AnalysisLevel(level)
    require_id_column(report.frame.columns, level, report.source)
    cancel.raise_if_cancelled()
    progress(0, 5, "Normalising site ids")
    sums = SiteAccumulator.for_report(
        level, source=report.source, mapping=report.mapping, channel=channel
    )
    sums.add_skipped(report.empty_rows, report.empty_examples, report.header_rows)
    sums.add(report.frame, report.unreadable)
    cancel.raise_if_cancelled()
    progress(3, 5, "Adding up rows per site")
    return sums.finish(progress)
