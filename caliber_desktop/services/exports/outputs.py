"""Exports of a campaign's run: results, lists, summary or the whole campaign, as CSV/XLSX/JSON.

Shapes (``what`` × ``fmt``):

============  ===========================  ========================  ===========================
what          csv                          xlsx                      json
============  ===========================  ========================  ===========================
results       one file, one row per site   sheet "Results"           {export, campaign, run,
              (``results_table`` columns                             results: [row objects]}
              + list_action, overridden,
              override_reason)
lists         a folder (or ``.zip``):      sheets Allow, Block,      {export, campaign, run,
              allow.csv, block.csv,        Monitor, Impact           impact, lists: {allow: [...],
              monitor.csv, impact.csv +                              block: [...], monitor: [...]}}
              the DSP-ready files
summary       one file: section,name,value sheet "Summary" (same)    the nested summary document
campaign      a folder (or ``.zip``): one  one sheet per part        one document with every part
              CSV per part
============  ===========================  ========================  ===========================

The campaign parts are: summary, settings, column_mapping, data_quality, results, overrides
(every pinned site, also ones the run does not have), insights, runs. A ``lists`` row marks a
pinned site with ``overridden`` true and its ``override_reason``.

Formula injection: every text cell of CSV and XLSX goes through
:func:`~caliber_desktop.services.exports.run_outputs.neutralise`.
JSON carries the **same neutralised
text** — one rule for every format, so a site reads identically in all three, and JSON that is
later flattened into a spreadsheet (Power Query, converters) is safe too. The raw value is the
text with the one leading apostrophe removed when a formula character follows it.

Writes are all-or-nothing (:class:`~caliber_desktop.services.exports.file_swap.Staging`): a
failure or cancel leaves ``out_path`` as it was, every previous file of a folder export included,
and a file open in Excel is named ("Close allow.csv in Excel … and export again.") before anything
changes.
"""

from __future__ import annotations

import time
from pathlib import Path

from caliber_desktop.services.exports import parts
from caliber_desktop.services.exports.file_swap import Staging, check_targets
from caliber_desktop.services.exports.run_data import (
    FOLDER_EXPORTS,
    ExportInfo,
    OutputSources,
    check_choice,
    default_name,
    read_run,
)
from caliber_desktop.services.exports.sheets import write_csv, write_json_document, write_xlsx
from caliber_desktop.services.progress import CancelToken, ProgressCallback, no_progress

# ----------------------------------------------------------------------------- export


def export(
    src: OutputSources,
    campaign_id: int,
    what: str,
    fmt: str,
    out_path: Path | str,
    *,
    run_id: int | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> ExportInfo:
    """Write ``what`` of the campaign's run (default: current) as ``fmt`` to ``out_path``.

    ``out_path`` an existing folder: the export gets a default name inside it.
    """
    started = time.perf_counter()
    what, fmt = check_choice(what, fmt)
    report = progress or no_progress
    token = cancel or CancelToken()
    report(0, 0, "Reading the run")
    data = read_run(src, campaign_id, run_id)
    token.raise_if_cancelled()
    target = Path(out_path).expanduser()
    if target.is_dir() and (what, fmt) not in FOLDER_EXPORTS:
        target = target / default_name(campaign_id, data.run.id, what, fmt)
    total = max(1, len(data.result.sites)) * (2 if what == "campaign" else 1)
    done = [0]

    def tick(rows: int) -> None:
        done[0] += rows
        token.raise_if_cancelled()
        report(min(done[0], total), total, f"Writing {fmt.upper()}")

    folder_export = (what, fmt) in FOLDER_EXPORTS
    if folder_export and target.suffix.lower() != ".zip":
        check_targets(target, parts.folder_names(data, what))  # before the slow part
    else:
        check_targets(target.parent, [target.name])
    with Staging(target) as staging:
        if folder_export:
            folder = staging.folder()
            if what == "lists":
                parts.write_lists_folder(data, folder, tick)
            else:
                parts.write_campaign_folder(src, data, folder, tick)
            token.raise_if_cancelled()
            if target.suffix.lower() == ".zip":
                files: tuple[Path, ...] = (staging.commit_zip(),)
            else:
                files = tuple(staging.commit_folder())
        else:
            staged = staging.file()
            if fmt == "csv":
                write_csv(parts.table(src, data, what), staged)
                tick(len(data.result.sites))
            elif fmt == "xlsx":
                write_xlsx(parts.sheets(src, data, what), staged, tick=tick)
            else:
                write_json_document(parts.document(src, data, what), staged, tick=tick)
            token.raise_if_cancelled()
            files = (staging.commit_file(),)
    report(total, total, "Exported")
    return ExportInfo(
        campaign_id=campaign_id,
        run_id=data.run.id,
        what=what,
        fmt=fmt,
        path=target,
        files=files,
        rows=len(data.result.sites),
        seconds=time.perf_counter() - started,
    )
