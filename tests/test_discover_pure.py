"""The discover computations on tiny hand-made tables: segments, collaborators, micro-genres, neighbours."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd

from model.popularity import OOF_FOLDS, PARAMS, ROUNDS, _design, fit_popularity, genre_evolution
from model.segments import adjacency, collaboration_ideas, market_segment, partner_map, reachable_adjacency
from model.sound import micro_genres, nearest_tracks, standardise

# A -> B (0.9), C (0.8), F (0.1); B -> C (0.9), D (0.5); C -> E (0.6), A (0.9); D -> F (0.7); E -> B (0.2)
GRAPH = pd.DataFrame(
    [("A", "B", 0.9), ("A", "C", 0.8), ("A", "F", 0.1), ("B", "C", 0.9), ("B", "D", 0.5), ("C", "E", 0.6),
     ("C", "A", 0.9), ("D", "F", 0.7), ("E", "B", 0.2)],
    columns=["artist_id", "similar_artist_id", "match"],
)  # fmt: skip


def test_two_hop_segment_on_a_six_artist_graph() -> None:
    segment = market_segment(adjacency(GRAPH, 20), "A", hops=2, per_hop=20)
    rows = {r.artist_id: (r.hop, round(r.closeness, 3)) for r in segment.itertuples()}
    # F is a (weak) first hop; D and E are second hops with the product of the matches; the seed is left out;
    # C stays a first hop at 0.8 although B -> C would make it a closer (0.81) second hop.
    assert rows == {"B": (1, 0.9), "C": (1, 0.8), "F": (1, 0.1), "D": (2, 0.45), "E": (2, 0.48)}
    assert list(segment["artist_id"]) == ["B", "C", "F", "E", "D"]


def test_segment_takes_at_most_per_hop_of_each_artists_list_and_stops_at_hops() -> None:
    one = market_segment(adjacency(GRAPH, 1), "A", hops=2, per_hop=1)
    assert list(one["artist_id"]) == ["B", "C"]  # A's strongest is B, B's strongest is C
    assert set(market_segment(adjacency(GRAPH, 20), "A", hops=1)["artist_id"]) == {"B", "C", "F"}


def test_segments_from_the_reachable_lists_equal_those_from_every_list() -> None:
    """`reachable_adjacency` builds lists only for what the seeds reach in fewer than `hops` hops: on a random
    graph, each segment equals the one from the whole `adjacency`, and far fewer lists are built."""
    rng = np.random.default_rng(3)
    artists = [f"a{i}" for i in range(400)]
    rows = [(a, artists[j], float(rng.random())) for a in artists for j in rng.choice(400, 12, replace=False)]
    graph = pd.DataFrame(rows, columns=["artist_id", "similar_artist_id", "match"])
    seeds = ["a1", "a7", "a99"]
    for hops, per_hop in [(1, 5), (2, 4), (3, 3)]:
        asked: list[list[str]] = []

        def lists(artists: list[str], _asked: list[list[str]] = asked) -> pd.DataFrame:
            _asked.append(artists)
            return graph[graph["artist_id"].isin(artists)]

        every, reachable = adjacency(graph, per_hop), reachable_adjacency(lists, seeds, hops=hops, per_hop=per_hop)
        assert all(reachable[a] == every[a] for a in reachable) and len(reachable) < len(every)
        assert sum(map(len, asked)) == len(reachable) and len(asked) <= hops  # only the lists it builds are read
        for seed in seeds:
            pd.testing.assert_frame_equal(
                market_segment(reachable, seed, hops=hops, per_hop=per_hop),
                market_segment(every, seed, hops=hops, per_hop=per_hop),
            )


def test_collaborators_exclude_the_seed_and_its_existing_partners() -> None:
    credits = pd.DataFrame(
        [("t1", "B"), ("t1", "X"), ("t2", "C"), ("t2", "Y"), ("t3", "A"), ("t3", "Y"), ("t4", "B"), ("t4", "A"),
         ("t5", "Z"), ("t5", "W"), ("t6", "C"), ("t6", "V")],
        columns=["track_id", "artist_id"],
    )  # fmt: skip
    segment = market_segment(adjacency(GRAPH, 20), "A", hops=2)
    ideas = collaboration_ideas(segment, partner_map(credits), "A", {"X": 50.0, "V": 90.0}, closest=20)
    # Y already worked with A, B did too (t4), Z/W never worked with the segment; X via B, V via C.
    assert set(ideas["artist_id"]) == {"X", "V"}
    assert dict(zip(ideas["artist_id"], ideas["via_artist_id"], strict=True)) == {"X": "B", "V": "C"}
    assert list(ideas["artist_id"]) == ["V", "X"]  # 0.5*0.8 + 0.45 beats 0.5*0.9 + 0.25


def test_partners_are_every_other_artist_of_each_shared_track_repeats_counted_once() -> None:
    rng = np.random.default_rng(4)
    credits = pd.DataFrame({"track_id": [f"t{i}" for i in rng.integers(0, 300, 900)],
                            "artist_id": [f"a{i}" for i in rng.integers(0, 120, 900)]})  # fmt: skip
    credits = pd.concat([credits, credits.iloc[:50], pd.DataFrame({"track_id": ["solo", "solo"], "artist_id": "s"})])
    by_track: dict[str, set[str]] = {}
    for track, artist in zip(credits["track_id"], credits["artist_id"], strict=True):
        by_track.setdefault(track, set()).add(artist)
    expected: dict[str, set[str]] = {}
    for artists in by_track.values():
        for artist in artists:
            if artists - {artist}:
                expected.setdefault(artist, set()).update(artists - {artist})
    assert partner_map(credits) == expected and "s" not in expected and len(expected) > 100
    assert partner_map(credits.iloc[:600], credits.iloc[600:]) == expected  # credits and 'feat.' guests, apart


def test_kmeans_finds_separable_blobs_and_picks_their_number() -> None:
    rng = np.random.default_rng(1)
    centres = np.array([[0, 0, 0], [8, 0, 0], [0, 8, 0], [0, 0, 8]])
    points = np.vstack([c + rng.normal(0, 0.5, (60, 3)) for c in centres])
    truth = np.repeat(np.arange(4), 60)
    found = micro_genres(standardise(points), (2, 7), seed=0)
    assert found.k == 4 and found.silhouette > 0.7
    # every blob is one cluster and no cluster spans two blobs
    pairs = set(zip(truth, found.labels, strict=True))
    assert len(pairs) == 4 and len({b for _, b in pairs}) == 4


def test_neighbours_on_a_known_grid() -> None:
    grid = np.array([(x, y) for x in range(5) for y in range(5)], dtype=float)
    index, distance = nearest_tracks(grid, 4)
    centre = 2 * 5 + 2  # (2, 2)
    assert {tuple(grid[i]) for i in index[centre]} == {(1, 2), (3, 2), (2, 1), (2, 3)}
    assert np.allclose(distance[centre], 1.0)
    corner = nearest_tracks(grid, 2)[0][0]  # (0, 0): its two neighbours at distance 1
    assert {tuple(grid[i]) for i in corner} == {(0, 1), (1, 0)}
    assert all(centre not in row for row in index[[centre]])


def test_approximate_neighbours_find_the_exact_ones() -> None:
    """Above `exact_max` rows the graph index answers: it finds at least 97% of the exact 10 nearest, at the
    exact distances, never the row itself, and the same neighbours twice."""
    z = np.random.default_rng(4).normal(size=(6_000, 9))
    exact_index, exact_distance = nearest_tracks(z, 10)
    index, distance = nearest_tracks(z, 10, exact_max=1_000)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(index, exact_index, strict=True)])
    assert recall >= 0.97, recall
    assert not (index == np.arange(len(z))[:, None]).any()
    found = np.linalg.norm(z[index] - z[:, None, :], axis=2)
    assert np.allclose(distance, found, atol=1e-4) and (np.diff(distance, axis=1) >= -1e-6).all()
    assert (nearest_tracks(z, 10, exact_max=1_000)[0] == index).all()
    assert np.mean(distance[:, -1]) <= np.mean(exact_distance[:, -1]) * 1.02


def test_genre_evolution_shares_sum_to_one_per_year() -> None:
    tracks = pd.DataFrame(
        {"release_year": [2020, 2020, 2020, 2021, 2021], "genre": ["pop", "pop", "rock", "rock", "pop"],
         "is_hit": [True, True, True, True, False]}
    )  # fmt: skip
    evolution = genre_evolution(tracks, "genre")
    shares = {(r.label, r.release_year): round(r.share, 3) for r in evolution.itertuples()}
    assert shares == {("pop", 2020): 0.667, ("rock", 2020): 0.333, ("rock", 2021): 1.0}


def test_published_predicted_popularity_never_comes_from_a_fit_that_saw_the_track() -> None:
    rng = np.random.default_rng(1)
    n = 300
    frame = pd.DataFrame({
        "track_id": [f"t{i}" for i in range(n)], "energy": rng.uniform(0, 1, n), "genre": "pop",
        "release_date": pd.date_range("2020-01-01", periods=n, freq="D"),
    })  # fmt: skip
    frame["popularity"] = 20 + 40 * frame["energy"] + rng.normal(0, 2, n)
    changed = frame.copy()
    changed.loc[150, "popularity"] = 100.0  # only this track's own outcome differs
    before, after = fit_popularity(frame, ["energy"]), fit_popularity(changed, ["energy"])
    assert before is not None and after is not None
    assert after.predictions[150] == before.predictions[150]  # its prediction did not see its own label
    assert after.metrics["predictions"].startswith("out-of-fold") and not np.isnan(after.predictions).any()


def test_the_forward_test_is_the_newest_blocks_fit_on_every_older_release() -> None:
    """The regression's published metrics are a fit on the oldest releases predicting the newest block (the
    out-of-fold fit of that block, not a seventh fit): what a separate fit on those rows gives, and the baselines
    are fitted on the same training rows."""
    rng = np.random.default_rng(3)
    n = 503
    frame = pd.DataFrame({
        "track_id": [f"t{i}" for i in range(n)], "energy": rng.uniform(0, 1, n), "genre": rng.choice(["a", "b"], n),
        "release_date": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.permutation(n), unit="D"),
    })  # fmt: skip
    frame["popularity"] = 20 + 40 * frame["energy"] + rng.normal(0, 5, n)
    fit = fit_popularity(frame, ["energy"], seed=1)
    assert fit is not None
    known = frame.sort_values(["release_date", "track_id"])
    cut = n - len(np.array_split(np.arange(n), OOF_FOLDS)[-1])
    assert (fit.metrics["n_train"], fit.metrics["n_test"]) == (cut, n - cut)
    assert fit.metrics["test_from"] == str(known["release_date"].iloc[cut])
    x = _design(known, ["energy"])
    y = known["popularity"].to_numpy(dtype=float)
    forward = lgb.train({**PARAMS, "seed": 1}, lgb.Dataset(x[:cut], label=y[:cut]), ROUNDS).predict(x[cut:])
    rmse = round(float(np.sqrt(np.mean((y[cut:] - forward) ** 2))), 3)
    assert fit.metrics["model"]["rmse"] == rmse
    assert fit.metrics["baselines"]["train mean"]["mae"] == round(float(np.mean(np.abs(y[cut:] - y[:cut].mean()))), 3)
    np.testing.assert_array_equal(fit.predictions[known.index[cut:]], forward)  # the newest block's predictions
