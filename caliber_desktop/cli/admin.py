"""``caliber admin``: the team's Firebase accounts (``users …``) and the administrator's key
(``credentials …``), over :mod:`caliber_desktop.services.auth.admin`.

Who may run ``users`` commands: the signed-in account when it has the ``admin`` role, or, with
nobody signed in to Caliber here, the holder of the credentials (the service account itself); a
signed-in analyst gets exit 5 (``AdminRequiredError``). The service module's docstring says why.
``credentials`` commands need no sign-in: the key itself is the power they store or drop.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from caliber_desktop.cli.output import table, when
from caliber_desktop.models import labels

if TYPE_CHECKING:
    from caliber_desktop.cli.output import Output
    from caliber_desktop.services.auth.admin import TeamAdmin, TeamMember
    from caliber_desktop.services.auth.secrets import SecretStore
    from caliber_desktop.services.workspace import Workspace

#: The values of the ``role`` claim (machine names, as ``--json`` prints them).
ROLES = tuple(labels.ROLES)


def _role(name: str) -> str:
    return labels.in_sentence(labels.role(name))


def add_parsers(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    admin = commands.add_parser(
        "admin", parents=[common], help="manage the team's accounts (administrators only)"
    )
    groups = admin.add_subparsers(dest="group", required=True, metavar="GROUP")

    users = groups.add_parser("users", parents=[common], help="the team's Firebase accounts")
    actions = users.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("list", parents=[common], help="every account, its role and state")
    add = actions.add_parser(
        "add", parents=[common], help="create an account; prints the link to set its password"
    )
    add.add_argument("email")
    add.add_argument("--name", default="", help="the analyst's name as Caliber shows it")
    add.add_argument("--role", choices=ROLES, default="analyst")
    for name, text in (
        ("disable", "stop the account from signing in (its sessions end within the hour)"),
        ("enable", "let a disabled account sign in again"),
        ("remove", "delete the account (its campaigns on each computer stay there)"),
        ("revoke", "sign the account out everywhere, e.g. after a lost laptop"),
    ):
        action = actions.add_parser(name, parents=[common], help=text)
        action.add_argument("email")
    role = actions.add_parser("role", parents=[common], help="make an account admin or analyst")
    role.add_argument("email")
    role.add_argument("role", choices=ROLES)

    creds = groups.add_parser(
        "credentials", parents=[common], help="the service-account key in the OS keyring"
    )
    c_actions = creds.add_subparsers(dest="action", required=True, metavar="ACTION")
    c_import = c_actions.add_parser(
        "import",
        parents=[common],
        help="keep a service-account key file in the OS keyring (then the file can go)",
    )
    c_import.add_argument("file", type=Path)
    c_actions.add_parser("forget", parents=[common], help="delete the key from the keyring")
    c_actions.add_parser("show", parents=[common], help="which credentials admin commands use")


def _secrets() -> SecretStore:
    from caliber_desktop.services.auth.secrets import SecretStore

    return SecretStore()


def _team(ws: Workspace, secrets: SecretStore) -> TeamAdmin:
    """The team service for whoever runs this: the signed-in account, or nobody (the key)."""
    from caliber_desktop.services.auth.admin import TeamAdmin
    from caliber_desktop.services.auth.service import AuthConfig, AuthService

    config = AuthConfig.from_settings(ws.settings)
    caller = None
    if config.configured:  # a revoked or disabled session raises here: it is refused, exit 5
        caller = AuthService(config, secrets, ws.store).restore()
    return TeamAdmin(config, secrets, caller=caller)


def _row(member: TeamMember) -> list[object]:
    return [
        member.email,
        member.display_name,
        _role(member.role),
        "disabled" if member.disabled else "active",
        when(member.last_sign_in_at) or "never",
    ]


def _said(member: TeamMember) -> str:
    state = "disabled" if member.disabled else "active"
    return f"{member.email}: {_role(member.role)}, {state}."


def cmd_users(args: argparse.Namespace, ws: Workspace, out: Output) -> int:
    team = _team(ws, _secrets())
    try:
        data: Any
        if args.action == "list":
            members = team.list_members()
            headers = ["email", "name", "role", "state", "last sign-in"]
            text = table(headers, [_row(m) for m in members]) if members else "No accounts yet."
            out.emit({"items": members, "credentials": team.source}, text)
            return 0
        if args.action == "add":
            invitation = team.add(args.email, args.name, args.role)
            data = {"member": invitation.member, "password_link": invitation.password_link}
            text = (
                f"Added {_said(invitation.member)}\n"
                f"Send this link to {invitation.member.email} to choose a password (Caliber "
                f"does not email it):\n{invitation.password_link}"
            )
        elif args.action in ("disable", "enable"):
            member = team.set_disabled(args.email, args.action == "disable")
            data = {"member": member}
            text = _said(member)
            if member.disabled:
                text += " Its Caliber sessions end at their next refresh (within the hour)."
        elif args.action == "revoke":
            member = team.revoke(args.email)
            data = {"member": member}
            text = (
                f"Ended every session of {member.email}: each Caliber window or command signed "
                "in as them is signed out at its next refresh (within the hour). Their password "
                "still works: disable the account too if it should not sign in again."
            )
        elif args.action == "role":
            member = team.set_role(args.email, args.role)
            data = {"member": member}
            text = _said(member) + " It applies from their next refresh (within the hour)."
        else:  # remove
            team.remove(args.email)
            data = {"removed": args.email}
            text = (
                f"Removed {args.email}: it can no longer sign in. Its campaigns stay in the "
                "data dirs of the computers it used."
            )
        out.emit(data, text)
        return 0
    finally:
        team.close()


def cmd_credentials(args: argparse.Namespace, ws: Workspace, out: Output) -> int:
    from caliber_desktop.services.auth.admin import ServiceAccountKey, application_default_path
    from caliber_desktop.services.auth.api import EMULATOR_ENV

    key = ServiceAccountKey(_secrets())
    if args.action == "import":
        info = key.import_file(args.file.expanduser())
        out.emit(
            {"imported": True, "client_email": info.client_email, "project_id": info.project_id},
            f"Kept the key of {info.client_email} (project {info.project_id}) in "
            f"{key.secrets.backend_name}. Caliber does not need {args.file} any more: store it "
            "safely or delete it.",
        )
        return 0
    if args.action == "forget":
        had = key.forget()
        out.emit(
            {"forgotten": had},
            "Deleted the service-account key from the keyring."
            if had
            else "No service-account key was kept.",
        )
        return 0
    import os

    emulator = os.environ.get(EMULATOR_ENV, "").strip() or None
    found = key.info()
    adc = application_default_path()
    if emulator:
        text = f"The Firebase Auth Emulator at {emulator} (no credentials needed)."
    elif found is not None:
        text = f"The service account {found.client_email} (project {found.project_id}), kept in "
        text += f"{key.secrets.backend_name}."
    elif adc is not None:
        text = "Application Default Credentials."
    else:
        text = (
            "No administrator credentials on this computer: "
            "run caliber admin credentials import FILE."
        )
    out.emit(
        {
            "emulator": emulator,
            "service_account": found,
            "application_default": adc is not None,
        },
        text,
    )
    return 0


def cmd_admin(args: argparse.Namespace, ws: Workspace, out: Output) -> int:
    if args.group == "credentials":
        return cmd_credentials(args, ws, out)
    return cmd_users(args, ws, out)


COMMANDS = {"admin": cmd_admin}
