"""Panels in docks that may sit behind another tab load their data only once they are seen."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtGui import QShowEvent


class ReloadsWhenShown:
    """Mixin for a ``QWidget`` panel (list it first: ``class P(ReloadsWhenShown, QWidget)``).

    The panel sets ``self._stale = True`` when what it shows is out of date and implements
    ``reload()``, which starts the job and clears the flag. A panel may veto a reload for now
    with :meth:`_can_reload` (e.g. while a reply is streaming in).
    """

    _stale: bool = False

    def reload(self) -> None:
        raise NotImplementedError

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt override)
        parent: Any = super()
        parent.showEvent(event)
        # A tabbed-away dock is shown for a moment while the window first lays out: load
        # only if the panel is still visible once the event loop has settled.
        QTimer.singleShot(0, self, self._load_if_shown)  # type: ignore[call-overload]

    def _really_shown(self) -> bool:
        """Visible now: a dock tabbed behind another is hidden once the window has laid out."""
        widget: Any = self
        return bool(widget.isVisible())

    def _can_reload(self) -> bool:
        return True

    def _load_if_shown(self) -> None:
        if self._stale and self._can_reload() and self._really_shown():
            self.reload()
