"""One definition of each count and one reading of the campaign score, on every surface.

A campaign is scored, a site pinned to the block list, and the campaign scored again with the
minimum impressions raised from 250 to 1,000 (many sites drop to "insufficient data"). The
counts of that run are then read from every place that states them — ``caliber score`` text and
``--json``, ``caliber compare`` text and ``--json``, the PDF, the insight's context and its
offline text — and must be the same numbers. The monitor *recommendation* and the sites on
*neither list* differ in this run (insufficient data and the pin), which is how compare once said
"monitor 952" of a run that said "939 monitor".
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from support.campaigns import TTD_DISPLAY_AWARENESS

from caliber_desktop.cli import main as cli
from caliber_desktop.models import labels
from caliber_desktop.services.exports.outputs import export
from caliber_desktop.services.report import write_report
from caliber_desktop.services.runs.facts import (
    RECOMMENDATIONS,
    SCORE_CAVEAT,
    median_site_score,
    run_counts,
    score_reading,
)
from caliber_desktop.services.workspace import Workspace

WORDS = {
    "allow": "allow",
    "monitor": "monitor",
    "block": "block",
    "insufficient_data": "insufficient data",
}


def flat(text: str) -> str:
    """Text with its line breaks (PDF wrapping) as single spaces."""
    return re.sub(r"\s+", " ", text)


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert cli.main(list(args)) == 0
    return capsys.readouterr().out


@pytest.fixture
def rescored(
    workspace: Workspace, shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> dict[str, Any]:
    campaign = workspace.campaigns.create("Facts", settings=TTD_DISPLAY_AWARENESS)
    workspace.uploads.attach(campaign.id, shared_data / "ttd_display_awareness_sample.csv")
    cid = str(campaign.id)
    first = json.loads(run_cli(capsys, "--json", "score", "--campaign", cid))
    sites = workspace.runs.site_frame(first["run"]["id"])
    pinned = str(sites.index[sites["recommendation"] == "monitor"][0])
    workspace.runs.pin(campaign.id, pinned, "block", "client asked")
    text = run_cli(capsys, "score", "--campaign", cid, "--min-impressions", "1000")
    second = json.loads(run_cli(capsys, "--json", "runs", "--campaign", cid))[0]
    return {"cid": campaign.id, "first": first, "text": text, "run": second["id"]}


def test_every_surface_counts_a_run_the_same_way(
    workspace: Workspace,
    rescored: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    cid, run_id = rescored["cid"], rescored["run"]
    counts = run_counts(workspace.runs.lists(cid, run_id).sites)
    recs = counts.recommendations
    # The case that used to disagree: the monitor list is not the monitor recommendation.
    assert recs["insufficient_data"] > 0
    assert counts.lists["monitor"] != recs["monitor"]
    assert counts.pinned == 1
    expected = ", ".join(f"{recs[n]:,} {WORDS[n]}" for n in RECOMMENDATIONS)

    # caliber score (the run's own text) and caliber score --json of the same campaign
    assert f"recommendations {expected}" in rescored["text"]
    assert f"{counts.sites:,} sites scored" in rescored["text"]
    again = json.loads(
        run_cli(capsys, "--json", "score", "--campaign", str(cid), "--min-impressions", "1000")
    )
    assert again["counts"]["recommendations"] == recs  # same report and settings, same counts
    assert again["counts"]["lists"] == counts.lists

    # caliber compare --json: the new run's counts are the run's own; the old run's are run 1's
    compared = json.loads(
        run_cli(capsys, "--json", "compare", "--campaign", str(cid), "--old",
                str(rescored["first"]["run"]["id"]), "--new", str(run_id))
    )  # fmt: skip
    assert {n: c["new"] for n, c in compared["recommendation_counts"].items()} == recs
    old_recs = rescored["first"]["counts"]["recommendations"]
    assert {n: c["old"] for n, c in compared["recommendation_counts"].items()} == old_recs
    assert compared["counts"]["new"]["recommendations"] == recs
    assert compared["counts"]["new"]["lists"] == counts.lists
    assert {n: c["new"] for n, c in compared["list_counts"].items()} == counts.lists
    # caliber compare (text): the recommendation line uses the run's numbers and names
    text = run_cli(capsys, "compare", "--campaign", str(cid), "--old",
                   str(rescored["first"]["run"]["id"]), "--new", str(run_id))  # fmt: skip
    assert f"Changed between the runs:\n  {labels.setting('min_impressions')} 250 → 1,000\n" in text
    assert compared["setting_changes"] == {"min_impressions": {"old": 250, "new": 1000}}
    line = next(x for x in text.splitlines() if x.startswith("Recommendations:"))
    for name in RECOMMENDATIONS:
        assert f"{WORDS[name]} {old_recs[name]:,} → {recs[name]:,}" in line
    lists_line = next(x for x in text.splitlines() if x.startswith("Lists:"))
    assert f"on neither list {compared['list_counts']['monitor']['old']:,} → " in lists_line
    assert "monitor" not in lists_line  # a list size never reads as the recommendation

    # the PDF
    out = tmp_path / "report.pdf"
    write_report(workspace, cid, out, run_id=run_id)
    pdf = flat("\n".join(p.extract_text() for p in PdfReader(out).pages[:3]))
    assert f"Recommendations: {recs['allow']:,} allow" in pdf
    for name in RECOMMENDATIONS:
        assert re.search(rf"\b{recs[name]:,} {WORDS[name]}\b", pdf), name
    assert f"Sites scored {counts.sites:,}" in pdf

    # the summary export (summary.json / .csv)
    doc = json.loads(
        export(workspace, cid, "summary", "json", tmp_path / "summary.json").path.read_text(
            encoding="utf-8"
        )
    )
    assert doc["recommendations"] == recs
    assert doc["run"]["sites"] == counts.sites
    assert doc["pinned_sites"] == counts.pinned

    # the insight: its context (what a model is given) and the offline text
    insight = json.loads(
        run_cli(capsys, "--json", "insight", "--campaign", str(cid), "--type", "optimization",
                "--offline")
    )  # fmt: skip
    context = insight["context"]
    assert context["recommendations"] == recs
    assert context["run"]["sites"] == counts.sites
    assert context["list_sizes"] == {
        "allow_list": counts.lists["allow"],
        "block_list": counts.lists["block"],
        "on_neither_list": counts.lists["monitor"],
        "pinned": 1,
    }
    assert expected in insight["content"]


def test_the_insight_judges_the_score_in_the_pdf_s_words(
    workspace: Workspace, rescored: dict[str, Any], capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:  # fmt: skip
    cid, run_id = rescored["cid"], rescored["run"]
    run = workspace.runs.run(run_id)
    reading = score_reading(
        run.campaign_score, median_site_score(workspace.runs.site_frame(run_id)), "domain"
    )
    assert reading.startswith(
        f"The campaign's impression-weighted score is {run.campaign_score:.1f}"
    )
    out = tmp_path / "report.pdf"
    write_report(workspace, cid, out, run_id=run_id)
    pdf = flat("\n".join(p.extract_text() for p in PdfReader(out).pages[:3]))
    assert reading in pdf
    assert SCORE_CAVEAT in pdf
    for kind in ("campaign_overview", "performance", "optimization"):
        insight = json.loads(
            run_cli(capsys, "--json", "insight", "--campaign", str(cid), "--type", kind,
                    "--offline")
        )  # fmt: skip
        assert insight["context"]["campaign_score_reading"] == {
            "statement": reading,
            "caveat": SCORE_CAVEAT,
        }
        text = insight["content"]
        assert f"{reading} {SCORE_CAVEAT}" in text
        assert not re.search(r"\b(weak|strong|average)\b", text), text  # "weakest sites" is fine


@pytest.mark.parametrize(
    ("score", "median", "says"),
    [
        (43.6, 51.1, "impressions lean towards this campaign's lower-scoring sites"),
        (58.0, 50.0, "impressions lean towards this campaign's higher-scoring sites"),
        (50.9, 50.0, "impressions are spread in line with the sites' scores"),
    ],
)
def test_the_reading_says_where_impressions_lean_never_how_good_the_campaign_is(
    score: float, median: float, says: str
) -> None:
    text = score_reading(score, median, "domain")
    assert text == (
        f"The campaign's impression-weighted score is {score:.1f} / 100; the median site scores "
        f"{median:.1f}, so {says}."
    )
    assert "vendor" in score_reading(score, median, "supply_vendor")
    assert score_reading(None, None) == "The campaign has no score: no site could be scored."
