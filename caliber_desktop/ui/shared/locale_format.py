"""Dates and numbers in the window, as the analyst's operating system writes them.

The window formats every date and every number it shows on its own through these, so a German
analyst reads "1.234.567" and "07.12.26 08:15" where an American reads "1,234,567" and
"12/7/26 8:15 AM". The CLI, the PDF and the exports stay in one fixed (English, ISO date) form:
they are files that travel between people and machines.

Why ``QLocale()`` and not ``QLocale.system()``: Qt initialises the default locale from the
operating system's, so both give the OS locale in the running app; only the default one can
be changed afterwards (``QLocale.setDefault``), which is what the tests do to play a German
analyst and what a language setting would do. ``QLocale.system()`` ignores that.

A machine without a locale (``LANG=C``, the POSIX locale of containers and CI runners) has Qt's
"C" locale, whose short date is "7 12 2026 03:08" and whose numbers have no grouping: there the
window uses English numbers and ISO dates, which nobody misreads.
"""

from __future__ import annotations

import math
from datetime import date, datetime

from PySide6.QtCore import QDate, QDateTime, QLocale

from caliber_desktop.services.scoring.explain import percent_decimals

#: Dates in a locale-less environment: unambiguous, sortable.
ISO_DATETIME = "yyyy-MM-dd HH:mm"
ISO_DATE = "yyyy-MM-dd"
MISSING = "n/a"


def current() -> QLocale:
    """The locale the window writes in: the OS one, or English when the OS has none ("C")."""
    locale = QLocale()
    if locale.language() == QLocale.Language.C:
        return QLocale("en_US")
    return locale


def _without_locale() -> bool:
    return QLocale().language() == QLocale.Language.C


def format_datetime(moment: datetime) -> str:
    """A date and time in the local time zone, in the locale's short form.

    A naive ``moment`` is taken as local time (the store hands out aware UTC times).
    """
    stamp = QDateTime.fromSecsSinceEpoch(int(moment.timestamp()))
    if _without_locale():
        return stamp.toString(ISO_DATETIME)
    return QLocale().toString(stamp, QLocale.FormatType.ShortFormat)


def format_date(day: date) -> str:
    """A calendar date in the locale's short form."""
    if isinstance(day, datetime):
        day = (day.astimezone() if day.tzinfo is not None else day).date()
    value = QDate(day.year, day.month, day.day)
    if _without_locale():
        return value.toString(ISO_DATE)
    return QLocale().toString(value, QLocale.FormatType.ShortFormat)


def format_int(value: float) -> str:
    """A count with the locale's digit grouping: "1,234,567" / "1.234.567"."""
    if not math.isfinite(value):
        return MISSING
    return current().toString(round(value))


def format_number(value: float, decimals: int = 2) -> str:
    """A number with ``decimals`` fixed decimals and the locale's separators."""
    if not math.isfinite(value):
        return MISSING
    return current().toString(float(value), "f", decimals)


def format_significant(value: float, digits: int = 3) -> str:
    """A number to ``digits`` significant digits ("0.0123", "1,230"), locale separators."""
    if not math.isfinite(value):
        return MISSING
    if value == 0:
        return current().toString(0)
    magnitude = math.floor(math.log10(abs(value)))
    decimals = max(0, digits - 1 - magnitude)
    return format_number(round(value, decimals), decimals)


def format_percent(share: float, decimals: int = 0) -> str:
    """A share as a percentage: 0.934 → "93 %" ("93,4 %" with one decimal in German)."""
    if not math.isfinite(share):
        return MISSING
    return f"{format_number(share * 100.0, decimals)} %"


def format_value(value: float, unit: str) -> str:
    """A metric in its unit, like ``scoring.explain.format_value`` but in the OS locale."""
    if not math.isfinite(value):
        return MISSING
    if unit == "money":
        return f"${format_number(value, 2)}"
    if unit == "ratio":
        return f"{format_number(value, 2)}×"
    return format_percent(value, percent_decimals(value * 100.0))
