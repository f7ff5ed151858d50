"""Settings › AI assistant: endpoint, model, limits and cache (the key is in its own group).

Edits the ``AISettings`` section like the dialog's other groups: it only reports what is wrong
(:meth:`AISettingsBox.problem`, shown inline and disabling OK) and hands back an updated copy
(:meth:`AISettingsBox.result`); the dialog validates the whole document and the window saves it.
"""

from __future__ import annotations

from PySide6.QtCore import QUrl, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from caliber_desktop.config import AISettings
from caliber_desktop.ui.shared.forms import FieldError

#: Offered in the model combo (any other name can be typed: endpoints name models their way).
SUGGESTED_MODELS = ("gpt-4o-mini", "gpt-4o", "gpt-4.1-mini", "gpt-4.1")
BASE_URL_HINT = (
    "Leave empty for OpenAI. Any OpenAI-compatible endpoint works: Azure OpenAI, a proxy, "
    "a local server such as http://localhost:11434/v1."
)


def base_url_problem(text: str) -> str | None:
    """Why ``text`` is not a usable endpoint address (empty is fine: OpenAI itself)."""
    if not text:
        return None
    url = QUrl(text, QUrl.ParsingMode.StrictMode)
    if not url.isValid() or url.scheme() not in ("http", "https") or not url.host():
        return "The base URL is a web address starting with https:// (or http:// for a local one)."
    return None


