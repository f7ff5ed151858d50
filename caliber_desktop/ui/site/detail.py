"""Why one site scored what it did: the facts, the decision, the per-metric points and the flags.

The panel only displays an ``explain_site`` dictionary (see ``services/scoring/explain.py``); the
main window computes it off the GUI thread and hands it over. Every colour is derived from the
current palette and every size from the font, so the panel reads the same in a dark theme and on
a 200 % display; a palette change re-renders the last explanation.
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import QEvent, QObject, QRect, QSize, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QStyle,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from caliber_desktop.models import labels
from caliber_desktop.services.scoring.lists import Override
from caliber_desktop.ui.shared.common import scaled_font
from caliber_desktop.ui.shared.locale_format import (
    format_int,
    format_number,
    format_percent,
    format_value,
)
from caliber_desktop.ui.shared.tones import blend, chip_style, tone_colour
from caliber_desktop.ui.site.chart import ContributionChart

PLACEHOLDER = "Select a site to see why it scored what it did"
RECOMMENDATION_TONES = {"allow": "good", "block": "bad", "monitor": "warn"}
QUALITY_TONES = {"good": "good", "moderate": "warn", "poor": "bad"}
DIRECTION_ARROWS = {"higher": "↑", "lower": "↓"}
#: Why a computed metric carries no weight when the run did not record a reason for it.
UNWEIGHTED = "not weighted by this goal's profile"
TABLE_COLUMNS = (
    "Metric",
    "Raw",
    "Shrunk",
    "90 % interval",
    "Campaign median",
    "Normalised",
    "Weight",
    "Contribution",
)


def _num(value: Any) -> float:
    """JSON ``None`` (NaN in the frame) back to NaN so ``format_value`` says "n/a"."""
    return math.nan if value is None else float(value)


class SiteDetailPanel(QWidget):
    """One site's explanation; ``clear()`` shows what to do instead of an empty form."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("siteDetailPanel")
        self._explanation: dict[str, Any] | None = None
        self._override: Override | None = None

        self.placeholder = _label(self, "siteDetailPlaceholder", wrap=True)
        self.placeholder.setText(PLACEHOLDER)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)

        body = QWidget(self)
        self.name_label = _label(body, "siteName", scale=1.4, wrap=True, selectable=True)
        self.kind_label = _label(body, "siteKind", wrap=True)
        self.score_label = _label(body, "siteScore", scale=2.6)
        self.facts_label = _label(body, "siteFacts", wrap=True)
        self.facts_label.setTextFormat(Qt.TextFormat.RichText)
        self.chip = _label(body, "recommendationChip")
        self.chip.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Preferred)
        self.recommended_label = _label(body, "recommendedAction", wrap=True)
        self.volume_label = _label(body, "siteVolume", wrap=True)
        self.certainty_label = _label(body, "scoreCertainty", wrap=True)
        self.decision_label = _label(body, "decisionReason", wrap=True, selectable=True)
        self.sentence_label = _label(body, "topDrivers", wrap=True, selectable=True)

        self.contribution_chart = ContributionChart(body)
        self.metrics_table = QTableWidget(0, len(TABLE_COLUMNS), body)
        self.metrics_table.setObjectName("metricsTable")
        self.metrics_table.setTabKeyNavigation(False)  # Tab moves on; arrows move inside
        self.metrics_table.setAccessibleName("Site metrics")
        self.metrics_table.setHorizontalHeaderLabels(list(TABLE_COLUMNS))
        self.metrics_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.metrics_table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.metrics_table.setWordWrap(False)
        self.metrics_table.verticalHeader().setVisible(False)
        self.metrics_table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.metrics_table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents
        )
        self.metrics_table.horizontalHeader().setStretchLastSection(True)
        # Wider than the dock, the table scrolls sideways on its own (its height makes room for
        # the scroll bar); the rest of the panel wraps to the dock's width.
        self.metrics_table.installEventFilter(self)
        self.dropped_label = _label(body, "droppedMetrics", wrap=True)
        self.flags_heading = _label(body, "flagsHeading", scale=1.1)
        self.flags_list = QListWidget(body)
        self.flags_list.setObjectName("flagsList")
        self.flags_list.setWordWrap(True)
        self.flags_list.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.flags_list.setFrameShape(QFrame.Shape.NoFrame)
        self.flags_list.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.flags_list.setSizeAdjustPolicy(QListWidget.SizeAdjustPolicy.AdjustToContents)
        self.flags_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.flags_list.installEventFilter(self)  # its rows wrap to its width: refit on resize

        head = QHBoxLayout()
        head.addWidget(self.score_label, 0, Qt.AlignmentFlag.AlignTop)
        side = QVBoxLayout()
        side.addWidget(self.facts_label)
        chip_row = QHBoxLayout()
        chip_row.addWidget(self.chip)
        chip_row.addWidget(self.recommended_label)
        chip_row.addStretch(1)
        side.addLayout(chip_row)
        side.addWidget(self.volume_label)
        head.addLayout(side, 1)

        layout = QVBoxLayout(body)
        layout.addWidget(self.name_label)
        layout.addWidget(self.kind_label)
        layout.addLayout(head)
        layout.addWidget(self.certainty_label)
        layout.addWidget(self.decision_label)
        layout.addWidget(self.sentence_label)
        for title, widget in (
            ("Points vs a median site", self.contribution_chart),
            ("Metrics", self.metrics_table),
        ):
            layout.addWidget(_label(body, scale=1.1, text=title))
            layout.addWidget(widget)
        layout.addWidget(self.dropped_label)
        layout.addWidget(self.flags_heading)
        layout.addWidget(self.flags_list)
        layout.addStretch(1)

        # Only down: every line wraps to the dock's width, so nothing hides past its right edge.
        scroll = QScrollArea(self)
        scroll.setObjectName("siteDetailScroll")
        scroll.setAccessibleName("Site detail")
        # Not a Tab stop (it would show no focus): Tab goes to the chart's table and the flags,
        # and the area scrolls to show them.
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(body)
        self.scroll_area = scroll
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.placeholder)
        self.stack.addWidget(scroll)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.stack)
        self.clear()

    # ------------------------------------------------------------------ public API
    def clear(self) -> None:
        self._explanation, self._override = None, None
        self.contribution_chart.clear_metrics()
        self.metrics_table.setRowCount(0)
        self.flags_list.clear()
        self.stack.setCurrentWidget(self.placeholder)

    def show_site(self, explanation: dict[str, Any], override: Override | None = None) -> None:
        """Show one ``explain_site`` result; ``override`` is the analyst's pin, if any."""
        self._explanation, self._override = explanation, override
        self._render()
        self.stack.setCurrentIndex(1)

    # ------------------------------------------------------------------ rendering
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.Resize:
            if watched is self.metrics_table:
                self._fit_table_height()
            elif watched is self.flags_list:
                self._fit_flags()
        return super().eventFilter(watched, event)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and self._explanation is not None:
            self._render()

    def _render(self) -> None:
        e = self._explanation
        if e is None:
            return
        palette = self.palette()
        name, site_id = e["display_name"], e["site_id"]
        self.name_label.setText(name)
        kind = labels.label("site_kind", e["kind"])
        self.kind_label.setText(kind if name == site_id else f"{kind} · listed as {site_id}")
        self.score_label.setText(f"{e['score']:.0f}")
        self.score_label.setToolTip(f"Score {format_number(e['score'], 1)} of 100")
        quality = str(e["quality_status"])
        q_colour = tone_colour(palette, QUALITY_TONES.get(quality, ""))
        self.facts_label.setText(
            f"{_ordinal(e['percentile'])} percentile · quality "
            f"<b style='color:{q_colour.name()}'>{labels.band(quality).lower()}</b> · "
            f"{labels.label('confidence', e['confidence']).lower()} confidence"
        )
        recommendation = str(e["recommendation"])
        if self._override is not None:
            action, reason = self._override.action, self._override.reason
            verb = labels.recommendation(action).lower()
            text = f"pinned to {verb}: {reason}" if reason else f"pinned to {verb}"
            self.chip.setText(_shorten(text))
            self.chip.setToolTip(text)
            self.chip.setStyleSheet(chip_style(palette, RECOMMENDATION_TONES[action]))
            self.recommended_label.setText(
                f"(recommended: {labels.recommendation(recommendation).lower()})"
            )
            self.recommended_label.setVisible(True)
        else:
            self.chip.setText(labels.recommendation(recommendation))
            self.chip.setToolTip("")
            self.chip.setStyleSheet(
                chip_style(palette, RECOMMENDATION_TONES.get(recommendation, ""))
            )
            self.recommended_label.setVisible(False)
        self.volume_label.setText(
            f"{format_int(_num(e['impressions']))} impressions · "
            f"{format_value(_num(e['spend']), 'money')} spend"
        )
        self._show_certainty(e)
        self.sentence_label.setText(e["top_drivers"] or "No metric moved this score.")
        used = [m for m in e["metrics"] if m["used"]]
        self.contribution_chart.set_metrics(
            [m["label"] for m in used], [m["points_vs_median"] for m in used]
        )
        self._fill_table(e)
        self._fill_flags(e["flags"])

    def _show_certainty(self, e: dict[str, Any]) -> None:
        """The score's interval, both probabilities and the rule that decided (a run stored
        before certainty has none: the lines hide)."""
        lo, hi = (_num(v) for v in e.get("score_interval") or (None, None))
        p_block, p_allow = _num(e.get("p_block")), _num(e.get("p_allow"))
        known = not (math.isnan(lo) or math.isnan(p_block))
        self.certainty_label.setVisible(known)
        self.decision_label.setVisible(bool(e.get("decision_reason")))
        if known:
            decision = e.get("decision") or {}
            need = decision.get("confidence")
            self.certainty_label.setText(
                f"90 % interval {lo:.0f}–{hi:.0f} · {format_percent(p_block)} sure to block · "
                f"{format_percent(p_allow)} sure to allow"
                + (f" (a list needs {format_percent(float(need))})" if need else "")
            )
            self.certainty_label.setToolTip(
                "How sure the score is: the interval holds the site's score with 90 % "
                "probability given its evidence; “sure to block” is the probability it is below "
                "the block cut, “sure to allow” that it is at or above the allow cut."
            )
        self.decision_label.setText(str(e.get("decision_reason") or ""))

    def _fill_table(self, e: dict[str, Any]) -> None:
        table = self.metrics_table
        metrics: list[dict[str, Any]] = e["metrics"]
        dropped: dict[str, str] = e.get("dropped_metrics", {})
        palette = self.palette()  # muted but readable: Disabled text is too faint in light themes
        muted = blend(
            palette.color(QPalette.ColorRole.Text), palette.color(QPalette.ColorRole.Base), 0.5
        )
        table.setRowCount(len(metrics))
        for row, m in enumerate(metrics):
            unit = m["unit"]
            lo, hi = (_num(v) for v in m["interval"])
            interval = (
                "—"
                if math.isnan(lo) and math.isnan(hi)
                else f"{format_value(lo, unit)} – {format_value(hi, unit)}"
            )
            arrow = DIRECTION_ARROWS.get(m["direction"] or "", "")
            cells = [
                f"{m['label']} {arrow}".strip(),
                format_value(_num(m["raw"]), unit),
                format_value(_num(m["shrunk"]), unit),
                interval,
                format_value(_num(m["median"]), unit),
                "n/a" if m["normalized"] is None else format_number(m["normalized"], 1),
                format_percent(m["weight"]) if m["used"] else "—",
                f"{format_number(m['contribution'], 1)} pts",
            ]
            if m["used"]:
                tip = f"{_signed(m['points_vs_median'])} vs a median site"
            else:
                reason = dropped.get(m["name"], UNWEIGHTED)
                cells[-1] = f"not used: {reason}"
                tip = f"{m['label']} is not used: {reason}"
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(tip)
                numeric = 0 < column < len(cells) - 1 or (m["used"] and column > 0)
                if numeric:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                if not m["used"]:
                    item.setForeground(muted)
                    font = item.font()
                    font.setItalic(True)
                    item.setFont(font)
                table.setItem(row, column, item)
        self._fit_table_height()
        shown = {m["name"] for m in metrics}
        absent = {k: v for k, v in dropped.items() if k not in shown}
        self.dropped_label.setText(
            "Not computed: " + "; ".join(f"{labels.metric(k)} ({v})" for k, v in absent.items())
            if absent
            else ""
        )
        self.dropped_label.setVisible(bool(absent))
        self.dropped_label.setStyleSheet(f"color: {muted.name()};")

    def _fill_flags(self, flags: list[dict[str, str]]) -> None:
        self.flags_list.clear()
        icon = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        for flag in flags:
            item = QListWidgetItem(icon, labels.flag_line(flag["code"], flag["evidence"]))
            item.setData(Qt.ItemDataRole.UserRole, flag["code"])
            self.flags_list.addItem(item)
        self.flags_heading.setText(f"Flags ({len(flags)})" if flags else "No red flags")
        self.flags_list.setVisible(bool(flags))
        self._fit_flags()

    def _fit_table_height(self) -> None:
        """Every row without an inner vertical scroll bar (≤ 15 metrics), plus the horizontal
        one when the columns are wider than the dock."""
        table = self.metrics_table
        height = table.horizontalHeader().sizeHint().height() + 2 * table.frameWidth()
        height += sum(table.rowHeight(r) for r in range(table.rowCount()))
        if table.horizontalHeader().length() > table.viewport().width():
            height += table.horizontalScrollBar().sizeHint().height()
        if table.height() != height:
            table.setFixedHeight(height)

    def _fit_flags(self) -> None:
        """Each flag's row as tall as its sentence wrapped to the list's width, all shown."""
        flags = self.flags_list
        metrics = flags.fontMetrics()
        icon = flags.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize, None, flags)
        room = max(flags.viewport().width() - icon - 4 * metrics.averageCharWidth(), 1)
        total = 0
        for row in range(flags.count()):
            item = flags.item(row)
            bounds = metrics.boundingRect(
                QRect(0, 0, room, 100_000), int(Qt.TextFlag.TextWordWrap), item.text()
            )
            height = max(bounds.height(), icon) + metrics.height() // 2
            item.setSizeHint(QSize(room, height))
            total += height
        flags.setFixedHeight(total + 2 * flags.frameWidth())


def _label(
    parent: QWidget,
    name: str = "",
    *,
    text: str = "",
    scale: float = 0.0,
    wrap: bool = False,
    selectable: bool = False,
) -> QLabel:
    """A label; ``scale`` makes it a bold heading relative to the user's font."""
    label = QLabel(text, parent)
    label.setObjectName(name)
    if scale:
        label.setFont(scaled_font(parent.font(), scale, bold=True))
    label.setWordWrap(wrap)
    if selectable:
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def _shorten(text: str, limit: int = 36) -> str:
    """A chip stays one line; the full text is its tooltip."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _ordinal(value: float) -> str:
    n = round(value)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _signed(points: float) -> str:
    return f"{'+' if points >= 0 else '−'}{format_number(abs(points), 1)} pts"
