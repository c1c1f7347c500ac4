"""Discover, the artist side: market segments, their drivers, underperformers and collaboration ideas.

Precomputed for the seeds a page can show: the `seeds` most popular artists plus every watched artist (a segment
model per seed keeps it cheap; other artists show what is missing). Links come from the stored similar-artist
lists (Last.fm or the demo network); an artist without a list gets its nearest artists by sound and genre.
Collaborations are tracks with several credited artists, plus 'feat.' credits in titles matched to catalogue names.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from jobs.memory import release_free_memory
from model.segment_model import fit_segment_model
from model.segments import (
    collaboration_ideas,
    featured_names,
    market_segment,
    partner_map,
    reachable_adjacency,
    sound_graph,
)  # fmt: skip
from model.sound import SOUND_FEATURES

logger = logging.getLogger(__name__)
MODEL_FEATURES = [*SOUND_FEATURES, "release_month", "duration_min", "explicit"]
CLOSEST_FOR_IDEAS = 20


@dataclass
class SegmentResult:
    segments: pd.DataFrame
    drivers: pd.DataFrame
    underperformers: pd.DataFrame
    ideas: pd.DataFrame
    summary: dict[str, Any] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)


def artist_levels(artists: pd.DataFrame, tracks: pd.DataFrame) -> pd.Series:
    """Each artist's level now: its popularity, else the mean peak of its tracks (datasets have no artist level)."""
    by_tracks = tracks.groupby("artist_id")["popularity"].mean()
    level = artists.set_index("artist_id")["popularity"].astype(float)
    return level.fillna(by_tracks).dropna()


def featured_credits(tracks: pd.DataFrame, artists: pd.DataFrame) -> pd.DataFrame:
    """(track_id, artist_id) of the 'feat.' guests named in titles (matched to a catalogue artist of that exact
    name), to pair beside the credits (`partner_map(credits, featured_credits(...))`: not a concatenated copy
    of the 890k credits at 1M tracks)."""
    ids = artists.assign(key=artists["name"].str.lower()).drop_duplicates("key", keep=False).set_index("key")
    titled = tracks.loc[tracks["name"].str.contains(r"feat|ft\.", case=False, regex=True, na=False)]
    artist_of = ids["artist_id"].to_dict()
    guests = [
        (track_id, artist_of[name.lower()])
        for track_id, title in zip(titled["track_id"].tolist(), titled["name"].tolist(), strict=True)
        for name in featured_names(str(title))
        if name.lower() in artist_of
    ]
    return pd.DataFrame(guests, columns=["track_id", "artist_id"])


