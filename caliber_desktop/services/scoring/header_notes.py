"""The notes a column mapping leaves for the analyst: names borrowed, rivals not used.

Kept apart from :mod:`.headers`, which decides the mapping; this only words what it decided, so
the same sentences reach the CLI, the import dialog and the PDF.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from caliber_desktop.models.enums import Platform
from caliber_desktop.services.scoring.model import PLATFORM_LABELS, Issue


def borrowed_notes(
    source: str, platform: Platform, borrowed: Mapping[str, list[str]], columns: Mapping[str, str]
) -> list[Issue]:
    """One warning per other platform whose column names were used: the platform may be wrong."""
    out = []
    own = PLATFORM_LABELS[platform.value]
    for table, canonicals in borrowed.items():
        shown = [c for c in canonicals if c in columns]
        if not shown:
            continue
        used = ", ".join(f"{c} from '{columns[c]}'" for c in shown)
        other = PLATFORM_LABELS.get(table, table)
        out.append(
            Issue(
                "other_platform_columns",
                f"{source}: the report has no {own} column for {', '.join(shown)}; used "
                f"{other} names instead ({used}). If it is a {other} report, choose that "
                "platform; otherwise check the column mapping.",
                column=columns[shown[0]],
            )
        )
    return out


def alternative_notes(
    source: str,
    columns: Mapping[str, str],
    alternatives: Mapping[str, tuple[str, ...]],
    fields: Collection[str],
) -> list[Issue]:
    """A note per field (of ``fields``) that had rivals: which column was used; none is added."""
    out = []
    for canonical, others in alternatives.items():
        if canonical in ("conversions", "revenue") or canonical not in fields:
            continue  # pixels and their revenue have their own notes
        if canonical not in columns or not others:
            continue
        listed = ", ".join(f"'{h}'" for h in others)
        if canonical == "spend":
            text = (
                f"{source}: spend is taken from '{columns[canonical]}'; {listed} also matched "
                "and is ignored (two cost columns are never added). Change it in the column "
                "mapping if that is the wrong one."
            )
            code = "spend_column_chosen"
        else:
            text = (
                f"{source}: {canonical} is taken from '{columns[canonical]}'; {listed} also "
                "matched and is not used. Change it in the column mapping if that is wrong."
            )
            code = "column_chosen"
        out.append(Issue(code, text, column=columns[canonical], severity="info"))
    return out
