"""The windowed app's command line (caliber_desktop.launch): what it takes and what it refuses."""

from __future__ import annotations

from pathlib import Path

import pytest

from caliber_desktop import launch
from caliber_desktop.launch import LaunchArguments, parse_launch_arguments, qt_platform


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], LaunchArguments()),
        (["--smoke"], LaunchArguments(smoke=True)),
        (["--qt-probe"], LaunchArguments(qt_probe=True)),
        (["--help"], LaunchArguments(help=True)),
        (["/?"], LaunchArguments(help=True)),
        # Qt's own options, with the value apart or attached, one dash or two.
        (["-style", "fusion"], LaunchArguments(qt_args=["-style", "fusion"])),
        (["--style=fusion"], LaunchArguments(qt_args=["--style=fusion"])),
        (
            ["-platform", "offscreen", "--smoke"],
            LaunchArguments(smoke=True, qt_args=["-platform", "offscreen"]),
        ),
        (["-reverse", "-session", "abc"], LaunchArguments(qt_args=["-reverse", "-session", "abc"])),
        (["-qmljsdebugger=port:1234"], LaunchArguments(qt_args=["-qmljsdebugger=port:1234"])),
        (["-psn_0_12345"], LaunchArguments()),  # old macOS launchers add this
        # A CLI command, a file, an unknown option: refused, in the order given.
        (["score", "report.csv"], LaunchArguments(unknown=["score", "report.csv"])),
        (["--smoke", "score"], LaunchArguments(smoke=True, unknown=["score"])),
        (["report.csv"], LaunchArguments(unknown=["report.csv"])),  # no such file here
        (["--json", "-v"], LaunchArguments(unknown=["--json", "-v"])),
        (["-qmljsdebugger"], LaunchArguments(unknown=["-qmljsdebugger"])),  # needs its value
        (["--"], LaunchArguments(unknown=["--"])),
    ],
)
def test_arguments_are_sorted(argv: list[str], expected: LaunchArguments) -> None:
    assert parse_launch_arguments(argv) == expected


def test_one_existing_report_is_opened_not_refused(tmp_path: Path) -> None:
    """Windows Explorer passes a file dropped on the executable's icon as its argument."""
    report = tmp_path / "Q4 report (final).XLSX"
    report.write_bytes(b"PK")
    notes = tmp_path / "notes.docx"
    notes.write_bytes(b"PK")
    assert parse_launch_arguments([str(report)]) == LaunchArguments(report=report.resolve())
    assert parse_launch_arguments(["-style", "fusion", str(report)]).report == report.resolve()
    assert parse_launch_arguments([str(notes)]).unknown == [str(notes)]  # not a report
    assert parse_launch_arguments([str(tmp_path)]).unknown == [str(tmp_path)]  # a folder
    assert parse_launch_arguments(["score", str(report)]).unknown == ["score", str(report)]


@pytest.mark.parametrize(
    ("qt_args", "environ", "platform"),
    [
        ([], {}, ""),
        ([], {"QT_QPA_PLATFORM": "offscreen"}, "offscreen"),
        ([], {"QT_QPA_PLATFORM": "wayland;xcb"}, "wayland"),
        (["-platform", "minimal"], {"QT_QPA_PLATFORM": "xcb"}, "minimal"),
        (["--platform=offscreen:fontengine=freetype"], {}, "offscreen"),
    ],
)
def test_the_qt_platform_is_read_like_qt_reads_it(
    qt_args: list[str], environ: dict[str, str], platform: str
) -> None:
    assert qt_platform(LaunchArguments(qt_args=qt_args), environ) == platform


def test_the_message_names_the_command_line_and_repeats_the_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(launch, "cli_executable", lambda: "/opt/Caliber Desktop/caliber")
    monkeypatch.setattr(launch.sys, "platform", "linux")
    message = launch.usage_message(parse_launch_arguments(["score", "my report.csv"]))
    assert "takes no command-line arguments; it was given: score 'my report.csv'" in message
    assert "'/opt/Caliber Desktop/caliber' score 'my report.csv'" in message
    assert "'/opt/Caliber Desktop/caliber' --help" in message


def test_on_windows_the_message_quotes_for_cmd(monkeypatch: pytest.MonkeyPatch) -> None:
    exe = r"C:\Users\ana\AppData\Local\Programs\Caliber Desktop\caliber.exe"
    monkeypatch.setattr(launch, "cli_executable", lambda: exe)
    monkeypatch.setattr(launch.sys, "platform", "win32")
    message = launch.usage_message(parse_launch_arguments(["score", "my report.csv"]))
    assert f'"{exe}" score "my report.csv"' in message


def test_frozen_the_command_line_is_the_caliber_beside_the_executable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(launch.sys, "frozen", True, raising=False)
    monkeypatch.setattr(launch.sys, "platform", "win32")
    monkeypatch.setattr(launch.sys, "executable", r"C:\Caliber\caliber-desktop.exe")
    assert launch.cli_executable().endswith("caliber.exe")
    assert "caliber-desktop" not in launch.cli_executable()
