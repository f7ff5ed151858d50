"""Reports shaped like real exports that ``make_reports.py`` does not produce.

Each builder writes a file the way the DSP (or an analyst's spreadsheet) writes it and returns
what a correct reader must make of it, so tests compare against a stated answer rather than
against the reader's own output.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

TTD_INAPP_HEADER = [
    "Date",
    "Advertiser",
    "Campaign",
    "Ad Group",
    "Site",
    "App",
    "Supply Vendor",
    "Impressions",
    "Clicks",
    "Advertiser Cost (Adv Currency)",
    "Player Starts",
    "Player Completed Views",
    "01 - Total Click + View Conversions",
]


@dataclass(frozen=True)
class Entity:
    """One id as the Site column writes it, the app name beside it (blank on the web), and
    the site id and kind a correct reader gives it."""

    site: str
    app: str
    site_id: str
    kind: str


#: The in-app shapes of a real TTD in-app video export, and a few web hosts beside them.
INAPP_ENTITIES: tuple[Entity, ...] = (
    # Android packages without com.: their last label is a real gTLD
    Entity("tile.match.zen.games", "Tile Match Zen", "tile.match.zen.games", "bundle"),
    Entity("block.puzzle.zen.games", "Block Puzzle Zen", "block.puzzle.zen.games", "bundle"),
    Entity("jewel.blast.zen.games", "Jewel Blast Zen", "jewel.blast.zen.games", "bundle"),
    Entity("word.quest.android", "Word Quest", "word.quest.android", "bundle"),
    Entity("puzzle.word.android", "Puzzle Word", "puzzle.word.android", "bundle"),
    Entity("weather.radar.app", "Weather Radar Live", "weather.radar.app", "bundle"),
    Entity("daily.weather.radar.app", "Daily Weather", "daily.weather.radar.app", "bundle"),
    Entity("solitaire.classic.free", "Solitaire Classic", "solitaire.classic.free", "bundle"),
    Entity("mahjong.titan.free", "Mahjong Titan", "mahjong.titan.free", "bundle"),
    Entity("de.example.quiz.es", "Quiz España", "de.example.quiz.es", "bundle"),
    Entity("fr.meteo.france.fr", "Météo France", "fr.meteo.france.fr", "bundle"),
    Entity("Tv.Pluto.Android", "Pluto TV", "tv.pluto.android", "bundle"),
    # Android packages with com., iOS store ids in both spellings
    Entity("com.king.candycrushsaga", "Candy Crush Saga", "com.king.candycrushsaga", "bundle"),
    Entity("com.zynga.words3", "Words With Friends 3", "com.zynga.words3", "bundle"),
    Entity("553834731", "Candy Crush Saga", "553834731", "store_id"),
    Entity("id1207472156", "Royal Match", "id1207472156", "store_id"),
    # real web hosts: App blank, subdomains roll up to the registrable domain
    Entity("www.news-daily.com", "", "news-daily.com", "domain"),
    Entity("m.news-daily.com", "", "news-daily.com", "domain"),
    Entity("sports.example.co.uk", "", "example.co.uk", "domain"),
    Entity("https://www.recipes-now.net/pasta?utm=1", "", "recipes-now.net", "domain"),
    Entity("WWW.Weather-Now.App", "", "weather-now.app", "domain"),
)


def ttd_inapp_video(path: Path, *, seed: int = 5, days: int = 4) -> dict[str, Entity]:
    """A TTD in-app video export (``Site`` with the id, ``App`` with the app name) and, per
    written id, what it must be read as."""
    rng = np.random.default_rng(seed)
    vendors = ("Google AdX", "Magnite", "PubMatic")
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(TTD_INAPP_HEADER)
        for day in range(days):
            for entity in INAPP_ENTITIES:
                for vendor in vendors:
                    imps = int(rng.integers(800, 4000))
                    starts = int(imps * 0.97)
                    writer.writerow(
                        [
                            f"2026-11-{day + 1:02d}",
                            "Acme",
                            "In-app video Q4",
                            "Mobile Video - In-App",
                            entity.site,
                            entity.app,
                            vendor,
                            imps,
                            int(rng.binomial(imps, 0.004)),
                            f"{imps * rng.uniform(8, 14) / 1000:.2f}",
                            starts,
                            int(rng.binomial(starts, 0.7)),
                            int(rng.binomial(imps, 0.0004)),
                        ]
                    )
    return {e.site: e for e in INAPP_ENTITIES}


#: The issue's plain report: PulsePoint names, scored as a Trade Desk report.
PLAIN_PULSEPOINT_NAMES = (
    "Domain,Impressions,CTR,Conversions,Total Spend,CPM\n"
    "demo.com,100000,0.5%,15,300.00,0.60\n"
    "other.com,80000,0.4%,3,200.00,0.50\n"
    "third.com,50000,0.6%,7,150.00,0.60\n"
)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8", newline="")
    return path
