"""`python -m jobs train` on a young install: a clear "not enough history" error and a non-zero exit, no traceback
(issue 10: it used to fail with KeyError: 'genre')."""

from __future__ import annotations

from sqlalchemy import Engine

from tests.factories import DAY
from tests.test_cli import _jobs


def test_train_on_a_few_days_says_how_many_it_needs(clean_db: Engine, database_url: str) -> None:
    backfill = _jobs(database_url, "backfill", "--days", "5", "--end", DAY.isoformat())
    assert backfill.returncode == 0, backfill.stderr
    result = _jobs(database_url, "train", "--trials", "1")
    assert result.returncode == 1, result.stderr
    assert "not enough history: 5 days, need 168" in result.stderr
    assert "Traceback" not in result.stderr and "KeyError" not in result.stderr
