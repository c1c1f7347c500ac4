"""Features per track as of a date, from data observed on or before that date only.

    examples = build_features(frames, dates, hit_metric="spotify_popularity", hit_threshold=70)

One row per (track, as_of). History mode: artist metric levels and 7/28-day growth, the track's own metric
levels and 7-day momentum, artist prior success (earlier releases only), release timing, genre, duration,
explicit, audio features. Snapshot mode (one snapshot, e.g. a dataset import) drops every metric measured at
the snapshot itself (the track's own metrics are the outcome; the artist's are measured after the fact), so
only release facts, audio and the artist's *earlier* releases remain. Missing values stay NaN, never zero.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from model.frames import AUDIO_COLUMNS, COUNT_METRICS, RANK_METRICS, ModelFrames, is_hit
from model.panels import Panel, observed_ids, panel_window, panels_for

logger = logging.getLogger(__name__)

META_COLUMNS = ["track_id", "artist_id", "as_of", "release_date"]
STALENESS_DAYS = 7
STREAM_METRICS = {"chart_streams", "streams"}


@dataclass
class FeatureContext:
    """Frames plus their daily panels, built once and shared by features and labels."""

    frames: ModelFrames
    start: pd.Timestamp
    n_days: int
    track_panels: dict[str, Panel]
    artist_panels: dict[str, Panel]
    # Each row of `frames.tracks`'s main artist_id (NaN without one), and the same as integer codes (-1 for
    # none): positional, so the features look no track id up in a catalogue-wide index (at 1M tracks an index
    # of the 776k ids held their Python strings, 67 MiB, for the run).
    main_artist: pd.Series
    main_artist_code: np.ndarray
    genres: list[str]

    def best_to_date(self, metric: str, day: int, track_ids: pd.Series | np.ndarray) -> np.ndarray:
        """Each track's best value of `metric` up to `day`, including the best before the window."""
        panel = self.track_panels.get(metric)
        best = np.full(len(track_ids), np.nan)
        if panel is not None:
            best = panel.lookup(track_ids, panel.best_to_date(day, metric))
        prior = self.frames.prior_best
        prior = prior[prior["metric"] == metric]
        if len(prior):
            before = pd.Series(prior["best"].astype(float).to_numpy(), index=prior["track_id"])
            earlier = pd.Index(track_ids).map(before).to_numpy(dtype=float)
            best = np.fmin(best, earlier) if metric in RANK_METRICS else np.fmax(best, earlier)
        return best

    @classmethod
    def build(
        cls, frames: ModelFrames, until: pd.Timestamp | None = None, genres: list[str] | None = None
    ) -> FeatureContext:
        """`genres`: the category list of the whole market when `frames` is one partition of it (the codes of
        the `genre` column must not depend on which artists a partition holds)."""
        frames = frames.normalised()
        obs = frames.observations
        start, n_days = panel_window(obs["observed_on"].min() if len(obs) else None,
                                     obs["observed_on"].max() if len(obs) else None, until)  # fmt: skip
        track_panels, artist_panels = (panels_for(obs, kind, start, n_days) for kind in ("track", "artist"))
        return cls.with_panels(frames, start, n_days, track_panels, artist_panels, genres)

    @classmethod
    def with_panels(
        cls,
        frames: ModelFrames,
        start: pd.Timestamp,
        n_days: int,
        track_panels: dict[str, Panel],
        artist_panels: dict[str, Panel],
        genres: list[str] | None = None,
    ) -> FeatureContext:
        """The context of normalised `frames` whose observations are already panels (`build` makes them from
        the frames' observations; `jobs.observation_frames.observation_panels` reads them without a frame)."""
        by_track = main_artists(frames.track_artists)
        frames.tracks["genre"] = track_genres(frames, by_track)
        main_artist = frames.tracks["track_id"].map(by_track).reset_index(drop=True)
        del by_track
        codes, _ = pd.factorize(main_artist)
        return cls(
            frames=frames,
            start=start,
            n_days=n_days,
            track_panels=track_panels,
            artist_panels=artist_panels,
            main_artist=main_artist,
            main_artist_code=codes,
            genres=genres if genres is not None else sorted(frames.tracks["genre"].unique()),
        )


def main_artists(track_artists: pd.DataFrame) -> pd.Series:
    """track_id -> its main artist (the lowest `position`)."""
    links = track_artists.sort_values(["track_id", "position"])
    return links.drop_duplicates("track_id").set_index("track_id")["artist_id"]


def track_genres(frames: ModelFrames, main_artist: pd.Series) -> pd.Series:
    """Each track's genre, else its main artist's, else "unknown" (aligned with `frames.tracks`)."""
    genre = frames.tracks["genre"]
    missing = genre.isna().to_numpy()
    if missing.any():  # only the tracks without a genre look up their main artist's (not the whole catalogue)
        artist_genre = frames.artists.set_index("artist_id")["genre"] if len(frames.artists) else pd.Series()
        genre = genre.copy()
        genre[missing] = frames.tracks["track_id"][missing].map(main_artist).map(artist_genre).to_numpy()
    return genre.fillna("unknown").astype(str)


