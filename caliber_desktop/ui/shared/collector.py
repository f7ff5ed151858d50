"""The cyclic garbage collector runs on the GUI thread only, off a timer.

Python collects cycles on whichever thread happens to allocate. In the window that is often a
worker (scoring a report in-process, an export, the assistant), and a cycle holding Qt wrappers
is then destroyed off the GUI thread: PySide hands the C++ deletion to the GUI thread while the
worker, inside another ``~QObject``, waits for the interpreter lock. Both hold what the other
waits for — Qt's signal-slot mutex and the lock — and the window froze for good (seen in the GUI
tests: a worker's ``gc.collect()`` against the GUI thread deleting a closed menu).

So the window process turns automatic collection off and collects here, on the GUI thread,
when CPython would have: each generation once its count passes its threshold (the well-known
recipe of pyqtgraph's ``GarbageCollector``, after Erik Janssens). Workers never collect
(:func:`~caliber_desktop.services.scoring.engine.release_memory` collects only on the main
thread). The command line and the scoring child have no Qt objects and keep Python's collector.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

#: How often the GUI thread looks at the collector's counts (milliseconds). Often enough that
#: a young generation collected here stays small: with a worker scoring 200k rows in-process,
#: the longest one took ~15 ms at 1 s and 6–15 ms at 100–200 ms, and the window's longest stall
#: stayed that of the run before (bench/bench_gui_responsiveness.py --modes thread).
INTERVAL_MS = 200


class GuiThreadCollector(QObject):
    """Automatic collection off for the process; the generations collected on a timer here."""

    def __init__(self, parent: QObject, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self.thresholds = gc.get_threshold()
        self.collections = [0, 0, 0]  # per generation, for tests and logs
        self._was_enabled = gc.isenabled()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.check)
        self._timer.start()

    def check(self) -> None:
        """Collect the generations CPython would have collected by now, youngest first."""
        counts = gc.get_count()
        for generation in range(3):
            if counts[generation] <= self.thresholds[generation]:
                return
            gc.collect(generation)
            self.collections[generation] += 1

    def stop(self) -> None:
        """Collect what is left and hand collection back to Python (tests, shutdown)."""
        self._timer.stop()
        gc.collect()
        if self._was_enabled:
            gc.enable()
