"""Targets the child-process tests run in a spawned child (importable by name, no Qt)."""

from __future__ import annotations

import gc
import os
import time

from caliber_desktop.errors import FileRejectedError, ValidationError
from caliber_desktop.services.progress import ProgressCallback


def count_to(n: int, *, progress: ProgressCallback) -> dict[str, int]:
    """Reports each step, then answers with its own process id and how many objects the
    cyclic collector no longer walks (a child runs one job: ``progress.one_shot``)."""
    for i in range(1, n + 1):
        progress(i, n, f"step {i}")
    return {"pid": os.getpid(), "steps": n, "frozen": gc.get_freeze_count()}


def reject_file(path: str, *, progress: ProgressCallback) -> None:
    raise FileRejectedError(path, "it has no site column.", hint="Export it with the Site column.")


def reject_field(*, progress: ProgressCallback) -> None:
    raise ValidationError("Pick a goal.", field="goal", hint="Awareness or performance.")


def divide_by_zero(*, progress: ProgressCallback) -> float:
    return 1 / 0


def say_then_wait(seconds: float, *, progress: ProgressCallback) -> None:
    """Says it is running (with its pid), then sleeps: to be cancelled or killed meanwhile."""
    progress(0, 0, f"running {os.getpid()}")
    time.sleep(seconds)


def die_hard(*, progress: ProgressCallback) -> None:
    """Ends the process without an answer, as the OS killing it would."""
    progress(0, 0, "about to die")
    os._exit(9)
