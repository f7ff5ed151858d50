"""``SiteLists.file_entry_counts``: the lines of every list file, counted without writing them.

The lists panel says how many entries each DSP file gets; it used to count the lines of the very
texts the export writes (``files()``), ~195 ms for 100k sites on the GUI thread. The counts must
stay those line counts, whatever the ids look like.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from caliber_desktop.models.enums import Goal
from caliber_desktop.services.scoring.engine import ScoreRequest, score_file
from caliber_desktop.services.scoring.lists import Override, SiteLists, build_lists

SAMPLES = (
    "ttd_display_awareness_sample.csv",
    "ttd_ctv_sample.csv",
    "pulsepoint_display_sample.csv",
)


def line_counts(lists: SiteLists, *, level_vendor: bool) -> dict[str, int]:
    """What the panel counted before: the line breaks of each file's text."""
    return {n: text.count("\n") for n, text in lists.files(level_vendor=level_vendor).items()}


@pytest.mark.parametrize("sample", SAMPLES)
@pytest.mark.parametrize("level_vendor", [False, True])
def test_counts_are_the_line_counts_of_the_files_of_a_sample(
    shared_data: Path, sample: str, level_vendor: bool
) -> None:
    sites = score_file(shared_data / sample, ScoreRequest(goal=Goal.AWARENESS)).result.sites
    pins = {str(sites.index[0]): Override("block", "brand safety")}
    pins[str(sites.index[-1])] = Override("allow", "")
    lists = build_lists(sites, pins)
    counts = lists.file_entry_counts(level_vendor=level_vendor)
    assert counts == line_counts(lists, level_vendor=level_vendor)
    assert sum(c for n, c in counts.items() if n.endswith(".txt")) > 0  # not all empty


def test_counts_follow_what_the_files_write_for_awkward_ids() -> None:
    """Ids that write the same entry once, no entry at all, or an entry over two lines."""
    rows = [
        ("news.example", "domain", "allow"),
        ("WWW.News.Example", "domain", "allow"),  # the same entry: one line
        ("https://news.example/path", "domain", "allow"),  # again
        ("=+-@", "domain", "allow"),  # nothing left to write: no line
        ("two\nlines.example", "domain", "block"),  # a stray line break: two lines
        ("com.zynga.words", "bundle", "block"),
        ("1234567890", "store_id", "block"),
        ("unknown", "non_targetable", "block"),  # never listed
        ("middle.example", "domain", "monitor"),
    ]
    sites = pd.DataFrame(rows, columns=["site_id", "kind", "recommendation"]).set_index("site_id")
    sites["impressions"] = 100
    lists = build_lists(sites)
    for level_vendor in (False, True):
        counts = lists.file_entry_counts(level_vendor=level_vendor)
        assert counts == line_counts(lists, level_vendor=level_vendor)
    counts = lists.file_entry_counts()
    assert counts["allowlist_domains.txt"] == 1
    assert counts["blocklist_domains.txt"] == 2
    assert counts["blocklist_apps.txt"] == 2
    assert set(counts) == set(lists.files())
