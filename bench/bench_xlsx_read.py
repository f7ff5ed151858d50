"""Benchmark: what reading a 1M-row XLSX costs, and what reading it in batches would cost.

Run from the repository root with the project's environment:

    .venv/bin/python bench/bench_xlsx_read.py                  # 3 repeats, batches of 100,000
    .venv/bin/python bench/bench_xlsx_read.py --repeats 1 --batch-rows 50000

The workbook is made once from the 1M-row CSV of ``bench_score.py`` (generated if missing) with
xlsxwriter in ``constant_memory`` mode (so its strings are inline strings, not a shared-strings
table) and cached in ``bench/.cache``. Each contender runs in a fresh child process; the table has
the median wall time and the child's peak RSS (``wait4``):

- ``scan``: ``_scan_excel`` alone, finding the sheet and its header. It reads 220 rows, but
  fastexcel parses the whole sheet to give them: this is the cost of one parse;
- ``scan + _load_excel``: the whole-sheet read ``read_report`` does today;
- ``scan + one n_rows batch``: one ``load_sheet(skip_rows=…, n_rows=batch)``, what a reader that
  loads each batch on its own would pay per batch (fastexcel parses the whole sheet each time, so
  such a reader's time is that × the number of batches: quadratic in the rows);
- ``expat walk (reference)``: no Caliber code — the sheet's XML streamed through the standard
  library's expat, every cell's text collected and dropped: the floor of a reader that would
  stream a workbook in bounded memory.

fastexcel (calamine) parses a whole sheet into memory on every ``load_sheet``, whatever ``n_rows``
says, so handing its result on in batches frees nothing at the peak; workbooks are therefore read
whole (the format's limit, 1,048,576 rows, bounds it).
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import subprocess
import sys
from pathlib import Path

from bench_score import CACHE, ROOT, Run, count_columns, generate, run_child

ROWS = 1_000_000
CHILD = """
import sys
from pathlib import Path

from caliber_desktop.services.scoring.read_excel import _load_excel, _scan_excel

mode, path, batch_rows = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
grid = _scan_excel(path, path.name, {})


def number(cell):
    try:
        float(cell)
    except ValueError:
        return False
    return True


kinds = {i: "whole" if number(cell) else "dim" for i, cell in enumerate(grid.sample[0])}
rows = 0
if mode == "load":
    rows = len(_load_excel(path, grid, kinds).rows)
elif mode == "one batch":
    import fastexcel

    wanted = sorted(kinds)
    reader = fastexcel.read_excel(path.read_bytes())
    sheet = reader.load_sheet(
        grid.sheet or 0, header_row=None, skip_rows=grid.header_row + ROWS // 2,
        n_rows=batch_rows, use_columns=wanted,
        dtypes={i: "string" if kinds[i] == "dim" else "float" for i in wanted},
    )
    rows = sheet.to_arrow().num_rows
print(rows)
""".replace("ROWS", str(ROWS))
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
MODES = {
    "scan": "scan",
    "scan + _load_excel": "load",
    "scan + one n_rows batch": "one batch",
    "expat walk (reference)": "expat",
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
    parser.add_argument("--batch-rows", type=int, default=100_000)
    args = parser.parse_args()
    path = workbook()
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(ROOT / "caliber_desktop")], check=True
    )
    runs: dict[str, list[Run]] = {name: [] for name in MODES}
    for _ in range(args.repeats):  # interleaved, so drift hits all alike
        for name, mode in MODES.items():
            code = EXPAT if mode == "expat" else CHILD
            command = [sys.executable, "-c", code, mode, str(path), str(args.batch_rows)]
            runs[name].append(run_child(command))
    size = path.stat().st_size
    print(
        f"\n{path.name}: {ROWS:,} rows, {size / 2**20:,.0f} MiB, batches of "
        f"{args.batch_rows:,} rows, {args.repeats} repeat(s)"
    )
    head = ("median wall", "peak RSS", "× scan", "peak/file")
    print(f"  {'contender':<24} " + " ".join(f"{h:>11}" for h in head))
    scan = statistics.median(r.wall for r in runs["scan"])
    for name, rs in runs.items():
        wall, peak = statistics.median(r.wall for r in rs), max(r.peak for r in rs)
        print(
            f"  {name:<24} {wall:9.2f} s {peak / 2**20:7,.0f} MiB {wall / scan:11.2f} "
            f"{peak / size:11.2f}"
        )
    one = statistics.median(r.wall for r in runs["scan + one n_rows batch"]) - scan
    batches = -(-ROWS // args.batch_rows)
    print(
        f"  loading each batch with skip_rows/n_rows would parse the sheet {batches} times: "
        f"≈ {batches * one:,.0f} s of reading instead of ≈ {one:,.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
