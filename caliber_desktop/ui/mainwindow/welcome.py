"""The start page: what Caliber is for, and the analyst's campaigns.

The panel only displays; the main window decides when to load and hands it the records a worker
returned. Later panels (campaign detail, results) open from here.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QPushButton,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from caliber_desktop.services.records import CampaignRecord, Page
from caliber_desktop.ui.shared.campaign_models import CampaignListModel
from caliber_desktop.ui.shared.common import scaled_font

INTRO = (
    "Caliber scores every site in a DSP performance report for your campaign's goal, explains "
    "each score, and turns the scores into allow and block lists you can upload to the DSP."
)


class WelcomePanel(QWidget):
    """Heading, a short introduction and the campaign list (with loading/empty/error states)."""

    #: "Try it with the sample report" was clicked
    sample_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("welcomePanel")
        heading = QLabel("Welcome to Caliber", self)
        heading.setFont(scaled_font(self.font(), 1.6, bold=True))
        intro = QLabel(INTRO, self)
        intro.setWordWrap(True)
        self.sample_button = QPushButton("Try it with the sample report", self)
        self.sample_button.setObjectName("sampleButton")
        self.sample_button.setToolTip(
            "Score the bundled Trade Desk display report (20,000 rows over 2,000 sites) and see "
            "the results, lists and explanations."
        )
        self.sample_button.clicked.connect(self.sample_requested)
        section = QLabel("Your campaigns", self)
        section.setFont(scaled_font(self.font(), 1.15, bold=True))

        self.model = CampaignListModel(self)
        self.table = QTableView(self)
        self.table.setObjectName("campaignTable")
        self.table.setTabKeyNavigation(False)  # Tab moves on; the arrow keys move in the table
        self.table.setAccessibleName("Your campaigns")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(CampaignListModel.SETTINGS, QHeaderView.ResizeMode.Stretch)

        self.message = QLabel(self)
        self.message.setObjectName("campaignMessage")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.message)
        self.stack.addWidget(self.table)
        self.summary = QLabel(self)
        self.summary.setObjectName("campaignSummary")

        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(intro)
        layout.addWidget(self.sample_button, alignment=Qt.AlignmentFlag.AlignLeft)
        layout.addSpacing(self.fontMetrics().height())
        layout.addWidget(section)
        layout.addWidget(self.stack, stretch=1)
        layout.addWidget(self.summary)
        self.show_loading()

    def show_loading(self) -> None:
        self._show_message("Loading your campaigns…")

    def show_campaigns(self, page: Page[CampaignRecord]) -> None:
        self.model.set_campaigns(page.items)
        if not page.items:
            self._show_message(
                "No campaigns yet. A campaign holds the report files you want scored."
            )
            return
        self.stack.setCurrentWidget(self.table)
        noun = "campaign" if page.total == 1 else "campaigns"
        shown = f" (showing the {len(page.items)} newest)" if page.has_more else ""
        self.summary.setText(f"{page.total} {noun}{shown}")

    def show_error(self, message: str) -> None:
        self._show_message(f"Your campaigns could not be loaded.\n{message}")

    def _show_message(self, text: str) -> None:
        self.message.setText(text)
        self.stack.setCurrentWidget(self.message)
        self.summary.clear()
