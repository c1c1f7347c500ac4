"""The monthly partitions of `observations`: created on demand by the loader, dropped whole for retention.

    ensure_partitions(conn=conn, first=date(2027, 6, 3), last=date(2027, 8, 1))   # -> names created
    drop_partitions_before(conn=conn, cutoff=date(2026, 1, 1))                     # -> names dropped
    python -m jobs retention [--keep-months N]      # N defaults to KEEP_OBSERVATION_MONTHS (0 = keep all)

Partitions are named `observations_yYYYYmMM` and hold [first of the month, first of the next). Creation is
the SQL function `ensure_observation_partitions` (migration 0013): idempotent, and safe when two runs want
the same month (SHARE UPDATE EXCLUSIVE on `observations`, then ATTACH: readers and writers never wait).
Retention DETACHes a month whose last day is before the cutoff and DROPs it: no row-by-row DELETE, no bloat.
Functions take a keyword-only `conn` and never commit; the caller owns the transaction.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, text

PREFIX = "observations_y"


def ensure_partitions(*, conn: Connection, first: date, last: date) -> list[str]:
    """Create the missing monthly partitions covering [first, last]; return the ones created."""
    rows = conn.execute(text("SELECT ensure_observation_partitions(:first, :last)"), {"first": first, "last": last})
    return [name for (name,) in rows]


def list_partitions(*, conn: Connection) -> list[tuple[str, date]]:
    """(name, first day) of every monthly partition, oldest first."""
    rows = conn.execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " WHERE i.inhparent = 'observations'::regclass ORDER BY c.relname"
        )
    )
    return [(name, month_of(name)) for (name,) in rows]


def partition_name(day: date) -> str:
    """The name of the partition holding `day`."""
    return f"{PREFIX}{day.year:04d}m{day.month:02d}"


def month_of(name: str) -> date:
    """The first day a partition named `observations_yYYYYmMM` holds."""
    year, month = name.removeprefix(PREFIX).split("m")
    return date(int(year), int(month), 1)


def months_before(today: date, keep_months: int) -> date:
    """The first day kept when keeping `keep_months` whole months up to and including today's month."""
    index = today.year * 12 + today.month - 1 - (keep_months - 1)
    return date(index // 12, index % 12 + 1, 1)


def drop_partitions_before(*, conn: Connection, cutoff: date) -> list[str]:
    """DETACH and DROP every partition whose whole month is before `cutoff`; return the names dropped."""
    dropped = []
    for name, first in list_partitions(conn=conn):
        next_month = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        if next_month <= cutoff:
            conn.execute(text(f'ALTER TABLE observations DETACH PARTITION "{name}"'))
            conn.execute(text(f'DROP TABLE "{name}"'))
            dropped.append(name)
    return dropped
