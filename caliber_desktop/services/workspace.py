"""The composition root shared by the CLI and the GUI: data dir → settings → store → services."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from caliber_desktop.config import (
    Paths,
    Settings,
    default_paths,
    load_settings,
    save_settings,
    setup_logging,
)
from caliber_desktop.models.store import Store
from caliber_desktop.services.ai.client import find_key
from caliber_desktop.services.ai.service import AIService
from caliber_desktop.services.auth.profiles import local_profile
from caliber_desktop.services.campaigns.service import CampaignService
from caliber_desktop.services.campaigns.templates import TemplateService
from caliber_desktop.services.importing.uploads import UploadService
from caliber_desktop.services.records import UserRef
from caliber_desktop.services.runs.service import RunService

if TYPE_CHECKING:
    from caliber_desktop.services.auth.secrets import SecretStore

log = logging.getLogger(__name__)


@dataclass
class Workspace:
    """Everything one user works with, opened once per process."""

    paths: Paths
    settings: Settings
    store: Store
    user: UserRef
    templates: TemplateService = field(init=False)
    campaigns: CampaignService = field(init=False)
    uploads: UploadService = field(init=False)
    runs: RunService = field(init=False)
    ai: AIService = field(init=False)

    #: The keyring store the key is read from; created on first use. The window may hand in its
    #: own, so a key kept in memory for this run (no working keyring) is seen here too.
    secrets: SecretStore | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.bind(self.user)

    def bind(self, user: UserRef) -> None:
        """Run every service as ``user`` (sign-in switches users without reopening the store)."""
        self.user = user
        self.templates = TemplateService(self.store, user)
        self.campaigns = CampaignService(self.store, user)
        self.uploads = UploadService(
            self.store, user, self.paths.root, max_size_mb=self.settings.uploads.max_size_mb
        )
        self.runs = RunService(self.store, user, self.paths.root, self.settings.scoring)
        self.ai = AIService(self.store, user, self.settings.ai, self.openai_key, runs=self.runs)

    def openai_key(self) -> tuple[str | None, str]:
        """The OpenAI key and where it came from: the OS keyring, else ``$OPENAI_API_KEY``.

        The keyring is opened on the first call (an AI request or status), never when the
        workspace opens.
        """
        from caliber_desktop.services.auth.secrets import SecretStore

        if self.secrets is None:
            self.secrets = SecretStore()
        return find_key(self.secrets)

    def delete_campaign(self, campaign_id: int, *, force: bool = False) -> None:
        """Delete a campaign (rules in :meth:`CampaignService.delete`) and files only it used."""
        digests = {upload.sha256 for upload in self.uploads.list(campaign_id)}
        self.campaigns.delete(campaign_id, force=force)
        self.uploads.forget_blobs(digests)

    def save_settings(self) -> None:
        save_settings(self.settings, self.paths.settings)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def open_workspace(root: Path | None = None) -> Workspace:
    """Open the data dir (``CALIBER_HOME`` or the platform default), migrating the store."""
    paths = (Paths(root) if root is not None else default_paths()).ensure()
    settings = load_settings(paths.settings)
    setup_logging(paths, settings.log_level)
    store = Store.open(paths.database)
    try:
        user = local_profile(store)
    except BaseException:
        store.close()
        raise
    log.info("workspace %s opened as user %d", paths.root, user.id)
    return Workspace(paths=paths, settings=settings, store=store, user=user)
