"""The status bar's jobs indicator and the popup it opens: the analyst's work, out of the way.

While the analyst's work runs, the indicator names it with its progress ("Scoring Spring sale…
45 %", "+1 more" when several run) beside a small progress bar; it is hidden until the first such
job and quiet ("Recent jobs") once everything is done, unless a job failed since the popup was
last opened ("Exporting results failed"). Clicking it, or Space/Enter when it has focus, opens a
popup anchored above it that lists the running jobs with their progress and a Cancel for those
that can stop part-way, then the recent finished ones (a failed one with its message). Both read
:class:`~caliber_desktop.ui.mainwindow.jobs.AnalystJobs`, so the app's own bookkeeping never
shows here.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, Qt, Signal, Slot
from PySide6.QtGui import QGuiApplication, QHideEvent, QIcon, QPalette, QScreen, QShowEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from caliber_desktop.ui.mainwindow.jobs import AnalystJob, AnalystJobs, JobState
from caliber_desktop.ui.shared.common import scaled_font
from caliber_desktop.ui.shared.tones import tone_colour

#: Finished jobs the popup lists under the running ones (the dock keeps more).
POPUP_RECENT = 6
#: The popup's width in average characters: a job title and a short failure reason per line.
POPUP_WIDTH_CHARS = 46
#: The indicator's text at most this many average characters wide (longer titles elide).
INDICATOR_CHARS = 44


def summary(running: list[AnalystJob]) -> str:
    """The indicator's words for the running jobs: the oldest named, the others counted."""
    if not running:
        return ""
    first = running[0]
    percent = first.percent
    text = f"{first.title}… {percent} %" if percent is not None else f"{first.title}…"
    if first.state is JobState.CANCELLING:
        text = f"{first.title}: cancelling…"
    more = len(running) - 1
    return f"{text} (+{more} more)" if more else text


