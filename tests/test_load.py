"""The bulk loader takes any text a source hands it: names with bare CR/LF, quotes and commas load as they are."""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import Connection, text

from jobs.load import load_batch
from jobs.sources.base import SourceBatch

AWKWARD = ["Carriage\rReturn", "Line\nFeed", "Both\r\nEnds", 'Quote " and, comma', "\\N", "  spaced  "]


def test_names_with_control_characters_and_csv_syntax_load_verbatim(conn: Connection) -> None:
    ids = [f"load-test-{n}" for n in range(len(AWKWARD))]
    batch = SourceBatch(
        source="dataset",
        artists=pd.DataFrame({"artist_id": ids, "name": AWKWARD, "genre": ["pop"] * len(ids), "source": "dataset"}),
        observations=pd.DataFrame(
            {
                "entity_type": "artist",
                "entity_id": ids,
                "metric": "spotify_popularity",
                "observed_on": date(2026, 11, 20),
                "source": "dataset",
                "value": 50.0,
            }
        ),  # fmt: skip
    )
    counts = load_batch(conn=conn, batch=batch, run_id=None)
    assert counts["artists"] == len(ids) and counts["raw_observations"] == len(ids)
    stored = dict(conn.execute(text("SELECT artist_id, name FROM artists WHERE artist_id LIKE 'load-test-%'")).all())
    assert stored == dict(zip(ids, AWKWARD, strict=True))
