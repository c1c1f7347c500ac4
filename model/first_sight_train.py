"""The first-sight model: trained in the same `jobs train` run as the main model, for on-demand lookups.

    result = train_first_sight(ctx, examples, spec, config)   # FirstSightResult; result.report is always set

Examples are the main model's labelled rows (track, date), each with the features a lookup on that date would
see: no track's own history (`model.features.first_sight_at`: the artist's level and growth, prior success,
genre, release timing, duration, audio where present) and the same hit label at the horizon. Restricting to each
track's literal first observation leaves too few rows for a forward test on a small market (the demo's 150
artists over 170 days give 176 such rows and 15 positives), while a lookup on any date is exactly such a row
without its history. It is chosen, validated and fitted by the main model's own `model.train.train_and_validate`
(same rolling origins, paired track bootstrap, win/tie/loss, Platt calibration on an inner forward split)
against the first-sight baselines: prevalence, logistic, the artist's prior-success rate and the artist's level.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from model.examples import LabelSpec
from model.features import FeatureContext, feature_names, first_sight_at
from model.train import TrainConfig, TrainResult, train_and_validate

logger = logging.getLogger(__name__)
LABEL_COLUMNS = ["is_hit_now", "label"]
EXAMPLES = "every labelled (track, date) of the main model, without the track's own history"
REPORT_KEYS = ("forward", "holdout", "folds", "baselines", "ci", "verdict", "positives", "champion", "calibration",
               "skipped_origins", "n_train", "n_test", "prevalence", "features", "protocol", "tuning")  # fmt: skip


@dataclass
class FirstSightResult:
    report: dict[str, Any]
    result: TrainResult | None = None

    def stored(self) -> tuple[str, dict[str, Any]] | None:
        """(model string, params with features and calibration) for `model_versions`, None when skipped."""
        if self.result is None:
            return None
        params = {**self.result.params, **self.result.fitted.describe(), "features": self.result.features}
        return self.result.booster.model_to_string(), params


def first_sight_examples(ctx: FeatureContext, examples: pd.DataFrame, spec: LabelSpec) -> pd.DataFrame:
    """First-sight feature rows for the labelled (track, as_of) of `examples`, with their labels."""
    labelled = examples.loc[examples["label"].notna(), ["track_id", "as_of", *LABEL_COLUMNS]]
    parts = []
    for when in sorted(labelled["as_of"].unique()):
        rows = first_sight_at(ctx, pd.Timestamp(when), hit_metric=spec.metric, hit_threshold=spec.threshold)
        parts.append(rows.merge(labelled, on=["track_id", "as_of"], how="inner"))
    out = pd.concat(parts, ignore_index=True) if parts else labelled.iloc[:0]
    if "genre" in out:
        out["genre"] = pd.Categorical(out["genre"], categories=ctx.genres)
    return out


def train_first_sight(
    ctx: FeatureContext, examples: pd.DataFrame, spec: LabelSpec, config: TrainConfig
) -> FirstSightResult:
    """Train and validate the first-sight model; a report with `skipped` when the data cannot hold a fold."""
    rows = first_sight_examples(ctx, examples, spec)
    names = [n for n in feature_names(rows.drop(columns=LABEL_COLUMNS)) if not n.startswith("track_")]
    if rows.empty:
        return FirstSightResult({"skipped": "no labelled examples", "examples": EXAMPLES})
    # Its own in-memory study: the main run's Optuna study (in PostgreSQL) holds the main model's trials.
    config = replace(config, storage=None, study_name=None)
    try:
        result = train_and_validate(rows, names, config, time_column="as_of", gap_days=spec.horizon_days,
                                    hit_metric=spec.metric, first_sight=True)  # fmt: skip
    except ValueError as error:
        return FirstSightResult({"skipped": str(error), "examples": EXAMPLES})
    report = {key: result.report[key] for key in REPORT_KEYS if key in result.report}
    logger.info("first-sight model: PR-AUC %s, %s against %s", report["forward"].get("pr_auc"), report["verdict"],
                report["ci"]["pr_auc"]["against"])  # fmt: skip
    return FirstSightResult({**report, "examples": EXAMPLES}, result)
