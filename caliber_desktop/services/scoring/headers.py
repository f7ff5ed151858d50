"""Turn a report's header row into canonical columns for a given platform.

Matching is exact after a fixed normalisation (never fuzzy): a header either is a known alias or
it stays unmapped and the analyst maps it by hand, so a wrong guess can never hide in the numbers.
Where several headers could feed one column (spend in two currencies, several conversion pixels)
one is chosen by a stated rule, the others are kept as alternatives, and nothing is summed that
would double count.

Platform-aware, never platform-blind: the platform's own names win; a column the file has under
none of them is taken from the other platform's names, then from generic ones (``Spend``,
``Total Conversions``…), and ``ColumnMapping.origins`` records which — so a Trade Desk report
with a PulsePoint-style ``Total Spend`` keeps its spend instead of rebuilding it from a CPM
column, and says so. One header may feed only one number or id field.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from caliber_desktop.errors import ValidationError
from caliber_desktop.models.enums import Channel, Platform
from caliber_desktop.services.scoring.header_notes import alternative_notes, borrowed_notes
from caliber_desktop.services.scoring.model import (
    COUNT_COLUMNS,
    DIMENSION_COLUMNS,
    RATE_COLUMNS,
    ColumnMapping,
    Issue,
)

#: Currency qualifiers in order of preference: the advertiser's own currency is what they pay.
CURRENCIES: tuple[str, ...] = ("Adv Currency", "USD", "Partner Currency")
CANONICAL: tuple[str, ...] = DIMENSION_COLUMNS + COUNT_COLUMNS + RATE_COLUMNS

_QUALIFIER = re.compile(r"\s*\((adv currency|usd|partner currency)\)\s*$")
_SPACES = re.compile(r"[\s_]+")
_PIXEL_TOTAL = re.compile(r"^(?P<pixel>.+?) - total click \+ view conversions$")
_PIXEL_PART = re.compile(r"^(?P<pixel>.+?) - (click conversions?|view through conversions?)$")
_REVENUE = re.compile(r"^(?P<pixel>.+?) - .*revenue$")
_CPA = re.compile(r"(^| )cpa$")
#: Conversion columns that already total every pixel, most preferred first, with a pixel key.
_AGGREGATES: tuple[tuple[str, str], ...] = (
    ("all last click + view conversions", "All Last Click + View"),
    ("total custom cpa conversions", "Total Custom CPA"),
)
_POST_PAIR: tuple[tuple[str, str], ...] = (
    ("post-click conversions", "Post-Click"),
    ("post-view conversions", "Post-View"),
)
MIN_KNOWN_HEADERS = 3


def normalize_header(header: str) -> tuple[str, str | None]:
    """(matching key, currency qualifier) of a header as written."""
    key = _SPACES.sub(" ", str(header)).strip().lower()
    if key.startswith("ttd "):  # "TTD_Impressions" after "_" became a space
        key = key[4:].strip()
    currency = None
    found = _QUALIFIER.search(key)
    if found:
        currency = next(c for c in CURRENCIES if c.lower() == found.group(1))
        key = key[: found.start()].strip()
    return key, currency


#: The alias tables of headers.toml: one per platform, and names any export uses ("generic").
GENERIC = "generic"


@cache
def _tables() -> dict[str, dict[str, tuple[str, ...]]]:
    text = resources.files("caliber_desktop.services.scoring").joinpath("data/aliases.toml")
    raw = tomllib.loads(text.read_text(encoding="utf-8"))
    return {
        name: {
            canonical: tuple(normalize_header(alias)[0] for alias in aliases)
            for canonical, aliases in table.items()
        }
        for name, table in raw.items()
    }


def load_aliases(platform: Platform | str) -> dict[str, tuple[str, ...]]:
    """canonical → normalised aliases in order of preference, from the bundled table."""
    return _tables()[str(platform)]


@cache
def _alias_index(table: Platform | str) -> dict[str, tuple[str, int]]:
    """normalised alias → (canonical, preference rank) in one table (a platform or generic)."""
    index: dict[str, tuple[str, int]] = {}
    for canonical, aliases in load_aliases(table).items():
        for rank, alias in enumerate(aliases):
            index.setdefault(alias, (canonical, rank))
    return index


def fallback_tables(platform: Platform) -> tuple[str, ...]:
    """Where a column the platform's own names miss is looked for, in order."""
    return (*(p.value for p in Platform if p is not platform), GENERIC)


