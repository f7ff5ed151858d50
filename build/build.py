#!/usr/bin/env python3
"""Build the one-folder bundle with PyInstaller, and optionally smoke-test the frozen app.

    python build/build.py            build build/dist/caliber-desktop/
    python build/build.py --smoke    build, then run the frozen app's smoke test and a CLI score
    python build/build.py --smoke-only   smoke-test an existing bundle

Run it with the project's virtual environment (``python3 dev.py bundle`` does). PyInstaller's
work folder is ``build/work`` and its output ``build/dist``; both are git-ignored. The build time
and the bundle size are printed at the end (the README quotes them).
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SPEC = HERE / "caliber.spec"
WORK = HERE / "work"
DIST = HERE / "dist"
APP = "caliber-desktop"
#: The app's data files (icons, the sample report, fonts): caliber_desktop/resources in the bundle.
RESOURCES = ROOT / "resources"
SAMPLE = RESOURCES / "samples" / "ttd_display_awareness_sample.csv"
SMOKE_TIMEOUT_S = 180
EXE_SUFFIX = ".exe" if platform.system() == "Windows" else ""


def bundle_dir() -> Path:
    """The one-folder bundle (inside the .app on macOS it is the same folder PyInstaller made)."""
    return DIST / APP


def executable(name: str) -> Path:
    return bundle_dir() / f"{name}{EXE_SUFFIX}"


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def human(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:,.1f} {unit}" if unit != "B" else f"{n:,.0f} B"
        n /= 1024
    return f"{n:,.1f} GB"  # pragma: no cover


def make_icons() -> None:
    """Render the SVG app icon to .ico (Windows) and .png/.icns (macOS) for the executables."""
    icons = WORK / "icons"
    icons.mkdir(parents=True, exist_ok=True)
    svg = RESOURCES / "icons" / "caliber.svg"
    script = f"""
import sys
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer
app = QGuiApplication(["icons", "-platform", "offscreen"])
renderer = QSvgRenderer({str(svg)!r})
image = QImage(256, 256, QImage.Format.Format_ARGB32)
image.fill(Qt.GlobalColor.transparent)
painter = QPainter(image)
renderer.render(painter)
painter.end()
ok = image.save({str(icons / "caliber.png")!r})
image.save({str(icons / "caliber.ico")!r})  # needs Qt's ico plugin; a missing one is fine
sys.exit(0 if ok else 1)
"""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-c", script], env=env, check=False)
    if done.returncode != 0:
        print("note: could not render the app icon; the executables get the default icon")
    png = icons / "caliber.png"
    if platform.system() == "Darwin" and png.exists() and shutil.which("sips"):
        iconset = icons / "caliber.iconset"
        iconset.mkdir(exist_ok=True)
        for size in (16, 32, 128, 256):
            for scale in (1, 2):
                target = iconset / (f"icon_{size}x{size}" + ("@2x" if scale == 2 else "") + ".png")
                subprocess.run(
                    ["sips", "-z", str(size * scale), str(size * scale), png, "--out", target],
                    capture_output=True,
                    check=False,
                )
        subprocess.run(["iconutil", "-c", "icns", iconset], check=False)


def inno_version_defines(version: str) -> str:
    """``AppVersion`` and ``AppVersionNumeric`` for installer.iss.

    The file version resource (``VersionInfoVersion``) takes one to four numbers only, so
    ``1.2.0rc1`` and ``1.2.0.dev3`` give ``1.2.0`` there; ``AppVersion`` keeps the full text.
    """
    numeric = re.match(r"\d+(?:\.\d+){0,3}", version)
    return (
        f'#define AppVersion "{version}"\n'
        f'#define AppVersionNumeric "{numeric.group(0) if numeric else "0.0.0"}"\n'
    )


def build(clean: bool) -> float:
    from caliber_desktop import __version__

    WORK.mkdir(parents=True, exist_ok=True)
    make_icons()
    # Inno Setup reads the version from here (installer.iss includes it).
    (WORK / "version.iss").write_text(inno_version_defines(__version__), encoding="utf-8")
    command = [
        sys.executable,
        "-m",
        "PyInstaller",
        str(SPEC),
        "--noconfirm",
        "--log-level",
        "WARN",
        "--workpath",
        str(WORK),
        "--distpath",
        str(DIST),
    ]
    if clean:
        command.append("--clean")
    print("$ " + " ".join(command), flush=True)
    start = time.monotonic()
    subprocess.run(command, cwd=ROOT, check=True)
    return time.monotonic() - start


def _run(command: list[str], env: dict[str, str], what: str) -> subprocess.CompletedProcess[str]:
    print("$ " + " ".join(command), flush=True)
    start = time.monotonic()
    # `caliber` writes UTF-8 to a pipe (caliber_desktop/console.py); the GUI executable's
    # messages are ASCII. "replace": a stray byte must not fail the smoke test.
    done = subprocess.run(
        command,
        env=env,
        capture_output=True,
        encoding="utf-8",
        errors="replace",
        timeout=SMOKE_TIMEOUT_S,
        check=False,
    )
    took = time.monotonic() - start
    output = (done.stdout + done.stderr).strip()
    print("\n".join(f"    {line}" for line in output.splitlines()[-15:]))
    print(f"    -> exit {done.returncode} in {took:.1f} s ({what})", flush=True)
    return done


def missing_resources(bundle: Path) -> list[str]:
    """Files of resources/ not in the bundle's caliber_desktop/resources, or different there."""
    bundled = bundle / "_internal" / "caliber_desktop" / "resources"
    missing = []
    for source in sorted(RESOURCES.rglob("*")):
        if not source.is_file() or "__pycache__" in source.parts:
            continue
        name = source.relative_to(RESOURCES)
        copy = bundled / name
        if not copy.is_file() or copy.read_bytes() != source.read_bytes():
            missing.append(name.as_posix())
    return missing


