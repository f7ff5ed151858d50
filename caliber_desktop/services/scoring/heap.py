"""Handing freed heap memory back to the operating system, between the stages of a big job.

glibc keeps the memory numpy frees for reuse by later ``malloc`` calls, but Python's small
objects (the strings of a run's sentences, names and reasons) come from their own ``mmap``-ed
arenas and never reuse it. A stage that frees 100k-row arrays and then makes 100k strings thus
holds both: measured at 1M rows, explaining the scores sat ~20 MB above the freed working
frames until those were trimmed.
"""

from __future__ import annotations

import contextlib
import ctypes
import sys


def trim_heap() -> None:
    """Return the C heap's free pages to the OS (glibc's ``malloc_trim``; ~1 ms).

    Linux with glibc only: musl, macOS and Windows have no such call and keep their own
    policies, so elsewhere this does nothing.
    """
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None).malloc_trim(0)
