"""The Export Data and Compare Runs dialogs on a real two-run campaign, through their workers."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from support.campaigns import TTD_DISPLAY_AWARENESS
from support.windows_locks import WindowsLocks

from caliber_desktop.services.exports.run_data import ExportInfo
from caliber_desktop.services.workspace import Workspace
from caliber_desktop.ui.exports.dialog import ExportDialog
from caliber_desktop.ui.mainwindow.window import MainWindow
from caliber_desktop.ui.results.compare import CompareDialog
from caliber_desktop.ui.shared.errors import ErrorDialog
from caliber_desktop.workers.base import ErrorInfo
from caliber_desktop.workers.registry import WorkerRegistry
from caliber_desktop.workers.scoring import load_run

TIMEOUT = 30_000
SETTINGS = TTD_DISPLAY_AWARENESS


def first_rows(source: Path, folder: Path, n: int) -> Path:
    with source.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))[: n + 1]
    path = folder / f"first_{n}.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


@pytest.fixture
def campaign(workspace: Workspace, shared_data: Path, tmp_path: Path) -> tuple[int, int, int]:
    source = shared_data / "ttd_display_awareness_sample.csv"
    record = workspace.campaigns.create("Two runs", settings=SETTINGS)
    workspace.uploads.attach(record.id, first_rows(source, tmp_path, 8_000))
    old = workspace.runs.score_campaign(record.id)
    workspace.uploads.attach(record.id, source)
    new = workspace.runs.score_campaign(record.id)
    return record.id, old.id, new.id


def test_export_dialog_writes_the_file(
    qtbot: QtBot,
    workspace: Workspace,
    registry: WorkerRegistry,
    campaign: tuple[int, int, int],
    tmp_path: Path,
) -> None:
    cid, _old, new = campaign
    dialog = ExportDialog(workspace, registry, cid, new, folder=tmp_path)
    qtbot.addWidget(dialog)
    dialog.what_combo.setCurrentIndex(dialog.what_combo.findData("summary"))
    dialog.format_combo.setCurrentIndex(dialog.format_combo.findData("json"))
    target = Path(dialog.path_edit.text())
    assert target.parent == tmp_path
    assert target.name.endswith("_summary.json")
    with qtbot.waitSignal(dialog.exported, timeout=TIMEOUT) as done:
        dialog.export_button.click()
    info = done.args[0]
    assert isinstance(info, ExportInfo)
    assert info.files == (target,)
    assert json.loads(target.read_text(encoding="utf-8"))["run"]["id"] == new
    qtbot.waitUntil(lambda: dialog.job is None, timeout=TIMEOUT)
    assert "Exported" in dialog.status.text()
    assert dialog.export_button.isEnabled()


def test_export_dialog_folder_export(
    qtbot: QtBot,
    workspace: Workspace,
    registry: WorkerRegistry,
    campaign: tuple[int, int, int],
    tmp_path: Path,
) -> None:
    cid, _old, new = campaign
    dialog = ExportDialog(workspace, registry, cid, new, folder=tmp_path)
    qtbot.addWidget(dialog)
    dialog.what_combo.setCurrentIndex(dialog.what_combo.findData("campaign"))
    dialog.format_combo.setCurrentIndex(dialog.format_combo.findData("csv"))
    assert dialog.is_folder()
    with qtbot.waitSignal(dialog.exported, timeout=TIMEOUT) as done:
        dialog.export_button.click()
    folder = done.args[0].path
    assert (folder / "results.csv").is_file()
    assert (folder / "insights.csv").is_file()
    qtbot.waitUntil(lambda: dialog.job is None, timeout=TIMEOUT)


def test_export_dialog_names_a_file_open_in_excel(
    qtbot: QtBot,
    workspace: Workspace,
    registry: WorkerRegistry,
    campaign: tuple[int, int, int],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cid, _old, new = campaign
    dialog = ExportDialog(workspace, registry, cid, new, folder=tmp_path)
    qtbot.addWidget(dialog)
    dialog.what_combo.setCurrentIndex(dialog.what_combo.findData("results"))
    dialog.format_combo.setCurrentIndex(dialog.format_combo.findData("xlsx"))
    target = Path(dialog.path_edit.text())
    target.write_bytes(b"the workbook the analyst has open")
    WindowsLocks(monkeypatch).lock(target)
    failed: list[ErrorInfo] = []
    registry.failed.connect(failed.append)  # only errors nobody handled arrive here
    dialog.export_button.click()
    qtbot.waitUntil(lambda: dialog.job is None, timeout=TIMEOUT)
    text = dialog.status.text()
    assert f"Close {target.name} in Excel (or any app that has it open) and export again." in text
    assert str(target) in text
    assert "bug" not in text
    assert dialog.info is None
    assert dialog.export_button.isEnabled()
    assert target.read_bytes() == b"the workbook the analyst has open"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".caliber")] == []
    assert failed == []


def test_exporting_lists_and_results_over_a_file_open_in_excel_is_a_message(
    qtbot: QtBot,
    window: MainWindow,
    campaign: tuple[int, int, int],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The lists dock's Export: scores.xlsx is open, so nothing of the folder changes."""
    cid, _old, new = campaign
    window.workbench.loaded = load_run(window.workspace.runs, cid, new)
    out = tmp_path / "hand-over"
    out.mkdir()
    for name in ("scores.csv", "scores.xlsx", "blocklist_domains.txt"):
        (out / name).write_bytes(b"previous " + name.encode())
    before = {p.name: p.read_bytes() for p in sorted(out.iterdir())}
    WindowsLocks(monkeypatch).lock(out / "scores.xlsx")
    with qtbot.waitSignal(window.error_reported, timeout=TIMEOUT) as reported:
        window.workbench.export(str(out))
    qtbot.waitUntil(lambda: window.registry.running_count() == 0, timeout=TIMEOUT)
    (info,) = reported.args
    assert not info.is_bug
    assert "Close scores.xlsx in Excel (or any app that has it open)" in info.message
    (box,) = [b for b in window.findChildren(ErrorDialog) if b.isVisible()]
    assert box.text() == info.message
    assert box.details() == ""  # an expected error: no traceback
    box.close()
    assert {p.name: p.read_bytes() for p in sorted(out.iterdir())} == before


def test_compare_dialog_shows_rows(
    qtbot: QtBot,
    workspace: Workspace,
    registry: WorkerRegistry,
    campaign: tuple[int, int, int],
    qtmodeltester: Any,
) -> None:
    cid, old, new = campaign
    dialog = CompareDialog(workspace, registry, cid)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.compared, timeout=TIMEOUT) as done:
        pass  # the dialog loads the runs and compares the two latest on its own
    result = done.args[0]
    assert (result.old.id, result.new.id) == (old, new)
    qtbot.waitUntil(lambda: dialog.compare_button.isEnabled(), timeout=TIMEOUT)
    model = dialog.changes_model
    assert model.rowCount() == len(result.sites) > 100
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert headers[:4] == ["Site", "Old", "New", "Δ score"]
    assert any(h.startswith("Δ ") for h in headers[6:])
    assert dialog.new_model.rowCount() == len(result.new_sites) > 0
    assert f"Run {old} → run {new}" in dialog.summary.text()
    qtmodeltester.check(model)
    delta = headers.index("Δ score")
    model.sort(delta)
    assert dialog.views[0].model() is model
