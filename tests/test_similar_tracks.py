"""Similar tracks published one row per track (jobs/similar_tracks.py, migration 0026): the discover stage's
(tracks x k) lists are what its long frame of string ids published before, and are refused when they are not k
other tracks per track; the array kinds of
the binary COPY round-trip; and after a real run the Track page reads back exactly the neighbours, ranks and
distances the discover stage found (what the old one-row-per-rank table gave)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Connection, Engine, text

from core.columnar import copy_out_fixed
from dashboard.discover_queries import similar_tracks
from jobs import discover_overlap, lock, pipeline
from jobs import similar_tracks as similar_tracks_module
from jobs.binary_copy import copy_in, copy_payload
from jobs.discover import Discovered
from jobs.discover_similar import Similar
from jobs.discover_similar import similar_tracks as stage_similar_tracks
from jobs.similar_tracks import neighbour_matrices
from model.sound import in_space, nearest_tracks, space_of
from tests.factories import DAY, config, tiny_source


def _similar(index: np.ndarray, distance: np.ndarray) -> Similar:
    return Similar(index.astype(np.int32), distance.astype(np.float32), {}, None)


def test_neighbour_matrices_are_the_stage_lists_one_row_per_track() -> None:
    index = np.array([[1, 2], [0, 3], [3, 0], [2, 1]])
    distance = np.array([[0.1, 0.25], [0.1, 0.5], [0.125, 0.25], [0.125, 0.75]])
    numbers, distances = neighbour_matrices(pd.DataFrame({"track_id": ["t0", "t1", "t2", "t3"]}),
                                            _similar(index, distance))  # fmt: skip
    assert numbers.dtype == np.int32 and distances.dtype == np.float32
    np.testing.assert_array_equal(numbers, index)
    np.testing.assert_array_equal(distances, distance.astype(np.float32))


@pytest.mark.parametrize("damage", ["unknown_neighbour", "negative", "missing_row", "itself", "duplicate_id"])
def test_neighbour_matrices_refuse_lists_that_are_not_k_other_tracks_per_track(damage: str) -> None:
    ids = ["t0", "t1", "t2"]
    index, distance = np.array([[1, 2], [0, 2], [0, 1]]), np.full((3, 2), 0.5)
    if damage == "unknown_neighbour":
        index[1, 1] = 3
    elif damage == "negative":
        index[1, 1] = -1
    elif damage == "missing_row":
        index, distance = index[:2], distance[:2]
    elif damage == "itself":
        index[2, 0] = 2
    else:
        ids[2] = "t0"
    with pytest.raises(ValueError):
        neighbour_matrices(pd.DataFrame({"track_id": ids}), _similar(index, distance))


def test_the_stage_lists_are_what_the_long_frame_published() -> None:
    """Same published rows as the long frame of string ids the stage gave before (its distances rounded to 4
    places in float64, then float4), on a real neighbour search."""
    z = np.random.default_rng(2).normal(size=(500, 9))
    index, distance = nearest_tracks(in_space(z, *space_of(z)), 10)
    ids = np.array([f"t{i:03d}" for i in range(500)], dtype=object)
    similar = stage_similar_tracks(ids, in_space(z, *space_of(z)), 10)
    np.testing.assert_array_equal(similar.index, index)
    np.testing.assert_array_equal(similar.distance, np.round(distance, 4).astype(np.float32))
    old = pd.DataFrame({  # the old `discover_similar._frame`
        "track_id": np.repeat(ids, 10), "rank": np.tile(np.arange(1, 11), 500),
        "similar_track_id": ids[index.ravel()], "distance": np.round(distance.ravel(), 4),
    })  # fmt: skip
    long = similar.frame(ids)
    pd.testing.assert_frame_equal(long.drop(columns="distance"), old.drop(columns="distance"))
    np.testing.assert_array_equal(long["distance"].to_numpy(), old["distance"].to_numpy().astype(np.float32))


def test_array_kinds_round_trip_through_binary_copy(conn: Connection) -> None:
    conn.execute(text("CREATE TEMP TABLE arrays (n integer, nos integer[], ds real[])"))
    nos = np.array([[3, -1, 2_000_000_000], [0, 1, 2]], dtype=np.int32)
    ds = np.array([[0.5, 1e-3, 7.25], [np.inf, -2.5, 0.0]], dtype=np.float32)
    payload = copy_payload([("int4", np.array([1, 2], dtype=np.int32)), ("int4[3]", nos), ("float4[3]", ds)])
    copy_in(conn, "arrays", ["n", "nos", "ds"], payload)
    rows = conn.execute(text("SELECT n, nos, ds FROM arrays ORDER BY n")).all()
    assert [(n, list(a), list(d)) for n, a, d in rows] == [(1, [3, -1, 2_000_000_000], [0.5, 0.001, 7.25]),
                                                           (2, [0, 1, 2], [float("inf"), -2.5, 0.0])]  # fmt: skip
    n, back_nos, back_ds = copy_out_fixed(conn, "SELECT n, nos, ds FROM arrays ORDER BY n",
                                          ["int4", "int4[3]", "float4[3]"])  # fmt: skip
    np.testing.assert_array_equal(back_nos, nos)
    np.testing.assert_array_equal(back_ds, ds)
    with pytest.raises(ValueError):
        copy_payload([("int4[2]", nos)])  # three columns for an array of two


def test_track_page_reads_the_neighbours_the_discover_stage_found(
    clean_db: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    found: list[Discovered] = []
    original = discover_overlap.publish_builders  # the discover builders of the publish (jobs.discover_overlap)

    def keep(discovered: Discovered):  # type: ignore[no-untyped-def]
        found.append(discovered)
        return original(discovered)

    monkeypatch.setattr(discover_overlap, "publish_builders", keep)
    monkeypatch.setattr(similar_tracks_module, "CHUNK_TRACKS", 97)  # several chunks, the last one short
    with lock.exclusive_run(clean_db):
        outcome = pipeline.backfill(clean_db, tiny_source(n_artists=120), end_date=DAY, days=8, trigger="cli",
                                    requested_by="test", config=config())  # fmt: skip
    tracks = found[-1].sound.tracks
    assert found[-1].sound.similar is not None
    similar = found[-1].sound.similar.frame(tracks["track_id"].to_numpy())
    assert len(similar) > 0
    with clean_db.connect() as conn:
        published = pd.DataFrame(
            conn.execute(
                text("""
                    SELECT t.track_id, CAST(u.rank AS integer) AS rank, n.track_id AS similar_track_id, u.distance
                    FROM agg_similar_tracks s
                    JOIN agg_discover_tracks t ON t.publication_id = s.publication_id AND t.track_no = s.track_no
                    CROSS JOIN LATERAL unnest(s.similar_nos, s.distances) WITH ORDINALITY AS u (no, distance, rank)
                    JOIN agg_discover_tracks n ON n.publication_id = s.publication_id AND n.track_no = u.no
                    WHERE s.publication_id = :pid ORDER BY t.track_no, u.rank
                """),
                {"pid": outcome.publication_id},
            ).all(),
            columns=["track_id", "rank", "similar_track_id", "distance"],
        )
        assert len(published) == len(similar) == 10 * len(tracks)
        assert published["track_id"].tolist() == similar["track_id"].tolist()
        assert published["rank"].tolist() == similar["rank"].tolist()
        assert published["similar_track_id"].tolist() == similar["similar_track_id"].tolist()
        # real, as the old text COPY of the rounded distances stored them
        distances = published["distance"].to_numpy(np.float32)
        np.testing.assert_array_equal(distances, similar["distance"].astype(np.float32))
        track = str(tracks["track_id"].iloc[5])
        page = similar_tracks(conn=conn, publication_id=outcome.publication_id, track_id=track)
        expected = similar[similar["track_id"] == track]
        assert page["rank"].tolist() == list(range(1, 11))
        assert page["track_id"].tolist() == expected["similar_track_id"].tolist()
        names = tracks.set_index("track_id")["name"]
        assert page["name"].tolist() == names[expected["similar_track_id"]].tolist()
        assert similar_tracks(conn=conn, publication_id=outcome.publication_id, track_id="no-such-track").empty
