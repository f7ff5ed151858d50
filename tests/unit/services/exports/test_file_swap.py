"""A set of files replaces the previous set all together or not at all, with Windows' locks.

The locks are emulated (:mod:`support.windows_locks`): a file "open in Excel" cannot be opened for
writing, moved or replaced, exactly the calls Windows refuses.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

import pytest
from support.windows_locks import WindowsLocks

from caliber_desktop.errors import ValidationError
from caliber_desktop.services.exports.file_swap import (
    STAGING_PREFIX,
    Staging,
    check_targets,
    locked_error,
)

NAMES = ("a.csv", "b.csv", "c.xlsx", "d.txt", "e.json")


@pytest.fixture
def windows(monkeypatch: pytest.MonkeyPatch) -> WindowsLocks:
    return WindowsLocks(monkeypatch)


def previous_export(folder: Path, names: tuple[str, ...] = NAMES) -> dict[str, bytes]:
    """A folder holding an older export of ``names`` plus an unrelated file of the analyst's."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "my notes.docx").write_bytes(b"not Caliber's")
    for name in names:
        (folder / name).write_bytes(f"old {name}".encode())
    return contents(folder)


def contents(folder: Path) -> dict[str, bytes]:
    """Every entry of ``folder`` (hidden ones too) with its bytes; a folder maps to b"<dir>"."""
    return {p.name: (b"<dir>" if p.is_dir() else p.read_bytes()) for p in sorted(folder.iterdir())}


def export_five(folder: Path) -> list[Path]:
    with Staging(folder) as staging:
        staged = staging.folder()
        for name in NAMES:
            (staged / name).write_bytes(f"new {name}".encode())
        return staging.commit_folder()


def assert_unchanged(folder: Path, before: dict[str, bytes]) -> None:
    after = contents(folder)
    assert after == before  # old bytes, no new file, no leftover .caliber-export-* folder
    assert not [name for name in after if name.startswith(STAGING_PREFIX)]


