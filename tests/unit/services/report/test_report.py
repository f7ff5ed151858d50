"""The PDF report, written from a real scored run and read back with pypdf: what it says, which
fonts it embeds, hostile and international site names, a 50,000-site run, and failure modes."""

from __future__ import annotations

import re
import subprocess
import sys
import time
import unicodedata
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from pypdf import PdfReader
from support.campaigns import TTD_DISPLAY_AWARENESS
from support.paths import TESTS
from support.vocabulary import machine_names

from caliber_desktop.errors import ValidationError
from caliber_desktop.models import labels
from caliber_desktop.services.progress import Cancelled, CancelToken
from caliber_desktop.services.report import write_report
from caliber_desktop.services.report.fonts import (
    markup,
    shapable,
    shaping,
    visual_order,
    word_order,
)
from caliber_desktop.services.report.sections import readable_id
from caliber_desktop.services.report.tables import compact_drivers
from caliber_desktop.services.workspace import Workspace

SETTINGS = TTD_DISPLAY_AWARENESS
GENERATOR = TESTS / "support" / "make_reports.py"
IDN = ["bücher.de", "пример.рф", "例え.jp", "مثال.مصر", "דוגמה.ישראל", "한국.kr", "ตัวอย่าง.ไทย"]
HOSTILE = '<b>&amp;=HYPERLINK("x")'


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def pdf_fonts(path: Path) -> dict[str, bool]:
    """Base font name → embedded (has a FontFile2), over every page."""
    fonts: dict[str, bool] = {}
    for page in PdfReader(path).pages:
        resources: Any = page["/Resources"]  # a DictionaryObject; pypdf types it PdfObject
        for ref in (resources.get("/Font") or {}).values():
            font = ref.get_object()
            descriptor = font.get("/FontDescriptor")
            embedded = descriptor is not None and "/FontFile2" in descriptor.get_object()
            fonts[str(font["/BaseFont"])] = embedded
    return fonts


def scored_campaign(ws: Workspace, report: Path, name: str) -> int:
    campaign = ws.campaigns.create(name, settings=SETTINGS)
    ws.uploads.attach(campaign.id, report)
    ws.runs.score_campaign(campaign.id)
    return campaign.id


@pytest.fixture
def sample(workspace: Workspace, shared_data: Path) -> int:
    return scored_campaign(
        workspace, shared_data / "ttd_display_awareness_sample.csv", "Spring Display – Acme"
    )


def test_the_report_says_what_the_run_says(
    workspace: Workspace, sample: int, tmp_path: Path
) -> None:
    out = tmp_path / "report.pdf"
    seen: list[int] = []
    info = write_report(workspace, sample, out, progress=lambda d, t, m: seen.append(d))
    assert info.path == out.resolve()
    assert out.read_bytes().startswith(b"%PDF")
    assert 8 <= info.pages <= 30
    assert len(PdfReader(out).pages) == info.pages
    assert seen[-1] == 100
    assert seen == sorted(seen)
    run = workspace.runs.current_run(sample)
    assert run is not None
    text = pdf_text(out)
    assert "Spring Display – Acme" in text
    assert f"{run.campaign_score:.1f} / 100" in text  # the weighted campaign score
    top = run.summary["top"][0]["site_id"]
    assert top in text
    for heading in ("Executive summary", "Overview", "Charts", "Top and bottom sites",
                    "Recommendations and list impact", "Appendix A — Methodology",
                    "Appendix B — Data quality", "Appendix C — Site details"):  # fmt: skip
        assert heading in text
    assert f"Page 2 of {info.pages}" in text
    # 2,000 sites: the detail appendix shows the biggest spenders and says so.
    assert info.truncated
    assert "left out to keep the report readable" in text
    assert "AI insights" not in text  # none were generated


def test_fonts_are_embedded_and_never_the_standard_14(
    workspace: Workspace, sample: int, tmp_path: Path
) -> None:
    out = tmp_path / "report.pdf"
    write_report(workspace, sample, out)
    fonts = pdf_fonts(out)
    assert fonts
    assert all(fonts.values()), fonts
    assert not any("Helvetica" in name or "Times" in name for name in fonts)


def _international_report(tmp_path: Path) -> Path:
    """A small generated report whose first rows are IDN and hostile site names (big spenders)."""
    source = tmp_path / "small.csv"
    subprocess.run(
        [sys.executable, str(GENERATOR), "--platform", "trade_desk", "--channel", "display",
         "--rows", "3000", "--entities", "300", "--seed", "5", "--goal", "awareness",
         "--out", str(source)],
        check=True, capture_output=True,
    )  # fmt: skip
    frame = pd.read_csv(source, dtype=str, keep_default_na=False)
    for i, name in enumerate([*IDN, HOSTILE]):
        rows = slice(i * 5, i * 5 + 4)
        frame.loc[rows, "Site"] = name
        frame.loc[rows, "Impressions"] = "90000"
        frame.loc[rows, "Advertiser Cost (Adv Currency)"] = "900"
    out = tmp_path / "international.csv"
    frame.to_csv(out, index=False)
    return out


