"""The AI assistant's line in the status bar: configured or not, which model, what is left.

The status is computed on a worker because it reads the OS keyring (a locked keyring can block
for as long as the unlock prompt is open) and the rate-limit counters in the store. The widget
is a flat button: clicking it opens Settings, where the key and the endpoint are set.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, Qt, Signal, Slot
from PySide6.QtWidgets import QSizePolicy, QToolButton, QWidget

from caliber_desktop.ui.shared.forms import alive
from caliber_desktop.ui.shared.tones import tone_colour
from caliber_desktop.workers.ai import status_job
from caliber_desktop.workers.base import ErrorInfo

if TYPE_CHECKING:
    from caliber_desktop.services.workspace import Workspace
    from caliber_desktop.workers.registry import WorkerRegistry

CHECKING = "AI: checking…"


def status_tooltip(status: Any) -> str:
    """Every field of an ``AIStatus``, one per line, for the hover text."""
    lines = [status.summary()]
    endpoint = status.endpoint or "OpenAI"
    lines.append(f"Endpoint: {endpoint}")
    lines.append(f"Model: {status.model}")
    lines.append(f"API key: {status.key_source or 'none'}")
    if status.configured:
        lines.append(
            f"Requests left: {status.remaining_per_minute} this minute, "
            f"{status.remaining_per_hour} this hour"
        )
    else:
        lines.append("Without a key, insights are built offline from the statistics.")
    if status.problem:
        lines.append(status.problem)
    lines.append("Click to open Settings.")
    return "\n".join(lines)


class AIStatusWidget(QToolButton):
    """Shows ``AIStatus.summary()``; call :meth:`refresh` after anything that may change it."""

    #: the analyst clicked the status: open Settings
    settings_requested = Signal()
    #: a fresh ``AIStatus`` arrived (tests and the panels listen)
    status_changed = Signal(object)

    def __init__(
        self, workspace: Workspace, registry: WorkerRegistry, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("aiStatus")
        self.workspace = workspace
        self.registry = registry
        self.status: Any = None
        self.setAutoRaise(True)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.setText(CHECKING)
        self.setToolTip("Checking whether the AI assistant is set up…")
        self.clicked.connect(self.settings_requested)

    @Slot()
    def refresh(self) -> None:
        """Recompute on a worker; a newer refresh supersedes one still running."""
        self.registry.start(
            status_job(self.workspace.ai),
            key="ai-status",
            on_result=self._on_status,
            on_error=self._on_failed,
        )

    def _on_status(self, status: object) -> None:
        if not alive(self) or not hasattr(status, "summary"):
            return
        self.status = status
        self.setText(str(status.summary()))
        self.setToolTip(status_tooltip(status))
        self._recolor()
        self.status_changed.emit(status)

    def _on_failed(self, info: ErrorInfo) -> None:
        if not alive(self):
            return
        self.status = None
        self.setText("AI: status unknown")
        self.setToolTip(info.message)
        self._recolor()

    def _recolor(self) -> None:
        """Warn tone for a problem; the default text colour otherwise (light and dark alike)."""
        status = self.status
        problem = status is None or bool(getattr(status, "problem", None))
        sheet = ""
        if problem:
            colour = tone_colour(self.palette(), "warn").name()
            sheet = f"QToolButton {{ color: {colour}; }}"
        if self.styleSheet() != sheet:  # a style sheet change is itself a palette change
            self.setStyleSheet(sheet)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.PaletteChange and self.text() != CHECKING:
            self._recolor()
        super().changeEvent(event)
