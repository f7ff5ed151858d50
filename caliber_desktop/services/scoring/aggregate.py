"""Stage 1 of scoring as a small, pure contract: batches of rows in, per-site sums out.

:class:`SiteAccumulator` takes the rows of a report a batch at a time (canonical columns, as
:class:`~.model.RawReport` holds them) and keeps only what is per distinct id and per site: the
id's classification, rows and impressions per id, and per site the row count, the sum and the
missing cells of every count, and the rows holding impossible numbers. Memory follows the number
of sites, never the number of rows, so a 20M-row log-level export scores in the memory of its
sites. ``preprocess`` is this class given the whole file as one batch: there is one
implementation. Sums are added row by row in file order (``np.add.at``), so a file gives the
same sites bit for bit however its rows were batched.

What a batch cannot decide alone is decided at :meth:`SiteAccumulator.finish`: which sites have
no impressions at all (their rows are then counted as dropped), the site order, display names
and notes. The totals of dropped rows add up per batch (per site for sites without
impressions), so their spend can differ in the last bits from one sum over those rows.

One thing only a later row can reveal changes an earlier decision: an id first seen without an
app name beside it and later with one is an app, not a web domain. The accumulator notes such
ids (:attr:`SiteAccumulator.late_apps`); the caller reads the file again knowing them
(``known_apps``), so the answer never depends on where the batches fell.

The same sums can be computed by an engine that scales past one machine; ``docs/scaling.md``
gives the SQL this stage corresponds to.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from caliber_desktop.models.enums import AnalysisLevel, Channel
from caliber_desktop.services.progress import ProgressCallback, no_progress
from caliber_desktop.services.scoring import identifiers
from caliber_desktop.services.scoring.drops import (
    EXAMPLES,
    DropTally,
    drop_label,
    row_example,
    total_labels,
    total_rows,
)
from caliber_desktop.services.scoring.gaps import gap_note, gap_rows
from caliber_desktop.services.scoring.headers import normalize_header
from caliber_desktop.services.scoring.id_column import DistinctIds, classify_column
from caliber_desktop.services.scoring.identifiers import is_non_targetable
from caliber_desktop.services.scoring.integrity import (
    COUNT_FROM_RATE,
    RATE_LABELS,
    RateTally,
    column,
    impossible_rows,
    integrity_notes,
    rate_counts,
)
from caliber_desktop.services.scoring.model import (
    COUNT_COLUMNS,
    ColumnMapping,
    DataQuality,
    DroppedRows,
    Issue,
    SiteTable,
    UnreadableCells,
    counted,
    unit_noun,
)
from caliber_desktop.services.scoring.site_facts import (
    children,
    ctv_web_note,
    display_names,
    id_notes,
    id_summary,
    sorted_order,
    uniques_note,
)

if TYPE_CHECKING:
    import pandas as pd

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]
Objects = npt.NDArray[np.object_]

#: Site-column headers (normalised) that say every id in them is an app.
APP_SITE_HEADERS = frozenset(
    {"app", "app name", "app bundle", "bundle", "bundle id", "app id", "app store id"}
)
#: The file's own rates checked for values above 100 %, in the order the notes name them.
CHECKED_RATES = ("ctr", "viewability", "vcr")


class _Grow:
    """A numpy array that grows at its end (capacity doubles), for per-id and per-site tallies."""

    def __init__(self, dtype: Any, fill: Any = 0, width: int = 0) -> None:
        self._fill, self._width = fill, width
        self._data = np.full((1024, width) if width else 1024, fill, dtype=dtype)
        self.size = 0

    def grow(self, size: int) -> None:
        if size > len(self._data):
            bigger = max(size, 2 * len(self._data))
            shape = (bigger, self._width) if self._width else bigger
            data = np.full(shape, self._fill, dtype=self._data.dtype)
            data[: self.size] = self._data[: self.size]
            self._data = data
        self.size = max(self.size, size)

    @property
    def values(self) -> Any:
        """A view of the used part: writes through it update the tally."""
        return self._data[: self.size]


def _bins(codes: npt.NDArray[np.intp], k: int, weights: Floats | None = None) -> Any:
    """Per-code counts (or sums of ``weights``) for codes below ``k``; code ``k`` is left out."""
    return np.bincount(codes, weights=weights, minlength=k + 1)[:k]


class SiteAccumulator:
    """Rows → per-site sums, a batch at a time (see the module docstring for the contract)."""

    def __init__(
        self,
        level: AnalysisLevel,
        *,
        source: str,
        in_app: bool | None = False,
        known_apps: frozenset[str] = frozenset(),
        headers: Mapping[str, str] | None = None,
        apps_by_channel: bool = False,
    ) -> None:
        """``in_app``: True when every row is in an app (CTV, an app column), False when an app
        name beside the id says so row by row, None when ids are not sites (vendor level);
        ``apps_by_channel`` when only the CTV channel says so. ``headers``: canonical column →
        its header in the file, for the notes."""
        self.level = AnalysisLevel(level)
        self.source = source
        self._headers = dict(headers or {})
        self._apps_by_channel = apps_by_channel
        self.id_column = "supply_vendor" if self.level == AnalysisLevel.SUPPLY_VENDOR else "site"
        self._in_app, self._known_apps = in_app, known_apps
        self.late_apps: set[str] = set()  # ids whose app evidence came after they were summed
        # per distinct id, in order of first appearance (``_known``: the same as Arrow text)
        self._known = pa.array([], pa.large_string())
        self._raw: list[str] = []
        self._site: list[str] = []
        self._host: list[str] = []
        self._kind: list[str] = []
        self._web: list[str] = []  # what the shape alone made of an id kept whole as an app
        self._evidence_used = in_app is True
        self._evidence = _Grow(bool, False)
        self._total, self._blank, self._placeholder = (_Grow(bool, False) for _ in range(3))
        self._site_of_raw = _Grow(np.int64)
        self._raw_rows, self._raw_imps = _Grow(np.int64), _Grow(np.float64, 0.0)
        # per site (ids that normalise alike), in order of first appearance
        self._site_index: dict[str, int] = {}
        self._site_names: list[str] = []
        self._rows, self._imps = _Grow(np.int64), _Grow(np.float64, 0.0)
        self._sums: dict[str, _Grow] = {}
        self._missing: dict[str, _Grow] = {}
        # per site and column: rows whose empty cell moves a metric, and the first such row
        self._gaps: dict[str, tuple[_Grow, _Grow]] = {}
        self._impossible: dict[str, _Grow] = {}
        self._first_rows = _Grow(np.int64, -1, EXAMPLES)  # a site's first scored rows, for
        self._first_raw = _Grow(np.int64, -1, EXAMPLES)  # examples if it has no impressions
        self._drops = DropTally(self.level)
        self._unreadable_rows: list[int] = []  # the first rows with an unreadable count
        self._quoted_cells: dict[int, str] = {}  # row → "Header 'text'" of unreadable cells
        self._rates = RateTally()
        self._has_imps = False
        self._read = 0

    @classmethod
    def for_report(
        cls,
        level: AnalysisLevel,
        *,
        source: str,
        mapping: ColumnMapping,
        channel: Channel | None,
        known_apps: frozenset[str] = frozenset(),
    ) -> SiteAccumulator:
        """An accumulator that knows, from the headers and the channel, how apps are told."""
        level = AnalysisLevel(level)
        in_app: bool | None = False
        site_header = normalize_header(mapping.columns.get("site", ""))[0]
        app_column = mapping.origins.get("site") == "app" or site_header in APP_SITE_HEADERS
        if level == AnalysisLevel.SUPPLY_VENDOR:
            in_app = None
        elif channel is Channel.CTV or app_column:
            in_app = True
        return cls(
            level,
            source=source,
            in_app=in_app,
            known_apps=known_apps,
            headers=mapping.columns,
            apps_by_channel=in_app is True and not app_column,
        )

    @property
    def rows_read(self) -> int:
        """Data rows added so far, blank ones included."""
        return self._read

    # ------------------------------------------------------------------------- batches

    def add_skipped(
        self, empty: int, examples: tuple[int, ...] = (), headers: tuple[int, ...] = ()
    ) -> None:
        """Rows the reader skipped, counted, never scored: ``empty`` wholly blank ones (the
        first few at ``examples``), and repeated header rows at ``headers``."""
        for reason, rows, shown in (
            ("empty_row", empty, examples),
            ("header_row", len(headers), headers),
        ):
            if rows:
                self._read += rows
                self._drops.merge(
                    DroppedRows(
                        reason,
                        drop_label(reason, self.level),
                        rows,
                        0.0,
                        0.0,
                        tuple(f"row {r}" for r in shown[:EXAMPLES]),
                    )
                )

    def add(self, frame: pd.DataFrame, unreadable: list[UnreadableCells] | None = None) -> None:
        """The rows of one batch: canonical columns plus ``_row`` (row numbers in the file)."""
        n = len(frame)
        self._read += n
        if n == 0:
            return
        raw_codes = self._ids(frame)
        rows = np.asarray(frame["_row"].to_numpy(dtype=np.int64), dtype=np.int64)
        other = total_rows(frame, self.id_column)
        totals = self._total.values[raw_codes]
        if other is not None:
            totals = totals | other
        blank = ~totals & self._blank.values[raw_codes]
        placeholder = ~totals & ~blank & self._placeholder.values[raw_codes]
        bad, bad_cells = np.zeros(n, dtype=bool), dict[int, str]()
        for cells in unreadable or ():
            bad |= cells.mask
            for row, text in cells.examples:
                bad_cells.setdefault(row, f"{cells.header} '{text}'")
        bad &= ~(totals | blank | placeholder)
        counts, _ = rate_counts(frame, rows, self.source, self._rates)
        imps, spend = counts.get("impressions"), counts.get("spend")
        out = totals | blank | placeholder | bad
        zero = np.zeros(n, dtype=bool)
        if imps is not None and spend is not None:
            zero = ~out & (imps == 0) & (spend > 0)
        out |= zero
        raw = self._raw

        def spelled(i: int) -> str:
            return raw[int(raw_codes[i])].strip()

        for reason, mask in (
            ("total_row", totals),
            ("blank_id", blank),
            ("non_targetable", placeholder),
            ("unreadable_number", bad),
            ("zero_impressions", zero),
        ):
            self._drops.add(reason, mask, spelled, rows, imps, spend)
        # Rows with unreadable counts are quoted by their cell, among the first hundred of them
        room = EXAMPLES * 20 - len(self._unreadable_rows)
        if room > 0 and bad.any():
            self._unreadable_rows.extend(rows[bad][:room].tolist())
            self._quoted_cells.update(bad_cells)
        self._sum(frame, counts, raw_codes, rows, ~out)

    def _ids(self, frame: pd.DataFrame) -> npt.NDArray[np.intp]:
        """Each row's id as an index into the distinct ids seen so far; new ids classified."""
        cells = pa.array(frame[self.id_column].astype("string").array)  # no copy for Arrow text
        encoded = pc.dictionary_encode(pc.fill_null(cells, ""))  # first appearance, as factorize
        if isinstance(encoded, pa.ChunkedArray):
            encoded = encoded.combine_chunks()
        codes = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.intp)
        batch = encoded.dictionary.cast(pa.large_string())
        evidence = self._row_evidence(frame)
        has_evidence: Bools | None = None
        if evidence is not None:
            has_evidence = np.bincount(codes[evidence], minlength=len(batch)) > 0
        # The batch's distinct ids looked up among those seen so far in one hash join (Arrow),
        # not one Python dict lookup each; only new ids become Python strings.
        found = pc.index_in(batch, value_set=self._known)
        to_global = np.asarray(pc.fill_null(found, -1).to_numpy(), dtype=np.intp)
        new = np.flatnonzero(to_global < 0)
        if len(new):
            fresh = None if has_evidence is None else has_evidence[new]
            start = len(self._raw)
            added = batch.take(pa.array(new))
            self._classify(added.to_pylist(), fresh)
            self._known = pa.concat_arrays([self._known, added])
            to_global[new] = np.arange(start, start + len(new))
        if has_evidence is not None and has_evidence.any():
            self._evidence_used = True
            seen = to_global[has_evidence]
            late = seen[~self._evidence.values[seen]]
            for r in late:  # an id summed earlier without app evidence that now has it
                found = identifiers.Identifier(self._site[r], self._host[r], self._kind[r])
                if self._kind[r] == "domain" and (
                    identifiers.app_identifier(self._raw[r], found) is not found
                ):
                    self.late_apps.add(self._raw[r])
            self._evidence.values[seen] = True
        return np.asarray(to_global[codes], dtype=np.intp)

    def _row_evidence(self, frame: pd.DataFrame) -> Bools | None:
        """Rows that name an app beside their id (TTD's App column), when that decides."""
        if self._in_app is not False or "app_name" not in frame.columns:
            return None
        names = pa.array(frame["app_name"].astype("string").array)
        distinct = pc.unique(names)
        named = np.array([not is_non_targetable(str(v)) for v in distinct.to_pylist()], bool)
        if not named.any():
            return None
        return np.asarray(pc.is_in(names, value_set=distinct.filter(pa.array(named))), bool)

    def _classify(self, values: list[str], evidence: Bools | None) -> None:
        """Classify ids seen for the first time, each once (apps by their rows' evidence)."""
        import pandas as pd

        known = self._known_apps
        if known:
            hinted = np.array([v in known for v in values], dtype=bool)
            evidence = hinted if evidence is None else evidence | hinted
        ids = classify_column(
            pd.Series(values, dtype="string"),
            self.level,
            in_app_rows=evidence,
            all_in_app=self._in_app is True,
        )
        start, m = len(self._raw), len(values)
        self._raw.extend(values)
        self._site.extend(ids.site_id.tolist())
        self._host.extend(ids.host.tolist())
        self._kind.extend(ids.kind.tolist())
        self._web.extend([""] * m if ids.web_site_id is None else ids.web_site_id.tolist())
        for tally in (
            self._evidence, self._total, self._blank, self._placeholder, self._site_of_raw,
            self._raw_rows, self._raw_imps,
        ):  # fmt: skip
            tally.grow(start + m)
        part = slice(start, start + m)
        if self._in_app is True:
            self._evidence.values[part] = True
        elif evidence is not None:
            self._evidence.values[part] = evidence
        self._total.values[part] = total_labels(pa.array(values, pa.large_string()))
        self._blank.values[part] = ids.site_id == ""
        self._placeholder.values[part] = ids.kind == "non_targetable"
        sites, names = self._site_index, self._site_names
        before = len(names)
        for i, site in enumerate(ids.site_id.tolist()):
            code = sites.get(site)
            if code is None:
                code = sites[site] = len(names)
                names.append(site)
            self._site_of_raw.values[start + i] = code
        if len(names) > before:
            for tally in (
                self._rows, self._imps, self._first_rows, self._first_raw,
                *self._sums.values(), *self._missing.values(), *self._impossible.values(),
                *(tally for pair in self._gaps.values() for tally in pair),
            ):  # fmt: skip
                tally.grow(len(sites))

    def _sum(
        self,
        frame: pd.DataFrame,
        counts: Mapping[str, Floats],
        raw_codes: npt.NDArray[np.intp],
        rows: Ints,
        keep: Bools,
    ) -> None:
        """Add the scored rows (``keep``) of a batch to the per-id and per-site tallies."""
        k = len(self._site_names)
        site = self._site_of_raw.values[raw_codes]
        codes = np.where(keep, site, k)  # rows left out go to one extra bin
        n_rows = np.bincount(codes, minlength=k + 1)[:k]
        self._rows.values[:] += n_rows
        kept_raw = raw_codes[keep]
        self._raw_rows.values[:] += np.bincount(kept_raw, minlength=len(self._raw))
        imps = counts.get("impressions")
        if imps is not None:
            self._has_imps = True
            clean = np.nan_to_num(imps[keep])
            np.add.at(self._imps.values, site[keep], clean)
            np.add.at(self._raw_imps.values, kept_raw, clean)
        for name in COUNT_COLUMNS:
            if name in counts:
                values = counts[name]
                missing = np.isnan(values)
                if name not in self._sums:  # rows of earlier batches had no such cells
                    self._sums[name] = self._tally(np.float64, 0.0)
                    self._missing[name] = self._tally(np.int64)
                    self._missing[name].values[:] = self._rows.values - n_rows
                weights = np.where(missing, 0.0, values) if missing.any() else values
                # Added row by row in file order, as one bincount over the whole file would:
                # the sums do not depend on where the batches fell (bit for bit).
                np.add.at(self._sums[name].values, site[keep], weights[keep])
                if missing.any():
                    self._missing[name].values[:] += _bins(codes[missing], k)
            elif name in self._sums:
                self._missing[name].values[:] += n_rows
        for name, gap in gap_rows(counts).items():
            self._add_gaps(name, site[gap & keep], rows[gap & keep], k)
        rates = {name: v for name in CHECKED_RATES if (v := column(frame, name)) is not None}
        for key, hits in impossible_rows(codes, k, dict(counts), rates).items():
            if key not in self._impossible:
                self._impossible[key] = self._tally(np.int64)
            self._impossible[key].values[:] += hits
        self._first_scored(site[keep], rows[keep], kept_raw)

    def _add_gaps(self, name: str, site: Ints, rows: Ints, k: int) -> None:
        """Count a column's empty cells that move a metric, per site, with each site's first."""
        if not len(site):
            return
        if name not in self._gaps:
            self._gaps[name] = (self._tally(np.int64), self._tally(np.int64, -1))
        count, first = (tally.values for tally in self._gaps[name])
        count += np.bincount(site, minlength=k)
        sites, at = np.unique(site, return_index=True)  # rows come in file order
        unset = first[sites] < 0
        first[sites[unset]] = rows[at[unset]]

    def _tally(self, dtype: Any, fill: Any = 0) -> _Grow:
        tally = _Grow(dtype, fill)
        tally.grow(len(self._site_names))
        return tally

    def _first_scored(self, site: Ints, rows: Ints, raw: npt.NDArray[np.intp]) -> None:
        """Keep each site's first few scored rows: the examples if it ends with no impressions."""
        open_slots = self._first_rows.values[:, -1] < 0
        if not open_slots.all():  # most sites have their examples after a batch or two
            wanted = open_slots[site]
            site, rows, raw = site[wanted], rows[wanted], raw[wanted]
        if not len(site):
            return
        order = np.argsort(site, kind="stable")
        site, rows, raw = site[order], rows[order], raw[order]
        starts = np.flatnonzero(np.r_[True, site[1:] != site[:-1]])
        rank = np.arange(len(site)) - np.repeat(starts, np.diff(np.r_[starts, len(site)]))
        have = (self._first_rows.values[site] >= 0).sum(axis=1)
        slot = have + rank
        take = slot < EXAMPLES
        self._first_rows.values[site[take], slot[take]] = rows[take]
        self._first_raw.values[site[take], slot[take]] = raw[take]

    # ------------------------------------------------------------------------- the sites

    def finish(self, progress: ProgressCallback = no_progress) -> SiteTable:
        """The per-site table of everything added, with the rows left out and the notes."""
        import pandas as pd

        n_sites = len(self._site_names)
        site_of_raw = self._site_of_raw.values
        rows_per_site = self._rows.values
        # A site whose scored rows hold no impressions cannot be rated: its rows are counted.
        none = np.zeros(n_sites, dtype=bool)
        if self._has_imps:
            none = (rows_per_site > 0) & ~(self._imps.values > 0)
        if none.any():
            self._drop_unrated(none)
        raw_rows = self._raw_rows.values.copy()
        raw_rows[none[site_of_raw]] = 0
        site_names = np.asarray(self._site_names, dtype=object)
        present = np.flatnonzero(np.bincount(site_of_raw, weights=raw_rows, minlength=n_sites))
        present = present[sorted_order(site_names[present])]
        k = len(present)
        names = site_names[present]
        rank = np.full(n_sites + 1, k, dtype=np.int64)
        rank[present] = np.arange(k)
        code_of_raw = rank[site_of_raw]
        last_raw = np.full(n_sites, -1, dtype=np.int64)  # a site's kind: its last spelling's
        np.maximum.at(last_raw, site_of_raw, np.arange(len(site_of_raw)))
        n_rows = rows_per_site[present]
        sums = {}
        for name in COUNT_COLUMNS:
            if name in self._sums:
                seen = n_rows - self._missing[name].values[present]
                sums[name] = np.where(seen > 0, self._sums[name].values[present], np.nan)
        kind = np.asarray(self._kind, dtype=object)
        kinds = kind[last_raw[present]]
        spelled = np.array([v.strip() for v in self._raw], dtype=object)
        table = pd.DataFrame(
            {
                "kind": pd.Series(kinds, dtype=object),
                "display_name": pd.Series(
                    display_names(code_of_raw, k, spelled, raw_rows), dtype=object
                ),
                "n_rows": n_rows.astype(np.int64),
                **sums,
            },
        )
        table.index = pd.Index(names, name="site_id", dtype=object)
        progress(4, 5, "Checking integrity")
        issues = self._rates.issues(self.source)
        impossible = {key: self._impossible[key].values[present] for key in self._note_order()}
        notes = integrity_notes(k, sums, impossible)
        table["integrity"] = pd.Series(notes, index=table.index, dtype=object)
        flagged = sorted((names[i], note) for i, note in enumerate(notes) if note)
        if flagged:
            sample, problems = flagged[0]
            issues.append(
                Issue(
                    code="integrity",
                    message=(
                        f"{len(flagged):,} {unit_noun(self.level)} in {self.source} have "
                        f"impossible numbers (e.g. {sample}: {'; '.join(problems)}); they are "
                        "scored as reported and flagged."
                    ),
                )
            )
        if "unique_ids" in sums:
            seen_uniques = n_rows - self._missing["unique_ids"].values[present]
            header = self._headers.get("unique_ids") or "Unique IDs"
            if (note := uniques_note(self.source, header, seen_uniques, self.level)) is not None:
                issues.append(note)
        for name in (c for c in COUNT_COLUMNS if c in self._gaps):
            count, first = self._gaps[name]
            note = gap_note(
                name,  # a count computed from a rate (clicks from CTR) by the rate's header
                self._headers.get(name) or self._headers.get(COUNT_FROM_RATE.get(name, "")),
                source=self.source,
                level=self.level,
                columns=self._sums.keys(),
                gaps=count.values[present],
                seen=n_rows - self._missing[name].values[present],
                first=first.values[present],
                names=names,
            )
            if note is not None:
                issues.append(note)
        ids = self._distinct()
        found_children: dict[str, list[tuple[str, float]]] = {}
        domains = (ids.kind == "domain") & (raw_rows > 0)
        if self._has_imps and domains.any():
            found_children = children(code_of_raw, ids.host, domains, self._raw_imps.values, names)
        summary = id_summary(ids, raw_rows, kinds, self.level)
        issues += id_notes(self.source, summary)
        if self._apps_by_channel and (note := ctv_web_note(self.source, summary, k)) is not None:
            issues.append(note)
        scored = int(n_rows.sum())
        where = set(self._unreadable_rows)
        quoted = sorted(r for r in self._quoted_cells if r in where)[:EXAMPLES]
        if quoted:
            self._drops.quote(
                "unreadable_number", [f"row {r}: {self._quoted_cells[r]}" for r in quoted]
            )
        quality = DataQuality(
            source=self.source,
            rows_read=self._read,
            rows_scored=scored,
            sites=len(table),
            dropped=self._drops.dropped(),
            issues=issues,
            ids=summary,
            level=self.level.value,
        )
        progress(5, 5, f"{counted(len(table), self.level)} from {scored:,} rows")
        return SiteTable(frame=table, level=self.level, quality=quality, children=found_children)

    def _note_order(self) -> list[str]:
        """Negative counts in column order, then file rates above 100 %, as the notes read."""
        negative = [f"negative:{n}" for n in COUNT_COLUMNS if f"negative:{n}" in self._impossible]
        over = [f"over:{n}" for n in RATE_LABELS if f"over:{n}" in self._impossible]
        return negative + over

    def _drop_unrated(self, none: Bools) -> None:
        """Count the rows of sites without impressions, quoting their first rows in file order."""
        which = np.flatnonzero(none)
        first = self._first_rows.values[which].ravel()
        raw = self._first_raw.values[which].ravel()
        order = np.argsort(np.where(first >= 0, first, np.iinfo(np.int64).max), kind="stable")
        examples = [
            row_example("no_impressions", int(first[i]), self._raw[int(raw[i])].strip())
            for i in order[:EXAMPLES]
            if first[i] >= 0
        ]
        spend = self._sums.get("spend")
        self._drops.merge(
            DroppedRows(
                "no_impressions",
                drop_label("no_impressions", self.level),
                int(self._rows.values[which].sum()),
                float(np.nansum(self._sums["impressions"].values[which])),
                0.0 if spend is None else float(np.nansum(spend.values[which])),
                tuple(examples),
            )
        )

    def _distinct(self) -> DistinctIds:
        """The distinct ids with what they were read as (no row codes: rows are gone)."""
        in_app = web = None
        if self._evidence_used:
            web = np.asarray(self._web, dtype=object)
            in_app = web != ""
        raw, site, host, kind = (
            np.asarray(values, dtype=object)
            for values in (self._raw, self._site, self._host, self._kind)
        )
        return DistinctIds(np.zeros(0, dtype=np.intp), raw, site, host, kind, in_app, web)