def is_known_header(header: str) -> bool:
    """True when a header is an alias of any table or a conversion/revenue pattern."""
    key, _ = normalize_header(header)
    if not key:
        return False
    if any(key in _alias_index(t) for t in (*Platform, GENERIC)):
        return True
    patterns = (_PIXEL_TOTAL, _PIXEL_PART, _REVENUE)
    known_keys = {k for k, _ in _AGGREGATES + _POST_PAIR}
    return key in known_keys or any(p.match(key) for p in patterns)


def known_header_count(cells: Sequence[str], extra: Sequence[str] = ()) -> int:
    """How many cells of a row are known headers (or headers named in a mapping override)."""
    wanted = {normalize_header(h)[0] for h in extra}
    return sum(1 for c in cells if is_known_header(c) or (c and normalize_header(c)[0] in wanted))


# ----------------------------------------------------------------------------- mapping


@dataclass
class HeaderMap:
    """The mapping to record plus what the reader must do: which headers feed each column."""

    mapping: ColumnMapping
    #: canonical → headers whose values are summed (one header except KPI pixels and revenue).
    sources: dict[str, tuple[str, ...]]
    issues: list[Issue] = field(default_factory=list)


@dataclass
class _Candidate:
    header: str
    currency: str | None
    rank: int
    position: int

    def order(self) -> tuple[int, int, int]:
        currency = CURRENCIES.index(self.currency) if self.currency else len(CURRENCIES)
        return (currency, self.rank, self.position)


def _candidates(
    present: Sequence[str], index: Mapping[str, tuple[str, int]]
) -> dict[str, list[_Candidate]]:
    """canonical → the headers of ``present`` that ``index`` names, best first."""
    found: dict[str, list[_Candidate]] = {}
    for position, header in enumerate(present):
        key, currency = normalize_header(header)
        if key in index:
            canonical, rank = index[key]
            found.setdefault(canonical, []).append(_Candidate(header, currency, rank, position))
    return {c: sorted(f, key=_Candidate.order) for c, f in found.items()}


def _has_pattern(present: Sequence[str], pattern: re.Pattern[str]) -> bool:
    return any(pattern.match(normalize_header(h)[0]) for h in present)


