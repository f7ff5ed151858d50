"""Finding machine names (``uid_ratio``, ``mfa_pattern``) in text an analyst reads.

Machine names are snake_case; the analyst's words never are. File names (``allowlist_domains.txt``,
``ttd_ctv_sample.csv``) legitimately carry underscores and are taken out first, as are the
third-party strings a test passes in ``allowed`` (a site id, a header exactly as the file wrote
it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QAbstractItemView, QComboBox, QLabel, QWidget

SNAKE = re.compile(r"\b[a-z0-9]+(?:_[a-z0-9]+)+\b")
FILE_NAME = re.compile(r"[\w.-]+\.(?:csv|tsv|txt|xlsx|xls|pdf|json|md|zip|log|toml|db)\b", re.I)


def machine_names(text: str, allowed: Iterable[str] = ()) -> list[str]:
    """The snake_case identifiers left in ``text`` once file names and ``allowed`` are removed."""
    for item in sorted(allowed, key=len, reverse=True):
        if item:
            text = text.replace(item, " ")
    text = FILE_NAME.sub(" ", text)
    return SNAKE.findall(text)


def widget_texts(root: QWidget, *, data_views: Iterable[QAbstractItemView] = ()) -> list[str]:
    """Every word ``root`` shows: labels, tooltips, combo entries, item-view headers and cells.

    ``data_views`` show the file's own data: only their headers are read.
    """
    skip = set(data_views)
    texts: list[str] = [root.windowTitle(), root.toolTip()]
    for widget in root.findChildren(QWidget):
        texts.append(widget.toolTip())
        texts.append(widget.accessibleName())
        if isinstance(widget, QLabel):
            texts.append(widget.text())
        elif isinstance(widget, QComboBox):
            texts.extend(widget.itemText(i) for i in range(widget.count()))
        elif isinstance(widget, QAbstractItemView) and widget.model() is not None:
            model = widget.model()
            root_index = QModelIndex()
            try:
                columns = model.columnCount(root_index)
            except TypeError:  # a list model hides it: one column
                columns = 1
            for column in range(columns):
                texts.append(str(model.headerData(column, Qt.Orientation.Horizontal) or ""))
            if widget in skip:
                continue
            for row in range(model.rowCount(root_index)):
                for column in range(columns):
                    index = model.index(row, column)
                    texts.append(str(model.data(index) or ""))
                    texts.append(str(model.data(index, Qt.ItemDataRole.ToolTipRole) or ""))
    return [t for t in texts if t]
