"""Benchmark: kept XLSX writers against the app's own on the 100k-site results table.

Run from the repository root with the project's environment:

    .venv/bin/python bench/bench_xlsx_writers.py                   # 100k sites, 3 repeats
    .venv/bin/python bench/bench_xlsx_writers.py --sites 20000 --repeats 1
    .venv/bin/python bench/bench_xlsx_writers.py --extra-site DIR  # writers installed elsewhere

Issue 18 asked whether a well-kept library could write the app's XLSX exports instead of its
hand-written writer, and to switch when one is within 1.5× of its time. This measures, on the
results table the app exports (scored once the way ``bench_outputs.py`` does, then cached in
``bench/.cache`` as Parquet), each writer with the same contract: text neutralised first
(``sheets.neutralise_frame``), no string turned into a formula or a link, a bold frozen header,
numbers as numbers, NaN/∞ left empty, streaming (constant-memory) where the library has it:

* the hand-written writer the app had before (``bench/xlsx_handwritten.py``: Arrow string
  kernels into a zip member), the baseline of the ratios;
* caliber ``sheets.write_xlsx`` now: the app's cell preparation, then rustpy-xlsxwriter;
* ``xlsxwriter`` in constant-memory mode, ``write_row`` per row (the only order that mode
  allows: it flushes each row when the next begins, so ``write_column`` would lose data);
* ``xlsxwriter`` in its default in-memory mode with ``write_column`` per column;
* ``rustpy-xlsxwriter`` (Rust ``rust_xlsxwriter``), ``write_worksheet`` of the DataFrame;
* ``xlsxturbo`` (Rust ``rust_xlsxwriter``), ``df_to_xlsx(constant_memory=True)``;
* ``pyexcelerate`` (in memory by design);

each in its own child process, so that the peak resident memory is the writer's own: the child
reads the cached frame and neutralises it (not timed), resets its peak RSS (Linux
``/proc/self/clear_refs``), then times the write alone; the memory column is the write's peak
(``VmHWM``) less the RSS it started from. Repeats are interleaved so drift on this shared
machine hits every contender alike. A writer that is not installed is reported as such
(xlsxturbo and pyexcelerate are not project dependencies; ``--extra-site`` puts a
``pip install --target`` folder on the children's path). Each output is then read back with
openpyxl (a strict reader: it refuses malformed parts) and checked: the values of a sample of
rows equal the frame's, no cell is a formula. An empty string may come back as an empty text
cell or as no cell (the Rust writers and xlsxwriter write none): both read blank and count as
equal. The table gives medians, peak RSS, and the ratios to the hand-written writer's time,
memory and size in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CACHE = HERE / ".cache"
SWITCH_RATIO = 1.5  # issue 18: switch when a kept writer is within 1.5x of today's time
BASELINE = "handwritten"


# ----------------------------------------------------------------------------- the frame


def results_frame_path(sites: int) -> Path:
    """The app's results table for ``sites`` sites, scored once and cached as Parquet."""
    path = CACHE / f"results_table_{sites}_sites.parquet"
    if path.exists():
        return path
    sys.path.insert(0, str(HERE))
    import logging

    from bench_outputs import SETTINGS, generate

    from caliber_desktop.services.exports.outputs import read_run
    from caliber_desktop.services.exports.parts import results_frame
    from caliber_desktop.services.workspace import open_workspace

    report = generate(sites)
    handlers = list(logging.getLogger().handlers)
    with tempfile.TemporaryDirectory(prefix="bench-xlsx-") as tmp:
        ws = open_workspace(Path(tmp) / "home")
        try:
            campaign = ws.campaigns.create("Bench xlsx writers", settings=SETTINGS)
            ws.uploads.attach(campaign.id, report)
            ws.runs.score_campaign(campaign.id)
            frame = results_frame(read_run(ws, campaign.id, None))
        finally:
            ws.close()
            for handler in logging.getLogger().handlers:
                if handler not in handlers:
                    logging.getLogger().removeHandler(handler)
                    handler.close()
    frame.to_parquet(path, index=False)
    return path


