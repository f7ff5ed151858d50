"""Benchmark: reading a 1M-row XLSX with fastexcel (whole sheet) and streamed, and scoring it.

Run from the repository root with the project's environment:

    .venv/bin/python bench/bench_xlsx_read.py                  # 3 repeats
    .venv/bin/python bench/bench_xlsx_read.py --repeats 1

The workbook is made once from the 1M-row CSV of ``bench_score.py`` (generated if missing) with
xlsxwriter in ``constant_memory`` mode (so its strings are inline strings, not a shared-strings
table) and cached in ``bench/.cache``. Each contender runs in a fresh child process, interleaved;
the table has the median wall time and the child's peak RSS (``wait4``), and ratios against
fastexcel's whole-sheet read measured in the same run (the machine may be shared):

- ``fastexcel scan + whole read``: what reading a workbook cost before the streaming reader:
  fastexcel's header scan (it parses the whole sheet to give 220 rows) and ``_load_excel``
  (parses it again, holds every cell);
- ``fastexcel whole read``: ``_load_excel`` after the streamed scan: one parse of the sheet
  holding every cell — the baseline;
- ``streamed scan``: ``_scan_excel`` now, the first rows of each sheet streamed;
- ``streamed read``: ``_scan_excel`` and every batch of ``_stream_excel`` (the needed columns,
  64k rows at a time, each batch let go), what ``caliber score`` reads a workbook with;
- ``expat walk (reference)``: no Caliber code — the sheet's XML streamed through the standard
  library's expat, every cell's text collected and dropped;
- ``caliber score``: the real command end to end (reading, summing per site, scoring, writing
  every output file).
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_score import CACHE, ROOT, Run, count_columns, generate, run_child

ROWS = 1_000_000
CHILD = """
import sys
from pathlib import Path

from caliber_desktop.services.scoring.read_excel import (
    _load_excel, _scan_excel, _scan_whole, _stream_excel,
)

mode, path = sys.argv[1], Path(sys.argv[2])
# "load" times one fastexcel parse: its header comes from the streamed scan (a fraction of a second)
grid = (_scan_whole if mode == "fastexcel" else _scan_excel)(path, path.name, {})


def number(cell):
    try:
        float(cell)
    except ValueError:
        return False
    return True


kinds = {i: "whole" if number(cell) else "dim" for i, cell in enumerate(grid.sample[0])}
rows = 0
if mode in ("fastexcel", "load"):
    rows = len(_load_excel(path, grid, kinds).rows)
elif mode == "stream":
    for columns, _ in _stream_excel(path, grid, kinds, path.name):
        rows += len(columns.rows)
print(rows)
"""
# The floor of a reader that streams the sheet's XML itself (zipfile + expat, the standard
# library's C parser): every cell's text walked, nothing converted, memory one chunk at a time.
EXPAT = """
import sys, zipfile
from xml.parsers import expat

rows, cells, text, inside = 0, [], [], [False]


def start(tag, attrs):
    if tag in ("v", "t"):
        inside[0] = True
        text.clear()


def end(tag):
    global rows
    if tag in ("v", "t"):
        inside[0] = False
        cells.append("".join(text))
    elif tag == "row":
        rows += 1
        cells.clear()


def chars(data):
    if inside[0]:
        text.append(data)


parser = expat.ParserCreate()
parser.buffer_text = True
parser.StartElementHandler, parser.EndElementHandler = start, end
parser.CharacterDataHandler = chars
with zipfile.ZipFile(sys.argv[2]) as book, book.open("xl/worksheets/sheet1.xml") as sheet:
    while chunk := sheet.read(1 << 20):
        parser.Parse(chunk, False)
print(rows)
"""
BASE = "fastexcel whole read"
MODES = {
    "fastexcel scan + whole read": "fastexcel",
    "streamed scan": "scan",
    "streamed read": "stream",
    "expat walk (reference)": "expat",
    "caliber score": "score",
}


def workbook() -> Path:
    """The 1M-row XLSX, made once from the CSV with xlsxwriter's constant_memory mode."""
    path = CACHE / f"ttd_display_{ROWS}.xlsx"
    if path.exists():
        return path
    import xlsxwriter

    source = generate(ROWS)
    _, counts = count_columns(source)
    print(f"writing {path.name} from {source.name} (about a minute)…", flush=True)
    tmp = path.with_name(path.stem + ".tmp.xlsx")
    book = xlsxwriter.Workbook(str(tmp), {"constant_memory": True})
    sheet = book.add_worksheet("Report")
    with source.open(encoding="utf-8", newline="") as text:
        lines = csv.reader(text)
        header = next(lines)
        sheet.write_row(0, 0, header)
        numeric = [h in counts for h in header]
        for r, line in enumerate(lines, start=1):
            sheet.write_row(
                r, 0, [float(v) if n and v else v for v, n in zip(line, numeric, strict=True)]
            )
    book.close()
    os.replace(tmp, path)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    path = workbook()
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(ROOT / "caliber_desktop")], check=True
    )
    runs: dict[str, list[Run]] = {name: [] for name in (BASE, *MODES)}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeats):  # interleaved, so drift hits all alike
            for name, mode in {BASE: "load", **MODES}.items():
                if mode == "score":
                    command = [
                        sys.executable, "-m", "caliber_desktop", "score", str(path), "--goal",
                        "awareness", "--out", f"{tmp}/out", "--home", f"{tmp}/home",
                    ]  # fmt: skip
                else:
                    code = EXPAT if mode == "expat" else CHILD
                    command = [sys.executable, "-c", code, mode, str(path)]
                runs[name].append(run_child(command))
                if mode != "score" and not runs[name][-1].out.strip():
                    raise SystemExit(f"{name} failed:\n{runs[name][-1].err}")
    size = path.stat().st_size
    print(f"\n{path.name}: {ROWS:,} rows, {size / 2**20:,.0f} MiB, {args.repeats} repeat(s)")
    head = ("median wall", "peak RSS", "× time", "× memory")
    print(f"  {'contender':<28} " + " ".join(f"{h:>11}" for h in head))
    base = statistics.median(r.wall for r in runs[BASE])
    base_peak = max(r.peak for r in runs[BASE])
    for name, rs in runs.items():
        wall, peak = statistics.median(r.wall for r in rs), max(r.peak for r in rs)
        print(
            f"  {name:<28} {wall:9.2f} s {peak / 2**20:7,.0f} MiB {wall / base:11.2f} "
            f"{peak / base_peak:11.2f}"
        )
    print("  (ratios against fastexcel's whole read in this run; the machine may be shared)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
