"""What the dashboard benchmark (bench/bench_dashboard.py) posts: one Dash callback per target, with the app
that serves it and its input values. Every grid of the product whose rows come from a publication is a target
with the 1.3x goal (`GRID_CALLBACKS`): the Artists figure and the Artists grid's first block, Morning's lists
(emerging, risers, alerts), the Track page's similar tracks, the Discover artist grids (segment,
underperformers, collaboration ideas) and the playlist generator's grid. The Track page's main callback and
Seasonality are measured beside them without a goal (no grid).

    targets = dashboard_targets.targets(engine)   # ids of a track and a seed artist read from the database

The watchlist grid (per user, edited in place) and the Admin and Model grids (the run log, model versions:
tens of rows) are not catalogue lists and are not measured here.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, text

from dashboard import ids

# name -> (WSGI app, signed in?, output component of the callback, its input values)
Target = tuple[str, bool, str, dict[str, Any]]
HITSCOPE = "dashboard.wsgi:server"
FIRST_BLOCK = {"startRow": 0, "endRow": 20, "sortModel": [], "filterModel": {}}
GRID_CALLBACKS = (
    "hitscope_artists", "hitscope_artists_rows", "hitscope_morning_lists", "hitscope_track_similar",
    "hitscope_discover_artist", "hitscope_playlist",
)  # fmt: skip
NAIVE_PAIR = ("hitscope_artists", "hitscope_artists_rows")  # what the naive app's one callback stands for


def sample_ids(engine: Engine) -> tuple[str, str]:
    """(a track with published similar tracks, a seed artist with a published segment) of the newest
    publication, the most popular of each; empty strings when the discover stage published none."""
    with engine.connect() as conn:
        pid = conn.execute(text("SELECT max(publication_id) FROM publications")).scalar()
        track = conn.execute(
            text("SELECT d.track_id FROM agg_similar_tracks s JOIN agg_discover_tracks d USING (publication_id,"
                 " track_no) WHERE s.publication_id = :pid ORDER BY d.popularity DESC NULLS LAST, 1 LIMIT 1"),
            {"pid": pid},
        ).scalar()  # fmt: skip
        artist = conn.execute(
            text("SELECT s.seed_artist_id FROM agg_segments s JOIN agg_artist_leaderboard l"
                 " ON l.publication_id = s.publication_id AND l.artist_id = s.seed_artist_id"
                 " WHERE s.publication_id = :pid ORDER BY l.popularity DESC NULLS LAST, 1 LIMIT 1"),
            {"pid": pid},
        ).scalar()  # fmt: skip
    return str(track or ""), str(artist or "")


def targets(engine: Engine) -> dict[str, Target]:
    """Every target, the floor first; the Track and Discover ones ask for the database's sample ids."""
    track, artist = sample_ids(engine)
    return {
        "floor": ("bench.floor_app:server", False, "graph", {}),
        "hitscope_artists": (HITSCOPE, True, ids.ARTISTS_GRAPH,
                             {f"{ids.ARTISTS_ORDER}.value": "level", f"{ids.ARTISTS_TOP}.value": 20}),
        "hitscope_artists_rows": (HITSCOPE, True, ids.ARTISTS_GRID,
                                  {f"{ids.ARTISTS_GRID}.getRowsRequest": FIRST_BLOCK,
                                   f"{ids.ARTISTS_ORDER}.value": "level"}),
        "hitscope_morning_lists": (HITSCOPE, True, ids.MORNING_EMERGING_NOTE,  # the lists callback (tables)
                                   {f"{ids.MORNING_RISER_WINDOW}.value": "7",
                                    f"{ids.MORNING_RISER_BASIS}.value": "points"}),
        "hitscope_track_similar": (HITSCOPE, True, ids.TRACK_SIMILAR, {f"{ids.TRACK_ID}.data": track}),
        "hitscope_discover_artist": (HITSCOPE, True, ids.DISCOVER_SEGMENT, {f"{ids.DISCOVER_ARTIST}.value": artist}),
        "hitscope_playlist": (HITSCOPE, True, ids.PLAYLIST_GRID,
                              {f"{ids.PLAYLIST_GO}.n_clicks": 1, f"{ids.PLAYLIST_ENERGY}.value": [0.2, 0.9],
                               f"{ids.PLAYLIST_DANCE}.value": [0, 1], f"{ids.PLAYLIST_VALENCE}.value": [0, 1],
                               f"{ids.PLAYLIST_TEMPO}.value": [50, 220], f"{ids.PLAYLIST_LENGTH}.value": 30}),
        "hitscope_track": (HITSCOPE, True, ids.TRACK_HEADER, {f"{ids.TRACK_ID}.data": track}),
        "hitscope_seasonality": (HITSCOPE, True, ids.SEASON_BARS, {f"{ids.SEASON_METRIC}.value": "hit_rate"}),
        "naive_artists": ("bench.naive_app:server", False, "graph", {}),
    }  # fmt: skip


def check_answer(output: str, answer: dict[str, Any]) -> None:
    """Refuse to time a callback that answered with nothing to show (a wrong sample id, an empty publication):
    a grid's rows (`rowData`, or a block's `getRowsResponse`) must hold at least one row, a figure a trace."""
    props = (answer.get("response") or {}).get(output) or {}
    if "rowData" in props:
        shown = props["rowData"]
    elif "getRowsResponse" in props:
        shown = props["getRowsResponse"].get("rowData")
    elif "figure" in props:
        shown = props["figure"].get("data")
    else:
        shown = props.get("children")
    if not shown:
        raise RuntimeError(f"the callback of {output} answered with nothing to show: {str(answer)[:300]}")
