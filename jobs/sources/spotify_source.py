"""The `spotify` source: watched artists (and tracks), their albums, tracks, genres, ISRC and metrics.

    python -m jobs watch add https://open.spotify.com/artist/<id>   # then:
    python -m jobs refresh --source spotify

The API calls and the retry policy are in `jobs/sources/spotify.py` (the only module importing spotipy).
Here: the watchlist drives one batch per watched artist (artist, albums, album tracks with release dates and
their precision, full tracks for the ISRC; artwork: the artist's and each album's image near 300 px, on
ARTWORK_HOSTS only) and per watched track; each batch is loaded by the pipeline before
the next is fetched. A rate limit beyond the cap or `QUOTA_EXCEEDED` stops the run with a checkpoint
(`source_checkpoints`, carried on the batch as `SourceBatch.checkpoint` and stored by the extract stage with
the run's id): the next run starts at the item it stopped on (and skips items done that day). A 403 on a
single-item call, or retries running out, is an alert: a run warning, and the run fails so the last good
publication stays (Admin's "Source health" shows it from `job_runs`). Development mode (no
popularity/followers, batch endpoints 403) is detected and the missing metrics go to
`SourceBatch.unavailable_metrics`, then to the run and the publication summary. The source reads our own
state (watchlist, checkpoint, known artists) through `SourceState` and never touches storage.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pandas as pd

from core.artwork import pick_image
from core.settings import Settings
from core.spotify_refs import SPOTIFY_ID
from core.spotify_refs import parse_reference as parse_reference  # re-exported for the CLI and tests
from jobs.errors import SourceUnavailable, SpotifyQuotaError
from jobs.sources.base import (
    ARTIST_COLUMNS,
    TRACK_ARTIST_COLUMNS,
    TRACK_COLUMNS,
    Checkpoint,
    SourceBatch,
    SourceState,
)
from jobs.sources.spotify import SpotifyClient, SpotifyConfig, SpotifyNotFound, SpotifyStop

logger = logging.getLogger(__name__)

SOURCE = "spotify"
POPULARITY_METRICS = ["spotify_popularity", "spotify_followers"]


@dataclass
class ArtistHarvest:
    """Everything fetched for one watched artist."""

    artists: list[dict[str, Any]] = field(default_factory=list)  # the watched artist: its row is authoritative
    credited: list[dict[str, Any]] = field(default_factory=list)  # other credited artists: name only
    genres: list[tuple[str, str]] = field(default_factory=list)
    tracks: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)
    observations: list[dict[str, Any]] = field(default_factory=list)


class SpotifySource:
    """The source the pipeline calls: one batch per watched artist, loaded before the next is fetched."""

    name = SOURCE
    is_demo = False

    def __init__(self, state: SourceState, client: SpotifyClient) -> None:
        self.state, self.client = state, client
        self.mode: str | None = None
        self.unavailable: set[str] = set()

    def extract(self, snapshot_date: date) -> SourceBatch:
        batches = list(self.extract_range(snapshot_date, snapshot_date))
        merged = SourceBatch(source=SOURCE)
        for batch in batches:
            for name in ("artists", "tracks", "track_artists", "artist_genres", "observations"):
                setattr(merged, name, pd.concat([getattr(merged, name), getattr(batch, name)], ignore_index=True))
            merged.warnings += batch.warnings
            merged.unavailable_metrics = batch.unavailable_metrics or merged.unavailable_metrics
            merged.checkpoint = batch.checkpoint or merged.checkpoint
        return merged

    def extract_range(self, start: date, end: date) -> Iterator[SourceBatch]:
        """Spotify has no history: only `end` is fetched. Yields one batch per artist, then a closing one."""
        watched = [
            item.spotify_id if item.entity_type == "artist" else f"track:{item.spotify_id}"
            for item in self.state.watchlist()
        ]
        checkpoint = self.state.checkpoint(SOURCE)
        warnings = [] if start == end else [f"spotify has no history: only {end} was fetched"]
        order, done = _resume_order(watched, checkpoint, end)
        if checkpoint is not None and checkpoint.status == "stopped":
            warnings.append(f"spotify: resuming at {order[0] if order else '-'} ({checkpoint.reason})")
        if not watched:
            warnings.append("spotify: the watchlist is empty (python -m jobs watch add <artist URL>)")
        emitted: set[str] = set()
        for position, artist_id in enumerate(order):
            try:
                harvest = self._harvest(artist_id, end)
            except SpotifyNotFound as error:
                warnings.append(f"{error}, skipped")
                done.append(artist_id)
                continue
            except SourceUnavailable as error:
                yield from self._stop(end, order[position:], done, error, warnings)
                return
            batch = self._batch(harvest, emitted, warnings)
            warnings = []
            yield batch  # the pipeline loads it before asking for the next
            done.append(artist_id)
        logger.info("spotify: %d artists done in %d requests (mode %s)", len(done), self.client.requests, self.mode)
        yield SourceBatch(
            source=SOURCE, warnings=warnings, unavailable_metrics=sorted(self.unavailable),
            checkpoint=Checkpoint(SOURCE, end, "done", None, done),
        )  # fmt: skip

    def _stop(
        self, day: date, remaining: list[str], done: list[str], error: SourceUnavailable, warnings: list[str]
    ) -> Iterator[SourceBatch]:
        reason = str(error)
        checkpoint = Checkpoint(SOURCE, day, "stopped", remaining[0], done, reason)
        failing = not isinstance(error, SpotifyStop | SpotifyQuotaError)  # a 403, or retries ran out
        note = f"{reason}; stopped with {len(remaining)} artist(s) left, the next run resumes at {remaining[0]}"
        yield SourceBatch(
            source=SOURCE, warnings=[*warnings, note], unavailable_metrics=sorted(self.unavailable),
            checkpoint=checkpoint,
        )  # fmt: skip
        if failing:
            raise error  # an alert: the run fails and the dashboard keeps the last good publication
        logger.warning("%s", note)

    # --- fetching ---

    def _harvest(self, artist_id: str, day: date) -> ArtistHarvest:
        if artist_id.startswith("track:"):
            return self._harvest_track(artist_id.removeprefix("track:"), day)
        harvest = ArtistHarvest()
        artist = self.client.call(f"artist {artist_id}", self.client.sp.artist, artist_id)
        self._detect_mode(artist)
        genres = [g.strip().lower() for g in artist.get("genres") or [] if g and g.strip()]
        image = pick_image(artist.get("images"), self.client.config.artwork_hosts)
        harvest.artists.append({"artist_id": artist_id, "name": artist.get("name") or artist_id,
                                "genre": genres[0] if genres else None, "image_url": image})  # fmt: skip
        harvest.genres.extend((artist_id, g) for g in dict.fromkeys(genres))
        _observe(harvest, "artist", artist_id, "spotify_popularity", day, artist.get("popularity"))
        _observe(
            harvest,
            "artist",
            artist_id,
            "spotify_followers",
            day,
            (artist.get("followers") or {}).get("total"),
        )
        track_ids: list[str] = []
        for album in self.client.albums(artist_id):
            for track in self.client.album_tracks(album):
                if not track.get("id") or track["id"] in track_ids:
                    continue
                track_ids.append(track["id"])
                harvest.tracks.append(_track_row(track, album, self.client.config.artwork_hosts))
                for position, credit in enumerate(track.get("artists") or []):
                    if credit.get("id") and SPOTIFY_ID.fullmatch(credit["id"]):
                        harvest.links.append({"track_id": track["id"], "artist_id": credit["id"], "position": position})
                        name = credit.get("name") or credit["id"]
                        harvest.credited.append({"artist_id": credit["id"], "name": name, "genre": None})
        for full in self.client.full_tracks(track_ids):
            row = next(r for r in harvest.tracks if r["track_id"] == full["id"])
            row["isrc"] = (full.get("external_ids") or {}).get("isrc")
            _observe(harvest, "track", full["id"], "spotify_popularity", day, full.get("popularity"))
        if self.client.batch_allowed is False:
            self.mode = "development"  # batch endpoints answered 403
        return harvest

    def _harvest_track(self, track_id: str, day: date) -> ArtistHarvest:
        """A watched track on its own: its full object (album, credits, ISRC, popularity where available)."""
        harvest = ArtistHarvest()
        full = self.client.call(f"track {track_id}", self.client.sp.track, track_id)
        if self.mode is None and "popularity" not in full:
            self.mode = "development"
            self.unavailable.update(POPULARITY_METRICS)
        row = _track_row(full, full.get("album") or {}, self.client.config.artwork_hosts)
        row["isrc"] = (full.get("external_ids") or {}).get("isrc")
        harvest.tracks.append(row)
        for position, credit in enumerate(full.get("artists") or []):
            if credit.get("id") and SPOTIFY_ID.fullmatch(credit["id"]):
                harvest.links.append({"track_id": track_id, "artist_id": credit["id"], "position": position})
                harvest.credited.append(
                    {"artist_id": credit["id"], "name": credit.get("name") or credit["id"], "genre": None}
                )
        _observe(harvest, "track", track_id, "spotify_popularity", day, full.get("popularity"))
        return harvest

    def lookup_batch(self, track_id: str, day: date) -> SourceBatch:
        """One track looked up on demand (the lookup page): the track, its credits and its main artist's row
        (genre, popularity, followers). Raises SpotifyNotFound for an unknown id."""
        harvest = self._harvest_track(track_id, day)
        main = next((link["artist_id"] for link in harvest.links if link["position"] == 0), None)
        if main is not None:
            artist = self.client.call(f"artist {main}", self.client.sp.artist, main)
            genres = [g.strip().lower() for g in artist.get("genres") or [] if g and g.strip()]
            image = pick_image(artist.get("images"), self.client.config.artwork_hosts)
            harvest.artists.append({"artist_id": main, "name": artist.get("name") or main,
                                    "genre": genres[0] if genres else None, "image_url": image})  # fmt: skip
            harvest.genres.extend((main, g) for g in dict.fromkeys(genres))
            for metric, value in (("spotify_popularity", artist.get("popularity")),
                                  ("spotify_followers", (artist.get("followers") or {}).get("total"))):  # fmt: skip
                _observe(harvest, "artist", main, metric, day, value)
        return self._batch(harvest, set(), [])

    def _detect_mode(self, artist: dict[str, Any]) -> None:
        if self.mode is not None:
            return
        has_metrics = "popularity" in artist and "followers" in artist
        self.mode = "extended" if has_metrics else "development"
        if not has_metrics:
            self.unavailable.update(POPULARITY_METRICS)
        logger.info("spotify: app looks like %s mode", self.mode)

    def _batch(self, harvest: ArtistHarvest, emitted: set[str], warnings: list[str]) -> SourceBatch:
        """Frames for one artist. Co-credited artists get a row only when new to the catalogue, so a
        name-only row never overwrites the genre another source or run gave them."""
        owned = {a["artist_id"] for a in harvest.artists}
        others = {a["artist_id"]: a for a in harvest.credited if a["artist_id"] not in owned}
        known = (self.state.known_artist_ids(list(others)) if others else set()) | emitted
        artists = [*harvest.artists, *(a for i, a in others.items() if i not in known)]
        emitted.update(a["artist_id"] for a in artists)
        tracks = pd.DataFrame(harvest.tracks, columns=TRACK_COLUMNS).assign(source=SOURCE)
        links = pd.DataFrame(harvest.links, columns=TRACK_ARTIST_COLUMNS).drop_duplicates(["track_id", "artist_id"])
        observations = pd.DataFrame(harvest.observations).assign(source=SOURCE)
        return SourceBatch(
            source=SOURCE,
            artists=pd.DataFrame(artists, columns=ARTIST_COLUMNS).assign(source=SOURCE),
            tracks=tracks,
            track_artists=links,
            artist_genres=pd.DataFrame(harvest.genres, columns=["artist_id", "genre"]),
            observations=observations.reindex(
                columns=["entity_type", "entity_id", "metric", "observed_on", "source", "value"]
            ),
            warnings=list(warnings),
            unavailable_metrics=sorted(self.unavailable),
        )


def _observe(harvest: ArtistHarvest, kind: str, entity_id: str, metric: str, day: date, value: Any) -> None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        observation = {"entity_type": kind, "entity_id": entity_id, "metric": metric, "observed_on": day}
        harvest.observations.append(observation | {"value": float(value)})


def _track_row(track: dict[str, Any], album: dict[str, Any], hosts: tuple[str, ...]) -> dict[str, Any]:
    """A track's row; its artwork is its album's image (near 300 px, on an allowed host only)."""
    release, precision = _release(album.get("release_date"), album.get("release_date_precision"))
    return {
        "track_id": track["id"], "name": track.get("name") or track["id"], "album_name": album.get("name"),
        "release_date": release, "release_date_precision": precision, "duration_ms": track.get("duration_ms"),
        "explicit": track.get("explicit"), "isrc": None, "genre": None, "source": SOURCE,
        "image_url": pick_image(album.get("images"), hosts),
    }  # fmt: skip


def _release(value: str | None, precision: str | None) -> tuple[date | None, str | None]:
    """Spotify's `release_date` ('2019', '2019-05' or '2019-05-17') and its stated precision."""
    if not value:
        return None, None
    formats = {"year": "%Y", "month": "%Y-%m", "day": "%Y-%m-%d"}
    stated = precision if precision in formats else {4: "year", 7: "month"}.get(len(value), "day")
    try:
        return datetime.strptime(value, formats[stated]).date(), stated
    except ValueError:
        return None, None


def _resume_order(watched: list[str], checkpoint: Checkpoint | None, day: date) -> tuple[list[str], list[str]]:
    """Artists to fetch, in order, and those already done for `day`. After a stop the list starts where the
    last run stopped (so a quota never starves the same artists); a re-run of the same day skips done ones."""
    order = sorted(watched)
    if checkpoint is None or checkpoint.status != "stopped":
        return order, []
    if checkpoint.next_id in order:
        start = order.index(checkpoint.next_id)
        order = order[start:] + order[:start]
    done = list(checkpoint.done_ids) if checkpoint.snapshot_date == day else []
    return [artist for artist in order if artist not in done], done


def build_spotify_source(state: SourceState, settings: Settings) -> SpotifySource:
    """The `spotify` source for the registry (`jobs.source_registry`) and the lookups."""
    return SpotifySource(state, SpotifyClient(SpotifyConfig.from_settings(settings)))
