"""Benchmark: the export writers and the PDF report of a 100k-site run against baselines.

Run from the repository root with the project's environment:

    .venv/bin/python bench/bench_outputs.py                  # 100k sites, 3 repeats
    .venv/bin/python bench/bench_outputs.py --sites 50000    # also pandas + openpyxl XLSX

It generates a TTD display report (3 rows per site) with the vendored generator
``tests/support/make_reports.py`` (cached in ``bench/.cache``, git-ignored), scores it into a
temporary workspace the way the window does (campaign → upload → ``runs.score_campaign``) and
takes the results table the app exports (``results_table`` plus the final list columns, read back
from the store). Then, in this one process and interleaved so drift hits every contender alike,
each repeat times:

* the results table as XLSX, CSV and JSON with the app's writers (:mod:`~caliber_desktop.services
  .sheets`) and with baselines on the same frame: ``xlsxwriter`` in constant-memory mode cell by
  cell (formula and URL detection off, text neutralised first — the app's writer before its own
  streaming one), ``pandas.to_excel`` with openpyxl (only up to 50k sites: it takes about a minute
  per 100k), ``pyarrow.csv.write_csv`` of the raw frame (the floor), ``pandas.to_csv`` and
  ``pandas.to_json(orient="records")``;
* the whole ``outputs.export(what="campaign")`` in each format (the store read included);
* the PDF report (``report.write_report``), against scoring the same report with
  ``engine.score_file`` (read → preprocess → score, no store).

Medians of the repeats, output sizes and ratios are printed as a markdown table. Every contender
runs once untimed first (the frame writers on a small slice, the PDF in full), so imports and font
registration are not billed to the first repeat. This is a shared machine: read the ratios.
"""

from __future__ import annotations

import argparse
import gc
import logging
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
GENERATOR = ROOT / "tests" / "support" / "make_reports.py"
CACHE = Path(__file__).resolve().parent / ".cache"
ROWS_PER_SITE = 3  # as the report tests' 50k-site run
OPENPYXL_MAX_SITES = 50_000
WARMUP_ROWS = 2_000
SETTINGS = {
    "platform": "trade_desk",
    "goal": "awareness",
    "channel": "display",
    "ctr_sensitivity": False,
    "analysis_level": "domain",
}


def generate(sites: int) -> Path:
    CACHE.mkdir(exist_ok=True)
    rows = sites * ROWS_PER_SITE
    path = CACHE / f"ttd_display_{sites}_sites_{rows}_rows.csv"
    if not path.exists():
        print(f"generating {path.name} ({rows:,} rows, {sites:,} sites)…", flush=True)
        subprocess.run(
            [sys.executable, str(GENERATOR), "--platform", "trade_desk", "--channel", "display",
             "--goal", "awareness", "--rows", str(rows), "--entities", str(sites),
             "--seed", "7", "--out", str(path)],
            check=True,
        )  # fmt: skip
    return path


