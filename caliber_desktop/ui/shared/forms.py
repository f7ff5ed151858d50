"""Pieces every Caliber form dialog shares: inline field errors, the settings combos, job helpers.

:class:`FieldError` is the message shown under a field; :class:`SettingsEditor` is the five
campaign settings as combos (template manager and new-campaign dialog). (``Rejected``, a
service's ``ValidationError`` carried back from a worker as a value, lives in
:mod:`caliber_desktop.workers.base`, beside the job factories that return it.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import shiboken6
from PySide6.QtCore import QEvent, QObject, Qt, Signal, Slot
from PySide6.QtGui import QPalette, QStandardItemModel
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QFormLayout, QLabel, QWidget

from caliber_desktop.errors import ValidationError
from caliber_desktop.models import labels
from caliber_desktop.models.enums import AnalysisLevel, CampaignStatus, Channel, Goal, Platform
from caliber_desktop.services.records import SETTING_FIELDS, CampaignSettings
from caliber_desktop.ui.shared.campaign_models import status_color

#: The spin box value (percent) that means "use the default in Settings" where one is offered.
CONFIDENCE_DEFAULT = 49.0


def confidence_box(
    parent: QWidget, value: float | None, *, default_text: str | None = None
) -> QDoubleSpinBox:
    """A decision confidence as a percentage (50–99 %).

    With ``default_text`` the value below 50 stands for "no value of its own": the box shows
    that text and :func:`confidence_value` gives None.
    """
    box = QDoubleSpinBox(parent)
    box.setObjectName("decisionConfidence")
    box.setDecimals(0)
    box.setSuffix(" %")
    box.setSingleStep(1.0)
    box.setRange(CONFIDENCE_DEFAULT if default_text else 50.0, 99.0)
    if default_text:
        box.setSpecialValueText(default_text)
    box.setValue(CONFIDENCE_DEFAULT if value is None else round(value * 100.0))
    box.setToolTip(
        "A site goes on the allow or block list when the probability that it belongs there "
        "reaches this. Higher: shorter, surer lists; lower: longer lists with more mistakes."
    )
    return box


def confidence_value(box: QDoubleSpinBox) -> float | None:
    """The box's confidence as a share (0.9), or None when it shows the default."""
    value = box.value()
    return None if value <= CONFIDENCE_DEFAULT else round(value / 100.0, 4)


def fit_height(window: QWidget) -> None:
    """Grow ``window`` to fit wrapped text that just appeared.

    Top-level windows do not follow a layout's height-for-width (wrapped labels), so a message
    shown inline would be clipped; only grows, so a size the analyst chose is kept otherwise.
    """
    layout = window.layout()
    if layout is None or not window.isVisible():
        return
    layout.activate()
    width = window.width()
    need = (
        layout.totalHeightForWidth(width)
        if layout.hasHeightForWidth()
        else layout.totalMinimumSize().height()
    )
    if window.height() < need:
        window.resize(width, need)


class FieldError(QLabel):
    """A message under a field, in an error colour that follows light and dark palettes."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._recolor()
        self.hide()

    def show_message(self, text: str | None) -> None:
        if text == (self.text() if self.isVisibleTo(self.window()) else None):
            return
        self.setText(text or "")
        self.setVisible(bool(text))
        fit_height(self.window())

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.PaletteChange:
            self._recolor()
        super().changeEvent(event)

    def _recolor(self) -> None:
        color = status_color(CampaignStatus.FAILED, self.palette())
        if self.palette().color(QPalette.ColorRole.WindowText) != color:
            palette = self.palette()
            palette.setColor(QPalette.ColorRole.WindowText, color)
            self.setPalette(palette)


def alive(widget: QWidget) -> bool:
    """A job's callback may arrive after its dialog was closed and deleted."""
    return shiboken6.isValid(widget)


#: Combo labels for each setting, in the order offered (the words are the labels table's).
CHOICES: dict[str, tuple[tuple[str, object], ...]] = {
    "platform": tuple((labels.platform(p), p.value) for p in Platform),
    "goal": tuple((labels.goal(g), g.value) for g in Goal),
    "channel": tuple((labels.channel(c), c.value) for c in Channel),
    "ctr_sensitivity": tuple((labels.ctr_sensitivity(v), v) for v in (False, True)),
    "analysis_level": tuple((labels.level(a), a.value) for a in AnalysisLevel),
}
LABELS = {name: f"{labels.setting(name)}:" for name in SETTING_FIELDS}
NOUNS = {name: labels.in_sentence(labels.setting(name)) for name in SETTING_FIELDS}
#: Channels PulsePoint has no profile for (the service refuses them too).
PULSEPOINT_ONLY_NOT = {Channel.CTV.value, Channel.AUDIO.value}


class SettingsEditor(QObject):
    """The five campaign settings as combos that start unchosen: all five are required.

    It adds its rows to the caller's form so the labels line up with the dialog's other fields.
    """

    changed = Signal()

    def __init__(self, form: QFormLayout, owner: QWidget) -> None:
        super().__init__(owner)
        self.combos: dict[str, QComboBox] = {}
        for name in SETTING_FIELDS:
            combo = QComboBox(owner)
            combo.setObjectName(f"{name}Combo")
            combo.setPlaceholderText("Choose…")
            for label, value in CHOICES[name]:
                combo.addItem(label, value)
            combo.setCurrentIndex(-1)
            combo.currentIndexChanged.connect(self._on_changed)
            form.addRow(LABELS[name], combo)
            self.combos[name] = combo
        self.error = FieldError(owner)
        self.error.setObjectName("settingsError")
        form.addRow("", self.error)

    def values(self) -> dict[str, Any]:
        return {name: combo.currentData() for name, combo in self.combos.items()}

    def set_settings(self, settings: CampaignSettings | None) -> None:
        values: Mapping[str, Any] = settings.as_dict() if settings is not None else {}
        for name, combo in self.combos.items():
            combo.setCurrentIndex(combo.findData(values[name]) if name in values else -1)

    def set_enabled(self, enabled: bool) -> None:
        for combo in self.combos.values():
            combo.setEnabled(enabled)

    def check(self) -> tuple[CampaignSettings | None, str | None]:
        """The settings, or why not: a conflict in the service's words (shown inline too)."""
        values = self.values()
        # Probe the chosen values with the unchosen ones filled in, so a conflict such as
        # PulsePoint + CTV shows as soon as both are picked, not only once all five are.
        probe = {k: CHOICES[k][0][1] if v is None else v for k, v in values.items()}
        try:
            settings = CampaignSettings.from_mapping(probe)
        except ValidationError as exc:
            self.error.show_message(str(exc))
            return None, str(exc)
        self.error.show_message(None)
        missing = [NOUNS[name] for name, value in values.items() if value is None]
        if missing:
            listed = ", ".join(missing[:-1]) + (" and " if len(missing) > 1 else "") + missing[-1]
            return None, f"Choose the {listed}."
        return settings, None

    @Slot()
    def _on_changed(self) -> None:
        """PulsePoint has no CTV or audio profile: grey those channels out while it is chosen."""
        pulsepoint = self.combos["platform"].currentData() == Platform.PULSEPOINT.value
        channels = self.combos["channel"]
        model = channels.model()
        if isinstance(model, QStandardItemModel):
            for row in range(channels.count()):
                item = model.item(row)
                if item is not None:
                    value = item.data(Qt.ItemDataRole.UserRole)
                    item.setEnabled(not (pulsepoint and value in PULSEPOINT_ONLY_NOT))
        self.changed.emit()
