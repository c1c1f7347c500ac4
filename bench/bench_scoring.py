"""Scoring: rows/s of the score stage inside a refresh run against LightGBM's raw `Booster.predict` on the
same feature matrix (the float matrix the stage predicts on, captured from it: raw predict is given numpy, its
fastest input, so the ratio is not flattered by pandas' conversion). Target: at least 0.8x raw predict.

    python -m bench scoring [--quick]        # 100k-track demo market (--quick: 10k)

One refresh runs first (its `job_runs` score and explain stages are the in-run figures; its features stage
stored the feature table). Then, alternated in one process with medians reported: the score stage as the run
calls it (`jobs.score.score_prepared` on what its features stage just stored and hands over: the float
matrix in the booster's order, `jobs.score.model_input_for`, timed apart as the features stage's last step;
then predict and calibration, no SQL, so no connection is checked out), the same stage reading the stored set
back by binary COPY (a run that reuses a set), the explain stage after it (`jobs.score.explain`: the rows'
text, the shown tracks, their contributions, JSON and the published frame), raw `predict` on the matrix,
`predict` on the frame pandas would give LightGBM, and `predict(pred_contrib=True)` on every row. One profiled
score + explain says where the time goes. The explain stage computes contributions only for the tracks a page
can show, so the contrib row is what contributions for every track would cost. The features stage (rebuilding the stored
set from the observations, `jobs.feature_table.stored_features`) is timed after them, and the in-run features
stage is reported beside the score stage.
"""

from __future__ import annotations

import cProfile
import pstats
import time
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from sqlalchemy import Engine, event, text

from bench.harness import Options, Report, alternate, median, throwaway_engine, verdict
from bench.world import DAY, install_model, load_scoring_history, model_for_scoring
from jobs import pipeline, score
from jobs.feature_table import find_feature_set, read_feature_matrix, read_feature_set, stored_features
from jobs.lock import exclusive_run
from jobs.model_store import StoredModel
from jobs.sources.demo import DemoSource
from model.explain import model_input

SIZES = {"10k": 2_090, "100k": 20_900}
PROFILED = {  # function name -> module path part, for the profile of one stage
    "score_rows": "jobs/score.py", "read_feature_matrix": "jobs/feature_table.py", "copy_out_fixed": "core/columnar.py",
    "model_matrix": "model/explain.py", "calibrated_probability": "model/explain.py", "predict": "lightgbm/basic.py",
    "explain": "jobs/score.py", "feature_rows": "jobs/feature_table.py", "_read_keys": "jobs/feature_table.py",
    "contributions": "model/explain.py", "published_probability": "model/explain.py",
    "shown_tracks": "jobs/shown_tracks.py", "_contribution_json": "jobs/score.py",
    "feature_importance": "model/explain.py", "__init__": "lightgbm/basic.py",
}  # fmt: skip


def captured_matrix(engine: Engine, model: StoredModel, feature_set_id: int) -> tuple[np.ndarray, pd.DataFrame]:
    """What the stage scores: the float matrix it predicts on (captured from `model_matrix`), and the same rows
    as the frame `model_input` gives LightGBM elsewhere."""
    seen: list[np.ndarray | None] = []
    original = score.model_matrix

    def spy(*args: Any, **kwargs: Any) -> Any:
        matrix = original(*args, **kwargs)
        seen.append(matrix)
        return matrix

    score.model_matrix = spy  # type: ignore[assignment]
    try:
        with engine.connect() as conn:
            score.score_rows(conn=conn, model=model, snapshot_date=DAY, feature_set_id=feature_set_id)
    finally:
        score.model_matrix = original  # type: ignore[assignment]
    matrix = seen[0] if seen else None
    if matrix is None:
        raise RuntimeError("the score stage did not predict on a numpy matrix")
    with engine.connect() as conn:
        rows = read_feature_set(conn=conn, feature_set_id=feature_set_id).rows
    return matrix, rows


