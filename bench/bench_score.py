"""Benchmark: `caliber score` end to end against `pyarrow.csv.read_csv` of the same file, and
beside the tools an analyst would pick instead (polars, DuckDB).

Run from the repository root with the project's environment (polars and duckdb come with the
``dev`` extra; they are bench-only, never app dependencies):

    .venv/bin/python bench/bench_score.py                     # 1M rows, 3 repeats
    .venv/bin/python bench/bench_score.py --rows 5000000      # 3 repeats
    .venv/bin/python bench/bench_score.py --rows 20000000     # ≈ 2.7 GB CSV, each contender once

It generates a TTD display report with ``../shared/tools/make_reports.py`` (cached in
``bench/.cache``, git-ignored), then runs each contender in a fresh child process, interleaved,
and reports the median wall time and the child's peak RSS (``wait4``):

- ``pyarrow read_csv``, the baseline: the file read into memory and nothing else;
- ``polars lazy`` and ``duckdb``: the read + per-site sums of every count column a power user
  would write by hand — ``pl.scan_csv(f).group_by("Site").agg(sums).collect(engine="streaming")``
  and ``SELECT Site, SUM(Impressions), … FROM read_csv(f) GROUP BY Site``;
- ``caliber score``: the real command writing every output file.

What matters is the ratios (this is a shared machine): caliber ≤ 3× the baseline's time; peak
memory ≤ 3× the file size at 1M rows, ≤ 2× at 5M; at 20M, peak memory bounded by the number of
sites, not rows (≤ 2 GiB). caliber's stderr is a pseudo-terminal (it prints progress only to one):
its progress lines are counted and the first and last shown, so a run shows progress all the way.

Reports of more than 2M rows are generated in parts of 2M rows (seeds 7, 8, …), each with
20,000 sites over 91 days — a quarter of daily rows per site × ad group × vendor. Some names recur
across parts: 5M rows have 55,932 distinct sites, 20M rows 166,828 (the 1M report keeps its
100,000 sites over 14 days), so the 20M report has 20× the rows of the 1M one and 1.7× its sites.
Each part is kept in ``bench/.cache`` once written and the parts are joined at the end, so an
interrupted generation resumes at the next part, and the generator never holds more than 2M rows
(≈ 1.2 GB) in memory; generating 20M rows (2.6 GiB) takes 3–4 minutes and 2× the file's size on
disk while the parts are joined.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import os
import pty
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GENERATOR = ROOT.parent / "shared" / "tools" / "make_reports.py"
CACHE = Path(__file__).resolve().parent / ".cache"
#: Reports larger than this are generated in parts of this many rows (see the module docstring).
PART_ROWS = 2_000_000
PART_SITES = 20_000
PART_DAYS = 91
#: From this many rows on each contender runs once unless --repeats says otherwise.
BIG_ROWS = 10_000_000
BYTES_PER_ROW = 140  # of the generated TTD display CSV (133 at 1M rows), for the disk check
BASELINE = "import sys, pyarrow.csv as c; t = c.read_csv(sys.argv[1]); print(t.num_rows)"
# The peers: read + sums of the count columns per site, as a power user writes them. argv is
# FILE SITE_COLUMN COUNT_COLUMN...; each prints the number of sites.
POLARS = (
    "import sys, polars as pl\n"
    "path, site, *counts = sys.argv[1:]\n"
    "sums = pl.scan_csv(path).group_by(site).agg(pl.col(counts).sum())"
    ".collect(engine='streaming')\n"
    "print(sums.height)\n"
)
DUCKDB = (
    "import sys, duckdb\n"
    "path, site, *counts = sys.argv[1:]\n"
    "q = lambda name: '\"' + name.replace('\"', '\"\"') + '\"'\n"
    "sums = ', '.join(f'SUM({q(c)})' for c in counts)\n"
    "query = f'SELECT {q(site)}, {sums} FROM read_csv(?) GROUP BY {q(site)}'\n"
    "print(duckdb.execute(query, [path]).fetch_arrow_table().num_rows)\n"
)
BASE, CALIBER = "pyarrow read_csv", "caliber score"


def _make_report(rows: int, sites: int, days: int, seed: int, out: Path) -> None:
    subprocess.run(
        [sys.executable, str(GENERATOR), "--platform", "trade_desk", "--channel", "display",
         "--goal", "awareness", "--rows", str(rows), "--entities", str(sites), "--days", str(days),
         "--seed", str(seed), "--format", "csv", "--out", str(out)],
        check=True,
    )  # fmt: skip


def generate(rows: int) -> Path:
    """The cached report of ``rows`` rows; written in resumable parts past ``PART_ROWS``."""
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"ttd_display_{rows}.csv"
    if path.exists():
        return path
    if rows <= PART_ROWS:
        sites = max(2_000, rows // 10)
        print(f"generating {path.name} ({rows:,} rows, {sites:,} sites)…", flush=True)
        tmp = path.with_name(path.name + ".tmp")
        _make_report(rows, sites, 14, 7, tmp)
        os.replace(tmp, path)
        return path
    sizes = [PART_ROWS] * (rows // PART_ROWS) + ([rows % PART_ROWS] if rows % PART_ROWS else [])
    parts = [
        path.with_name(f"{path.stem}.part{i + 1:02d}of{len(sizes):02d}.csv")
        for i in range(len(sizes))
    ]
    have = sum(p.stat().st_size for p in parts if p.exists())
    need = 2 * rows * BYTES_PER_ROW - have  # the rest of the parts, then the joined file
    free = shutil.disk_usage(CACHE).free
    if free < need * 1.1:
        gib = f"≈ {need / 2**30:.1f} GiB free in {CACHE}, and {free / 2**30:.1f} GiB are"
        raise SystemExit(f"{path.name} needs {gib}")
    print(
        f"generating {path.name}: {rows:,} rows in {len(parts)} parts of ≤ {PART_ROWS:,} rows, "
        f"{PART_SITES:,} sites and {PART_DAYS} days each",
        flush=True,
    )
    for i, (part, size) in enumerate(zip(parts, sizes, strict=True)):
        if part.exists():
            print(f"  {part.name}: cached", flush=True)
            continue
        tmp = part.with_name(part.name + ".tmp")
        _make_report(size, PART_SITES, PART_DAYS, 7 + i, tmp)
        os.replace(tmp, part)  # a part exists only once it is whole: an interrupted run redoes it
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as joined:
        for i, part in enumerate(parts):
            with part.open("rb") as piece:
                if i:
                    piece.readline()  # the header, once
                shutil.copyfileobj(piece, joined, 16 * 2**20)
    os.replace(tmp, path)
    for part in parts:
        part.unlink()
    return path


@dataclass
class Run:
    wall: float  # seconds
    peak: int  # peak RSS, bytes
    out: str  # stdout
    err: str  # stderr (through a pseudo-terminal if asked)


def _drain(fd: int, sink: list[bytes]) -> threading.Thread:
    """Read a child's output as it comes, so a full pipe never blocks it."""

    def pump() -> None:
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # a pseudo-terminal whose child has gone (EIO on Linux)
                return
            if not chunk:
                return
            sink.append(chunk)

    thread = threading.Thread(target=pump, daemon=True)
    thread.start()
    return thread


