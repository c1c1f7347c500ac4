"""Which scored tracks get contributions (`jobs.shown_tracks`): the emerging lists (all genres and each genre),
watchlisted tracks, and the tracks at or above the reasons floor up to the cap.

    python -m pytest tests/test_shown_tracks.py -q
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import Connection, text

from jobs.shown_tracks import LIST_FLOOR, ReasonsPolicy, shown_tracks


def scores() -> pd.DataFrame:
    # 40 pop tracks 0.90 .. 0.51, 5 jazz tracks at 0.06 (listable, far down), 1 hit, 5 below the list floor
    rows = [(f"p{i:02d}", "pop", False, 0.90 - i / 100) for i in range(40)]
    rows += [(f"j{i}", "jazz", False, 0.06) for i in range(5)]
    rows += [("hit", "pop", True, 0.99)]
    rows += [(f"low{i}", "pop", False, 0.01) for i in range(5)]
    return pd.DataFrame(rows, columns=["track_id", "genre", "is_hit", "probability"]).sample(frac=1, random_state=3)


def chosen(conn: Connection, frame: pd.DataFrame, policy: ReasonsPolicy) -> set[str]:
    return set(frame["track_id"][shown_tracks(conn=conn, scores=frame, policy=policy)])


def test_the_floor_and_its_cap_most_likely_first(conn: Connection) -> None:
    frame = scores()
    assert chosen(conn, frame, ReasonsPolicy(floor=0.5, cap=1000, list_size=1)) == (
        {f"p{i:02d}" for i in range(40)} | {"hit", "j0"}  # list_size 1: the jazz list's first (by track id)
    )
    assert chosen(conn, frame, ReasonsPolicy(floor=0.5, cap=3, list_size=1)) == {"hit", "p00", "p01", "j0"}
    assert chosen(conn, frame, ReasonsPolicy(floor=1.0, cap=1000, list_size=1)) == {"p00", "j0"}


def test_every_genres_emerging_list_is_in_whatever_the_cap(conn: Connection) -> None:
    frame = scores()
    got = chosen(conn, frame, ReasonsPolicy(floor=1.0, cap=0, list_size=10))
    assert got == {f"p{i:02d}" for i in range(10)} | {f"j{i}" for i in range(5)}
    assert "hit" not in got and not any(t.startswith("low") for t in got)  # hits and sub-floor rows are not listed
    assert frame.loc[frame["track_id"].str.startswith("low"), "probability"].max() < LIST_FLOOR


def test_a_watched_track_gets_its_reasons(conn: Connection) -> None:
    frame = scores()
    conn.execute(text("INSERT INTO user_watchlist (username, entity_type, entity_id) VALUES ('ana', 'track', 'low3')"))
    conn.execute(text("INSERT INTO user_watchlist (username, entity_type, entity_id) VALUES ('ana', 'artist', 'low4')"))
    got = chosen(conn, frame, ReasonsPolicy(floor=1.0, cap=0, list_size=1))
    assert got == {"p00", "j0", "low3"}


def test_no_rows_no_reasons(conn: Connection) -> None:
    empty = scores().head(0)
    assert shown_tracks(conn=conn, scores=empty, policy=ReasonsPolicy()).dtype == np.bool_