def test_idn_and_hostile_site_names_survive(workspace: Workspace, tmp_path: Path) -> None:
    name = "Café <Q3> & “例え” =SUM(A1)"
    campaign = scored_campaign(workspace, _international_report(tmp_path), name)
    out = tmp_path / "report.pdf"
    write_report(workspace, campaign, out)
    text = pdf_text(out)
    assert name in text
    # Shaped Arabic is drawn in its joined (contextual) glyphs, which DejaVu Sans maps to the
    # Arabic presentation forms: pypdf extracts those (in logical order), and NFKC folds them
    # back to the letters. Every other name extracts as it was written.
    folded = unicodedata.normalize("NFKC", text)
    for site in [*IDN, HOSTILE]:
        assert site in folded, site
    if shaping():
        assert "\ufee3\ufe9c\ufe8e" in text  # مثال joined: meem initial, theh medial, alef final
    assert "xn--bcher-kva.de" in text  # the id that goes on the DSP list is shown too
    fonts = pdf_fonts(out)
    assert all(fonts.values())
    assert any("DroidSansFallback" in f for f in fonts)  # CJK
    assert any("NanumSquare" in f for f in fonts)  # Hangul


def test_markup_escapes_and_orders_text() -> None:
    assert markup(HOSTILE) == "&lt;b&gt;&amp;amp;=HYPERLINK(&quot;x&quot;)"
    assert 'name="CaliberCJK"' in markup("例え.jp")
    assert markup("a\x00b\x1bc") == "abc"
    assert visual_order("bücher.de") == "bücher.de"
    assert visual_order("אב.גד") == "דג.בא"
    assert visual_order("שלום 123") == "123 םולש"
    assert readable_id("xn--bcher-kva.de") == "bücher.de"
    assert word_order("مثال شارع 12") == "12 شارع مثال"  # words in display order, letters not
    assert word_order("Best site: مثال.مصر today") == "Best site: مثال.مصر today"


def test_complex_scripts_are_shaped_when_every_word_can_be() -> None:
    if not shaping():
        pytest.skip("uharfbuzz is not installed")
    for name in ("مثال.مصر", "דוגמה.ישראל", "उदाहरण.भारत", "ตัวอย่าง.ไทย", "مثال شارع 12"):
        assert shapable(name), name
    assert not shapable("bücher.de")  # nothing to shape: Latin keeps its plain glyphs
    assert not shapable("مثال.com")  # one word in both directions: HarfBuzz would reverse .com
    assert not shapable("Site: مثال, rank 1")  # the comma would land on the wrong side
    # Shaped text keeps its letters in logical order (HarfBuzz orders them); the fallback
    # reverses them itself.
    assert "مثال.مصر" in markup("مثال.مصر")
    assert "com.لاثم" in markup("مثال.com")
    # the Devanagari dot stays in the Devanagari font: the word is shaped in one font
    assert markup("उदाहरण.भारत") == '<font name="CaliberDevanagari">उदाहरण.भारत</font>'


def test_drivers_are_compact() -> None:
    text = (
        "Viewability 90 % vs median 61 % (+15 pts); Refresh < 15 s 0.43 % vs median 3.1 % "
        "(−8 pts); vCPM $2.18 vs median $3.77 (+1.5 pts)."
    )
    assert compact_drivers(text) == ["Viewability 90 % (+15 pts)", "Refresh < 15 s 0.43 % (−8 pts)"]
    assert compact_drivers("something else") == ["something else"]
    assert compact_drivers("") == []
    assert readable_id("xn--broken--.de") == "xn--broken--.de"


def test_a_campaign_without_a_completed_run_has_no_report(
    workspace: Workspace, shared_data: Path, tmp_path: Path
) -> None:
    campaign = workspace.campaigns.create("Never scored", settings=SETTINGS)
    out = tmp_path / "report.pdf"
    with pytest.raises(ValidationError, match="no completed run"):
        write_report(workspace, campaign.id, out)
    assert not out.exists()
    with pytest.raises(ValidationError, match="does not exist"):
        write_report(workspace, campaign.id, tmp_path / "missing" / "report.pdf")


def test_cancel_leaves_no_file_and_keeps_an_older_report(
    workspace: Workspace, sample: int, tmp_path: Path
) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    out = folder / "report.pdf"
    out.write_bytes(b"older report")
    token = CancelToken()

    def progress(done: int, total: int, message: str) -> None:
        if message.startswith("Drawing page 3"):
            token.cancel()

    with pytest.raises(Cancelled):
        write_report(workspace, sample, out, progress=progress, cancel=token)
    assert out.read_bytes() == b"older report"
    assert [p.name for p in folder.iterdir()] == ["report.pdf"]  # no temp file left


