"""The discover stage computed while the publish transaction runs its SQL builders (one worker thread).

The publish's SQL builders (leaderboard, seasonality, alerts) and the score tables are PostgreSQL work, and the
discover stage is mostly Python work (LightGBM, numpy, pandas) that does not need them: run one after the other
they left a core idle for ~4 s of a 100k-track refresh. `jobs.pipeline` runs the publish transaction in a worker
thread (waiting on PostgreSQL, mostly) and the discover stage in the run's own thread (its big frames stay in
the main allocator arena: computed in a second thread they raised the peak by ~100 MiB at 100k), and hands
`publish` the discover builders through `deferred_builders`: each waits for the stage's result when its turn
comes (the discover tables are written last, as before), so the publication's rows are the same and still commit
together. A failed discover stage raises from the first discover builder, inside the publish transaction, which
rolls back, and then in the run; a failed publish is raised once the discover stage has ended.

    pytest tests/test_discover_overlap.py tests/test_discover_stage.py
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait

from sqlalchemy import Connection

from jobs.aggregate import AggregateParams, Builder
from jobs.discover import TABLES, Discovered
from jobs.similar_tracks import publish_builders

# The tables the discover builders write, in the order `publish_builders` gives them.
PUBLISHED_TABLES = (*TABLES, "agg_discover_summary", "agg_similar_tracks")


def deferred_builders(discovered: Future[Discovered]) -> dict[str, Builder]:
    """`publish_builders(discovered.result())`, known before the stage ends: the first builder called waits for
    it (and raises its error); the tables and their order are `PUBLISHED_TABLES`."""
    resolved: dict[str, Builder] = {}

    def builders() -> dict[str, Builder]:
        if not resolved:
            found = publish_builders(discovered.result())
            if tuple(found) != PUBLISHED_TABLES:
                raise RuntimeError(f"discover builders {tuple(found)} are not {PUBLISHED_TABLES}")
            resolved.update(found)
        return resolved

    def deferred(table: str) -> Callable[[Connection, AggregateParams], int]:
        return lambda conn, params: builders()[table](conn, params)

    return {table: deferred(table) for table in PUBLISHED_TABLES}


def publish_beside_discover(
    publish_stage: Callable[[Future[Discovered]], int], discover: Callable[[], Discovered]
) -> int:
    """`publish_stage(discovered)` in a worker thread while `discover()` runs in this one; the publication id.
    A discover error is handed to the publish (which rolls back at its first discover builder), then raised."""
    discovered: Future[Discovered] = Future()
    with ThreadPoolExecutor(1, "publish") as pool:
        published = pool.submit(publish_stage, discovered)
        try:
            discovered.set_result(discover())
        except BaseException as error:
            discovered.set_exception(error)
            wait([published])
            raise
        return published.result()
