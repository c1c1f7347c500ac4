"""The `demo` source: a deterministic simulated market, so Hitscope is useful with no credentials.

Seeded artists across genres release tracks over several years (more in some months, by genre); each day
every artist has a popularity, followers and Last.fm listeners, and every recent track a popularity that
rises after release and decays, scaled by the artist's pull, the track's quality and its genre's season.
A few artists break out (a sustained jump), a few tracks go viral late. Values for a day depend only on
the seed and the day, so a refresh and a backfill agree, and re-running a day reproduces it exactly.

    python -m jobs backfill --days 90     # 90 days of this market into PostgreSQL
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from jobs.sources.base import SourceBatch
from jobs.sources.demo_catalogue import CATALOGUE_CHUNK_ARTISTS, TrackDraws, catalogue_batches
from jobs.sources.demo_names import artist_names, track_name_words, track_names_of
from jobs.sources.demo_network import genre_sound

GENRES = ["pop", "hip hop", "rock", "latin", "edm", "r&b", "country", "indie"]
# Month (1-12) in which each genre's releases do best, and how strongly the season matters for it.
SEASON_PEAK = {"pop": 11, "hip hop": 9, "rock": 4, "latin": 7, "edm": 6, "r&b": 2, "country": 5, "indie": 10}
SEASON_STRENGTH = {"pop": 9, "hip hop": 4, "rock": 5, "latin": 11, "edm": 9, "r&b": 6, "country": 7, "indie": 5}
TRACKED_DAYS = 365  # tracks are observed for a year after release
CATALOGUE_YEARS = 5
SOURCE = "demo"


def season_effect(genre_idx: np.ndarray, month: np.ndarray) -> np.ndarray:
    """Popularity points a release gains or loses from its release month, for its genre (-1..1 times strength)."""
    peaks = np.array([SEASON_PEAK[g] for g in GENRES])[genre_idx]
    strength = np.array([SEASON_STRENGTH[g] for g in GENRES], dtype=float)[genre_idx]
    return strength * np.cos(2 * np.pi * (month - peaks) / 12.0)


@dataclass(frozen=True)
class Catalogue:
    """The fixed part of the market: who the artists are and what they release when."""

    artist_genre: np.ndarray
    artist_base: np.ndarray  # popularity at the start, 0-100
    artist_slope: np.ndarray  # points per year
    artist_wave_phase: np.ndarray
    artist_breakout_day: np.ndarray  # day index of a breakout, or -1
    artist_breakout_size: np.ndarray
    artist_followers0: np.ndarray
    artist_listener_ratio: np.ndarray
    track_artist: np.ndarray
    track_release_day: np.ndarray  # day index since the market's start
    track_quality: np.ndarray
    track_rise: np.ndarray
    track_decay: np.ndarray
    track_viral_day: np.ndarray  # age in days of a late viral spike, or -1
    track_precision: np.ndarray  # 0 day, 1 month, 2 year
    track_release_month: np.ndarray


class DemoMarket:
    """The simulated market. `start` is day 0; releases span `CATALOGUE_YEARS` from there."""

    def __init__(self, *, seed: int = 42, n_artists: int = 3000, start: date = date(2023, 1, 1)) -> None:
        self.seed, self.n_artists, self.start = seed, n_artists, start
        self.catalogue = self._build_catalogue(np.random.default_rng(seed))

    def _months(self, day_idx: np.ndarray) -> np.ndarray:
        return (pd.Timestamp(self.start) + pd.to_timedelta(day_idx, unit="D")).month.to_numpy()

    def _build_catalogue(self, rng: np.random.Generator) -> Catalogue:
        n = self.n_artists
        days = CATALOGUE_YEARS * 365
        genre = rng.integers(0, len(GENRES), n)
        base = 10 + 70 * rng.beta(2.0, 3.0, n)
        breakout = np.where(rng.random(n) < 0.05, rng.integers(30, days, n), -1)
        per_artist = rng.poisson(1.0 + base / 25.0 * CATALOGUE_YEARS / 2)
        track_artist = np.repeat(np.arange(n), per_artist)
        m = track_artist.size
        release = rng.integers(0, days, m)
        # Move some releases into their genre's strong months: labels know the season too.
        months = self._months(release)
        peak = np.array([SEASON_PEAK[g] for g in GENRES])[genre[track_artist]]
        shift = ((peak - months) % 12) * 30 * (rng.random(m) < 0.15)
        release = np.minimum(release + shift, days - 1)
        viral = np.where(rng.random(m) < 0.04, rng.integers(20, 200, m), -1)
        precision = rng.choice(3, size=m, p=[0.93, 0.02, 0.05])
        return Catalogue(
            track_release_month=self._months(release),
            artist_genre=genre,
            artist_base=base,
            artist_slope=rng.normal(0, 4, n),
            artist_wave_phase=rng.uniform(0, 2 * np.pi, n),
            artist_breakout_day=breakout,
            artist_breakout_size=rng.uniform(12, 30, n),
            artist_followers0=np.exp(4 + base / 9 + rng.normal(0, 0.6, n)),
            artist_listener_ratio=rng.uniform(0.3, 2.5, n),
            track_artist=track_artist,
            track_release_day=release,
            track_quality=rng.normal(0, 1, m),
            track_rise=rng.uniform(8, 45, m),
            track_decay=rng.uniform(30, 160, m),
            track_viral_day=viral,
            track_precision=precision,
        )

    # -- catalogue frames -------------------------------------------------------------------------------

    def day_index(self, day: date) -> int:
        return (day - self.start).days

    def artist_ids(self) -> np.ndarray:
        return np.char.add("demo:a", np.char.zfill(np.arange(self.n_artists).astype(str), 6))

    def track_ids(self, index: np.ndarray | None = None) -> np.ndarray:
        """The ids of the tracks at `index` (default: every track)."""
        index = np.arange(self.catalogue.track_artist.size) if index is None else index
        return np.char.add("demo:t", np.char.zfill(index.astype(str), 7))

    def artists_frame(self) -> pd.DataFrame:
        names, genres = artist_names(seed=self.seed, n=self.n_artists), np.array(GENRES)[self.catalogue.artist_genre]
        return pd.DataFrame({"artist_id": self.artist_ids(), "name": names, "genre": genres, "source": SOURCE})

    def track_draws(self) -> TrackDraws:
        """The per-track draws of the catalogue frames, for every track (`TrackDraws`)."""
        c = self.catalogue
        m = c.track_artist.size
        rng = np.random.default_rng([self.seed, 2])
        words = track_name_words(rng, m)
        duration = rng.normal(200_000, 35_000, m).clip(60_000, 480_000).astype(int)
        explicit = rng.random(m) < 0.3
        rng = np.random.default_rng([self.seed, 3])
        quality = c.track_quality
        features = {
            "danceability": (0.6 + 0.05 * quality + rng.normal(0, 0.12, m)).clip(0, 1),
            "energy": rng.beta(5, 3, m),
            "key": rng.integers(0, 12, m),
            "loudness": rng.normal(-7, 2.5, m).clip(-30, 0),
            "mode": rng.integers(0, 2, m),
            "speechiness": rng.beta(1.2, 10, m),
            "acousticness": rng.beta(1, 4, m),
            "instrumentalness": rng.beta(0.3, 8, m),
            "liveness": rng.beta(1.5, 8, m),
            "valence": (0.5 + 0.04 * quality + rng.normal(0, 0.2, m)).clip(0, 1),
            "tempo": rng.normal(120, 25, m).clip(60, 200),
            "time_signature": np.where(rng.random(m) < 0.92, 4, 3),
        }
        sound = genre_sound(np.array(GENRES)[c.artist_genre[c.track_artist]])
        for column, offset in sound.items():  # each genre its own sound (demo_network.GENRE_SOUND)
            features[column] = (features[column] + offset).clip(*((60, 200) if column == "tempo" else (0, 1)))
        return TrackDraws(words, duration, explicit, features)

    def tracks_frame(
        self, released_by: date, rows: slice = slice(None), draws: TrackDraws | None = None
    ) -> pd.DataFrame:
        """Tracks of `rows` (positions; default all) released on or before `released_by`, with their release
        date and its precision."""
        c = self.catalogue
        draws = draws if draws is not None else self.track_draws()
        index = np.arange(c.track_artist.size)[rows]
        index = index[c.track_release_day[index] <= self.day_index(released_by)]
        names = track_names_of(draws.words[index])
        release = pd.Timestamp(self.start) + pd.to_timedelta(c.track_release_day[index], unit="D")
        precision = np.array(["day", "month", "year"])[c.track_precision[index]]
        release = np.where(precision == "year", release.to_period("Y").start_time, release)
        release = np.where(precision == "month", pd.DatetimeIndex(release).to_period("M").start_time, release)
        return pd.DataFrame(
            {
                "track_id": self.track_ids(index),
                "name": names,
                "album_name": names,
                "release_date": pd.DatetimeIndex(release).date,
                "release_date_precision": precision,
                "duration_ms": draws.duration[index],
                "explicit": draws.explicit[index],
                "isrc": None,
                "genre": np.array(GENRES)[c.artist_genre[c.track_artist[index]]],
                "source": SOURCE,
            }
        )

    def track_artists_frame(self, tracks: pd.DataFrame) -> pd.DataFrame:
        index = tracks["track_id"].str.slice(6).astype(int).to_numpy()
        artists = self.artist_ids()[self.catalogue.track_artist[index]]
        return pd.DataFrame({"track_id": tracks["track_id"].to_numpy(), "artist_id": artists, "position": 0})

    def audio_features_frame(self, tracks: pd.DataFrame, draws: TrackDraws | None = None) -> pd.DataFrame:
        index = tracks["track_id"].str.slice(6).astype(int).to_numpy()
        audio = (draws if draws is not None else self.track_draws()).audio
        return pd.DataFrame({"track_id": self.track_ids(index), **{c: values[index] for c, values in audio.items()}})

    # -- daily dynamics ---------------------------------------------------------------------------------

    def artist_popularity(self, day_idx: int) -> np.ndarray:
        c = self.catalogue
        years = day_idx / 365.0
        wave = 4 * np.sin(2 * np.pi * day_idx / 120.0 + c.artist_wave_phase)
        since = day_idx - c.artist_breakout_day
        breakout = np.where(c.artist_breakout_day >= 0, c.artist_breakout_size / (1 + np.exp(-(since - 7) / 3.0)), 0.0)
        noise = np.random.default_rng([self.seed, 10, day_idx]).normal(0, 0.7, self.n_artists)
        trend = 10 * np.tanh(c.artist_slope * years / 10)  # careers drift, but not without bound
        return np.clip(c.artist_base + trend + wave + breakout + noise, 0, 100)

    def track_popularity(self, day_idx: int, artist_pop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(track indices observed on the day, their popularity): tracks released within `TRACKED_DAYS`."""
        c = self.catalogue
        age = day_idx - c.track_release_day
        idx = np.flatnonzero((age >= 0) & (age < TRACKED_DAYS))
        age = age[idx].astype(float)
        artist = c.track_artist[idx]
        release_month = c.track_release_month[idx].astype(float)
        season = season_effect(c.artist_genre[artist], release_month)
        peak = 0.75 * artist_pop[artist] + 11 * c.track_quality[idx] + season + 42
        rise = 1 - np.exp(-age / c.track_rise[idx])
        decay = 0.45 + 0.55 * np.exp(-age / c.track_decay[idx])
        viral_age = c.track_viral_day[idx]
        viral = np.where(viral_age >= 0, 30 / (1 + np.exp(-(age - viral_age) / 2.5)), 0.0)
        noise = np.random.default_rng([self.seed, 11, day_idx]).normal(0, 1.2, c.track_artist.size)[idx]
        return idx, np.clip(peak * rise * decay + viral + noise, 0, 100)

    def observations(self, day: date) -> pd.DataFrame:
        """Every metric observation of one day, in the normalised shape."""
        c = self.catalogue
        d = self.day_index(day)
        if d < 0:
            return pd.DataFrame(columns=["entity_type", "entity_id", "metric", "observed_on", "source", "value"])
        pop = self.artist_popularity(d)
        followers = c.artist_followers0 * np.exp((pop - c.artist_base) / 12.0) * (1 + 0.0004 * d)
        listeners = followers * c.artist_listener_ratio
        track_idx, track_pop = self.track_popularity(d, pop)
        artist_ids, track_ids = self.artist_ids(), self.track_ids()
        frames = [
            _metric_frame("artist", artist_ids, "spotify_popularity", np.round(pop)),
            _metric_frame("artist", artist_ids, "spotify_followers", np.round(followers)),
            _metric_frame("artist", artist_ids, "lastfm_listeners", np.round(listeners)),
            _metric_frame("track", track_ids[track_idx], "spotify_popularity", np.round(track_pop)),
        ]
        frame = pd.concat(frames, ignore_index=True)
        frame["observed_on"] = day
        frame["source"] = SOURCE
        return frame[["entity_type", "entity_id", "metric", "observed_on", "source", "value"]]


