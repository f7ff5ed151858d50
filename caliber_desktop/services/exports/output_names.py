"""The names of the files a run hands over (``caliber score --out``), known before scoring."""

from __future__ import annotations

from caliber_desktop.services.scoring.list_names import list_file_names


def run_output_names(*, level_vendor: bool, xlsx: bool) -> list[str]:
    """The files :func:`.run_outputs.write_run_outputs` writes, known before scoring (to check
    for locks)."""
    results = ["scores.csv", "scores.xlsx"] if xlsx else ["scores.csv"]
    return [
        *results,
        *list_file_names(level_vendor=level_vendor),
        "summary.json",
        "data_quality.json",
    ]
