"""The one orchestrator: every run that loads data goes load -> score -> discover -> aggregate -> publish
through `run_stages`, recorded in `job_runs`. The CLI, the scheduled job, the manual-refresh queue and the
dataset import (`jobs.importer`, which brings its own all-or-nothing load) all come through here.

    python -m jobs refresh [--date YYYY-MM-DD]     # one run for a snapshot date (default: today)
    python -m jobs backfill --days 90              # N days of snapshots, then one publication

Stages, one module each: extract + load (`jobs.extract`, `jobs.load`), features (`jobs.features`, reading
through `jobs.model_inputs`, stored in the feature table by `jobs.feature_table`), score (`jobs.score`, reading
that table as numpy), explain (`jobs.score.explain`: the reasons of the tracks a page can show, and the frame
to publish), discover (`jobs.discover`), aggregate (`jobs.aggregate`), publish (`jobs.publish`). The ANALYZE
after a load runs between the load and score stages, outside both.
A run is idempotent for its date: the extract merges with ON CONFLICT, and when it changed nothing and
the newest publication already covers the same date, source and model, nothing is republished (or pruned).
The publication date never goes backwards (`jobs.publish.publication_day`): a refresh of an older date
back-fills history and republishes as of the current date.
Runs are serialised by the run lock (`jobs.lock.exclusive_run`); callers of `refresh` hold it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, text

from core.hit_definition import HitDefinition
from core.settings import Settings
from jobs.aggregate import AggregateParams, headline_counts
from jobs.discover import DiscoverConfig, Discovered, run_discover
from jobs.discover_overlap import deferred_builders, publish_beside_discover
from jobs.extract import extract_and_load
from jobs.feature_table import stored_features
from jobs.model_store import active_model
from jobs.publication_partitions import retire_partitions
from jobs.publish import check_publishable, publication_day, publish
from jobs.runs import RunRecorder, recorded_run
from jobs.score import Scored, explain, model_input_for, score_prepared, score_rows
from jobs.shown_tracks import ReasonsPolicy
from jobs.sources.base import Source
from jobs.sources_store import analyze_loaded_tables

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunConfig:
    """The run's knobs, taken from settings at the entry point."""

    hit_metric: str = "spotify_popularity"  # the settings' hit definition: used only while no model is active
    hit_threshold: float = 70.0
    hit_horizon_days: int = 28
    keep_publications: int = 3
    discover: DiscoverConfig = DiscoverConfig()
    reasons: ReasonsPolicy = ReasonsPolicy()
    dask_scheduler: str | None = None  # score on this Dask cluster (unset: in-process)

    @classmethod
    def from_settings(cls, settings: Settings) -> RunConfig:
        return cls(
            hit_metric=settings.HIT_METRIC,
            hit_threshold=settings.HIT_THRESHOLD,
            hit_horizon_days=settings.HIT_HORIZON_DAYS,
            keep_publications=settings.KEEP_PUBLICATIONS,
            discover=DiscoverConfig.from_settings(settings),
            reasons=ReasonsPolicy(
                settings.REASONS_PROBABILITY_FLOOR, settings.REASONS_MAX_TRACKS, settings.EMERGING_LIST_SIZE
            ),  # fmt: skip
            dask_scheduler=settings.DASK_SCHEDULER,
        )

    @property
    def hit(self) -> HitDefinition:
        return HitDefinition(self.hit_metric, self.hit_threshold, self.hit_horizon_days)


def served_hit(config: RunConfig, scored: Scored | None) -> HitDefinition:
    """The definition a publication is built with: the scoring model's (so Seasonality and Discover count hits
    the way the scores predict them, whatever the settings say now), else the settings' when no model is active."""
    return scored.hit if scored else config.hit


@dataclass
class RunOutcome:
    run_id: int
    publication_id: int | None
    loaded: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def refresh(
    engine: Engine,
    source: Source,
    *,
    snapshot_date: date,
    trigger: str,
    requested_by: str | None,
    config: RunConfig,
) -> RunOutcome:
    """Extract one day from `source`, score, then aggregate and publish. The caller holds the run lock."""
    check_publishable(snapshot_date, date.today())
    with recorded_run(
        engine, kind="refresh", trigger=trigger, source=source.name, snapshot_date=snapshot_date,
        requested_by=requested_by,
    ) as recorder:  # fmt: skip
        loaded, publication_id = run_stages(engine, source, recorder, config, _extract(engine, source, [snapshot_date]))
    return RunOutcome(recorder.run_id, publication_id, loaded, recorder.warnings)


