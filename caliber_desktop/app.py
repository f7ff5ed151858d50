"""GUI composition root: arguments → QApplication → workspace → registry → main window.

``caliber-desktop`` (and ``python -m caliber_desktop`` without arguments) runs :func:`main`. It
takes Qt's own options, two flags for automation and one report file to open (as if dropped on
the window: see :class:`ReportOpener`); any other argument is refused with a message that points
to ``caliber``, the command line (see :mod:`caliber_desktop.launch`: the windowed
executable has no console on Windows, so a command given to it must not fail silently).

``--smoke``
    Start offscreen, wait (bounded) until the window is up and the start-up jobs are done, score
    the bundled sample on a worker until the results table has rows, check the store, print
    ``SMOKE OK`` and exit 0 — or print ``SMOKE FAILED: <reason>`` to stderr and
    exit 1 (2 for an expected error such as a database from a newer Caliber). CI runs it against
    the frozen app.
``--qt-probe`` (hidden)
    Create a ``QGuiApplication``, print the platform plugin's name and exit. ``caliber doctor``
    runs it in a subprocess because Qt aborts the whole process when no display is available.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import logging
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QDeadlineTimer, QEvent, QEventLoop, QObject, QThread, QTimer, Slot
from PySide6.QtGui import QFileOpenEvent
from PySide6.QtWidgets import QApplication, QMessageBox

from caliber_desktop import __version__
from caliber_desktop.config import APP_AUTHOR, default_paths, setup_logging
from caliber_desktop.errors import CaliberError
from caliber_desktop.launch import (
    LaunchArguments,
    as_report,
    parse_launch_arguments,
    qt_platform,
    usage_message,
)
from caliber_desktop.models.store import head_revision
from caliber_desktop.services.auth.secrets import SecretStore
from caliber_desktop.services.auth.service import AuthConfig, AuthService
from caliber_desktop.services.workspace import Workspace, open_workspace
from caliber_desktop.ui.account.session import SessionKeeper, sign_in_at_start, signed_in_user
from caliber_desktop.ui.mainwindow.window import MainWindow
from caliber_desktop.ui.shared.collector import GuiThreadCollector
from caliber_desktop.ui.shared.common import app_icon
from caliber_desktop.ui.shared.errors import ErrorDialog, error_box
from caliber_desktop.ui.shared.theme import ThemeFollower
from caliber_desktop.workers import scoring
from caliber_desktop.workers.base import ErrorInfo
from caliber_desktop.workers.registry import WorkerRegistry, install_quit_hook

log = logging.getLogger(__name__)

APP_DISPLAY_NAME = "Caliber Desktop"
SMOKE_TIMEOUT_MS = 20_000
SMOKE_POLL_MS = 50
QUIT_TIMEOUT_MS = 5_000
EXIT_OK, EXIT_FAILED, EXIT_EXPECTED = 0, 1, 2
EXIT_USAGE = 2  # as argparse: the command line was wrong
USAGE_TITLE = "Caliber Desktop: use caliber for the command line"
#: Qt platforms nobody looks at: a dialog there would wait for a click forever.
HEADLESS_PLATFORMS = frozenset({"offscreen", "minimal"})


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="caliber-desktop",
        description="Caliber Desktop: score ad-performance reports and build allow/block lists.",
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="start offscreen, check that the window and the database come up, and exit",
    )
    parser.add_argument("--qt-probe", action="store_true", help=argparse.SUPPRESS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the desktop app; returns the process exit status.

    Qt's own options go to Qt; anything that is neither those nor ``--smoke``/``--qt-probe`` is
    refused (exit 2) with a dialog, a line on stderr when there is a stderr, and a log line.
    """
    arguments = parse_launch_arguments(list(sys.argv[1:] if argv is None else argv))
    if arguments.help:
        return _show_help(arguments)
    if arguments.unknown:
        return _refuse_arguments(arguments)
    if arguments.qt_probe:
        return _qt_probe(arguments.qt_args)
    if arguments.smoke:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = _application(arguments.qt_args)
    reporter = BugReporter(smoke=arguments.smoke)
    previous_hook, sys.excepthook = sys.excepthook, reporter
    try:
        return _run(app, reporter, smoke=arguments.smoke, report=arguments.report)
    finally:
        sys.excepthook = previous_hook


def _show_help(arguments: LaunchArguments) -> int:
    """``--help``: on a console the flags and where the commands are; without one, a dialog."""
    text = f"{build_parser().format_help()}\n{usage_message(arguments)}"
    if sys.stdout is not None:
        print(text)
    elif dialogs_can_be_seen(arguments):
        _dialog_application(arguments.qt_args)
        QMessageBox.information(None, USAGE_TITLE, usage_message(arguments))
    return EXIT_OK


