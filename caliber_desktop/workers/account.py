"""Named jobs for signing in and out: every call goes over the network or to the OS keyring.

They declare the network lane (a slow server must not hold up store writes), except
:func:`open_user`, which writes the signed-in analyst's ``users`` row and so runs on the DB lane.
An expected failure the GUI has to tell apart (offline or refused; nothing to restore) comes back
as a value, :class:`RefreshFailed` or :class:`Restored`, rather than as an error.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from caliber_desktop.errors import AuthError, CaliberError
from caliber_desktop.workers.base import FunctionWorker, Worker
from caliber_desktop.workers.lanes import Change, Lane

if TYPE_CHECKING:
    from caliber_desktop.services.auth.secrets import SecretStore
    from caliber_desktop.services.auth.service import AuthService, Session

log = logging.getLogger(__name__)


# ---------------------------------------------------------------------- what the jobs run


@dataclass(frozen=True)
class RefreshFailed:
    """A refresh the server refused (``unreachable`` False) or could not be asked (True)."""

    message: str
    unreachable: bool


def refresh_session(auth: AuthService, session: Session) -> Session | RefreshFailed:
    """Runs on a worker; an ``AuthError`` becomes a value so its ``unreachable`` survives."""
    try:
        return auth.ensure_fresh(session)
    except AuthError as exc:
        return RefreshFailed(str(exc), exc.unreachable)


def end_session(auth: AuthService, session: Session, secrets: SecretStore | None) -> str | None:
    """Runs on a worker: sign out (forgets the refresh token in the keyring); the keyring problem.

    Signing out must not fail the analyst: if the server cannot be told, the local session still
    ends (the service forgets the token either way), so the error is logged, not shown.
    """
    try:
        auth.sign_out(session)
    except AuthError as exc:
        log.warning("Signing out could not reach the server: %s", exc)
    return secrets.problem if secrets is not None else None


@dataclass(frozen=True)
class Restored:
    """What the start-up worker found: a session, a keyring problem, why nothing was restored."""

    session: Session | None
    keyring_problem: str | None
    failure: str | None = None


def restore_session(auth: AuthService, secrets: SecretStore | None) -> Restored:
    """Runs on a worker: ``restore()`` refreshes over the network, ``problem`` may probe D-Bus.

    An expected failure (revoked token, offline grace over) becomes a message for the dialog's
    banner rather than an error: the answer to it is simply to sign in.
    """
    problem = secrets.problem if secrets is not None else None
    try:
        return Restored(auth.restore(), problem)
    except CaliberError as exc:
        return Restored(None, problem, str(exc))


# ---------------------------------------------------------------------- named jobs


def sign_in(auth: AuthService, email: str, password: str, *, remember: bool) -> Worker:
    """Result: the new ``Session``."""
    return FunctionWorker(
        auth.sign_in,
        email,
        password,
        remember=remember,
        title="Signing in",
        for_analyst=True,
        lane=Lane.NETWORK,
        changes={Change.SESSION},
    )


def sign_up(
    auth: AuthService, email: str, password: str, display_name: str, *, remember: bool
) -> Worker:
    """Create an account and sign in; result: the new ``Session``."""
    return FunctionWorker(
        auth.sign_up,
        email,
        password,
        display_name,
        remember=remember,
        title="Creating your account",
        for_analyst=True,
        lane=Lane.NETWORK,
        changes={Change.SESSION},
    )


def send_password_reset(auth: AuthService, email: str) -> Worker:
    return FunctionWorker(
        auth.send_password_reset,
        email,
        title="Sending a password-reset link",
        for_analyst=True,
        lane=Lane.NETWORK,
    )


def refresh_sign_in(auth: AuthService, session: Session) -> Worker:
    """Result: the (possibly refreshed) ``Session`` or a :class:`RefreshFailed`."""
    return FunctionWorker(
        refresh_session, auth, session, title="Refreshing sign-in", lane=Lane.NETWORK
    )


def sign_out(auth: AuthService, session: Session, secrets: SecretStore | None) -> Worker:
    """Result: the keyring's problem (or None), for the sign-in dialog that follows."""
    return FunctionWorker(
        end_session,
        auth,
        session,
        secrets,
        title="Signing out",
        for_analyst=True,
        lane=Lane.NETWORK,
        changes={Change.SESSION},
    )


def restore_sign_in(auth: AuthService, secrets: SecretStore | None) -> Worker:
    """At start: the remembered session, if any (result: a :class:`Restored`)."""
    return FunctionWorker(
        restore_session, auth, secrets, title="Restoring your sign-in", lane=Lane.NETWORK
    )


def open_user(auth: AuthService, session: Session) -> Worker:
    """The signed-in analyst's ``UserRef`` (their ``users`` row, created or updated)."""
    return FunctionWorker(
        auth.user_for, session, title="Opening your campaigns", changes={Change.SESSION}
    )
