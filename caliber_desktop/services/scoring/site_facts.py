"""What the sites of a report are called and what their ids were read as.

The end of the preprocess stage (``docs/scoring.md`` §1), on per-id tallies rather than rows:
each site's display name (its most frequent spelling), the hosts a registrable domain was seen
under, the sites in code-point order, and the notes on ids kept whole as apps or rolled up.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from caliber_desktop.models.enums import AnalysisLevel
from caliber_desktop.services.scoring.drops import EXAMPLES
from caliber_desktop.services.scoring.id_column import DistinctIds
from caliber_desktop.services.scoring.model import IdSummary, Issue
from caliber_desktop.services.scoring.vocabulary import unit_noun

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]
Objects = npt.NDArray[np.object_]


def display_names(site: Ints, k: int, spelling: Objects, rows: Ints) -> Objects:
    """Most frequent spelling per site (rows); ties go to the smallest spelling.

    Per distinct raw value ``i``: its site ``site[i]``, its ``spelling`` (trimmed) and its
    number of scored ``rows``; values that share a site and a spelling add up.
    """
    import pandas as pd

    names = np.empty(k, dtype=object)
    scored = np.flatnonzero(rows > 0)
    if k == 0 or not len(scored):
        return names
    spell, uniques = pd.factorize(spelling[scored])
    spellings, n = np.asarray(uniques, dtype=object), len(uniques)
    pairs, inverse = np.unique(site[scored] * n + spell, return_inverse=True)
    counts = np.bincount(inverse.ravel(), weights=rows[scored])
    order = np.lexsort((-counts, pairs // n))
    pairs, counts = pairs[order], counts[order]
    first = np.r_[True, pairs[1:] // n != pairs[:-1] // n]
    group, best = np.cumsum(first) - 1, counts[first]
    names[:] = spellings[pairs[first] % n]
    for s in np.unique(group[~first & (counts == best[group])]):  # rare: a tie
        names[s] = min(spellings[pairs[(group == s) & (counts == best[s])] % n])
    return names


def children(
    site: Ints, host: Objects, scored: Bools, raw_imps: Floats, names: Objects
) -> dict[str, list[tuple[str, float]]]:
    """Registrable domain → its hosts with impressions, where it was seen under several hosts.

    Per distinct raw value: its ``site``, ``host``, whether it is a domain with scored rows
    (``scored``) and the impressions of its scored rows (``raw_imps``); values that share a
    (site, host) pair add up.
    """
    import pandas as pd

    host_code, uniques = pd.factorize(host)
    hosts, n = np.asarray(uniques, dtype=object), max(len(uniques), 1)
    which = np.flatnonzero(scored)
    pairs, inverse = np.unique(site[which] * n + host_code[which], return_inverse=True)
    totals = np.bincount(inverse.ravel(), weights=raw_imps[which], minlength=len(pairs))
    sites = pairs // n
    several = np.flatnonzero(np.bincount(sites, minlength=len(names)) > 1)
    out: dict[str, list[tuple[str, float]]] = {}
    for i in np.flatnonzero(np.isin(sites, several)):
        out.setdefault(names[sites[i]], []).append((hosts[pairs[i] % n], float(totals[i])))
    return {key: sorted(val, key=lambda hv: (-hv[1], hv[0])) for key, val in sorted(out.items())}


def sorted_order(names: Objects) -> Ints:
    """Order of ``names`` by code point, as ``sorted`` gives (Arrow sorts UTF-8 bytes alike)."""
    try:
        return np.asarray(pc.sort_indices(pa.array(names, pa.large_string())), dtype=np.int64)
    except (pa.ArrowException, UnicodeError):  # e.g. a lone surrogate: sort in Python
        return np.asarray(sorted(range(len(names)), key=lambda i: names[i]), dtype=np.int64)


def id_summary(ids: DistinctIds, raw_rows: Ints, kinds: Objects, level: AnalysisLevel) -> IdSummary:
    """What the ids were read as: sites per kind, hosts rolled up, apps kept whole."""
    import pandas as pd

    scored = raw_rows > 0
    counts = pd.Series(kinds, dtype=object).value_counts()
    kind_counts = {str(k): int(v) for k, v in counts.items()}
    if level == AnalysisLevel.SUPPLY_VENDOR:
        return IdSummary(kinds=kind_counts)
    domains = scored & (ids.kind == "domain") & (ids.host != ids.site_id)
    pairs = sorted(set(zip(ids.host[domains], ids.site_id[domains], strict=True)))
    web = ids.web_site_id
    app_pairs: list[tuple[str, str]] = []
    if ids.in_app is not None and web is not None:
        found = np.flatnonzero(scored & ids.in_app)
        app_pairs = sorted({(str(ids.site_id[i]), str(web[i])) for i in found})
    return IdSummary(
        kinds=kind_counts,
        rolled_up=len(pairs),
        rollup_examples=tuple(f"{host} → {site}" for host, site in pairs[:EXAMPLES]),
        in_app=len(app_pairs),
        in_app_examples=tuple(f"{app} (not {web})" for app, web in app_pairs[:EXAMPLES]),
    )


def id_notes(source: str, summary: IdSummary) -> list[Issue]:
    out = []
    if summary.in_app:
        out.append(
            Issue(
                "apps_kept_whole",
                f"{source}: {summary.in_app:,} app id(s) look like web addresses but their rows "
                "say they are apps (an app name beside them, an app column or the CTV channel), "
                "so each keeps its whole id and goes to the app lists, e.g. "
                + "; ".join(summary.in_app_examples[:3])
                + ".",
                severity="info",
            )
        )
    if summary.rolled_up:
        out.append(
            Issue(
                "hosts_rolled_up",
                f"{source}: {summary.rolled_up:,} web host(s) are scored under their registrable "
                "domain, e.g. " + "; ".join(summary.rollup_examples[:3]) + ".",
                severity="info",
            )
        )
    return out


def ctv_web_note(source: str, summary: IdSummary, sites: int) -> Issue | None:
    """A warning when most scored ids look like web domains and are apps only because the run's
    channel is CTV: a display or video report scored as CTV puts its web domains on the app
    lists, and nothing else in the run would say so."""
    if summary.in_app * 2 <= sites:
        return None
    return Issue(
        "ctv_web_ids",
        f"{source}: {summary.in_app:,} of {sites:,} sites look like web domains but are scored "
        "as CTV apps, because the run's channel is CTV (e.g. "
        + "; ".join(summary.in_app_examples[:3])
        + "). If this is a display or video report, score it with that channel: as CTV, its "
        "web domains go on the app lists.",
    )


def uniques_note(
    source: str, header: str, seen: npt.NDArray[np.int64], level: AnalysisLevel
) -> Issue | None:
    """A warning when unique IDs are added up over several rows of a site (``seen``: rows with
    a value, per site): a viewer on two rows (two days, two ad groups) counts twice, so the
    site's unique IDs per impression read high and the few-unique-IDs flag fires less. A
    report's rows cannot be deduplicated afterwards; one row per site can be exported."""
    several = int(np.count_nonzero(seen > 1))
    if not several:
        return None
    most = int(seen.max())
    return Issue(
        "uniques_added_up",
        f"{source}: {header!r} is added up over the rows of {several:,} of {len(seen):,} "
        f"{unit_noun(level)} (up to {most:,} rows each, e.g. one a day), but a viewer on two "
        "rows counts twice: their unique IDs per impression read high, and a few devices "
        "behind many impressions can look like many. For true uniques, export the report with "
        f"one row per {unit_noun(level, plural=False)} (no Date or other split) and score that.",
        column=header,
    )