def test_fifty_thousand_sites(workspace: Workspace, tmp_path: Path) -> None:
    source = tmp_path / "big.csv"
    subprocess.run(
        [sys.executable, str(GENERATOR), "--platform", "trade_desk", "--channel", "display",
         "--rows", "150000", "--entities", "50000", "--seed", "7", "--goal", "awareness",
         "--out", str(source)],
        check=True, capture_output=True,
    )  # fmt: skip
    campaign = scored_campaign(workspace, source, "Fifty thousand")
    out = tmp_path / "big.pdf"
    started = time.perf_counter()
    info = write_report(workspace, campaign, out)
    elapsed = time.perf_counter() - started
    assert elapsed < 60  # generous: ~1.5 s on a 2-core machine; catches a per-site layout
    assert info.pages <= 30
    assert info.truncated
    assert info.sites_listed <= 400
    text = pdf_text(out)
    assert "The 250 sites with the most spend of 50,000" in text
    assert re.search(r"2,000\s+of\s+[\d,]+\s+sites\s+with\s+spend\s+are\s+drawn", text)
    assert out.stat().st_size < 2_000_000


def test_the_appendix_accounts_for_every_row_and_lists_the_warnings(
    workspace: Workspace, tmp_path: Path
) -> None:
    """A report outside our generator: PulsePoint names in a Trade Desk campaign, a row with
    text for impressions, no clicks or conversions column."""
    rows = "".join(
        f"s{i}.com,{1000 + 37 * i},{(1000 + 37 * i) * (1 + i % 5) / 1000:.2f},{50 + i % 7}.0%\n"
        for i in range(60)
    )
    report = tmp_path / "outside.csv"
    report.write_text(
        "Domain,Impressions,Total Spend,Sampled In-View Rate\n" + rows + "bad.com,many,1.00,50%\n",
        encoding="utf-8",
    )
    campaign = scored_campaign(workspace, report, "Outside")
    out = tmp_path / "outside.pdf"
    write_report(workspace, campaign, out)
    text = " ".join(pdf_text(out).split())
    assert "61 rows read = 60 scored + 1 left out (1 with a count that is not a number)" in text
    assert "row 62: Impressions 'many'" in text
    assert "Warnings (2)" in text
    assert "used PulsePoint names instead (spend from 'Total Spend')" in text
    assert "PulsePoint column name (the file has no The Trade Desk one)" in text  # mapping table
    assert "The report has no clicks or conversions column" in text  # the impact table's note
    assert "0.0 % of conversions" not in text
    assert "2 data warning(s)" in text  # the executive summary points at them


def test_the_charts_page_reads_alone(workspace: Workspace, sample: int, tmp_path: Path) -> None:
    """Every chart has a legend in the analyst's words; colour is the recommendation in all three
    (as in the window), the quality bands are dashed cuts; spend ticks are plain decades."""
    out = tmp_path / "report.pdf"
    write_report(workspace, sample, out)
    page = next(
        t for t in (p.extract_text() for p in PdfReader(out).pages) if "Spend vs score" in t
    )
    for label in ("Allow", "Monitor", "Block", "Insufficient data"):
        assert page.count(label) >= 3, label  # histogram, scatter and shares legends
    assert "Quality cut" in page
    assert "poor below" in page
    assert "good from" in page
    assert "Poor (< P25)" not in page
    assert "Good (≥ P75)" not in page
    assert "Spend (log scale)" in page
    assert re.search(r"\$1\b", page)
    assert re.search(r"\$100\b", page)
    assert "·10" not in page


def test_the_report_names_things_in_words_not_machine_names(
    workspace: Workspace, sample: int, tmp_path: Path
) -> None:
    """Flags, metrics, platform, profile and settings in the labels table's words: no
    ``mfa_pattern``, ``uid_ratio``, ``trade_desk`` or ``p_block`` reaches the reader."""
    out = tmp_path / "report.pdf"
    write_report(workspace, sample, out)
    text = pdf_text(out)
    run = workspace.runs.current_run(sample)
    assert run is not None
    sites = workspace.runs.load_result(run.id).sites
    names = [str(s) for s in sites.index] + [str(n) for n in sites["display_name"]]
    leaked = sorted(set(machine_names(text, allowed=[*names, "Spring Display – Acme"])))
    assert not leaked, f"machine names in the PDF: {leaked}"
    assert labels.flag("mfa_pattern") in text
    assert "The Trade Desk · Display · Awareness" in text  # the scoring profile, in words
