"""Named jobs of the Team dialog: every call goes to Firebase's Admin API (and, first, to the
keyring for the service-account key), so they run on the network lane.

Bad input (an address that is not one, an unknown role) comes back as a
:class:`~caliber_desktop.workers.base.Rejected` for the form to show beside the field; every other
failure (not found, already exists, refused, network down) is an error the dialog shows through
``ui/shared/errors.py``. The team lives in Firebase, not in the store, so these jobs declare no
``Change``: the dialog reloads the list after each of its own actions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from caliber_desktop.workers.base import FunctionWorker, Worker, rejected_or
from caliber_desktop.workers.lanes import Lane

if TYPE_CHECKING:
    from caliber_desktop.services.auth.admin import TeamAdmin


def list_team(team: TeamAdmin) -> Worker:
    """Result: the accounts, a ``list[TeamMember]`` sorted by email."""
    return FunctionWorker(team.list_members, title="Loading the team", lane=Lane.NETWORK)


def add_member(team: TeamAdmin, email: str, name: str, role: str) -> Worker:
    """Result: an ``Invitation`` (the account and its password link), or ``Rejected``."""
    return FunctionWorker(
        rejected_or,
        team.add,
        email,
        name,
        role,
        title=f"Adding {email.strip()}",
        for_analyst=True,
        lane=Lane.NETWORK,
    )


def set_disabled(team: TeamAdmin, email: str, disabled: bool) -> Worker:
    """Result: the ``TeamMember`` after the change."""
    return FunctionWorker(
        team.set_disabled,
        email,
        disabled,
        title=f"{'Disabling' if disabled else 'Enabling'} {email}",
        for_analyst=True,
        lane=Lane.NETWORK,
    )


def revoke(team: TeamAdmin, email: str) -> Worker:
    """Result: the ``TeamMember`` whose sessions were ended."""
    return FunctionWorker(
        team.revoke, email, title=f"Signing {email} out", for_analyst=True, lane=Lane.NETWORK
    )


def set_role(team: TeamAdmin, email: str, role: str) -> Worker:
    """Result: the ``TeamMember`` with its new role, or ``Rejected``."""
    return FunctionWorker(
        rejected_or,
        team.set_role,
        email,
        role,
        title=f"Changing the role of {email}",
        for_analyst=True,
        lane=Lane.NETWORK,
    )


def remove(team: TeamAdmin, email: str) -> Worker:
    return FunctionWorker(
        team.remove, email, title=f"Removing {email}", for_analyst=True, lane=Lane.NETWORK
    )
