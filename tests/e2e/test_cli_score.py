"""`caliber score` end to end on real report files: the output folder, detection, bad input."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from support.cli_json import caliber
from support.vocabulary import machine_names
from support.windows_locks import WindowsLocks

from caliber_desktop.cli import main as cli
from caliber_desktop.models import labels

OUTPUTS = {
    "scores.csv",
    "allowlist_domains.txt",
    "allowlist_apps.txt",
    "blocklist_domains.txt",
    "blocklist_apps.txt",
    "summary.json",
    "data_quality.json",
}


@pytest.mark.parametrize(
    ("sample", "goal", "platform", "channel"),
    [
        ("ttd_display_awareness_sample.csv", "awareness", "trade_desk", "display"),
        ("ttd_video_sample.xlsx", "awareness", "trade_desk", "video"),
        ("ttd_ctv_sample.csv", "action", "trade_desk", "ctv"),
        ("pulsepoint_display_sample.csv", "awareness", "pulsepoint", "display"),
    ],
)
def test_score_a_sample_with_detected_platform_and_channel(
    capsys: pytest.CaptureFixture[str],
    shared_data: Path,
    tmp_path: Path,
    sample: str,
    goal: str,
    platform: str,
    channel: str,
) -> None:
    out = tmp_path / "out"
    code, data, err = caliber(
        capsys, "score", str(shared_data / sample), "--goal", goal, "--out", str(out)
    )
    assert code == 0, err
    assert {p.name for p in out.iterdir()} >= OUTPUTS
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["config"]["platform"] == platform
    assert summary["config"]["channel"] == channel
    scores = pd.read_csv(out / "scores.csv", encoding="utf-8-sig", keep_default_na=False)
    assert len(scores) == data["sites"] > 1_500
    for column in (
        "site_id",
        "kind",
        "impressions",
        "spend",
        "clicks",
        "conversions",
        "score",
        "percentile",
        "quality_status",
        "recommendation",
        "confidence",
        "flags",
        "top_drivers",
    ):
        assert column in scores.columns, column
    assert any(c.endswith("_shrunk") for c in scores.columns)
    blocked = scores.loc[scores["recommendation"] == "block"]
    listed = set((out / "blocklist_domains.txt").read_text(encoding="utf-8").split()) | set(
        (out / "blocklist_apps.txt").read_text(encoding="utf-8").splitlines()
    )
    assert {str(s).lower() for s in blocked["site_id"]} == listed
    quality = json.loads((out / "data_quality.json").read_text(encoding="utf-8"))
    assert quality["rows_read"] >= len(scores)


def test_pulsepoint_messy_rows_are_dropped_and_counted(
    capsys: pytest.CaptureFixture[str], shared_data: Path, tmp_path: Path
) -> None:
    report = shared_data / "pulsepoint_display_sample.csv"
    code, _, err = caliber(
        capsys, "score", str(report), "--goal", "awareness", "--out", str(tmp_path)
    )
    assert code == 0, err
    quality = json.loads((tmp_path / "data_quality.json").read_text(encoding="utf-8"))
    reasons = {d["reason"]: d for d in quality["dropped"]}
    assert sum(d["rows"] for d in quality["dropped"]) == quality["rows_dropped"] >= 2
    truth = pd.read_csv(shared_data / "pulsepoint_display_sample_truth.csv")
    with report.open(encoding="utf-8-sig", newline="") as handle:
        last = list(csv.reader(handle))[-1]
    assert "Grand Total" in last
    assert any(d["impressions"] > truth["total_impressions"].sum() * 0.9 for d in reasons.values())


def test_settings_may_be_given_instead_of_detected(
    capsys: pytest.CaptureFixture[str], shared_data: Path, tmp_path: Path
) -> None:
    code, data, err = caliber(
        capsys,
        "score",
        str(shared_data / "ttd_display_awareness_sample.csv"),
        "--platform",
        "trade_desk",
        "--channel",
        "display",
        "--goal",
        "action",
        "--ctr-sensitivity",
        "--min-impressions",
        "1000",
        "--out",
        str(tmp_path),
    )
    assert code == 0, err
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert summary["config"]["goal"] == "action"
    assert summary["config"]["ctr_sensitivity"] is True
    assert summary["config"]["min_impressions"] == 1000
    assert data["profile"] == summary["config"]["profile"]


@pytest.mark.parametrize(
    ("make", "args", "expected"),
    [
        (lambda p: p.write_bytes(b""), ["--goal", "awareness"], "is empty"),
        (lambda p: p.write_bytes(b"\x00\x01\x02" * 200), ["--goal", "awareness"], "binary"),
        (
            lambda p: p.write_text(
                "Site,Impressions,Clicks,Advertiser Cost (USD)\n", encoding="utf-8"
            ),
            ["--goal", "awareness"],
            "no data rows",
        ),
        (
            lambda p: p.write_text(
                "Site,Impressions,Clicks\na.com,10,1\nb.com,20,2\n", encoding="utf-8"
            ),
            [],
            "--goal",
        ),
    ],
    ids=["empty", "binary", "header-only", "no-goal"],
)
def test_bad_input_exits_2_with_one_line(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    make: Any,
    args: list[str],
    expected: str,
) -> None:
    report = tmp_path / "report.csv"
    make(report)
    code = cli.main(["score", str(report), *args, "--out", str(tmp_path / "out")])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert expected in lines[0]
    assert "Traceback" not in captured.err


def test_a_mapping_naming_a_missing_header_is_refused(
    capsys: pytest.CaptureFixture[str], shared_data: Path, tmp_path: Path
) -> None:
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"spend": "Advertiser Cost (EUR)"}), encoding="utf-8")
    code = cli.main(
        [
            "score",
            str(shared_data / "ttd_display_awareness_sample.csv"),
            "--goal",
            "awareness",
            "--mapping",
            str(mapping),
            "--out",
            str(tmp_path / "out"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "Advertiser Cost (EUR)" in err
    assert not (tmp_path / "out").exists()


def test_score_a_campaign_into_the_store(
    capsys: pytest.CaptureFixture[str], shared_data: Path, tmp_path: Path
) -> None:
    code, campaign, _ = caliber(
        capsys,
        "campaigns",
        "create",
        "CTV",
        "--platform",
        "trade_desk",
        "--goal",
        "action",
        "--channel",
        "ctv",
        "--no-ctr-sensitivity",
        "--level",
        "domain",
    )
    assert code == 0
    cid = str(campaign["id"])
    assert (
        caliber(capsys, "import", str(shared_data / "ttd_ctv_sample.csv"), "--campaign", cid)[0]
        == 0
    )
    code, scored, err = caliber(capsys, "score", "--campaign", cid, "--out", str(tmp_path))
    assert code == 0, err
    assert scored["run"]["site_count"] > 1_500
    assert (tmp_path / "blocklist_apps.txt").exists()
    code, shown, _ = caliber(capsys, "campaigns", "show", cid)
    assert shown["status"] == "completed"
    assert shown["current_run_id"] == scored["run"]["id"]


def test_console_script_reports_bad_input_without_traceback(tmp_path: Path) -> None:
    report = tmp_path / "photo.csv"
    report.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    done = subprocess.run(
        [sys.executable, "-m", "caliber_desktop", "score", str(report), "--goal", "awareness",
         "--out", str(tmp_path / "out"), "--home", str(tmp_path / "home")],
        capture_output=True,
        encoding="utf-8",  # checked for ASCII words only: a Windows pipe gets the ANSI
        errors="replace",  # code page, and text=True would read it so but not --json
        check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "photo.csv" in done.stderr
    assert "PNG" in done.stderr
    assert "Traceback" not in done.stderr


#: ``caliber score`` in 64 KiB blocks that presses Ctrl+C itself at its Nth "Read …" report.
_CTRL_C_AT = """
import signal, sys
import caliber_desktop.cli.output as output
from caliber_desktop.services.scoring import read_text