def backfill(
    engine: Engine,
    source: Source,
    *,
    end_date: date,
    days: int,
    trigger: str,
    requested_by: str | None,
    config: RunConfig,
) -> RunOutcome:
    """Extract `days` days ending at `end_date`, then publish the last one. The caller holds the run lock."""
    dates = [end_date - timedelta(days=offset) for offset in range(days - 1, -1, -1)]
    check_publishable(dates[0], date.today())
    check_publishable(end_date, date.today())
    with recorded_run(
        engine, kind="backfill", trigger=trigger, source=source.name, snapshot_date=end_date,
        requested_by=requested_by,
    ) as recorder:  # fmt: skip
        loaded, publication_id = run_stages(engine, source, recorder, config, _extract(engine, source, dates))
    return RunOutcome(recorder.run_id, publication_id, loaded, recorder.warnings)


@dataclass
class Loaded:
    """What a run's load stage changed (rows per table), the newest day its data supports (`wanted`), and the
    first and last day of the observations it loaded (`observed`; unknown by default, which ANALYZEs every
    month of observations and rebuilds the alert window rather than advancing it)."""

    counts: dict[str, int]
    wanted: date | None
    observed: tuple[date, date] | None = (date.min, date.max)

    @property
    def observations_from(self) -> date | None:
        """The oldest day whose observations the run changed, None when it inserted none."""
        return self.observed[0] if self.observed and self.counts.get("raw_observations") else None

    @property
    def observed_days(self) -> tuple[date, date] | None:
        """The days of the observations loaded, when known."""
        return None if self.observed is None or self.observed[0] == date.min else self.observed


# A run's load stage: stores the run's data (recorded as its own stage) and says what it changed.
Loader = Callable[[RunRecorder], Loaded]


def _extract(engine: Engine, source: Source, dates: list[date]) -> Loader:
    def load(recorder: RunRecorder) -> Loaded:
        counts, observed = extract_and_load(engine, source, dates, recorder)
        return Loaded(counts, dates[-1], observed)

    return load


def run_stages(
    engine: Engine, source: Source, recorder: RunRecorder, config: RunConfig, load: Loader
) -> tuple[dict[str, int], int | None]:
    """Every run that loads data: `load`, fresh planner statistics, then the date (never backwards, see
    `publication_day`) from the newest day the data supports, score with the active model, discover,
    aggregate, publish. Returns the rows loaded per table and the publication id."""
    loaded = load(recorder)
    if sum(loaded.counts.values()):  # fresh statistics: without them the aggregate queries after a big load crawl
        with engine.begin() as conn:
            analyze_loaded_tables(conn=conn, changed=loaded.counts, days=loaded.observed_days)
    with engine.connect() as conn:
        snapshot_date = publication_day(conn=conn, wanted=loaded.wanted, today=date.today())
    scored = _score(engine, snapshot_date, recorder, config, changed=sum(loaded.counts.values()) > 0)
    return loaded.counts, _aggregate_and_publish(engine, source, snapshot_date, recorder, config, loaded, scored)


NO_MODEL_WARNING = "no active model: run `python -m jobs train`"


def _score(
    engine: Engine, snapshot_date: date, recorder: RunRecorder, config: RunConfig, *, changed: bool
) -> Scored | None:
    """The features stage (the feature table for the active model's hit definition; nothing on Dask, whose
    workers build their partitions' features), then score every tracked track with the active model, then
    explain (contributions for the tracks a page can show, and the published frame); without a model, warn
    and publish the rest."""
    with recorder.stage("feature_table") as stage, engine.begin() as conn:
        model = active_model(conn=conn)
        stored, prepared = None, None
        if model is not None and not config.dask_scheduler:
            stored = stored_features(conn=conn, day=snapshot_date, hit=model.hit, changed=changed,
                                     run_id=recorder.run_id)  # fmt: skip
            if stored.matrix is not None:  # the set just stored, in the active model's form for the score stage
                prepared = model_input_for(model, stored.matrix)
            stage.rows_out = stored.built or 0
            stage.counts = {"feature_rows_built": stored.built or 0, "feature_sets_reused": int(stored.built is None)}
    with recorder.stage("score") as stage:
        if model is None:
            recorder.warn(NO_MODEL_WARNING)
            return None
        scoring = score_prepared(model, prepared) if prepared is not None else None  # no SQL, no connection
        if scoring is None:
            with engine.begin() as conn:
                scoring = score_rows(conn=conn, model=model, snapshot_date=snapshot_date, prepared=prepared,
                                     dask_scheduler=config.dask_scheduler,
                                     feature_set_id=stored.feature_set_id if stored else None)  # fmt: skip
        stage.rows_out = len(scoring)
        stage.counts = {"scored_tracks": len(scoring)}
    with recorder.stage("explain") as stage, engine.begin() as conn:  # reasons for the tracks a page can show
        scored = explain(conn=conn, scoring=scoring, reasons=config.reasons)
        stage.rows_out = int(scored.scores["contributions"].notna().sum())
        stage.counts = {"explained_tracks": stage.rows_out}
    return scored


