"""The window states a run's counts as the CLI does, and its compare view names what changed.

A campaign is scored twice through ``caliber score`` (minimum impressions 250, then 1,000, with a
site pinned in between). The results header of the second run and the Compare Runs dialog must
show the numbers the command printed, and the dialog must name the changed setting.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot
from support.campaigns import TTD_DISPLAY_AWARENESS

from caliber_desktop.cli import main as cli
from caliber_desktop.models import labels
from caliber_desktop.services.runs.facts import (
    RECOMMENDATIONS,
    SCORE_CAVEAT,
    median_site_score,
    score_reading,
)
from caliber_desktop.services.workspace import Workspace
from caliber_desktop.ui.results.compare import CompareDialog
from caliber_desktop.ui.results.panel import ResultsPanel
from caliber_desktop.workers.registry import WorkerRegistry

TIMEOUT = 60_000


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    assert cli.main(["--json", *args]) == 0
    data: dict[str, Any] = json.loads(capsys.readouterr().out)
    return data


@pytest.fixture
def two_runs(
    workspace: Workspace, shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> dict[str, Any]:
    campaign = workspace.campaigns.create("Facts", settings=TTD_DISPLAY_AWARENESS)
    workspace.uploads.attach(campaign.id, shared_data / "ttd_display_awareness_sample.csv")
    cid = str(campaign.id)
    first = run_cli(capsys, "score", "--campaign", cid)
    sites = workspace.runs.site_frame(first["run"]["id"])
    workspace.runs.pin(campaign.id, str(sites.index[sites["recommendation"] == "monitor"][0]),
                       "block", "")  # fmt: skip
    second = run_cli(capsys, "score", "--campaign", cid, "--min-impressions", "1000")
    return {"cid": campaign.id, "first": first, "second": second}


def test_results_header_and_compare_view_show_the_run_s_own_counts(
    qtbot: QtBot, workspace: Workspace, registry: WorkerRegistry, two_runs: dict[str, Any]
) -> None:
    cid = two_runs["cid"]
    cli_counts = two_runs["second"]["counts"]
    old_counts = two_runs["first"]["counts"]["recommendations"]
    recs = cli_counts["recommendations"]
    assert cli_counts["lists"]["monitor"] != recs["monitor"]  # the case that used to differ

    panel = ResultsPanel()
    qtbot.addWidget(panel)
    panel.set_result(workspace.runs.load_result(two_runs["second"]["run"]["id"]))
    for name in RECOMMENDATIONS:
        shown = re.search(r"([\d,.\u00a0\u202f ]+)", panel.chips[name].text())
        assert shown is not None
        assert int(re.sub(r"\D", "", shown.group(1))) == recs[name], name
    assert panel.sites_label.text() == f"{cli_counts['sites']:,} sites"
    # The score is read as the PDF and the insight read it, caveat included.
    run = workspace.runs.run(two_runs["second"]["run"]["id"])
    reading = score_reading(
        run.campaign_score, median_site_score(workspace.runs.site_frame(run.id)), "domain"
    )
    assert panel.score_label.toolTip() == f"{reading}\n{SCORE_CAVEAT}"

    dialog = CompareDialog(workspace, registry, cid)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.compared, timeout=TIMEOUT):
        pass  # the dialog compares the two latest runs on its own
    qtbot.waitUntil(lambda: registry.running_count() == 0, timeout=TIMEOUT)
    text = dialog.summary.text()
    assert f"Changed between the runs: {labels.setting('min_impressions')} 250 → 1,000" in text
    line = next(part for part in text.split("<br>") if part.startswith("Recommendations:"))
    for name in RECOMMENDATIONS:
        word = name.replace("_", " ")
        assert f"{word} {old_counts[name]:,} → {recs[name]:,}" in line, name
    lists = next(part for part in text.split("<br>") if part.startswith("Lists:"))
    assert "monitor" not in lists  # a list size never reads as the monitor recommendation
    assert f"→ {cli_counts['lists']['monitor']:,}" in lists
