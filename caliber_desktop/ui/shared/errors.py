"""The one way an error reaches the analyst: a dialog sized to its message (rule 10).

An expected failure (a ``CaliberError``) already says what failed, which file, row or field, and
what to do; it is shown as it came, wrapped at a reading width, in a dialog no bigger than that
text needs. A bug gets one short sentence, where the log file is, and a "Show details" expander
with the traceback and a "Copy details" button, so it can be pasted into a bug report.

:class:`ErrorView` is the content (also the import dialog's error page); :class:`ErrorDialog`
puts it in a window with a Close button.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QRect, QSize, Qt, Slot
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from caliber_desktop.workers.base import ErrorInfo

#: Characters per line of a message: a comfortable reading width.
READING_CHARS = 60
#: Characters of a traceback line shown at once (wider lines scroll), screen permitting.
DETAILS_CHARS = 90
#: Lines of traceback shown at once when the details are open (the rest scrolls).
DETAILS_LINES = 14
#: Share of the screen's width a dialog may use at most, whatever the text.
SCREEN_SHARE = 0.9
SHOW_DETAILS, HIDE_DETAILS = "Show &details", "Hide &details"


def screen_area() -> QRect:
    """The primary screen's free area: what a dialog may fill at most.

    Not ``QWidget.screen()``: called while a dialog is being built (before it has a window),
    PySide 6.11 hands back a screen it later deletes, and the next widget made crashes the app.
    """
    return QGuiApplication.primaryScreen().availableGeometry()


class ErrorView(QWidget):
    """An icon, the message at reading width, and for a bug the log file and the details."""

    def __init__(
        self, info: ErrorInfo, log_file: Path | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.info = info
        self.log_file = log_file
        style = self.style()
        which = QStyle.StandardPixmap
        icon = style.standardIcon(
            which.SP_MessageBoxCritical if info.is_bug else which.SP_MessageBoxWarning
        )
        size = style.pixelMetric(QStyle.PixelMetric.PM_MessageBoxIconSize, None, self)
        self.icon_label = QLabel()
        self.icon_label.setPixmap(icon.pixmap(size, size))
        self.icon_label.setAccessibleName("Bug" if info.is_bug else "Warning")
        self.message_label = QLabel(info.message)
        self.message_label.setWordWrap(True)
        self.message_label.setTextFormat(Qt.TextFormat.PlainText)
        # Selectable with the mouse; a screen reader reads it with the dialog (not a Tab stop).
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message_label.setAccessibleName(info.title)
        self.message_label.setAccessibleDescription(info.message)
        self.fit_message()

        self.grid = grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(self.icon_label, 0, 0, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(self.message_label, 0, 1)
        self.log_edit: QLineEdit | None = None
        self.details_button: QPushButton | None = None
        self.copy_button: QPushButton | None = None
        self.details_edit: QPlainTextEdit | None = None
        if info.is_bug:
            self._add_bug_parts(grid)

    def _add_bug_parts(self, grid: QGridLayout) -> None:
        row = 1
        if self.log_file is not None:
            where = QLabel("The details are also in the log file:")
            self.log_edit = QLineEdit(str(self.log_file))
            self.log_edit.setReadOnly(True)
            self.log_edit.setCursorPosition(0)
            self.log_edit.setAccessibleName("Log file")
            self.log_edit.setToolTip(str(self.log_file))
            where.setBuddy(self.log_edit)
            grid.addWidget(where, row, 1)
            grid.addWidget(self.log_edit, row + 1, 1)
            row += 2
        self.details_button = QPushButton(SHOW_DETAILS)
        self.details_button.setCheckable(True)
        self.details_button.setAccessibleDescription("Shows the technical details of the bug")
        self.details_button.toggled.connect(self._toggle_details)
        self.copy_button = QPushButton("&Copy details")
        self.copy_button.setAccessibleDescription("Copies the details to the clipboard")
        self.copy_button.clicked.connect(self.copy_details)
        buttons = QHBoxLayout()
        buttons.addWidget(self.details_button)
        buttons.addWidget(self.copy_button)
        buttons.addStretch(1)
        grid.addLayout(buttons, row, 1)
        self.details_edit = QPlainTextEdit(self.info.details)
        self.details_edit.setReadOnly(True)
        self.details_edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.details_edit.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.details_edit.setAccessibleName("Details")
        metrics = self.details_edit.fontMetrics()
        self.details_edit.setMinimumHeight(metrics.lineSpacing() * DETAILS_LINES)
        width = metrics.horizontalAdvance("x") * DETAILS_CHARS
        screen = screen_area()
        width = min(width, round(screen.width() * SCREEN_SHARE * 0.9))
        self.details_edit.setMinimumWidth(max(width, self.message_label.width()))
        self.details_edit.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.details_edit.hide()
        grid.addWidget(self.details_edit, row + 1, 0, 1, 2)
        grid.setRowStretch(row + 1, 1)

    def fit_message(self) -> None:
        """Give the message the width its longest line needs, up to the reading width.

        A word-wrapping ``QLabel`` guesses its own width (often far wider or narrower than the
        text); a fixed width and the height that width needs make the dialog exactly as big as
        its message, and never wider than the screen.
        """
        label = self.message_label
        metrics = label.fontMetrics()
        reading = metrics.averageCharWidth() * READING_CHARS
        screen = screen_area()
        reading = min(reading, round(screen.width() * SCREEN_SHARE) // 2)
        longest = max(
            (metrics.horizontalAdvance(line) for line in label.text().splitlines()), default=0
        )
        width = max(min(longest + metrics.averageCharWidth(), reading), metrics.height() * 8)
        label.setFixedWidth(width)
        label.setMinimumHeight(label.heightForWidth(width))

    def details_text(self) -> str:
        """What "Copy details" copies: enough for a bug report without the screen."""
        parts = [self.info.title, self.info.message]
        if self.log_file is not None:
            parts.append(f"Log file: {self.log_file}")
        if self.info.details:
            parts.append(self.info.details.rstrip())
        return "\n\n".join(parts) + "\n"

    @Slot()
    def copy_details(self) -> None:
        clipboard = QGuiApplication.clipboard()
        if clipboard is not None:
            clipboard.setText(self.details_text())

    @Slot(bool)
    def _toggle_details(self, shown: bool) -> None:
        assert self.details_edit is not None
        assert self.details_button is not None
        self.details_edit.setVisible(shown)
        self.details_button.setText(HIDE_DETAILS if shown else SHOW_DETAILS)
        window = self.window()
        if isinstance(window, ErrorDialog):
            window.fit()


class ErrorDialog(QDialog):
    """A failed job or a bug, in a window as big as its text; Close is the only answer."""

    def __init__(
        self, info: ErrorInfo, log_file: Path | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(info.title)
        self.info = info
        self.view = ErrorView(info, log_file, self)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.buttons.rejected.connect(self.reject)
        # Focused, not made the default: Enter or Esc closes, and its focus frame stays visible
        # (a default button looks focused all the time).
        close = self.buttons.button(QDialogButtonBox.StandardButton.Close)
        self.main_layout = layout = QVBoxLayout(self)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.buttons)
        layout.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)
        self.fit()
        close.setFocus()

    def text(self) -> str:
        """The message as the analyst reads it."""
        return self.view.message_label.text()

    def details(self) -> str:
        """The traceback (empty for an expected error, whose message says it all)."""
        return self.info.details

    def fit(self) -> None:
        """As small as the content allows (bounded by the screen), after the details opened or
        closed too."""
        self.view.grid.invalidate()  # the details were just shown or hidden: hints are stale
        self.view.updateGeometry()
        self.main_layout.invalidate()
        self.main_layout.activate()
        self.resize(self.sizeHint().boundedTo(self._screen_limit()))

    def _screen_limit(self) -> QSize:
        area = screen_area()
        return QSize(round(area.width() * SCREEN_SHARE), round(area.height() * SCREEN_SHARE))


def error_box(parent: QWidget | None, info: ErrorInfo, log_file: Path | None = None) -> ErrorDialog:
    """The dialog for a failed job or a bug, returned unshown.

    Callers choose between ``open()`` (window-modal, does not block) and ``exec()``; tests
    inspect it without showing it.
    """
    return ErrorDialog(info, log_file, parent)
