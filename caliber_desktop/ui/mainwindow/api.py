"""What the main window's helpers see of the window and of each other: small Protocols.

The window (:mod:`~caliber_desktop.ui.mainwindow.window`) is the composition root: it builds the
panels, the :class:`~caliber_desktop.ui.mainwindow.workbench.Workbench` and the
:class:`~caliber_desktop.ui.mainwindow.actions.WindowActions` and hands each helper only the parts
named here, so no helper imports the window back and a test can build one against a small fake.
(The idea is qutebrowser's ``api`` package: its components import only that, never the browser.)
The AI docks and the PDF report export declare their own Protocols next to them, because
``ui/assistant`` and ``ui/exports`` must not import ``ui/mainwindow``.

Every member here is checked by mypy where the window wires the parts together.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from caliber_desktop.services.auth.secrets import SecretStore
    from caliber_desktop.services.records import CampaignRecord, Page
    from caliber_desktop.services.scoring.lists import Override
    from caliber_desktop.workers.scoring import LoadedRun


class StatusLine(Protocol):
    """A line for short messages (the window's status bar)."""

    def showMessage(self, text: str, timeout: int = ..., /) -> None: ...  # noqa: N802 (Qt name)


# ---------------------------------------------------------------------- what the workbench sees
class CampaignList(Protocol):
    """The campaign list the workbench fills and selects in (the Campaigns dock)."""

    def set_campaigns(self, page: Page[CampaignRecord]) -> None: ...

    def select_campaign(self, campaign_id: int) -> object: ...


class CampaignOverview(Protocol):
    """The start page, which lists the campaigns too or says why they could not be loaded."""

    def show_campaigns(self, page: Page[CampaignRecord]) -> None: ...

    def show_error(self, message: str) -> None: ...


class SiteDetail(Protocol):
    """The explanation of one site (the Site detail dock)."""

    def clear(self) -> None: ...

    def show_site(self, explanation: dict[str, Any], override: Override | None = None) -> None: ...


class RunView(Protocol):
    """The window as the workbench needs it: where a run, or the lack of one, is shown."""

    def show_run(self, loaded: LoadedRun) -> None: ...

    def show_overrides(self, loaded: LoadedRun) -> None: ...

    def show_no_results(self, campaign: CampaignRecord) -> None: ...

    def clear_results(self) -> None: ...

    def report_error(self, info: object) -> None: ...

    def statusBar(self) -> StatusLine: ...  # noqa: N802 (Qt name)


# ---------------------------------------------------------------------- what the actions see
class CampaignSelection(Protocol):
    """The campaign chosen in the list, if any (what Score, Import and Compare act on)."""

    def current_campaign(self) -> CampaignRecord | None: ...


class OpenRun(Protocol):
    """What is open: the campaign, its scored run and the campaigns last listed."""

    @property
    def loaded(self) -> LoadedRun | None: ...

    @property
    def campaign_id(self) -> int | None: ...

    @property
    def campaigns(self) -> Mapping[int, CampaignRecord]: ...


class CampaignJobs(OpenRun, Protocol):
    """The jobs the menus start (the workbench runs them)."""

    def score(self, campaign_id: int) -> None: ...

    def score_upload(
        self, campaign_id: int, upload_id: int, mapping: object, pixels: object
    ) -> None: ...

    def cancel_scoring(self) -> None: ...

    def campaign_created(self, record: object) -> None: ...

    def export(self, folder: str) -> None: ...


class WindowCommands(Protocol):
    """The window's own commands and state behind its menus."""

    @property
    def secrets(self) -> SecretStore | None: ...

    def import_report(self) -> None: ...

    def refresh_campaigns(self) -> None: ...

    def open_data_folder(self) -> None: ...

    def find_site(self) -> None: ...

    def show_about(self) -> object: ...

    def report_error(self, info: object) -> None: ...
