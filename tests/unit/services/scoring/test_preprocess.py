"""Preprocess: totals and placeholders counted not scored, rates → counts, sums per site.

Reports are built directly as :class:`RawReport` objects (this stage must not depend on the
reader); the shared samples go through a tiny pandas loader below.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caliber_desktop.errors import ValidationError
from caliber_desktop.models.enums import AnalysisLevel, FileFormat
from caliber_desktop.services.progress import Cancelled, CancelToken
from caliber_desktop.services.scoring.model import (
    ColumnMapping,
    Detection,
    RawReport,
    SiteTable,
)
from caliber_desktop.services.scoring.preprocess import preprocess

DOMAIN = AnalysisLevel.DOMAIN
NAN = float("nan")

TTD = {
    "Date": "date",
    "Site": "site",
    "Supply Vendor": "supply_vendor",
    "Impressions": "impressions",
    "Clicks": "clicks",
    "Advertiser Cost (Adv Currency)": "spend",
    "Sampled Tracked Impressions": "tracked_imps",
    "Sampled Viewed Impressions": "viewed_imps",
    "01 - Total Click + View Conversions": "conversions",
    "01 - Total Click + View Conversions Revenue": "revenue",
    "Player Starts": "starts",
    "Player Completed Views": "completes",
    "Unique IDs": "unique_ids",
}
PULSEPOINT = {
    "Date": "date",
    "Domain": "site",
    "Publisher": "publisher",
    "Impressions": "impressions",
    "Clicks": "clicks",
    "CTR": "ctr",
    "Total Spend": "spend",
    "eCPM": "cpm",
    "Conversions": "conversions",
}


def report(data: dict[str, list[Any]] | pd.DataFrame, source: str = "test.csv") -> RawReport:
    """A RawReport as the reader hands it over: dims str, counts float64, ``_row`` 1-based."""
    frame = pd.DataFrame(data).reset_index(drop=True)
    for name in frame.columns:
        if pd.api.types.is_numeric_dtype(frame[name]) and name != "site":
            frame[name] = frame[name].astype("float64")
        else:
            frame[name] = frame[name].fillna("").astype(str)
    if "_row" not in frame.columns:
        frame["_row"] = np.arange(2, len(frame) + 2, dtype=np.int64)
    return RawReport(
        source=source,
        frame=frame,
        mapping=ColumnMapping(columns={c: c for c in frame.columns if c != "_row"}),
        detection=Detection(None, 0.0, None, 0.0),
        format=FileFormat.CSV,
        header_row=1,
    )


def load_sample(path: Path, headers: dict[str, str]) -> RawReport:
    """Just enough reading for the clean/messy shared CSVs: canonical names, numbers parsed."""
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    frame = raw[[h for h in headers if h in raw.columns]].rename(columns=headers)
    for name in frame.columns:
        if name in ("date", "site", "supply_vendor", "publisher"):
            continue
        text = frame[name].str.replace(r"[$,%\s]", "", regex=True)
        values = pd.to_numeric(text, errors="coerce").astype("float64")
        frame[name] = values / 100 if name == "ctr" else values
    return report(frame, source=path.name)


def by_site(table: SiteTable) -> pd.DataFrame:
    return table.frame


# ----------------------------------------------------------------------------- dropping rows


def test_totals_placeholders_and_blank_rows_are_counted_not_scored() -> None:
    table = preprocess(
        report(
            {
                "date": ["2024-01-01"] * 6 + ["Grand Total"],
                "site": ["a.com", "[tail aggregate]", "", "Other", "(not set)", "b.com", ""],
                "impressions": [100, 50, 20, 5, 7, 10, 192],
                "spend": [1.0, 0.5, 0.2, 0.05, 0.07, 0.1, 1.92],
            }
        ),
        DOMAIN,
    )
    assert list(table.frame.index) == ["a.com", "b.com"]
    dropped = {d.reason: d for d in table.quality.dropped}
    assert dropped["total_row"].rows == 1
    assert dropped["total_row"].impressions == 192
    assert dropped["total_row"].examples == ("row 8",)
    assert dropped["blank_id"].rows == 1
    assert dropped["blank_id"].impressions == 20
    assert dropped["non_targetable"].rows == 3
    assert dropped["non_targetable"].impressions == 62
    assert dropped["non_targetable"].spend == pytest.approx(0.62)
    assert set(dropped["non_targetable"].examples) == {"[tail aggregate]", "Other", "(not set)"}
    q = table.quality
    assert (q.rows_read, q.rows_scored, q.rows_dropped, q.sites) == (7, 2, 5, 2)


@pytest.mark.parametrize(
    "cell", ["Total", "TOTAL", "Grand Total", "grand  total", "Totals:", "Row Labels", "Unknown"]
)
def test_every_total_and_placeholder_spelling_is_dropped(cell: str) -> None:
    table = preprocess(report({"site": ["a.com", cell], "impressions": [10, 10]}), DOMAIN)
    assert list(table.frame.index) == ["a.com"]
    assert table.quality.rows_dropped == 1


def test_a_total_in_another_dimension_drops_the_row_even_with_a_site() -> None:
    table = preprocess(
        report({"campaign": ["C1", "Total"], "site": ["a.com", "a.com"], "impressions": [5, 5]}),
        DOMAIN,
    )
    assert table.frame.loc["a.com", "impressions"] == 5
    assert table.quality.dropped[0].reason == "total_row"


def test_zero_impression_rows_with_spend_are_reported_on_their_own() -> None:
    table = preprocess(
        report(
            {"site": ["a.com", "a.com", "b.com"], "impressions": [0, 100, 0], "spend": [3, 1, 0]}
        ),
        DOMAIN,
    )
    assert table.frame.loc["a.com", "spend"] == 1  # the $3 bought nothing to rate
    assert "b.com" not in table.frame.index  # no impressions at all: nothing to rate, counted
    zero, none = table.quality.dropped
    assert (zero.reason, zero.rows, zero.impressions, zero.spend) == ("zero_impressions", 1, 0, 3)
    assert zero.examples == ("row 2: a.com (3.00 spend)",)
    assert (none.reason, none.rows, none.examples) == ("no_impressions", 1, ("row 4: b.com",))
    quality = table.quality
    assert quality.rows_read == quality.rows_scored + quality.rows_dropped == 3


def test_missing_id_column_is_a_clear_error() -> None:
    with pytest.raises(ValidationError, match="Supply Vendor"):
        preprocess(report({"site": ["a.com"], "impressions": [1]}), AnalysisLevel.SUPPLY_VENDOR)


# ----------------------------------------------------------------------------- aggregation


def test_spellings_of_one_site_are_summed_with_the_most_frequent_as_display_name() -> None:
    table = preprocess(
        report(
            {
                "site": ["WWW.X.com", "https://x.com/a?b=1", "x.com.", "x.com", "x.com", "m.x.com"],
                "impressions": [1, 2, 3, 4, 5, 6],
                "clicks": [0, 1, NAN, 0, 0, 1],
            }
        ),
        DOMAIN,
    )
    row = table.frame.loc["x.com"]
    assert (row["impressions"], row["clicks"], row["n_rows"]) == (21, 2, 6)
    assert row["display_name"] == "x.com"
    assert row["kind"] == "domain"
    assert table.children == {"x.com": [("x.com", 15.0), ("m.x.com", 6.0)]}


def test_display_name_ties_go_to_the_smallest_spelling() -> None:
    table = preprocess(report({"site": ["b.COM", "B.com"], "impressions": [1, 1]}), DOMAIN)
    assert table.frame.loc["b.com", "display_name"] == "B.com"


def test_text_in_count_cells_arrives_as_nan_and_sums_ignore_it() -> None:
    table = preprocess(
        report(
            {
                "site": ["a.com", "a.com", "b.com"],
                "impressions": [10, 20, 5],
                "clicks": [1, NAN, NAN],
            }
        ),
        DOMAIN,
    )
    assert table.frame.loc["a.com", "clicks"] == 1
    assert np.isnan(table.frame.loc["b.com", "clicks"])  # nothing known, not 0


def test_frame_shape_kinds_and_sort_order() -> None:
    table = preprocess(
        report(
            {
                "site": ["z.com", "com.zynga.words", "123456789", "Pluto TV", "a.co.uk"],
                "impressions": [1, 2, 3, 4, 5],
                "spend": [1, 1, 1, 1, 1],
            }
        ),
        DOMAIN,
    )
    frame = table.frame
    assert frame.index.name == "site_id"
    assert list(frame.index) == sorted(frame.index)
    assert list(frame.columns) == [
        "kind",
        "display_name",
        "n_rows",
        "impressions",
        "spend",
        "integrity",
    ]
    assert frame["impressions"].dtype == np.float64
    assert dict(frame["kind"]) == {
        "z.com": "domain",
        "com.zynga.words": "bundle",
        "123456789": "store_id",
        "Pluto TV": "app_name",
        "a.co.uk": "domain",
    }


def test_supply_vendor_level_groups_by_vendor() -> None:
    table = preprocess(
        report(
            {
                "site": ["a.com", "b.com", "c.com", "d.com"],
                "supply_vendor": ["Magnite", "Magnite", "Xandr", "Unknown"],
                "impressions": [1, 2, 3, 4],
            }
        ),
        AnalysisLevel.SUPPLY_VENDOR,
    )
    assert dict(table.frame["impressions"]) == {"Magnite": 3, "Xandr": 3}
    assert set(table.frame["kind"]) == {"supply_vendor"}
    assert table.quality.dropped[0].reason == "non_targetable"


def test_empty_report_gives_an_empty_table() -> None:
    table = preprocess(report({"site": pd.Series([], dtype=object), "impressions": []}), DOMAIN)
    assert table.frame.empty
    assert table.quality.sites == 0


# ----------------------------------------------------------------------------- rates → counts


def test_rate_only_ctr_becomes_clicks_before_summing() -> None:
    table = preprocess(
        report({"site": ["a.com", "a.com"], "impressions": [902, 338], "ctr": [0.0011, 0.0030]}),
        DOMAIN,
    )
    assert table.frame.loc["a.com", "clicks"] == 2  # 0.99 → 1 and 1.01 → 1, never averaged
    (note,) = table.quality.issues  # computed, and said so
    assert note.code == "count_from_rate"
    assert "no clicks column" in note.message
    assert "CTR × Impressions on 2 rows" in note.message


def test_other_rate_only_columns_become_counts() -> None:
    table = preprocess(
        report(
            {
                "site": ["a.com", "a.com"],
                "impressions": [1000, 3000],
                "cpm": [2.0, 4.0],
                "viewability": [0.5, 0.7],
                "vcr": [0.8, 0.9],
                "cpa": [1.0, 7.0],
            }
        ),
        DOMAIN,
    )
    row = table.frame.loc["a.com"]
    assert row["spend"] == pytest.approx(14.0)
    assert row["viewed_imps"] == 500 + 2100
    assert row["tracked_imps"] == 4000
    assert row["completes"] == 800 + 2700
    assert row["conversions"] == 2 + 2


def test_a_ctr_column_inconsistent_with_counts_warns_once() -> None:
    n = 20
    table = preprocess(
        report(
            {
                "site": [f"s{i}.com" for i in range(n)],
                "impressions": [1000.0] * n,
                "clicks": [10.0] * n,
                "ctr": [0.01] * 5 + [0.02] * (n - 5),  # 15 rows say 2 % where counts say 1 %
            }
        ),
        DOMAIN,
    )
    (issue,) = table.quality.issues
    assert (issue.code, issue.column, issue.row) == ("rate_mismatch", "ctr", 7)
    assert "15 of 20 rows" in issue.message
    assert table.frame["clicks"].sum() == 10 * n  # the counts win


def test_rounded_file_rates_do_not_warn() -> None:
    imps = [338.0, 902.0, 79.0, 48.0, 590.0] * 4
    clicks = [1.0, 1.0, 0.0, 0.0, 2.0] * 4
    ctr = [round(c / i, 4) for c, i in zip(clicks, imps, strict=True)]  # printed as 0.30 %
    table = preprocess(
        report({"site": ["a.com"] * 20, "impressions": imps, "clicks": clicks, "ctr": ctr}), DOMAIN
    )
    assert table.quality.issues == []


# ----------------------------------------------------------------------------- integrity


def test_impossible_numbers_become_flags_not_crashes() -> None:
    table = preprocess(
        report(
            {
                "site": ["a.com", "b.com", "c.com", "d.com"],
                "impressions": [100, 100, 100, 100],
                "clicks": [120, 1, 1, 1],
                "conversions": [0, 101, 0, 0],
                "starts": [100, 100, 50, 100],
                "completes": [10, 10, 60, 10],
                "spend": [1.0, 1.0, 1.0, -5.0],
                "ctr": [1.2, 0.01, 0.01, 0.01],
            }
        ),
        DOMAIN,
    )
    flags = dict(table.frame["integrity"])
    assert "clicks > impressions (120 > 100)" in flags["a.com"]
    assert "file CTR > 100 % on 1 row(s)" in flags["a.com"]
    assert flags["b.com"] == ("conversions > impressions (101 > 100)",)
    assert flags["c.com"] == ("completes > starts (60 > 50)",)
    assert flags["d.com"] == ("negative spend on 1 row(s)",)
    assert any(i.code == "integrity" and "4 sites" in i.message for i in table.quality.issues)


def test_viewed_above_tracked_is_flagged() -> None:
    table = preprocess(
        report({"site": ["a.com"], "impressions": [10], "tracked_imps": [5], "viewed_imps": [6]}),
        DOMAIN,
    )
    assert table.frame.loc["a.com", "integrity"] == ("viewed > tracked impressions (6 > 5)",)


# ----------------------------------------------------------------------------- progress


def test_progress_is_reported_and_cancel_stops_the_work() -> None:
    seen: list[tuple[int, int]] = []
    data = {"site": ["a.com"], "impressions": [1]}
    preprocess(report(data), DOMAIN, progress=lambda d, t, m: seen.append((d, t)))
    assert seen[0] == (0, 5)
    assert seen[-1] == (5, 5)
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        preprocess(report(data), DOMAIN, cancel=token)


# ----------------------------------------------------------------------------- properties

SPELLINGS = ["a.com", "WWW.A.com", "https://a.com/x", "m.b.co.uk", "b.co.uk", "com.c.app", "42"]
rows_strategy = st.lists(
    st.tuples(
        st.sampled_from(SPELLINGS),
        st.integers(0, 10_000),
        st.integers(0, 50),
        st.integers(0, 5_000),
    ),
    min_size=1,
    max_size=30,
)


def _frame(rows: list[tuple[str, int, int, int]]) -> dict[str, list[Any]]:
    return {
        "site": [r[0] for r in rows],
        "impressions": [float(r[1]) for r in rows],
        "clicks": [float(r[2]) for r in rows],
        "spend": [r[3] / 100 for r in rows],
    }


def _comparable(table: SiteTable) -> pd.DataFrame:
    """Everything but the row counts (and the display name, the most frequent spelling by rows)."""
    return table.frame.drop(columns=["n_rows", "display_name"])


@settings(max_examples=60, deadline=None)
@given(rows=rows_strategy, seed=st.integers(0, 2**32 - 1))
def test_row_order_does_not_matter(rows: list[tuple[str, int, int, int]], seed: int) -> None:
    base = preprocess(report(_frame(rows)), DOMAIN)
    order = np.random.default_rng(seed).permutation(len(rows))
    shuffled = preprocess(report(_frame([rows[i] for i in order])), DOMAIN)
    pd.testing.assert_frame_equal(base.frame, shuffled.frame)
    assert base.children == shuffled.children
    assert [d.rows for d in base.quality.dropped] == [d.rows for d in shuffled.quality.dropped]


@settings(max_examples=60, deadline=None)
@given(rows=rows_strategy, pick=st.integers(0, 29), share=st.floats(0.0, 1.0))
def test_splitting_a_row_changes_nothing(
    rows: list[tuple[str, int, int, int]], pick: int, share: float
) -> None:
    i = pick % len(rows)
    site, imps, clicks, cents = rows[i]
    part = (site, int(imps * share), int(clicks * share), int(cents * share))
    rest = (site, imps - part[1], clicks - part[2], cents - part[3])
    if (part[1] == 0 and part[3] > 0) or (rest[1] == 0 and rest[3] > 0):
        return  # a zero-impression half with spend is dropped by design
    split = [*rows[:i], part, rest, *rows[i + 1 :]]
    base, after = (
        preprocess(report(_frame(rows)), DOMAIN),
        preprocess(report(_frame(split)), DOMAIN),
    )
    pd.testing.assert_frame_equal(_comparable(base), _comparable(after))
    assert after.quality.rows_read == base.quality.rows_read + 1
    for table in (base, after):  # every row counted once: scored (in a site) or dropped
        quality = table.quality
        assert quality.rows_read == quality.rows_scored + quality.rows_dropped
        assert table.frame["n_rows"].sum() == quality.rows_scored


# ----------------------------------------------------------------------------- shared samples


def test_pulsepoint_messy_sample_matches_the_truth(shared_data: Path) -> None:
    raw = load_sample(shared_data / "pulsepoint_display_sample.csv", PULSEPOINT)
    truth = pd.read_csv(shared_data / "pulsepoint_display_sample_truth.csv", dtype={"entity": str})
    table = preprocess(raw, DOMAIN)
    frame = table.frame
    expected = truth.set_index("registrable_domain")["total_impressions"]
    assert set(expected.index) <= set(frame.index)  # no truth entity lost
    assert len(frame) == len(truth)
    got = frame.loc[expected.index, "impressions"]
    assert (got.to_numpy() == expected.to_numpy()).all()
    kinds = truth.set_index("registrable_domain")["entity_kind"].replace("ios_id", "store_id")
    assert (frame.loc[kinds.index, "kind"] == kinds).all()

    dropped = {d.reason: d for d in table.quality.dropped}
    assert dropped["total_row"].rows == 1
    assert dropped["total_row"].impressions == raw.frame["impressions"].iloc[:-1].sum()
    assert dropped["non_targetable"].examples == ("[tail aggregate]",)
    assert dropped["non_targetable"].rows == 1
    assert dropped["blank_id"].rows >= 1
    scored = frame["impressions"].sum()
    assert scored + dropped["non_targetable"].impressions + dropped["blank_id"].impressions == (
        dropped["total_row"].impressions
    )
    # CTR and eCPM agree with the counts up to rounding: the only note is on the subdomains
    (rollup,) = table.quality.issues
    assert rollup.code == "hosts_rolled_up"
    subdomains = truth[(truth["entity"] != truth["registrable_domain"])]
    assert table.quality.ids.rolled_up == len(subdomains)  # m.x.com → x.com, each counted once
    assert (
        table.quality.ids.kinds
        == truth["entity_kind"].replace("ios_id", "store_id").value_counts().to_dict()
    )
    assert table.quality.rows_read == table.quality.rows_scored + table.quality.rows_dropped
    # Each truth entity is one host (``www.`` is not a host of its own), so no domain has children;
    # subdomain entities (``m.x.com``) are scored under their registrable domain.
    assert table.children == {}
    with_sub = truth[truth["entity"] != truth["registrable_domain"]]
    assert len(with_sub) > 0
    assert set(with_sub["registrable_domain"]) <= set(frame.index)


def test_ctv_sample_kinds_and_impressions_match_the_truth(shared_data: Path) -> None:
    raw = load_sample(shared_data / "ttd_ctv_sample.csv", TTD)
    truth = pd.read_csv(shared_data / "ttd_ctv_sample_truth.csv", dtype={"registrable_domain": str})
    table = preprocess(raw, DOMAIN)
    truth = truth.set_index("registrable_domain")
    assert sorted(table.frame.index) == sorted(truth.index)
    got = table.frame.loc[truth.index]
    assert (got["impressions"].to_numpy() == truth["total_impressions"].to_numpy()).all()
    assert (got["n_rows"].to_numpy() == truth["n_rows"].to_numpy()).all()
    kinds = truth["entity_kind"].replace({"ios_id": "store_id", "roku_id": "store_id"})
    assert (got["kind"] == kinds).all()
    assert table.quality.dropped == []
    assert table.frame["integrity"].map(len).sum() == 0


def test_pulsepoint_rate_only_ctr_recovers_the_clicks(shared_data: Path) -> None:
    """Without its Clicks column the sample's printed CTR (0.01 % steps) gives the clicks back."""
    raw = load_sample(shared_data / "pulsepoint_display_sample.csv", PULSEPOINT)
    counted = preprocess(raw, DOMAIN).frame["clicks"]
    raw.frame = raw.frame.drop(columns=["clicks"])
    derived = preprocess(raw, DOMAIN).frame["clicks"]
    assert (derived.index == counted.index).all()
    assert (derived == counted).mean() > 0.99
    assert derived.sum() == pytest.approx(counted.sum(), rel=1e-3)