# ----------------------------------------------------------------------------- writers
# Each takes the neutralised frame and the output path. Header bold and frozen, as the app's.


def handwritten(frame: Any, path: Path) -> None:
    """The app's own writer before issue 18 (bench/xlsx_handwritten.py): the baseline."""
    sys.path.insert(0, str(HERE))
    from xlsx_handwritten import write_xlsx

    write_xlsx([("Results", frame)], path)


def caliber(frame: Any, path: Path) -> None:
    """The app's writer now: its cell preparation, then rustpy-xlsxwriter."""
    from caliber_desktop.services.exports.sheets import write_xlsx

    write_xlsx([("Results", frame)], path)


def _xlsxwriter_book(path: Path, constant_memory: bool) -> Any:
    import xlsxwriter

    options = {
        "constant_memory": constant_memory,
        "strings_to_formulas": False,
        "strings_to_urls": False,
        "strings_to_numbers": False,
        "nan_inf_to_errors": False,
    }
    return xlsxwriter.Workbook(str(path), options)


def _python_rows(frame: Any) -> tuple[list[str], list[list[Any]]]:
    """Columns as Python lists with None where a cell stays empty (NaN, ∞, NA)."""
    import math

    import numpy as np
    import pandas as pd

    columns: list[list[Any]] = []
    for name in frame.columns:
        values = frame[name]
        if pd.api.types.is_bool_dtype(values):
            columns.append([bool(v) for v in values.to_numpy(bool)])
        elif pd.api.types.is_numeric_dtype(values):
            numbers = values.to_numpy(float, na_value=np.nan)
            column = numbers.tolist()
            columns.append([v if math.isfinite(v) else None for v in column])
        else:
            columns.append([None if v is None or v is pd.NA else str(v) for v in values.tolist()])
    return [str(c) for c in frame.columns], columns


def xlsxwriter_rows(frame: Any, path: Path) -> None:
    """Constant-memory: rows in order, one ``write_row`` call each."""
    header, columns = _python_rows(frame)
    with _xlsxwriter_book(path, constant_memory=True) as book:
        bold = book.add_format({"bold": True})
        sheet = book.add_worksheet("Results")
        sheet.freeze_panes(1, 0)
        sheet.write_row(0, 0, header, bold)
        for row, values in enumerate(zip(*columns, strict=True), start=1):
            sheet.write_row(row, 0, values)


def xlsxwriter_columns(frame: Any, path: Path) -> None:
    """Default (in-memory) mode: one ``write_column`` call per column."""
    header, columns = _python_rows(frame)
    with _xlsxwriter_book(path, constant_memory=False) as book:
        bold = book.add_format({"bold": True})
        sheet = book.add_worksheet("Results")
        sheet.freeze_panes(1, 0)
        sheet.write_row(0, 0, header, bold)
        for col, values in enumerate(columns):
            sheet.write_column(1, col, values)


def rustpy_xlsxwriter(frame: Any, path: Path) -> None:
    import rustpy_xlsxwriter as rx

    rx.write_worksheet(frame, str(path), sheet_name="Results", freeze_row=1, bold_headers=True)


def xlsxturbo(frame: Any, path: Path) -> None:
    import xlsxturbo as xt

    xt.df_to_xlsx(
        frame,
        str(path),
        sheet_name="Results",
        freeze_panes=True,
        constant_memory=True,
        header_format={"bold": True},
    )


def pyexcelerate(frame: Any, path: Path) -> None:
    from pyexcelerate import Workbook

    header, columns = _python_rows(frame)
    book = Workbook()
    book.new_sheet("Results", data=[header, *map(list, zip(*columns, strict=True))])
    book.save(str(path))


