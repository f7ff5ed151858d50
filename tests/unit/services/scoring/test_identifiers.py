"""Identifier normalisation and classification against the bundled Public Suffix List."""

from __future__ import annotations

import random
import threading
from importlib import resources

import pandas as pd
import pytest

from caliber_desktop.models.enums import AnalysisLevel
from caliber_desktop.services.scoring import id_column, identifiers
from caliber_desktop.services.scoring.id_column import classify_column, classify_ids
from caliber_desktop.services.scoring.identifiers import (
    Identifier,
    classify_id,
    is_non_targetable,
    is_total_label,
    normalize_host,
    public_suffix,
    registrable_domain,
)

# ----------------------------------------------------------------------------- the bundled list


def test_the_psl_snapshot_is_bundled_with_its_licence_and_version() -> None:
    data = resources.files("caliber_desktop.services.scoring") / "data"
    text = (data / "public_suffix_list.dat").read_text(encoding="utf-8")
    assert "Mozilla Public" in text
    assert "// VERSION: 2026-10-22_08-36-41_UTC" in text
    assert "===BEGIN PRIVATE DOMAINS===" in text
    assert "2026-10-22" in identifiers.PSL_SOURCE


def test_the_list_loads_once_across_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(identifiers, "_rules", None)
    calls: list[int] = []
    real = identifiers._parse

    def counting(text: str) -> identifiers._Rules:
        calls.append(1)
        return real(text)

    monkeypatch.setattr(identifiers, "_parse", counting)
    results: list[identifiers._Rules] = []
    threads = [
        threading.Thread(target=lambda: results.append(identifiers._load())) for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1
    assert all(r is results[0] for r in results)


# ----------------------------------------------------------------------------- PSL algorithm


@pytest.mark.parametrize(
    ("host", "suffix", "registrable"),
    [
        ("example.com", "com", "example.com"),
        ("m.x.co.uk", "co.uk", "x.co.uk"),
        ("a.b.c.example.co.uk", "co.uk", "example.co.uk"),
        ("foo.bar.ck", "bar.ck", "foo.bar.ck"),  # wildcard *.ck
        ("bar.ck", "bar.ck", None),  # a wildcard match is itself a suffix
        ("www.ck", "ck", "www.ck"),  # exception !www.ck
        ("a.www.ck", "ck", "www.ck"),
        ("x.city.kawasaki.jp", "kawasaki.jp", "city.kawasaki.jp"),  # !city.kawasaki.jp
        ("x.other.kawasaki.jp", "other.kawasaki.jp", "x.other.kawasaki.jp"),
        ("com", "com", None),
        ("co.uk", "co.uk", None),
        ("foo.unknowntld", "unknowntld", "foo.unknowntld"),  # implicit "*" rule
        ("xn--bcher-kva.de", "de", "xn--bcher-kva.de"),
        ("foo.xn--55qx5d.cn", "xn--55qx5d.cn", "foo.xn--55qx5d.cn"),  # 公司.cn, IDN rule
    ],
)
def test_public_suffix_and_registrable_domain(
    host: str, suffix: str, registrable: str | None
) -> None:
    assert public_suffix(host) == suffix
    assert registrable_domain(host) == registrable


def test_private_section_is_used_by_default_and_can_be_left_out() -> None:
    assert registrable_domain("myblog.blogspot.com") == "myblog.blogspot.com"
    assert registrable_domain("myblog.blogspot.com", include_private=False) == "blogspot.com"
    assert registrable_domain("a.b.github.io") == "b.github.io"


# ----------------------------------------------------------------------------- web hosts


@pytest.mark.parametrize(
    ("raw", "host"),
    [
        ("example.com", "example.com"),
        ("EXAMPLE.COM", "example.com"),
        ("  example.com  ", "example.com"),
        ("www.example.com", "example.com"),
        ("WWW.Example.com", "example.com"),
        ("www2.example.com", "example.com"),
        ("www1.example.com", "example.com"),
        ("example.com.", "example.com"),
        ("https://example.com", "example.com"),
        ("http://www.example.com/news/", "example.com"),
        ("https://example.com/2024/05/recipes-for-summer", "example.com"),
        ("https://example.com/home?utm_source=feed", "example.com"),
        ("example.com?x=1", "example.com"),
        ("example.com#top", "example.com"),
        ("example.com:8080", "example.com"),
        ("https://user:secret@www.example.com:443/a?b#c", "example.com"),
        ("//cdn.example.com/x.js", "cdn.example.com"),
        ("m.x.co.uk", "m.x.co.uk"),
        ("bücher.de", "xn--bcher-kva.de"),
        ("https://BÜCHER.de/pfad", "xn--bcher-kva.de"),
        ("xn--bcher-kva.de", "xn--bcher-kva.de"),
        ("www.com", "www.com"),  # "www." goes only when a domain remains
    ],
)
def test_normalize_host(raw: str, host: str) -> None:
    assert normalize_host(raw) == host


@pytest.mark.parametrize("raw", ["", "   ", "exa mple.com", "-bad-.com", "a..com", "[::1]:80"])
def test_normalize_host_refuses_what_is_no_host(raw: str) -> None:
    assert normalize_host(raw) is None


# ----------------------------------------------------------------------------- classification


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # web
        ("example.com", Identifier("example.com", "example.com", "domain")),
        ("WWW.Example.COM.", Identifier("example.com", "example.com", "domain")),
        ("http://www.x.com/a?b=1", Identifier("x.com", "x.com", "domain")),
        ("m.x.co.uk", Identifier("x.co.uk", "m.x.co.uk", "domain")),
        ("https://amp.news.x.co.uk/story", Identifier("x.co.uk", "amp.news.x.co.uk", "domain")),
        ("bücher.de", Identifier("xn--bcher-kva.de", "xn--bcher-kva.de", "domain")),
        ("pluto.tv", Identifier("pluto.tv", "pluto.tv", "domain")),
        ("de.yahoo.com", Identifier("yahoo.com", "de.yahoo.com", "domain")),
        ("tv.example.com", Identifier("example.com", "tv.example.com", "domain")),
        ("news.foo.xyz", Identifier("foo.xyz", "news.foo.xyz", "domain")),
        ("mobile.foo.news", Identifier("foo.news", "mobile.foo.news", "domain")),
        ("blogspot.com", Identifier("blogspot.com", "blogspot.com", "domain")),
        ("a.b.ck", Identifier("a.b.ck", "a.b.ck", "domain")),
        ("10.0.0.1", Identifier("10.0.0.1", "10.0.0.1", "domain")),
        # an ICANN suffix on its own names no site
        ("co.uk", Identifier("co.uk", "co.uk", "non_targetable")),
        # bundles: never web-normalised, lowercased
        ("com.zynga.words", Identifier("com.zynga.words", "", "bundle")),
        ("com.example.app", Identifier("com.example.app", "", "bundle")),
        ("Com.Example.App", Identifier("com.example.app", "", "bundle")),
        ("com.planethealth.tv", Identifier("com.planethealth.tv", "", "bundle")),
        ("com.roku.gardenmetera", Identifier("com.roku.gardenmetera", "", "bundle")),
        ("tv.pluto.android", Identifier("tv.pluto.android", "", "bundle")),
        ("com.whatsapp", Identifier("com.whatsapp", "", "bundle")),
        ("air.com.king.game", Identifier("air.com.king.game", "", "bundle")),
        ("uk.co.bbc.iplayer", Identifier("uk.co.bbc.iplayer", "", "bundle")),
        ("com.foo_bar.app", Identifier("com.foo_bar.app", "", "bundle")),
        # store ids
        ("123456789", Identifier("123456789", "", "store_id")),
        ("882578", Identifier("882578", "", "store_id")),  # Roku
        ("id123456789", Identifier("id123456789", "", "store_id")),
        ("ID123456789", Identifier("id123456789", "", "store_id")),
        (" 0042 ", Identifier("0042", "", "store_id")),  # kept as written
        # CTV app names: case kept, spaces trimmed and collapsed
        ("Pluto TV - Movies", Identifier("Pluto TV - Movies", "", "app_name")),
        ("  Pluto  TV ", Identifier("Pluto TV", "", "app_name")),
        ("pluto tv", Identifier("pluto tv", "", "app_name")),
        ("Buzz+", Identifier("Buzz+", "", "app_name")),
        ("Hulu", Identifier("Hulu", "", "app_name")),
        ("AT&T/DirecTV", Identifier("AT&T/DirecTV", "", "app_name")),
    ],
)
def test_classify_id(raw: str, expected: Identifier) -> None:
    assert classify_id(raw) == expected