def run_child(command: list[str], *, terminal: bool = False) -> Run:
    """Wall time, peak RSS and output of one child process.

    With ``terminal`` its stderr is a pseudo-terminal: caliber shows progress only on one.
    """
    master, slave = pty.openpty() if terminal else (-1, -1)
    start = time.perf_counter()
    child = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=slave if terminal else subprocess.PIPE
    )
    out: list[bytes] = []
    err: list[bytes] = []
    assert child.stdout is not None
    readers = [_drain(child.stdout.fileno(), out)]
    if terminal:
        os.close(slave)
        readers.append(_drain(master, err))
    else:
        assert child.stderr is not None
        readers.append(_drain(child.stderr.fileno(), err))
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    for reader in readers:
        reader.join()
    if terminal:
        os.close(master)
    run = Run(
        wall,
        usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024),  # KiB on Linux, bytes on macOS
        b"".join(out).decode(errors="replace"),
        b"".join(err).decode(errors="replace"),
    )
    if child.returncode != 0:
        raise SystemExit(f"{command[:4]}… failed ({child.returncode}): {run.err}")
    return run


def count_columns(report: Path) -> tuple[str, list[str]]:
    """(site column, count columns) of the report: the columns whose first value is a number."""
    with report.open(encoding="utf-8", newline="") as text:
        header, first = itertools.islice(csv.reader(text), 2)

    def number(cell: str) -> bool:
        try:
            float(cell)
        except ValueError:
            return False
        return True

    return "Site", [h for h, cell in zip(header, first, strict=True) if number(cell)]