class JobsIndicator(QWidget):
    """A status-bar widget: a small progress bar and a button that opens :class:`JobsPopup`."""

    def __init__(self, jobs: AnalystJobs, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("jobsIndicator")
        self.jobs = jobs
        #: a job failed since the popup was last opened (the indicator says so while idle)
        self.unseen_failure: AnalystJob | None = None

        self.progress = QProgressBar(self)
        self.progress.setObjectName("jobsProgress")
        self.progress.setTextVisible(False)
        self.progress.setFixedWidth(self.fontMetrics().horizontalAdvance("M") * 6)
        self.progress.setMaximumHeight(self.fontMetrics().height())
        self.progress.setAccessibleName("Progress of the running job")
        self.button = QToolButton(self)
        self.button.setObjectName("jobsButton")
        self.button.setAutoRaise(True)
        self.button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.button.setAccessibleName("Background jobs")
        self.button.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Preferred)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(self.fontMetrics().horizontalAdvance(" "))
        layout.addWidget(self.progress)
        layout.addWidget(self.button)
        self.setFocusProxy(self.button)

        self.popup = JobsPopup(jobs, self)
        self.popup.closed.connect(self._on_popup_closed)
        self.popup.resized.connect(self.place_popup)
        self.button.clicked.connect(self.toggle_popup)
        jobs.changed.connect(self.refresh)
        jobs.updated.connect(self._note_failure)
        self.refresh()

    @property
    def text(self) -> str:
        """What the indicator says now (the button's full text, before any eliding)."""
        return self.button.accessibleDescription()

    # ------------------------------------------------------------------ the popup
    @Slot()
    def toggle_popup(self) -> None:
        if self.popup.isVisible():
            self.popup.close()
        else:
            self.open_popup()

    @Slot()
    def open_popup(self) -> None:
        """Show the popup above the indicator, inside the screen, and note failures as seen."""
        self.unseen_failure = None
        self.popup.sync()
        self.place_popup()
        self.popup.show()
        self.popup.focus_first()
        self.refresh()

    @Slot()
    def place_popup(self) -> None:
        """Its bottom right on the indicator's top right (rows come and go while it is open)."""
        self.popup.adjustSize()
        self.popup.move(self._popup_position())

    def _popup_position(self) -> QPoint:
        size = self.popup.size()
        anchor = self.mapToGlobal(QPoint(self.width(), 0))
        top_left = QPoint(anchor.x() - size.width(), anchor.y() - size.height())
        # Typed as never None, but a headless session can have no screen at all.
        screen: QScreen | None = self.screen() or QGuiApplication.primaryScreen()
        if screen is None:
            return top_left
        area: QRect = screen.availableGeometry()
        x = max(area.left(), min(top_left.x(), area.right() - size.width()))
        y = top_left.y()
        if y < area.top():  # no room above (the window at the top of a short screen): below
            y = self.mapToGlobal(QPoint(0, self.height())).y()
        return QPoint(x, y)

    @Slot()
    def _on_popup_closed(self) -> None:
        if self.isVisible():
            self.button.setFocus(Qt.FocusReason.PopupFocusReason)

    # ------------------------------------------------------------------ showing the jobs
    @Slot(str)
    def _note_failure(self, job_id: str) -> None:
        job = self.jobs.job(job_id)
        if job is not None and job.state is JobState.FAILED and not self.popup.isVisible():
            self.unseen_failure = job

    @Slot()
    def refresh(self) -> None:
        running = self.jobs.running()
        style = self.style()
        icon = style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        self.progress.setVisible(bool(running))
        if running:
            first = running[0]
            percent = first.percent
            if percent is None:
                self.progress.setRange(0, 0)  # busy: how far is not known
            else:
                self.progress.setRange(0, 100)
                self.progress.setValue(percent)
            text, tip = summary(running), "Show the background jobs and cancel one"
            title = first.title
            self._set_tone(None)
            self.button.setIcon(icon if self.unseen_failure is not None else QIcon())
        elif self.unseen_failure is not None:
            title = self.unseen_failure.title
            text = f"{title} failed"
            tip = "A background job failed: show why"
            self._set_tone("bad")
            self.button.setIcon(icon)
        else:
            text, tip = "Recent jobs", "Show the background jobs that finished recently"
            title = text
            self._set_tone(None)
            self.button.setIcon(QIcon())
        self.button.setAccessibleDescription(text)
        # A long campaign name gives way; the percentage and the count after it never do.
        rest = text[len(title) :]
        metrics = self.button.fontMetrics()
        room = metrics.horizontalAdvance("x") * INDICATOR_CHARS - metrics.horizontalAdvance(rest)
        fitted = metrics.elidedText(title, Qt.TextElideMode.ElideRight, room)
        if fitted != title and rest.startswith("…"):
            rest = rest[1:]  # the elided name ends in one already
        shown = fitted + rest
        self.button.setText(shown)
        self.button.setToolTip(f"{text}\n{tip}" if shown != text else tip)
        # Nothing to say before the analyst's first job: no empty button in the status bar.
        self.setVisible(bool(running) or bool(self.jobs.recent()))

    def _set_tone(self, tone: str | None) -> None:
        palette = self.button.palette()
        base = self.palette()
        colour = base.color(QPalette.ColorRole.ButtonText)
        if tone is not None:
            colour = tone_colour(base, tone)
        palette.setColor(QPalette.ColorRole.ButtonText, colour)
        palette.setColor(QPalette.ColorRole.WindowText, colour)
        self.button.setPalette(palette)


