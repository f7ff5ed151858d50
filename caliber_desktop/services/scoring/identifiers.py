"""Site identifiers: normalise what a report wrote and say what kind of thing it is.

A report names the same site many ways (``WWW.X.com``, ``https://x.com/a?b``, ``x.com.``) and
mixes web domains with app ids. Scoring must group every spelling of one site, and the lists must
put each id on the list a DSP accepts for it, so this module turns a raw cell into
``(site_id, host, kind)``:

* ``domain`` — lowercased, IDNA-encoded host; ``site_id`` is its registrable domain (eTLD+1) by
  the bundled Public Suffix List (``m.x.co.uk`` → ``x.co.uk``), ``host`` keeps the subdomain.
* ``bundle`` — reverse-DNS app bundle (``com.zynga.words``), lowercased, never web-normalised.
* ``store_id`` — ``^\\d+$`` (iOS / Roku store ids) or ``^id\\d+$``, lowercased.
* ``app_name`` — free-text CTV app name (``Pluto TV - Movies``); case kept, spaces collapsed.
* ``supply_vendor`` — at the supply-vendor level every targetable value is a vendor name.
* ``non_targetable`` — ``Other``, ``Unknown``, ``(not set)``, totals, blank…: cannot go on a list.

Domain or bundle? Both are dot-separated labels. The rule (first match wins):

1. A URL (scheme, ``/``, ``?``, ``@``, ``#``, port) or a leading ``www.`` is web.
2. First label a classic generic root (``com``, ``net``, ``org``, ``edu``, ``gov``, ``mil``,
   ``int``), or Adobe AIR's ``air.`` before one → bundle: no real site uses those as a
   subdomain, every bundle convention does (``com.example.app``, ``com.planethealth.tv``,
   ``air.com.king.game``). ``example.com`` starts with ``example``.
3. Last label not a top-level domain → bundle (``com.zynga.words``, ``air.com.x.game``).
4. First label a two-letter country code and last label neither a country code nor a legacy
   gTLD (``com``, ``net``, ``org``, ``info``, ``biz``…) → bundle: ``tv.pluto.android`` (``tv``
   root, ``android`` is a newer gTLD). ``tv.example.com`` and ``de.yahoo.com`` stay domains:
   language/section subdomains are common under classic TLDs. Accepted blind spot: a host such
   as ``fr.example.app`` is read as a bundle.
5. Otherwise a domain (``pluto.tv``, ``news.foo.xyz``).

The shape alone cannot tell every Android package from a web host: package names need not start
with ``com.`` and their last label is often a real gTLD (``tile.match.zen.games``,
``word.quest.android``, ``weather.radar.app``, ``de.example.quiz.es``). Cutting such an id to a
"registrable domain" merges unrelated apps into one fake site (``zen.games``) and puts it on a
web list. So the row's own evidence comes first (:func:`app_identifier`, applied by
:mod:`.id_column`): a row that names an app (TTD's ``App`` column beside ``Site``), a site column
that holds apps (``App Bundle``), or a CTV report makes a dotted id an app bundle, kept whole —
unless it is written as a URL (scheme, path or ``www.``), which no app id is.

Public Suffix List: both sections, ICANN and private. The lists we write target registrable
domains, and under a private suffix (``blogspot.com``, ``github.io``) each registrable domain
(``foo.blogspot.com``) belongs to a different owner: merging them into ``blogspot.com`` would
let one made-for-advertising blog get every blog blocked, and DSPs accept such hosts as list
entries. A host that is itself a private suffix (``blogspot.com``) falls back to the ICANN
answer, so it stays targetable; a host that is an ICANN suffix (``co.uk``) is non-targetable.

Bundled PSL snapshot: ``data/public_suffix_list.dat``, taken unchanged from the PyPI wheel
``publicsuffixlist`` 1.1.2.20261023; its header reads ``VERSION: 2026-10-22_08-36-41_UTC`` and
``COMMIT: 8437e5262f13305f94087abe699b4fe2be1d1de8``. The list is © its contributors under the
Mozilla Public License 2.0 (https://mozilla.org/MPL/2.0/); we ship it unmodified. It is read
from the package, never fetched: update by replacing the file and the lines above.

A whole column (each distinct value once, clean hosts with Arrow kernels) is classified by
:mod:`.id_column`, which must agree with :func:`classify_id` value for value.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from encodings import idna as _idna
from importlib import resources

from caliber_desktop.models.enums import AnalysisLevel
from caliber_desktop.services.scoring.model import SiteKind

PSL_SOURCE = "publicsuffixlist 1.1.2.20261023 (PSL 2026-10-22_08-36-41_UTC, commit 8437e52)"

#: Cells that name no site; matched after trimming and case-folding.
NON_TARGETABLE: frozenset[str] = frozenset(
    {
        "other",
        "others",
        "unknown",
        "(not set)",
        "(not available)",
        "not set",
        "n/a",
        "[tail aggregate]",
        "grand total",
        "total",
        "totals",
        "row labels",
        "(blank)",
        "(other)",
        "(unknown)",
        "-",
        "--",
        "—",
        "–",
        "null",
    }
)
_TOTAL_RE = re.compile(r"^\s*(grand\s+)?totals?\s*:?\s*$", re.IGNORECASE)

_BUNDLE_ROOTS = frozenset({"com", "net", "org", "edu", "gov", "mil", "int"})
_LEGACY_GTLDS = frozenset(
    {"com", "net", "org", "info", "biz", "edu", "gov", "mil", "int", "name", "pro", "mobi"}
)
_STORE_ID_RE = re.compile(r"^(?:id)?\d+$", re.IGNORECASE)
_BUNDLE_RE = re.compile(r"^[a-z][a-z0-9_-]*(?:\.[a-z0-9_][a-z0-9_-]*)+$")
_LDH_LABEL_RE = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")
_IPV4_RE = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")
_URL_HINT_RE = re.compile(r"://|[/?#@\\]|:\d+$|^www\d?\.", re.IGNORECASE)
_WWW_RE = re.compile(r"^www\d?\.(?=[^.]+\.)")  # only when a domain remains
_SPACE_RE = re.compile(r"\s+")
_HAS_SPACE_RE = re.compile(r"\s")
_LABEL = r"[a-zA-Z0-9_](?:[a-zA-Z0-9_-]{0,61}[a-zA-Z0-9_])?"
_PLAIN_HOST_RE = re.compile(rf"^(?:{_LABEL}\.)+{_LABEL}\.?$")


# ----------------------------------------------------------------------------- public suffix list


@dataclass(frozen=True)
class _Section:
    """Rules (punycode, lowercase) of one view of the list."""

    normal: frozenset[str]
    wildcard: frozenset[str]  # "*.ck" stored as "ck"
    exception: frozenset[str]  # "!www.ck" stored as "www.ck"


@dataclass(frozen=True)
class _Rules:
    icann: _Section
    full: _Section  # ICANN + private
    tlds: frozenset[str]  # every top-level label the list knows


_rules: _Rules | None = None
_rules_lock = threading.Lock()


def _to_ascii(label: str) -> str:
    """One label to its IDNA (punycode) form; raises ``ValueError`` when it cannot be encoded."""
    if label.isascii():
        return label.lower()
    try:
        return _idna.ToASCII(label).decode("ascii").lower()
    except UnicodeError as exc:  # e.g. a label IDNA 2003 refuses: encode plain punycode instead
        try:
            return "xn--" + label.lower().encode("punycode").decode("ascii")
        except UnicodeError:
            raise ValueError(label) from exc


def _parse(text: str) -> _Rules:
    kinds: dict[str, tuple[set[str], set[str]]] = {k: (set(), set()) for k in "nwe"}
    private = False
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("//"):
            if "===BEGIN PRIVATE DOMAINS===" in line:
                private = True
            continue
        rule = line.split()[0] if line else ""
        if not rule:
            continue
        kind = "n"
        if rule.startswith("!"):
            kind, rule = "e", rule[1:]
        elif rule.startswith("*."):
            kind, rule = "w", rule[2:]
        try:  # an ASCII rule is its own punycode: only ~500 rules need the IDNA codec
            key = rule.lower() if rule.isascii() else ".".join(map(_to_ascii, rule.split(".")))
        except ValueError:
            continue
        icann_set, full_set = kinds[kind]
        full_set.add(key)
        if not private:
            icann_set.add(key)
    icann = _Section(*(frozenset(kinds[k][0]) for k in "nwe"))
    full = _Section(*(frozenset(kinds[k][1]) for k in "nwe"))
    tlds = frozenset(r.rsplit(".", 1)[-1] for r in (*full.normal, *full.wildcard, *full.exception))
    return _Rules(icann, full, tlds)


def _load() -> _Rules:
    """The list, parsed once per process on first use (lazily: importing this costs nothing)."""
    global _rules
    rules = _rules
    if rules is None:
        with _rules_lock:
            if _rules is None:
                source = resources.files("caliber_desktop.services.scoring") / "data"
                text = (source / "public_suffix_list.dat").read_text(encoding="utf-8")
                _rules = _parse(text)
            rules = _rules
    return rules


def public_suffix(host: str, *, include_private: bool = True) -> str:
    """The public suffix of an ASCII, lowercased ``host`` by the PSL algorithm.

    Exception rules win, then the matching rule with the most labels; with no match the
    implicit ``*`` rule makes the last label the suffix.
    """
    rules = _load()
    section = rules.full if include_private else rules.icann
    labels = host.split(".")
    suffixes = [".".join(labels[i:]) for i in range(len(labels))]  # longest first
    for i, suffix in enumerate(suffixes):
        if suffix in section.exception:
            return suffixes[i + 1]  # an exception always sits under a wildcard
    last = len(suffixes) - 1
    for i, suffix in enumerate(suffixes):
        if suffix in section.normal or (i < last and suffixes[i + 1] in section.wildcard):
            return suffix
    return labels[-1]


def registrable_domain(host: str, *, include_private: bool = True) -> str | None:
    """eTLD+1 of an ASCII lowercased ``host``; None when the host is itself a public suffix."""
    suffix = public_suffix(host, include_private=include_private)
    if host == suffix:
        return None
    head = host[: -len(suffix) - 1]
    return f"{head.rsplit('.', 1)[-1]}.{suffix}"


def is_tld(label: str) -> bool:
    """Whether the PSL knows ``label`` (ASCII, lowercase) as a top-level domain."""
    return label in _load().tlds


# ----------------------------------------------------------------------------- web hosts


def normalize_host(value: str) -> str | None:
    """A URL or host as written → lowercase IDNA host without ``www.``; None if it is no host.

    Strips spaces, scheme, user-info, path, query, fragment, port, the trailing dot and one
    leading ``www.``/``www1.``/``www2.``. Never use it on app ids.
    """
    text = value.strip()
    if _PLAIN_HOST_RE.match(text):  # the common case: already a bare host
        host = _WWW_RE.sub("", text.rstrip(".").lower())
        return host if len(host) <= 253 else None
    if "://" in text:
        text = text.split("://", 1)[1]
    elif text.startswith("//"):
        text = text[2:]
    text = re.split(r"[/?#\\]", text, maxsplit=1)[0]
    text = text.rsplit("@", 1)[-1]
    if text.startswith("["):  # an IPv6 literal: not a site a list can name
        return None
    text = text.split(":", 1)[0].strip().rstrip(".").lower()
    text = _WWW_RE.sub("", text)
    if not text or _HAS_SPACE_RE.search(text):
        return None
    try:
        labels = [_to_ascii(label) for label in text.split(".")]
    except ValueError:
        return None
    if not all(_LDH_LABEL_RE.match(label) for label in labels):
        return None
    host = ".".join(labels)
    return host if len(host) <= 253 else None


# ----------------------------------------------------------------------------- classification


@dataclass(frozen=True)
class Identifier:
    """One raw cell, understood: ``site_id`` is what goes on a list (or is grouped on)."""

    site_id: str
    host: str
    kind: SiteKind


def is_total_label(value: str) -> bool:
    """``Total``/``Grand Total`` (any case, ``Totals``, trailing colon): a report's sum row."""
    return bool(_TOTAL_RE.match(value))