def map_headers(
    headers: Sequence[str],
    *,
    source: str,
    platform: Platform,
    channel: Channel | None = None,
    mapping_override: Mapping[str, str] | None = None,
    kpi_pixels: Sequence[str] | None = None,
    default_kpi_pixel: str = "01",
) -> HeaderMap:
    """Map ``headers`` (as written, in file order) for ``platform``; see the module docstring.

    The platform's own names win. A column the file has under none of them is taken from the
    other platform's names, then from the generic ones, and ``origins`` says which it was; a
    name of another platform gets a warning (the platform may be the wrong one). Every header
    that also matched a column already found is listed as an alternative, with a note.
    """
    present = [h for h in headers if h and str(h).strip()]
    issues: list[Issue] = []
    columns: dict[str, str] = {}
    origins: dict[str, str] = {}
    currency_of: dict[str, str] = {}
    alternatives: dict[str, tuple[str, ...]] = {}
    taken: set[str] = set()
    borrowed: dict[str, list[str]] = {}
    for table in (platform.value, *fallback_tables(platform)):
        free = [h for h in present if h not in taken]
        for canonical, ordered in _candidates(free, _alias_index(table)).items():
            if canonical in columns or (
                table != platform.value and _owned_by_pattern(canonical, present)
            ):
                alternatives[canonical] = (
                    *alternatives.get(canonical, ()),
                    *(c.header for c in ordered),
                )
            else:
                columns[canonical] = ordered[0].header
                origins[canonical] = (
                    "platform"
                    if table == platform.value
                    else (GENERIC if table == GENERIC else f"other_platform:{table}")
                )
                if table not in (platform.value, GENERIC):
                    borrowed.setdefault(table, []).append(canonical)
                if ordered[0].currency:
                    currency_of[canonical] = ordered[0].currency
                if len(ordered) > 1:
                    alternatives[canonical] = tuple(c.header for c in ordered[1:])
            taken.update(c.header for c in ordered)
    if "site" not in columns and "app_name" in columns:  # an `App` column alone names the apps
        columns["site"] = columns.pop("app_name")
        origins["site"] = "app"
        origins.pop("app_name", None)
    if "site" not in columns and channel is Channel.CTV and "publisher" in columns:
        columns["site"] = columns["publisher"]
        origins["site"] = "publisher"
        issues.append(
            Issue(
                "site_from_publisher",
                f"{source}: there is no Site column, so CTV apps are taken from "
                f"'{columns['publisher']}'. Map another column as site if that is wrong.",
                column=columns["publisher"],
            )
        )
    sources: dict[str, tuple[str, ...]] = {c: (h,) for c, h in columns.items()}
    plain_conversions = origins.get("conversions")
    pixels = _conversions(present, platform, columns, alternatives, sources)
    kpi: tuple[str, ...] = ()
    if pixels:
        origins["conversions"] = plain_conversions or "pattern"
        kpi = _choose_kpi(pixels, kpi_pixels, default_kpi_pixel, source, issues)
        sources["conversions"] = tuple(pixels[p] for p in kpi)
        columns["conversions"] = pixels[kpi[0]]
        _revenue(present, pixels, kpi, columns, alternatives, sources)
        if "revenue" in sources and origins.get("revenue") is None:
            origins["revenue"] = "pattern"
    elif kpi_pixels:
        raise ValidationError(
            f"{source}: KPI pixel(s) {', '.join(kpi_pixels)} were asked for but the file has "
            "no conversion columns.",
            field="kpi_pixels",
            hint="Clear the KPI pixel choice, or import a report that includes conversions.",
        )
    cpa = [h for h in present if _CPA.search(normalize_header(h)[0])]
    if cpa and "cpa" not in columns:
        columns["cpa"], sources["cpa"], origins["cpa"] = cpa[0], (cpa[0],), "platform"
        if len(cpa) > 1:
            alternatives["cpa"] = tuple(cpa[1:])
    if mapping_override:
        _apply_override(mapping_override, present, source, columns, currency_of, sources, pixels)
        for canonical in mapping_override:
            origins[canonical] = "override"
        if "conversions" in mapping_override:
            kpi = (columns["conversions"],)
    _check_single_use(sources, source)
    issues += borrowed_notes(source, platform, borrowed, columns)
    issues += alternative_notes(source, columns, alternatives, _SINGLE_USE)
    used = set(columns.values()) | set(pixels.values()) | {h for s in sources.values() for h in s}
    used |= {h for alt in alternatives.values() for h in alt}
    unmapped = tuple(h for h in present if h not in used)
    mapping = ColumnMapping(
        columns=columns,
        currency=currency_of,
        conversion_pixels=pixels,
        kpi_pixels=kpi,
        alternatives=alternatives,
        unmapped=unmapped,
        origins={c: o for c, o in origins.items() if c in columns},
    )
    return HeaderMap(mapping, sources, issues)


def _owned_by_pattern(canonical: str, present: Sequence[str]) -> bool:
    """Conversions and revenue found by the platform's patterns are never replaced by a name."""
    if canonical == "conversions":
        keys = {normalize_header(h)[0] for h in present}
        aggregates = {k for k, _ in _AGGREGATES + _POST_PAIR}
        return _has_pattern(present, _PIXEL_TOTAL) or bool(keys & aggregates)
    if canonical == "revenue":
        return _has_pattern(present, _REVENUE)
    return False


