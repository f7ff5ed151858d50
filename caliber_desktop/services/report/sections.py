"""The report's sections as platypus flowables, built from a :class:`ReportContent`.

Every number comes from the stored run. The sections live in :mod:`.summary` (title, summary,
overview, charts), :mod:`.tables` (top/bottom sites, recommendations and lists) and
:mod:`.appendix` (insights, methodology, data quality, site details); :mod:`.common` holds what
they share.
"""

from __future__ import annotations

from collections.abc import Sequence

from reportlab.platypus import Flowable

from caliber_desktop.services.report.appendix import AppendixSections
from caliber_desktop.services.report.common import readable_id
from caliber_desktop.services.report.content import ReportContent
from caliber_desktop.services.report.summary import SummarySections
from caliber_desktop.services.report.tables import TableSections


class Sections(SummarySections, TableSections, AppendixSections):
    """Every section, in report order; ``listed`` and ``truncated`` fill in as they are built."""

    def all(self) -> list[Flowable]:
        return [
            *self.title_page(),
            *self.executive_summary(),
            *self.overview(),
            *self.charts(),
            *self.top_and_bottom(),
            *self.recommendations(),
            *self.insights(),
            *self.methodology(),
            *self.data_quality(),
            *self.site_details(),
        ]


def sections_for(content: ReportContent, width: float) -> tuple[list[Flowable], Sections]:
    built = Sections(content, width)
    return built.all(), built


__all__: Sequence[str] = ("Sections", "readable_id", "sections_for")
