"""TEMPORARY adapter: read the real files in ../shared/data into model frames for `python -m jobs evaluate`.

The product's dataset importer (`jobs/sources/dataset.py`, `read_dataset(path, layout)`, branch `sources`)
had not landed when the evaluation had to run, so this module reads the layouts the evaluation needs
directly. Replace it with the importer's SourceBatch-es once that is on main (the frames are the same shape).

Layouts (detected from the header when `layout="auto"`), and the hit label each one defaults to:
- `top50`: daily Top-50 playlist files: chart_position <= 10 within 28 days (history)
- `playlist_snapshots`: "Top 200 Global" playlist history (top 100 kept): chart_position <= 10 in 28 days
- `spotify_charts`: Spotify Charts Top 200 (daily or weekly) with streams: chart_position <= 10 within 28 days
- `tidytuesday`: TidyTuesday spotify_songs (one snapshot): spotify_popularity >= 70
- `music_mining`: music-mining tracks (one snapshot): chart_status >= 1 (charted); leaky columns not read
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pandas as pd

from jobs.errors import DataQualityError
from model.examples import LabelSpec
from model.frames import ModelFrames

logger = logging.getLogger(__name__)

AUDIO = ["danceability", "energy", "key", "loudness", "mode", "speechiness", "acousticness",
         "instrumentalness", "liveness", "valence", "tempo", "time_signature"]  # fmt: skip
SIGNATURES = {
    "top50": {"date", "position", "song", "artist", "popularity"},
    "playlist_snapshots": {"snapshot_time", "position", "track_id", "artist_name", "popularity"},
    "spotify_charts": {"date", "rank", "track_id", "artist", "streams"},
    "tidytuesday": {"track_id", "track_artist", "track_popularity", "playlist_genre"},
    "music_mining": {"id", "artist_ids", "chart_status", "release_date"},
}
CHART_LABEL = LabelSpec(metric="chart_position", threshold=10, horizon_days=28, mode="history", step_days=7)
DEFAULT_LABELS = {
    "top50": CHART_LABEL,
    "playlist_snapshots": CHART_LABEL,
    "spotify_charts": CHART_LABEL,
    "tidytuesday": LabelSpec(metric="spotify_popularity", threshold=70, mode="snapshot"),
    "music_mining": LabelSpec(metric="chart_status", threshold=1, mode="snapshot"),
}


def detect_layout(path: Path) -> str:
    header = set(pd.read_csv(path, nrows=0).columns)
    for layout, needed in SIGNATURES.items():
        if needed <= header:
            return layout
    raise DataQualityError(f"{path}: unknown layout (columns {sorted(header)[:12]}...)")


def _precision(raw: pd.Series) -> pd.Series:
    text = raw.astype(str).str.strip()
    return text.str.len().map({4: "year", 7: "month"}).fillna("day").where(raw.notna())


def _observations(frame: pd.DataFrame, entity: str, metrics: dict[str, str], day: str) -> pd.DataFrame:
    parts = [
        pd.DataFrame(
            {
                "entity_type": "track",
                "entity_id": frame[entity],
                "metric": metric,
                "observed_on": frame[day],
                "source": "dataset",
                "value": frame[column],
            }
        )  # fmt: skip
        for metric, column in metrics.items()
    ]
    return pd.concat(parts, ignore_index=True).dropna(subset=["value"])


def _catalogue(
    rows: pd.DataFrame,
    *,
    track: str,
    name: str,
    artist: str,
    release: str | None,
    genre: str | None = None,
    duration: str | None = None,
    explicit: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:  # fmt: skip
    first = rows.drop_duplicates(track, keep="first")
    release_raw = first[release] if release else pd.Series(None, index=first.index, dtype=object)
    tracks = pd.DataFrame(
        {
            "track_id": first[track], "name": first[name],
            "release_date": pd.to_datetime(release_raw, errors="coerce", format="mixed"),
            "release_date_precision": _precision(release_raw),
            "duration_ms": first[duration] if duration else None,
            "explicit": first[explicit] if explicit else None,
            "genre": first[genre] if genre else None,
        }
    )  # fmt: skip
    links = pd.DataFrame({"track_id": first[track], "artist_id": first[artist], "position": 0})
    artists = pd.DataFrame({"artist_id": first[artist].unique(), "name": first[artist].unique(), "genre": None})
    return tracks, links, artists


def _key(*columns: pd.Series) -> pd.Series:
    out = columns[0].astype(str).str.lower().str.strip()
    for column in columns[1:]:
        out = out + " | " + column.astype(str).str.lower().str.strip()
    return out


def read_top50(path: Path) -> ModelFrames:
    raw = pd.read_csv(path)
    raw["track_key"] = _key(raw["song"], raw["artist"])  # no IDs in this layout: join on (song, artist)
    raw["main_artist"] = raw["artist"].astype(str).str.split(" & ").str[0].str.strip()
    raw["popularity"] = raw["popularity"].where(raw["popularity"] > 0)  # 0 marks a relinked version
    obs = _observations(raw, "track_key", {"chart_position": "position", "spotify_popularity": "popularity"}, "date")
    tracks, links, artists = _catalogue(
        raw,
        track="track_key",
        name="song",
        artist="main_artist",
        release="release_date",
        duration="duration_ms",
        explicit="is_explicit",
    )
    return ModelFrames(obs, tracks, links, artists)


def read_playlist_snapshots(path: Path) -> ModelFrames:
    raw = pd.read_csv(path)
    raw["day"] = pd.to_datetime(raw["snapshot_time"], utc=True).dt.tz_localize(None).dt.normalize()
    raw = (
        raw.sort_values("snapshot_time")
        .groupby("day", group_keys=False)
        .apply(lambda g: g[g["snapshot_time"] == g["snapshot_time"].max()])
    )  # the last snapshot of each day
    raw = raw[raw["position"] <= 100]  # the playlist shrank to 100: compare ranks within the top 100 only
    raw["popularity"] = raw["popularity"].where(raw["popularity"] > 0)
    obs = _observations(raw, "track_id", {"chart_position": "position", "spotify_popularity": "popularity"}, "day")
    obs = obs.drop_duplicates(["entity_id", "metric", "observed_on"])
    tracks, links, artists = _catalogue(
        raw, track="track_id", name="track_name", artist="artist_name", release="release_date"
    )
    return ModelFrames(obs, tracks, links, artists)


def read_spotify_charts(path: Path) -> ModelFrames:
    raw = pd.read_csv(path)
    raw["artist"] = raw["artist"].fillna("unknown")
    raw = raw.sort_values("rank").drop_duplicates(["date", "track_id"])
    obs = _observations(raw, "track_id", {"chart_position": "rank", "streams": "streams"}, "date")
    tracks, links, artists = _catalogue(raw, track="track_id", name="track_name", artist="artist", release=None)
    return ModelFrames(obs, tracks, links, artists)


def read_tidytuesday(path: Path) -> ModelFrames:
    raw = pd.read_csv(path).drop_duplicates("track_id", keep="first")  # a track sits in several playlists
    raw["track_artist"] = raw["track_artist"].fillna("unknown")
    snapshot = pd.Timestamp("2020-01-30")  # collected around January 2020 (newest release 2020-01-29)
    raw["snapshot"] = snapshot
    obs = _observations(raw, "track_id", {"spotify_popularity": "track_popularity"}, "snapshot")
    tracks, links, artists = _catalogue(
        raw,
        track="track_id",
        name="track_name",
        artist="track_artist",
        release="track_album_release_date",
        genre="playlist_genre",
        duration="duration_ms",
    )
    audio = raw[["track_id", *[c for c in AUDIO if c in raw]]]
    return ModelFrames(obs, tracks, links, artists, audio)


def _first_artist(ids: object) -> str:
    """The first id of a JSON list such as `["id1", "id2"]`."""
    try:
        parsed = json.loads(ids) if isinstance(ids, str) else []
    except ValueError:
        parsed = []
    return str(parsed[0]) if parsed else "unknown"


def read_music_mining(path: Path) -> ModelFrames:
    # Read only what was known at release: not popularity, artist_popularity, chart or award columns.
    usecols = ["id", "name", "artist_ids", "explicit", "duration_ms", "release_date", "genre", "chart_status",
               *AUDIO]  # fmt: skip
    raw = pd.read_csv(path, usecols=usecols, low_memory=False).drop_duplicates("id")
    raw["main_artist"] = raw["artist_ids"].map(
        lambda s: (json.loads(s) or ["unknown"])[0] if isinstance(s, str) else "unknown"
    )
    raw["snapshot"] = pd.Timestamp("2022-03-18")  # the source's commit date (newest release 2022-03-11)
    obs = _observations(raw, "id", {"chart_status": "chart_status"}, "snapshot")
    tracks, links, artists = _catalogue(
        raw,
        track="id",
        name="name",
        artist="main_artist",
        release="release_date",
        genre="genre",
        duration="duration_ms",
        explicit="explicit",
    )
    audio = raw[["id", *AUDIO]].rename(columns={"id": "track_id"})
    return ModelFrames(obs, tracks, links, artists, audio)


READERS = {
    "top50": read_top50,
    "playlist_snapshots": read_playlist_snapshots,
    "spotify_charts": read_spotify_charts,
    "tidytuesday": read_tidytuesday,
    "music_mining": read_music_mining,
}


def read_for_evaluation(path: str | Path, layout: str = "auto") -> tuple[ModelFrames, LabelSpec, str]:
    """Frames, the layout's default hit label, and the layout name."""
    path = Path(path)
    if not path.is_file():
        raise DataQualityError(f"{path}: no such file")
    layout = detect_layout(path) if layout == "auto" else layout
    if layout not in READERS:
        raise DataQualityError(f"unknown layout {layout!r}; expected one of: {', '.join(READERS)}")
    frames = READERS[layout](path)
    logger.info("%s read as %s: %d observations, %d tracks", path.name, layout, len(frames.observations),
                len(frames.tracks))  # fmt: skip
    return frames, DEFAULT_LABELS[layout], layout