read_text.BLOCK_BYTES = 1 << 16
at, seen = int(sys.argv.pop(1)), [0]

def printer(quiet):
    def show(done, total, message):
        if message.startswith("Read "):
            seen[0] += 1
            if seen[0] == at:
                signal.raise_signal(signal.SIGINT)
    return show

output.progress_printer = printer
from caliber_desktop.cli.main import main
sys.exit(main(sys.argv[1:], one_shot=True))  # as the console script runs it
"""


@pytest.mark.parametrize("at", [1, 4, 12])
def test_ctrl_c_while_reading_cancels_and_exits_cleanly(tmp_path: Path, at: int) -> None:
    """Ctrl+C mid-read says "Cancelled", exits 130 and writes nothing. It used to abort the
    process at exit ("terminate called without an active exception", exit 134) or hang there:
    Arrow's reading thread still held the blocks it had read while Python finalised."""
    report = tmp_path / "report.csv"
    with report.open("w", encoding="utf-8", newline="") as handle:
        handle.write("Site,Impressions,Clicks,Advertiser Cost (USD)\n")
        for i in range(30_000):
            handle.write(f"site{i % 3000}.example.com,{1000 + i},{i % 7},{i % 13}.25\n")
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-c", _CTRL_C_AT, str(at), "score", str(report), "--goal", "awareness",
         "--platform", "trade_desk", "--channel", "display", "--out", str(out),
         "--home", str(tmp_path / "home")],
        capture_output=True, encoding="utf-8", errors="replace", timeout=60, check=False,
    )  # fmt: skip
    assert report.stat().st_size > 12 * (1 << 16)  # Arrow had blocks left to read
    assert (done.returncode, done.stderr.strip()) == (130, "caliber: Cancelled.")
    assert not out.exists()


