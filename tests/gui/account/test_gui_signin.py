"""Sign-in dialog, start-up, session keeper, Account menu and offline banner (pytest-qt).

The sign-in service is a fake with the real one's API and real ``Session`` objects (the Firebase
emulator tests cover the real service); it runs on real workers through a real registry, so the
busy states and inline errors are the ones the analyst sees. Start-up uses the real
``SecretStore`` over a keyring that is not there. Settings › OpenAI key: test_gui_api_key.py.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import keyring
import pytest
from keyring.backends import fail
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QMenuBar, QWidget
from pytestqt.qtbot import QtBot

from caliber_desktop.errors import AuthError
from caliber_desktop.services.auth.secrets import SecretStore
from caliber_desktop.services.auth.service import Identity, Session
from caliber_desktop.ui.account.menu import AccountMenu, OfflineBanner, offline_text, with_banner
from caliber_desktop.ui.account.session import SessionKeeper, sign_in_at_start
from caliber_desktop.ui.account.signin import CREATE, FORGOT, SIGN_IN, SignInDialog
from caliber_desktop.workers.registry import WorkerRegistry

TIMEOUT_MS = 10_000
EMAIL, PASSWORD = "ana@example.com", "correct horse"


# --------------------------------------------------------------------------- fakes


def make_session(
    email: str,
    *,
    name: str = "",
    offline: bool = False,
    verified_at: datetime | None = None,
    expires_at: datetime | None = None,
) -> Session:
    now = datetime.now(UTC)
    verified = verified_at or now
    identity = Identity(f"uid-{email}", email, name, verified, verified)
    return Session(identity, "id-token", expires_at or now + timedelta(hours=1), offline=offline)


class FakeAuth:
    """The ``AuthService`` API over a dict; thread-safe because workers call it."""

    def __init__(self) -> None:
        self.accounts = {EMAIL: PASSWORD}
        self.calls: list[tuple[str, str, bool | None]] = []
        self.names: dict[str, str] = {}
        self.restored: Session | None = None
        self.restore_error: AuthError | None = None
        self.refreshed: Session | None = None
        self.refresh_error: AuthError | None = None
        self.bug = False
        self._lock = threading.Lock()

    def _session(self, email: str) -> Session:
        return make_session(email, name=self.names.get(email, ""))

    def sign_in(self, email: str, password: str, *, remember: bool = True) -> Session:
        with self._lock:
            self.calls.append(("sign_in", email, remember))
        if self.bug:
            raise RuntimeError("fake service bug")
        if self.accounts.get(email) != password:
            raise AuthError("The email or password is wrong.", reason="wrong_password")
        return self._session(email)

    def sign_up(
        self, email: str, password: str, display_name: str = "", *, remember: bool = True
    ) -> Session:
        with self._lock:
            self.calls.append(("sign_up", email, remember))
            if email in self.accounts:
                raise AuthError("An account with this email exists.", reason="email_exists")
            self.accounts[email] = password
            self.names[email] = display_name
        return self._session(email)

    def send_password_reset(self, email: str) -> None:
        with self._lock:
            self.calls.append(("reset", email, None))

    def restore(self) -> Session | None:
        if self.restore_error is not None:
            raise self.restore_error
        return self.restored

    def ensure_fresh(self, session: Session, margin_s: int = 300) -> Session:
        with self._lock:
            self.calls.append(("ensure_fresh", session.identity.email, None))
        if self.refresh_error is not None:
            raise self.refresh_error
        return self.refreshed or session

    def sign_out(self, session: Session) -> None:
        with self._lock:
            self.calls.append(("sign_out", session.identity.email, None))


def idle(registry: WorkerRegistry, qtbot: QtBot) -> None:
    qtbot.waitUntil(lambda: registry.running_count() == 0, timeout=TIMEOUT_MS)


@pytest.fixture
def auth() -> FakeAuth:
    return FakeAuth()


@pytest.fixture
def dialog(auth: FakeAuth, registry: WorkerRegistry, qtbot: QtBot) -> SignInDialog:
    widget = SignInDialog(auth, registry)  # type: ignore[arg-type]
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


# --------------------------------------------------------------------------- sign in


def test_sign_in_on_enter_emits_the_session_and_accepts(
    dialog: SignInDialog, auth: FakeAuth, registry: WorkerRegistry, qtbot: QtBot
) -> None:
    assert dialog.remember_check.isChecked()
    assert not dialog.sign_in_button.isEnabled()
    qtbot.keyClicks(dialog.email_edit, EMAIL)
    qtbot.keyClicks(dialog.password_edit, PASSWORD)
    assert dialog.sign_in_button.isEnabled()
    with qtbot.waitSignal(dialog.signed_in, timeout=TIMEOUT_MS) as blocker:
        qtbot.keyClick(dialog.password_edit, Qt.Key.Key_Return)
        assert dialog.busy
        assert not dialog.tabs.isEnabled()
        assert dialog.status.text() == "Signing in…"
    idle(registry, qtbot)
    assert blocker.args[0].identity.email == EMAIL
    assert dialog.session is blocker.args[0]
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert auth.calls == [("sign_in", EMAIL, True)]
    assert dialog.password_edit.text() == ""  # the password does not linger in the widget


def test_wrong_password_is_shown_inline(
    dialog: SignInDialog, auth: FakeAuth, registry: WorkerRegistry, qtbot: QtBot
) -> None:
    dialog.email_edit.setText(EMAIL)
    dialog.password_edit.setText("wrong")
    dialog.remember_check.setChecked(False)
    dialog.sign_in_button.click()
    idle(registry, qtbot)
    assert dialog.error.isVisible()
    assert dialog.error.text() == "The email or password is wrong."
    assert dialog.isVisible()
    assert dialog.session is None
    assert not dialog.busy
    assert dialog.tabs.isEnabled()
    assert dialog.sign_in_button.isEnabled()
    assert auth.calls == [("sign_in", EMAIL, False)]


def test_a_bug_in_the_service_shows_a_message_never_a_traceback(
    dialog: SignInDialog, auth: FakeAuth, registry: WorkerRegistry, qtbot: QtBot
) -> None:
    auth.bug = True
    dialog.email_edit.setText(EMAIL)
    dialog.password_edit.setText(PASSWORD)
    dialog.sign_in_button.click()
    idle(registry, qtbot)
    assert dialog.error.isVisible()
    assert "unexpected problem" in dialog.error.text()
    assert "Traceback" not in dialog.error.text()


def test_sign_in_checks_the_email_shape(dialog: SignInDialog) -> None:
    dialog.email_edit.setText("ana.example.com")
    dialog.password_edit.setText(PASSWORD)
    assert dialog.email_error.isVisible()
    assert "name@example.com" in dialog.email_error.text()
    assert not dialog.sign_in_button.isEnabled()


def test_cancel_while_signing_in_drops_the_result(
    dialog: SignInDialog, registry: WorkerRegistry, qtbot: QtBot
) -> None:
    dialog.email_edit.setText(EMAIL)
    dialog.password_edit.setText(PASSWORD)
    emitted: list[object] = []
    dialog.signed_in.connect(emitted.append)
    dialog.sign_in_button.click()
    dialog.reject()
    idle(registry, qtbot)
    assert emitted == []
    assert dialog.session is None
    assert dialog.result() == QDialog.DialogCode.Rejected


# --------------------------------------------------------------------------- create account


def test_create_account_validates_inline_then_signs_in(
    dialog: SignInDialog, auth: FakeAuth, registry: WorkerRegistry, qtbot: QtBot
) -> None:
    dialog.tabs.setCurrentIndex(CREATE)
    assert dialog.create_button.isDefault()
    assert not dialog.sign_in_button.isDefault()
    dialog.new_name_edit.setText("Bea")
    dialog.new_email_edit.setText("bea@")
    assert dialog.new_email_error.isVisible()
    dialog.new_email_edit.setText("bea@example.com")
    assert not dialog.new_email_error.isVisible()
    dialog.new_password_edit.setText("12345")
    assert dialog.new_password_error.text() == "Use at least 6 characters."
    dialog.new_password_edit.setText("123456")
    dialog.new_password_again.setText("123457")
    assert dialog.new_password_error.text() == "The two passwords do not match."
    assert not dialog.create_button.isEnabled()
    dialog.new_password_again.setText("123456")
    assert not dialog.new_password_error.isVisible()
    assert dialog.create_button.isEnabled()
    with qtbot.waitSignal(dialog.signed_in, timeout=TIMEOUT_MS) as blocker:
        qtbot.keyClick(dialog.new_password_again, Qt.Key.Key_Return)
    idle(registry, qtbot)
    assert blocker.args[0].identity.email == "bea@example.com"
    assert auth.names["bea@example.com"] == "Bea"
    assert auth.calls == [("sign_up", "bea@example.com", True)]


def test_create_account_refused_by_the_service_is_shown_inline(
    dialog: SignInDialog, registry: WorkerRegistry, qtbot: QtBot
) -> None:
    dialog.tabs.setCurrentIndex(CREATE)
    dialog.new_email_edit.setText(EMAIL)
    dialog.new_password_edit.setText("123456")
    dialog.new_password_again.setText("123456")
    dialog.create_button.click()
    idle(registry, qtbot)
    assert dialog.error.text() == "An account with this email exists."
    assert dialog.isVisible()


# --------------------------------------------------------------------------- forgot password


def test_forgot_password_sends_the_link_and_says_so(
    dialog: SignInDialog, auth: FakeAuth, registry: WorkerRegistry, qtbot: QtBot
) -> None:
    dialog.email_edit.setText(EMAIL)
    dialog.findChild(QWidget, "forgotLink").click()  # type: ignore[union-attr]
    assert dialog.tabs.currentIndex() == FORGOT
    assert dialog.reset_email_edit.text() == EMAIL
    assert not dialog.remember_check.isVisible()
    dialog.reset_button.click()
    idle(registry, qtbot)
    assert dialog.status.isVisible()
    assert dialog.status.text().startswith(f"If an account exists for {EMAIL}, a reset link")
    assert auth.calls == [("reset", EMAIL, None)]
    assert dialog.isVisible()  # still there to sign in with the new password
    dialog.tabs.setCurrentIndex(SIGN_IN)
    assert dialog.sign_in_button.isDefault()


# --------------------------------------------------------------------------- notes and banners


def test_keyring_problem_and_offline_banner_are_shown(
    auth: FakeAuth, registry: WorkerRegistry, qtbot: QtBot
) -> None:
    widget = SignInDialog(
        auth,  # type: ignore[arg-type]
        registry,
        offline_banner="Your offline sign-in expired; sign in again.",
        keyring_problem="The keyring is locked.",
    )
    qtbot.addWidget(widget)
    widget.show()
    assert widget.banner.isVisible()
    assert widget.banner.text() == "Your offline sign-in expired; sign in again."
    assert widget.keyring_note.isVisible()
    assert "your sign-in will last for this run only" in widget.keyring_note.text().lower()
    assert "The keyring is locked." in widget.keyring_note.text()
    assert not widget.remember_check.isChecked()
    assert not widget.remember_check.isEnabled()


def test_no_notes_without_problems(dialog: SignInDialog) -> None:
    assert not dialog.banner.isVisible()
    assert not dialog.keyring_note.isVisible()


def test_offline_banner_text(qtbot: QtBot) -> None:
    banner = OfflineBanner()
    qtbot.addWidget(banner)
    verified = datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
    until = verified + timedelta(days=7)
    banner.set_session(make_session(EMAIL, offline=True, verified_at=verified, expires_at=until))
    assert not banner.isHidden()
    text = banner.label.text()
    assert text == offline_text(verified, until)
    assert text.startswith("Offline — using your last verified sign-in from ")
    assert "; it expires " in text
    banner.set_session(make_session(EMAIL))
    assert banner.isHidden()


def test_banner_sits_above_the_central_widget(qtbot: QtBot) -> None:
    central = QWidget()
    banner = OfflineBanner()
    holder = with_banner(central, banner)
    qtbot.addWidget(holder)
    layout = holder.layout()
    assert layout is not None
    assert layout.itemAt(0).widget() is banner
    assert layout.itemAt(1).widget() is central


# --------------------------------------------------------------------------- account menu


def test_account_menu_reflects_the_identity(qtbot: QtBot) -> None:
    owner = QWidget()
    qtbot.addWidget(owner)
    bar = QMenuBar(owner)
    bar.addMenu("&File")
    help_menu = bar.addMenu("&Help")
    account = AccountMenu(owner)
    account.install(bar)
    titles = [action.text() for action in bar.actions()]
    assert titles == ["&File", "&Account", "&Help"]
    assert bar.actions()[-1] is help_menu.menuAction()

    assert account.who_action.text() == "Local profile"
    assert not account.who_action.isEnabled()
    assert not account.sign_out_action.isEnabled()
    assert not account.switch_user_action.isEnabled()

    identity = make_session("x@y.com").identity
    account.set_identity(identity, offline=False)
    assert account.who_action.text() == "Signed in as x@y.com"
    assert not account.who_action.isEnabled()
    assert account.sign_out_action.isEnabled()
    assert account.switch_user_action.isEnabled()
    account.set_identity(identity, offline=True)
    assert account.who_action.text() == "Signed in as x@y.com (offline)"

    with qtbot.waitSignal(account.sign_out_requested, timeout=1000):
        account.sign_out_action.trigger()
    with qtbot.waitSignal(account.switch_user_requested, timeout=1000):
        account.switch_user_action.trigger()
    account.set_identity(None)
    assert account.who_action.text() == "Local profile"


# --------------------------------------------------------------------------- start-up


def test_start_up_uses_a_restored_session_without_asking(
    auth: FakeAuth, registry: WorkerRegistry, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    auth.restored = make_session(EMAIL)
    monkeypatch.setattr(SignInDialog, "exec", lambda self: pytest.fail("asked to sign in"))
    session = sign_in_at_start(auth, registry)  # type: ignore[arg-type]
    idle(registry, qtbot)
    assert session is auth.restored


def test_start_up_asks_when_restore_fails_and_says_why(
    auth: FakeAuth, registry: WorkerRegistry, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    auth.restore_error = AuthError("Your saved sign-in has expired.", reason="token_expired")
    shown: list[str] = []

    def fake_exec(self: SignInDialog) -> int:
        shown.append(self.banner.text())
        self.session = make_session("b@example.com")
        return int(QDialog.DialogCode.Accepted)

    monkeypatch.setattr(SignInDialog, "exec", fake_exec)
    session = sign_in_at_start(auth, registry)  # type: ignore[arg-type]
    idle(registry, qtbot)
    assert shown == ["Your saved sign-in has expired."]
    assert session is not None
    assert session.identity.email == "b@example.com"


def test_start_up_says_when_the_keyring_cannot_remember(
    auth: FakeAuth, registry: WorkerRegistry, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    keyring.set_keyring(fail.Keyring())  # no keyring at all; the autouse fixture restores it
    notes: list[str] = []

    def fake_exec(self: SignInDialog) -> int:
        notes.append(self.keyring_note.text() if not self.keyring_note.isHidden() else "")
        return int(QDialog.DialogCode.Rejected)

    monkeypatch.setattr(SignInDialog, "exec", fake_exec)
    session = sign_in_at_start(auth, registry, secrets=SecretStore())  # type: ignore[arg-type]
    idle(registry, qtbot)
    assert session is None
    assert len(notes) == 1
    assert notes[0].startswith("Your sign-in will last for this run only: ")
    assert "No keyring service is running" in notes[0]


# --------------------------------------------------------------------------- session keeper


@pytest.fixture
def keeper_parts(qtbot: QtBot) -> tuple[QWidget, AccountMenu, OfflineBanner]:
    window = QWidget()
    qtbot.addWidget(window)
    return window, AccountMenu(window), OfflineBanner(window)


def keeper(
    auth: FakeAuth,
    registry: WorkerRegistry,
    parts: tuple[QWidget, AccountMenu, OfflineBanner],
    session: Session,
) -> SessionKeeper:
    window, menu, banner = parts
    return SessionKeeper(
        auth,  # type: ignore[arg-type]
        registry,
        session,
        window,
        menu=menu,
        banner=banner,
    )


def test_keeper_refresh_going_offline_shows_the_banner(
    auth: FakeAuth, registry: WorkerRegistry, qtbot: QtBot, keeper_parts: Any
) -> None:
    kept = keeper(auth, registry, keeper_parts, make_session(EMAIL))
    _window, menu, banner = keeper_parts
    assert menu.who_action.text() == f"Signed in as {EMAIL}"
    assert banner.isHidden()
    auth.refreshed = make_session(EMAIL, offline=True)
    kept.refresh()
    idle(registry, qtbot)
    assert kept.session is auth.refreshed
    assert menu.who_action.text() == f"Signed in as {EMAIL} (offline)"
    assert not banner.isHidden()
    assert banner.label.text().startswith("Offline — using your last verified sign-in")


def test_keeper_asks_again_when_the_session_is_over(
    auth: FakeAuth, registry: WorkerRegistry, qtbot: QtBot, keeper_parts: Any
) -> None:
    kept = keeper(auth, registry, keeper_parts, make_session(EMAIL))
    auth.refresh_error = AuthError(
        "You have been offline longer than the grace period.", reason="session_expired"
    )
    kept.refresh()
    idle(registry, qtbot)
    assert kept.session is None
    assert kept.dialog is not None
    assert kept.dialog.banner.text() == "You have been offline longer than the grace period."
    assert keeper_parts[1].who_action.text() == "Local profile"
    with qtbot.waitSignal(kept.signed_out, timeout=TIMEOUT_MS):
        kept.dialog.reject()


def test_keeper_sign_out_then_sign_in_as_someone_else(
    auth: FakeAuth, registry: WorkerRegistry, qtbot: QtBot, keeper_parts: Any
) -> None:
    auth.accounts["bea@example.com"] = "bea-secret"
    kept = keeper(auth, registry, keeper_parts, make_session(EMAIL))
    menu = keeper_parts[1]
    menu.sign_out_action.trigger()
    idle(registry, qtbot)
    assert ("sign_out", EMAIL, None) in auth.calls
    dialog = kept.dialog
    assert dialog is not None
    assert dialog.isVisible()
    dialog.email_edit.setText("bea@example.com")
    dialog.password_edit.setText("bea-secret")
    with qtbot.waitSignal(kept.session_changed, timeout=TIMEOUT_MS) as blocker:
        dialog.sign_in_button.click()
    idle(registry, qtbot)
    assert blocker.args[0].identity.email == "bea@example.com"
    assert kept.session is blocker.args[0]
    assert menu.who_action.text() == "Signed in as bea@example.com"
    assert kept.dialog is None


def test_keeper_switch_user_cancelled_keeps_the_session(
    auth: FakeAuth, registry: WorkerRegistry, qtbot: QtBot, keeper_parts: Any
) -> None:
    session = make_session(EMAIL)
    kept = keeper(auth, registry, keeper_parts, session)
    signed_out: list[bool] = []
    kept.signed_out.connect(lambda: signed_out.append(True))
    keeper_parts[1].switch_user_action.trigger()
    assert kept.dialog is not None
    kept.dialog.reject()
    assert kept.session is session
    assert signed_out == []
    assert kept.dialog is None
