"""After a load, the planner statistics of `observations` are refreshed in the months loaded only
(`jobs.sources_store.analyze_loaded_tables` with `days`), and the whole partitioned table once a month is new;
the BRIN day index of what was analysed is summarized.

    pytest tests/test_analyze_months.py
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
from sqlalchemy import Connection, Engine, text

from jobs.load import load_batch
from jobs.sources.base import SourceBatch
from jobs.sources_store import analyze_loaded_tables


def load_days(engine: Engine, days: list[date]) -> None:
    """A few rows a day (under autovacuum's threshold, so only these calls analyse the partitions)."""
    rows = [("artist", f"t:a{i}", "spotify_popularity", day, "t", float(i)) for day in days for i in range(3)]
    frame = pd.DataFrame(rows, columns=["entity_type", "entity_id", "metric", "observed_on", "source", "value"])
    with engine.begin() as conn:
        load_batch(conn=conn, batch=SourceBatch(source="t", observations=frame), run_id=None)


def analysed(engine: Engine, day: date) -> list[str]:
    with engine.begin() as conn:
        return analyze_loaded_tables(conn=conn, changed={"raw_observations": 3}, days=(day, day))


def unsummarized(conn: Connection) -> int:
    """Block ranges of the BRIN day index not summarized yet (this summarizes them: index pages do not roll back)."""
    count = conn.execute(
        text(
            "SELECT coalesce(sum(brin_summarize_new_values(i.indexrelid)), 0) FROM pg_index i"
            " JOIN pg_inherits h ON h.inhrelid = i.indrelid JOIN pg_class c ON c.oid = i.indexrelid"
            " WHERE h.inhparent = 'observations'::regclass AND c.relname LIKE '%observed_on%'"
        )
    ).scalar_one()
    return int(count)


def test_the_day_index_of_the_months_loaded_is_summarized(conn: Connection) -> None:
    days = [date(2026, 4, 1) + timedelta(days=d) for d in range(8)]
    rows = [("artist", f"t:a{i}", "spotify_popularity", day, "t", float(i)) for day in days for i in range(5000)]
    frame = pd.DataFrame(rows, columns=["entity_type", "entity_id", "metric", "observed_on", "source", "value"])
    load_batch(conn=conn, batch=SourceBatch(source="t", observations=frame), run_id=None)
    analyze_loaded_tables(conn=conn, changed={"raw_observations": len(frame)}, days=(days[0], days[-1]))
    assert unsummarized(conn) == 0  # 40,000 rows: without the summary, a day's read could skip none of them


def test_only_the_months_loaded_are_analysed_and_everything_when_a_month_is_new(clean_db: Engine) -> None:
    load_days(clean_db, [date(2026, 1, 30), date(2026, 2, 2)])
    assert analysed(clean_db, date(2026, 2, 2)) == ["observations", "observation_entities"]  # never analysed
    load_days(clean_db, [date(2026, 2, 3)])
    assert analysed(clean_db, date(2026, 2, 3)) == ["observations_y2026m02", "observation_entities"]
    load_days(clean_db, [date(2026, 3, 1)])
    assert analysed(clean_db, date(2026, 3, 1)) == ["observations", "observation_entities"]  # a new month
    assert analysed(clean_db, date(2026, 3, 1)) == ["observations_y2026m03", "observation_entities"]
