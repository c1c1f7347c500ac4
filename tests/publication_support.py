"""A second publication for the tests that need two: a copy of one, every published table's rows, each big table's
into its own partition (written bare and attached, as the publish writes it).

    with copied_publication(engine) as pid: ...   # the newest publication's copy, newer still; retired after
    scans(plan_lines) -> {"agg_track_scores_p3": True, ...}   # each publication partition of an EXPLAIN ANALYZE: ran?
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text

from jobs.publication_partitions import attach, create_bare, partitioned_tables, retire_partitions

_SCAN = re.compile(r"\bon (agg_\w+_p\d+)\b")


@contextmanager
def copied_publication(engine: Engine) -> Iterator[int]:
    """A new publication holding a copy of the newest one's rows in every `agg_*` table; deleted and its
    partitions retired afterwards. Yields its id."""
    with engine.begin() as conn:
        source = conn.execute(text("SELECT max(publication_id) FROM publications")).scalar_one()
        pid = conn.execute(text(
            "INSERT INTO publications (run_id, snapshot_date, source, is_demo, summary, hit_definition)"
            " SELECT run_id, snapshot_date, source, is_demo, summary, hit_definition FROM publications"
            " WHERE publication_id = :p RETURNING publication_id"), {"p": source}).scalar_one()  # fmt: skip
        tables = conn.execute(text(
            "SELECT c.relname, string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) FROM pg_class c"
            " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped"
            "  AND a.attname <> 'publication_id'"
            " WHERE c.relkind IN ('r', 'p') AND c.relname LIKE 'agg\\_%' AND NOT c.relispartition"
            "  AND c.relnamespace = to_regnamespace(current_schema())"
            "  AND EXISTS (SELECT 1 FROM pg_attribute k WHERE k.attrelid = c.oid AND k.attname = 'publication_id')"
            " GROUP BY c.relname")).all()  # fmt: skip
        partitioned = partitioned_tables(conn=conn)
        for table, columns in tables:
            target = create_bare(conn=conn, table=table, publication_id=pid) if table in partitioned else table
            copy = f"INSERT INTO {target} (publication_id, {columns}) SELECT :pid, {columns} FROM {table}"
            conn.execute(text(f"{copy} WHERE publication_id = :source"), {"pid": pid, "source": source})
            if table in partitioned:
                attach(conn=conn, table=table, publication_id=pid)
        conn.execute(text("ANALYZE"))
    try:
        yield int(pid)
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM publications WHERE publication_id = :pid"), {"pid": pid})
        retire_partitions(engine)


def scans(plan: list[str]) -> dict[str, bool]:
    """Each publication partition an EXPLAIN ANALYZE plan scans -> whether that scan ran at all."""
    found: dict[str, bool] = {}
    for line in plan:
        for name in _SCAN.findall(line):
            found[name] = found.get(name, False) or "never executed" not in line
    return found
