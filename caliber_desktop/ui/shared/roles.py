"""The named custom data roles of the app's item models (architecture rule 8).

Views, delegates and tests read raw values through these roles instead of parsing display text
back; one module so the site tables (results, lists, compare) share one set of numbers.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt

#: What Qt hands a model's ``data()``/``flags()``: a plain or a persistent index.
Index = QModelIndex | QPersistentModelIndex

# Roles of the site tables (results and lists), one set so a view or test can read any of them.
#: The site id (str) of a row, for selection and signals that survive sorting and filtering.
SITE_ID_ROLE = Qt.ItemDataRole.UserRole + 1
#: The raw value behind a cell (float, str or tuple), for delegates, charts and tests.
SORT_ROLE = Qt.ItemDataRole.UserRole + 2
#: The analyst's pin on the row ("allow"/"block", or a bool in a list's own table).
PINNED_ROLE = Qt.ItemDataRole.UserRole + 3

# Roles of the campaign tables.
#: The :class:`~caliber_desktop.services.records.CampaignRecord` behind a row.
CAMPAIGN_ROLE = Qt.ItemDataRole.UserRole + 1
#: The campaign's id (int), for selection that survives a reload.
CAMPAIGN_ID_ROLE = Qt.ItemDataRole.UserRole + 2
