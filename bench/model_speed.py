"""Model speed on the demo market: training time, and scoring rows/s inside the score path versus LightGBM's
raw `predict` on the same rows in the same process. Prints the figures and saves them as JSON.

    python -m bench.model_speed [--artists 3000] [--days 240] [--trials 40] [--budget 60]

Tuning runs under the demo's default budget (`DEMO_TRAIN_BUDGET` 60 s, `OPTUNA_TRIALS` 40) on one thread, and
the figures say how many trials completed and the best score against trials.

"Score path" = features as of the day for every tracked track + probability + `pred_contrib` + the JSON
contributions column, i.e. what the refresh run does after reading the frames (the database read and COPY
are measured by the run's stage timings in `job_runs`).
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from jobs.score import _contribution_json
from jobs.sources.demo import DemoSource
from model.examples import LabelSpec, build_examples
from model.explain import contributions, model_input, predict
from model.features import FeatureContext, build_features, feature_names
from model.frames import ModelFrames
from model.train import TrainConfig, train_and_validate

RESULTS = Path(__file__).resolve().parent / "results"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--artists", type=int, default=3000)
    parser.add_argument("--days", type=int, default=240)
    parser.add_argument("--trials", type=int, default=40, help="Optuna trial cap (default: OPTUNA_TRIALS' 40)")
    parser.add_argument("--budget", type=float, default=60, help="tuning seconds (default: the demo's 60)")
    args = parser.parse_args()
    end = date(2025, 6, 30)
    started = time.perf_counter()
    source = DemoSource(seed=42, n_artists=args.artists, start=date(2023, 1, 1))
    batches = list(source.extract_range(end - timedelta(days=args.days - 1), end))
    frames = ModelFrames(
        pd.concat([b.observations for b in batches], ignore_index=True), batches[0].tracks,
        batches[0].track_artists, batches[0].artists, batches[0].audio_features,
    )  # fmt: skip
    generate = time.perf_counter() - started

    started = time.perf_counter()
    ctx = FeatureContext.build(frames)
    examples = build_examples(ctx, LabelSpec())
    features_s = time.perf_counter() - started
    names = feature_names(examples.drop(columns=["is_hit_now", "label"]))
    started = time.perf_counter()
    config = TrainConfig(n_trials=args.trials, time_budget=args.budget, num_threads=1)
    result = train_and_validate(examples, names, config, gap_days=28)
    train_s = time.perf_counter() - started

    day = pd.Timestamp(end)
    started = time.perf_counter()
    rows = build_features(ctx, [day], hit_metric="spotify_popularity", hit_threshold=70)
    probability = predict(result.booster, rows)  # the raw booster: the calibrated path adds one affine map
    contrib = contributions(result.booster, rows)
    _contribution_json(contrib)
    path_s = time.perf_counter() - started
    raw_input = model_input(result.booster, rows)
    started = time.perf_counter()
    result.booster.predict(raw_input)
    raw_s = time.perf_counter() - started
    figures = {
        "artists": args.artists, "days": args.days, "observations": len(frames.observations),
        "examples": len(examples), "labelled": int(examples["label"].notna().sum()),
        "generate_s": round(generate, 2), "features_and_labels_s": round(features_s, 2),
        "train_validate_s": round(train_s, 2), "trials": result.n_trials,
        "tuning_mode": result.tuning.get("mode"), "tuning_positives": result.tuning.get("positives"),
        "trials_complete": result.tuning.get("n_complete"), "trials_pruned": result.tuning.get("n_pruned"),
        "best_by_trial": result.tuning.get("best_by_trial"), "objective": result.params.get("objective"),
        "verdict": result.report["verdict"], "ci": result.report["ci"]["pr_auc"],
        "ece": result.report["calibration"]["ece"],
        "scored_rows": len(probability), "score_path_rows_per_s": round(len(rows) / path_s),
        "raw_predict_rows_per_s": round(len(rows) / raw_s),
        "forward_pr_auc": result.report["forward"]["pr_auc"],
        "holdout_pr_auc": result.report["holdout"]["pr_auc"],
    }  # fmt: skip
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "model_speed.json").write_text(json.dumps(figures, indent=1))
    for key, value in figures.items():
        print(f"{key:28} {value}")


if __name__ == "__main__":
    main()