def discover_segments(
    tracks: pd.DataFrame,
    credits: pd.DataFrame,
    artists: pd.DataFrame,
    bases: pd.Series,
    lists: Callable[[list[str]], pd.DataFrame],
    watched: list[str],
    *,
    hops: int,
    per_hop: int,
    n_seeds: int,
    seed: int = 0,
) -> SegmentResult:
    """`bases` maps each artist with a similar-artist list to its list's source (`read_similar_bases`);
    `lists(artists)` gives those artists' lists (`read_similar`), asked only for what the seeds reach."""
    level = artist_levels(artists, tracks)
    names = artists.set_index("artist_id")["name"]
    known = set(artists["artist_id"].tolist())
    seeds = list(
        dict.fromkeys([*level.sort_values(ascending=False).head(n_seeds).index, *(w for w in watched if w in known)])
    )
    missing: list[str] = []
    listed = set(bases.index.tolist())
    profiles = tracks[tracks["has_audio"]].groupby("artist_id")[SOUND_FEATURES].mean()
    if bases.empty:
        missing.append("No similar-artist lists (Last.fm or the demo network): segments come from sound and genre.")
    sound: pd.DataFrame | None = None  # the unlisted artists' lists, from sound and genre
    if len(profiles) > 1 and len(listed) < len(known):
        sound = sound_graph(profiles, artists.set_index("artist_id")["genre"], per_hop=per_hop)
        sound = sound[~sound["artist_id"].isin(listed)]
    elif not len(listed):
        missing.append("No similar artists and no audio features: this source has no market segments.")

    def graph(wanted: list[str]) -> pd.DataFrame:
        found = lists([a for a in wanted if a in listed])[["artist_id", "similar_artist_id", "match"]]
        return found if sound is None else pd.concat([found, sound[sound["artist_id"].isin(wanted)]], ignore_index=True)

    links = reachable_adjacency(graph, seeds, hops=hops, per_hop=per_hop)
    partners = partner_map(credits, featured_credits(tracks, artists))
    if not any(partners.values()):
        missing.append("No tracks with several credited artists: no collaboration ideas.")
    frame = _model_frame(tracks)
    popularity = level.to_dict()
    parts: dict[str, list[pd.DataFrame]] = {"segments": [], "drivers": [], "under": [], "ideas": []}
    notes: dict[str, str] = {}
    for artist in seeds:
        release_free_memory()  # each seed's model frames (jobs.memory): at 1M tracks the heap otherwise kept growing
        segment = market_segment(links, artist, hops=hops, per_hop=per_hop)
        if segment.empty:
            notes[artist] = "no similar artists"
            continue
        segment = segment.assign(
            seed_artist_id=artist, name=segment["artist_id"].map(names).fillna(segment["artist_id"]),
            popularity=segment["artist_id"].map(level), basis=bases.get(artist, "sound"),
        )  # fmt: skip
        parts["segments"].append(segment)
        members = set(segment["artist_id"])
        fitted = fit_segment_model(
            frame[frame["artist_id"].isin(members)], frame[frame["artist_id"] == artist], MODEL_FEATURES, seed=seed
        )
        if fitted.note:
            notes[artist] = fitted.note
        parts["drivers"].append(fitted.drivers.assign(seed_artist_id=artist, n_tracks=fitted.n_tracks))
        parts["under"].append(fitted.underperformers.assign(seed_artist_id=artist))
        ideas = collaboration_ideas(segment, partners, artist, popularity, closest=CLOSEST_FOR_IDEAS)
        parts["ideas"].append(ideas.assign(seed_artist_id=artist))
    result = SegmentResult(
        segments=_concat(parts["segments"]),
        drivers=_concat(parts["drivers"]),
        underperformers=_named(_ranked(_concat(parts["under"])), tracks),
        ideas=_ideas_named(_ranked(_concat(parts["ideas"])), names),
        summary={"seeds": len(seeds), "basis": bases.value_counts().to_dict(), "notes": notes},
        missing=missing,
    )
    logger.info("segments for %d seeds: %d segment rows, %d ideas", len(seeds), len(result.segments), len(result.ideas))
    return result


def _model_frame(tracks: pd.DataFrame) -> pd.DataFrame:
    release = pd.to_datetime(tracks["release_date"])
    return tracks.assign(
        release_month=release.dt.month.astype(float),
        duration_min=pd.to_numeric(tracks["duration_ms"], errors="coerce") / 60000.0,
        explicit=tracks["explicit"].astype(float),
    )


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if not f.empty]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _ranked(frame: pd.DataFrame) -> pd.DataFrame:
    if frame.empty:
        return frame
    return frame.assign(rank=frame.groupby("seed_artist_id").cumcount() + 1)


def _named(under: pd.DataFrame, tracks: pd.DataFrame) -> pd.DataFrame:
    if under.empty:
        return under
    shown = tracks.loc[tracks["track_id"].isin(under["track_id"]), ["track_id", "name"]]  # not every track's name
    return under.assign(name=under["track_id"].map(shown.set_index("track_id")["name"]).fillna(under["track_id"]))


def _ideas_named(ideas: pd.DataFrame, names: pd.Series) -> pd.DataFrame:
    if ideas.empty:
        return ideas
    return ideas.assign(
        name=ideas["artist_id"].map(names).fillna(ideas["artist_id"]),
        via_name=ideas["via_artist_id"].map(names).fillna(ideas["via_artist_id"]),
    )
