"""Paragraph styles, table styling and number formats shared by every section of the report."""

from __future__ import annotations

import html
import math
import re
from collections.abc import Sequence
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Paragraph, Table, TableStyle

from caliber_desktop.services.report.charts import ACCENT, GRID, INK, MUTED, PALE
from caliber_desktop.services.report.fonts import BOLD, REGULAR, markup, shapable

_BASE = ParagraphStyle(
    "body",
    fontName=REGULAR,
    fontSize=9.5,
    leading=13.5,
    textColor=INK,
    spaceAfter=5,
    alignment=TA_LEFT,
)
STYLES: dict[str, ParagraphStyle] = {
    "body": _BASE,
    "small": ParagraphStyle("small", _BASE, fontSize=8, leading=10.5, textColor=MUTED),
    "note": ParagraphStyle(
        "note", _BASE, fontSize=8, leading=10.5, textColor=MUTED, spaceBefore=2, spaceAfter=8
    ),
    "warning": ParagraphStyle(
        "warning",
        _BASE,
        textColor=colors.HexColor("#7a4a00"),
        backColor=colors.HexColor("#fff4e0"),
        borderColor=colors.HexColor("#e0b060"),
        borderWidth=0.5,
        borderPadding=5,
        spaceBefore=4,
        spaceAfter=10,
    ),
    "bullet": ParagraphStyle(
        "bullet", _BASE, leftIndent=12, bulletIndent=2, spaceAfter=3, bulletFontName=REGULAR
    ),
    "h1": ParagraphStyle(
        "h1",
        _BASE,
        fontName=BOLD,
        fontSize=17,
        leading=21,
        textColor=ACCENT,
        spaceBefore=0,
        spaceAfter=10,
    ),
    "h2": ParagraphStyle(
        "h2", _BASE, fontName=BOLD, fontSize=11.5, leading=15, spaceBefore=10, spaceAfter=5
    ),
    "h3": ParagraphStyle(
        "h3", _BASE, fontName=BOLD, fontSize=9.5, leading=13, spaceBefore=6, spaceAfter=3
    ),
    "cell": ParagraphStyle("cell", _BASE, fontSize=7.5, leading=9.2, spaceAfter=0),
    "cell_muted": ParagraphStyle(
        "cell_muted", _BASE, fontSize=7, leading=8.6, spaceAfter=0, textColor=MUTED
    ),
    "cell_right": ParagraphStyle(
        "cell_right", _BASE, fontSize=7.5, leading=9.2, spaceAfter=0, alignment=TA_RIGHT
    ),
    "title": ParagraphStyle(
        "title", _BASE, fontName=BOLD, fontSize=24, leading=29, textColor=INK, spaceAfter=8
    ),
    "kicker": ParagraphStyle(
        "kicker", _BASE, fontName=BOLD, fontSize=9, leading=12, textColor=ACCENT, spaceAfter=6
    ),
    "big": ParagraphStyle(
        "big", _BASE, fontName=BOLD, fontSize=22, leading=26, textColor=ACCENT, spaceAfter=0
    ),
    "tile_label": ParagraphStyle(
        "tile_label", _BASE, fontSize=7.5, leading=9.5, textColor=MUTED, spaceAfter=0
    ),
    "tile_value": ParagraphStyle(
        "tile_value", _BASE, fontName=BOLD, fontSize=14, leading=18, spaceAfter=0
    ),
}


_SHAPED: dict[str, ParagraphStyle] = {}
_TAG = re.compile(r"<[^>]*>")


def paragraph(text: str, style: str = "body", **kwargs: Any) -> Paragraph:
    """A Paragraph of markup, shaped by HarfBuzz when its text needs it (see
    :func:`fonts.shapable`; :func:`fonts.markup` has put such text in word order)."""
    chosen = STYLES[style]
    if shapable(html.unescape(_TAG.sub("", text)), chosen.fontName):
        if style not in _SHAPED:
            _SHAPED[style] = ParagraphStyle(f"{style}-shaped", chosen, shaping=1)
        chosen = _SHAPED[style]
    return Paragraph(text, chosen, **kwargs)


def para(text: str, style: str = "body") -> Paragraph:
    """A paragraph of OUR text (already markup); third-party text goes through :func:`data`."""
    return paragraph(text, style)


def data(text: object, style: str = "body", *, limit: int | None = None) -> Paragraph:
    """A paragraph of third-party text: escaped, drawn in fonts that have its glyphs."""
    bold = STYLES[style].fontName == BOLD
    return paragraph(markup(text, bold=bold, limit=limit), style)


def bullets(items: Sequence[str]) -> list[Paragraph]:
    return [paragraph(item, "bullet", bulletText="•") for item in items]


# ----------------------------------------------------------------------------- numbers
def count(value: Any) -> str:
    number = _float(value)
    return "–" if number is None else f"{number:,.0f}"


def money(value: Any) -> str:
    number = _float(value)
    return "–" if number is None else f"${number:,.2f}"


def share(value: Any) -> str:
    number = _float(value)
    if number is None:
        return "–"
    pct = number * 100
    if 0 < abs(pct) < 0.1:
        return "< 0.1 %"
    return f"{pct:.1f} %" if 0 < abs(pct) < 10 else f"{pct:.0f} %"


def score(value: Any) -> str:
    number = _float(value)
    return "–" if number is None else f"{number:.1f}"


def _float(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


# ----------------------------------------------------------------------------- tables
def table(
    rows: list[list[Any]],
    widths: Sequence[float],
    *,
    right: Sequence[int] = (),
    extra: Sequence[tuple[Any, ...]] = (),
    header: bool = True,
    zebra: bool = True,
) -> Table:
    """A report table: a tinted header row repeated on every page, numbers right-aligned.

    Every cell's font is set explicitly (reportlab's table default is Helvetica, not embedded).
    """
    built = Table(rows, colWidths=list(widths), repeatRows=1 if header else 0, hAlign="LEFT")
    commands: list[tuple[Any, ...]] = [
        ("FONTNAME", (0, 0), (-1, -1), REGULAR),
        ("FONTSIZE", (0, 0), (-1, -1), 7.5),
        ("LEADING", (0, 0), (-1, -1), 9.2),
        ("TEXTCOLOR", (0, 0), (-1, -1), INK),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("LINEBELOW", (0, -1), (-1, -1), 0.5, GRID),
    ]
    for column in right:
        commands.append(("ALIGN", (column, 0), (column, -1), "RIGHT"))
    if header:
        commands += [
            ("FONTNAME", (0, 0), (-1, 0), BOLD),
            ("FONTSIZE", (0, 0), (-1, 0), 7),
            ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
            ("BACKGROUND", (0, 0), (-1, 0), ACCENT),
            ("VALIGN", (0, 0), (-1, 0), "BOTTOM"),
        ]
    if zebra:
        first = 1 if header else 0
        commands.append(("ROWBACKGROUNDS", (0, first), (-1, -1), [colors.white, PALE]))
    built.setStyle(TableStyle([*commands, *extra]))
    return built
