"""Rolling-origin forward folds: each origin tests one later block of time with ONE model trained on the past.

    origins, skipped = rolling_origins(times, n_origins=6, gap_days=28, labels=y)

The last `1 - first_test_fraction` of the distinct dates (not of the calendar range: pooled series may leave
gaps with no data) is cut into `n_origins` consecutive test blocks of about as many dates each. Origin i
trains on every row strictly before `test_from - gap_days` (the label horizon: every training label has closed
before the block starts) and tests every row of its block, whatever the artist, so the block's scores come from
one model and rank together. A block whose labels hold one class has no PR-AUC: it is not used, and is returned
in `skipped` with the reason (the report lists it), never dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Origin:
    index: int
    train: np.ndarray  # row positions
    test: np.ndarray
    train_to: pd.Timestamp  # training rows are strictly before this
    test_from: pd.Timestamp
    test_to: pd.Timestamp  # inclusive: the block's last date

    def window(self) -> dict[str, Any]:
        return {
            "fold": self.index, "train_to": str(self.train_to.date()), "test_from": str(self.test_from.date()),
            "test_to": str(self.test_to.date()), "n_train": int(len(self.train)), "n_test": int(len(self.test)),
        }  # fmt: skip


def rolling_origins(
    times: pd.Series,
    *,
    n_origins: int,
    gap_days: int,
    labels: pd.Series | np.ndarray,
    first_test_fraction: float = 0.5,
) -> tuple[list[Origin], list[dict[str, Any]]]:
    """The usable origins (renumbered 0..) and the skipped ones with their reason."""
    times = pd.to_datetime(pd.Series(times)).reset_index(drop=True)
    y = np.asarray(labels, dtype=float)
    values = times.to_numpy()
    distinct = np.unique(values)
    chunks = np.array_split(distinct[int(len(distinct) * first_test_fraction) :], n_origins)
    origins: list[Origin] = []
    skipped: list[dict[str, Any]] = []
    for i, chunk in enumerate(chunks):
        if len(chunk) == 0:
            skipped.append({"origin": i, "test_from": None, "test_to": None, "n_test": 0, "reason": "no dates left"})
            continue
        test_from, test_to = pd.Timestamp(chunk[0]), pd.Timestamp(chunk[-1])
        test = np.flatnonzero((values >= chunk[0]) & (values <= chunk[-1]))
        train_to = test_from - pd.Timedelta(days=gap_days)
        train = np.flatnonzero(values < train_to.to_datetime64())
        block = {"test_from": str(test_from.date()), "test_to": str(test_to.date()), "n_test": int(len(test))}
        reason = None
        if len(train) == 0:
            reason = "no training rows before the gap"
        elif len(np.unique(y[test])) < 2:
            reason = f"one class only in the block ({int(y[test].sum())} positives)"
        elif len(np.unique(y[train])) < 2:
            reason = "one class only in the training rows"
        if reason is not None:
            skipped.append({**block, "origin": i, "reason": reason})
            continue
        origins.append(Origin(len(origins), train, test, train_to, test_from, test_to))
    return origins, skipped


def inner_split(
    times: pd.Series, rows: np.ndarray, *, gap_days: int, fraction: float = 0.75
) -> tuple[np.ndarray, np.ndarray]:
    """A forward split of `rows` (positions into `times`): the first `fraction` of their time range, minus the
    gap, trains; the rest validates. Used for calibration and for tuning, never touching a test block."""
    when = pd.to_datetime(pd.Series(times)).to_numpy()[rows]
    if len(rows) == 0:
        return rows, rows
    t0, t1 = when.min(), when.max()
    cut = t0 + (t1 - t0) * fraction
    fit = rows[when < cut - np.timedelta64(gap_days, "D")]
    valid = rows[when >= cut]
    return fit, valid


SELECTION_ORIGINS = 2


def protocol_origins(
    times: pd.Series, *, n_origins: int, gap_days: int, labels: pd.Series | np.ndarray
) -> tuple[list[Origin], list[Origin], list[dict[str, Any]]]:
    """The protocol's origins over the last 60% of the dates: the first two usable ones are where the
    objective and parameters are chosen; the `n_origins` after them are the evaluation, never seen by a choice.
    Returns (selection, evaluation renumbered 0.., skipped)."""
    usable, skipped = rolling_origins(
        times, n_origins=n_origins + SELECTION_ORIGINS, gap_days=gap_days, labels=labels, first_test_fraction=0.4
    )
    selection = usable[:SELECTION_ORIGINS]
    evaluation = [
        Origin(i, o.train, o.test, o.train_to, o.test_from, o.test_to) for i, o in enumerate(usable[SELECTION_ORIGINS:])
    ]
    return selection, evaluation, skipped
