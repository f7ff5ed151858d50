"""The report's fonts: vendored TrueType files, embedded (subset) in every PDF, with fallback.

Site names come from third parties and can be in any script (``bücher.de``, ``пример.рф``,
``例え.jp``, ``مثال.مصر``). No single free TrueType font covers them all, so text is split into
runs by glyph coverage: DejaVu Sans first (Latin, Greek, Cyrillic, Arabic, Hebrew basics), then a
Noto font per script, then Droid Sans Fallback (Chinese, Japanese) and NanumSquare (Korean
Hangul). Each run becomes a ``<font name=…>`` span
of a Paragraph. Only TrueType-outline (``glyf``) fonts are used: reportlab cannot embed CFF.

The standard 14 PDF fonts (Helvetica…) are never used, so the file renders the same everywhere.

Complex scripts (Arabic joining, Indic conjuncts, Thai and Hebrew marks) are shaped by HarfBuzz
(``uharfbuzz``) through reportlab's paragraph ``shaping``. reportlab shapes word by word and does
no bidi in a paragraph of several fonts, so the work is split:

* HarfBuzz orders the letters *inside* a word (a right-to-left word comes out in display order);
  :func:`word_order` puts the *words* of right-to-left runs in display order.
* reportlab shapes a whole word with the font of its first part; :func:`_shape_by_font` (installed
  once by :func:`register_fonts`) shapes each font's part on its own, so ``ตัวอย่าง.ไทย`` (the dot
  is not in the Thai font) keeps the right glyphs.
* Text HarfBuzz cannot order in a word-based way — a word mixing right-to-left and left-to-right
  letters (``مثال.com``), or a right-to-left word drawn in two fonts — is not shaped: the whole
  paragraph falls back to :func:`visual_order` (display order by grapheme, letters unjoined).
  Without ``uharfbuzz`` everything takes that fallback.
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Iterator
from contextlib import ExitStack
from importlib import resources
from pathlib import Path
from typing import Any

from reportlab.graphics import shapes
from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics, ttfonts
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import paragraph as rl_paragraph

#: The body font and its bold; every paragraph style and chart label uses one of these.
REGULAR = "CaliberSans"
BOLD = "CaliberSans-Bold"
#: Font name → file, in fallback order after the body font.
_FILES: dict[str, str] = {
    REGULAR: "DejaVuSans.ttf",
    BOLD: "DejaVuSans-Bold.ttf",
    "CaliberArabic": "NotoSansArabic-Regular.ttf",
    "CaliberHebrew": "NotoSansHebrew-Regular.ttf",
    "CaliberThai": "NotoSansThai-Regular.ttf",
    "CaliberDevanagari": "NotoSansDevanagari-Regular.ttf",
    "CaliberBengali": "NotoSansBengali-Regular.ttf",
    "CaliberTamil": "NotoSansTamil-Regular.ttf",
    "CaliberGeorgian": "NotoSansGeorgian-Regular.ttf",
    "CaliberArmenian": "NotoSansArmenian-Regular.ttf",
    "CaliberCJK": "DroidSansFallbackFull.ttf",
    "CaliberHangul": "NanumSquareR.ttf",
}
FALLBACKS: tuple[str, ...] = tuple(name for name in _FILES if name not in (REGULAR, BOLD))

_lock = threading.Lock()
_coverage: dict[str, frozenset[int]] = {}
_keep_open = ExitStack()  # keeps an extracted copy alive if the package is ever zipped
_shaping: list[bool] = []  # [whether shaping works], set by register_fonts


def font_file(filename: str) -> Path:
    """A vendored font as a real file (reportlab's TTFont opens a path).

    The fonts are in the top-level ``resources/fonts`` folder, packaged (wheel, editable install,
    bundle) as ``caliber_desktop.resources``. Installed, they already are files; ``as_file``
    extracts one to a temporary file only where the package is not on disk, one file at a time
    (Python 3.11's ``as_file`` cannot extract a folder).
    """
    ref = resources.files("caliber_desktop.resources").joinpath("fonts", filename)
    return Path(_keep_open.enter_context(resources.as_file(ref)))


def register_fonts() -> None:
    """Register every vendored font with reportlab once per process (thread-safe, idempotent)."""
    with _lock:
        if _coverage:
            return
        for name, filename in _FILES.items():
            font = TTFont(name, str(font_file(filename)))
            pdfmetrics.registerFont(font)
            _coverage[name] = frozenset(font.face.charToGlyph)
        # <b> switches the body font to its bold face; there is no italic, and the fallback
        # fonts have one face only (a paragraph that asks for more must not fail).
        for name in _FILES:
            for bold in (0, 1):
                for italic in (0, 1):
                    face = BOLD if name in (REGULAR, BOLD) and (bold or name == BOLD) else name
                    addMapping(name, bold, italic, face)
        # A drawing starts its text state in this font even when every label names its own;
        # left at Helvetica, every chart would pull a non-embedded font into the PDF.
        shapes.STATE_DEFAULTS["fontName"] = REGULAR
        _shaping.append(_install_shaping())


def _install_shaping() -> bool:
    """Whether reportlab can shape here (``uharfbuzz`` importable, fonts shapable); if so, make
    its per-word shaping respect font changes inside a word (see :func:`_shape_by_font`)."""
    original = getattr(rl_paragraph, "shapeFragWord", None)
    if not getattr(ttfonts, "uharfbuzz", None) or original is None:
        return False
    if not all(getattr(pdfmetrics.getFont(name), "shapable", False) for name in _FILES):
        return False
    if not getattr(original, "_caliber", False):
        wrapped = _shape_by_font(original)
        rl_paragraph.shapeFragWord = wrapped
    return True


def shaping() -> bool:
    """Whether complex scripts are shaped (HarfBuzz available), else :func:`visual_order`."""
    register_fonts()
    return _shaping[0]


def _shape_by_font(original: Any) -> Any:
    """reportlab's ``shapeFragWord``, but a word in several fonts is shaped font part by font part.

    reportlab shapes a word (a list ``[width, (frag, text), …]``) with the font of its first part
    and then reads every glyph id in the font of its own part: a word such as ``ตัวอย่าง.ไทย``
    (the dot comes from the body font) would get wrong glyphs. Each part in one font is a
    separate HarfBuzz run here; a word in one font goes to reportlab untouched. A word without
    complex-script letters is not shaped at all, so our own sentences around a shaped site name
    keep their plain glyphs.
    """

    def shape(word: Any, *args: Any, **kwargs: Any) -> Any:
        parts = word[1:]
        if not needs_shaping("".join(text for _, text in parts if isinstance(text, str))):
            return word  # Latin, CJK…: plain glyphs (no "st"/"fi" ligatures that extract oddly)
        if (
            isinstance(word, ttfonts.ShapedFragWord)
            or any(hasattr(frag, "cbDefn") for frag, _ in parts)
            or len({frag.fontName for frag, _ in parts}) < 2
        ):
            return original(word, *args, **kwargs)
        groups: list[list[Any]] = []
        for part in parts:
            if groups and groups[-1][-1][0].fontName == part[0].fontName:
                groups[-1].append(part)
            else:
                groups.append([part])
        width, shaped, changed = 0.0, [], False
        for group in groups:
            plain = [
                sum(pdfmetrics.stringWidth(text, f.fontName, f.fontSize) for f, text in group),
                *group,
            ]
            result = original(plain, *args, **kwargs)
            changed = changed or result is not plain
            width += result[0]
            shaped += result[1:]
        if not changed:
            return word
        return ttfonts.makeShapedFragWord(word)([width, *shaped])

    shape._caliber = True  # type: ignore[attr-defined]
    return shape


def covers(font: str, char: str) -> bool:
    register_fonts()
    return ord(char) in _coverage[font]


def clean(text: object) -> str:
    """Third-party text made printable: controls dropped, runs of whitespace kept as one space."""
    raw = "" if text is None else str(text)
    kept = (
        " " if ch.isspace() else ch
        for ch in raw
        if ch.isspace() or unicodedata.category(ch) not in ("Cc", "Cs", "Co", "Cn")
    )
    return " ".join("".join(kept).split())


def font_for(char: str, base: str) -> str:
    """The first font (``base``, then the fallbacks) that has a glyph for ``char``."""
    register_fonts()
    code = ord(char)
    if code in _coverage[base] or char.isspace():
        return base
    for name in FALLBACKS:
        if code in _coverage[name]:
            return name
    return base  # nothing has it: the base font's "missing glyph" box, never a crash


def runs(text: str, base: str = REGULAR) -> Iterator[tuple[str, str]]:
    """``text`` as (font, run) pairs, each run drawable in its font.

    Combining marks stay with the run of their base character, so a mark never lands in
    another font than the letter it sits on; punctuation and digits stay in a fallback font's run
    when that font has them, so a word of one script is drawn (and shaped) in one font.
    """
    current, start = "", 0
    for i, ch in enumerate(text):
        if current and unicodedata.combining(ch) and covers(current, ch):
            continue
        if current and _neutral(ch) and current not in (REGULAR, BOLD) and covers(current, ch):
            continue  # "उदाहरण.भारत": the dot stays in the Devanagari run (one font to shape)
        font = font_for(ch, base)
        if font != current:
            if current:
                yield current, text[start:i]
            current, start = font, i
    if current:
        yield current, text[start:]


def _neutral(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "PSN"


def escape(text: str) -> str:
    """Paragraph markup is XML: third-party text must never be read as tags or entities."""
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


_RTL = frozenset({"R", "AL"})
_MIRROR = str.maketrans("()[]{}<>«»", ")(][}{><»«")


def visual_order(text: str) -> str:
    """``text`` in left-to-right drawing order: right-to-left runs reversed (a small bidi).

    Enough for names and short sentences: the base direction is that of the first strong
    character; a right-to-left run (with the neutrals inside it) is reversed by grapheme (a letter
    keeps its marks), numbers and Latin words inside it keep their own order, brackets are
    mirrored. Text without Hebrew or Arabic letters is returned unchanged.
    """
    if not any(unicodedata.bidirectional(ch) in _RTL for ch in text):
        return text
    clusters: list[str] = []
    for ch in text:
        if clusters and unicodedata.combining(ch):
            clusters[-1] += ch
        else:
            clusters.append(ch)
    kinds = [_strength(c[0]) for c in clusters]
    base = next((k for k in kinds if k != "N"), "L")
    resolved = list(kinds)
    for i, kind in enumerate(kinds):  # a neutral takes the direction around it, else the base
        if kind == "N":
            before = next((k for k in reversed(kinds[:i]) if k != "N"), base)
            after = next((k for k in kinds[i + 1 :] if k != "N"), base)
            resolved[i] = before if before == after else base
    groups: list[tuple[str, list[str]]] = []
    for cluster, kind in zip(clusters, resolved, strict=True):
        if groups and groups[-1][0] == kind:
            groups[-1][1].append(cluster)
        else:
            groups.append((kind, [cluster]))
    parts = [
        "".join(reversed(members)).translate(_MIRROR) if kind == "R" else "".join(members)
        for kind, members in groups
    ]
    return "".join(reversed(parts) if base == "R" else parts)


#: Scripts HarfBuzz must shape: Hebrew–Arabic–Syriac–Thaana–N'Ko, Indic, Thai/Lao, Tibetan,
#: Myanmar, Khmer, Devanagari extended, Hebrew/Arabic presentation forms.
_COMPLEX = (
    (0x0590, 0x08FF),
    (0x0900, 0x0DFF),
    (0x0E00, 0x0EFF),
    (0x0F00, 0x0FFF),
    (0x1000, 0x109F),
    (0x1780, 0x17FF),
    (0xA8E0, 0xA8FF),
    (0xFB1D, 0xFDFF),
    (0xFE70, 0xFEFF),
)


def needs_shaping(text: str) -> bool:
    """Whether ``text`` has letters of a complex script (joining, conjuncts, marks)."""
    return any(lo <= ord(ch) <= hi for ch in text for lo, hi in _COMPLEX)


def shapable(text: str, base: str = REGULAR) -> bool:
    """Whether ``text`` should be drawn shaped: HarfBuzz is there, the text needs it, and every
    word can be shaped as a whole — one direction, and a right-to-left word in one font."""
    if not needs_shaping(text) or not shaping():
        return False
    first = next((k for k in map(_strength, text) if k != "N"), "L")
    for word in text.split():
        strong = {_strength(ch) for ch in word} - {"N"}
        if len(strong) > 1:
            return False
        if "R" in strong:
            if len({font for font, _ in runs(word, base)}) > 1:
                return False
            letters = "".join(ch for ch in word if not unicodedata.combining(ch))
            if first == "L" and "N" in (_strength(letters[0]), _strength(letters[-1])):
                return False  # "مثال," in a left-to-right sentence: the comma belongs on the right
    return True


def word_order(text: str) -> str:
    """``text`` with the words of right-to-left runs in display order, letters untouched.

    For shaped text: HarfBuzz puts the letters of each right-to-left word in display order; this
    orders the words around them (same rules as :func:`visual_order`, by word, not by letter).
    Brackets standing alone inside a right-to-left run are mirrored (HarfBuzz mirrors the others).
    """
    words = text.split(" ")
    if len(words) < 2 or not any(unicodedata.bidirectional(ch) in _RTL for ch in text):
        return text
    kinds = []
    for word in words:
        strong = [k for k in map(_strength, word) if k != "N"]
        kinds.append(strong[0] if strong else "N")
    base = next((k for k in kinds if k != "N"), "L")
    resolved = list(kinds)
    for i, kind in enumerate(kinds):
        if kind == "N":
            before = next((k for k in reversed(kinds[:i]) if k != "N"), base)
            after = next((k for k in kinds[i + 1 :] if k != "N"), base)
            resolved[i] = before if before == after else base
    groups: list[tuple[str, list[str]]] = []
    for word, kind, own in zip(words, resolved, kinds, strict=True):
        shown = word.translate(_MIRROR) if kind == "R" and own == "N" else word
        if groups and groups[-1][0] == kind:
            groups[-1][1].append(shown)
        else:
            groups.append((kind, [shown]))
    parts = [" ".join(reversed(ws) if kind == "R" else ws) for kind, ws in groups]
    return " ".join(reversed(parts) if base == "R" else parts)


def _strength(ch: str) -> str:
    bidi = unicodedata.bidirectional(ch)
    if bidi in _RTL:
        return "R"
    return "L" if bidi in ("L", "EN", "AN") else "N"


def markup(text: object, *, bold: bool = False, limit: int | None = None) -> str:
    """Paragraph markup that draws ``text`` literally in fonts that have its glyphs.

    Right-to-left text comes out in display order: by word if it will be shaped (see
    :func:`shapable`; the paragraph must then be made with :func:`layout.paragraph`, which turns
    shaping on), else by letter.

    ``limit`` shortens long text with an ellipsis (a 300-character site id would fill a page).
    """
    plain = clean(text)
    if limit is not None and len(plain) > limit:
        plain = plain[: limit - 1].rstrip() + "…"
    base = BOLD if bold else REGULAR
    ordered = word_order(plain) if shapable(plain, base) else visual_order(plain)
    parts = []
    for font, run in runs(ordered, base):
        body = escape(run)
        parts.append(body if font == base else f'<font name="{font}">{body}</font>')
    return "".join(parts)