class AISettingsBox(QGroupBox):
    """The "AI assistant" group; emits :attr:`changed` on every edit so the dialog revalidates."""

    changed = Signal()

    def __init__(self, settings: AISettings, parent: QWidget | None = None) -> None:
        super().__init__("AI assistant", parent)
        self.setObjectName("aiSettingsBox")
        self._settings = settings

        self.base_url = QLineEdit(settings.base_url, self)
        self.base_url.setObjectName("aiBaseUrl")
        self.base_url.setPlaceholderText("Empty: OpenAI (https://api.openai.com/v1)")
        self.base_url.setClearButtonEnabled(True)
        self.base_url_hint = QLabel(BASE_URL_HINT, self)
        self.base_url_hint.setWordWrap(True)
        self.base_url_hint.setEnabled(False)  # the quiet, secondary colour of the palette
        self.base_url_error = FieldError(self)
        self.base_url_error.setObjectName("aiBaseUrlError")
        self.model = QComboBox(self)
        self.model.setObjectName("aiModel")
        self.model.setEditable(True)
        self.model.addItems(SUGGESTED_MODELS)
        self.model.setCurrentText(settings.model)
        self.model_error = FieldError(self)
        self.model_error.setObjectName("aiModelError")
        self.max_tokens = self._spin("aiMaxTokens", 16, 32_000, settings.max_tokens)
        self.max_tokens.setSingleStep(100)
        self.max_tokens.setToolTip("The longest answer the model may write, in tokens.")
        self.temperature = QDoubleSpinBox(self)
        self.temperature.setObjectName("aiTemperature")
        self.temperature.setRange(0.0, 2.0)
        self.temperature.setDecimals(2)
        self.temperature.setSingleStep(0.1)
        self.temperature.setValue(settings.temperature)
        self.temperature.setToolTip("Lower is more factual and repeatable; higher, more varied.")
        self.timeout = self._spin("aiTimeout", 1, 600, round(settings.timeout_s), " s")
        self.timeout.setToolTip("How long one request may take before it is abandoned.")
        self.retries = self._spin("aiRetries", 0, 10, settings.max_retries)
        self.retries.setToolTip("Retries on rate limits, server errors and dropped connections.")
        self.cache_enabled = QCheckBox("Reuse insights for", self)
        self.cache_enabled.setObjectName("aiCacheEnabled")
        self.cache_enabled.setChecked(settings.cache_enabled)
        self.cache_ttl = self._spin(
            "aiCacheTtl", 0, 30 * 24 * 60, round(settings.cache_ttl_s / 60), " min"
        )
        self.cache_ttl.setToolTip(
            "An insight asked again for the same campaign, type and numbers within this time is "
            "shown from the store instead of asking the model again."
        )
        self.per_minute = self._spin("aiPerMinute", 1, 10_000, settings.requests_per_minute)
        self.per_hour = self._spin("aiPerHour", 1, 100_000, settings.requests_per_hour)
        # Spin boxes inside a sentence: a screen reader needs the sentence's words as names.
        self.cache_ttl.setAccessibleName("Reuse insights for (minutes)")
        self.per_minute.setAccessibleName("AI requests a minute")
        self.per_hour.setAccessibleName("AI requests an hour")
        self.limits_error = FieldError(self)
        self.limits_error.setObjectName("aiLimitsError")

        cache_row = QHBoxLayout()
        cache_row.addWidget(self.cache_enabled)
        cache_row.addWidget(self.cache_ttl)
        cache_row.addStretch(1)
        limits_row = QHBoxLayout()
        limits_row.addWidget(self.per_minute)
        limits_row.addWidget(QLabel("a minute,", self))
        limits_row.addWidget(self.per_hour)
        limits_row.addWidget(QLabel("an hour", self))
        limits_row.addStretch(1)
        form = QFormLayout(self)
        form.addRow("Base URL:", self.base_url)
        form.addRow("", self.base_url_hint)
        form.addRow("", self.base_url_error)
        form.addRow("Model:", self.model)
        form.addRow("", self.model_error)
        form.addRow("Longest answer:", self.max_tokens)
        form.addRow("Temperature:", self.temperature)
        form.addRow("Request timeout:", self.timeout)
        form.addRow("Retries:", self.retries)
        form.addRow("Cache:", cache_row)
        form.addRow("Requests at most:", limits_row)
        form.addRow("", self.limits_error)

        self.base_url.textChanged.connect(self.changed)
        self.model.editTextChanged.connect(self.changed)
        self.per_minute.valueChanged.connect(self.changed)
        self.per_hour.valueChanged.connect(self.changed)
        self.cache_enabled.toggled.connect(self._on_cache_toggled)
        self._on_cache_toggled(settings.cache_enabled)

    def _spin(self, name: str, low: int, high: int, value: int, suffix: str = "") -> QSpinBox:
        box = QSpinBox(self)
        box.setObjectName(name)
        box.setRange(low, high)
        box.setGroupSeparatorShown(True)
        box.setValue(value)
        if suffix:
            box.setSuffix(suffix)
        return box

    @Slot(bool)
    def _on_cache_toggled(self, enabled: bool) -> None:
        self.cache_ttl.setEnabled(enabled)

    # ------------------------------------------------------------------ validation
    def problem(self) -> tuple[str, str] | None:
        """(field, reason) for the first value that would make the section invalid."""
        found = base_url_problem(self.base_url.text().strip())
        if found:
            return "ai.base_url", found
        model = self.model.currentText().strip()
        if not model or any(ch.isspace() for ch in model):
            return "ai.model", "Name the model without spaces, like gpt-4o-mini."
        if self.per_hour.value() < self.per_minute.value():
            return (
                "ai.requests_per_hour",
                "The hourly limit must be at least the per-minute limit.",
            )
        return None

    def show_problem(self, found: tuple[str, str] | None) -> None:
        field, reason = found if found else ("", "")
        self.base_url_error.show_message(reason if field == "ai.base_url" else None)
        self.model_error.show_message(reason if field == "ai.model" else None)
        self.limits_error.show_message(reason if field == "ai.requests_per_hour" else None)

    def result(self) -> AISettings:
        """An unvalidated copy of the section with this group's values (the dialog validates)."""
        return self._settings.model_copy(
            update={
                "base_url": self.base_url.text().strip().rstrip("/"),
                "model": self.model.currentText().strip(),
                "max_tokens": self.max_tokens.value(),
                "temperature": round(self.temperature.value(), 2),
                "timeout_s": float(self.timeout.value()),
                "max_retries": self.retries.value(),
                "cache_enabled": self.cache_enabled.isChecked(),
                "cache_ttl_s": self.cache_ttl.value() * 60,
                "requests_per_minute": self.per_minute.value(),
                "requests_per_hour": self.per_hour.value(),
            }
        )
