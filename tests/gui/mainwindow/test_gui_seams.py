"""The main window's helpers build against small fakes of their Protocols, without a MainWindow.

This is what keeps the seams real: if a helper reached through the window again, these would
fail. The fakes are annotated with the Protocols, so mypy checks them against the same members
the window provides.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QDockWidget, QMainWindow
from pytestqt.qtbot import QtBot

from caliber_desktop.services.records import CampaignRecord, Page
from caliber_desktop.services.scoring.lists import Override
from caliber_desktop.services.startup import SAMPLE_SETTINGS
from caliber_desktop.services.workspace import Workspace
from caliber_desktop.ui.mainwindow.actions import WindowActions
from caliber_desktop.ui.mainwindow.api import (
    CampaignJobs,
    CampaignList,
    CampaignOverview,
    CampaignSelection,
    RunView,
    SiteDetail,
    StatusLine,
    WindowCommands,
)
from caliber_desktop.ui.mainwindow.workbench import Workbench
from caliber_desktop.workers.registry import WorkerRegistry
from caliber_desktop.workers.scoring import LoadedRun

TIMEOUT_MS = 10_000


class Messages:
    def __init__(self) -> None:
        self.shown: list[str] = []

    def showMessage(self, text: str, timeout: int = 0, /) -> None:  # noqa: N802 (Qt name)
        self.shown.append(text)


class FakeView:
    def __init__(self) -> None:
        self.messages = Messages()
        self.errors: list[object] = []
        self.cleared = 0

    def show_run(self, loaded: LoadedRun) -> None: ...

    def show_overrides(self, loaded: LoadedRun) -> None: ...

    def show_no_results(self, campaign: CampaignRecord) -> None: ...

    def clear_results(self) -> None:
        self.cleared += 1

    def report_error(self, info: object) -> None:
        self.errors.append(info)

    def statusBar(self) -> StatusLine:  # noqa: N802 (Qt name)
        return self.messages


class FakeList:
    def __init__(self) -> None:
        self.pages: list[Page[CampaignRecord]] = []

    def set_campaigns(self, page: Page[CampaignRecord]) -> None:
        self.pages.append(page)

    def select_campaign(self, campaign_id: int) -> object:
        return True


class FakeOverview:
    def __init__(self) -> None:
        self.names: list[str] = []

    def show_campaigns(self, page: Page[CampaignRecord]) -> None:
        self.names = [c.name for c in page.items]

    def show_error(self, message: str) -> None: ...


class FakeDetail:
    def __init__(self) -> None:
        self.cleared = 0

    def clear(self) -> None:
        self.cleared += 1

    def show_site(self, explanation: dict[str, Any], override: Override | None = None) -> None: ...


def test_workbench_lists_campaigns_into_fakes(
    workspace: Workspace, registry: WorkerRegistry, qtbot: QtBot
) -> None:
    workspace.campaigns.create("Spring sale", settings=SAMPLE_SETTINGS)
    view, listed, overview, detail = FakeView(), FakeList(), FakeOverview(), FakeDetail()
    parts: tuple[RunView, CampaignList, CampaignOverview, SiteDetail] = (
        view,
        listed,
        overview,
        detail,
    )
    bench = Workbench(
        workspace,
        registry,
        window=parts[0],
        campaign_list=parts[1],
        overview=parts[2],
        detail=parts[3],
    )
    with qtbot.waitSignal(bench.campaigns_listed, timeout=TIMEOUT_MS):
        bench.refresh_campaigns()
    qtbot.waitUntil(lambda: registry.running_count() == 0, timeout=TIMEOUT_MS)
    assert [c.name for c in listed.pages[-1].items] == ["Spring sale"]
    assert overview.names == ["Spring sale"]
    assert set(bench.campaigns) == {c.id for c in listed.pages[-1].items}
    bench.show_site("nowhere.example")  # no run open: the detail is cleared
    assert detail.cleared == 1
    assert view.errors == []


class FakeCommands:
    def __init__(self) -> None:
        self.calls: list[str] = []

    @property
    def secrets(self) -> None:
        return None

    def import_report(self) -> None:
        self.calls.append("import")

    def refresh_campaigns(self) -> None:
        self.calls.append("refresh")

    def open_data_folder(self) -> None:
        self.calls.append("open data")

    def find_site(self) -> None:
        self.calls.append("find")

    def show_about(self) -> object:
        self.calls.append("about")
        return None

    def report_error(self, info: object) -> None:
        self.calls.append("error")


class FakeJobs:
    def __init__(self) -> None:
        self.loaded: LoadedRun | None = None
        self.campaign_id: int | None = None
        self.campaigns: dict[int, CampaignRecord] = {}
        self.scored: list[int] = []
        self.cancelled = 0

    def score(self, campaign_id: int) -> None:
        self.scored.append(campaign_id)

    def score_upload(
        self, campaign_id: int, upload_id: int, mapping: object, pixels: object
    ) -> None: ...

    def cancel_scoring(self) -> None:
        self.cancelled += 1

    def campaign_created(self, record: object) -> None: ...

    def export(self, folder: str) -> None: ...


class FakeSelection:
    def __init__(self) -> None:
        self.campaign: CampaignRecord | None = None

    def current_campaign(self) -> CampaignRecord | None:
        return self.campaign


def test_actions_drive_fakes_not_a_main_window(
    workspace: Workspace, registry: WorkerRegistry, qtbot: QtBot
) -> None:
    shell = QMainWindow()
    qtbot.addWidget(shell)
    fakes = FakeCommands(), FakeJobs(), FakeSelection()
    commands: WindowCommands = fakes[0]
    jobs: CampaignJobs = fakes[1]
    selection: CampaignSelection = fakes[2]
    cleaned: list[bool] = []
    dock = QDockWidget("Somewhere", shell)
    actions = WindowActions(
        shell,
        commands,
        jobs,
        selection,
        workspace=workspace,
        registry=registry,
        clean_up=lambda: cleaned.append(True),
        view_docks=(dock,),
    )
    assert not any(action.isEnabled() for action in actions.run_actions)
    actions.set_run_available(True)
    assert all(action.isEnabled() for action in actions.run_actions)

    actions.score.trigger()  # nothing selected: says so, starts nothing
    assert fakes[1].scored == []
    assert shell.statusBar().currentMessage() == "Select a campaign to score first."
    fakes[2].campaign = workspace.campaigns.create("Spring sale", settings=SAMPLE_SETTINGS)
    actions.score.trigger()
    assert fakes[1].scored == [fakes[2].campaign.id]

    for action in (actions.find, actions.refresh, actions.open_data, actions.import_):
        action.trigger()
    actions.cancel_score.trigger()
    actions.clean_up.trigger()
    assert fakes[0].calls == ["find", "refresh", "open data", "import"]
    assert fakes[1].cancelled == 1
    assert cleaned == [True]
    assert dock.toggleViewAction() in actions.view_menu.actions()
