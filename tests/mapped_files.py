"""A made-up per-region chart export whose column names no layout uses, for the column-mapping tests.

`regional_export(days, ...)` writes `day, region, rank_in_region, title, score, artist_uris, track_uri` rows
(seeded `random.Random(42)`): tracks rise and fall over the days, each region ranks them with its own noise,
and the artists come only as a `;`-separated list of Spotify URIs (no names). `BAD_ROWS` are appended with the
reason each must be reported with. `MAPPING` maps it onto the `top50-daily` layout.
"""

from __future__ import annotations

import csv
import math
import random
import string
from datetime import date, timedelta
from pathlib import Path

MAPPING = """\
layout = "top50-daily"

[columns]
date = "day"
position = "rank_in_region"
song = "title"
popularity = "score"
market = "region"
artist_ids = "artist_uris"
track_id = "track_uri"
"""
HEADER = ["day", "region", "rank_in_region", "title", "score", "artist_uris", "track_uri"]
START = date(2024, 1, 1)
A, B = "A" * 22, "B" * 22
BAD_ROWS = [  # (row, the reason's start)
    (["2024-01-03", "se", "7", "Too Loud", "150", f"spotify:artist:{A}", f"spotify:track:{B}"],
     "spotify_popularity out of bounds [0, 100]: 150"),
    (["2024-01-03", "se", "0", "Rank Zero", "50", f"spotify:artist:{A}", f"spotify:track:{B}"],
     "chart_position out of bounds [1, 10,000]: 0"),
    (["2099-01-01", "se", "3", "Far Future", "50", f"spotify:artist:{A}", f"spotify:track:{B}"],
     "observed_on out of bounds [1900-01-01, "),
    (["2024-01-03", "se", "4", "Album Uri", "50", f"spotify:album:{A}", f"spotify:track:{B}"],
     "artist_uris is not a Spotify artist URI or URL"),
    (["2024-01-03", "se", "5", "No Artists", "50", "", f"spotify:track:{B}"], "artist is empty"),
    (["2024-01-03", "Sweden & Norway!", "6", "Odd Region", "50", f"spotify:artist:{A}", f"spotify:track:{B}"],
     "region is not a market name"),
]  # fmt: skip


def _spotify_id(rng: random.Random) -> str:
    return "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(22))


def regional_export(path: Path, *, days: int = 40, n_tracks: int = 40, top: int = 15, bad: bool = True) -> int:
    """Write the export; return the number of good rows."""
    rng = random.Random(42)
    artists = [_spotify_id(rng) for _ in range(n_tracks // 2)]
    tracks = [
        {
            "id": _spotify_id(rng), "title": f"Song {i}", "artists": rng.sample(artists, rng.choice((1, 1, 2))),
            "entry": rng.uniform(-20, days), "strength": rng.uniform(40, 100), "life": rng.uniform(15, 60),
        }
        for i in range(n_tracks)
    ]  # fmt: skip
    rows = []
    for offset in range(days):
        day = (START + timedelta(days=offset)).isoformat()
        for region in ("se", "no"):
            scored = []
            for track in tracks:
                age = offset - track["entry"]
                level = track["strength"] * math.exp(-(((age - track["life"] / 3) / track["life"]) ** 2))
                scored.append((level * rng.uniform(0.8, 1.2) if age >= 0 else 0.0, track))
            scored.sort(key=lambda pair: -pair[0])
            for rank, (level, track) in enumerate(scored[:top], start=1):
                uris = ";".join(f"spotify:artist:{a}" for a in track["artists"])
                rows.append(
                    [day, region, rank, track["title"], round(min(level, 100)), uris, f"spotify:track:{track['id']}"]
                )
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
        if bad:
            writer.writerows(row for row, _ in BAD_ROWS)
    return len(rows)
