"""``caliber login`` / ``logout`` / ``whoami``, and running every other command as the signed-in
user.

When Firebase sign-in is configured, the CLI is a signed-in client like the window: the refresh
token in the OS keyring is refreshed at each command (offline: the last verified identity within
the grace period), and every command's services are bound to that user. Without configuration the
local profile is used, as before. The password is read from a prompt or ``--password-stdin`` (for
scripts), never from an argument (it would sit in the shell history and the process list).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TYPE_CHECKING, Any

from caliber_desktop.errors import AuthError, ValidationError

if TYPE_CHECKING:
    from caliber_desktop.cli.output import Output
    from caliber_desktop.services.auth.service import AuthService, Session
    from caliber_desktop.services.workspace import Workspace


def add_parsers(commands: Any, common: argparse.ArgumentParser) -> None:
    login = commands.add_parser(
        "login", parents=[common], help="sign in with your Firebase email and password"
    )
    login.add_argument("email")
    login.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of standard input (for scripts)",
    )
    login.add_argument(
        "--create", action="store_true", help="create the account, then sign in with it"
    )
    login.add_argument("--name", default="", help="display name for --create")
    commands.add_parser(
        "logout", parents=[common], help="sign out: forget the refresh token in the keyring"
    )
    commands.add_parser("whoami", parents=[common], help="who the commands run as")


def auth_service(ws: Workspace) -> AuthService:
    from caliber_desktop.services.auth.secrets import SecretStore
    from caliber_desktop.services.auth.service import AuthConfig, AuthService

    return AuthService(AuthConfig.from_settings(ws.settings), SecretStore(), ws.store)


def bind_signed_in(ws: Workspace) -> None:
    """Bind the workspace to the signed-in user; the local profile when sign-in is off."""
    auth = auth_service(ws)
    if not auth.config.configured:
        return
    session = auth.restore()
    if session is None:
        raise AuthError(
            "You are not signed in.", reason="signed_out", hint="Run: caliber login EMAIL"
        )
    if session.offline:
        print(f"caliber: {_offline_note(session)}", file=sys.stderr)
    ws.bind(auth.user_for(session))


def _offline_note(session: Session) -> str:
    return (
        f"offline: working as {session.identity.email or session.identity.uid} (verified "
        f"{session.identity.verified_at:%Y-%m-%d %H:%M} UTC) until {session.expires_at:%Y-%m-%d} "
        "at the latest; connect to sign in again."
    )


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise ValidationError(
            "No terminal to ask for the password.",
            field="password",
            hint="Pipe it in with --password-stdin.",
        )
    return getpass.getpass("Password: ")


def _describe(session: Session, ws: Workspace, auth: AuthService) -> dict[str, Any]:
    user = auth.user_for(session)
    return {
        "signed_in": True,
        "mode": auth.config.mode,
        "uid": session.identity.uid,
        "email": session.identity.email,
        "display_name": session.identity.display_name,
        "user_id": user.id,
        "offline": session.offline,
        "remembered": session.remembered,
        "verified_at": session.identity.verified_at,
        "expires_at": session.expires_at,
        "keyring": auth.secrets.backend_name,
    }


def cmd_login(args: argparse.Namespace, ws: Workspace, out: Output) -> int:
    auth = auth_service(ws)
    if not auth.config.configured:
        raise AuthError(
            "Firebase sign-in is not configured; Caliber runs with the local profile.",
            reason="not_configured",
            hint="Set auth.api_key and auth.project_id in the settings (or "
            "CALIBER_FIREBASE_API_KEY and CALIBER_FIREBASE_PROJECT_ID).",
        )
    password = _password(args)
    if args.create:
        session = auth.sign_up(args.email, password, args.name)
    else:
        session = auth.sign_in(args.email, password)
    info = _describe(session, ws, auth)
    text = f"Signed in as {session.identity.display_name} <{session.identity.email}>."
    if session.remembered:
        text += f" Remembered in {auth.secrets.backend_name}."
    else:
        text += f" Not remembered: {auth.secrets.problem or 'the keyring is unavailable'}"
    out.emit(info, text)
    return 0


def cmd_logout(args: argparse.Namespace, ws: Workspace, out: Output) -> int:
    uid = auth_service(ws).forget_remembered()
    text = "Signed out." if uid else "Nobody was signed in."
    out.emit({"signed_out": uid is not None, "uid": uid}, text)
    return 0


def cmd_whoami(args: argparse.Namespace, ws: Workspace, out: Output) -> int:
    auth = auth_service(ws)
    if not auth.config.configured:
        user = ws.user
        out.emit(
            {"signed_in": False, "mode": auth.config.mode, "local_profile": user},
            f"Local profile: {user.display_name} ({auth.config.mode}).",
        )
        return 0
    session = auth.restore()
    if session is None:
        out.emit(
            {"signed_in": False, "mode": auth.config.mode},
            f"Not signed in ({auth.config.mode}). Run: caliber login EMAIL",
        )
        return 1
    info = _describe(session, ws, auth)
    text = f"{session.identity.display_name} <{session.identity.email}> — {auth.config.mode}"
    if session.offline:
        text += f"\n{_offline_note(session)}"
    out.emit(info, text)
    return 0


COMMANDS = {"login": cmd_login, "logout": cmd_logout, "whoami": cmd_whoami}
