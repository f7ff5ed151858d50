"""A run made ready for the results panel off the GUI thread (issue 17).

Showing a 100k-site run took ~1.2 s on the GUI thread: turning Arrow-backed text columns into
the model's arrays, the search text and flag masks, measuring the typical site name, and the
scatter's points. :func:`prepare_results` does every part that needs no widget, on the worker that
loaded the run (the window hands it to the scoring and loading jobs), so
:meth:`ResultsPanel.set_result` only adopts arrays. It is plain data: no Qt object is made here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from caliber_desktop.services.runs.facts import RunCounts, median_site_score, run_counts
from caliber_desktop.services.scoring.model import ScoreResult
from caliber_desktop.ui.results.columns import NUMERIC_KINDS, ColumnSpec, result_columns
from caliber_desktop.ui.results.filters import FilterArrays, filter_arrays
from caliber_desktop.ui.shared.frame_model import FrameArrays, frame_arrays
from caliber_desktop.ui.shared.recommendations import RECOMMENDATIONS


@dataclass(frozen=True)
class ChartArrays:
    """Per frame row: what the histogram and the scatter plot."""

    ids: np.ndarray
    scores: np.ndarray
    #: each site's recommendation as its index into ``RECOMMENDATIONS`` (``recommendation_codes``)
    codes: np.ndarray
    spend: np.ndarray


@dataclass(frozen=True)
class PreparedResults:
    """Everything :class:`~caliber_desktop.ui.results.panel.ResultsPanel` computes per run."""

    #: the frame these arrays were made from (the panel checks it is the one it shows)
    sites: pd.DataFrame
    columns: tuple[ColumnSpec, ...]
    visible: frozenset[str]
    table: FrameArrays
    filters: FilterArrays
    charts: ChartArrays
    #: per column key, the text whose width the column is sized to (see ``column_samples``)
    samples: Mapping[str, str]
    #: the summary line's counts and the median site score (counted on the GUI thread, 100k
    #: recommendations took ~7 of the ~13 ms that showing the run took there)
    counts: RunCounts
    median_score: float | None


def prepare_results(result: ScoreResult) -> PreparedResults:
    """The panel's arrays for ``result`` (callable on any thread; ~0.5 s for 100k sites)."""
    frame = result.sites
    columns, visible = result_columns(result)
    table = frame_arrays(frame, columns)
    return PreparedResults(
        sites=frame,
        columns=tuple(columns),
        visible=frozenset(visible),
        table=table,
        filters=filter_arrays(frame),
        charts=chart_arrays(frame, table.ids),
        samples=column_samples(frame, columns),
        counts=run_counts(frame),
        median_score=median_site_score(frame),
    )


def parts_to_free(prepared: PreparedResults) -> list[object]:
    """The big pieces of ``prepared``, each freed in about a millisecond for 100k sites.

    Freed all at once, a 100k-site run's object arrays (every site id, name, flag tuple) took
    ~20 ms; the panel holds these and lets them go a few per event-loop turn instead.
    """
    table, filters = prepared.table, prepared.filters
    return [
        *table.values,
        *(tips for tips in table.tooltips if tips is not None),
        table.ids,
        table.id_index,
        filters.search_text,
        *filters.flag_masks.values(),
        prepared.charts,
        prepared.sites,
    ]


def chart_arrays(frame: pd.DataFrame, ids: np.ndarray | None = None) -> ChartArrays:
    if not len(frame):
        empty = np.empty(0)
        return ChartArrays(np.empty(0, dtype=object), empty, np.empty(0, dtype=np.intp), empty)
    return ChartArrays(
        ids=frame.index.astype(str).to_numpy(dtype=object) if ids is None else ids,
        scores=frame["score"].to_numpy(dtype=np.float64, na_value=np.nan),
        codes=recommendation_codes(frame["recommendation"].to_numpy(dtype=object)),
        spend=frame["spend"].to_numpy(dtype=np.float64, na_value=np.nan),
    )


def recommendation_codes(recommendations: np.ndarray) -> np.ndarray:
    """Recommendation → index into :data:`RECOMMENDATIONS` (unknown values → the last one).

    One comparison per recommendation: a ``pd.Categorical`` of 100k strings took ~35 ms on
    the GUI thread.
    """
    values = np.asarray(recommendations, dtype=object)
    codes = np.full(len(values), len(RECOMMENDATIONS) - 1, dtype=np.intp)
    for i, name in enumerate(RECOMMENDATIONS[:-1]):
        codes[values == name] = i
    return codes


def column_samples(frame: pd.DataFrame, columns: Sequence[ColumnSpec]) -> dict[str, str]:
    """The text each data-sized column is measured by: the 90th-percentile site or name by
    length (one very long subdomain must not widen the column), the largest number formatted."""
    samples: dict[str, str] = {}
    for spec in columns:
        if spec.key in ("site_id", "display_name"):
            column = frame.index if spec.key == "site_id" else frame.get(spec.key)
            if column is not None:
                samples[spec.key] = typical_text([str(t) for t in column])
        elif spec.kind in NUMERIC_KINDS and spec.key in frame:
            values = np.nan_to_num(frame[spec.key].to_numpy(np.float64, na_value=0.0))
            largest = float(np.abs(values).max()) if values.size else 0.0
            by_kind = {"int": f"{largest:,.0f}", "money": f"{largest:,.2f}",
                       "percent": "100.00 %", "score": "100.0"}  # fmt: skip
            samples[spec.key] = by_kind.get(spec.kind, "0.000")
    return samples


def typical_text(texts: Sequence[str]) -> str:
    """The 90th-percentile text by length ('' for none)."""
    if not texts:
        return ""
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    return texts[int(np.argsort(lengths, kind="stable")[int(0.9 * (len(texts) - 1))])]