def profile_stage(engine: Engine, model: StoredModel, feature_set_id: int) -> dict[str, Any]:
    """One stage under cProfile (seconds in each named function) and with each SQL statement's time."""
    profiler, statements = cProfile.Profile(), []

    def before(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        conn.info["bench_started"] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        fetched = cursor.rowcount
        statements.append({"sql": " ".join(statement.split())[:90], "rows": fetched,
                           "seconds": round(time.perf_counter() - conn.info.pop("bench_started"), 3)})  # fmt: skip

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        with engine.connect() as conn:
            started = time.perf_counter()
            profiler.enable()
            scoring = score.score_rows(conn=conn, model=model, snapshot_date=DAY, feature_set_id=feature_set_id)
            score.explain(conn=conn, scoring=scoring)
            profiler.disable()
            total = time.perf_counter() - started
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    out: dict[str, Any] = {"total": round(total, 3), "sql_execute": statements}
    for function, module in PROFILED.items():
        seconds = max((v[3] for (path, _, name), v in stats.items() if name == function and module in path),
                      default=0.0)  # fmt: skip
        out["lightgbm_booster_from_text" if function == "__init__" else function] = round(seconds, 3)
    return out


def features_rebuild(engine: Engine, model: StoredModel) -> float:
    """Seconds of one features stage that rebuilds the stored set (as a run whose load changed something)."""
    with engine.begin() as conn:
        started = time.perf_counter()
        stored_features(conn=conn, day=DAY, hit=model.hit, changed=True, run_id=None)
        return time.perf_counter() - started


def run(options: Options) -> Report:
    label = "10k" if options.quick else "100k"
    repeats = options.repeats or (3 if options.quick else 5)
    report, model = Report(), model_for_scoring()
    source = DemoSource(n_artists=SIZES[label])
    with throwaway_engine() as engine:
        load_scoring_history(engine, source)
        install_model(engine, model)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
        with exclusive_run(engine):
            outcome = pipeline.refresh(engine, source, snapshot_date=DAY, trigger="cli", requested_by="bench",
                                       config=pipeline.RunConfig())  # fmt: skip
        with engine.connect() as conn:
            stages = conn.execute(text("SELECT stages FROM job_runs WHERE run_id = :r"), {"r": outcome.run_id}).scalar()
        in_run = next(s for s in stages if s["stage"] == "score")
        in_run_explain = next(s for s in stages if s["stage"] == "explain")
        in_run_features = next(s for s in stages if s["stage"] == "feature_table")
        with engine.connect() as conn:
            feature_set_id = find_feature_set(conn=conn, day=DAY, hit=model.hit)
        assert feature_set_id is not None, "the refresh stored no feature set"
        booster = lgb.Booster(model_str=model.model_text)
        matrix, rows_frame = captured_matrix(engine, model, feature_set_id)
        frame = model_input(booster, rows_frame)
        with engine.connect() as conn:  # what the run's features stage hands its score stage (bit for bit)
            kept = read_feature_matrix(conn=conn, feature_set_id=feature_set_id)
        scorings: list[score.Probabilities] = []

        prepared = score.model_input_for(model, kept)

        def stage() -> None:  # as in the run: on the matrix the features stage just stored, in the model's form
            scored = score.score_prepared(model, prepared)  # no SQL: the run opens no connection for it either
            assert scored is not None, "the matrix could not code the booster's categories"
            scorings.append(scored)

        def model_form() -> None:  # the features stage's last step: the set in the booster's order
            score.model_input_for(model, kept)

        def stage_reading_the_set() -> None:  # a run that reuses a stored set: it is read by binary COPY
            with engine.connect() as conn:
                score.score_rows(conn=conn, model=model, snapshot_date=DAY, feature_set_id=feature_set_id)

        def explain_stage() -> None:
            with engine.connect() as conn:
                score.explain(conn=conn, scoring=scorings.pop())

        times = alternate(
            {
                "score_stage": stage,
                "explain_stage": explain_stage,
                "score_stage_reading_the_set": stage_reading_the_set,
                "model_input_in_the_features_stage": model_form,
                "raw_predict": lambda: booster.predict(matrix),
                "raw_predict_on_frame": lambda: booster.predict(frame),
                "predict_contrib": lambda: booster.predict(matrix, pred_contrib=True),
            },
            repeats,
        )
        profile = profile_stage(engine, model, feature_set_id)
        features_stage = features_rebuild(engine, model)
    rows = len(matrix)
    assert rows == len(frame)
    medians = {name: median(values) for name, values in times.items()}
    rates = {name: rows / seconds for name, seconds in medians.items()}
    in_run_rate = in_run["rows_out"] / in_run["seconds"]
    explained = in_run_explain["rows_out"]
    ratio = rates["score_stage"] / rates["raw_predict"]
    report.figures = {
        "market": label, "scored_rows": rows, "features": matrix.shape[1], "repeats": repeats,
        "in_run_stage": in_run, "in_run_rows_per_second": round(in_run_rate),
        "in_run_explain_stage": in_run_explain, "in_run_features_stage": in_run_features,
        "features_stage_rebuild_seconds": round(features_stage, 3),
        "seconds": {k: [round(v, 4) for v in vs] for k, vs in times.items()},
        "median_seconds": {k: round(v, 4) for k, v in medians.items()},
        "rows_per_second": {k: round(v) for k, v in rates.items()},
        "stage_profile_seconds": profile,
    }  # fmt: skip
    print(
        f"  {rows:,} tracks scored, {matrix.shape[1]} features; in the refresh run: {in_run['seconds']:.2f} s"
        f" (its explain stage {in_run_explain['seconds']:.2f} s for {explained:,} shown tracks; its features stage"
        f" {in_run_features['seconds']:.2f} s; a rebuild here {features_stage:.2f} s)"
    )
    for name in times:
        print(f"    {name:16s} {medians[name]:8.4f} s  {rates[name]:>12,.0f} rows/s")
    print(f"  one profiled stage (s): { {k: v for k, v in profile.items() if k != 'sql_execute'} }")
    for statement in profile["sql_execute"]:
        print(f"    sql {statement['seconds']:7.3f}s {statement['rows']:>9} rows  {statement['sql']}")
    report.row(f"score stage in the run ({label} market)", f"{in_run_rate:,.0f} rows/s ({rows:,} rows)")
    report.row("raw Booster.predict, same matrix", f"{rates['raw_predict']:,.0f} rows/s")
    report.row("score stage / raw predict", f"{ratio:.3f}x", "≥ 0.8x", verdict(ratio, 0.8, higher_is_better=True))
    with_form = medians["raw_predict"] / (medians["score_stage"] + medians["model_input_in_the_features_stage"])
    report.row("score stage + the model's form of the set (the features stage's last step) / raw predict",
               f"{with_form:.3f}x")  # fmt: skip
    reading = rates["score_stage_reading_the_set"] / rates["raw_predict"]
    report.row("score stage reading the stored set (a run that reuses it) / raw predict", f"{reading:.3f}x")
    on_frame = rates["score_stage"] / rates["raw_predict_on_frame"]
    report.row("score stage / raw predict on the pandas frame (the raw figure before)", f"{on_frame:.3f}x")
    report.row("explain stage in the run (contributions, names, the published frame)",
               f"{in_run_explain['seconds']:.2f} s ({explained:,} shown tracks)")  # fmt: skip
    both = medians["score_stage"] + medians["explain_stage"]
    report.row("score + explain stages (median, this bench) / raw predict", f"{medians['raw_predict'] / both:.3f}x")
    report.row("pred_contrib on every row / score + explain", f"{medians['predict_contrib'] / both:.0%}")
    report.row("features stage in the run (feature table)", f"{in_run_features['seconds']:.2f} s")
    return report
