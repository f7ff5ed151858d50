"""Command-line options more than one command takes (a campaign's settings)."""

from __future__ import annotations

import argparse
from typing import Any

from caliber_desktop.models.enums import AnalysisLevel, Channel, Goal, Platform


def add_settings_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--platform", choices=[p.value for p in Platform])
    parser.add_argument("--goal", choices=[g.value for g in Goal])
    parser.add_argument("--channel", choices=[c.value for c in Channel])
    parser.add_argument(
        "--ctr-sensitivity",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="the client judges the campaign on CTR (--no-ctr-sensitivity when not)",
    )
    parser.add_argument(
        "--level",
        dest="analysis_level",
        choices=[a.value for a in AnalysisLevel],
        help="score sites (domain) or supply vendors",
    )
    parser.add_argument(
        "--decision-confidence",
        type=float,
        metavar="P",
        help="how sure a site must be to go on a list: 0.5–0.99 or 50–99 (default: Settings)",
    )


def settings_from(args: argparse.Namespace) -> dict[str, Any]:
    names = ("platform", "goal", "channel", "ctr_sensitivity", "analysis_level")
    return {name: getattr(args, name) for name in names if getattr(args, name) is not None}
