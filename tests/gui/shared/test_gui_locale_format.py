"""Dates and numbers in the window follow the OS locale (``QLocale()``, which Qt initialises from
the OS); a machine without one ("C") reads English numbers and ISO dates, not "7 12 2026 03:08"."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pandas as pd
import pytest
from PySide6.QtCore import QLocale, Qt
from PySide6.QtWidgets import QTableView
from pytestqt.qtbot import QtBot

from caliber_desktop.ui.account.menu import format_when
from caliber_desktop.ui.results.compare import run_label
from caliber_desktop.ui.shared import locale_format
from caliber_desktop.ui.shared.frame_model import ColumnSpec, FrameTableModel

UseLocale = Callable[[str], None]
#: A moment with a distinct day and month, at noon UTC so no time zone moves its date.
MOMENT = datetime(2026, 12, 7, 12, 8, tzinfo=UTC)


@pytest.fixture
def as_locale() -> Iterator[UseLocale]:
    """Play an analyst whose OS is set to ``name``; the default locale is restored after."""
    before = QLocale()

    def use(name: str) -> None:
        QLocale.setDefault(QLocale(name))

    yield use
    QLocale.setDefault(before)


def test_a_german_analyst_reads_german_dates_and_numbers(as_locale: UseLocale) -> None:
    as_locale("de_DE")
    local = MOMENT.astimezone()
    when = locale_format.format_datetime(MOMENT)
    assert when.startswith(f"{local.day:02d}.{local.month:02d}.26")  # dd.MM.yy HH:mm
    assert format_when(MOMENT) == when  # the account menu and the assistant use it too
    assert locale_format.format_int(1234567) == "1.234.567"
    assert locale_format.format_number(1234.5, 2) == "1.234,50"
    assert locale_format.format_percent(0.934, 1) == "93,4 %"
    assert locale_format.format_value(6.1, "money") == "$6,10"
    # a small rate keeps two significant digits, as in the scores' sentences
    assert locale_format.format_value(1.23e-4, "percent") == "0,012 %"


def test_an_american_analyst_reads_american_ones(as_locale: UseLocale) -> None:
    as_locale("en_US")
    local = MOMENT.astimezone()
    assert locale_format.format_datetime(MOMENT).startswith(f"{local.month}/{local.day}/26")
    assert locale_format.format_int(1234567) == "1,234,567"
    assert locale_format.format_percent(0.934, 1) == "93.4 %"


def test_without_an_os_locale_dates_are_iso_not_day_month_year_with_spaces(
    as_locale: UseLocale,
) -> None:
    as_locale("C")
    when = locale_format.format_datetime(MOMENT)
    local = MOMENT.astimezone()
    assert when == local.strftime("%Y-%m-%d %H:%M")
    assert locale_format.format_date(MOMENT) == local.strftime("%Y-%m-%d")
    assert locale_format.format_int(1234567) == "1,234,567"  # grouped, unlike Qt's "C"


def test_the_results_table_and_the_compare_view_use_the_locale(
    qtbot: QtBot, as_locale: UseLocale
) -> None:
    as_locale("de_DE")
    frame = pd.DataFrame(
        {
            "impressions": [1234567.0],
            "spend": [9876.5],
            "ctr": [0.0123],
            "quality_status": ["good"],
        },
        index=pd.Index(["example.com"], name="site_id"),
    )
    view = QTableView()  # owns the model, so Qt deletes it with the view after the test
    qtbot.addWidget(view)
    model = FrameTableModel(
        [
            ColumnSpec("impressions", "Impressions", "int"),
            ColumnSpec("spend", "Spend", "money"),
            ColumnSpec("ctr", "CTR", "percent"),
            ColumnSpec("quality_status", "Quality", vocabulary="band"),
        ],
        view,
    )
    view.setModel(model)
    model.set_frame(frame)
    shown = [model.data(model.index(0, c), Qt.ItemDataRole.DisplayRole) for c in range(4)]
    assert shown == ["1.234.567", "9.876,50", "1,23 %", "Good"]

    class Run:
        id, campaign_score, site_count, started_at = 3, 43.64, 2000, MOMENT

    label = run_label(Run())  # type: ignore[arg-type]
    assert "2.000 sites" in label
    assert "score 43,6" in label
    assert locale_format.format_datetime(MOMENT) in label