def is_non_targetable(value: str) -> bool:
    """Blank, a placeholder (``(not set)``, ``Other``…) or a total: no list can name it."""
    text = _SPACE_RE.sub(" ", value.strip()).casefold()
    return not text or text in NON_TARGETABLE or bool(_TOTAL_RE.match(text))


def _web(host: str | None) -> Identifier | None:
    if host is None:
        return None
    if _IPV4_RE.match(host):
        return Identifier(host, host, "domain")
    if not is_tld(host.rsplit(".", 1)[-1]):
        return None
    reg = registrable_domain(host)
    if reg is None:
        reg = registrable_domain(host, include_private=False)
    if reg is None:  # an ICANN suffix such as "co.uk": nothing to target
        return Identifier(host, host, "non_targetable")
    return Identifier(reg, host, "domain")


def _looks_like_bundle(text: str) -> bool:
    """Rules 2–4 of the module docstring, on a lowercased dotted value without spaces."""
    if not _BUNDLE_RE.match(text):
        return False
    labels = text.split(".")
    first, last = labels[0], labels[-1]
    if (
        first in _BUNDLE_ROOTS
        or not is_tld(last)
        or (first == "air" and labels[1] in _BUNDLE_ROOTS)
    ):
        return True
    return (
        len(labels) >= 3
        and len(first) == 2
        and is_tld(first)
        and len(last) != 2
        and last not in _LEGACY_GTLDS
    )


