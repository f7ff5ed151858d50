"""What the windowed app accepts on its command line, and what it says about the rest.

``caliber-desktop`` opens the window; the command line is ``caliber``. On Windows the windowed
executable has no console (``sys.stdout`` is ``None``), so a command typed at it (``caliber-desktop
score report.csv``) used to vanish without a word. The app now takes only its own flags and Qt's
documented options, plus one report file (dropped on the executable's icon, "Open with"): the
window opens it as if it had been dropped on it. Anything else is refused with a message that names
``caliber`` (a dialog, a line on stderr when there is one, and a log line). Qt-free, so the rules
are tested without a display.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from caliber_desktop.services.scoring.sniff import REPORT_SUFFIXES

#: The app's own flags (``caliber_desktop.app``): the smoke test and the hidden Qt probe.
APP_FLAGS = frozenset({"--smoke", "--qt-probe"})
#: Qt's documented command-line options (QGuiApplication and QApplication constructors, also
#: listed in qt6options(7)) that take a value, as ``-name value`` or ``-name=value``. Qt accepts
#: them with one or two dashes.
QT_VALUE_OPTIONS = frozenset(
    {
        "platform",
        "platformpluginpath",
        "platformtheme",
        "plugin",
        "qwindowgeometry",
        "qwindowicon",
        "qwindowtitle",
        "session",  # session managers restart an app with ``-session <id>``
        "style",
        "stylesheet",
        "display",  # X11
        "geometry",  # X11
    }
)
#: Qt options with the value attached (``-dialogs=none``) and flags without a value.
QT_ATTACHED_OPTIONS = frozenset({"qmljsdebugger", "dialogs", "fontengine"})
QT_FLAGS = frozenset({"reverse", "widgetcount", "nograb", "dograb", "sync"})
#: Old macOS launchers add a process serial number (``-psn_0_12345``); it means nothing to us.
MACOS_PSN_PREFIX = "-psn_"
HELP_FLAGS = frozenset({"-h", "--help", "-?", "/?"})


@dataclass(frozen=True)
class LaunchArguments:
    """The windowed app's command line, sorted into what is used and what is refused."""

    smoke: bool = False
    qt_probe: bool = False
    help: bool = False
    qt_args: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    #: One existing report file and nothing else unknown: the window opens it as if dropped.
    report: Path | None = None


def as_report(arg: str) -> Path | None:
    """``arg`` as a report file to open, or None when it is not an existing file of that kind.

    How a report reaches the window without a drop: dropped on the executable's icon in Windows
    Explorer, "Open with", a shortcut. Its content is checked by the import, as a drop's is.
    """
    path = Path(arg)
    if path.suffix.lower() in REPORT_SUFFIXES and path.is_file():
        return path.resolve()
    return None


def _qt_option_name(arg: str) -> str:
    return arg.lstrip("-").split("=", 1)[0]


def parse_launch_arguments(argv: list[str]) -> LaunchArguments:
    """Sort ``argv`` (without the program name) into app flags, Qt options and the rest."""
    smoke = qt_probe = wants_help = False
    qt_args: list[str] = []
    unknown: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        i += 1
        if arg == "--smoke":
            smoke = True
        elif arg == "--qt-probe":
            qt_probe = True
        elif arg in HELP_FLAGS:
            wants_help = True
        elif arg.startswith(MACOS_PSN_PREFIX):
            continue
        elif arg.startswith("-") and arg not in {"-", "--"}:
            name, attached = _qt_option_name(arg), "=" in arg
            if name in QT_VALUE_OPTIONS and not attached and i < len(argv):
                qt_args += [arg, argv[i]]
                i += 1
            elif name in QT_VALUE_OPTIONS | QT_FLAGS or (name in QT_ATTACHED_OPTIONS and attached):
                qt_args.append(arg)
            else:
                unknown.append(arg)
        else:
            unknown.append(arg)
    report = as_report(unknown[0]) if len(unknown) == 1 else None
    if report is not None:
        unknown = []
    return LaunchArguments(smoke, qt_probe, wants_help, qt_args, unknown, report)


def qt_platform(arguments: LaunchArguments, environ: Mapping[str, str]) -> str:
    """The Qt platform plugin Qt will pick from ``-platform`` or ``QT_QPA_PLATFORM`` ('' if none).

    Only the plugin's name: ``offscreen:fontengine=freetype`` is ``offscreen``, and of a fallback
    list (``wayland;xcb``) the first.
    """
    chosen = environ.get("QT_QPA_PLATFORM", "")
    args = arguments.qt_args
    for i, arg in enumerate(args):
        if _qt_option_name(arg) == "platform":
            if "=" in arg:
                chosen = arg.split("=", 1)[1]
            elif i + 1 < len(args):
                chosen = args[i + 1]
    return chosen.split(";", 1)[0].split(":", 1)[0].strip()


def cli_executable() -> str:
    """How to reach the ``caliber`` command: the bundle's own ``caliber(.exe)`` when frozen."""
    suffix = ".exe" if sys.platform == "win32" else ""
    if getattr(sys, "frozen", False):
        return str(Path(sys.executable).with_name(f"caliber{suffix}"))
    beside = Path(sys.executable).with_name(f"caliber{suffix}")  # the venv's console script
    return str(beside) if beside.exists() else "caliber"


def command_line(parts: list[str]) -> str:
    """``parts`` quoted the way the platform's shell reads them back."""
    if sys.platform == "win32":
        return subprocess.list2cmdline(parts)
    return shlex.join(parts)


def usage_message(arguments: LaunchArguments) -> str:
    """What the refusal says: the window takes no commands; ``caliber`` is the command line."""
    cli = cli_executable()
    given = f"; it was given: {command_line(arguments.unknown)}" if arguments.unknown else "."
    examples = [[cli, *arguments.unknown]] if arguments.unknown else []
    examples.append([cli, "--help"])
    return "\n".join(
        [
            f"Caliber Desktop opens the window and takes no command-line arguments{given}",
            "",
            "For the command line, run caliber instead:",
            *(f"    {command_line(example)}" for example in examples),
        ]
    )