def test_every_file_is_replaced_and_nothing_is_left_behind(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    previous_export(folder, NAMES[:3])
    written = export_five(folder)
    assert [p.name for p in written] == list(NAMES)
    assert contents(folder) == {
        "my notes.docx": b"not Caliber's",
        **{name: f"new {name}".encode() for name in NAMES},
    }


def test_a_new_folder_is_renamed_into_place(tmp_path: Path) -> None:
    folder = tmp_path / "fresh" / "out"
    export_five(folder)
    assert sorted(p.name for p in folder.iterdir()) == sorted(NAMES)
    assert [p.name for p in folder.parent.iterdir()] == ["out"]


def test_the_3rd_of_5_open_in_excel_changes_nothing(tmp_path: Path, windows: WindowsLocks) -> None:
    folder = tmp_path / "out"
    before = previous_export(folder, ("a.csv", "b.csv", "c.xlsx", "e.json"))  # d.txt is new
    windows.lock(folder / "c.xlsx")
    with pytest.raises(ValidationError) as failed:
        export_five(folder)
    message = str(failed.value)
    assert "Close c.xlsx in Excel (or any app that has it open)" in message
    assert str(folder / "c.xlsx") in message
    assert "bug" not in message
    assert_unchanged(folder, before)


def test_a_failure_placing_the_3rd_of_5_puts_every_old_file_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check passed, then Windows refused the 3rd rename (an antivirus scan, a sync client)."""
    folder = tmp_path / "out"
    before = previous_export(folder, ("a.csv", "b.csv", "c.xlsx", "e.json"))
    real = os.replace
    third = folder / "c.xlsx"
    refused: list[Path] = []

    def refuse_the_third(src: Any, dst: Any) -> None:
        if Path(dst) == third and not refused:  # once: moving the old one back works
            refused.append(Path(src))
            raise PermissionError(13, "Access is denied", str(dst))
        real(src, dst)

    monkeypatch.setattr(os, "replace", refuse_the_third)
    with pytest.raises(ValidationError, match=r"Close c\.xlsx"):
        export_five(folder)
    assert STAGING_PREFIX in str(refused[0])  # the new file was refused, not the old one
    assert_unchanged(folder, before)


def test_a_failed_rollback_keeps_the_old_file_and_says_where(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "out"
    previous_export(folder, ("a.csv", "b.csv", "c.xlsx"))
    real = os.replace

    def place_fails_and_restore_fails(src: Any, dst: Any) -> None:
        if Path(dst) == folder / "c.xlsx":  # placing the new one, then putting the old one back
            raise PermissionError(13, "Access is denied", str(dst))
        real(src, dst)

    monkeypatch.setattr(os, "replace", place_fails_and_restore_fails)
    with pytest.raises(ValidationError) as failed:
        export_five(folder)
    message = str(failed.value)
    (kept,) = folder.glob(f"{STAGING_PREFIX}*/backup/c.xlsx")
    assert kept.read_bytes() == b"old c.xlsx"
    assert str(kept) in message
    assert (folder / "a.csv").read_bytes() == b"old a.csv"  # the others are back
    assert not (folder / "d.txt").exists()


def test_a_locked_target_is_found_before_anything_is_written(
    tmp_path: Path, windows: WindowsLocks
) -> None:
    folder = tmp_path / "out"
    before = previous_export(folder)
    windows.lock(folder / "b.csv")
    with pytest.raises(ValidationError, match=r"Close b\.csv"):
        check_targets(folder, NAMES)
    check_targets(folder, ("a.csv", "new.csv"))  # the others are fine
    check_targets(tmp_path / "not" / "yet", NAMES)  # a folder that can be created
    assert_unchanged(folder, before)
    assert not (tmp_path / "not").exists()


def test_a_read_only_folder_is_named(tmp_path: Path, windows: WindowsLocks) -> None:
    folder = tmp_path / "share"
    before = previous_export(folder)
    windows.make_read_only(folder)
    for attempt in (lambda: check_targets(folder, NAMES), lambda: export_five(folder)):
        with pytest.raises(ValidationError) as failed:
            attempt()
        message = str(failed.value)
        assert f"Cannot write to the folder {folder}" in message
        assert "Choose a folder you can write to" in message
    assert_unchanged(folder, before)


def test_a_full_disk_while_writing_is_a_clear_message(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    before = previous_export(folder)
    with pytest.raises(ValidationError) as failed, Staging(folder) as staging:
        raise OSError(errno.ENOSPC, "No space left on device", str(staging.folder() / "a.csv"))
    message = str(failed.value)
    assert f"The disk holding {folder} is full" in message
    assert "free some space" in message.lower()
    assert_unchanged(folder, before)


def test_a_target_that_is_a_folder_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    (folder / "c.xlsx").mkdir(parents=True)
    with pytest.raises(ValidationError, match=r"c\.xlsx is a folder"):
        export_five(folder)
    assert [p.name for p in folder.iterdir()] == ["c.xlsx"]


@pytest.mark.parametrize("retry", ["export again", "run the command again"])
def test_the_locked_message_is_one_sentence_for_every_writer(retry: str) -> None:
    path = Path("/x/y/scores.xlsx")
    error = locked_error(path, PermissionError(13, "in use", str(path)), retry=retry)
    assert error.message == f"Close scores.xlsx in Excel (or any app that has it open) and {retry}."
    assert error.hint is not None
    assert str(path) in error.hint


def test_a_single_file_is_replaced_only_when_it_is_free(
    tmp_path: Path, windows: WindowsLocks
) -> None:
    target = tmp_path / "r.csv"
    target.write_bytes(b"old")
    windows.lock(target)
    with Staging(target) as staging:
        staging.file().write_bytes(b"new")
        with pytest.raises(ValidationError, match=r"Close r\.csv"):
            staging.commit_file()
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.csv"]
    windows.locked.clear()
    with Staging(target) as staging:
        staging.file().write_bytes(b"new")
        staging.commit_file()
    assert target.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.csv"]


def test_ctrl_c_during_the_swap_puts_the_old_files_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "out"
    before = previous_export(folder)
    real = os.replace
    pressed: list[Path] = []

    def interrupted(src: Any, dst: Any) -> None:
        if Path(dst) == folder / "d.txt" and not pressed:  # placing the new d.txt
            pressed.append(Path(src))
            raise KeyboardInterrupt
        real(src, dst)

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        export_five(folder)
    assert_unchanged(folder, before)
