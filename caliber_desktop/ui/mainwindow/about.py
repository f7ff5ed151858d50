"""Help → About Caliber: what a support request needs (version, data dir, schema, Qt)."""

from __future__ import annotations

import html

import PySide6
from PySide6.QtCore import Qt, qVersion
from PySide6.QtWidgets import QMessageBox, QStyle, QWidget

from caliber_desktop import __version__
from caliber_desktop.errors import CaliberError
from caliber_desktop.services.workspace import Workspace
from caliber_desktop.ui.shared.common import app_icon


def schema_version(workspace: Workspace) -> str:
    """The revision stored in the database itself (not the one this build expects)."""
    try:
        return workspace.store.current_revision() or "none (empty database)"
    except CaliberError as exc:
        return f"unreadable ({exc})"


def about_text(workspace: Workspace) -> str:
    """The About box body as rich text; a function so it can be checked without a dialog."""
    rows = [
        ("Version", __version__),
        ("Data folder", str(workspace.paths.root)),
        ("Database schema", schema_version(workspace)),
        ("Qt", f"{qVersion()} (PySide6 {PySide6.__version__})"),
    ]
    cells = "".join(
        f"<tr><td><b>{html.escape(name)}</b>&nbsp;&nbsp;</td><td>{html.escape(value)}</td></tr>"
        for name, value in rows
    )
    return (
        "<h3>Caliber Desktop</h3>"
        "<p>Scores the sites of a DSP performance report and builds allow and block lists.</p>"
        f"<table>{cells}</table>"
    )


def show_about(parent: QWidget, workspace: Workspace) -> QMessageBox:
    """Open the About box window-modally without blocking; returns it (it deletes itself)."""
    box = QMessageBox(parent)
    box.setWindowTitle("About Caliber")
    box.setTextFormat(Qt.TextFormat.RichText)
    box.setText(about_text(workspace))
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    icon = app_icon()
    if not icon.isNull():
        extent = box.style().pixelMetric(QStyle.PixelMetric.PM_MessageBoxIconSize, None, box)
        box.setIconPixmap(icon.pixmap(extent))
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box
