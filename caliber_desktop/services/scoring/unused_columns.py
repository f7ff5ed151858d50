"""Columns the mapping left unused although they hold numbers that look like a scoring field.

Matching headers is exact (``headers``), so a column named ``Media Spend (EUR)`` or ``Buys``
is simply not mapped — and a spend or conversions column that is silently left out changes
every score. So after mapping, each unused header whose name says what it might be (spend,
conversions, views…) and whose sampled cells are numbers becomes a warning naming it; the
analyst maps it in the import dialog or with ``--mapping``. Only the sample the reader already
holds is looked at: nothing more of the file is read.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from caliber_desktop.services.scoring.headers import _PIXEL_PART, normalize_header
from caliber_desktop.services.scoring.model import ColumnMapping, Issue
from caliber_desktop.services.scoring.numbers import NULL_TOKENS, parse_numbers

#: (pattern on the normalised header, the field it suggests, its words), first match wins.
LOOKS_LIKE: tuple[tuple[re.Pattern[str], str, str], ...] = tuple(
    (re.compile(pattern), field, words)
    for pattern, field, words in (
        (r"conversion|\bconv\b|purchase|\blead", "conversions", "conversions"),
        (r"revenue|\bsales\b|\bgmv\b|order value", "revenue", "revenue"),
        (r"viewab|viewed|in-?view", "viewed_imps", "viewable impressions"),
        (r"measur|tracked", "tracked_imps", "measured impressions"),
        (r"complet", "completes", "completed views"),
        (r"\bstarts?\b|\bplays?\b", "starts", "player starts"),
        (r"impression|\bimps?\b|\bimpr\b", "impressions", "impressions"),
        (r"click", "clicks", "clicks"),
        (r"spend|cost|budget|\bspent\b", "spend", "spend"),
        (r"unique|household", "unique_ids", "unique ids"),
        (r"\bcpm\b", "cpm", "CPM"),
        (r"\bctr\b|click.?through", "ctr", "CTR"),
    )
)
#: A column is numeric when at most this share of its non-empty sampled cells is not a number.
MAX_TEXT_SHARE = 0.1
SAMPLE_ROWS = 2_000


def _numeric(cells: Sequence[str]) -> bool:
    filled = [c for c in cells if c.strip().lower() not in NULL_TOKENS]
    if not filled:
        return False
    parsed = parse_numbers(filled)
    bad = 0 if parsed.bad is None else int(parsed.bad.sum())
    return bad <= MAX_TEXT_SHARE * len(filled)


def unused_column_warnings(
    mapping: ColumnMapping, headers: Sequence[str], sample: Sequence[Sequence[str]], source: str
) -> list[Issue]:
    """A warning per unused numeric column whose name looks like a field scoring uses."""
    unused = set(mapping.unmapped)
    rows = sample[:SAMPLE_ROWS]
    out: list[Issue] = []
    for position, header in enumerate(headers):
        if header not in unused:
            continue
        key = normalize_header(header)[0]
        if _PIXEL_PART.match(key):  # click / view-through parts of a total: never added to it
            continue
        guess = next(((f, w) for pattern, f, w in LOOKS_LIKE if pattern.search(key)), None)
        if guess is None:
            continue
        cells = [row[position] if position < len(row) else "" for row in rows]
        if not _numeric(cells):
            continue
        field, words = guess
        if field in mapping.columns:
            where = f"it takes {words} from '{mapping.columns[field]}'"
        else:
            where = f"no column is mapped as {words}"
        out.append(
            Issue(
                "unused_column",
                f"{source}: column '{header}' holds numbers and looks like {words}, but scoring "
                f"does not use it ({where}). Map it in the column mapping if it should count.",
                column=header,
            )
        )
    return out
