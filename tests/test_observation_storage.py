"""The narrow, month-partitioned observations (migration 0013): partitions made on demand and dropped whole,
day ranges pruned to their partitions, the COPY fast path storing exactly what the staged merge stores, and
catalogue merges that skip unchanged rows.

    python -m pytest -q tests/test_observation_storage.py
"""

from __future__ import annotations

import threading
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from jobs.errors import DataQualityError
from jobs.load import StagedLoad, load_batch
from jobs.observation_load import ObservationWriter
from jobs.partitions import drop_partitions_before, ensure_partitions, list_partitions, months_before
from jobs.sources.base import SourceBatch
from jobs.sources_store import analyze_loaded_tables
from tests.factories import table_digest


def observations(days: list[date], n: int = 5, *, metric: str = "spotify_popularity", value: float = 50.0):
    return pd.DataFrame(
        [
            {"entity_type": "artist", "entity_id": f"a{i}", "metric": metric, "observed_on": day,
             "source": "demo", "value": value + i}
            for day in days for i in range(n)
        ]
    )  # fmt: skip


def partitions(engine: Engine, year: int) -> list[str]:
    """The partitions of one year (the suite's other tests leave their own months: TRUNCATE keeps them)."""
    with engine.connect() as conn:
        return [name for name, first in list_partitions(conn=conn) if first.year == year]


def test_loader_creates_the_months_a_batch_needs_once(clean_db: Engine) -> None:
    """Every month of the batch's date range, and only those; asking again creates nothing."""
    batch = SourceBatch("demo", observations=observations([date(2031, 5, 31), date(2031, 7, 1)]))
    with clean_db.begin() as conn:
        load_batch(conn=conn, batch=batch, run_id=1)
    assert partitions(clean_db, 2031) == ["observations_y2031m05", "observations_y2031m06", "observations_y2031m07"]
    with clean_db.begin() as conn:
        assert ensure_partitions(conn=conn, first=date(2031, 5, 1), last=date(2031, 7, 31)) == []
        load_batch(conn=conn, batch=batch, run_id=1)
    assert len(partitions(clean_db, 2031)) == 3


def test_two_runs_wanting_the_same_month_create_it_once(clean_db: Engine) -> None:
    """The second waits for the first's commit (a table lock), then finds the month there."""
    created: list[list[str]] = []
    with clean_db.begin() as conn:
        created.append(ensure_partitions(conn=conn, first=date(2030, 1, 5), last=date(2030, 1, 6)))
        other = threading.Thread(target=lambda: created.append(_ensure_in_own_transaction(clean_db, date(2030, 1, 20))))
        other.start()
        other.join(timeout=1.0)
        assert other.is_alive()  # waiting on the first transaction, not creating a second copy
    other.join(timeout=30)
    assert created == [["observations_y2030m01"], []]


def _ensure_in_own_transaction(engine: Engine, day: date) -> list[str]:
    with engine.begin() as conn:
        return ensure_partitions(conn=conn, first=day, last=day)


def test_a_day_range_query_prunes_to_its_partitions(clean_db: Engine) -> None:
    days = [date(2026, 5, 20), date(2026, 6, 10), date(2026, 7, 5)]
    with clean_db.begin() as conn:
        load_batch(conn=conn, batch=SourceBatch("demo", observations=observations(days)), run_id=1)
        conn.execute(text("ANALYZE observations"))
        plan = "\n".join(
            row[0]
            for row in conn.execute(
                text(
                    "EXPLAIN SELECT entity_id, value FROM raw_observations"
                    " WHERE observed_on BETWEEN '2026-06-01' AND '2026-06-15' AND metric = 'spotify_popularity'"
                )
            )
        )
    assert "observations_y2026m06" in plan
    assert "observations_y2026m05" not in plan and "observations_y2026m07" not in plan