class _JobRow(QFrame):
    """One job in the popup: title, progress and status, and Cancel while it can stop."""

    def __init__(self, jobs: AnalystJobs, job_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.jobs = jobs
        self.job_id = job_id
        self.title = QLabel(self)
        self.title.setWordWrap(True)
        self.title.setFont(scaled_font(self.font(), 1.0, bold=True))
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.progress = QProgressBar(self)
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(self.fontMetrics().height() // 2 + 2)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.clicked.connect(self._cancel)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.title, 1)
        top.addWidget(self.cancel_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        margin = self.fontMetrics().height() // 3
        layout.setContentsMargins(0, margin, 0, margin)
        layout.setSpacing(margin)
        layout.addLayout(top)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)

    def show_job(self, job: AnalystJob) -> None:
        self.title.setText(job.title)
        self.status.setText(job.status())
        tone = "bad" if job.state is JobState.FAILED else None
        palette = self.status.palette()
        base = self.palette()
        colour = tone_colour(base, tone) if tone else base.color(QPalette.ColorRole.WindowText)
        palette.setColor(QPalette.ColorRole.WindowText, colour)
        self.status.setPalette(palette)
        self.progress.setVisible(job.active)
        percent = job.percent
        if percent is None:
            self.progress.setRange(0, 0)
        else:
            self.progress.setRange(0, 100)
            self.progress.setValue(percent)
        self.cancel_button.setVisible(job.cancellable and job.active)
        self.cancel_button.setEnabled(job.can_cancel)
        self.cancel_button.setAccessibleName(f"Cancel {job.title}")
        self.setAccessibleName(f"{job.title}: {job.status()}")

    @Slot()
    def _cancel(self) -> None:
        self.jobs.cancel(self.job_id)


class JobsPopup(QFrame):
    """The analyst's jobs in a popup window: running first, then the recent finished ones.

    Rows are updated in place (not rebuilt) as progress arrives, so a focused Cancel keeps its
    focus. Escape or a click outside closes it (it is a ``Qt.Popup``).
    """

    #: the popup was closed (the indicator takes the focus back)
    closed = Signal()
    #: the rows changed height while it is open (the indicator anchors it again)
    resized = Signal()

    def __init__(self, jobs: AnalystJobs, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setObjectName("jobsPopup")
        self.setAccessibleName("Background jobs")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.jobs = jobs
        self._rows: dict[str, _JobRow] = {}

        heading = QLabel("Background jobs", self)
        heading.setFont(scaled_font(self.font(), 1.1, bold=True))
        self.empty = QLabel("Nothing running, and nothing finished recently.", self)
        self.empty.setWordWrap(True)
        self.body = QWidget()
        self.body_layout = QVBoxLayout(self.body)
        self.body_layout.setContentsMargins(0, 0, 0, 0)
        self.body_layout.setSpacing(0)
        self.scroller = QScrollArea(self)
        self.scroller.setWidgetResizable(True)
        self.scroller.setFrameShape(QFrame.Shape.NoFrame)
        self.scroller.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroller.setWidget(self.body)
        self.outer = QVBoxLayout(self)
        self.outer.addWidget(heading)
        self.outer.addWidget(self.empty)
        self.outer.addWidget(self.scroller, 1)
        self.setFixedWidth(self.fontMetrics().averageCharWidth() * POPUP_WIDTH_CHARS)

        jobs.changed.connect(self._on_changed)

    def rows(self) -> list[_JobRow]:
        """The rows shown, top to bottom."""
        return sorted(self._rows.values(), key=self.body_layout.indexOf)

    def row(self, job_id: str) -> _JobRow | None:
        return self._rows.get(job_id)

    def focus_first(self) -> None:
        """Focus the first Cancel on offer (Tab moves on), else the popup itself (Escape)."""
        for row in self.rows():
            if row.cancel_button.isVisible() and row.cancel_button.isEnabled():
                row.cancel_button.setFocus(Qt.FocusReason.PopupFocusReason)
                return
        self.setFocus(Qt.FocusReason.PopupFocusReason)

    @Slot()
    def _on_changed(self) -> None:
        if self.isVisible():
            self.sync()

    def sync(self) -> None:
        """Rows for what :meth:`AnalystJobs.listed` shows, in its order, updated in place."""
        running = self.jobs.running()
        shown = [*reversed(running), *self.jobs.recent()[:POPUP_RECENT]]
        wanted = {job.job_id for job in shown}
        for job_id in [job_id for job_id in self._rows if job_id not in wanted]:
            row = self._rows.pop(job_id)
            self.body_layout.removeWidget(row)
            row.deleteLater()
        for index, job in enumerate(shown):
            existing = self._rows.get(job.job_id)
            if existing is None:
                row = self._rows[job.job_id] = _JobRow(self.jobs, job.job_id, self.body)
            else:
                row = existing
            row.show_job(job)
            if self.body_layout.indexOf(row) != index:
                self.body_layout.removeWidget(row)
                self.body_layout.insertWidget(index, row)
            row.show()
        self.empty.setVisible(not shown)
        self.scroller.setVisible(bool(shown))
        if self._fit_height() and self.isVisible():
            self.resized.emit()

    def _fit_height(self) -> bool:
        """As tall as the rows at the popup's width, up to half the screen (then the list
        scrolls); True if that changed. Wrapped titles and messages need their height for the
        width they get, which a plain size hint does not know."""
        margins = self.contentsMargins() + self.outer.contentsMargins()
        width = self.width() - margins.left() - margins.right()
        width -= self.scroller.verticalScrollBar().sizeHint().width()  # room for it, if needed
        body = self.body_layout
        if body.hasHeightForWidth():
            wanted = body.totalHeightForWidth(width)
        else:
            wanted = body.totalSizeHint().height()
        wanted += self.scroller.frameWidth() * 2
        screen: QScreen | None = self.screen() or QGuiApplication.primaryScreen()
        limit = screen.availableGeometry().height() // 2 if screen is not None else 400
        height = min(wanted, limit)
        if self.scroller.maximumHeight() == height:
            return False
        self.scroller.setFixedHeight(height)
        return True

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        self.sync()

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802 (Qt override)
        super().hideEvent(event)
        self.closed.emit()
