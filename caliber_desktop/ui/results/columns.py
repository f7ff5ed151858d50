"""The columns of a run's site table: what each shows, how it aligns, which show by default.

:class:`ColumnSpec` (one column of the ``FrameTableModel``) lives with the model in
``ui/shared/frame_model.py``, below this package; it is re-exported here for the results views.
:func:`result_columns` builds the specs for a scored run from its metrics.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from caliber_desktop.models import labels as vocabulary
from caliber_desktop.services.scoring.model import ScoreResult
from caliber_desktop.ui.shared.frame_model import NUMERIC_KINDS, PINNED_KEY, ColumnSpec, Kind

__all__ = ["NUMERIC_KINDS", "PINNED_KEY", "ColumnSpec", "Kind", "names_differ", "result_columns"]


def result_columns(result: ScoreResult) -> tuple[list[ColumnSpec], set[str]]:
    """The columns of a run's site table and the keys shown before the analyst picks.

    Every metric the run computed gets its raw, shrunk, normalised and contribution columns;
    only the raw values of the metrics that were scored show by default, since those are what
    an analyst compares against the DSP's own report.

    The decision comes first (site, score, recommendation, pin, impressions, spend), so a laptop
    shows it without scrolling sideways. Name says something only when the report lists a site
    under another name (an app's title, a subdomain): it is blank on rows where it repeats the
    site, and hidden when no row differs.
    """
    sites = result.sites
    units = result.summary.get("units", {})
    labels = result.summary.get("labels", {})
    specs = [
        ColumnSpec("site_id", "Site", tooltip_key="top_drivers", text_tip=True),
        ColumnSpec("score", "Score", "score", tooltip_key="top_drivers"),
        ColumnSpec("recommendation", "Recommendation", "recommendation", tooltip_key="top_drivers"),
        ColumnSpec(PINNED_KEY, "Pinned", "pinned", header_tooltip="The analyst's override"),
        ColumnSpec("impressions", "Impressions", "int"),
        ColumnSpec("spend", "Spend", "money"),
        ColumnSpec(
            "display_name",
            "Name",
            blank_if_site=True,
            text_tip=True,
            header_tooltip="The name the report gives, where it is not the site",
        ),
        ColumnSpec("kind", "Kind", vocabulary="site_kind"),
        ColumnSpec("percentile", "Percentile", "score"),
        ColumnSpec("quality_status", "Quality", vocabulary="band"),
        ColumnSpec("confidence", "Confidence", vocabulary="confidence"),
        ColumnSpec("clicks", "Clicks", "int"),
        ColumnSpec("conversions", "Conversions", "int"),
        ColumnSpec("flags", "Flags", "flags", tooltip_key="flag_evidence"),
    ]
    visible = {
        "site_id", PINNED_KEY, "recommendation", "score", "quality_status",
        "impressions", "spend", "clicks", "flags",
    }  # fmt: skip
    if names_differ(sites):
        visible.add("display_name")
    used = {m.name for m in result.metrics}
    unit_kind: dict[str, Kind] = {"percent": "percent", "money": "money", "ratio": "number"}
    for name in result.metric_names():
        label = labels.get(name) or vocabulary.metric(name)
        kind = unit_kind.get(units.get(name, "ratio"), "number")
        words, means = vocabulary.METRIC_COLUMN_SUFFIXES, vocabulary.METRIC_COLUMN_MEANINGS
        specs += [  # worded as the exports' column guide words them (models/labels.py)
            ColumnSpec(name, label, kind, header_tooltip=f"{label} {means['']}"),
            ColumnSpec(f"{name}_shrunk", f"{label} {words['_shrunk']}", kind,
                       header_tooltip=f"{label} {means['_shrunk']}"),
            ColumnSpec(f"{name}_norm", f"{label} {words['_norm']}", "score",
                       header_tooltip=f"{label} {means['_norm']}"),
            ColumnSpec(f"{name}_contrib", f"{label} {words['_contrib']}", "score",
                       header_tooltip=f"{label}: {means['_contrib']}"),
        ]  # fmt: skip
        if name in used:
            visible.add(name)
    specs.append(ColumnSpec("top_drivers", "Why", tooltip_key="top_drivers"))
    return [s for s in specs if s.key in sites or s.key in (PINNED_KEY, "site_id")], visible


def names_differ(sites: pd.DataFrame) -> bool:
    """Whether any site is listed under a name other than its id (Name is worth a column)."""
    if "display_name" not in sites or not len(sites):
        return False
    names = sites["display_name"].to_numpy(dtype=object)
    ids = sites.index.astype(str).to_numpy(dtype=object)
    return bool(np.any((names != ids) & pd.notna(names) & (names != "")))
