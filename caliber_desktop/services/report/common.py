"""What every section of the report shares: limits, wording, the site and recommendation cells.

Every piece of third-party text (site names, file names, campaign names, AI output) goes through
:func:`layout.data` or :func:`fonts.markup`, which escape it and pick fonts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from reportlab.platypus import Flowable

from caliber_desktop.models import labels
from caliber_desktop.services.report.charts import RECOMMENDATION_LABELS, recommendation_fill
from caliber_desktop.services.report.content import ReportContent
from caliber_desktop.services.report.fonts import markup
from caliber_desktop.services.report.layout import data, para, paragraph
from caliber_desktop.services.scoring.vocabulary import unit_noun

#: Rows of the top and bottom tables, and of the site-details appendix.
TOP_N = 25
DETAIL_ROWS = 250
BIGGEST_ON_LIST = 15
MAX_ISSUES = 30
MAX_PINS = 50
#: Characters of a site name shown in a table cell.
NAME_LIMIT = 60

#: The report's words come from the one labels table (``models/labels.py``).
PLATFORMS = labels.PLATFORMS
LEVELS = labels.LEVELS
#: What each red flag means, written to follow its label.
FLAG_TEXT = labels.FLAG_DESCRIPTIONS


@dataclass
class SectionBase:
    """The content being laid out, and what the tables listed (for :class:`ReportInfo`)."""

    content: ReportContent
    width: float
    listed: set[str] = field(default_factory=set)
    truncated: bool = False

    @property
    def sites(self) -> pd.DataFrame:
        return self.content.result.sites

    @property
    def noun(self) -> str:
        """ "sites", or "vendors" for a supply-vendor run: the word every section uses."""
        return unit_noun(self.content.result.config.level)

    @property
    def Noun(self) -> str:  # noqa: N802 (the capitalised word, for headings)
        return self.noun.capitalize()

    def _site(self, site_id: object, display: object = None) -> Any:
        """A site's cell: its name (IDN domains in their own script), then in small print the
        id that goes on the list when it looks different, and the spelling in the file."""
        ident = str(site_id)
        self.listed.add(ident)
        shown = readable_id(ident)
        cell = [data(shown, "cell", limit=NAME_LIMIT)]
        if shown != ident:
            cell.append(data(f"list id {ident}", "cell_muted", limit=NAME_LIMIT))
        spelled = "" if display is None else str(display)
        if spelled and spelled not in (ident, shown):
            cell.append(data(f"as {spelled}", "cell_muted", limit=NAME_LIMIT))
        return cell if len(cell) > 1 else cell[0]

    @staticmethod
    def _rec_cell(rec: object) -> Any:
        name = str(rec)
        colour = recommendation_fill(name).hexval()[2:]
        label = RECOMMENDATION_LABELS.get(name, name)
        return para(f'<font color="#{colour}"><b>{label}</b></font>', "cell")


def readable_id(site_id: str) -> str:
    """``xn--bcher-kva.de`` → ``bücher.de``: the form people read (lists keep the ASCII id)."""
    if "xn--" not in site_id.lower():
        return site_id
    labels = []
    for label in site_id.split("."):
        try:
            labels.append(
                label.encode("ascii").decode("idna") if label.lower().startswith("xn--") else label
            )
        except (UnicodeError, ValueError):
            return site_id
    return ".".join(labels)


def inline_name(text: object) -> str:
    """Third-party text inside one of our sentences (escaped, fonts chosen, bold)."""
    return f"<b>{markup(text, limit=NAME_LIMIT)}</b>"


def plain_markup(text: object) -> str:
    return markup(text)


def bullet_data(text: str) -> Flowable:
    return paragraph(markup(text, limit=2000), "bullet", bulletText="•")


def metric_value(value: Any, unit: str) -> str:
    from caliber_desktop.services.scoring.explain import format_value

    try:
        number = float(value)
    except (TypeError, ValueError):
        return "–"
    return format_value(number, unit)


def when(value: Any) -> str:
    if value is None or not hasattr(value, "strftime"):
        return "–"
    if getattr(value, "tzinfo", None) is None:
        from datetime import UTC

        value = value.replace(tzinfo=UTC)
    return str(value.astimezone().strftime("%Y-%m-%d %H:%M"))
