"""The worker's answer to on-demand lookups: fetch an untracked Spotify track, store it, watch it, score it.

    answer_lookups(engine, lambda: LookupSources.from_settings(engine, settings), today=date.today())

For each pending `lookup_requests` row (queued by the dashboard's /lookup page, which never loads LightGBM):
the Spotify source fetches the track, its credits and its main artist (`SpotifySource.lookup_batch`), Last.fm
adds its listeners and playcount, `jobs.load.load_batch` stores them in the catalogue, the track goes on the
source watchlist (so every refresh tracks it daily from now on) and on the requester's own watchlist, and the
active version's first-sight model scores it (`model.first_sight`: the main model with the track's own history
blanked for a version trained without one; `scored_with` says which): probability and reasons are written to the
request for the page. Each lookup runs under the run lock (`jobs.lock`, not waiting): while a refresh or a
training holds it, lookups stay pending and are answered on the next poll, so a lookup never reads a model or
catalogue mid-publication and its stored track is never merged over by a concurrent refresh. A track already
in the catalogue is not fetched again. Without Spotify credentials (the demo source) only catalogue tracks can
be answered; an unknown id is answered 'not_found'.
`drain_queue` (jobs/tasks.py) runs this after the refresh queue, every QUEUE_POLL_SECONDS.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine

from core.settings import Settings
from jobs.errors import RunLockBusy
from jobs.features import snapshot_context
from jobs.load import load_batch
from jobs.lock import run_lock
from jobs.lookup_store import Lookup, claim_lookup, finish_lookup, track_label, watch_for_user
from jobs.model_store import StoredModel, active_model
from jobs.score import plain_value
from jobs.sources.base import WatchItem
from jobs.sources.lastfm import LastfmError, LastfmSource, build_lastfm_source
from jobs.sources.spotify import SpotifyNotFound
from jobs.sources.spotify_source import SpotifySource, build_spotify_source
from jobs.sources_store import StoredState, add_watch
from model.explain import BIAS
from model.features import first_sight_at
from model.first_sight import first_sight_booster, first_sight_features, first_sight_scores

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LookupSources:
    """The clients a lookup may use; either may be absent (not configured)."""

    spotify: SpotifySource | None
    lastfm: LastfmSource | None

    @classmethod
    def from_settings(cls, engine: Engine, settings: Settings) -> LookupSources:
        state = StoredState(engine)
        spotify = None
        if settings.SPOTIPY_CLIENT_ID and settings.SPOTIPY_CLIENT_SECRET:
            spotify = build_spotify_source(state, settings)
        lastfm = build_lastfm_source(state, settings) if settings.LASTFM_API_KEY else None
        return cls(spotify, lastfm)


def answer_lookups(engine: Engine, make_sources: Callable[[], LookupSources], *, today: date) -> int:
    """Answer every pending lookup, oldest first; return how many were answered (a failure is answered too).
    The clients are made only when there is a lookup to answer. Each lookup takes the run lock without waiting:
    while a run holds it, the rest stay pending for the next poll."""
    answered = 0
    sources: LookupSources | None = None
    while True:
        try:
            with run_lock(engine, wait=False):
                with engine.begin() as conn:
                    lookup = claim_lookup(conn=conn)
                if lookup is None:
                    return answered
                sources = _answer_one(engine, lookup, sources, make_sources, today)
        except RunLockBusy:
            logger.info("a run holds the run lock: lookups wait for the next poll")
            return answered
        answered += 1


def _answer_one(
    engine: Engine,
    lookup: Lookup,
    sources: LookupSources | None,
    make_sources: Callable[[], LookupSources],
    today: date,
) -> LookupSources | None:
    """Answer one claimed lookup; a failure is stored as its answer. Returns the clients for the next one."""
    try:
        sources = sources or make_sources()
        answer(engine, sources, lookup, today=today)
    except Exception as error:
        logger.exception("lookup %s of %s failed", lookup.request_id, lookup.spotify_id)
        with engine.begin() as conn:
            message = f"The lookup failed: {type(error).__name__}: {error}"[:2000]
            finish_lookup(conn=conn, request_id=lookup.request_id, status="failed", message=message)
    return sources


def answer(engine: Engine, sources: LookupSources, lookup: Lookup, *, today: date) -> None:
    track_id = lookup.spotify_id
    with engine.connect() as conn:
        known = track_label(conn=conn, track_id=track_id)
    if known is None:
        if sources.spotify is None:
            message = "This installation has no Spotify credentials: only tracks already tracked can be looked up."
            with engine.begin() as conn:
                finish_lookup(conn=conn, request_id=lookup.request_id, status="not_found", message=message)
            return
        try:
            batch = sources.spotify.lookup_batch(track_id, today)
        except SpotifyNotFound:
            with engine.begin() as conn:
                message = f"Spotify has no track with the id {track_id}."
                finish_lookup(conn=conn, request_id=lookup.request_id, status="not_found", message=message)
            return
        with engine.begin() as conn:
            load_batch(conn=conn, batch=batch, run_id=None)
    with engine.begin() as conn:
        add_watch(conn=conn, entity_type="track", spotify_id=track_id, name=None, added_by=lookup.username)
        watch_for_user(conn=conn, username=lookup.username, track_id=track_id)
        name, artist = track_label(conn=conn, track_id=track_id) or (track_id, None)
    notes = _add_lastfm(engine, sources.lastfm, WatchItem("track", track_id, name, artist), today)
    with engine.connect() as conn:
        model = active_model(conn=conn)
        scored = first_sight_score(conn=conn, model=model, track_id=track_id, day=today) if model else None
    if model is None:
        notes.append("No model is active yet (python -m jobs train): the track is tracked but not scored.")
    elif scored is None:
        notes.append("The track is released after today: it is scored once it is out.")
    with engine.begin() as conn:
        finish_lookup(
            conn=conn, request_id=lookup.request_id, status="done", message=" ".join(notes) or None,
            track={"track_id": track_id, "name": name, "artist_name": artist, **(scored or {})},
        )  # fmt: skip
    logger.info("lookup %s: %s stored, watched by %s, scored %s", lookup.request_id, track_id, lookup.username,
                (scored or {}).get("probability"))  # fmt: skip


def _add_lastfm(engine: Engine, lastfm: LastfmSource | None, item: WatchItem, today: date) -> list[str]:
    """Store Last.fm's listeners and playcount for the track; a note when Last.fm has none."""
    if lastfm is None:
        return []
    try:
        batch = lastfm.lookup_batch(item, today)
    except LastfmError as error:
        return [f"Last.fm has no figures for it yet ({error})."]
    with engine.begin() as conn:
        load_batch(conn=conn, batch=batch, run_id=None)
    return []


def first_sight_score(*, conn: Connection, model: StoredModel, track_id: str, day: date) -> dict[str, Any] | None:
    """The active version's first-sight probability, contributions and values for one catalogue track, and
    `scored_with` (None when the track has no row on `day`, e.g. released later)."""
    metric, threshold = model.label["metric"], float(model.label["threshold"])
    ctx = snapshot_context(conn=conn, day=day, hit_metric=metric)
    rows = first_sight_at(ctx, pd.Timestamp(day), hit_metric=metric, hit_threshold=threshold)
    rows = rows[rows["track_id"] == track_id].reset_index(drop=True)
    if rows.empty:
        return None
    booster, params, used = first_sight_booster(
        model.model_text, model.params, model.first_sight_text, model.first_sight_params
    )
    probability, contrib = first_sight_scores(booster, params, rows)
    known = first_sight_features(booster.feature_name())
    return {
        "probability": float(probability[0]),
        "contributions": {name: round(float(contrib.at[0, name]), 6) for name in [*known, BIAS]},
        "feature_values": {name: plain_value(rows.at[0, name]) for name in known if name in rows.columns},
        "model_version_id": model.model_version_id,
        "scored_with": used,
    }