def _metric_frame(entity_type: str, ids: np.ndarray, metric: str, values: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"entity_type": entity_type, "entity_id": ids, "metric": metric, "value": values})


class DemoSource:
    """The `demo` source as the pipeline sees it: one `SourceBatch` per snapshot date.

    The market is built when first asked for and let go once `extract_range` has sent its last batch: a run
    extracts once, and at 1M tracks the simulated market is ~200 MiB the later stages would otherwise carry.
    Asked again, it is rebuilt from the seed: the same market, value for value."""

    name = SOURCE
    is_demo = True

    def __init__(self, *, seed: int = 42, n_artists: int = 3000, start: date = date(2023, 1, 1)) -> None:
        self.seed, self.n_artists, self.start = seed, n_artists, start
        self._market: DemoMarket | None = None

    @property
    def market(self) -> DemoMarket:
        if self._market is None:
            self._market = DemoMarket(seed=self.seed, n_artists=self.n_artists, start=self.start)
        return self._market

    def catalogue_batch(self, released_by: date) -> SourceBatch:
        """Artists, genres and every track released by the date, without observations, as one batch."""
        return next(self.catalogue_batches(released_by, chunk_artists=max(self.market.n_artists, 1)))

    def catalogue_batches(
        self, released_by: date, *, chunk_artists: int = CATALOGUE_CHUNK_ARTISTS
    ) -> Iterator[SourceBatch]:
        """The catalogue as of `released_by`, a batch per `chunk_artists` artists (`demo_catalogue`)."""
        return catalogue_batches(self.market, released_by, chunk_artists=chunk_artists, source=SOURCE)

    def extract(self, snapshot_date: date) -> SourceBatch:
        batch = self.catalogue_batch(snapshot_date)
        batch.observations = self.market.observations(snapshot_date)
        return batch

    def extract_range(
        self, first: date, last: date, *, chunk_days: int = 15, chunk_artists: int = CATALOGUE_CHUNK_ARTISTS
    ) -> Iterator[SourceBatch]:
        """A backfill: the catalogue as of `last` once (`catalogue_batches`), then observations in chunks of days."""
        yield from self.catalogue_batches(last, chunk_artists=chunk_artists)
        day = first
        while day <= last:
            days = [day + timedelta(days=i) for i in range(chunk_days) if day + timedelta(days=i) <= last]
            observations = pd.concat([self.market.observations(d) for d in days], ignore_index=True)
            yield SourceBatch(source=SOURCE, observations=observations)
            day = days[-1] + timedelta(days=1)
        self._market = None  # the run has every batch: free the market before its later stages
