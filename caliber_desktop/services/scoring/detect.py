"""Guess which platform exported a report, and for which channel, from its header names alone.

The guess only sets defaults — the analyst can always choose otherwise — so it comes with a
confidence and the reasons behind it, which the import dialog shows. Kept apart from ``headers``,
which maps columns once the platform is settled.
"""

from __future__ import annotations

from collections.abc import Sequence

from caliber_desktop.models.enums import Channel, Platform
from caliber_desktop.services.scoring.headers import _PIXEL_TOTAL, _alias_index, normalize_header
from caliber_desktop.services.scoring.model import Detection


def detect(headers: Sequence[str], platform: Platform | None = None) -> Detection:
    """Guess platform and channel from the header names alone, with reasons for the analyst."""
    keys = {normalize_header(h)[0] for h in headers if h}
    raw = [str(h).strip().lower() for h in headers]
    reasons: list[str] = []
    found_platform: Platform | None
    if platform is not None:
        found_platform, p_conf = platform, 1.0
        reasons.append(f"platform {platform.value} was chosen")
    else:
        found_platform, p_conf = _detect_platform(keys, raw, reasons)
    channel, c_conf = _detect_channel(keys, reasons)
    return Detection(found_platform, p_conf, channel, c_conf, tuple(reasons))


def _detect_platform(
    keys: set[str], raw: list[str], reasons: list[str]
) -> tuple[Platform | None, float]:
    ttd: list[str] = [k for k in ("advertiser cost", "sampled tracked impressions") if k in keys]
    ttd += [k for k in keys if _PIXEL_TOTAL.match(k)][:1]
    if any(h.startswith("ttd_") for h in raw):
        ttd.append("TTD_ prefix")
    pulse = [k for k in ("total spend", "ecpm") if k in keys]
    if ttd and len(pulse) < 2:
        reasons.append("Trade Desk columns: " + ", ".join(ttd))
        return Platform.TRADE_DESK, 0.95 if len(ttd) >= 2 else 0.85
    if len(pulse) == 2 and not ttd:
        reasons.append("PulsePoint columns: Total Spend and eCPM")
        return Platform.PULSEPOINT, 0.9
    counts = {p: sum(1 for k in keys if k in _alias_index(p)) for p in Platform}
    best = max(Platform, key=lambda p: counts[p])
    if counts[best] == 0:
        reasons.append("no column names a platform")
        return None, 0.0
    reasons.append(f"most columns are {best.value} names ({counts[best]}), no decisive column")
    return best, 0.5


def _detect_channel(keys: set[str], reasons: list[str]) -> tuple[Channel | None, float]:
    tv = [k for k in keys if k.startswith("tv quality index") or k == "unique households"]
    player = [k for k in keys if k.startswith("player ") or k in {"ad plays", "video completes"}]
    player += [k for k in keys if k in {"completion rate", "video completion rate", "completions"}]
    if tv:
        reasons.append("CTV columns: " + ", ".join(sorted(tv)))
        return Channel.CTV, 0.9
    if player:
        reasons.append("video player columns: " + ", ".join(sorted(player)[:3]))
        return Channel.VIDEO, 0.85
    reasons.append("no player or TV columns, so display")
    return Channel.DISPLAY, 0.8
