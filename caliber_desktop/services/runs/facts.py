"""The facts of one run that several screens repeat: its counts and what its campaign score means.

The window's results header, ``caliber score``/``caliber runs``, ``caliber compare`` and the
window's compare view, the PDF and the AI insight (offline text and the model's context) all state
how many sites were allowed, blocked, monitored or lacked data, and how good the campaign is. They
used to count on their own: compare counted the *monitor list* (every site on neither list,
insufficient data included) where the run counted the *monitor recommendation*, so one run read
"939 monitor" in one place and "952" in another. Every surface now takes its numbers and its
judgement of the score from here, and the two kinds of count have different names.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from caliber_desktop.models import labels
from caliber_desktop.services.scoring.vocabulary import unit_noun

if TYPE_CHECKING:  # a frame is passed in; importing this module stays cheap (the CLI, offline)
    import pandas as pd

#: The recommendations, in the order every surface lists them.
RECOMMENDATIONS: tuple[str, ...] = ("allow", "monitor", "block", "insufficient_data")
#: The lists a run builds. ``monitor`` is every site on neither the allow nor the block list:
#: recommended monitor, with too little data, not targetable, or pinned nowhere.
LISTS: tuple[str, ...] = ("allow", "block", "monitor")

#: What a campaign score can and cannot say (the PDF's caveat, word for word everywhere).
SCORE_CAVEAT = (
    "Scores run from 0 to 100 and rank the sites of this campaign against each other for its "
    "goal; they are not comparable across campaigns."
)
#: How far (score points) the campaign score must sit from the median site to say where
#: impressions lean; closer than this is "in line".
LEAN_POINTS = 2.5


def recommendation_word(name: str) -> str:
    """``"insufficient_data"`` → ``"insufficient data"``: a recommendation in a sentence."""
    return labels.recommendation(name).lower()


def list_word(name: str) -> str:
    """A list by what it is: the ``monitor`` list is not a file the analyst uploads."""
    return "on neither list" if name == "monitor" else f"{name} list"


def list_cell(name: str) -> str:
    """A site's list in a table cell: ``"Allow"``, ``"Block"`` or ``"Neither"``."""
    return "Neither" if name == "monitor" else labels.recommendation(name)


@dataclass(frozen=True)
class RunCounts:
    """How many sites a run scored, recommended each way and put on each list.

    ``recommendations`` is what scoring concluded (pins do not change it); ``lists`` is where the
    sites end up once the analyst's pins are applied (``monitor``: on neither list). A count a
    surface shows is one of these, named as such.
    """

    sites: int
    recommendations: dict[str, int]
    lists: dict[str, int] = field(default_factory=dict)
    pinned: int = 0
    rows_read: int | None = None

    def recommendations_text(self, *, leading: bool = True) -> str:
        """``"222 allow, 675 monitor, 296 block, 807 insufficient data"`` (``leading=False``:
        ``"allow 222, …"``)."""
        parts = []
        for name in RECOMMENDATIONS:
            n = f"{self.recommendations.get(name, 0):,}"
            word = recommendation_word(name)
            parts.append(f"{n} {word}" if leading else f"{word} {n}")
        return ", ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {
            "sites": self.sites,
            "rows_read": self.rows_read,
            "recommendations": dict(self.recommendations),
            "lists": dict(self.lists),
            "pinned": self.pinned,
        }


def run_counts(sites: pd.DataFrame, *, rows_read: int | None = None) -> RunCounts:
    """The counts of a run's sites frame.

    ``sites`` is a run's result frame (``recommendation`` per site) or a
    :class:`~caliber_desktop.services.scoring.lists.SiteLists` frame, which adds ``list_action``
    and ``overridden``; list sizes are counted only when the frame has them.
    """
    found = sites["recommendation"].astype(str).value_counts()
    recommendations = {name: int(found.get(name, 0)) for name in RECOMMENDATIONS}
    lists: dict[str, int] = {}
    if "list_action" in sites:
        on = sites["list_action"].astype(str).value_counts()
        lists = {name: int(on.get(name, 0)) for name in LISTS}
    pinned = int(sites["overridden"].astype(bool).sum()) if "overridden" in sites else 0
    return RunCounts(len(sites), recommendations, lists, pinned, rows_read)


def median_site_score(sites: pd.DataFrame) -> float | None:
    """The median of the sites' scores (``None`` when no site has one)."""
    if "score" not in sites:
        return None
    values = sites["score"].astype("float64").dropna()
    return float(values.median()) if len(values) else None


def score_reading(campaign_score: float | None, median: float | None, level: Any = None) -> str:
    """What the campaign score says, in the words the PDF uses — and no more.

    Site scores rank the sites of one campaign against each other, so the campaign score (their
    impression-weighted mean) cannot be "strong" or "weak" on its own; what it can show is whether
    impressions lean towards this campaign's better or worse sites, against the median site.
    """
    noun = unit_noun(level, plural=False)
    nouns = unit_noun(level)
    if campaign_score is None or not math.isfinite(campaign_score):
        return "The campaign has no score: no site could be scored."
    text = f"The campaign's impression-weighted score is {campaign_score:.1f} / 100"
    if median is None or not math.isfinite(median):
        return text + "."
    text += f"; the median {noun} scores {median:.1f}"
    gap = campaign_score - median
    if gap <= -LEAN_POINTS:
        lean = f"impressions lean towards this campaign's lower-scoring {nouns}"
    elif gap >= LEAN_POINTS:
        lean = f"impressions lean towards this campaign's higher-scoring {nouns}"
    else:
        lean = f"impressions are spread in line with the {nouns}' scores"
    return f"{text}, so {lean}."
