"""Every input row is accounted for: rows read = rows scored + rows dropped, per reason.

Hypothesis writes messy report files (totals, blank and placeholder ids, text in a count,
empty rows, zero-impression rows with and without spend, missing impressions, several
spellings of one site, quoted thousands) with a known fate for every row, reads them through
the real reader and preprocess, and checks the identity and each reason's count.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from caliber_desktop.models.enums import AnalysisLevel, Platform
from caliber_desktop.services.scoring.preprocess import preprocess
from caliber_desktop.services.scoring.read import read_report

HEADER = "Date,Site,Impressions,Clicks,Advertiser Cost\n"
#: spelling as written → the site it must be scored as
SPELLINGS = {
    "a.com": "a.com",
    "WWW.A.com": "a.com",
    "https://a.com/page?x=1": "a.com",
    "m.b.co.uk": "b.co.uk",
    "b.co.uk": "b.co.uk",
    "com.example.game": "com.example.game",
    "553834731": "553834731",
    "Pluto TV": "Pluto TV",
}
KEPT = ("row", "zero", "missing_imps")


@st.composite
def rows(draw: st.DrawFn) -> tuple[str, str, int, int, int, bool]:
    """(kind, spelling, impressions, clicks, cents, quote thousands)."""
    kind = draw(
        st.sampled_from(
            [
                "row",
                "row",
                "row",
                "zero_spend",
                "zero",
                "missing_imps",
                "total",
                "blank",
                "placeholder",
                "text",
                "empty",
            ]
        )
    )
    spelling = draw(st.sampled_from(sorted(SPELLINGS)))
    imps = draw(st.integers(1, 60_000)) if kind == "row" else 0
    return (
        kind,
        spelling,
        imps,
        draw(st.integers(0, 40)),
        draw(st.integers(1, 90_000)),
        draw(st.booleans()),
    )


#: How each kind of row is written ({s} spelling, {i} impressions, {c} clicks, {m} money).
LINES = {
    "row": "2026-11-01,{s},{i},{c},{m}\n",
    "zero_spend": "2026-11-02,{s},0,{c},{m}\n",
    "zero": "2026-11-02,{s},0,0,0\n",
    "missing_imps": "2026-11-03,{s},,{c},{m}\n",
    "total": "Grand Total,,999999,{c},{m}\n",
    "blank": "2026-11-04,,{c5},{c},{m}\n",
    "placeholder": "2026-11-04,(not set),{c5},{c},{m}\n",
    "text": "2026-11-05,{s},about {c} thousand,{c},{m}\n",
    "empty": ",,,,\n",
}


def line(kind: str, spelling: str, imps: int, clicks: int, cents: int, quoted: bool) -> str:
    shown = f'"{imps:,}"' if quoted and imps >= 1000 else str(imps)
    return LINES[kind].format(s=spelling, i=shown, c=clicks, c5=clicks + 5, m=f"{cents / 100:.2f}")


REASONS = {
    "zero_spend": "zero_impressions",
    "total": "total_row",
    "blank": "blank_id",
    "placeholder": "non_targetable",
    "text": "unreadable_number",
    "empty": "empty_row",
}


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(rows(), min_size=1, max_size=40))
def test_rows_read_equal_rows_scored_plus_rows_dropped(
    tmp_path: Path, spec: list[tuple[str, str, int, int, int, bool]]
) -> None:
    assume(any(r[0] != "empty" for r in spec))
    path = tmp_path / "messy.csv"
    path.write_text(HEADER + "".join(line(*r) for r in spec), encoding="utf-8")
    report = read_report(path, platform=Platform.TRADE_DESK)
    table = preprocess(report, AnalysisLevel.DOMAIN)
    quality = table.quality

    expected = Counter(REASONS[r[0]] for r in spec if r[0] in REASONS)
    kept = [r for r in spec if r[0] in KEPT]
    per_site = Counter[str]()
    for r in kept:
        per_site[SPELLINGS[r[1]]] += r[2]
    unrated = [r for r in kept if per_site[SPELLINGS[r[1]]] <= 0]
    if unrated:
        expected["no_impressions"] = len(unrated)
    got = {d.reason: d.rows for d in quality.dropped}

    assert quality.rows_read == len(spec)
    assert quality.rows_read == quality.rows_scored + quality.rows_dropped
    assert got == dict(expected)
    assert quality.rows_scored == len(kept) - len(unrated)
    assert int(table.frame["n_rows"].sum()) == quality.rows_scored
    rated = {s: n for s, n in per_site.items() if n > 0}
    assert dict(zip(table.frame.index, table.frame["impressions"], strict=True)) == rated
    assert all(d.examples for d in quality.dropped)  # every reason shows where to look
    unreadable = [d for d in quality.dropped if d.reason == "unreadable_number"]
    for d in unreadable:
        assert all("Impressions 'about" in e for e in d.examples)
