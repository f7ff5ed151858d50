"""The child-process supervisor (workers/child.py) with real spawned children: progress comes
through, errors cross typed, cancel stops the child at once, a dead child is an error, never a
hang. The scoring job on top of it is tested in tests/gui/mainwindow/test_gui_scoring_child.py."""

from __future__ import annotations

import gc
import os
import threading
import time

import child_process_targets as targets
import pytest

from caliber_desktop.errors import CaliberError, FileRejectedError, ValidationError
from caliber_desktop.services.progress import Cancelled, CancelToken
from caliber_desktop.workers.child import ChildBugError, ChildDiedError, run_in_child


def died(code: int | None) -> ChildDiedError:
    return ChildDiedError("report.csv could not be scored.", child_exit_code=code)


def test_progress_and_the_result_come_back_from_another_process() -> None:
    seen: list[tuple[int, int, str]] = []
    pids: list[int] = []
    answer = run_in_child(
        targets.count_to,
        (3,),
        progress=lambda d, t, m: seen.append((d, t, m)),
        cancel=CancelToken(),
        died=died,
        started=pids.append,
    )
    assert seen == [(1, 3, "step 1"), (2, 3, "step 2"), (3, 3, "step 3")]
    assert answer["steps"] == 3
    assert answer["pid"] == pids[0] != os.getpid()
    assert answer["frozen"] > 0  # the child's objects are out of the collector's way
    assert gc.get_freeze_count() == 0  # and this process's are not


def test_a_rejected_file_crosses_as_the_same_typed_error() -> None:
    with pytest.raises(FileRejectedError) as raised:
        run_in_child(
            targets.reject_file,
            ("weather.csv",),
            progress=lambda *_: None,
            cancel=CancelToken(),
            died=died,
        )
    here = FileRejectedError(
        "weather.csv", "it has no site column.", hint="Export it with the Site column."
    )
    error = raised.value
    assert type(error) is FileRejectedError
    assert str(error) == str(here)
    assert (error.path, error.reason, error.hint, error.message) == (
        here.path, here.reason, here.hint, here.message,
    )  # fmt: skip


def test_a_validation_error_keeps_its_field() -> None:
    with pytest.raises(ValidationError) as raised:
        run_in_child(
            targets.reject_field, (), progress=lambda *_: None, cancel=CancelToken(), died=died
        )
    assert raised.value.field == "goal"
    assert str(raised.value) == "Pick a goal. Awareness or performance."


def test_a_bug_in_the_child_is_a_bug_with_the_child_traceback() -> None:
    with pytest.raises(ChildBugError, match="ZeroDivisionError: division by zero") as raised:
        run_in_child(
            targets.divide_by_zero, (), progress=lambda *_: None, cancel=CancelToken(), died=died
        )
    assert not isinstance(raised.value, CaliberError)
    assert "return 1 / 0" in raised.value.child_traceback


def test_cancel_stops_a_busy_child_at_once() -> None:
    token = CancelToken()
    pids: list[int] = []

    def cancel_when_running(_done: int, _total: int, message: str) -> None:
        if message.startswith("running"):
            threading.Timer(0.2, token.cancel).start()

    started = time.monotonic()
    with pytest.raises(Cancelled):
        run_in_child(
            targets.say_then_wait,
            (60.0,),
            progress=cancel_when_running,
            cancel=token,
            died=died,
            started=pids.append,
        )
    assert time.monotonic() - started < 30  # not the child's 60 s
    assert not _alive(pids[0])


def test_a_child_that_dies_without_an_answer_is_the_callers_error() -> None:
    with pytest.raises(ChildDiedError, match=r"report\.csv could not be scored") as raised:
        run_in_child(
            targets.die_hard, (), progress=lambda *_: None, cancel=CancelToken(), died=died
        )
    assert raised.value.child_exit_code == 9


def _alive(pid: int) -> bool:
    """Whether ``pid`` still runs (the supervisor has reaped it, so a gone one is gone)."""
    if os.name == "nt":
        import subprocess

        tasks = subprocess.run(
            ["tasklist", "/FI", f"PID eq {pid}"], capture_output=True, text=True, check=False
        )
        return str(pid) in tasks.stdout
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
