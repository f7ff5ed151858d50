"""Benchmark: what `caliber score FILE --out DIR` spends after the per-site table exists, and
before it reads a row, each against ``pyarrow.csv.read_csv`` of the 1M-row report (same run).

Run from the repository root with the project's environment:

    .venv/bin/python bench/bench_stages.py                 # 100k sites, 3 repeats
    .venv/bin/python bench/bench_stages.py --sites 300000 --repeats 5

The 1M-row TTD display report (≈ 135 MB, 100k sites) is the one ``bench_score.py`` generates
and caches in ``bench/.cache``; reading it with ``pyarrow.csv.read_csv`` is the baseline, as in
issue 17's target (``caliber score`` end to end ≤ 3× that read). Interleaved with it, in this
process, each repeat times on a generated table of as many sites (``bench_certainty``'s: display
awareness, impressions over four orders of magnitude, so the intervals and sentences are as
varied as a real report's):

* ``score_sites`` and each of its seven stages (the times between its progress reports);
* ``build_lists`` and ``write_run_outputs`` (scores.csv, the list files, summary.json,
  data_quality.json into a temporary folder, as ``caliber score --out`` writes them);

and, in fresh processes, start-up: ``caliber --help`` end to end, and the sum of the top-level
``-X importtime`` cumulative times of ``caliber score`` up to its first progress report (reading
begins), with the five largest. Medians of the repeats; read the ratios, the machine is shared.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_certainty import CONFIG, site_table  # noqa: E402
from bench_score import generate  # noqa: E402

STAGES = (
    "1 metrics",
    "2 outliers",
    "3 normalise",
    "4 weights",
    "5 score, decide",
    "6 explain, frame",
    "7 summary",
)
#: Runs the CLI and stops at its first progress report, printing nothing else there.
BEFORE_READING = """
import os, sys
import caliber_desktop.cli.output as output

def printer(quiet):
    def show(done, total, message):
        sys.stderr.write("@@reading\\n")
        sys.stderr.flush()
        os._exit(0)
    return show

output.progress_printer = printer
from caliber_desktop.cli.main import main
main(sys.argv[1:])
"""


def baseline(report: Path) -> float:
    import pyarrow.csv as pacsv

    start = time.perf_counter()
    pacsv.read_csv(report)
    return time.perf_counter() - start


def scoring(sites: int, out: Path) -> dict[str, float]:
    """One score of ``sites`` sites and its hand-over, timed stage by stage."""
    from caliber_desktop.services.exports.run_outputs import write_run_outputs
    from caliber_desktop.services.scoring.lists import build_lists
    from caliber_desktop.services.scoring.pipeline import score_sites

    table = site_table(sites)
    marks: list[float] = []
    start = time.perf_counter()
    result = score_sites(table, CONFIG, progress=lambda *_: marks.append(time.perf_counter()))
    scored = time.perf_counter()
    marks.append(scored)
    lists = build_lists(result.sites, warning_share=result.config.impact_warning_share)
    listed = time.perf_counter()
    write_run_outputs(result, lists, out, about={"bench": True})
    written = time.perf_counter()
    times = {"score_sites": scored - start}
    times |= {name: marks[i + 1] - marks[i] for i, name in enumerate(STAGES)}
    times |= {"build_lists": listed - scored, "write_run_outputs": written - listed}
    return times


def import_times(report: Path, folder: Path) -> tuple[float, list[tuple[float, str]]]:
    """Top-level imports of ``caliber score`` before reading begins: total and the largest."""
    command = [sys.executable, "-X", "importtime", "-c", BEFORE_READING, "score", str(report)]
    command += ["--goal", "awareness", "--out", str(folder / "out"), "--home", str(folder)]
    err = subprocess.run(command, capture_output=True, text=True, cwd=folder).stderr
    found: list[tuple[float, str]] = []
    for line in err.splitlines():
        if line.startswith("@@reading"):
            break
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \| (\S.*)$", line)
        if match:  # no indentation: imported by the program itself, not by another module
            found.append((int(match.group(1)) / 1e6, match.group(2)))
    return sum(t for t, _ in found), sorted(found, reverse=True)[:5]


def help_time() -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "caliber_desktop", "--help"], capture_output=True, check=True
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sites", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    report = generate(1_000_000)
    runs: list[dict[str, float]] = []
    imports: list[tuple[float, list[tuple[float, str]]]] = []
    with tempfile.TemporaryDirectory(prefix="bench_stages") as tmp:
        folder = Path(tmp)
        scoring(2_000, folder / "warm")  # imports and first calls, not billed to a repeat
        for k in range(args.repeats):
            times = {"pyarrow read_csv (baseline)": baseline(report)}
            times |= scoring(args.sites, folder / f"out{k}")
            times["caliber --help"] = help_time()
            imports.append(import_times(report, folder))
            times["imports before reading"] = imports[-1][0]
            runs.append(times)
    median = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
    base = median["pyarrow read_csv (baseline)"]
    print(f"{args.sites:,} sites; baseline: pyarrow read_csv of {report.name}; "
          f"median of {args.repeats}\n")  # fmt: skip
    print("| step | seconds | × baseline |")
    print("| --- | ---: | ---: |")
    for key, value in median.items():
        indent = "  " if key[0].isdigit() else ""
        print(f"| {indent}{key} | {value:.3f} | {value / base:.2f} |")
    total, largest = imports[len(imports) // 2]
    print(f"\nimports before reading (one run, {total:.3f} s), largest:")
    for seconds, name in largest:
        print(f"  {seconds:.3f} s  {name}")


if __name__ == "__main__":
    main()
