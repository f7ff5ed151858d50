"""``caliber report``: the PDF report of a campaign's run."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from caliber_desktop.cli import Output
    from caliber_desktop.services.workspace import Workspace

WorkspaceCommand = Callable[[argparse.Namespace, "Workspace", "Output"], int]

#: Commands (report) run against the store as the signed-in user.
COMMANDS: dict[str, WorkspaceCommand] = {}


def add_parsers(commands: Any, common: argparse.ArgumentParser) -> None:
    """Register the sub-commands of this module on ``caliber``'s parser."""
