"""The data the benchmarks stand on: demo-market history loaded into a throwaway database, and a trained model
to score with (trained once per process and reused; the training benchmark's model when it ran first).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from bench.harness import RESULTS_DIR, ROOT, throwaway_engine
from core.settings import Settings
from jobs.load import load_batch
from jobs.lock import exclusive_run
from jobs.model_store import StoredModel, active_model, record_promotion, save_version
from jobs.sources.demo import DemoSource
from jobs.tasks import train_now

# The snapshot every benchmark refreshes: nearly the whole 5-year catalogue released. Never after today: a
# publication may not be dated after tomorrow (jobs/publish.py check_publishable), so a later date publishes nothing.
DAY = min(date(2027, 12, 1), date.today())
TRAIN_ARTISTS = 3_000  # the product's default demo market (DEMO_ARTISTS): ~14k tracks
_MODEL: dict[str, Any] = {}


def load_history(engine: Engine, source: DemoSource, days: int, last: date = DAY - timedelta(days=1)) -> int:
    """`days` days ending at `last`, loaded batch by batch as `pipeline.backfill` loads them (in batches of 2
    days rather than 15, to keep a 1M-track history load's memory down), without its publication. Returns the
    observation rows loaded."""
    rows = 0
    for batch in source.extract_range(last - timedelta(days=days - 1), last, chunk_days=2):
        with engine.begin() as conn:
            load_batch(conn=conn, batch=batch, run_id=None)
        rows += len(batch.observations)
    return rows


def load_scoring_history(engine: Engine, source: DemoSource, days: int = 8) -> int:
    """What a refresh on DAY needs to score: `days` days before DAY (7-day growth now) and `days` days ending
    one label horizon earlier (the tracks whose outcome is known). A running install has
    all 63 days the score stage reads; this loads 2 x `days` of them, so the read costs less than there."""
    horizon = Settings(APP_ENV="test").HIT_HORIZON_DAYS
    return load_history(engine, source, days) + load_history(engine, source, days, DAY - timedelta(days=horizon))


@dataclass
class Trained:
    model: StoredModel
    outcome: Any
    study: list[dict[str, Any]]  # Optuna trials: number, state, value, seconds since the study began
    stages: dict[str, float]  # the training run's stages (job_runs.stages): seconds each


def train_in_world(*, days: int, trials: int | None, time_budget: float | None) -> Trained:
    """Load `days` of the default demo market, then `python -m jobs train` as the product runs it (settings'
    defaults unless `trials`/`time_budget` are given); the Optuna study is read back from PostgreSQL."""
    import optuna

    from jobs.model_store import optuna_storage_url

    settings = Settings(APP_ENV="test", MODEL_TRAIN_DAYS=days)
    with throwaway_engine() as engine:
        load_history(engine, DemoSource(n_artists=TRAIN_ARTISTS), days)
        with exclusive_run(engine):
            outcome = train_now(engine, settings, user="bench", time_budget=time_budget, trials=trials,
                                take_lock=False)  # fmt: skip
        url = engine.url.render_as_string(hide_password=False)
        storage = optuna_storage_url(url)
        prefix = f"hitscope-run-{outcome.run_id}"  # the name may carry a random suffix after it
        name = next(n for n in optuna.get_all_study_names(storage) if n == prefix or n.startswith(prefix + "-"))
        study = optuna.load_study(study_name=name, storage=storage)
        begun = min(t.datetime_start for t in study.trials if t.datetime_start)
        trials_log = [
            {"number": t.number, "state": t.state.name, "value": t.value,
             "finished_s": (t.datetime_complete - begun).total_seconds() if t.datetime_complete else None}
            for t in study.trials
        ]  # fmt: skip
        with engine.connect() as conn:
            stored = active_model(conn=conn)
            stages = conn.execute(text("SELECT stages FROM job_runs WHERE run_id = :r"), {"r": outcome.run_id}).scalar()
        if stored is None:
            raise RuntimeError("training promoted no model into an empty database")
    trained = Trained(stored, outcome, trials_log, {s["stage"]: s["seconds"] for s in stages or []})
    _MODEL["model"] = stored
    cache = _cache_path()  # later runs (the refresh and scoring benchmarks) score with this model
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps(asdict(stored)))
    return trained


def _cache_path() -> Path:
    """Where the quick model is kept between runs: keyed by the model code, so a code change retrains."""
    sources = sorted((ROOT / "model").glob("*.py")) + [ROOT / "jobs" / "train.py", ROOT / "jobs" / "score.py"]
    digest = hashlib.sha256(b"".join(path.read_bytes() for path in sources)).hexdigest()[:12]
    return RESULTS_DIR / f"quick_model_{digest}.tmp"


def model_for_scoring() -> StoredModel:
    """The model of the latest training run (this process's, or one kept in bench/results/*.tmp, which git
    ignores, until the model code changes), else a quick one (3 trials, 20 s) trained for the purpose."""
    cache = _cache_path()
    if "model" not in _MODEL and cache.exists():
        _MODEL["model"] = StoredModel(**json.loads(cache.read_text()))
    if "model" not in _MODEL:
        train_in_world(days=200, trials=3, time_budget=20)
    return _MODEL["model"]  # type: ignore[no-any-return]


def install_model(engine: Engine, model: StoredModel) -> int:
    """Store `model` in this database and make it the active version, as a promotion does."""
    with engine.begin() as conn:
        version = save_version(
            conn=conn, run_id=None, label=model.label, params=model.params, metrics=model.metrics,
            data_window={}, feature_names=model.feature_names, feature_importance=model.feature_importance,
            model_text=model.model_text,
        )  # fmt: skip
        record_promotion(conn=conn, model_version_id=version, promoted=True, note="installed by the benchmark")
    return version
