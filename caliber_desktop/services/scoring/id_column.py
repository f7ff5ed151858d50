"""Classify a whole id column: each distinct value once, the clean hosts without Python loops.

:func:`~.identifiers.classify_id` costs ~13 µs a value; a 1M-row report with 100k distinct
sites would spend over a second there. Real reports name sites as clean hosts
(``news.x.com``), bundles (``com.x.app``) and store ids, and for those the rules of
:mod:`.identifiers` reduce to label tests and the Public Suffix List, which Arrow compute
kernels run on all values at once (about 1 µs a value). Every other value (URLs, Unicode,
``www.``, app names, placeholders…) still goes through ``classify_id``: both paths give the
same answer, which the tests check on generated ids.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from caliber_desktop.models.enums import AnalysisLevel
from caliber_desktop.services.scoring import identifiers
from caliber_desktop.services.scoring.identifiers import (
    _BUNDLE_ROOTS,
    _LABEL,
    _LEGACY_GTLDS,
    Identifier,
    _load,
    _Section,
)

if TYPE_CHECKING:
    import pandas as pd

Objects = npt.NDArray[np.object_]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]
_KINDS = np.array(["domain", "bundle", "store_id", "app_name", "non_targetable"], dtype=object)
_DOMAIN, _BUNDLE, _STORE_ID, _APP_NAME, _NON_TARGETABLE = range(5)
#: RE2 twins of the patterns of :mod:`.identifiers` for the values :func:`_classify_fast` takes:
#: ASCII only, and ``[0-9]`` where Python's ``\d`` would also take other scripts' digits.
_CLEAN_HOST_RE = rf"^{_LABEL}(?:\.{_LABEL})+$"
_CLEAN_STORE_ID_RE = r"^(?:[iI][dD])?[0-9]+$"
_CLEAN_IPV4_RE = r"^[0-9]{1,3}(?:\.[0-9]{1,3}){3}$"


@functools.cache
def _dot() -> pa.Scalar:
    """The separator of joined labels (made at the first join: any Arrow scalar from a Python
    value loads pandas, which reading a report's first rows does without)."""
    return pa.scalar(".", pa.large_string())


@dataclass(frozen=True)
class DistinctIds:
    """A column's distinct values as written (missing → ``""``), each classified once.

    ``codes`` maps every row to its value; ``site_id``, ``host`` and ``kind`` hold, per value,
    the fields of ``classify_id`` as object arrays, so callers gather them by code.
    """

    codes: npt.NDArray[np.intp]
    raw: Objects
    site_id: Objects
    host: Objects
    kind: Objects
    #: Per value: kept whole as an app on its rows' evidence where the shape said web.
    in_app: Bools | None = None
    #: Per value: what the shape alone made of it (its registrable domain), where ``in_app``.
    web_site_id: Objects | None = None


@dataclass(frozen=True)
class _ArrowRules:
    """The parsed list as Arrow value sets for ``pyarrow.compute.is_in``: one C loop per set."""

    full: tuple[pa.Array, pa.Array, pa.Array]  # normal, wildcard, exception
    icann: tuple[pa.Array, pa.Array, pa.Array]
    nodes: pa.Array  # every suffix of every rule: a host can only match a rule below one
    tlds: pa.Array


@functools.cache
def _arrow_rules() -> _ArrowRules:
    rules = _load()

    def strings(values: frozenset[str]) -> pa.Array:
        return pa.array(sorted(values), pa.large_string())

    def sets(section: _Section) -> tuple[pa.Array, pa.Array, pa.Array]:
        return strings(section.normal), strings(section.wildcard), strings(section.exception)

    every = rules.full.normal | rules.full.wildcard | rules.full.exception
    nodes = {rule.split(".", i)[-1] for rule in every for i in range(rule.count(".") + 1)}
    return _ArrowRules(
        sets(rules.full), sets(rules.icann), strings(frozenset(nodes)), strings(rules.tlds)
    )


def _isin(values: pa.Array, value_set: pa.Array | list[str]) -> Bools:
    return np.asarray(pc.is_in(values, value_set=pa.array(value_set, pa.large_string())), bool)


def _mask(array: pa.Array) -> Bools:
    return np.asarray(pc.fill_null(array, False), dtype=bool)


def _suffix_labels(labels: pa.Array, ends: Ints, n: Ints) -> tuple[Ints, Ints]:
    """Labels in each host's public suffix, by the whole list and by its ICANN section.

    :func:`public_suffix` on every host at once (``labels`` flat, host ``i`` ending before
    ``ends[i]``): walk from the right and drop a host as soon as its suffix is no rule's
    suffix, so ``x.com`` costs two look-ups and only hosts under multi-label rules
    (``co.uk``, ``blogspot.com``, ``*.ck``) go deeper.
    """
    rules = _arrow_rules()
    sections = (rules.full, rules.icann)
    found = [np.ones(len(n), np.int64) for _ in sections]
    exception = [np.zeros(len(n), np.int64) for _ in sections]
    wild = [np.zeros(len(n), bool) for _ in sections]  # the suffix one label shorter is "*."
    rows = np.arange(len(n))
    suffix, k = labels.take(ends - 1), 1
    while len(rows):
        for i, (normal, wildcard, exceptions) in enumerate(sections):
            found[i][rows[_isin(suffix, normal) | (wild[i] if k > 1 else False)]] = k
            exception[i][rows[_isin(suffix, exceptions)]] = k
            wild[i] = _isin(suffix, wildcard)
        deeper = _isin(suffix, rules.nodes) & (n[rows] > k)
        rows, wild, k = rows[deeper], [w[deeper] for w in wild], k + 1
        head = labels.take(ends[rows] - k)
        suffix = pc.binary_join_element_wise(head, suffix.filter(pa.array(deeper)), _dot())
    full, icann = (np.where(e > 0, e - 1, f) for f, e in zip(found, exception, strict=True))
    return full, icann


def _last_labels(labels: pa.Array, ends: Ints, count: Ints) -> Objects:
    """The last ``count[i]`` labels of host ``i``, joined: its registrable domain."""
    out = np.empty(len(count), dtype=object)
    rows, text, j = np.arange(len(count)), labels.take(ends - 1), 1
    while len(rows):
        done = count[rows] == j
        out[rows[done]] = text.filter(pa.array(done)).to_numpy(zero_copy_only=False)
        rows, text, j = rows[~done], text.filter(pa.array(~done)), j + 1
        text = pc.binary_join_element_wise(labels.take(ends[rows] - j), text, _dot())
    return out


def _classify_fast(values: pa.Array, raw: Objects) -> tuple[Ints, Objects, Objects, Ints]:
    """Which values need no Python per value, and their site ids, hosts and kind codes.

    Clean hosts and bundles (ASCII, dotted LDH labels, no URL parts, no ``www.``, no trailing
    dot) and ASCII store ids. For them ``classify_id`` reduces to label tests and the PSL,
    done here with Arrow kernels on all values at once; the rest goes back to ``classify_id``.
    """
    lower = pc.ascii_lower(values)  # ASCII values only get here: the same as str.lower()
    store = _mask(pc.match_substring_regex(values, _CLEAN_STORE_ID_RE))
    clean = (
        _mask(pc.match_substring_regex(lower, _CLEAN_HOST_RE))
        & ~_mask(pc.match_substring_regex(lower, r"^www[0-9]?\."))
        & (np.asarray(pc.binary_length(values)) <= 253)
    )
    idx = np.flatnonzero(clean)
    texts = lower.filter(pa.array(clean))
    lists = pc.split_pattern(texts, ".")
    labels, offsets = lists.values, np.asarray(lists.offsets, dtype=np.int64)
    n, starts, ends = np.diff(offsets), offsets[:-1], offsets[1:]
    first, second, last = labels.take(starts), labels.take(starts + 1), labels.take(ends - 1)
    tlds = _arrow_rules().tlds
    tld_last, tld_first = _isin(last, tlds), _isin(first, tlds)
    roots = sorted(_BUNDLE_ROOTS)
    bundle = _mask(pc.match_substring_regex(texts, "^[a-z]")) & (
        _isin(first, roots)
        | ~tld_last
        | (_mask(pc.equal(first, "air")) & _isin(second, roots))
        | (
            (n >= 3)
            & (np.asarray(pc.binary_length(first)) == 2)
            & tld_first
            & (np.asarray(pc.binary_length(last)) != 2)
            & ~_isin(last, sorted(_LEGACY_GTLDS))
        )
    )
    ipv4 = ~bundle & _mask(pc.match_substring_regex(texts, _CLEAN_IPV4_RE))
    web = np.flatnonzero(~bundle & ~ipv4 & tld_last)
    kind = np.where(bundle, _BUNDLE, np.where(ipv4, _DOMAIN, _APP_NAME))
    lowered = np.asarray(texts.to_numpy(zero_copy_only=False), dtype=object)
    host = np.where(ipv4, lowered, "").astype(object)
    site = np.where(kind == _APP_NAME, raw[idx], lowered)  # app names keep their case
    full, icann = _suffix_labels(labels, ends[web], n[web])
    n_web = n[web]
    length = np.where(full < n_web, full + 1, np.where(icann < n_web, icann + 1, 0))
    targetable = length > 0  # else an ICANN suffix itself ("co.uk"): nothing to target
    site[web], host[web] = lowered[web], lowered[web]
    kind[web] = np.where(targetable, _DOMAIN, _NON_TARGETABLE)
    on = web[targetable]
    site[on] = _last_labels(labels, ends[on], length[targetable])
    stored = np.flatnonzero(store)
    ids = np.concatenate([idx, stored])
    site = np.concatenate(
        [site, pc.ascii_lower(values.take(stored)).to_numpy(zero_copy_only=False)]
    )
    host = np.concatenate([host, np.full(len(stored), "", dtype=object)])
    return ids, site, host, np.concatenate([kind, np.full(len(stored), _STORE_ID)])


def classify_column(
    values: pd.Series,
    level: AnalysisLevel | str = AnalysisLevel.DOMAIN,
    *,
    in_app_rows: Bools | None = None,
    all_in_app: bool = False,
) -> DistinctIds:
    """Factor codes per row and each distinct value classified once (missing cells are blank).

    A 1M-row column with 100k distinct spellings costs 100k classifications, not 1M, and the
    clean hosts among them (most of a real report) go through :func:`_classify_fast`.
    ``in_app_rows`` marks the rows that say they are in an app (an app name beside the id);
    ``all_in_app`` says every row is (a CTV report, an app column). A value with such a row is
    classified by :func:`~.identifiers.app_identifier`.
    """
    import pandas as pd

    codes, uniques = pd.factorize(values.astype("string").fillna(""), use_na_sentinel=False)
    raw = np.asarray(uniques, dtype=object)
    site, host = raw.copy(), np.full(len(raw), "", dtype=object)
    kind = np.empty(len(raw), dtype=object)
    todo = np.ones(len(raw), dtype=bool)
    if str(level) != AnalysisLevel.SUPPLY_VENDOR.value and len(raw):
        arrow = pa.array(uniques.array)
        if isinstance(arrow, pa.ChunkedArray):
            arrow = arrow.combine_chunks()
        idx, fast_site, fast_host, fast_kind = _classify_fast(arrow.cast(pa.large_string()), raw)
        site[idx], host[idx], kind[idx], todo[idx] = fast_site, fast_host, _KINDS[fast_kind], False
    for i in np.flatnonzero(todo):
        found = identifiers.classify_id(raw[i], level)
        site[i], host[i], kind[i] = found.site_id, found.host, found.kind
    codes = np.asarray(codes, dtype=np.intp)
    if str(level) == AnalysisLevel.SUPPLY_VENDOR.value or not (
        all_in_app or in_app_rows is not None
    ):
        return DistinctIds(codes, raw, site, host, kind)
    if all_in_app:
        evidence = np.ones(len(raw), dtype=bool)
    else:
        assert in_app_rows is not None
        evidence = np.bincount(codes[in_app_rows], minlength=len(raw)) > 0
    changed = np.zeros(len(raw), dtype=bool)
    web_site = np.full(len(raw), "", dtype=object)
    for i in np.flatnonzero(evidence & (kind == "domain")):
        found = identifiers.Identifier(site[i], host[i], kind[i])
        app = identifiers.app_identifier(raw[i], found)
        if app is not found:
            changed[i], web_site[i] = True, site[i]
            site[i], host[i], kind[i] = app.site_id, app.host, app.kind
    return DistinctIds(codes, raw, site, host, kind, changed, web_site)


def classify_distinct(
    values: pd.Series, level: AnalysisLevel | str = AnalysisLevel.DOMAIN
) -> tuple[npt.NDArray[np.int64], list[Identifier], list[str]]:
    """:func:`classify_column` as row codes, one :class:`Identifier` per value, and the values."""
    ids = classify_column(values, level)
    found = [Identifier(*f) for f in zip(ids.site_id, ids.host, ids.kind, strict=True)]
    return np.asarray(ids.codes, dtype=np.int64), found, [str(v) for v in ids.raw]


def classify_ids(
    values: pd.Series, level: AnalysisLevel | str = AnalysisLevel.DOMAIN
) -> pd.DataFrame:
    """Vectorised ``classify_id``: columns ``site_id``, ``host``, ``kind``, same index."""
    import pandas as pd

    ids = classify_column(values, level)
    return pd.DataFrame(
        {
            "site_id": ids.site_id[ids.codes],
            "host": ids.host[ids.codes],
            "kind": ids.kind[ids.codes],
        },
        index=values.index,
    )
