"""What a scout reads, as pure functions: the glossary covers every feature the model emits, reasons come in
words with values and percentage points, calibration in words from either report shape, one number format,
the search finds songs by their title and folds identical rows, one alert row per artist and spike.

    pytest tests/test_dashboard_scout.py
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from dashboard import calibration, figures, formats, glossary, links, scout_rows
from dashboard.reasons import effect_points, reasons
from dashboard.search import SearchIndex
from model.features import build_features, feature_names
from model.frames import AUDIO_COLUMNS, COUNT_METRICS, RANK_METRICS, ModelFrames
from tests.model_data import demo_frames

EVERY_METRIC = sorted(COUNT_METRICS | RANK_METRICS | {"spotify_popularity"})


def _every_metric_frames() -> ModelFrames:
    """The demo market plus one artist and one track observed in every metric the model knows, with audio."""
    frames = demo_frames(n_artists=20, days=40)
    days = sorted(frames.observations["observed_on"].unique())
    track = frames.tracks["track_id"].iloc[0]
    artist = frames.track_artists.loc[frames.track_artists["track_id"] == track, "artist_id"].iloc[0]
    extra = [
        {"entity_type": kind, "entity_id": entity, "metric": metric, "observed_on": day, "source": "test",
         "value": float(10 + i)}
        for kind, entity in (("artist", artist), ("track", track))
        for metric in EVERY_METRIC
        for i, day in enumerate(days)
    ]  # fmt: skip
    observations = pd.concat([frames.observations, pd.DataFrame(extra)], ignore_index=True)
    audio = frames.audio_features
    assert set(AUDIO_COLUMNS) <= set(audio.columns)
    return ModelFrames(observations, frames.tracks, frames.track_artists, frames.artists, audio)


@pytest.fixture(scope="module")
def every_metric_frames() -> ModelFrames:
    return _every_metric_frames()


@pytest.mark.parametrize("hit_metric", ["spotify_popularity", "chart_position"])
@pytest.mark.parametrize("mode", ["history", "snapshot"])
def test_every_feature_the_model_emits_has_a_glossary_label(
    every_metric_frames: ModelFrames, hit_metric: str, mode: str
) -> None:
    frames = every_metric_frames
    when = frames.observations["observed_on"].max()
    features = build_features(frames, [when], hit_metric=hit_metric, hit_threshold=50, mode=mode)
    names = feature_names(features)
    assert len(names) > 10
    unlabelled = [name for name in names if glossary.term(name) is None]
    assert unlabelled == [], f"features without a glossary entry: {unlabelled}"
    labels = [glossary.label(name) for name in names]
    assert len(set(labels)) == len(labels), "two features share a label"
    row = features.iloc[0]
    for name in names:  # every value reads as a sentence, never a raw number with no unit
        assert glossary.term(name).phrase(row[name])


def test_the_glossary_knows_which_metrics_count_people_or_plays() -> None:
    kinds = {metric: kind for metric, (_, kind) in glossary.METRICS.items()}
    assert {m for m, k in kinds.items() if k == "count"} == COUNT_METRICS
    assert {m for m, k in kinds.items() if k == "rank"} == RANK_METRICS
    followers = glossary.term("artist_spotify_followers").phrase(math.log1p(12_345))  # log1p in the model
    assert followers == "Artist's Spotify followers 12,345"


def test_reasons_say_the_value_and_the_effect_in_points() -> None:
    p = 0.6
    contributions = {"bias": -2.0, "track_spotify_popularity_7d": 0.9, "days_since_release": 0.3,
                     "artist_prior_hits": -0.4, "release_month": 0.0001}  # fmt: skip
    values = {"track_spotify_popularity_7d": 27.0, "days_since_release": 11.0, "artist_prior_hits": 0.0}
    found = reasons(contributions, values, p)
    logit = math.log(p / (1 - p))
    expected = {k: p - 1 / (1 + math.exp(-(logit - c))) for k, c in contributions.items() if k != "bias"}
    assert [r.feature for r in found] == ["track_spotify_popularity_7d", "artist_prior_hits", "days_since_release"]
    assert found[0].effect == pytest.approx(expected["track_spotify_popularity_7d"])
    assert (
        found[0].words
        == f"Spotify popularity +27 points in 7 days: +{expected['track_spotify_popularity_7d'] * 100:.0f} pts"
    )
    assert found[2].words == f"Released 11 days ago: +{expected['days_since_release'] * 100:.0f} pts"
    assert found[1].words.startswith("Artist's earlier hits 0: -")
    assert effect_points(0.0, 0.3) == pytest.approx(0.0)


BINS = [{"bin_from": b / 10, "bin_to": (b + 1) / 10, "mean_predicted": b / 10 + 0.05,
         "observed_rate": b / 10 + 0.02, "n": 100} for b in range(10)]  # fmt: skip


def test_calibration_in_words_from_either_report_shape() -> None:
    assert calibration.reliability_bins({"calibration": BINS}) == BINS
    assert calibration.reliability_bins({"calibration": {"ece": 0.02, "bins": list(reversed(BINS))}}) == BINS
    assert calibration.reliability_bins({}) == [] and calibration.reliability_bins(None) == []
    assert calibration.came_true(0.74, BINS) == "of tracks scored like this, about 7 in 10 became hits"
    assert calibration.came_true(1.0, BINS) == "of tracks scored like this, about 9 in 10 became hits"
    assert calibration.came_true(0.04, BINS) == "of tracks scored like this, about 1 in 50 became hits"
    thin = [{**b, "n": 5} for b in BINS]
    assert calibration.came_true(0.74, thin) is None and calibration.came_true(0.74, []) is None
    assert [calibration.band(p) for p in (0.8, 0.3, 0.06)] == ["strong", "watch", "long shot"]
    assert calibration.band_came_true(0.5, 1.01, BINS) == "about 7 in 10"  # bins 0.55..0.95 pooled: 0.72


def test_one_number_format() -> None:
    assert formats.pct(0.748) == "74.8%" and formats.pct(None) == "" and formats.pct(float("nan")) == ""
    assert formats.count(1234567.4) == "1,234,567" and formats.signed(2.54, 1, " pts") == "+2.5 pts"
    assert formats.release_date("2026-01-01", "year") == "2026"
    assert formats.release_date(pd.Timestamp("2026-03-01").date(), "month") == "Mar 2026"
    assert formats.release_date("2026-03-14", "day") == "2026-03-14"
    assert [formats.genre(g) for g in ("edm", "r&b", "hip hop", "K-Pop", "latin")] == [
        "EDM", "R&B", "Hip hop", "K-Pop", "Latin"
    ]  # fmt: skip
    assert formats.points(0.183) == "+18 pts" and formats.points(-0.004) == "-0.4 pts"


def _rows(*rows: tuple) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["kind", "id", "name", "artist_name", "genre", "popularity"])


def test_search_finds_the_song_by_a_misspelt_title_and_folds_identical_rows() -> None:
    index = SearchIndex(
        _rows(
            *[("track", f"t{i}", "Neon Heart", "Kalo", "pop", 40.0 + i) for i in range(7)],  # one song, 7 copies
            ("track", "t9", "Neon Heart", "Zemi", "rock", 12.0),  # a namesake by another artist
            ("artist", "a1", "Neo", "Neo", "pop", 80.0),
            ("artist", "a2", "Hearts", "Hearts", "indie", 70.0),
            ("artist", "a3", "Videlo", "Videlo", "latin", 50.0),
            *[("artist", f"v{i}", "Vide", "Vide", "edm", None) for i in range(7)],
        )
    )
    hits = index.search("neon hart")
    assert [(h.kind, h.name, h.artist) for h in hits] == [("track", "Neon Heart", "Kalo"),
                                                           ("track", "Neon Heart", "Zemi")]  # fmt: skip
    assert hits[0].same == 7 and hits[0].entity_id == "t6" and hits[0].popularity == 46.0  # the most popular copy
    vide = index.search("Vide")
    assert len({(h.kind, h.name, h.artist, h.genre) for h in vide}) == len(vide)  # no two identical rows
    assert vide[0].name == "Vide" and vide[0].same == 7 and "Videlo" in [h.name for h in vide]
    assert index.search("") == [] and index.search("qqqqqqq") == []


def test_alerts_are_one_row_per_artist_and_spike_in_words() -> None:
    frame = pd.DataFrame(
        {
            "artist_id": ["a1", "a2"], "name": ["Kalo", "Zemi"], "genre": ["edm", "r&b"],
            "observed_on": ["2025-06-30"] * 2,
            "metrics": [["spotify_followers", "lastfm_listeners"], ["spotify_popularity"]],
            "zscore": [6.04, 3.3], "since": [pd.Timestamp("2025-06-28").date()] * 2,
            "value": [50_000.0, 61.0], "change": [1240.0, 4.0], "usual_change": [400.0, -0.5],
        }
    )  # fmt: skip
    rows = scout_rows.alert_rows(frame)
    assert rows[0]["spike"] == "Spotify followers: 3.1× usual daily growth (+1,240 a day, usually +400)"
    assert rows[0]["metrics"] == "Spotify followers, Last.fm listeners" and rows[0]["since"] == "2025-06-28"
    assert rows[0]["genre"] == "EDM" and rows[1]["genre"] == "R&B"
    assert rows[1]["spike"] == "Spotify popularity: unusual change (+4.0 a day, usually -0.5)"


def test_emerging_rows_carry_band_words_dates_and_trend() -> None:
    frame = pd.DataFrame(
        {
            "track_id": ["t1"], "name": ["Neon Heart"], "artist_id": ["a1"], "artist_name": ["Kalo"],
            "genre": ["edm"], "release_date": [pd.Timestamp("2026-01-01").date()],
            "release_date_precision": ["year"], "popularity": [55.0], "momentum_7d": [np.float64(6.26)],
            "probability": [0.7481],
        }
    )  # fmt: skip
    (row,) = scout_rows.emerging_rows(frame, BINS, {"t1": [1.0, 2.0, 3.0]})
    assert row["released"] == "2026" and row["genre"] == "EDM" and row["band"] == "strong"
    assert row["came_true"] == "about 7 in 10" and row["trend"] == [1.0, 2.0, 3.0] and row["momentum_7d"] == 6.3


def test_history_shows_the_hit_threshold_and_marks_the_day_it_was_crossed() -> None:
    days = pd.date_range("2025-06-01", periods=5).date
    metrics = ["spotify_popularity"] * 5 + ["spotify_followers"] * 5
    frame = pd.DataFrame({"observed_on": list(days) * 2, "metric": metrics, "source": "demo",
                          "value": [60, 68, 71, 69, 74, 10, 20, 30, 40, 50]})  # fmt: skip
    figure = figures.history_lines(frame, title="History", hit=("spotify_popularity", 70))
    line = next(t for t in figure.data if t.name == "hit threshold 70")
    star = next(t for t in figure.data if t.name == "became a hit")
    assert list(line.y) == [70, 70] and line.yaxis == "y"  # on the popularity panel only
    assert list(star.x) == [days[2]] and list(star.y) == [71.0]  # the first day at or above 70
    never = figures.history_lines(frame[frame["value"] < 70], title="History", hit=("spotify_popularity", 70))
    assert not [t for t in never.data if t.name == "became a hit"]
    chart = frame.assign(metric="chart_position", value=[40, 12, 9, 15, 3] * 2).iloc[:5]
    ranked = figures.history_lines(chart, title="History", hit=("chart_position", 10))
    assert list(next(t for t in ranked.data if t.name == "became a hit").x) == [days[2]]  # lower is better


def test_links_out_only_where_the_id_is_known() -> None:
    spotify_id = "4uLU6hMCjMI75M1A2tKUQC"
    assert links.spotify_url("track", spotify_id) == f"https://open.spotify.com/track/{spotify_id}"
    assert links.spotify_url("artist", "demo:a000001") is None and links.spotify_url("artist", "dataset:ab12") is None
    assert links.lastfm_url("Sigur Rós", "Hoppípolla") == "https://www.last.fm/music/Sigur+R%C3%B3s/_/Hopp%C3%ADpolla"
    assert links.lastfm_url("Kalo", is_demo=True) is None  # a simulated artist has no Last.fm page
    assert links.out_links("artist", "demo:a000001", "Kalo", None, is_demo=True) == []
