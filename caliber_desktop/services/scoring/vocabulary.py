"""The analyst's words for the things Caliber counts and names, in one place.

Light on purpose (no pandas, no Qt): the CLI's start-up, the window and the PDF all word a run the
same way through these, so a supply-vendor run says "vendors" everywhere it says anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from caliber_desktop.models.enums import AnalysisLevel
from caliber_desktop.models.labels import PLATFORMS

#: Display names of the platforms, for sentences (the labels table's, kept under this name).
PLATFORM_LABELS: dict[str, str] = PLATFORMS


def is_vendor_level(level: AnalysisLevel | str | None) -> bool:
    return str(getattr(level, "value", level)) == AnalysisLevel.SUPPLY_VENDOR.value


def unit_noun(level: AnalysisLevel | str | None, plural: bool = True) -> str:
    """What one scored row is, in the analyst's words: a site, or a supply vendor."""
    word = "vendor" if is_vendor_level(level) else "site"
    return f"{word}s" if plural else word


def counted(n: int, level: AnalysisLevel | str | None) -> str:
    """``"1 site"``, ``"2,000 sites"``, ``"12 vendors"``."""
    return f"{n:,} {unit_noun(level, plural=n != 1)}"


#: What each kind of id is called in sentences.
KIND_WORDS: dict[str, str] = {
    "domain": "web domains",
    "bundle": "app bundles",
    "store_id": "store ids",
    "app_name": "CTV app names",
    "supply_vendor": "supply vendors",
    "non_targetable": "not targetable",
}


class IdCounts(Protocol):
    """What :func:`ids_text` reads (``scoring.model.IdSummary``)."""

    @property
    def kinds(self) -> Mapping[str, int]: ...
    @property
    def rolled_up(self) -> int: ...
    @property
    def in_app(self) -> int: ...


def ids_text(ids: IdCounts) -> str:
    """``"Ids: 1,540 web domains, 400 app bundles · 147 web hosts scored under their …"``."""
    if not ids.kinds:
        return ""
    ordered = sorted(ids.kinds.items(), key=lambda kv: (-kv[1], kv[0]))
    parts = ["Ids: " + ", ".join(f"{n:,} {KIND_WORDS.get(k, k)}" for k, n in ordered)]
    if ids.rolled_up:
        parts.append(f"{ids.rolled_up:,} web hosts scored under their registrable domain")
    if ids.in_app:
        parts.append(f"{ids.in_app:,} app ids kept whole (their rows say they are apps)")
    return " · ".join(parts)
