"""The names of the DSP list files a run writes: known before scoring, so a file open in Excel
is named before minutes of work, and without loading the libraries the lists are built with."""

from __future__ import annotations


def list_file_names(*, level_vendor: bool = False) -> list[str]:
    """The names :meth:`~.lists.SiteLists.files` writes, known before the lists are (to check
    for locks)."""
    if level_vendor:
        names = ["allowlist_vendors.txt", "blocklist_vendors.txt"]
    else:
        names = [f"{n}list_{kind}.txt" for n in ("allow", "block") for kind in ("domains", "apps")]
    return [*names, "bid_adjustments.csv"]