def app_identifier(value: str, found: Identifier) -> Identifier:
    """``found`` (the shape's answer for ``value``) for a row known to be in an app.

    A web answer becomes a bundle kept whole (lowercased, trailing dot dropped) unless the cell
    is written as a URL; every other answer (store id, bundle, app name, placeholder) stands.
    """
    if found.kind != "domain":
        return found
    text = _SPACE_RE.sub(" ", value.strip())
    if " " in text or _URL_HINT_RE.search(text) or _IPV4_RE.match(text):
        return found
    return Identifier(text.lower().rstrip("."), "", "bundle")


def classify_id(value: str, level: AnalysisLevel | str = AnalysisLevel.DOMAIN) -> Identifier:
    """Normalise and classify one raw cell (see the module docstring for the rules)."""
    text = _SPACE_RE.sub(" ", value.strip())
    if is_non_targetable(text):
        return Identifier(text, "", "non_targetable")
    if str(level) == AnalysisLevel.SUPPLY_VENDOR.value:
        return Identifier(text, "", "supply_vendor")
    if _STORE_ID_RE.match(text):
        lowered = text.lower()
        return Identifier(lowered, "", "store_id")
    if " " not in text:
        lowered = text.lower()
        if not _URL_HINT_RE.search(text) and _looks_like_bundle(lowered.rstrip(".")):
            return Identifier(lowered.rstrip("."), "", "bundle")
        if "." in text or _URL_HINT_RE.search(text):
            web = _web(normalize_host(text))
            if web is not None:
                return web
    elif _URL_HINT_RE.search(text) and text.lower().startswith(("http://", "https://")):
        web = _web(normalize_host(text.split(" ", 1)[0]))
        if web is not None:
            return web
    return Identifier(text, "", "app_name")
