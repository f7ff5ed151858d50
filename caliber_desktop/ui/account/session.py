"""The signed-in session on the GUI thread: found at start, kept fresh, ended or replaced.

At start :func:`sign_in_at_start` restores the remembered session on a worker, or asks with the
sign-in dialog.

ID tokens live an hour, so the session is refreshed on a worker before it runs out (a timer asks
``ensure_fresh``, which only goes to the network near the end). Signing out and switching user
come from the :class:`~caliber_desktop.ui.account.menu.AccountMenu`; both end in the sign-in dialog,
and a new session is announced with :attr:`SessionKeeper.session_changed` so the window can
rebind the workspace to that analyst (the keeper itself never touches the store).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QEventLoop, QObject, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import QWidget

from caliber_desktop.errors import CaliberError
from caliber_desktop.services.records import UserRef
from caliber_desktop.ui.account.menu import AccountMenu, OfflineBanner
from caliber_desktop.ui.account.signin import SignInDialog
from caliber_desktop.ui.account.team import TeamDialog
from caliber_desktop.workers import account
from caliber_desktop.workers.account import RefreshFailed, Restored
from caliber_desktop.workers.base import ErrorInfo, Worker
from caliber_desktop.workers.registry import WorkerRegistry

if TYPE_CHECKING:
    from caliber_desktop.services.auth.secrets import SecretStore
    from caliber_desktop.services.auth.service import AuthService, Session

log = logging.getLogger(__name__)

#: How often the timer asks ``ensure_fresh``; well inside its default five-minute margin.
REFRESH_INTERVAL_MS = 4 * 60_000


class SessionKeeper(QObject):
    """Holds the current ``Session`` and keeps the Account menu and offline banner in step."""

    #: a new ``Session`` (another analyst, or the same one signed in again): rebind to it
    session_changed = Signal(object)
    #: signed out and the sign-in dialog was cancelled: nobody is signed in, close the window
    signed_out = Signal()

    def __init__(
        self,
        auth: AuthService,
        registry: WorkerRegistry,
        session: Session,
        window: QWidget,
        *,
        menu: AccountMenu,
        banner: OfflineBanner | None = None,
        secrets: SecretStore | None = None,
        keyring_problem: str | None = None,
    ) -> None:
        super().__init__(window)
        self.auth = auth
        self.registry = registry
        self.session: Session | None = session
        self.window = window
        self.menu = menu
        self.banner = banner
        self.secrets = secrets
        self.keyring_problem = keyring_problem
        self.dialog: SignInDialog | None = None
        self.team_dialog: TeamDialog | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_INTERVAL_MS)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()
        menu.sign_out_requested.connect(self.sign_out)
        menu.switch_user_requested.connect(self.switch_user)
        menu.team_requested.connect(self.open_team)
        self._show(session)

    def _show(self, session: Session | None) -> None:
        self.menu.set_identity(
            session.identity if session else None, bool(session and session.offline)
        )
        if self.banner is not None:
            self.banner.set_session(session)
        admin = session is not None and not session.offline and session.identity.is_admin
        if not admin and self.team_dialog is not None:  # demoted, signed out or offline
            self.team_dialog.close()

    # ------------------------------------------------------------------ refresh
    @Slot()
    def refresh(self) -> None:
        """Renew the ID token on a worker; a newer refresh supersedes one still running."""
        if self.session is None:
            return
        self.registry.start(
            account.refresh_sign_in(self.auth, self.session),
            key="session-refresh",
            on_result=self._on_refreshed,
            on_error=self._on_refresh_bug,
        )

    def _on_refreshed(self, value: object) -> None:
        if self.session is None:  # signed out meanwhile
            return
        if isinstance(value, RefreshFailed):
            self._on_refresh_failed(value)
            return
        session: Session = value  # type: ignore[assignment]
        self.session = session
        self._show(session)

    def _on_refresh_failed(self, failed: RefreshFailed) -> None:
        """Offline with time left: carry on (the next tick retries). Otherwise sign in again.

        ``ensure_fresh`` already turns "cannot reach Firebase" into an offline session while the
        grace lasts, so what arrives here normally means the session is over.
        """
        session = self.session
        if session is None:
            return
        if failed.unreachable and session.expires_at > datetime.now(UTC):
            log.info("Sign-in not refreshed (offline): %s", failed.message)
            return
        # The session cannot continue: nobody is signed in until the dialog says otherwise.
        self.session = None
        self.timer.stop()
        self._show(None)
        self._ask(failed.message, replacing=True)

    def _on_refresh_bug(self, info: ErrorInfo) -> None:
        log.error("Refreshing the sign-in failed with a bug: %s", info.message)

    # ------------------------------------------------------------------ menu
    @Slot()
    def sign_out(self) -> None:
        session = self.session
        if session is None:
            return
        self.session = None
        self.timer.stop()
        self._show(None)
        self.registry.start(
            account.sign_out(self.auth, session, self.secrets),
            key="session-sign-out",
            on_result=self._on_signed_out,
            on_error=lambda _info: self._on_signed_out(self.keyring_problem),
        )

    def _on_signed_out(self, problem: object) -> None:
        self.keyring_problem = problem if isinstance(problem, str) else None
        self._ask(None, replacing=True)

    @Slot()
    def switch_user(self) -> None:
        self._ask(None, replacing=False)

    @Slot()
    def open_team(self) -> TeamDialog | None:
        """The Team dialog for an administrator's session (one at a time, not blocking)."""
        from caliber_desktop.services.auth.admin import TeamAdmin

        session = self.session
        if session is None or session.offline or not session.identity.is_admin:
            return None
        if self.team_dialog is not None:
            self.team_dialog.raise_()
            return self.team_dialog
        team = TeamAdmin(self.auth.config, self.auth.secrets, caller=session)
        dialog = TeamDialog(team, self.registry, self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(self._on_team_closed)
        self.team_dialog = dialog
        dialog.open()
        return dialog

    @Slot()
    def _on_team_closed(self) -> None:
        self.team_dialog = None

    # ------------------------------------------------------------------ dialog
    def _ask(self, banner: str | None, *, replacing: bool) -> SignInDialog:
        """Open the sign-in dialog (window-modal, not blocking); one at a time."""
        if self.dialog is not None:
            self.dialog.raise_()
            return self.dialog
        dialog = SignInDialog(
            self.auth,
            self.registry,
            self.window,
            offline_banner=banner,
            keyring_problem=self.keyring_problem,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.signed_in.connect(self._adopt)
        dialog.finished.connect(lambda _code: self._on_dialog_closed(replacing))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _adopt(self, session: object) -> None:
        self.session = session  # type: ignore[assignment]
        self._show(self.session)
        self.timer.start()
        self.session_changed.emit(session)

    def _on_dialog_closed(self, replacing: bool) -> None:
        self.dialog = None
        if self.session is None and replacing:
            self.signed_out.emit()


# --------------------------------------------------------------------------- start-up


def sign_in_at_start(
    auth: AuthService,
    registry: WorkerRegistry,
    parent: QWidget | None = None,
    *,
    secrets: SecretStore | None = None,
    offline_banner: str | None = None,
) -> Session | None:
    """The session to start with: a remembered one (restored on a worker), else the dialog's.

    The worker also asks the keyring whether it works, so the dialog can say up front that a
    sign-in will not be remembered. A local event loop keeps the GUI responsive meanwhile. None
    means the analyst cancelled the dialog: the app should quit.
    """
    loop = QEventLoop()
    outcome: list[object] = []

    def done(value: object) -> None:
        outcome.append(value)
        loop.quit()

    def failed(info: ErrorInfo) -> None:  # a bug: it is in the log; signing in still works
        outcome.append(Restored(None, None, info.message))
        loop.quit()

    registry.start(account.restore_sign_in(auth, secrets), on_result=done, on_error=failed)
    if not outcome:
        loop.exec()
    found = outcome[0] if outcome and isinstance(outcome[0], Restored) else Restored(None, None)
    if found.session is not None:
        return found.session
    dialog = SignInDialog(
        auth,
        registry,
        parent,
        offline_banner=offline_banner or found.failure,
        keyring_problem=found.keyring_problem,
    )
    dialog.exec()
    session = dialog.session
    dialog.deleteLater()
    return session


def run_and_wait(registry: WorkerRegistry, worker: Worker) -> object:
    """Run a job on its lane and wait for its result in a local event loop.

    For the few start-up steps the window cannot be built without (the signed-in analyst's user
    row, :func:`caliber_desktop.workers.account.open_user`): the store is still only written from
    the lane, and the GUI keeps painting meanwhile. An expected error is raised again here as a
    :class:`CaliberError` for the caller to report.
    """
    loop = QEventLoop()
    outcome: list[object] = []

    def done(value: object) -> None:
        outcome.append(value)
        loop.quit()

    def failed(info: ErrorInfo) -> None:
        outcome.append(CaliberError(info.message))
        loop.quit()

    registry.start(worker, on_result=done, on_error=failed)
    if not outcome:
        loop.exec()
    value = outcome[0]
    if isinstance(value, CaliberError):
        raise value
    return value


def signed_in_user(registry: WorkerRegistry, auth: AuthService, session: Session) -> UserRef:
    """The ``users`` row of the analyst who just signed in, written on the DB lane; waits."""
    user = run_and_wait(registry, account.open_user(auth, session))
    if not isinstance(user, UserRef):
        raise CaliberError("Your sign-in could not be matched to a Caliber profile.")
    return user
