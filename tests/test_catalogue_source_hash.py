"""Catalogue rows a source delivered before, unchanged, are not sent again (jobs/load.py `source_hash`,
migration 0024); every other row still merges exactly as before."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, text

from jobs import load_hashes
from jobs.load import StagedLoad, load_batch
from jobs.load_hashes import KnownHashes
from jobs.sources.base import SourceBatch
from tests.factories import table_digest


def artists(names: list[str]) -> pd.DataFrame:
    ids = [f"h{i}" for i in range(len(names))]
    return pd.DataFrame({"artist_id": ids, "name": names, "genre": "pop", "source": "demo"})


def similar(match: float) -> pd.DataFrame:
    return pd.DataFrame({"artist_id": ["h0"], "similar_name": ["Two"], "similar_artist_id": ["h1"], "match": [match],
                         "mbid": [None],
                         "observed_on": [pd.Timestamp("2026-01-01").date()], "source": ["demo"]})  # fmt: skip


def batch(names: list[str], match: float = 0.5) -> SourceBatch:
    frame = artists(names)
    return SourceBatch(
        "demo", artists=frame, artist_genres=frame[["artist_id", "genre"]], similar_artists=similar(match)
    )


def staged_rows(engine: Engine, *batches: SourceBatch) -> tuple[int, dict[str, int]]:
    with engine.begin() as conn:
        staged = StagedLoad(conn, run_id=None)
        for one in batches:
            staged.add(one)
        return staged.staged_rows, staged.merge()


def test_an_unchanged_catalogue_is_not_staged_and_a_changed_row_is(clean_db: Engine) -> None:
    assert staged_rows(clean_db, batch(["One", "Two", "Three"]))[0] == 3 + 3 + 1
    digest = table_digest(clean_db, "artists")
    rows, counts = staged_rows(clean_db, batch(["One", "Two", "Three"]))
    assert rows == 0 and not any(counts.values())
    assert table_digest(clean_db, "artists") == digest
    rows, counts = staged_rows(clean_db, batch(["One", "Two!", "Three"]))
    assert rows == 1 and counts["artists"] == 1  # only the renamed artist travels, and it is written
    with clean_db.connect() as conn:
        assert conn.execute(text("SELECT name FROM artists WHERE artist_id = 'h1'")).scalar_one() == "Two!"


def test_a_row_changed_outside_the_loader_is_staged_again(clean_db: Engine) -> None:
    """An UPDATE that sets no new hash makes the trigger forget the row's hash, so the next delivery of the row
    is staged and merged (by `content_md5`) as every row was before the hashes, instead of skipped."""
    staged_rows(clean_db, batch(["One", "Two"]))
    with clean_db.begin() as conn:
        conn.execute(text("UPDATE artists SET name = 'Edited', content_md5 = NULL WHERE artist_id = 'h0'"))
        assert conn.execute(text("SELECT source_hash FROM artists WHERE artist_id = 'h0'")).scalar_one() is None
    rows, counts = staged_rows(clean_db, batch(["One", "Two"]))
    assert rows == 1 and counts["artists"] == 1
    with clean_db.connect() as conn:
        assert conn.execute(text("SELECT name FROM artists WHERE artist_id = 'h0'")).scalar_one() == "One"
    assert staged_rows(clean_db, batch(["One", "Two"]))[0] == 0  # and it has its hash again


def test_rows_stored_without_a_hash_adopt_it_without_counting_as_changed(clean_db: Engine) -> None:
    staged_rows(clean_db, batch(["One", "Two"]))
    with clean_db.begin() as conn:  # as rows stored before migration 0024
        for table in ("artists", "artist_genres", "similar_artists"):
            conn.execute(text(f"UPDATE {table} SET source_hash = NULL"))
    rows, counts = staged_rows(clean_db, batch(["One", "Two"]))
    assert rows == 2 + 2 + 1 and not any(counts.values())
    assert staged_rows(clean_db, batch(["One", "Two"]))[0] == 0


def test_a_later_batch_still_overrides_an_earlier_one_in_the_same_load(clean_db: Engine) -> None:
    """Batch 2 delivers the stored version again after batch 1 changed it: the last version wins, as before."""
    staged_rows(clean_db, batch(["One", "Two"]))
    staged_rows(clean_db, batch(["Changed", "Two"]), batch(["One", "Two"]))
    with clean_db.connect() as conn:
        assert conn.execute(text("SELECT name FROM artists WHERE artist_id = 'h0'")).scalar_one() == "One"


def test_the_same_load_with_and_without_the_hash_filter_stores_the_same(clean_db: Engine) -> None:
    """A key-only table (similar artists: first stored wins) keeps its first row either way."""
    with clean_db.begin() as conn:
        load_batch(conn=conn, batch=batch(["One", "Two"], match=0.5), run_id=None)
    with clean_db.begin() as conn:
        assert load_batch(conn=conn, batch=batch(["One", "Two"], match=0.9), run_id=None)["similar_artists"] == 0
    with clean_db.connect() as conn:
        assert conn.execute(text("SELECT match FROM similar_artists")).scalar_one() == 0.5


def test_an_extract_reads_the_stored_hashes_once_and_a_later_batch_still_wins(
    clean_db: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The batches of one extract, each in its own transaction, share the hashes read at the first
    (`KnownHashes`): a table's hashes are read once, and a batch that delivers again the stored version of a row
    an earlier batch changed is still written (the last version wins, as when each batch re-read them)."""
    staged_rows(clean_db, batch(["One", "Two"]))
    reads: list[str] = []
    read = load_hashes.stored_hashes
    monkeypatch.setattr(
        load_hashes, "stored_hashes", lambda *, conn, table: reads.append(table) or read(conn=conn, table=table)
    )
    known = KnownHashes()
    for names in (["Changed", "Two"], ["One", "Two"], ["One", "Two"]):
        with clean_db.begin() as conn:
            load_batch(conn=conn, batch=batch(names), run_id=None, known=known)
    assert sorted(reads) == ["artist_genres", "artists", "similar_artists"]
    with clean_db.connect() as conn:
        assert conn.execute(text("SELECT name FROM artists WHERE artist_id = 'h0'")).scalar_one() == "One"
    with clean_db.begin() as conn:  # a new load reads them again and sends nothing
        staged = StagedLoad(conn, run_id=None)
        staged.add(batch(["One", "Two"]))
        assert staged.staged_rows == 0


def test_hash_membership_matches_isin_in_the_callers_order() -> None:
    """`_members` searches in sorted order and answers in the caller's: the same as `np.isin` on shuffled
    hashes with repeats, misses below, between and above the stored ones, and empty sides."""
    rng = np.random.default_rng(7)
    stored = np.sort(rng.integers(-(2**62), 2**62, 5_000, dtype=np.int64))
    values = np.concatenate([rng.choice(stored, 3_000), rng.integers(-(2**63), 2**63 - 1, 2_000, dtype=np.int64),
                             [np.iinfo(np.int64).min, np.iinfo(np.int64).max]])  # fmt: skip
    rng.shuffle(values)
    assert np.array_equal(load_hashes._members(stored, values), np.isin(values, stored))
    assert not load_hashes._members(np.empty(0, dtype=np.int64), values).any()
    assert load_hashes._members(stored, np.empty(0, dtype=np.int64)).shape == (0,)