#: ``caliber score`` in a process of its own, its cyclic garbage kept to be looked at.
_ONE_JOB = """
import gc, json, sys, types
import numpy as np, pandas as pd, pyarrow as pa
from caliber_desktop.cli.main import main

one_shot = sys.argv.pop(1) == "one_shot"
gc.set_debug(gc.DEBUG_SAVEALL)  # what the collector finds is kept in gc.garbage, not freed
code = main(sys.argv[1:], one_shot=one_shot)
frozen = gc.get_freeze_count()
gc.unfreeze()  # what froze is looked at too: a cycle there would have waited for the exit
gc.collect()
data = (np.ndarray, pd.DataFrame, pd.Series, pd.Index, pa.Array, pa.ChunkedArray, pa.Table)
code_objects = (types.FunctionType, types.ModuleType, type)  # their globals are not garbage

def near(objects):  # what the garbage holds (arrays are not tracked: they are never garbage)
    return [r for o in objects if not isinstance(o, code_objects) for r in gc.get_referents(o)]

nearby = (*gc.garbage, *near(gc.garbage), *near(near(gc.garbage)))
held = sorted({type(o).__name__ for o in nearby if isinstance(o, data)})
print("ONE_JOB", json.dumps({"code": code, "frozen": frozen, "held": held}))
"""


@pytest.mark.parametrize("mode", ["one_shot", "in_process"])
def test_a_console_run_freezes_what_it_holds_and_leaves_no_data_in_cycles(
    shared_data: Path, tmp_path: Path, mode: str
) -> None:
    """The console script runs one job, so its objects are moved out of the cyclic collector's
    way at each report (``progress.one_shot``); ``main`` called in a longer-lived process (the
    tests, the window's) never freezes. Freezing is safe because scoring leaves no array or
    frame in a reference cycle: they go by reference counting, as soon as they are let go."""
    done = subprocess.run(
        [sys.executable, "-c", _ONE_JOB, mode, "score",
         str(shared_data / "ttd_display_awareness_sample.csv"), "--goal", "awareness",
         "--out", str(tmp_path / "out"), "--home", str(tmp_path / "home")],
        capture_output=True, encoding="utf-8", errors="replace", timeout=300, check=False,
    )  # fmt: skip
    line = done.stdout.strip().splitlines()[-1]
    assert line.startswith("ONE_JOB "), done.stderr
    found = json.loads(line.removeprefix("ONE_JOB "))
    assert found["code"] == 0, done.stderr
    assert found["held"] == []
    if mode == "one_shot":
        assert found["frozen"] > 10_000  # the imports' objects at least
    else:
        assert found["frozen"] == 0


# ----------------------------------------------------------------------------- files in use


def error_of(err: str) -> str:
    return str(json.loads(err.strip().splitlines()[-1])["error"]["message"])


def marked_as_previous(folder: Path) -> dict[str, bytes]:
    for path in folder.iterdir():
        path.write_bytes(b"previous " + path.name.encode())
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def contents(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}  # hidden ones too


