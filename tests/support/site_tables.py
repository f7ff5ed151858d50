"""A report read into a site table both ways the app reads one, with the reader's notes first.

``whole`` is the one-batch read (``read_report`` + ``preprocess``, as previews and tests read);
``streamed`` is the read scoring does (``open_report`` + ``sum_sites``, in batches, read again
whole when a batch says so). Tests hold the two to the same table and the same notes.
"""

from __future__ import annotations

from pathlib import Path

from caliber_desktop.models.enums import AnalysisLevel
from caliber_desktop.services.scoring.engine import sum_sites
from caliber_desktop.services.scoring.model import Issue, SiteTable
from caliber_desktop.services.scoring.preprocess import preprocess
from caliber_desktop.services.scoring.read import open_report, read_report


def whole(path: Path) -> SiteTable:
    report = read_report(path)
    table = preprocess(report, AnalysisLevel.DOMAIN)
    table.quality.issues[:0] = report.issues
    return table


def streamed(path: Path) -> SiteTable:
    report = open_report(path)
    table = sum_sites(report, AnalysisLevel.DOMAIN, None)
    table.quality.issues[:0] = report.issues
    return table


def coded(table: SiteTable, code: str) -> list[Issue]:
    """The table's notes with ``code``."""
    return [i for i in table.quality.issues if i.code == code]
