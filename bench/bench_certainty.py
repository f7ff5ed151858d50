"""Benchmark: what each site's certainty (score interval, p_block, p_allow, the decision and its
sentence) adds to scoring 100k sites.

Run from the repository root with the project's environment:

    .venv/bin/python bench/bench_certainty.py              # 100k sites, 3 repeats
    .venv/bin/python bench/bench_certainty.py --sites 300000

It scores a generated 100k-site table (display awareness, impressions spread over three orders
of magnitude) with the real ``score_sites`` and times, inside the same calls, every function the
certainty stage consists of (the posterior medians, the maps, the two-piece combination, the
decision, the flag-led sentences). It reports the medians and the share the certainty adds to
the scoring without it. Target: ≤ ~10 %. The decision's sentence is made when shown or
exported, not here.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from caliber_desktop.models.enums import AnalysisLevel, Channel, Goal, Platform  # noqa: E402
from caliber_desktop.services.scoring import certainty, explain, metrics  # noqa: E402
from caliber_desktop.services.scoring import pipeline as pipeline_module  # noqa: E402
from caliber_desktop.services.scoring.model import (  # noqa: E402
    DataQuality,
    ScoringConfig,
    SiteTable,
)

CONFIG = ScoringConfig(platform=Platform.TRADE_DESK, channel=Channel.DISPLAY, goal=Goal.AWARENESS)


def site_table(n: int, seed: int = 5) -> SiteTable:
    """n display sites from 200 to 2M impressions, binomial counts around plausible rates."""
    rng = np.random.default_rng(seed)
    imps = np.round(np.exp(rng.uniform(np.log(200), np.log(2_000_000), n)))
    tracked = np.round(imps * 0.9)
    ints = imps.astype(np.int64)
    frame = pd.DataFrame(
        {
            "kind": "domain",
            "display_name": [f"site{i:06d}.com" for i in range(n)],
            "n_rows": 10,
            "impressions": imps,
            "clicks": rng.binomial(ints, rng.uniform(0.001, 0.003, n)).astype(float),
            "spend": np.round(imps * rng.uniform(1.0, 5.0, n) / 1000, 2),
            "conversions": rng.binomial(ints, 3e-4).astype(float),
            "tracked_imps": tracked,
            "viewed_imps": rng.binomial(tracked.astype(np.int64), rng.uniform(0.3, 0.9, n)).astype(
                float
            ),
            "ad_load_xl_imps": rng.binomial(ints, rng.uniform(0.01, 0.1, n)).astype(float),
            "refresh_lt15_imps": rng.binomial(ints, rng.uniform(0.01, 0.08, n)).astype(float),
        },
        index=pd.Index([f"site{i:06d}.com" for i in range(n)], name="site_id"),
    )
    frame["integrity"] = [()] * n
    return SiteTable(frame, AnalysisLevel.DOMAIN, DataQuality(source="bench"))


class Stopwatch:
    """Adds up the time spent in the wrapped functions (the certainty stage's own work)."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def wrap(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - start

        return timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sites", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    table = site_table(args.sites)
    totals, stages = [], []
    for _ in range(args.repeats):
        watch = Stopwatch()
        patched = {
            (certainty, "metric_bounds"),
            (certainty, "normalised_spread"),
            (certainty, "score_certainty"),
            (certainty, "decide"),
            (certainty, "confidence_band"),
            (explain, "lead_with_flags"),
            (metrics, "logit_midpoint"),  # the posterior median, from the interval
        }
        originals = {(m, name): getattr(m, name) for m, name in patched}
        for (module, name), fn in originals.items():
            setattr(module, name, watch.wrap(fn))
        try:
            start = time.perf_counter()
            pipeline_module.score_sites(table, CONFIG)
            totals.append(time.perf_counter() - start)
        finally:
            for (module, name), fn in originals.items():
                setattr(module, name, fn)
        stages.append(watch.seconds)
    total, stage = statistics.median(totals), statistics.median(stages)
    print(f"{args.sites:,} sites, median of {args.repeats}:")
    print(f"  score_sites total               {total:6.2f} s")
    print(f"  certainty stage                 {stage:6.2f} s")
    print(f"  added to scoring without it     {stage / (total - stage):6.1%}")


if __name__ == "__main__":
    main()
