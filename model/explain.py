"""Scores and explanations: hit probabilities, per-feature contributions (LightGBM `pred_contrib`) and
feature importance by gain and by mean |contribution|.

Contributions are in log-odds: for each row, their sum plus the bias equals the logit of the probability.
`published_scores` gives what the list shows: the calibrated probability (or the baseline champion's).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd

from model.baselines import SignalModel
from model.calibrate import Platt

BIAS = "bias"


def model_input(booster: lgb.Booster, features: pd.DataFrame) -> pd.DataFrame:
    """The booster's columns in its order; a feature the data lacks is NaN (missing, as in training)."""
    return features.reindex(columns=booster.feature_name())


def model_matrix(
    booster: lgb.Booster, numbers: np.ndarray, columns: Sequence[str], categorical: Mapping[str, pd.Categorical]
) -> np.ndarray | None:
    """`model_input` as the float64 matrix LightGBM makes of it, built straight from numpy: `numbers` (rows x
    `columns`, float) and the `categorical` columns, in the booster's feature order, a feature the data lacks NaN.
    A categorical column is coded as LightGBM codes a pandas one at predict time (`set_categories` to the
    training's categories, `booster.pandas_categorical`; an unknown or missing category is NaN), so the
    predictions are those of `model_input`'s frame. None when the booster's categorical features are not
    `categorical`'s (the caller then predicts on the frame)."""
    names = booster.feature_name()
    trained = booster.pandas_categorical or []
    categorical_names = [name for name in names if name in categorical]
    if len(trained) != len(categorical_names) or set(categorical_names) != set(categorical):
        return None
    position = {column: index for index, column in enumerate(columns)}
    out = np.empty((len(numbers), len(names)))
    for to, source, width in _runs([(index, position.get(name, -1)) for index, name in enumerate(names)]):
        if source < 0:
            out[:, to : to + width] = np.nan  # a feature the data lacks (or a categorical, filled below)
        else:  # a run of columns in the same order on both sides: one strided block copy, not a gather
            out[:, to : to + width] = numbers[:, source : source + width]
    for name, categories in zip(categorical_names, trained, strict=True):
        column = categorical[name]
        if list(column.categories) != list(categories):  # as LightGBM does: recode only when they differ
            column = column.set_categories(categories)
        out[:, names.index(name)] = np.where(column.codes < 0, np.nan, column.codes)
    return out


def _runs(pairs: list[tuple[int, int]]) -> list[tuple[int, int, int]]:
    """(to, source, width) blocks of consecutive (to, source) pairs, source -1 meaning absent."""
    runs: list[tuple[int, int, int]] = []
    for to, source in pairs:
        if runs:
            last_to, last_source, width = runs[-1]
            absent = source < 0 and last_source < 0
            if last_to + width == to and (absent or (last_source >= 0 and last_source + width == source)):
                runs[-1] = (last_to, last_source, width + 1)
                continue
        runs.append((to, source, 1))
    return runs


def predict(booster: lgb.Booster, features: pd.DataFrame) -> np.ndarray:
    return np.asarray(booster.predict(model_input(booster, features)), dtype=float)


def contributions(booster: lgb.Booster, features: pd.DataFrame) -> pd.DataFrame:
    """One column per feature plus `bias`, in log-odds; rows align with `features` (none: an empty frame)."""
    columns = [*booster.feature_name(), BIAS]
    if not len(features):  # LightGBM refuses empty input; a partition of artists may have no track scored today
        return pd.DataFrame(np.zeros((0, len(columns))), columns=columns, index=features.index)
    values = np.asarray(booster.predict(model_input(booster, features), pred_contrib=True))
    return pd.DataFrame(values, columns=columns, index=features.index)


def feature_importance(booster: lgb.Booster, contrib: pd.DataFrame) -> pd.DataFrame:
    """Gain (total, from the trees) and mean |contribution| (on the scored rows) per feature."""
    names = booster.feature_name()
    gain = booster.feature_importance(importance_type="gain")
    mean_abs = contrib[names].abs().mean().to_numpy() if len(contrib) else np.zeros(len(names))
    frame = pd.DataFrame({"feature": names, "gain": gain.astype(float), "mean_abs_contribution": mean_abs})
    return frame.sort_values("gain", ascending=False, kind="mergesort").reset_index(drop=True)


def logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=float), 1e-15, 1 - 1e-15)
    return np.log(p / (1 - p))


def published_probability(
    booster: lgb.Booster, params: dict[str, Any], champion: dict[str, Any] | None, rows: pd.DataFrame
) -> np.ndarray:
    """The probability `published_scores` gives, from the booster's margin alone (no TreeSHAP): the
    contributions sum to the raw margin, so the same calibration (and blend) applied to it gives the same logit."""
    if is_baseline(champion):
        return SignalModel(**champion["signal"]).scores(rows)  # type: ignore[index]
    margin = np.asarray(booster.predict(model_input(booster, rows), raw_score=True), dtype=float)
    return calibrated_probability(margin, params, rows)


def is_baseline(champion: dict[str, Any] | None) -> bool:
    """Whether the champion is a one-signal baseline: the list is then ranked by that signal, not the booster."""
    return bool(champion and champion.get("kind") == "baseline" and champion.get("signal"))


def signal_columns(params: dict[str, Any], champion: dict[str, Any] | None) -> list[str]:
    """The feature columns the calibration reads besides the margin: a baseline champion's or a blend's signal."""
    if is_baseline(champion):
        return [str(champion["signal"]["column"])]  # type: ignore[index]
    blend = params.get("blend")
    return [str(blend["signal"]["column"])] if blend else []


def calibrated_probability(margin: np.ndarray, params: dict[str, Any], rows: pd.DataFrame) -> np.ndarray:
    """The model's published probability from the booster's raw `margin`: Platt on it (`params["calibration"]`),
    and with a blend, mixed with the signal's logit (read from `rows`, which needs only `signal_columns`) and
    re-calibrated. Vectorised: one numpy expression over every row."""
    platt = Platt.from_dict(params.get("calibration"))
    total = platt.a * np.asarray(margin, dtype=float) + platt.b
    blend = params.get("blend")
    if blend:
        weight, outer = float(blend["weight"]), Platt.from_dict(blend["calibration"])
        part, bias = SignalModel(**blend["signal"]).parts(rows)
        total = outer.a * (weight * total + (1 - weight) * (part + bias)) + outer.b
    return np.asarray(1.0 / (1.0 + np.exp(-total)))


def published_scores(
    booster: lgb.Booster,
    params: dict[str, Any],
    champion: dict[str, Any] | None,
    rows: pd.DataFrame,
    raw: pd.DataFrame | None = None,
) -> tuple[np.ndarray, pd.DataFrame]:
    """The probability the list shows and its contributions, in calibrated log-odds (they sum to its logit).

    - the model: Platt on the booster's margin, so each contribution is scaled by the slope (`params
      ["calibration"]`), and with a blend, mixed with the signal's logit and re-calibrated (`params["blend"]`);
    - a baseline champion (`champion["signal"]`): the list is ranked by that one signal, and its only reason is
      that signal (plus the bias).
    `raw` is `contributions(booster, rows)` when the caller already has it (TreeSHAP is the slow part).
    """
    if champion and champion.get("kind") == "baseline" and champion.get("signal"):
        signal = SignalModel(**champion["signal"])
        part, bias = signal.parts(rows)
        frame = pd.DataFrame({signal.column: part, BIAS: bias}, index=rows.index)
        return signal.scores(rows), frame
    raw = contributions(booster, rows) if raw is None else raw  # `raw`: the caller's, to run TreeSHAP once
    platt = Platt.from_dict(params.get("calibration"))
    scaled = raw * platt.a
    scaled[BIAS] += platt.b
    blend = params.get("blend")
    if blend:
        weight, outer = float(blend["weight"]), Platt.from_dict(blend["calibration"])
        signal = SignalModel(**blend["signal"])
        part, bias = signal.parts(rows)
        scaled = scaled * (outer.a * weight)
        if signal.column not in scaled:
            scaled[signal.column] = 0.0
        scaled[signal.column] += outer.a * (1 - weight) * part
        scaled[BIAS] += outer.a * (1 - weight) * bias + outer.b
    total = scaled.sum(axis=1).to_numpy()
    return 1.0 / (1.0 + np.exp(-total)), scaled
