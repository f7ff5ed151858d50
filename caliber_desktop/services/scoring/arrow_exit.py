"""Python objects Arrow's threads hold, let go before the interpreter exits.

The streaming CSV reader reads through a Python file object (``read_text._Paced``), so its
threads call into Python, and every block they read is a Python buffer that Arrow's thread
must take the interpreter lock to let go. A thread that does either while the interpreter is
finalising is stopped mid-call: the process aborted ("terminate called without an active
exception", "PyGILState_Release … finalizing") or hung in Arrow's thread-pool shutdown. That
was ``caliber score`` after Ctrl+C, whenever a block was still in Arrow's hands.

So each block goes to Arrow as a numpy view :func:`lent` here, counted until Arrow lets it go,
and each open reader is :func:`closing` here; at exit — before finalisation, while Arrow's
threads may still take the lock — the readers are closed (a waiting read returns the end of
the file) and the blocks are waited for, up to :data:`EXIT_WAIT` seconds.
"""

from __future__ import annotations

import atexit
import logging
import threading
import weakref
from typing import Protocol

import numpy as np
import numpy.typing as npt
import pyarrow as pa

log = logging.getLogger(__name__)

#: Seconds the exit waits for Arrow to let go of the blocks it holds.
EXIT_WAIT = 5.0


class Closable(Protocol):
    def close(self) -> None: ...


class _Ledger:
    def __init__(self) -> None:
        self.out = 0
        self.turn = threading.Condition()
        self.readers: weakref.WeakSet[Closable] = weakref.WeakSet()
        self.armed = False

    def arm(self) -> None:
        """Register the exit hook at first use. atexit runs the hooks registered last first, so
        this one runs before those the app registered at start-up (logging's flush among them)."""
        if not self.armed:
            self.armed = True
            atexit.register(settle_at_exit)

    def returned(self) -> None:
        with self.turn:
            self.out -= 1
            self.turn.notify_all()


_LEDGER = _Ledger()


def lent(buffer: pa.Buffer) -> npt.NDArray[np.uint8]:
    """``buffer`` as Arrow should get it: a view (no copy) counted until Arrow lets it go."""
    view = np.frombuffer(buffer, dtype=np.uint8)
    with _LEDGER.turn:
        _LEDGER.arm()
        _LEDGER.out += 1
    weakref.finalize(view, _LEDGER.returned).atexit = False
    return view


def closing(reader: Closable) -> None:
    """Close ``reader`` at exit if it is still open then (a window closed mid-read)."""
    with _LEDGER.turn:
        _LEDGER.arm()
        _LEDGER.readers.add(reader)


def outstanding() -> int:
    """Blocks Arrow holds now (tests)."""
    with _LEDGER.turn:
        return _LEDGER.out


def settle(timeout: float = EXIT_WAIT) -> bool:
    """Wait until Arrow holds no block :func:`lent` here; False if some outlived ``timeout``."""
    with _LEDGER.turn:
        return _LEDGER.turn.wait_for(lambda: _LEDGER.out <= 0, timeout=timeout)


def settle_at_exit() -> None:
    for reader in list(_LEDGER.readers):
        reader.close()
    if not settle():
        log.warning("Arrow still held %d read blocks %s s into the exit", outstanding(), EXIT_WAIT)