WRITERS: dict[str, tuple[str, Callable[[Any, Path], None], str | None]] = {
    "handwritten": ("hand-written (the app's writer before issue 18)", handwritten, None),
    "caliber": (
        "caliber `sheets.write_xlsx` now (rustpy-xlsxwriter)",
        caliber,
        "rustpy_xlsxwriter",
    ),
    "xlsxwriter-rows": ("xlsxwriter constant_memory, `write_row`", xlsxwriter_rows, "xlsxwriter"),
    "xlsxwriter-columns": (
        "xlsxwriter in memory, `write_column`",
        xlsxwriter_columns,
        "xlsxwriter",
    ),
    "rustpy-xlsxwriter": (
        "rustpy-xlsxwriter `write_worksheet` (Rust)",
        rustpy_xlsxwriter,
        "rustpy_xlsxwriter",
    ),
    "xlsxturbo": ("xlsxturbo `df_to_xlsx(constant_memory)` (Rust)", xlsxturbo, "xlsxturbo"),
    "pyexcelerate": ("pyexcelerate (in memory)", pyexcelerate, "pyexcelerate"),
}


# ----------------------------------------------------------------------------- one child


def _status_kib(field: str) -> int | None:
    """A ``kB`` field of /proc/self/status (Linux), else None."""
    try:
        lines = Path("/proc/self/status").read_text(encoding="ascii").splitlines()
    except OSError:
        return None
    for line in lines:
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return None


def reset_peak() -> bool:
    """Reset this process's peak RSS (VmHWM) to its current RSS: Linux's ``clear_refs`` 5.

    Without it the peak would be the frame's loading (Parquet read + neutralising), which is
    higher than some writers' own and would hide them."""
    try:
        Path("/proc/self/clear_refs").write_text("5", encoding="ascii")
    except OSError:
        return False
    return True


def rss_now() -> int:
    """Resident set size now, in bytes (0 where /proc is missing)."""
    return (_status_kib("VmRSS") or 0) * 1024


def peak_rss() -> int:
    """Peak resident set size since the last reset, in bytes (ru_maxrss where /proc is missing:
    KiB on Linux, bytes on macOS)."""
    peak = _status_kib("VmHWM")
    if peak is not None:
        return peak * 1024
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return maxrss if sys.platform == "darwin" else maxrss * 1024


def child(key: str, frame_path: Path, out: Path) -> dict[str, Any]:
    import pandas as pd

    from caliber_desktop.services.exports.sheets import neutralise_frame

    write = WRITERS[key][1]
    frame = neutralise_frame(pd.read_parquet(frame_path))
    reset_peak()
    loaded = rss_now()
    start = time.perf_counter()
    write(frame, out)
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "peak": peak_rss(),
        "loaded": loaded,
        "size": out.stat().st_size,
    }


def check(frame_path: Path, book: Path, sample: int = 200) -> str:
    """Read ``book`` with openpyxl: no formula anywhere, a sample of rows equal to the frame."""
    import math

    import openpyxl
    import pandas as pd

    from caliber_desktop.services.exports.sheets import neutralise_frame

    frame = neutralise_frame(pd.read_parquet(frame_path))
    sheet = openpyxl.load_workbook(book, read_only=True).worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = next(rows)
    if list(header) != [str(c) for c in frame.columns]:
        return "header differs"
    problems = blank = 0
    for index, values in enumerate(rows):
        if index >= sample:
            break
        for name, got in zip(frame.columns, values, strict=False):
            want = frame[name].iloc[index]
            if isinstance(got, str) and got.startswith("="):
                return f"formula-like text in {name}"
            if want is None or want == "" or (isinstance(want, float) and not math.isfinite(want)):
                blank += got not in (None, "")  # an empty text cell or none: both read blank
            elif isinstance(want, bool) or str(type(want)).endswith("bool_'>"):
                problems += bool(got) != bool(want)
            elif isinstance(want, int | float) or hasattr(want, "dtype"):
                try:
                    problems += not math.isclose(float(got), float(want), rel_tol=1e-12)
                except (TypeError, ValueError):
                    problems += 1
            else:
                problems += str(got) != str(want)
    problems += blank
    return "ok" if not problems else f"{problems} cells differ"