def test_fast_path_and_staged_merge_store_identical_rows(clean_db: Engine) -> None:
    """New days are COPYed straight into the partition; the same batches forced through the merge store the
    same rows. A second batch overlapping a loaded day mixes both paths, and the value stored first wins."""
    first = observations([date(2026, 6, 1), date(2026, 6, 2)], value=10.0)
    second = pd.concat([observations([date(2026, 6, 2)], n=8, value=99.0), observations([date(2026, 6, 3)])])
    digests, writers = [], []
    for fast_path in (True, False):
        with clean_db.begin() as conn:
            conn.execute(text("TRUNCATE observations, observation_entities RESTART IDENTITY"))
            staged = StagedLoad(conn, run_id=3, fast_path=fast_path)
            staged.add(SourceBatch("demo", observations=first))
            staged.add(SourceBatch("demo", observations=second))
            counts = staged.merge()
            writers.append((staged.observations.fast_rows, staged.observations.merged_rows))
        assert counts["raw_observations"] == 10 + 3 + 5  # day 2 gained only its three new artists
        digests.append(table_digest(clean_db, "raw_observations", exclude=("loaded_at",)))
    assert digests[0] == digests[1]
    assert writers[0] == (15, 3) and writers[1] == (0, 18)  # the fast path really ran, then the merge
    with clean_db.connect() as conn:
        kept = conn.execute(
            text("SELECT value FROM raw_observations WHERE entity_id = 'a0' AND observed_on = '2026-06-02'")
        ).scalar_one()
    assert kept == 10.0


def test_catalogue_merge_skips_unchanged_rows(clean_db: Engine) -> None:
    """Rows whose content hash matches are not written again (their xmin stays); a changed one is."""
    artists = pd.DataFrame(
        {"artist_id": ["x1", "x2", "x3"], "name": ["One", "Two", "Three"], "genre": "pop", "source": "demo"}
    )
    with clean_db.begin() as conn:
        assert load_batch(conn=conn, batch=SourceBatch("demo", artists=artists), run_id=None)["artists"] == 3
    before = _xmins(clean_db)
    renamed = artists.assign(name=["One", "Two!", "Three"])
    with clean_db.begin() as conn:
        assert load_batch(conn=conn, batch=SourceBatch("demo", artists=renamed), run_id=None)["artists"] == 1
    after = _xmins(clean_db)
    assert after["x1"] == before["x1"] and after["x3"] == before["x3"] and after["x2"] != before["x2"]


def _xmins(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return {str(a): str(x) for a, x in conn.execute(text("SELECT artist_id, CAST(xmin AS text) FROM artists"))}


def test_retention_drops_whole_months_before_the_cutoff(clean_db: Engine) -> None:
    days = [date(2001, 3, 31), date(2001, 4, 15), date(2001, 5, 1)]  # older than any other test's months
    with clean_db.begin() as conn:
        load_batch(conn=conn, batch=SourceBatch("demo", observations=observations(days)), run_id=1)
    with clean_db.begin() as conn:
        dropped = drop_partitions_before(conn=conn, cutoff=months_before(date(2001, 5, 20), keep_months=2))
    assert dropped == ["observations_y2001m03"]
    assert partitions(clean_db, 2001) == ["observations_y2001m04", "observations_y2001m05"]
    with clean_db.connect() as conn:
        assert conn.execute(text("SELECT min(observed_on) FROM raw_observations")).scalar() == date(2001, 4, 15)


def test_the_readers_view_refuses_writes(clean_db: Engine) -> None:
    with pytest.raises(DBAPIError, match="raw_observations"), clean_db.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO raw_observations (entity_type, entity_id, metric, observed_on, source, value)"
                " VALUES ('artist', 'a', 'm', :d, 's', 1)"
            ),
            {"d": date(2026, 1, 1) + timedelta(days=1)},
        )