def progress_lines(err: str) -> list[str]:
    """caliber's progress lines ("  42%  Reading rows…") from what it wrote to its terminal."""
    return [line.strip() for line in re.split(r"[\r\n]+", err) if re.match(r"\s*\d+%", line)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--repeats", type=int, help=f"default 3, 1 from {BIG_ROWS:,} rows (each contender once)"
    )
    args = parser.parse_args()
    repeats = args.repeats or (1 if args.rows >= BIG_ROWS else 3)
    report = generate(args.rows)
    # As installed: bytecode compiled once (this machine sets PYTHONDONTWRITEBYTECODE, which would
    # otherwise make every run recompile the package and bill it to the candidate).
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(ROOT / "caliber_desktop")], check=True
    )
    size = report.stat().st_size
    site, counts = count_columns(report)
    with tempfile.TemporaryDirectory() as tmp:
        home, out = Path(tmp) / "home", Path(tmp) / "out"
        commands = {
            BASE: [sys.executable, "-c", BASELINE, str(report)],
            "polars lazy": [sys.executable, "-c", POLARS, str(report), site, *counts],
            "duckdb": [sys.executable, "-c", DUCKDB, str(report), site, *counts],
            CALIBER: [
                sys.executable, "-m", "caliber_desktop", "score", str(report), "--goal",
                "awareness", "--out", str(out), "--home", str(home),
            ],
        }  # fmt: skip
        runs: dict[str, list[Run]] = {name: [] for name in commands}
        for _ in range(repeats):  # interleaved, so drift hits all alike
            for name, command in commands.items():
                runs[name].append(run_child(command, terminal=name == CALIBER))
    sites = {int(runs[name][-1].out.split()[-1]) for name in ("polars lazy", "duckdb")}
    n_sites = max(sites)
    print(
        f"\n{report.name}: {args.rows:,} rows, {size / 2**20:,.0f} MiB, "
        + (f"{n_sites:,} sites" if len(sites) == 1 else f"sites: polars/duckdb disagree {sites}")
        + f", {repeats} repeat(s); sums of {len(counts)} count columns per site"
    )
    base = statistics.median(r.wall for r in runs[BASE])
    head = ("median wall", "peak RSS", "× pyarrow", "peak/file")
    print(f"  {'contender':<18} " + " ".join(f"{h:>11}" for h in head))
    for name, rs in runs.items():
        wall, peak = statistics.median(r.wall for r in rs), max(r.peak for r in rs)
        print(
            f"  {name:<18} {wall:9.2f} s {peak / 2**20:7,.0f} MiB {wall / base:11.2f} "
            f"{peak / size:11.2f}"
        )
    wall, peak = (
        statistics.median(r.wall for r in runs[CALIBER]),
        max(r.peak for r in runs[CALIBER]),
    )
    memory_target = 3 if args.rows < 5_000_000 else 2
    print(
        f"  caliber: time {wall / base:.2f}× pyarrow (target ≤ 3); "
        f"peak {peak / size:.2f}× the file (target ≤ {memory_target})"
    )
    bound = f"; target ≤ 2 GiB: {'met' if peak <= 2 * 2**30 else 'NOT met'}"
    print(
        f"  caliber peak RSS against sites: {peak / 2**20:,.0f} MiB for {n_sites:,} sites "
        f"= {peak / n_sites / 1024:,.1f} KiB a site ({peak / args.rows:,.0f} B a row)"
        + (bound if args.rows >= BIG_ROWS else "")
    )
    lines = progress_lines(runs[CALIBER][-1].err)
    if lines:
        print(f"  caliber progress: {len(lines)} lines, first {lines[0]!r}, last {lines[-1]!r}")
        print(f"    percentages: {' '.join(line.split('%')[0] for line in lines)}")
        reading = [line for line in lines if re.search(r"\d,\d{3} rows", line)]
        if reading:
            print(f"    rows read: {len(reading)} lines, the last {reading[-1]!r}")
    else:
        print("  caliber progress: no progress lines on its terminal")
    return 0


if __name__ == "__main__":
    sys.exit(main())