@pytest.mark.parametrize(
    ("bundle", "domain"),
    [("com.example.app", "example.com"), ("tv.pluto.android", "pluto.tv")],
)
def test_a_bundle_is_not_the_reversed_domain(bundle: str, domain: str) -> None:
    assert classify_id(bundle).kind == "bundle"
    assert classify_id(domain).kind == "domain"
    assert classify_id(f"https://{domain}/x").site_id == domain


NON_TARGETABLE = [
    "Other",
    "OTHER",
    "Unknown",
    "unknown",
    "(not set)",
    "(Not Set)",
    "(not available)",
    "[tail aggregate]",
    "[Tail Aggregate]",
    "Grand Total",
    "GRAND TOTAL",
    "Total",
    "total",
    "Row Labels",
    "",
    "   ",
    "\t",
]


@pytest.mark.parametrize("raw", NON_TARGETABLE)
def test_non_targetable_spellings(raw: str) -> None:
    assert is_non_targetable(raw)
    assert classify_id(raw).kind == "non_targetable"
    assert classify_id(raw, AnalysisLevel.SUPPLY_VENDOR).kind == "non_targetable"


def test_blank_has_an_empty_site_id() -> None:
    assert classify_id("  ").site_id == ""


@pytest.mark.parametrize(
    ("raw", "total"),
    [("Total", True), ("Grand Total", True), ("totals:", True), ("Total Wine", False), ("", False)],
)
def test_total_labels(raw: str, total: bool) -> None:
    assert is_total_label(raw) is total


