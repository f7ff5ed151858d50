"""Reading what the assistant wrote: Markdown shown safely, copied, and exported to a file.

Model output is untrusted text: it can repeat whatever a report contained (a site name is any
string) or whatever a prompt talked it into. So the view that shows it

- renders Markdown with raw HTML switched off (``MarkdownNoHTML``): a ``<script>`` or ``<img>``
  in an answer is shown as the characters it is, never interpreted;
- loads no resources (:meth:`MarkdownView.loadResource`): an image reference neither reads a
  local file nor reaches the network;
- opens a link in the browser only for ``http``/``https`` (:func:`is_web_link`); any other
  scheme (``file:``, a custom one that would start a program) does nothing.

Copy puts the Markdown on the clipboard as text (what a chat tool, a ticket or a Markdown
editor wants) together with the rendered HTML (what Word or an e-mail keeps formatted).
Export… asks for a file and writes it on a worker, atomically (``services/ai/transcript.py``);
a failure is shown in a dialog that names the file and says what to do.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QMimeData, QObject, QStandardPaths, Qt, QUrl, Signal
from PySide6.QtGui import (
    QAction,
    QContextMenuEvent,
    QDesktopServices,
    QGuiApplication,
    QKeySequence,
    QStandardItem,
    QStandardItemModel,
    QTextDocument,
)
from PySide6.QtWidgets import QFileDialog, QTextBrowser, QWidget

from caliber_desktop.ui.shared.errors import error_box
from caliber_desktop.ui.shared.forms import alive
from caliber_desktop.workers.ai import save_text_job
from caliber_desktop.workers.base import ErrorInfo

if TYPE_CHECKING:
    from caliber_desktop.workers.registry import WorkerRegistry

_Feature = QTextDocument.MarkdownFeature
#: GitHub's Markdown (tables, task lists, strike-through, autolinks) without raw HTML.
MARKDOWN_FEATURES = _Feature.MarkdownDialectGitHub | _Feature.MarkdownNoHTML
#: The only link schemes handed to the system (the browser).
WEB_SCHEMES = frozenset({"http", "https"})
#: The save dialog's choices; the first is the default. Plain text is the Markdown itself:
#: it is written to be read as it is.
EXPORT_FILTERS = {
    "Markdown (*.md)": ".md",
    "Web page (*.html)": ".html",
    "Plain text (*.txt)": ".txt",
}
_UNSAFE_IN_NAMES = '<>:"/\\|?*'


def is_web_link(url: QUrl) -> bool:
    """Whether ``url`` may be opened: a web address, never a file or a program's scheme."""
    return url.isValid() and url.scheme().lower() in WEB_SCHEMES and bool(url.host())


def markdown_document(markdown: str, title: str = "") -> QTextDocument:
    """``markdown`` rendered (raw HTML shown as text) into a new document."""
    document = QTextDocument()
    document.setMarkdown(markdown, MARKDOWN_FEATURES)
    if title:
        document.setMetaInformation(QTextDocument.MetaInformation.DocumentTitle, title)
    return document


def rendered_html(markdown: str, title: str = "") -> str:
    """``markdown`` as a web page (for the clipboard's rich text and the .html export)."""
    html = markdown_document(markdown, title).toHtml()
    if title and "<title>" not in html:
        html = html.replace("<head>", f"<head><title>{escape(title)}</title>", 1)
    return html


def file_stem(name: str, fallback: str = "Caliber") -> str:
    """``name`` without the characters Windows, macOS or Linux refuse in a file name."""
    safe = "".join("_" if ch in _UNSAFE_IN_NAMES or ord(ch) < 32 else ch for ch in name)
    return safe.strip(" .")[:100].strip() or fallback


def qt_made_mime_data() -> QMimeData:
    """An empty ``QMimeData`` that Qt created, for the clipboard.

    The clipboard deletes its data in Qt's exit handlers, after Python has finalised; a
    ``QMimeData()`` made in Python is PySide's subclass, whose destructor then calls into the
    dead interpreter: the app crashed at exit after any Copy (PySide 6.11). One that a C++
    model makes is a plain ``QMimeData``; its own formats are dropped.
    """
    model = QStandardItemModel()
    model.appendRow(QStandardItem())
    mime = model.mimeData([model.index(0, 0)])
    for name in mime.formats():
        mime.removeFormat(name)
    return mime


def copy_markdown(markdown: str, title: str = "") -> None:
    """Markdown as the clipboard's text, and rendered as its rich text."""
    mime = qt_made_mime_data()
    mime.setText(markdown)
    mime.setHtml(rendered_html(markdown, title))
    QGuiApplication.clipboard().setMimeData(mime)