def market_genres(frames: ModelFrames) -> list[str]:
    """The genre categories `FeatureContext.build` would give the whole of `frames` (before partitioning)."""
    return sorted(track_genres(frames, main_artists(frames.track_artists)).unique())


def _growth(metric: str, now: np.ndarray, before: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        if metric in COUNT_METRICS:
            return np.where(before > 0, 100.0 * (now / before - 1.0), np.nan)
        return now - before


def _artist_features(ctx: FeatureContext, day: int) -> pd.DataFrame:
    columns: dict[str, np.ndarray] = {}
    ids = pd.Index([])
    for panel in ctx.artist_panels.values():
        ids = ids.union(panel.ids)
    for metric, panel in ctx.artist_panels.items():
        now = panel.lookup(ids, panel.as_of(day, STALENESS_DAYS))
        name = f"artist_{metric}"
        columns[name] = np.log1p(now) if metric in COUNT_METRICS else now
        for lag in (7, 28):
            before = panel.lookup(ids, panel.as_of(day - lag, STALENESS_DAYS))
            columns[f"{name}_{lag}d"] = _growth(metric, now, before)
    return pd.DataFrame(columns, index=ids)


def _prior_success(
    ctx: FeatureContext, day: int, when: pd.Timestamp, hit_metric: str, threshold: float, rows: np.ndarray
) -> dict[str, np.ndarray]:
    """For the tracks at `rows` (of `frames.tracks`): counts over their main artist's releases of strictly
    earlier days, as known on `when` (NaN without a main artist or a release date). Grouped by the artists'
    integer codes, so the arithmetic is the string-keyed groupby's, without its index of 776k ids at 1M."""
    tracks = ctx.frames.tracks
    released = np.flatnonzero((tracks["release_date"] <= when).to_numpy() & (ctx.main_artist_code >= 0))
    frame = pd.DataFrame({
        "artist": ctx.main_artist_code[released], "release_date": tracks["release_date"].take(released).to_numpy(),
    })  # fmt: skip
    frame["peak"] = ctx.best_to_date(hit_metric, day, tracks["track_id"].take(released))
    frame["hit"] = is_hit(frame["peak"], hit_metric, threshold).astype(float)
    frame["one"] = 1.0
    groups = frame.groupby(["artist", "release_date"])
    per_day = groups.agg(n=("one", "sum"), hits=("hit", "sum"), peak_sum=("peak", "sum"), peak_n=("peak", "count"))
    earlier = per_day.groupby(level="artist").cumsum() - per_day
    group_of = np.full(len(tracks), -1)
    group_of[released] = groups.ngroup().to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        columns = {
            "artist_prior_releases": earlier["n"].to_numpy(),
            "artist_prior_hits": earlier["hits"].to_numpy(),
            "artist_prior_hit_rate": np.where(earlier["n"] > 0, earlier["hits"] / earlier["n"], np.nan),
            "artist_prior_peak_mean": np.where(earlier["peak_n"] > 0, earlier["peak_sum"] / earlier["peak_n"], np.nan),
        }  # fmt: skip
    return {name: _spread(values, group_of[rows]) for name, values in columns.items()}


def _static_features(ctx: FeatureContext, rows: np.ndarray) -> dict[str, np.ndarray | pd.Categorical]:
    """Release facts, genre, duration and audio of the tracks at `rows` (of `frames.tracks`; not of the whole
    catalogue: at 1M tracks that frame and its merge with the audio features were ~200 MB for ~200k rows)."""
    tracks = ctx.frames.tracks.take(rows)
    release = tracks["release_date"]
    explicit = tracks["explicit"].map({True: 1.0, False: 0.0, "True": 1.0, "False": 0.0, "true": 1.0, "false": 0.0})
    precise_month = tracks["release_date_precision"].fillna("day").isin(["day", "month"])
    static: dict[str, np.ndarray | pd.Categorical] = {
        "duration_ms": pd.to_numeric(tracks["duration_ms"], errors="coerce").to_numpy(dtype=float, na_value=np.nan),
        "explicit": explicit.to_numpy(dtype=float, na_value=np.nan),
        "release_month": release.dt.month.where(precise_month).to_numpy(dtype=float, na_value=np.nan),
        "release_year": release.dt.year.to_numpy(dtype=float, na_value=np.nan),
        "genre": pd.Categorical(tracks["genre"], categories=ctx.genres),
    }  # fmt: skip
    audio = ctx.frames.audio_features
    if len(audio):
        audio = audio.drop_duplicates("track_id", keep="last")
        audio = audio[audio["track_id"].isin(tracks["track_id"])]
        at = pd.Index(audio["track_id"]).get_indexer(tracks["track_id"])
        for column in [c for c in AUDIO_COLUMNS if c in audio]:
            static[column] = _spread(pd.to_numeric(audio[column], errors="coerce").to_numpy(float, na_value=np.nan), at)
    return static


def _spread(values: np.ndarray, at: np.ndarray) -> np.ndarray:
    """`values[at]` as float64, NaN where `at` is -1 (nothing there; `values` may be empty)."""
    out = np.full(len(at), np.nan)
    found = at >= 0
    out[found] = values[at[found]]
    return out


def features_at(
    ctx: FeatureContext, when: pd.Timestamp, *, hit_metric: str, hit_threshold: float, mode: str = "history"
) -> pd.DataFrame:
    """Feature rows for every tracked track on `when` (history: observed within the last week). The tracks are
    followed by their rows in `frames.tracks`, not copies of that frame or merges with it."""
    day = int((when - ctx.start).days)
    tracks = ctx.frames.tracks
    keep = ((tracks["release_date"] <= when) | tracks["release_date"].isna()).to_numpy()
    if mode == "history" and ctx.track_panels:  # a track no panel holds is never seen: drop it before the lookups
        keep = keep & tracks["track_id"].isin(observed_ids(ctx.track_panels)).to_numpy()
    rows = np.flatnonzero(keep)
    out = pd.DataFrame(
        {
            "track_id": tracks["track_id"].take(rows).to_numpy(),
            "artist_id": ctx.main_artist.take(rows).to_numpy(),
            "as_of": when,
            "release_date": tracks["release_date"].take(rows).to_numpy(),
        }
    )
    if mode == "history":
        seen = np.zeros(len(out), dtype=bool)
        for metric, panel in ctx.track_panels.items():
            now = panel.lookup(out["track_id"], panel.as_of(day, STALENESS_DAYS))
            before = panel.lookup(out["track_id"], panel.as_of(day - 7, STALENESS_DAYS))
            out[f"track_{metric}"] = np.log1p(now) if metric in COUNT_METRICS else now
            # Rank metrics: momentum is places climbed (positive = up the chart).
            momentum = before - now if metric in RANK_METRICS else _growth(metric, now, before)
            out[f"track_{metric}_7d"] = momentum
            seen |= ~np.isnan(now)
        out, rows = out[seen].reset_index(drop=True), rows[seen]
        hit_panel = ctx.track_panels.get(hit_metric)
        if hit_panel is not None:
            best = ctx.best_to_date(hit_metric, day, out["track_id"])
            out[f"track_{hit_metric}_best"] = np.log1p(best) if hit_metric in COUNT_METRICS else best
            out["track_days_seen_28d"] = hit_panel.lookup(out["track_id"], hit_panel.days_seen(day, 28))
        for metric in STREAM_METRICS & set(ctx.track_panels):  # the streams baselines' "best so far"
            out[f"track_{metric}_best"] = np.log1p(ctx.best_to_date(metric, day, out["track_id"]))
        artist = _artist_features(ctx, day)
        out = out.join(artist, on="artist_id")
    extra = _prior_success(ctx, day, when, hit_metric, hit_threshold, rows)
    extra["days_since_release"] = (when - out["release_date"]).dt.days.to_numpy(dtype=float, na_value=np.nan)
    extra.update(_static_features(ctx, rows))
    return pd.concat([out, pd.DataFrame(extra, index=out.index)], axis=1)


def build_features(
    frames: ModelFrames | FeatureContext,
    dates: Iterable[pd.Timestamp | str],
    *,
    hit_metric: str,
    hit_threshold: float,
    mode: str = "history",
) -> pd.DataFrame:
    """Feature rows for every date (a loop over dates; each date is vectorised over all tracks)."""
    dates = [pd.Timestamp(d) for d in dates]
    ctx = frames if isinstance(frames, FeatureContext) else FeatureContext.build(frames, until=max(dates))
    parts = [features_at(ctx, day, hit_metric=hit_metric, hit_threshold=hit_threshold, mode=mode) for day in dates]
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=META_COLUMNS)
    out["genre"] = pd.Categorical(out["genre"], categories=ctx.genres)
    logger.info("features: %d rows x %d columns for %d dates", len(out), len(out.columns), len(dates))
    return out


def feature_names(features: pd.DataFrame) -> list[str]:
    """The model's input columns: everything but the identifying columns."""
    return [c for c in features.columns if c not in META_COLUMNS]


def first_sight_at(ctx: FeatureContext, when: pd.Timestamp, *, hit_metric: str, hit_threshold: float) -> pd.DataFrame:
    """Feature rows without any track's own history (for a track seen for the first time): the artist's level
    and growth, prior success, release timing, genre, duration and audio where present."""
    rows = features_at(ctx, when, hit_metric=hit_metric, hit_threshold=hit_threshold, mode="snapshot")
    rows = rows.join(_artist_features(ctx, int((when - ctx.start).days)), on="artist_id")
    rows["genre"] = pd.Categorical(rows["genre"], categories=ctx.genres)
    return rows
