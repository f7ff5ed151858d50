"""A run's lists made ready for the lists panel off the GUI thread (issue 17).

Opening a 100k-site run held the GUI thread 155–217 ms in :meth:`ListsPanel.set_lists` (~600 ms
the first time): building each list's members and the model's arrays, sorting them, and
writing every DSP file's text only to count its lines. :func:`prepare_lists` does all of it
that needs no widget on the worker that loads the run (the window hands it to the loading,
scoring and pinning jobs), so the panel only adopts arrays. It also picks the few rows each
data-sized column is measured by: with ``ResizeToContents`` the views measured up to 1,000 rows
a column on the GUI thread (~96,000 ``data()`` calls). Plain data: no Qt object is made here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import Qt

from caliber_desktop.services.scoring.lists import ListImpact, ListName, SiteLists
from caliber_desktop.services.scoring.model import ScoreResult
from caliber_desktop.ui.shared.list_members_model import (
    ListMembersModel,
    MemberArrays,
    SortedRows,
    member_arrays,
)
from caliber_desktop.ui.shared.table_base import sort_permutation

LIST_NAMES: tuple[ListName, ...] = ("allow", "block", "monitor")
#: The order a list first shows in: largest first, the sites that move the impact most.
FIRST_SORT = (ListMembersModel.IMPRESSIONS, Qt.SortOrder.DescendingOrder)
#: The columns sized to their cells (the site elides, the source stretches).
SIZED_COLUMNS = (
    ListMembersModel.KIND,
    ListMembersModel.SCORE,
    ListMembersModel.IMPRESSIONS,
    ListMembersModel.SPEND,
)


@dataclass(frozen=True)
class PreparedList:
    """One list: the model's arrays in their first order, its impact, its widest cells."""

    members: MemberArrays
    sorted_rows: SortedRows
    impact: ListImpact | None
    #: per sized column, the source rows holding its widest texts (see :func:`widest_rows`)
    widest: Mapping[int, tuple[int, ...]]


@dataclass(frozen=True)
class PreparedLists:
    """Everything :meth:`ListsPanel.set_lists` computes from a run's :class:`SiteLists`."""

    #: the lists these were made from (the panel checks it is the one it shows)
    lists: SiteLists
    vendor_level: bool
    pages: Mapping[ListName, PreparedList]
    #: lines per DSP file (:meth:`SiteLists.file_entry_counts`)
    file_counts: Mapping[str, int]


def is_vendor_level(result: ScoreResult) -> bool:
    """Whether the run's rows are supply vendors (their own list files), not sites."""
    return result.config.level.value == "supply_vendor"


def prepare_run_lists(result: ScoreResult, lists: SiteLists) -> PreparedLists:
    """:func:`prepare_lists` for a loaded run: what the window hands to its jobs."""
    return prepare_lists(lists, vendor_level=is_vendor_level(result))


def prepare_lists(lists: SiteLists, *, vendor_level: bool = False) -> PreparedLists:
    """The panel's arrays for ``lists`` (callable on any thread)."""
    pages = {}
    for name in LIST_NAMES:
        members = member_arrays(lists.members(name))
        column, order = FIRST_SORT
        rows = sort_permutation(members.impressions, order)
        pages[name] = PreparedList(
            members=members,
            sorted_rows=SortedRows(column, order, rows),
            impact=lists.impact.get(name),
            widest=widest_rows(members),
        )
    return PreparedLists(
        lists=lists,
        vendor_level=vendor_level,
        pages=pages,
        file_counts=lists.file_entry_counts(level_vendor=vendor_level),
    )


def widest_rows(members: MemberArrays) -> dict[int, tuple[int, ...]]:
    """Per sized column, the rows whose texts are the widest it shows: one of each kind, the
    largest and smallest of each number (the most digits, or a minus sign), a missing score.

    The panel measures just these rows' cells, as ``ResizeToContents`` measured the first
    1,000; here every row counts, so a column fits a wide value deep in the list as well.
    """
    if not len(members):
        return dict.fromkeys(SIZED_COLUMNS, ())
    _, first_of_kind = np.unique(members.kinds, return_index=True)
    widest = {ListMembersModel.KIND: tuple(int(i) for i in np.sort(first_of_kind))}
    numbers = {
        ListMembersModel.SCORE: members.score,
        ListMembersModel.IMPRESSIONS: members.impressions,
        ListMembersModel.SPEND: members.spend,
    }
    for column, values in numbers.items():
        missing = np.isnan(values)
        rows = [int(np.argmax(missing))] if missing.any() else []
        if not missing.all():
            rows += [int(np.nanargmax(values)), int(np.nanargmin(values))]
        widest[column] = tuple(dict.fromkeys(rows))
    return widest