def _publication_key(source: Source, snapshot_date: date, scored: Scored | None) -> dict[str, Any]:
    """What a publication is of: a new model version republishes even when no snapshot changed."""
    return {
        "snapshot_date": snapshot_date.isoformat(),
        "source": source.name,
        "model_version_id": scored.model_version_id if scored else None,
    }


def _aggregate_and_publish(
    engine: Engine,
    source: Source,
    snapshot_date: date,
    recorder: RunRecorder,
    config: RunConfig,
    loaded: Loaded,
    scored: Scored | None,
) -> int | None:
    key = _publication_key(source, snapshot_date, scored)
    with engine.connect() as conn:
        latest = conn.execute(
            text("SELECT publication_id, summary -> 'key' FROM publications ORDER BY publication_id DESC LIMIT 1")
        ).first()
    if latest is not None and latest[1] == key and sum(loaded.counts.values()) == 0:
        with recorder.stage("aggregate_publish") as stage:
            logger.info("nothing changed since publication %s: not republishing", latest[0])
            stage.counts = {"republished": 0}
        return int(latest[0])
    hit = served_hit(config, scored)

    # the publish in a worker thread, its SQL builders beside the discover stage here (`jobs.discover_overlap`)
    def publish_stage(discovered: Future[Discovered]) -> int:
        with recorder.stage("aggregate_publish") as stage:
            with engine.begin() as conn:
                summary = {"key": key, "warnings": recorder.warnings, **headline_counts(conn, snapshot_date),
                           "unavailable_metrics": sorted(recorder.unavailable_metrics)}  # fmt: skip
                observations_from = loaded.observations_from
                if loaded_since_publication(conn=conn, run_id=recorder.run_id):
                    observations_from = date.min  # days another run loaded are not in what the last publication kept
                params = AggregateParams(0, snapshot_date, hit, observations_from=observations_from)
                publication_id, counts = publish(conn=conn, run_id=recorder.run_id, source=source.name,
                    is_demo=source.is_demo, params=params, summary=summary, keep=config.keep_publications,
                    scored=scored, builders=deferred_builders(discovered))  # fmt: skip
            retire_partitions(engine)  # the deleted publications' partitions, after the commit: no reader waits
            stage.rows_out, stage.counts = sum(counts.values()), {f"published_{t}": n for t, n in counts.items()}
        return publication_id

    return publish_beside_discover(publish_stage, lambda: _discover(engine, snapshot_date, recorder, config, hit))


def loaded_since_publication(*, conn: Connection, run_id: int) -> bool:
    """Whether a run other than `run_id` may have loaded observations since the newest publication: one that
    failed or is unfinished (its committed batches stay), or succeeded with observations and did not publish.
    What was kept with that publication (the alert window) then no longer covers every loaded day."""
    return bool(
        conn.execute(
            text(
                "SELECT EXISTS (SELECT 1 FROM job_runs WHERE kind <> 'train' AND run_id <> :run_id"
                " AND run_id > coalesce((SELECT max(run_id) FROM publications), 0)"
                " AND NOT (status = 'succeeded'"
                "          AND coalesce(CAST(row_counts ->> 'loaded_raw_observations' AS bigint), 0) = 0))"
            ),
            {"run_id": run_id},
        ).scalar_one()
    )


def _discover(
    engine: Engine, snapshot_date: date, recorder: RunRecorder, config: RunConfig, hit: HitDefinition
) -> Discovered:
    """Segments, micro-genres, similar tracks and the rest (jobs.discover), published with the other tables."""
    with recorder.stage("discover") as stage, engine.connect() as conn:
        discovered = run_discover(conn=conn, snapshot_date=snapshot_date, hit_metric=hit.metric,
                                  hit_threshold=hit.threshold, config=config.discover)  # fmt: skip
        stage.rows_in = int(discovered.summary.get("n_tracks", 0))
        stage.rows_out = len(discovered.sound.tracks) + len(discovered.segments.segments)
    return discovered