def test_only_the_tables_a_load_changed_are_analysed(clean_db: Engine) -> None:
    with clean_db.begin() as conn:
        analysed = analyze_loaded_tables(conn=conn, changed={"artists": 2, "tracks": 0, "raw_observations": 5})
    assert analysed == ["artists", "observations", "observation_entities"]
    with clean_db.connect() as conn:
        stats = dict(
            conn.execute(
                text(
                    "SELECT relname, last_analyze IS NOT NULL FROM pg_stat_user_tables"
                    " WHERE relname IN ('artists', 'tracks')"
                )
            ).all()
        )
    assert stats["artists"] is True


def test_an_observation_without_a_value_is_refused_and_nothing_is_loaded(clean_db: Engine) -> None:
    frame = observations([date(2026, 6, 1)])
    frame.loc[2, "value"] = None
    with pytest.raises(DataQualityError, match="1 observation"), clean_db.begin() as conn:
        load_batch(conn=conn, batch=SourceBatch("demo", observations=frame), run_id=1)
    with clean_db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM raw_observations")).scalar() == 0


def test_a_fast_path_that_meets_rows_written_meanwhile_falls_back_to_the_merge(
    clean_db: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As when another transaction wrote the day between the check and the COPY: the unique violation is
    caught in a savepoint and the rows are merged instead (nothing doubled, nothing lost, no error)."""
    day = [date(2026, 8, 1)]
    with clean_db.begin() as conn:
        load_batch(conn=conn, batch=SourceBatch("demo", observations=observations(day, n=3)), run_id=1)
    monkeypatch.setattr(ObservationWriter, "_days_present", lambda self, rows: np.zeros(len(rows["entity"]), bool))
    with clean_db.begin() as conn:
        staged = StagedLoad(conn, run_id=2)
        staged.add(SourceBatch("demo", observations=observations(day, n=5, value=0.0)))
        assert staged.merge()["raw_observations"] == 2
        assert staged.observations.fast_rows == 0 and staged.observations.merged_rows == 2
    with clean_db.connect() as conn:
        rows = conn.execute(text("SELECT entity_id, value FROM raw_observations ORDER BY 1")).all()
    assert [tuple(r) for r in rows] == [("a0", 50.0), ("a1", 51.0), ("a2", 52.0), ("a3", 3.0), ("a4", 4.0)]


def _indexes(engine: Engine, partition: str) -> list[tuple[str, str]]:
    """(parent index, definition with the partition's name taken out) of each index of a partition."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT p.relname, replace(pg_get_indexdef(i.indexrelid), :name, 'P')"
                " FROM pg_index i JOIN pg_inherits h ON h.inhrelid = i.indexrelid"
                " JOIN pg_class p ON p.oid = h.inhparent WHERE i.indrelid = CAST(:name AS regclass) ORDER BY 1"
            ),
            {"name": partition},
        ).all()
    return [tuple(row) for row in rows]


def test_a_new_month_is_loaded_bare_then_keyed_and_attached_like_any_month(clean_db: Engine) -> None:
    """A month no run has written is COPYed without its key, which is built before commit: it ends with the
    same two indexes, attached to the parent's, as a month the SQL function made; a later batch of the same
    transaction that repeats a day keeps the value stored first."""
    first = observations([date(2032, 3, 1), date(2032, 3, 2)], value=10.0)
    again = pd.concat([observations([date(2032, 3, 2)], n=8, value=99.0), observations([date(2032, 3, 3)])])
    with clean_db.begin() as conn:
        ensure_partitions(conn=conn, first=date(2032, 5, 1), last=date(2032, 5, 1))
        staged = StagedLoad(conn, run_id=3)
        staged.add(SourceBatch("demo", observations=first))
        assert list(staged.observations.bare) == ["observations_y2032m03"]
        staged.add(SourceBatch("demo", observations=again))
        assert staged.merge()["raw_observations"] == 10 + 3 + 5
        assert (staged.observations.fast_rows, staged.observations.merged_rows) == (15, 3)
    assert partitions(clean_db, 2032) == ["observations_y2032m03", "observations_y2032m05"]
    keyed = _indexes(clean_db, "observations_y2032m03")
    assert [parent for parent, _ in keyed] == ["observations_day", "observations_pkey"]
    assert keyed == _indexes(clean_db, "observations_y2032m05")
    with clean_db.connect() as conn:
        kept = conn.execute(
            text("SELECT value FROM raw_observations WHERE entity_id = 'a0' AND observed_on = '2032-03-02'")
        ).scalar_one()
        checks, indexes = conn.execute(
            text(
                "SELECT (SELECT count(*) FROM pg_constraint WHERE conrelid = 'observations_y2032m03'::regclass),"
                " (SELECT count(*) FROM pg_index WHERE indrelid = 'observations_y2032m03'::regclass)"
            )
        ).one()
    assert kept == 10.0 and checks == 1  # the primary key only: the CHECK used by the ATTACH is gone
    assert indexes == 2  # the key built after the COPY was adopted, not built a second time by the ATTACH


