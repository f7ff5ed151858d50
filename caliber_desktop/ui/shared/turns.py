"""Work on the GUI thread split into steps, each painted before the next one runs."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget

#: How long a step waits for the window to paint the last one before it runs anyway (a step
#: that changed nothing on screen is not painted).
PAINT_WAIT_MS = 40


class Turns(QObject):
    """Steps run one at a time, the window painting each before the next.

    Showing a 100k-site run is a few steps of 5–20 ms of the GUI thread each (the page, the
    results table, the lists panel), and each is followed by a paint of about as long: in one
    turn they held the window 45–70 ms (``bench/bench_gui_responsiveness.py``). The first step
    runs at once; each later one right after the window's next paint (its ``UpdateRequest``,
    which Qt 6 sends a few ms after the change, later than a zero-interval timer would fire), or
    after :data:`PAINT_WAIT_MS` if nothing was painted. :meth:`run` drops the steps still
    waiting: they belonged to what is no longer to be shown.
    """

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self._steps: deque[Callable[[], object]] = deque()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._next)
        window.installEventFilter(self)

    def run(self, steps: Iterable[Callable[[], object]]) -> None:
        """The first step now, each other after the paint of the one before (replacing any
        still waiting)."""
        self._steps = deque(steps)
        self._timer.stop()
        self._next()

    def finish(self) -> None:
        """The waiting steps now, in order (what follows needs them done)."""
        self._timer.stop()
        while self._steps:
            self._steps.popleft()()

    def cancel(self) -> None:
        """Drop the waiting steps."""
        self._timer.stop()
        self._steps.clear()

    def pending(self) -> bool:
        return bool(self._steps)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if self._steps and event.type() == QEvent.Type.UpdateRequest:
            self._timer.start(0)  # fires once this paint is done: the next step
        return False

    def _next(self) -> None:
        if not self._steps:
            return
        step = self._steps.popleft()
        if self._steps:
            self._timer.start(PAINT_WAIT_MS)  # armed first: a step that fails leaves the rest
        step()