def test_score_out_over_a_file_open_in_excel_exits_2_and_keeps_every_old_file(
    capsys: pytest.CaptureFixture[str],
    shared_data: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = tmp_path / "out"
    report = str(shared_data / "ttd_display_awareness_sample.csv")
    args = ("score", report, "--goal", "awareness", "--out", str(out), "--xlsx")
    assert caliber(capsys, *args)[0] == 0
    before = marked_as_previous(out)
    windows = WindowsLocks(monkeypatch)
    windows.lock(out / "scores.xlsx")
    code, data, err = caliber(capsys, *args)
    assert code == 2, err
    assert data is None
    message = error_of(err)
    assert "Close scores.xlsx in Excel (or any app that has it open)" in message
    assert str(out / "scores.xlsx") in message
    assert contents(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["caliber-home", "out"]


def test_score_out_checks_the_folder_before_scoring(
    capsys: pytest.CaptureFixture[str],
    shared_data: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A read-only folder, or a file open in Excel, is found before minutes of scoring."""
    from caliber_desktop.services.scoring import engine

    def not_now(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("scored although the output folder cannot take the files")

    out = tmp_path / "share"
    out.mkdir()
    (out / "summary.json").write_bytes(b"previous")
    windows = WindowsLocks(monkeypatch)
    windows.make_read_only(out)
    monkeypatch.setattr(engine, "score_file", not_now)
    report = str(shared_data / "ttd_display_awareness_sample.csv")
    code, _, err = caliber(capsys, "score", report, "--goal", "awareness", "--out", str(out))
    assert code == 2, err
    assert f"Cannot write to the folder {out}" in error_of(err)
    windows.read_only.clear()
    windows.lock(out / "summary.json")
    code, _, err = caliber(capsys, "score", report, "--goal", "awareness", "--out", str(out))
    assert code == 2, err
    assert "Close summary.json" in error_of(err)
    assert contents(out) == {"summary.json": b"previous"}


def scored_campaign(capsys: pytest.CaptureFixture[str], shared_data: Path) -> str:
    code, campaign, err = caliber(
        capsys, "campaigns", "create", "CTV", "--platform", "trade_desk", "--goal", "action",
        "--channel", "ctv", "--no-ctr-sensitivity", "--level", "domain",
    )  # fmt: skip
    assert code == 0, err
    cid = str(campaign["id"])
    code, _, err = caliber(
        capsys, "import", str(shared_data / "ttd_ctv_sample.csv"), "--campaign", cid
    )
    assert code == 0, err
    return cid


def runs_of(capsys: pytest.CaptureFixture[str], cid: str) -> Any:
    code, runs, err = caliber(capsys, "runs", "--campaign", cid)
    assert code == 0, err
    return runs


def test_score_campaign_with_a_list_file_open_stores_nothing(
    capsys: pytest.CaptureFixture[str],
    shared_data: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cid = scored_campaign(capsys, shared_data)
    (tmp_path / "blocklist_domains.txt").write_bytes(b"previous list")
    stored = runs_of(capsys, cid)
    WindowsLocks(monkeypatch).lock(tmp_path / "blocklist_domains.txt")
    code, _, err = caliber(capsys, "score", "--campaign", cid, "--out", str(tmp_path))
    assert code == 2, err
    assert "Close blocklist_domains.txt" in error_of(err)
    assert runs_of(capsys, cid) == stored  # checked before scoring: no run was added
    assert (tmp_path / "blocklist_domains.txt").read_bytes() == b"previous list"
    assert not (tmp_path / "blocklist_apps.txt").exists()


def test_score_campaign_says_the_run_is_saved_when_its_files_could_not_be_written(
    capsys: pytest.CaptureFixture[str],
    shared_data: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The file was opened in Excel while the campaign was being scored."""
    from caliber_desktop.services.runs.service import RunService

    cid = scored_campaign(capsys, shared_data)
    target = tmp_path / "blocklist_domains.txt"
    target.write_bytes(b"previous list")
    windows = WindowsLocks(monkeypatch)
    real = RunService.score_campaign

    def score_then_open_in_excel(self: RunService, *args: Any, **kwargs: Any) -> Any:
        record = real(self, *args, **kwargs)
        windows.lock(target)
        return record

    monkeypatch.setattr(RunService, "score_campaign", score_then_open_in_excel)
    code, _, err = caliber(capsys, "score", "--campaign", cid, "--out", str(tmp_path))
    assert code == 2, err
    message = error_of(err)
    (run,) = runs_of(capsys, cid)
    assert f"Run {run['id']} is saved; the list files were not written" in message
    assert "Close blocklist_domains.txt in Excel" in message
    assert f"caliber export --campaign {cid} --run {run['id']} --what lists" in message
    assert target.read_bytes() == b"previous list"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocklist_domains.txt", "caliber-home"]


@pytest.mark.parametrize(
    "sample", ["ttd_display_awareness_sample.csv", "pulsepoint_display_sample.csv"]
)
def test_score_text_output_names_things_in_words_and_json_keeps_machine_names(
    capsys: pytest.CaptureFixture[str], shared_data: Path, tmp_path: Path, sample: str
) -> None:
    """The text an analyst reads: the profile, dropped metrics and counts in the labels table's
    words (``uid_ratio``, ``trade_desk.display.awareness`` leaked); ``--json`` stays stable."""
    source, out = str(shared_data / sample), str(tmp_path / "out")
    assert cli.main(["score", source, "--goal", "awareness", "--out", out]) == 0
    text = capsys.readouterr().out
    leaked = machine_names(text, allowed=[str(tmp_path), sample])
    assert not leaked, f"machine names in `caliber score` text: {leaked}"
    assert " profile" in text
    if sample.startswith("ttd"):
        assert "with the scoring profile The Trade Desk · Display · Awareness" in text
        assert "the The" not in text
        assert f"{labels.metric('uid_ratio')}: not in the file" in text
    code, data, _ = caliber(capsys, "score", source, "--goal", "awareness", "--out", out)
    assert code == 0
    assert data["profile"].startswith(("trade_desk.display.", "pulsepoint.display."))
    assert data["level"] == "domain"  # machine names, not labels