def _refuse_arguments(arguments: LaunchArguments) -> int:
    """Arguments the window does not take (usually a ``caliber`` command): say so, never silently.

    The windowed executable has no stdout or stderr on Windows, so the message goes to a dialog
    and to the data dir's log as well as to stderr.
    """
    message = usage_message(arguments)
    with contextlib.suppress(OSError):  # no writable data dir: stderr and the dialog still say it
        setup_logging(default_paths())
    log.error("refused command-line arguments %s: the command line is caliber", arguments.unknown)
    if sys.stderr is not None:
        print(message, file=sys.stderr)
    if not arguments.smoke and dialogs_can_be_seen(arguments):
        _dialog_application(arguments.qt_args)
        QMessageBox.critical(None, USAGE_TITLE, message)
    return EXIT_USAGE


def dialogs_can_be_seen(arguments: LaunchArguments) -> bool:
    """Whether a dialog would reach a person (and Qt can start at all: no display aborts it)."""
    platform = qt_platform(arguments, os.environ)
    if platform:
        return platform not in HEADLESS_PLATFORMS
    needs_a_display = sys.platform.startswith("linux")  # X11 or Wayland; Windows/macOS always
    return not needs_a_display or bool(
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    )


def _dialog_application(qt_args: list[str]) -> QApplication:
    """Just enough of an application for a message box before the window exists."""
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication([sys.argv[0], *qt_args])
    app.setWindowIcon(app_icon())
    return app


def _qt_probe(qt_args: list[str]) -> int:
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication([sys.argv[0], *qt_args])
    print(QGuiApplication.platformName() if isinstance(app, QGuiApplication) else "none")
    return EXIT_OK


def _application(qt_args: list[str]) -> QApplication:
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication([sys.argv[0], *qt_args])
    app.setOrganizationName(APP_AUTHOR)
    app.setApplicationName(APP_DISPLAY_NAME)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("caliber-desktop")
    app.setWindowIcon(app_icon())
    ThemeFollower(app)
    return app


class ReportOpener(QObject):
    """Reports handed to the running app by the OS open in the window as if dropped on it.

    macOS delivers a file dropped on the Dock icon or opened with "Open With" as a
    ``QFileOpenEvent`` to the application (not as an argument); a report given on the command
    line (Windows Explorer passes a file dropped on the executable that way) goes through
    :meth:`open` once the window is up.
    """

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window

    def open(self, path: Path) -> None:
        log.info("opening %s handed to the app", path)
        self.window.open_report(path)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.FileOpen and isinstance(event, QFileOpenEvent):
            report = as_report(event.file())
            if report is not None:
                QTimer.singleShot(0, self.window, lambda: self.open(report))
                return True
        return super().eventFilter(watched, event)


