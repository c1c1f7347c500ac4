"""Which scored tracks get contributions (TreeSHAP, 170-500x the cost of predict): those a page can show.

    mask = shown_tracks(conn=conn, scores=frame, policy=ReasonsPolicy(floor=0.05, cap=5000, list_size=50))

`scores` has `track_id`, `genre`, `is_hit` and `probability`. Shown are: the emerging list of every genre and
of all genres (the Morning page's `EMERGING_LIST_SIZE` non-hits at or above its floor, most likely first),
every track on someone's watchlist, and the tracks at or above `REASONS_PROBABILITY_FLOOR`, most likely first,
up to `REASONS_MAX_TRACKS` (the lists and watchlists are always in, whatever the cap).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Connection, text

LIST_FLOOR = 0.05  # the Morning list's floor (dashboard.calibration.LIST_FLOOR; jobs may not import dashboard)


@dataclass(frozen=True)
class ReasonsPolicy:
    floor: float = 0.05  # REASONS_PROBABILITY_FLOOR
    cap: int = 5000  # REASONS_MAX_TRACKS
    list_size: int = 50  # EMERGING_LIST_SIZE


def watched_tracks(*, conn: Connection) -> set[str]:
    rows = conn.execute(text("SELECT DISTINCT entity_id FROM user_watchlist WHERE entity_type = 'track'"))
    return {row[0] for row in rows}


def shown_tracks(*, conn: Connection, scores: pd.DataFrame, policy: ReasonsPolicy) -> np.ndarray:
    """A boolean mask over `scores`' rows: True where the row's contributions are to be computed."""
    probability = np.asarray(scores["probability"], dtype=float)
    ids = scores["track_id"].astype(str).to_numpy()
    order = np.lexsort((ids, -probability))  # the list's order: most likely first, then by track id
    shown = np.zeros(len(scores), dtype=bool)
    shown[order[probability[order] >= policy.floor][: policy.cap]] = True
    listable = order[~scores["is_hit"].astype(bool).to_numpy()[order] & (probability[order] >= LIST_FLOOR)]
    shown[listable[: policy.list_size]] = True
    genres = pd.Series(scores["genre"].astype(str).to_numpy()[listable], index=listable)
    shown[genres.groupby(genres, sort=False).head(policy.list_size).index.to_numpy()] = True
    shown |= np.isin(ids, list(watched_tracks(conn=conn)))
    return shown