def test_a_new_month_is_copied_frozen_in_the_transaction_that_creates_it(clean_db: Engine) -> None:
    """A bare month's rows are COPY FREEZE'd: already visible to a REPEATABLE READ snapshot taken before the
    load committed (PostgreSQL's documented effect of FREEZE; without it that snapshot sees none), so no reader
    or vacuum has to set or rewrite their commit status later. A month the SQL function made is COPYed plainly."""
    with clean_db.begin() as conn:
        ensure_partitions(conn=conn, first=date(2033, 2, 1), last=date(2033, 2, 1))
    with clean_db.connect() as old:
        old.execution_options(isolation_level="REPEATABLE READ")
        with old.begin():
            old.execute(text("SELECT 1")).scalar()  # the snapshot is taken
            with clean_db.begin() as conn:
                load_batch(conn=conn, batch=SourceBatch("demo", observations=observations(
                    [date(2033, 1, 5), date(2033, 2, 5)])), run_id=1)  # fmt: skip
            counted = {
                month: old.execute(text(f'SELECT count(*) FROM "observations_y2033m{month}"')).scalar_one()
                for month in ("01", "02")
            }
    assert counted == {"01": 5, "02": 0}  # the bare January frozen; February (keyed, attached) is not


def test_a_bare_month_written_from_another_savepoint_is_copied_without_freeze(clean_db: Engine) -> None:
    """PostgreSQL allows FREEZE only in the subtransaction that created the table, and refuses the COPY (losing
    the transaction) otherwise: a batch written under another savepoint than the month's creation COPYs plainly."""
    with clean_db.begin() as conn:
        writer = ObservationWriter(conn, run_id=1)
        with conn.begin_nested():
            writer.write(observations([date(2034, 3, 1)]))
        with conn.begin_nested():
            assert writer.write(observations([date(2034, 3, 2)])) == 5
        writer.finish()
    with clean_db.connect() as conn:
        assert conn.execute(text('SELECT count(*) FROM "observations_y2034m03"')).scalar_one() == 10


def test_the_days_present_probe_leaves_the_planner_settings_as_it_found_them(clean_db: Engine) -> None:
    """A day added to an existing month is probed per (metric, source, day) with sequential scans off for that
    one statement (`ObservationWriter._days_present`); the rest of the caller's transaction keeps its setting,
    and the probe still tells a loaded day from a new one (the loaded day's rows take the merge)."""
    with clean_db.begin() as conn:
        load_batch(conn=conn, batch=SourceBatch("demo", observations=observations([date(2026, 8, 1)])), run_id=1)
    with clean_db.begin() as conn:
        conn.execute(text("SET LOCAL enable_seqscan = on"))
        writer = ObservationWriter(conn, run_id=2)
        inserted = writer.write(pd.concat([observations([date(2026, 8, 1)], n=7), observations([date(2026, 8, 2)])]))
        writer.finish()
        assert conn.execute(text("SHOW enable_seqscan")).scalar_one() == "on"
    assert inserted == 2 + 5 and writer.fast_rows == 5 and writer.merged_rows == 2
