"""Benchmark: `caliber score` end to end against `pyarrow.csv.read_csv` of the same file.

Run from the repository root with the project's environment:

    .venv/bin/python bench/bench_score.py                 # 1M rows, 3 repeats
    .venv/bin/python bench/bench_score.py --rows 5000000 --repeats 1

It generates a TTD display report with ``../shared/tools/make_reports.py`` (cached in
``bench/.cache``, git-ignored), then runs each contender in a fresh child process — the baseline
reads the file with pyarrow and nothing else, the candidate is the real ``caliber score`` command
writing every output file — and reports median wall time and the child's peak RSS. What matters is
the ratios (this is a shared machine): target ≤ 3× the baseline's time and peak memory ≤ 3× the
file size.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GENERATOR = ROOT.parent / "shared" / "tools" / "make_reports.py"
CACHE = Path(__file__).resolve().parent / ".cache"
BASELINE = "import sys, pyarrow.csv as c; t = c.read_csv(sys.argv[1]); print(t.num_rows)"


def generate(rows: int) -> Path:
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"ttd_display_{rows}.csv"
    if not path.exists():
        entities = max(2_000, rows // 10)
        print(f"generating {path.name} ({rows:,} rows, {entities:,} sites)…", flush=True)
        subprocess.run(
            [sys.executable, str(GENERATOR), "--platform", "trade_desk", "--channel", "display",
             "--goal", "awareness", "--rows", str(rows), "--entities", str(entities),
             "--seed", "7", "--out", str(path)],
            check=True,
        )  # fmt: skip
    return path


def run_child(command: list[str]) -> tuple[float, int]:
    """(wall seconds, peak RSS bytes) of one child process."""
    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        err = child.stderr.read().decode() if child.stderr else ""
        raise SystemExit(f"{command[:4]}… failed ({child.returncode}): {err}")
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss is KiB on Linux, bytes on macOS
    return wall, usage.ru_maxrss * scale


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    report = generate(args.rows)
    # As installed: bytecode compiled once (this machine sets PYTHONDONTWRITEBYTECODE, which would
    # otherwise make every run recompile the package and bill it to the candidate).
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(ROOT / "caliber_desktop")], check=True
    )
    size = report.stat().st_size
    with tempfile.TemporaryDirectory() as tmp:
        home, out = Path(tmp) / "home", Path(tmp) / "out"
        caliber = [
            sys.executable, "-m", "caliber_desktop", "score", str(report), "--goal", "awareness",
            "--out", str(out), "--home", str(home),
        ]  # fmt: skip
        baseline = [sys.executable, "-c", BASELINE, str(report)]
        runs: dict[str, list[tuple[float, int]]] = {"pyarrow read_csv": [], "caliber score": []}
        for _ in range(args.repeats):  # interleaved, so drift hits both alike
            runs["pyarrow read_csv"].append(run_child(baseline))
            runs["caliber score"].append(run_child(caliber))
    print(f"\n{report.name}: {args.rows:,} rows, {size / 2**20:,.0f} MiB, {args.repeats} repeats")
    medians = {
        name: (statistics.median(t for t, _ in r), max(m for _, m in r)) for name, r in runs.items()
    }
    for name, (wall, peak) in medians.items():
        print(f"  {name:<18} {wall:7.2f} s   peak RSS {peak / 2**20:7,.0f} MiB")
    base_time = medians["pyarrow read_csv"][0]
    wall, peak = medians["caliber score"]
    print(f"  time ratio  caliber / pyarrow = {wall / base_time:.2f}  (target ≤ 3)")
    print(f"  memory      peak / file size  = {peak / size:.2f}  (target ≤ 3)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