def test_supply_vendor_level_keeps_vendor_names() -> None:
    assert classify_id(" Index  Exchange ", "supply_vendor") == Identifier(
        "Index Exchange", "", "supply_vendor"
    )
    assert classify_id("Media.net", AnalysisLevel.SUPPLY_VENDOR).kind == "supply_vendor"


# ----------------------------------------------------------------------------- vectorised


def test_classify_ids_maps_every_row_and_keeps_the_index() -> None:
    values = pd.Series(
        ["WWW.X.com", "x.com", None, "com.a.b", "x.com", "Other", "123"], index=list("abcdefg")
    )
    out = classify_ids(values)
    assert list(out.columns) == ["site_id", "host", "kind"]
    assert list(out.index) == list("abcdefg")
    assert list(out["site_id"]) == ["x.com", "x.com", "", "com.a.b", "x.com", "Other", "123"]
    assert list(out["kind"]) == [
        "domain",
        "domain",
        "non_targetable",
        "bundle",
        "domain",
        "non_targetable",
        "store_id",
    ]


def test_classify_ids_classifies_each_distinct_value_once(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []
    real = identifiers.classify_id

    def spy(value: str, level: AnalysisLevel | str = AnalysisLevel.DOMAIN) -> Identifier:
        seen.append(value)
        return real(value, level)

    monkeypatch.setattr(identifiers, "classify_id", spy)
    out = classify_ids(pd.Series(["https://a.com/x", "Pluto TV", "a.com", "b.com"] * 250))
    assert sorted(seen) == ["Pluto TV", "https://a.com/x"]  # clean hosts need no call at all
    assert len(out) == 1000
    assert list(out["site_id"][:4]) == ["a.com", "Pluto TV", "a.com", "b.com"]


def _generated_ids(seed: int, count: int) -> list[str]:
    """Ids near every branch of the rules: PSL rules with labels above, odd labels, cases."""
    rng = random.Random(seed)
    rules = identifiers._load().full
    every = sorted(rules.normal | rules.wildcard | rules.exception)
    words = ["com", "net", "org", "air", "www", "www1", "co", "uk", "tv", "de", "app", "android"]
    words += ["io", "blogspot", "ck", "jp", "kawasaki", "city", "id", "123", "1", "255", "x", "m"]
    words += ["xn--bcher-kva", "-a", "a-", "_a", "a" * 63, "b" * 64]
    out = []
    for _ in range(count):
        r = rng.random()
        if r < 0.35:
            rule = rng.choice(every).replace("*", rng.choice(["x", "www", "city"]))
            value = ".".join([rng.choice(words) for _ in range(rng.randint(0, 3))] + [rule])
        elif r < 0.7:
            value = ".".join(rng.choice(words) for _ in range(rng.randint(1, 8)))
        elif r < 0.85:
            value = "".join(rng.choice("abcxyz019_-.ABZ") for _ in range(rng.randint(0, 12)))
        else:
            value = rng.choice(["id", "ID", "Id", ""]) + str(rng.randint(0, 10**9))
        if rng.random() < 0.2:
            value = value.upper() if rng.random() < 0.5 else value.title()
        if rng.random() < 0.05:
            value += rng.choice([".", " ", ":80", "/x"])
        out.append(value)
    return out


FAST_PATH_CASES = [
    "example.com", "Example.COM", "m.x.co.uk", "X.CO.UK", "co.uk", "blogspot.com",
    "myblog.blogspot.com", "a.b.github.io", "a.b.ck", "www.ck", "b.ck", "city.kawasaki.jp",
    "x.city.kawasaki.jp", "a.b.kawasaki.jp", "10.0.0.1", "1.2.3.4.5", "256.1.1.1", "123.com",
    "com.zynga.words", "Com.Example.App", "tv.pluto.android", "de.yahoo.com", "fr.example.app",
    "air.com.king.game", "air.x", "uk.co.bbc.iplayer", "a.b", "_dmarc.x.com", "x_y.com",
    "-x.com", "x-.com", "a..b", "x.com.", "www.x.com", "WWW1.x.com", "www.com", "wwwx.com",
    "123", "id123", "ID00", "iD1", "id", "idx1", "١٢٣", "xn--bcher-kva.de", "bücher.de",
    ("a" * 63) + ".com", ("a" * 64) + ".com", ".".join(["a" * 60] * 4) + ".com",
    "a.b.c.d.e.f.g.h.i",
]  # fmt: skip


@pytest.mark.parametrize("level", [AnalysisLevel.DOMAIN, AnalysisLevel.SUPPLY_VENDOR])
@pytest.mark.parametrize("seed", [0, 1])
def test_the_column_path_agrees_with_classify_id(level: AnalysisLevel, seed: int) -> None:
    values = FAST_PATH_CASES + _generated_ids(seed, 4000)
    ids = classify_column(pd.Series(values, dtype="str"), level)
    got = list(zip(ids.site_id, ids.host, ids.kind, strict=True))
    expected = [(f.site_id, f.host, f.kind) for f in (classify_id(v, level) for v in ids.raw)]
    assert got == expected
    assert all(type(v) is str for v in got for v in v)


def test_most_clean_hosts_take_the_arrow_path() -> None:
    values = pd.Series(["news.x.com", "com.x.app", "X.co.uk", "co.uk", "123", "Pluto TV", "a.b"])
    arrow = id_column.pa.array(values.astype("string").array).cast(id_column.pa.large_string())
    idx, *_ = id_column._classify_fast(arrow, values.to_numpy(dtype=object))
    assert sorted(values[idx]) == ["123", "X.co.uk", "a.b", "co.uk", "com.x.app", "news.x.com"]


def test_classify_ids_on_an_empty_series() -> None:
    out = classify_ids(pd.Series([], dtype=object))
    assert out.empty
    assert list(out.columns) == ["site_id", "host", "kind"]