#: Canonical columns one header may feed only once: every number, and the ids.
_SINGLE_USE = frozenset({*COUNT_COLUMNS, *RATE_COLUMNS, "site", "supply_vendor"})


def _check_single_use(sources: Mapping[str, tuple[str, ...]], source: str) -> None:
    """One column feeding two fields (impressions *and* clicks) would double count: refuse."""
    fields_of: dict[str, list[str]] = {}
    for canonical, headers in sources.items():
        if canonical in _SINGLE_USE:
            for header in headers:
                fields_of.setdefault(header, []).append(canonical)
    for header, found in fields_of.items():
        if len(found) > 1:
            names = " and ".join(found)
            raise ValidationError(
                f"{source}: the column mapping uses '{header}' for both {names}; one column can "
                "feed only one field.",
                field="mapping",
                hint=f"Choose another column for {found[-1]} in the column mapping.",
            )


def _conversions(
    present: Sequence[str],
    platform: Platform,
    columns: dict[str, str],
    alternatives: dict[str, tuple[str, ...]],
    sources: dict[str, tuple[str, ...]],
) -> dict[str, str]:
    """pixel → total-conversions header. Parts (click / view-through) are never included."""
    if "conversions" in columns:  # a plain alias (PulsePoint "Conversions")
        header = columns.pop("conversions")
        sources.pop("conversions", None)
        return {header: header}
    pixels: dict[str, str] = {}
    aggregates: list[tuple[str, str]] = []
    post: list[tuple[str, str]] = []
    for header in present:
        key, _ = normalize_header(header)
        total = _PIXEL_TOTAL.match(key)
        if total:
            pixels.setdefault(_pixel_key(header, total.group("pixel")), header)
            continue
        for agg_key, pixel in _AGGREGATES:
            if key == agg_key:
                aggregates.append((pixel, header))
        for post_key, pixel in _POST_PAIR:
            if key == post_key:
                post.append((pixel, header))
    ordered_aggregates = sorted(aggregates, key=lambda a: [p for _, p in _AGGREGATES].index(a[0]))
    if pixels:
        if aggregates or post:
            alternatives["conversions"] = tuple(h for _, h in ordered_aggregates + post)
        return dict(sorted(pixels.items(), key=lambda item: _pixel_order(item[0])))
    if ordered_aggregates:
        if len(ordered_aggregates) > 1 or post:
            alternatives["conversions"] = tuple(h for _, h in ordered_aggregates[1:] + post)
        pixel, header = ordered_aggregates[0]
        return {pixel: header}
    return dict(post)  # Post-Click + Post-View add up to the total: both are KPI by default


def _pixel_key(header: str, lowered: str) -> str:
    if lowered.isdigit():
        return lowered.zfill(2)
    # The name as written: cut at the pattern's start in the original header.
    written = re.split(r"\s+-\s+total\s+click", str(header).strip(), flags=re.IGNORECASE)[0]
    return re.sub(r"^ttd_", "", written, flags=re.IGNORECASE).strip()


def _pixel_order(pixel: str) -> tuple[int, int, str]:
    return (0, int(pixel), "") if pixel.isdigit() else (1, 0, pixel.lower())


def _resolve_pixel(wanted: str, pixels: Mapping[str, str]) -> str | None:
    text = str(wanted).strip()
    if text.isdigit():
        text = text.zfill(2)
    return next((p for p in pixels if p.lower() == text.lower()), None)


