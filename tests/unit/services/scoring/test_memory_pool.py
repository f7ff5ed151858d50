"""Scoring asks Arrow for a pool that hands freed memory back (Linux), unless told otherwise.

Run in fresh interpreters: the pool is chosen once per process, and these tests must not change
the pool of the test process itself.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest

SCORE_AND_SAY_POOL = """
import sys
from pathlib import Path
import pyarrow as pa
from caliber_desktop.models.enums import Goal
from caliber_desktop.services.scoring.engine import ScoreRequest, score_file
before = pa.default_memory_pool().backend_name
score_file(Path(sys.argv[1]), ScoreRequest(goal=Goal.AWARENESS))
print(before, pa.default_memory_pool().backend_name)
"""


def _pools(report: Path, **env: str) -> list[str]:
    clean = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    done = subprocess.run(
        [sys.executable, "-c", SCORE_AND_SAY_POOL, str(report)],
        capture_output=True,
        text=True,
        env=clean | env,
        check=True,
    )
    return done.stdout.split()


def _has_jemalloc() -> bool:
    try:
        pa.jemalloc_memory_pool()
    except NotImplementedError:
        return False
    return True


@pytest.mark.skipif(
    not (sys.platform.startswith("linux") and _has_jemalloc()), reason="jemalloc pool: Linux"
)
def test_scoring_switches_to_jemalloc_on_linux(shared_data: Path) -> None:
    before, after = _pools(shared_data / "ttd_display_awareness_sample.csv")
    assert before == "mimalloc"  # pyarrow's default, kept until scoring begins
    assert after == "jemalloc"


def test_a_pool_named_in_the_environment_is_kept(shared_data: Path) -> None:
    before, after = _pools(
        shared_data / "ttd_display_awareness_sample.csv", ARROW_DEFAULT_MEMORY_POOL="system"
    )
    assert before == after == "system"


def test_memory_is_released_with_a_collection_on_the_main_thread_only() -> None:
    """The command line and the scoring child score on their main thread and collect there;
    the window's pool workers must not collect (Qt objects die on the GUI thread only)."""
    import gc
    import threading

    from caliber_desktop.services.scoring.engine import release_memory

    threads: list[str] = []

    def record(phase: str, info: dict[str, object]) -> None:
        if phase == "start":
            threads.append(threading.current_thread().name)

    gc.callbacks.append(record)
    gc.disable()  # only the collections release_memory asks for
    try:
        worker = threading.Thread(target=release_memory, name="pool worker")
        worker.start()
        worker.join()
        release_memory()
    finally:
        gc.enable()
        gc.callbacks.remove(record)
    assert threads == [threading.main_thread().name]