def _run(
    app: QApplication, reporter: BugReporter, *, smoke: bool, report: Path | None = None
) -> int:
    try:
        workspace = open_workspace()
    except CaliberError as exc:
        return _startup_refused(exc, smoke=smoke)
    collector = GuiThreadCollector(app)  # before any job: cycles die on this thread only
    try:
        registry = WorkerRegistry()
        install_quit_hook(app, registry, QUIT_TIMEOUT_MS)
        reporter.log_file = str(workspace.paths.log_file)
        secrets = SecretStore()
        # One keyring store for the window and the AI service: a key kept in memory for this run
        # (no working keyring) is then seen by both.
        workspace.secrets = secrets
        config = AuthConfig.from_settings(workspace.settings)
        auth = AuthService(config, secrets, workspace.store) if config.configured else None
        session = None
        if auth is not None:  # Firebase is configured: nobody works unsigned
            session = sign_in_at_start(auth, registry, secrets=secrets)
            if session is None:
                return EXIT_OK  # the analyst closed the sign-in dialog
            user = signed_in_user(registry, auth, session)
            workspace.bind(user)
        window = MainWindow(workspace, registry)
        window.secrets = secrets
        window.auth = auth
        if auth is not None and session is not None:
            keeper = SessionKeeper(
                auth,
                registry,
                session,
                window,
                menu=window.account,
                banner=window.offline_banner,
                secrets=secrets,
            )
            keeper.session_changed.connect(window.on_session_changed)
            keeper.signed_out.connect(window.close)
        window.show()
        freeze_startup_objects()
        window.start_up()
        opener = ReportOpener(window)
        app.installEventFilter(opener)
        if report is not None and not smoke:
            QTimer.singleShot(0, window, lambda: opener.open(report))
        if smoke:
            code = _smoke(window, registry, workspace, reporter)
            window.close()
            registry.shutdown(QUIT_TIMEOUT_MS)
        else:
            code = app.exec()
        collector.stop()  # the workers are done: Python's own collector for the way out
        return code
    except CaliberError as exc:
        return _startup_refused(exc, smoke=smoke)
    except Exception as exc:
        log.exception("Caliber failed to start")
        if smoke:
            print(f"SMOKE FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
        else:
            error_box(None, ErrorInfo.bug("Starting Caliber", exc), workspace.paths.log_file).exec()
        return EXIT_FAILED
    finally:
        workspace.close()


def freeze_startup_objects() -> None:
    """Move everything alive after start-up out of the garbage collector's sight.

    Modules, Qt wrappers and pandas' internals never become garbage, yet every full collection
    walks them all; while a worker allocates heavily (scoring 100k sites) those walks stop the
    GUI thread too, since it shares the interpreter. Frozen, they are skipped: the longest
    event-loop stall while a 1M-row report scores fell from ~180 ms to ~90 ms (bench/).
    """
    gc.collect()
    gc.freeze()


def _startup_refused(exc: CaliberError, *, smoke: bool) -> int:
    """An expected failure before the window is usable: say why, no traceback."""
    log.error("Caliber cannot start: %s", exc)
    if smoke:
        print(f"SMOKE FAILED: {exc}", file=sys.stderr)
    else:
        error_box(None, ErrorInfo("Caliber cannot start", str(exc))).exec()
    return EXIT_EXPECTED


# --------------------------------------------------------------------------- smoke test


class _SmokeWatch(QObject):
    """Polls from the event loop until start-up is done, an error shows up, or time runs out."""

    def __init__(self, window: MainWindow, registry: WorkerRegistry, reporter: BugReporter) -> None:
        super().__init__()
        self.window = window
        self.registry = registry
        self.reporter = reporter
        self.errors: list[str] = []
        self.loop = QEventLoop(self)
        self.deadline = QDeadlineTimer(SMOKE_TIMEOUT_MS)
        self.ready: Callable[[], bool] = lambda: False
        self.timer = QTimer(self)
        self.timer.setInterval(SMOKE_POLL_MS)
        self.timer.timeout.connect(self._check)
        window.error_reported.connect(self._on_error)

    def wait(self, ready: Callable[[], bool], what: str) -> str | None:
        """None when ``ready()`` came true; otherwise why not (an error, a bug, the clock)."""
        self.ready = ready
        self.deadline = QDeadlineTimer(SMOKE_TIMEOUT_MS)
        self.timer.start()
        self.loop.exec()
        self.timer.stop()
        if self.errors:
            return self.errors[0]
        if self.reporter.bugs:
            return self.reporter.bugs[0]
        if not ready():
            return f"{what} did not finish within {SMOKE_TIMEOUT_MS // 1000} s"
        return None

    def started(self) -> bool:
        handle = self.window.windowHandle()
        return (
            self.window.startup_complete
            and self.window.isVisible()
            and handle is not None
            and handle.isExposed()
            and self.registry.running_count() == 0
        )

    def scored(self) -> bool:
        return (
            self.window.workbench.loaded is not None
            and self.window.results_panel.visible_row_count() > 0
            and self.registry.running_count() == 0
        )

    @Slot(object)
    def _on_error(self, info: object) -> None:
        if isinstance(info, ErrorInfo):
            self.errors.append(f"{info.title}: {info.message}")

    @Slot()
    def _check(self) -> None:
        if self.errors or self.reporter.bugs or self.ready() or self.deadline.hasExpired():
            self.loop.quit()


def _smoke(
    window: MainWindow, registry: WorkerRegistry, workspace: Workspace, reporter: BugReporter
) -> int:
    watch = _SmokeWatch(window, registry, reporter)
    failure = watch.wait(watch.started, "start-up")
    if failure is None:  # the first-run path: score the bundled sample on a worker
        # ... in a child process, as a large report is scored (the sample alone would score in
        # the worker): a bundle whose child process cannot start fails here, not on a big report
        scoring.CHILD_MIN_BYTES = 0
        window.try_sample()
        failure = watch.wait(watch.scored, "scoring the sample")
    if failure is None:
        revision, head = workspace.store.current_revision(), head_revision()
        if revision != head:
            failure = f"database schema is {revision}, expected {head}"
    if failure is not None:
        print(f"SMOKE FAILED: {failure}", file=sys.stderr)
        return EXIT_FAILED
    print("SMOKE OK", flush=True)
    return EXIT_OK


# --------------------------------------------------------------------------- bugs


class BugReporter(QObject):
    """``sys.excepthook`` for the GUI: an exception escaping a slot is a bug (rule 10).

    It goes to the log with its traceback and the user gets a short dialog instead of a silent
    failure or a console traceback; one dialog at a time, so a bug in a paint handler cannot bury
    the screen. In ``--smoke`` the traceback goes to stderr and the smoke test fails.
    """

    def __init__(self, *, smoke: bool = False) -> None:
        super().__init__()
        self.smoke = smoke
        self.bugs: list[str] = []
        self.log_file: str | None = None
        self._dialog: ErrorDialog | None = None

    def __call__(
        self, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        log.critical("unhandled exception", exc_info=(exc_type, exc, tb))
        self.bugs.append(f"{exc_type.__name__}: {exc}")
        if self.smoke:
            traceback.print_exception(exc_type, exc, tb, file=sys.stderr)
            return
        app = QApplication.instance()
        on_gui_thread = app is not None and QThread.currentThread() is app.thread()
        if on_gui_thread and self._dialog is None:
            self._show(ErrorInfo.bug("Caliber", exc.with_traceback(tb)))

    def _show(self, info: ErrorInfo) -> None:
        log_file = Path(self.log_file) if self.log_file else None
        box = error_box(QApplication.activeWindow(), info, log_file)
        box.finished.connect(self._on_dialog_closed)
        self._dialog = box
        box.open()

    @Slot(int)
    def _on_dialog_closed(self, _result: int) -> None:
        if self._dialog is not None:
            self._dialog.deleteLater()
        self._dialog = None
