"""The columns of a run's site table: what each shows, how it aligns, which show by default.

:class:`ColumnSpec` describes one column of the ``FrameTableModel`` (``ui/shared/frame_model.py``);
:func:`result_columns` builds the specs for a scored run from its metrics.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from PySide6.QtCore import Qt

from caliber_desktop.services.scoring.model import ScoreResult

Kind = Literal[
    "text", "int", "number", "money", "percent", "score", "flags", "recommendation", "pinned"
]

#: Key of the virtual column showing the analyst's override (it is not in the frame).
PINNED_KEY = "pinned"
#: Kinds holding numbers: kept as float arrays by the model and right-aligned.
NUMERIC_KINDS: frozenset[str] = frozenset({"int", "number", "money", "percent", "score"})
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_LEFT = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)


@dataclass(frozen=True)
class ColumnSpec:
    """One column: which frame column feeds it, its header and how a value is shown.

    ``tooltip_key`` names another frame column whose value becomes the cell's tooltip (the
    evidence behind a flag, the sentence behind a score), so tooltips cost nothing until hovered.
    """

    key: str
    header: str
    kind: Kind = "text"
    align: int | None = None
    tooltip_key: str | None = None
    header_tooltip: str | None = None

    @property
    def alignment(self) -> int:
        if self.align is not None:
            return self.align
        return _RIGHT if self.kind in NUMERIC_KINDS else _LEFT


def result_columns(result: ScoreResult) -> tuple[list[ColumnSpec], set[str]]:
    """The columns of a run's site table and the keys shown before the analyst picks.

    Every metric the run computed gets its raw, shrunk, normalised and contribution columns;
    only the raw values of the metrics that were scored show by default, since those are what
    an analyst compares against the DSP's own report.
    """
    sites = result.sites
    units = result.summary.get("units", {})
    labels = result.summary.get("labels", {})
    specs = [
        ColumnSpec("site_id", "Site", tooltip_key="top_drivers"),
        ColumnSpec("display_name", "Name"),
        ColumnSpec("kind", "Kind"),
        ColumnSpec(PINNED_KEY, "Pinned", "pinned", header_tooltip="The analyst's override"),
        ColumnSpec("recommendation", "Recommendation", "recommendation", tooltip_key="top_drivers"),
        ColumnSpec("score", "Score", "score", tooltip_key="top_drivers"),
        ColumnSpec("percentile", "Percentile", "score"),
        ColumnSpec("quality_status", "Quality"),
        ColumnSpec("confidence", "Confidence"),
        ColumnSpec("impressions", "Impressions", "int"),
        ColumnSpec("spend", "Spend", "money"),
        ColumnSpec("clicks", "Clicks", "int"),
        ColumnSpec("conversions", "Conversions", "int"),
        ColumnSpec("flags", "Flags", "flags", tooltip_key="flag_evidence"),
    ]
    visible = {
        "site_id", "display_name", PINNED_KEY, "recommendation", "score", "quality_status",
        "impressions", "spend", "clicks", "flags",
    }  # fmt: skip
    used = {m.name for m in result.metrics}
    unit_kind: dict[str, Kind] = {"percent": "percent", "money": "money", "ratio": "number"}
    for name in result.metric_names():
        label = labels.get(name, name)
        kind = unit_kind.get(units.get(name, "ratio"), "number")
        specs += [
            ColumnSpec(name, label, kind, header_tooltip=f"{label} as measured"),
            ColumnSpec(f"{name}_shrunk", f"{label} (adj.)", kind,
                       header_tooltip=f"{label} pulled toward the campaign for small sites"),
            ColumnSpec(f"{name}_norm", f"{label} (0–100)", "score"),
            ColumnSpec(f"{name}_contrib", f"{label} (pts)", "score",
                       header_tooltip=f"Points {label} adds to the score"),
        ]  # fmt: skip
        if name in used:
            visible.add(name)
    specs.append(ColumnSpec("top_drivers", "Why", tooltip_key="top_drivers"))
    return [s for s in specs if s.key in sites or s.key in (PINNED_KEY, "site_id")], visible
