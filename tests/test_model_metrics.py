"""Metrics on hand-computed cases: precision@k and its oracle, average precision, the track-clustered paired
interval and its verdict, quantile reliability bins and ECE, log-loss, the whole metrics dict and its fold mean
(every public function of model/metrics.py).

    python -m pytest tests/test_model_metrics.py -q
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from model.metrics import (
    classification_metrics,
    expected_calibration_error,
    log_loss,
    mean_metrics,
    oracle_at_k,
    precision_at_k,
    reliability_bins,
)
from model.uncertainty import average_precision, paired_difference, verdict


def test_precision_at_k_divides_by_k_capped_at_the_candidates_of_each_list() -> None:
    # Day A: 4 candidates, scores rank hits 1st and 3rd. Day B: 2 candidates, the hit ranks 2nd.
    y = np.array([1, 0, 1, 0, 0, 1])
    p = np.array([0.9, 0.8, 0.7, 0.1, 0.6, 0.5])
    days = np.array(["A", "A", "A", "A", "B", "B"])
    # k = 3: day A top 3 holds 2 hits -> 2/3; day B has 2 candidates, k_B = 2, 1 hit -> 1/2. Mean 7/12.
    assert precision_at_k(y, p, 3, days) == pytest.approx((2 / 3 + 1 / 2) / 2)
    # The oracle: day A min(2 hits, 3) / 3, day B min(1, 2) / 2.
    assert oracle_at_k(y, 3, days) == pytest.approx((2 / 3 + 1 / 2) / 2)
    # k = 1: A's best is a hit (1), B's best is not (0).
    assert precision_at_k(y, p, 1, days) == pytest.approx(0.5)
    assert oracle_at_k(y, 1, days) == pytest.approx(1.0)
    # A list shorter than k is divided by its own size, not by k: 1 hit of 2 candidates at k = 50 is 0.5.
    assert precision_at_k(np.array([1, 0]), np.array([0.2, 0.1]), 50) == pytest.approx(0.5)


def _pandas_lists(y: np.ndarray, p: np.ndarray, k: int, groups: np.ndarray) -> pd.DataFrame:
    """The groupby form model.metrics used before its numpy one: the oracle for it."""
    frame = pd.DataFrame({"y": y.astype(float), "p": p.astype(float), "g": groups})
    frame = frame.sort_values(["g", "p"], ascending=[True, False], kind="mergesort")
    frame["rank"] = frame.groupby("g", sort=False).cumcount()
    per = frame.groupby("g", sort=False).agg(n=("y", "size"), positives=("y", "sum"))
    per["k"] = np.minimum(k, per["n"])
    top = frame[frame["rank"] < frame["g"].map(per["k"])]
    per["hits"] = top.groupby("g", sort=False)["y"].sum().reindex(per.index).fillna(0.0)
    return per


@pytest.mark.parametrize("seed", range(6))
def test_precision_at_k_and_its_oracle_equal_the_groupby_form_on_random_lists_with_ties(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 400))
    y = (rng.random(n) < 0.15).astype(int)
    p = np.round(rng.random(n), 1)  # coarse scores: many ties, where the given order decides the top k
    days = np.datetime64("2026-01-01") + rng.integers(0, 9, n).astype("timedelta64[D]")
    for k in (1, 3, 10, 50):
        per = _pandas_lists(y, p, k, days)
        assert precision_at_k(y, p, k, days) == pytest.approx((per["hits"] / per["k"]).mean(), abs=1e-12)
        oracle = _pandas_lists(y, np.zeros(n), k, days)
        assert oracle_at_k(y, k, days) == pytest.approx(
            (np.minimum(oracle["positives"], oracle["k"]) / oracle["k"]).mean()
        )
    assert np.isnan(precision_at_k(np.array([]), np.array([]), 3)) and np.isnan(oracle_at_k(np.array([]), 3))


def test_average_precision_by_hand_with_ties() -> None:
    # Ranked: hit, miss, hit -> precision at each hit 1/1 and 2/3: AP = (1 + 2/3) / 2.
    assert average_precision(np.array([1, 0, 1]), np.array([0.9, 0.5, 0.1])) == pytest.approx(5 / 6)
    # A tie between a hit and a miss counts as one threshold: precision 1/2 there, recall 1.
    assert average_precision(np.array([1, 0]), np.array([0.5, 0.5])) == pytest.approx(0.5)


def test_paired_interval_is_zero_for_identical_scores_and_a_win_for_a_clearly_better_ranking() -> None:
    rng = np.random.default_rng(3)
    n = 600
    tracks = rng.integers(0, 150, n)
    y = (rng.random(n) < 0.2).astype(float)
    origins = rng.integers(0, 3, n)
    noise = rng.random(n)
    same = paired_difference(y, noise, noise, origins=origins, clusters=tracks, n_boot=200, seed=1)
    assert (same["diff"], same["lo"], same["hi"]) == (0.0, 0.0, 0.0) and verdict(same["lo"], same["hi"]) == "tie"
    good = y + 0.5 * noise  # every hit ranks above every miss: AP 1 on each origin
    ci = paired_difference(y, good, noise, origins=origins, clusters=tracks, n_boot=200, seed=1)
    expected = 1.0 - np.mean([average_precision(y[origins == o], noise[origins == o]) for o in range(3)])
    assert ci["a"] == pytest.approx(1.0) and ci["diff"] == pytest.approx(expected)
    assert 0 < ci["lo"] <= ci["diff"] <= ci["hi"] and verdict(ci["lo"], ci["hi"]) == "win"
    flipped = paired_difference(y, noise, good, origins=origins, clusters=tracks, n_boot=200, seed=1)
    assert flipped["hi"] < 0 and verdict(flipped["lo"], flipped["hi"]) == "loss"


def test_interval_resamples_whole_tracks() -> None:
    # Two tracks, each with 50 identical rows: clustered, there are only two units. A draw of the same
    # track twice leaves one class, so the interval rests on the draws holding both tracks.
    y = np.r_[np.ones(50), np.zeros(50)]
    a, b = np.r_[np.ones(50), np.zeros(50)], np.r_[np.zeros(50), np.ones(50)]
    tracks = np.r_[np.zeros(50), np.ones(50)]
    ci = paired_difference(y, a, b, origins=np.zeros(100), clusters=tracks, n_boot=100, seed=0)
    # Draws: both tracks (diff 0.5), the hit track twice (only hits: AP 1 for both, diff 0), the other twice
    # (no hit: no AP, dropped). Rows resampled one by one would give an interval tight around 0.5.
    assert ci["clusters"] == 2 and ci["diff"] == pytest.approx(0.5)
    assert ci["lo"] == pytest.approx(0.0) and ci["hi"] == pytest.approx(0.5)


def test_reliability_bins_are_quantiles_and_ece_is_their_weighted_gap() -> None:
    p = np.array([0.1, 0.1, 0.2, 0.2, 0.6, 0.6, 0.8, 0.8])
    y = np.array([0, 0, 0, 1, 1, 0, 1, 1])
    bins = reliability_bins(y, p, bins=4)
    assert [(b["bin_from"], b["bin_to"], b["n"]) for b in bins] == [(0.1, 0.1, 2), (0.2, 0.2, 2), (0.6, 0.6, 2),
                                                                    (0.8, 0.8, 2)]  # fmt: skip
    assert [b["observed_rate"] for b in bins] == [0.0, 0.5, 0.5, 1.0]
    assert [b["mean_predicted"] for b in bins] == pytest.approx([0.1, 0.2, 0.6, 0.8])
    # ECE = (2*0.1 + 2*0.3 + 2*0.1 + 2*0.2) / 8 = 0.175
    assert expected_calibration_error(bins) == pytest.approx(0.175)
    # Unequal bins weigh by their rows: four tied 0.1s share one bin (observed 1/4), then two 0.2s (1/2), then
    # 0.6 and 0.8 (both hits). ECE = (4 * 0.15 + 2 * 0.3 + 2 * 0.3) / 8 = 0.225 (an unweighted mean gives 0.25).
    uneven = reliability_bins(np.array([0, 0, 0, 1, 0, 1, 1, 1]), np.array([0.1] * 4 + [0.2, 0.2, 0.6, 0.8]), bins=4)
    assert [b["n"] for b in uneven] == [4, 2, 2]
    assert expected_calibration_error(uneven) == pytest.approx(0.225)
    # Tied scores never straddle two bins: five equal scores and one higher give two bins.
    tied = reliability_bins(np.array([0, 0, 1, 0, 0, 1]), np.array([0.3] * 5 + [0.9]), bins=3)
    assert [b["n"] for b in tied] == [5, 1]


def test_log_loss_by_hand_and_clipped_at_certainty() -> None:
    # -(ln 0.8 + ln 0.5) / 2: a hit scored 0.8, a non-hit scored 0.5.
    assert log_loss(np.array([1, 0]), np.array([0.8, 0.5])) == pytest.approx(-(np.log(0.8) + np.log(0.5)) / 2)
    # A confident miss costs -ln(1e-6), not infinity; an empty set has no loss.
    assert log_loss(np.array([1]), np.array([0.0])) == pytest.approx(-np.log(1e-6))
    assert np.isnan(log_loss(np.array([]), np.array([])))


def test_classification_metrics_by_hand() -> None:
    y = np.array([1, 0, 1, 0])
    p = np.array([0.9, 0.6, 0.4, 0.1])
    m = classification_metrics(y, p, k=2)
    # Ranking 1, 0, 1, 0: AP = (1/1 + 2/3) / 2; ROC-AUC = 3 of 4 (hit, non-hit) pairs in order.
    assert m["pr_auc"] == pytest.approx((1 + 2 / 3) / 2) and m["roc_auc"] == pytest.approx(3 / 4)
    assert m["precision_at_k"] == pytest.approx(1 / 2) and m["oracle_at_k"] == pytest.approx(1.0)
    assert m["brier"] == pytest.approx((0.1**2 + 0.6**2 + 0.6**2 + 0.1**2) / 4)
    assert (m["n"], m["positives"], m["prevalence"], m["k"]) == (4, 2, 0.5, 2)
    one_class = classification_metrics(np.array([0, 0]), np.array([0.2, 0.3]), k=1)
    assert np.isnan(one_class["pr_auc"]) and np.isnan(one_class["roc_auc"])  # undefined, not 0


def test_mean_metrics_averages_defined_folds_and_sums_counts() -> None:
    a = {"pr_auc": 0.2, "roc_auc": 0.6, "precision_at_k": 0.5, "oracle_at_k": 1.0, "brier": 0.1, "log_loss": 0.3,
         "prevalence": 0.1, "k": 5, "n": 10, "positives": 1}  # fmt: skip
    b = {**a, "pr_auc": 0.4, "roc_auc": float("nan"), "n": 30, "positives": 3}
    m = mean_metrics([a, b])
    assert m["pr_auc"] == pytest.approx(0.3) and m["roc_auc"] == pytest.approx(0.6)  # the NaN fold is left out
    assert (m["n"], m["positives"], m["k"]) == (40, 4, 5)
    assert mean_metrics([]) == {}