def _choose_kpi(
    pixels: Mapping[str, str],
    wanted: Sequence[str] | None,
    default: str,
    source: str,
    issues: list[Issue],
) -> tuple[str, ...]:
    available = ", ".join(pixels)
    if wanted:
        chosen: list[str] = []
        for name in wanted:
            pixel = _resolve_pixel(name, pixels)
            if pixel is None:
                raise ValidationError(
                    f"{source}: conversion pixel '{name}' is not in this file "
                    f"(it has: {available}).",
                    field="kpi_pixels",
                    hint="Choose one of the pixels the file has as the KPI.",
                )
            if pixel not in chosen:
                chosen.append(pixel)
        return tuple(chosen)
    if set(pixels) == {p for _, p in _POST_PAIR}:
        return tuple(p for _, p in _POST_PAIR)
    pixel = _resolve_pixel(default, pixels)
    if pixel is not None or len(pixels) == 1:
        pixel = pixel or next(iter(pixels))
        if len(pixels) > 1:
            issues.append(
                Issue(
                    "kpi_pixel_default",
                    f"{source}: conversions are pixel {pixel} ('{pixels[pixel]}'); the file also "
                    f"has {len(pixels) - 1} other pixel(s) ({available}). Choose the KPI "
                    "pixel(s) in the campaign settings to use others.",
                    column=pixels[pixel],
                    severity="info",
                )
            )
        return (pixel,)
    pixel = next(iter(pixels))  # pixels are sorted: the lowest number first
    issues.append(
        Issue(
            "kpi_pixel_chosen",
            f"{source}: no KPI pixel was chosen and pixel {default} is not in the file, so "
            f"conversions are pixel {pixel} ('{pixels[pixel]}') of {available}. Choose the KPI "
            "pixel(s) in the campaign settings if that is wrong.",
            column=pixels[pixel],
        )
    )
    return (pixel,)


def _revenue(
    present: Sequence[str],
    pixels: Mapping[str, str],
    kpi: Sequence[str],
    columns: dict[str, str],
    alternatives: dict[str, tuple[str, ...]],
    sources: dict[str, tuple[str, ...]],
) -> None:
    """Revenue of the KPI pixels (best currency per pixel); other pixels' revenue is listed."""
    per_pixel: dict[str, list[_Candidate]] = {}
    lowered = {p.lower(): p for p in pixels}
    for position, header in enumerate(present):
        key, currency = normalize_header(header)
        found = _REVENUE.match(key)
        if not found:
            continue
        name = found.group("pixel")
        pixel = name.zfill(2) if name.isdigit() else lowered.get(name)
        if pixel is not None:
            per_pixel.setdefault(pixel, []).append(_Candidate(header, currency, 0, position))
    chosen: list[str] = []
    others: list[str] = []
    for pixel, found_headers in per_pixel.items():
        ordered = [c.header for c in sorted(found_headers, key=_Candidate.order)]
        if pixel in kpi:
            chosen.append(ordered[0])
            others.extend(ordered[1:])
        else:
            others.extend(ordered)
    if chosen:
        columns["revenue"], sources["revenue"] = chosen[0], tuple(chosen)
    if others:
        alternatives["revenue"] = tuple(others)


def _apply_override(
    override: Mapping[str, str],
    present: Sequence[str],
    source: str,
    columns: dict[str, str],
    currency_of: dict[str, str],
    sources: dict[str, tuple[str, ...]],
    pixels: dict[str, str],
) -> None:
    by_key = {normalize_header(h)[0]: h for h in reversed(present)}
    for canonical, wanted in override.items():
        if canonical not in CANONICAL:
            raise ValidationError(
                f"{source}: '{canonical}' is not a column Caliber knows "
                f"(known: {', '.join(CANONICAL)}).",
                field="mapping",
                hint="Fix the column mapping.",
            )
        header = wanted if wanted in present else by_key.get(normalize_header(wanted)[0])
        if header is None:
            raise ValidationError(
                f"{source}: the column mapping uses '{wanted}' for {canonical}, but the file has "
                f"no such column. Its columns are: {', '.join(present)}.",
                field="mapping",
                hint="Pick one of the file's columns in the mapping.",
            )
        columns[canonical], sources[canonical] = header, (header,)
        currency = normalize_header(header)[1]
        if currency:
            currency_of[canonical] = currency
        else:
            currency_of.pop(canonical, None)
        if canonical == "conversions":
            pixels.clear()
            pixels[header] = header
