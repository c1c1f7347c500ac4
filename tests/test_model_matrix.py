"""The score stage's numpy input (`model.explain.model_matrix`) against the frame LightGBM is given elsewhere
(`model_input`): the same raw margins, bit for bit, when the stored categories are in another order than the
training's, hold a category training never saw, a row has no category, or a feature the booster needs is absent;
and the calibration from the margin (`calibrated_probability`) equals `published_probability` with a blend.

    python -m pytest tests/test_model_matrix.py -q
"""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd

from model.explain import calibrated_probability, model_input, model_matrix, published_probability

TRAINED_GENRES = ["pop", "rock", "jazz"]


def _booster() -> lgb.Booster:
    rng = np.random.default_rng(3)
    n = 600
    frame = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n),
                          "genre": pd.Categorical(rng.choice(TRAINED_GENRES, n), categories=TRAINED_GENRES),
                          "c": rng.normal(size=n)})  # fmt: skip
    frame.loc[rng.random(n) < 0.1, "b"] = np.nan
    label = ((frame["a"] + (frame["genre"] == "rock") + rng.normal(0, 0.5, n)) > 0.5).astype(int)
    params = {"objective": "binary", "num_threads": 1, "verbose": -1, "min_data_in_leaf": 5, "seed": 1}
    return lgb.train(params, lgb.Dataset(frame, label), num_boost_round=20)


def _stored_rows() -> tuple[np.ndarray, list[str], pd.Categorical]:
    """Rows as the feature table holds them: floats in another column order, `c` absent, genres coded against
    another category list (with "folk", which training never saw, and a missing code)."""
    rng = np.random.default_rng(4)
    n = 300
    numbers = np.column_stack([rng.normal(size=n), rng.normal(size=n), rng.normal(size=n)])
    numbers[::7, 1] = np.nan
    stored_genres = ["folk", "jazz", "pop", "rock"]
    codes = rng.integers(-1, len(stored_genres), n)
    return numbers, ["b", "extra", "a"], pd.Categorical.from_codes(codes, categories=stored_genres)


def test_the_numpy_matrix_predicts_the_same_margins_as_the_frame() -> None:
    booster = _booster()
    numbers, columns, genre = _stored_rows()
    frame = pd.DataFrame(numbers, columns=columns).assign(genre=genre)
    matrix = model_matrix(booster, numbers, columns, {"genre": genre})
    assert matrix is not None and matrix.flags.c_contiguous and matrix.dtype == np.float64
    expected = booster.predict(model_input(booster, frame), raw_score=True)
    np.testing.assert_array_equal(booster.predict(matrix, raw_score=True), expected)
    assert np.isnan(matrix[:, booster.feature_name().index("c")]).all()  # absent: missing, as reindex makes it
    folk = np.asarray(genre == "folk")
    assert np.isnan(matrix[folk, booster.feature_name().index("genre")]).all()  # unseen in training: missing


def test_a_categorical_the_booster_does_not_know_falls_back_to_the_frame() -> None:
    numbers, columns, genre = _stored_rows()
    assert model_matrix(_booster(), numbers, columns, {"genre": genre, "mood": genre}) is None


def test_the_calibration_of_the_margin_is_published_probability() -> None:
    booster = _booster()
    numbers, columns, genre = _stored_rows()
    frame = pd.DataFrame(numbers, columns=columns).assign(genre=genre)
    signal = {"column": "a", "median": 0.0, "mean": 0.1, "scale": 1.2, "coef": 0.7, "coef_missing": 0.1,
              "intercept": -0.3}  # fmt: skip
    params = {"calibration": {"a": 0.8, "b": -0.2},
              "blend": {"weight": 0.6, "calibration": {"a": 1.1, "b": 0.05}, "signal": signal}}  # fmt: skip
    matrix = model_matrix(booster, numbers, columns, {"genre": genre})
    assert matrix is not None
    margin = np.asarray(booster.predict(matrix, raw_score=True))
    np.testing.assert_array_equal(calibrated_probability(margin, params, frame[["a"]]),
                                  published_probability(booster, params, None, frame))  # fmt: skip
