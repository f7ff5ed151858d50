"""`caliber insight` and `caliber chat` end to end against the local OpenAI-compatible server.

The key comes from ``OPENAI_API_KEY``; the endpoint from the data dir's settings.json
(``ai.base_url``) or ``CALIBER_OPENAI_BASE_URL``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from support.cli_json import caliber
from support.openai_server import OpenAIServer, Reply
from support.portability import console_script

from caliber_desktop.cli import main as cli
from caliber_desktop.services.startup import sample_report

SETTINGS = ["--platform", "trade_desk", "--goal", "awareness", "--channel", "display",
            "--no-ctr-sensitivity", "--level", "domain"]  # fmt: skip


@pytest.fixture
def scored(
    capsys: pytest.CaptureFixture[str], home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> int:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("CALIBER_OPENAI_BASE_URL", raising=False)
    report = tmp_path / "report.csv"
    shutil.copy(sample_report(), report)
    code, campaign, err = caliber(capsys, "campaigns", "create", "AI", *SETTINGS)
    assert code == 0, err
    assert caliber(capsys, "import", str(report), "--campaign", str(campaign["id"]))[0] == 0
    assert caliber(capsys, "score", "--campaign", str(campaign["id"]))[0] == 0
    return int(campaign["id"])


def test_insight_list_show_delete_and_offline_without_key(
    capsys: pytest.CaptureFixture[str],
    scored: int,
    home: Path,
    openai_server: OpenAIServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, offline, _ = caliber(
        capsys, "insight", "--campaign", str(scored), "--type", "performance"
    )
    assert code == 0
    assert offline["is_offline"]
    assert offline["content"].startswith("Offline insight")
    assert openai_server.requests == []

    (home / "settings.json").write_text(
        json.dumps({"ai": {"base_url": openai_server.base_url, "max_retries": 0}}),
        encoding="utf-8",
    )
    monkeypatch.setenv("OPENAI_API_KEY", "sk-cli")
    openai_server.reply("Two findings.")
    code, made, err = caliber(capsys, "insight", "--campaign", str(scored), "--type", "performance")
    assert code == 0, err
    assert made["content"] == "Two findings."
    assert not made["is_offline"]
    assert openai_server.chat_requests[-1].headers["authorization"] == "Bearer sk-cli"
    code, again, _ = caliber(capsys, "insight", "--campaign", str(scored), "--type", "performance")
    assert again["cached"]
    assert again["id"] == made["id"]

    assert cli.main(["insight", "--campaign", str(scored), "--list"]) == 0
    listed = capsys.readouterr().out
    assert "Performance" in listed
    assert "offline" in listed
    assert "gpt-4o-mini" in listed
    assert cli.main(["insight", "--campaign", str(scored), "--show", str(made["id"])]) == 0
    assert "Two findings." in capsys.readouterr().out
    code, _, _ = caliber(capsys, "insight", "--campaign", str(scored), "--delete", str(made["id"]))
    assert code == 0
    code, cleared, _ = caliber(capsys, "insight", "--campaign", str(scored), "--clear")
    assert cleared == {"deleted": 1}


def test_insight_errors_use_the_exit_codes(
    capsys: pytest.CaptureFixture[str],
    scored: int,
    openai_server: OpenAIServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-bad")
    monkeypatch.setenv("CALIBER_OPENAI_BASE_URL", openai_server.base_url)
    openai_server.fail(401)
    code, _, err = caliber(capsys, "insight", "--campaign", str(scored), "--type", "optimization")
    assert code == 7
    assert "The OpenAI key was refused (401)" in json.loads(err)["error"]["message"]
    code, _, err = caliber(capsys, "insight", "--campaign", str(scored), "--type", "domain")
    assert code == 2
    assert json.loads(err)["error"]["field"] == "subject"
    code, _, _ = caliber(capsys, "insight", "--campaign", "999", "--type", "performance")
    assert code == 3


def test_chat_streams_and_keeps_history(
    capsys: pytest.CaptureFixture[str],
    scored: int,
    openai_server: OpenAIServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-cli")
    monkeypatch.setenv("CALIBER_OPENAI_BASE_URL", openai_server.base_url)
    openai_server.stream(["Hello ", "analyst."])
    assert cli.main(["chat", "--campaign", str(scored), "What should I block?"]) == 0
    assert capsys.readouterr().out == "Hello analyst.\n"
    _, history, _ = caliber(capsys, "chat", "--campaign", str(scored), "--history")
    assert [(m["role"], m["content"]) for m in history] == [
        ("user", "What should I block?"),
        ("assistant", "Hello analyst."),
    ]
    _code, general, _ = caliber(capsys, "chat", "--history")
    assert general == []
    _code, cleared, _ = caliber(capsys, "chat", "--campaign", str(scored), "--clear")
    assert cleared == {"deleted": 2}


@pytest.mark.e2e
def test_chat_output_streams_from_the_console_script(
    home: Path, openai_server: OpenAIServer
) -> None:
    """The first words are on stdout while the server is still sending the rest."""
    exe = console_script("caliber")
    assert exe, "the caliber console script is not installed in this environment"
    openai_server.script(Reply(chunks=["first ", "second ", "third"], delay_s=1.0))
    env = {
        **os.environ,
        "OPENAI_API_KEY": "sk-cli",
        "CALIBER_OPENAI_BASE_URL": openai_server.base_url,
    }
    with subprocess.Popen(
        [exe, "chat", "Hello?"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    ) as proc:
        assert proc.stdout is not None
        first = proc.stdout.read(6)
        arrived = time.monotonic()
        rest, err = proc.communicate(timeout=60)
        finished = time.monotonic()
    assert proc.returncode == 0, err
    # Raw bytes: on Windows the child's text stdout writes "\n" as os.linesep ("\r\n").
    assert (first + rest).replace(b"\r\n", b"\n") == b"first second third\n"
    assert finished - arrived > 1.0  # "first " came before the other chunks were sent