@dataclass
class Contender:
    """One timed writer. ``write(folder)`` writes under ``folder`` and returns what it wrote."""

    output: str
    name: str
    write: Callable[[Path], Path | None]
    ratio_to: Contender | None = None  # the ratio column: this contender's time ÷ ratio_to's
    ratio_label: str = ""
    times: list[float] = field(default_factory=list)
    size: int | None = None
    note: str = ""

    def run(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        gc.collect()
        start = time.perf_counter()
        written = self.write(folder)
        self.times.append(time.perf_counter() - start)
        if written is not None:
            self.size = size_of(written)
        shutil.rmtree(folder)

    @property
    def median(self) -> float:
        return statistics.median(self.times)


def size_of(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size


# ----------------------------------------------------------------------------- baselines


def xlsxwriter_cells(frame: Any, path: Path) -> Path:
    """The app's XLSX writer before the streaming one: xlsxwriter, one Python call per cell."""
    import math

    import numpy as np
    import pandas as pd
    import xlsxwriter

    from caliber_desktop.services.exports.sheets import neutralise, neutralise_frame

    safe = neutralise_frame(frame)
    options = {
        "constant_memory": True,
        "strings_to_formulas": False,
        "strings_to_urls": False,
        "nan_inf_to_errors": False,
    }
    with xlsxwriter.Workbook(str(path), options) as book:
        bold = book.add_format({"bold": True})
        sheet = book.add_worksheet("Results")
        for col, header in enumerate(safe.columns):
            sheet.write_string(0, col, neutralise(str(header)), bold)
        for row, values in enumerate(safe.itertuples(index=False), start=1):
            for col, value in enumerate(values):
                if value is None or value is pd.NA:
                    continue
                if isinstance(value, bool | np.bool_):
                    sheet.write_boolean(row, col, bool(value))
                elif isinstance(value, int | float | np.integer | np.floating):
                    number = float(value)
                    if math.isfinite(number):
                        sheet.write_number(row, col, number)
                else:
                    sheet.write_string(row, col, str(value))
        sheet.freeze_panes(1, 0)
    return path


def pyarrow_csv(frame: Any, path: Path) -> Path:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    pacsv.write_csv(pa.Table.from_pandas(frame, preserve_index=False), str(path))
    return path


# ----------------------------------------------------------------------------- contenders


def frame_contenders(frame: Any, sites: int) -> list[Contender]:
    """The results-table writers: each format's app writer first, then its baselines."""
    from caliber_desktop.services.exports import sheets

    def fmt(out: str, app_name: str, app: Callable[[Path], Path], *rest: Any) -> list[Contender]:
        own = Contender(out, app_name, app)
        others = [Contender(out, name, write, own, "caliber ÷ this") for name, write in rest]
        return [own, *others]

    openpyxl = (
        "pandas `to_excel(engine='openpyxl')`",
        lambda d: (
            frame.to_excel(d / "results.xlsx", engine="openpyxl", index=False) or d / "results.xlsx"
        ),
    )
    out = [
        *fmt(
            "results XLSX",
            "caliber `sheets.write_xlsx`",
            lambda d: sheets.write_xlsx([("Results", frame)], d / "results.xlsx"),
            (
                "xlsxwriter constant_memory, cell by cell",
                lambda d: xlsxwriter_cells(frame, d / "results.xlsx"),
            ),
            openpyxl,
        ),
        *fmt(
            "results CSV",
            "caliber `sheets.write_csv`",
            lambda d: sheets.write_csv(frame, d / "results.csv"),
            ("`pyarrow.csv.write_csv` (floor)", lambda d: pyarrow_csv(frame, d / "results.csv")),
            (
                "pandas `to_csv`",
                lambda d: frame.to_csv(d / "results.csv", index=False) or d / "results.csv",
            ),
        ),
        *fmt(
            "results JSON",
            "caliber `sheets.write_json_document`",
            lambda d: sheets.write_json_document({"results": frame}, d / "results.json"),
            (
                "pandas `to_json(orient='records')`",
                lambda d: frame.to_json(d / "results.json", orient="records") or d / "results.json",
            ),
        ),
    ]
    if sites > OPENPYXL_MAX_SITES:
        skipped = next(c for c in out if c.name == openpyxl[0])
        skipped.note = f"skipped: --sites > {OPENPYXL_MAX_SITES:,} (≈ 1 min per 100k sites)"
    return out


def export_contenders(ws: Any, campaign_id: int, app: dict[str, Contender]) -> list[Contender]:
    from caliber_desktop.services.exports.outputs import export

    def writer(fmt: str) -> Callable[[Path], Path]:
        name = "campaign" if fmt == "csv" else f"campaign.{fmt}"  # csv: a folder of parts
        return lambda d: export(ws, campaign_id, "campaign", fmt, d / name).path

    return [
        Contender(
            f"campaign {fmt.upper()}",
            f"caliber `outputs.export(what='campaign')`{' (folder)' if fmt == 'csv' else ''}",
            writer(fmt),
            app[fmt],
            "÷ caliber results writer",
        )
        for fmt in ("csv", "xlsx", "json")
    ]


# ----------------------------------------------------------------------------- run


def measure(report: Path, sites: int, repeats: int) -> tuple[list[Contender], dict[str, Any]]:
    from caliber_desktop.models.enums import Channel, Goal, Platform
    from caliber_desktop.services.exports.outputs import read_run
    from caliber_desktop.services.exports.parts import results_frame
    from caliber_desktop.services.report import write_report
    from caliber_desktop.services.scoring.engine import ScoreRequest, score_file
    from caliber_desktop.services.workspace import open_workspace

    request = ScoreRequest(
        goal=Goal.AWARENESS, platform=Platform.TRADE_DESK, channel=Channel.DISPLAY
    )
    handlers = list(logging.getLogger().handlers)
    with tempfile.TemporaryDirectory(prefix="bench-outputs-") as tmp:
        work = Path(tmp)
        ws = open_workspace(work / "home")
        try:
            campaign = ws.campaigns.create("Bench outputs", settings=SETTINGS)
            ws.uploads.attach(campaign.id, report)
            start = time.perf_counter()
            run = ws.runs.score_campaign(campaign.id)
            stored = time.perf_counter() - start
            frame = results_frame(read_run(ws, campaign.id, None))
            writers = frame_contenders(frame, sites)
            app = {c.output.split()[-1].lower(): c for c in writers if c.ratio_to is None}
            pages: list[int] = []

            def score(_d: Path) -> None:
                score_file(report, request)

            def pdf(d: Path) -> Path:
                info = write_report(ws, campaign.id, d / "report.pdf")
                pages.append(info.pages)
                return info.path

            scoring = Contender("scoring", "`engine.score_file` (read → preprocess → score)", score)
            report_pdf = Contender("PDF report", "caliber `report.write_report`", pdf, scoring)
            report_pdf.ratio_label = "÷ score_file"
            contenders = [
                *writers,
                *export_contenders(ws, campaign.id, app),
                scoring,
                report_pdf,
            ]
            small = frame.head(WARMUP_ROWS)
            for warm in frame_contenders(small, WARMUP_ROWS):
                if not warm.note:
                    warm.run(work / "warmup")
            report_pdf.run(work / "warmup")
            report_pdf.times.clear()
            for repeat in range(repeats):
                print(f"repeat {repeat + 1}/{repeats}…", flush=True)
                for contender in contenders:
                    if not contender.note:
                        contender.run(work / "out")
            facts = {
                "sites": run.site_count,
                "rows": run.rows_read,
                "shape": frame.shape,
                "stored": stored,
                "pages": pages[-1],
            }
        finally:
            ws.close()
            for handler in logging.getLogger().handlers:
                if handler not in handlers:
                    logging.getLogger().removeHandler(handler)
                    handler.close()
    return contenders, facts


def table(contenders: list[Contender], facts: dict[str, Any]) -> str:
    lines = [
        "| output | contender | median s | size MiB | ratio |",
        "|---|---|---:|---:|---|",
    ]
    for c in contenders:
        if c.note:
            lines.append(f"| {c.output} | {c.name} | — | — | {c.note} |")
            continue
        size = "—" if c.size is None else f"{c.size / 2**20:,.2f}"
        ratio = ""
        if c.ratio_to is not None:
            if c.ratio_label.startswith("caliber"):  # the app writer's time ÷ this baseline's
                value = c.ratio_to.median / c.median
                speed = f"{1 / value:.1f}× faster" if value < 1 else f"{value:.1f}× slower"
                ratio = f"{c.ratio_label} = **{value:.2f}** (caliber {speed})"
            else:
                ratio = f"{c.ratio_label} = **{c.median / c.ratio_to.median:.2f}**"
        output = c.output
        if c.output == "PDF report":
            output = f"PDF report ({facts['pages']} pages)"
        lines.append(f"| {output} | {c.name} | {c.median:.2f} | {size} | {ratio} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    report = generate(args.sites)
    # As installed: bytecode compiled once (this machine sets PYTHONDONTWRITEBYTECODE, which would
    # otherwise make every run recompile the package). Imported only after this.
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(ROOT / "caliber_desktop")], check=True
    )
    contenders, facts = measure(report, args.sites, args.repeats)
    rows, cols = facts["shape"]
    print(
        f"\n{report.name}: {facts['rows']:,} rows, {facts['sites']:,} sites scored "
        f"(score_campaign into the store {facts['stored']:.2f} s once), results table "
        f"{rows:,} × {cols}, {args.repeats} repeats\n"
    )
    print(table(contenders, facts))
    print(
        "\nratio: a baseline row shows the caliber writer's median ÷ that baseline's (< 1: caliber"
        " is faster); an export row, the whole export ÷ the caliber writer of its results table"
        " alone; the PDF row, the report ÷ scoring the same report."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