# ----------------------------------------------------------------------------- the run


def run_child(key: str, frame: Path, out: Path, extra: list[str]) -> dict[str, Any]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *extra, env.get("PYTHONPATH", "")])
    done = subprocess.run(
        [sys.executable, __file__, "--child", key, "--frame", str(frame), "--out", str(out)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["?"])[-1]}
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def available(module: str | None, extra: list[str]) -> bool:
    if module is None:
        return True
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([*extra, env.get("PYTHONPATH", "")])
    probe = [sys.executable, "-c", f"import {module}"]
    return subprocess.run(probe, env=env, capture_output=True, check=False).returncode == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", nargs="*", choices=sorted(WRITERS), default=None)
    parser.add_argument("--extra-site", action="append", default=[], help="a --target folder")
    parser.add_argument("--child", choices=sorted(WRITERS), help=argparse.SUPPRESS)
    parser.add_argument("--frame", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.frame, args.out)))
        return 0

    frame = results_frame_path(args.sites)
    keys = [k for k in WRITERS if args.only is None or k in args.only or k == BASELINE]
    missing = {k for k in keys if not available(WRITERS[k][2], args.extra_site)}
    runs: dict[str, list[dict[str, Any]]] = {k: [] for k in keys}
    verdicts: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="bench-xlsx-") as tmp:
        for repeat in range(args.repeats):
            print(f"repeat {repeat + 1}/{args.repeats}…", flush=True)
            for key in keys:
                if key in missing:
                    continue
                out = Path(tmp) / f"{key}.xlsx"
                result = run_child(key, frame, out, args.extra_site)
                runs[key].append(result)
                if "error" not in result and key not in verdicts:
                    verdicts[key] = check(frame, out)
                out.unlink(missing_ok=True)

    import pandas as pd

    shape = pd.read_parquet(frame).shape
    print(f"\nresults table {shape[0]:,} rows × {shape[1]} columns, {args.repeats} repeats\n")
    base = statistics.median(r["seconds"] for r in runs[BASELINE])
    base_peak = statistics.median(r["peak"] - r["loaded"] for r in runs[BASELINE])
    base_size = runs[BASELINE][0]["size"]
    print("| writer | median s | × hand-written time | peak RSS MiB (write's own) "
          "| × hand-written memory | size MiB | read back (openpyxl) |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---|")
    for key in keys:
        name = WRITERS[key][0]
        if key in missing:
            print(f"| {name} | — | — | — | — | — | not installed |")
            continue
        errors = [r["error"] for r in runs[key] if "error" in r]
        if errors:
            print(f"| {name} | — | — | — | — | — | failed: {errors[0]} |")
            continue
        seconds = statistics.median(r["seconds"] for r in runs[key])
        peak = statistics.median(r["peak"] - r["loaded"] for r in runs[key])
        total = statistics.median(r["peak"] for r in runs[key])
        size = runs[key][0]["size"]
        print(
            f"| {name} | {seconds:.2f} | **{seconds / base:.2f}** | "
            f"{peak / 2**20:,.0f} ({total / 2**20:,.0f} in all) | {peak / max(base_peak, 1):.2f} | "
            f"{size / 2**20:,.1f} ({size / base_size:.2f}×) | {verdicts.get(key, '?')} |"
        )
    print(
        f"\n× hand-written: this writer's median ÷ the hand-written one's in the same run; switch "
        f"when ≤ "
        f"{SWITCH_RATIO} (issue 18). Peak RSS: the child's peak during the write (VmHWM, reset "
        f"after loading) less its RSS once the frame was loaded and neutralised."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