def smoke() -> list[str]:
    """Check the bundled resources, then run the frozen GUI smoke test and a frozen CLI score in
    a throw-away data dir."""
    failures: list[str] = []
    missing = missing_resources(bundle_dir())
    print(f"    resources/ in the bundle: {len(missing)} file(s) missing or different", flush=True)
    if missing:
        failures.append(f"not in _internal/caliber_desktop/resources: {', '.join(missing)}")
    with tempfile.TemporaryDirectory(prefix="caliber-smoke-") as tmp:
        home, out = Path(tmp) / "home", Path(tmp) / "out"
        env = {
            **os.environ,
            "CALIBER_HOME": str(home),
            "QT_QPA_PLATFORM": "offscreen",
            # No real keyring in CI: the app must cope (secrets last for this run only).
            "PYTHON_KEYRING_BACKEND": os.environ.get(
                "PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring"
            ),
        }
        env.pop("PYTHONPATH", None)  # the frozen app must not see the source tree
        gui = _run([str(executable(f"{APP}-debug")), "--smoke"], env, "frozen GUI smoke test")
        if gui.returncode != 0 or "SMOKE OK" not in gui.stdout:
            failures.append(f"caliber-desktop --smoke exited {gui.returncode}")
        command = [
            str(executable("caliber")),
            "score",
            str(SAMPLE),
            "--goal",
            "awareness",
            "--out",
            str(out),
            "--xlsx",  # the XLSX writer (rustpy-xlsxwriter) loads only for an XLSX export
        ]
        cli = _run(command, env, "frozen CLI score of the sample")
        written = sorted(p.name for p in out.rglob("*") if p.is_file()) if out.exists() else []
        if cli.returncode != 0:
            failures.append(f"caliber score exited {cli.returncode}")
        elif not written:
            failures.append(f"caliber score wrote nothing into {out}")
        elif "scores.xlsx" not in written:
            failures.append(f"caliber score --xlsx wrote no scores.xlsx into {out}")
        else:
            print(f"    wrote: {', '.join(written)}")
        doctor = _run([str(executable("caliber")), "doctor"], env, "frozen doctor")
        if doctor.returncode != 0:
            failures.append(f"caliber doctor exited {doctor.returncode}")
        # The windowed executable too: on Windows it has no console (its output may be lost), so
        # only its exit status counts; it must come up and score the sample like the debug one.
        windowed = _run([str(executable(APP)), "--smoke"], env, "windowed executable")
        if windowed.returncode != 0:
            failures.append(f"{APP} --smoke (windowed) exited {windowed.returncode}")
        # Given a command, the windowed executable refuses it (exit 2) and names caliber instead
        # of failing silently; offscreen, it shows no dialog that would wait for a click.
        refused = _run([str(executable(APP)), "score", str(SAMPLE)], env, "windowed, a command")
        if refused.returncode != 2:
            failures.append(f"{APP} score ... exited {refused.returncode}, expected 2 (refused)")
    return failures


def never_fail_on_a_character() -> None:
    """Print anything on any console: a Windows pipe or file is cp1252, with errors="strict".

    This script's own text is ASCII; a path (a user folder named in Cyrillic) or the frozen app's
    echoed output may not be, and is then printed with backslash escapes instead of raising
    UnicodeEncodeError mid-build. An error handler set with PYTHONIOENCODING is kept.
    """
    for stream in (sys.stdout, sys.stderr):
        if getattr(stream, "errors", None) == "strict" and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")


def main(argv: list[str] | None = None) -> int:
    never_fail_on_a_character()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="smoke-test the frozen app after")
    parser.add_argument("--smoke-only", action="store_true", help="only smoke-test the bundle")
    parser.add_argument("--clean", action="store_true", help="drop PyInstaller's caches first")
    args = parser.parse_args(argv)
    os.chdir(ROOT)
    if not args.smoke_only:
        try:
            seconds = build(args.clean)
        except subprocess.CalledProcessError as exc:
            print(f"PyInstaller failed (exit {exc.returncode}); see its output above.")
            return 1
        size = folder_size(bundle_dir())
        files = sum(1 for p in bundle_dir().rglob("*") if p.is_file())
        print(
            f"\nBUILD OK in {seconds:.0f} s: {bundle_dir().relative_to(ROOT)} is {human(size)} "
            f"({files:,} files), Python {platform.python_version()} on {platform.platform()}",
            flush=True,
        )
    if not executable("caliber").exists():
        print(f"No bundle at {bundle_dir()}; build it first.")
        return 1
    if args.smoke or args.smoke_only:
        failures = smoke()
        if failures:
            print("\nFROZEN SMOKE FAILED: " + "; ".join(failures))
            return 1
        print("\nFROZEN SMOKE OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