def panel_action(
    panel: QWidget,
    text: str,
    slot: Callable[..., object] | None,
    keys: QKeySequence.StandardKey | str | None,
    tip: str,
) -> QAction:
    """A command of a panel's text (for its context menu); its keys work anywhere in the panel.

    The shortcut is scoped to the panel (``WidgetWithChildrenShortcut``), so the same keys in
    the Insights and Assistant docks each act on their own text. The tooltip names the keys.
    """
    action = QAction(text, panel)
    if keys is not None:
        action.setShortcut(QKeySequence(keys))
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        tip = f"{tip} ({action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)})"
    action.setToolTip(tip)
    if slot is not None:
        action.triggered.connect(slot)
    panel.addAction(action)
    return action


def documents_folder() -> Path:
    """Where a first export is offered: the user's Documents folder, else their home."""
    found = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(found) if found and Path(found).is_dir() else Path.home()


class MarkdownView(QTextBrowser):
    """A read-only, word-wrapped view of untrusted Markdown (see the module doc).

    The actions added to it (:meth:`addAction`) follow the standard entries (Copy, Select All)
    in its context menu, so Copy and Export… are one right-click (or the Menu key) away.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.anchorClicked.connect(self.open_link)
        # Keyboard users can select (Shift+arrows, Ctrl+A) and copy (Ctrl+C) as well.
        self.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextBrowserInteraction
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.setLineWrapMode(QTextBrowser.LineWrapMode.WidgetWidth)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)

    def set_markdown(self, markdown: str) -> None:
        """Show ``markdown`` from the top; raw HTML in it is shown as text."""
        self.document().setMarkdown(markdown, MARKDOWN_FEATURES)
        self.verticalScrollBar().setValue(0)

    def loadResource(self, kind: int, name: QUrl | str) -> object:  # noqa: N802 (Qt override)
        """Nothing: no local file and no network address is read for what the model wrote."""
        return None

    def open_link(self, url: QUrl) -> bool:
        """Open a web link in the browser; anything else is ignored. Whether it was opened."""
        if not is_web_link(url):
            return False
        return QDesktopServices.openUrl(url)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: N802 (Qt override)
        menu = self.createStandardContextMenu(event.pos())
        extra = [a for a in self.actions() if a.isVisible()]
        if extra:
            menu.addSeparator()
            menu.addActions(extra)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(event.globalPos())


class TextExporter(QObject):
    """Export… for a panel: asks for a file, writes it on a worker, reports how it went.

    Remembers the folder used last (for the window's lifetime). ``saved`` carries the path
    written; a failure opens a dialog with the service's message (the file, the folder, what
    to do) and says it in ``status`` too.
    """

    saved = Signal(object)
    failed = Signal(object)

    def __init__(
        self,
        widget: QWidget,
        registry: WorkerRegistry,
        *,
        caption: str,
        status: Callable[[str], None],
    ) -> None:
        super().__init__(widget)
        self.widget = widget
        self.registry = registry
        self.caption = caption
        self.status = status
        self.folder = documents_folder()

    def ask_path(self, stem: str) -> Path | None:
        """The file the analyst chose (with the chosen type's suffix), or None."""
        filters = ";;".join(EXPORT_FILTERS)
        name, chosen = QFileDialog.getSaveFileName(
            self.widget, self.caption, str(self.folder / f"{file_stem(stem)}.md"), filters
        )
        if not name:
            return None
        path = Path(name)
        if path.suffix.lower() not in {*EXPORT_FILTERS.values(), ".htm", ".markdown"}:
            path = path.with_name(path.name + EXPORT_FILTERS.get(chosen, ".md"))
        return path

    def export(self, stem: str, markdown: str, title: str = "") -> Path | None:
        """Ask where, then write ``markdown`` (or its web page, for .html) there; the path."""
        path = self.ask_path(stem)
        if path is None:
            return None
        self.folder = path.parent
        html = path.suffix.lower() in {".html", ".htm"}
        text = rendered_html(markdown, title) if html else markdown
        self.status(f"Saving {path.name}…")
        self.registry.start(
            save_text_job(path, text),
            on_result=self._on_saved,
            on_error=self._on_failed,
        )
        return path

    def _on_saved(self, path: object) -> None:
        if isinstance(path, Path):
            if alive(self.widget):
                self.status(f"Saved {path.name} in {path.parent}.")
            self.saved.emit(path)

    def _on_failed(self, info: ErrorInfo) -> None:
        if not alive(self.widget):
            return
        self.status(f"Not saved: {info.message}")
        box = error_box(self.widget, info)
        box.setObjectName("exportErrorBox")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        self.failed.emit(info)
