"""Daily panels: one metric of one entity type as an (entity x day) array, with as-of lookups.

A panel turns long observations into a dense array once, so "the value as of day d", "its change over 7 days"
and "its best value up to d" are array lookups for every entity at once (no per-entity Python loops). The array
is float32 when that holds every value exactly (popularity, chart positions, counts under 2**24), else float64:
the lookups give float64 either way, value for value (tests/test_panels.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from model.frames import RANK_METRICS


@dataclass
class Panel:
    """`values[i, k]` is entity `ids[i]`'s value on day `start + k` (NaN when not observed). Nothing else of
    the panel's size is kept: an (entity x day) index of each entity's last observed day was a quarter of it
    again (int16), so `as_of` reads the few days its staleness allows instead."""

    ids: pd.Index
    start: pd.Timestamp
    values: np.ndarray
    # The running best of `best_to_date`: (the last day it covers, each entity's best up to that day). One
    # column, advanced as later days are asked (dates come in order): not an (entity x day) array beside
    # `values` (63 MB each in the bench's 1M world: 219,777 observed tracks x 36 days).
    _best: tuple[int, np.ndarray] | None = field(default=None, repr=False)

    @property
    def n_days(self) -> int:
        return int(self.values.shape[1])

    def day(self, when: pd.Timestamp) -> int:
        return int((when - self.start).days)

    def as_of(self, day: int, staleness_days: int) -> np.ndarray:
        """Each entity's latest value observed on or before `day`, if at most `staleness_days` old."""
        out = np.full(len(self.ids), np.nan)
        if day < 0:
            return out
        day = min(day, self.n_days - 1)
        for seen_on in range(max(0, day - staleness_days), day + 1):  # a later observed day overwrites
            column = self.values[:, seen_on]
            observed = ~np.isnan(column)
            out[observed] = column[observed]
        return out

    def best_to_date(self, day: int, metric: str) -> np.ndarray:
        """Each entity's best value (max, or min for rank metrics) observed on or before `day`."""
        if day < 0 or self.n_days == 0:
            return np.full(len(self.ids), np.nan)
        day = min(day, self.n_days - 1)
        better = np.fmin if metric in RANK_METRICS else np.fmax  # NaN (not observed) never wins over a value
        if self._best is None or self._best[0] > day:  # the first ask, or an earlier day: from the window's start
            self._best = (0, self.values[:, 0].astype(np.float64))
        covered, best = self._best
        if day > covered:  # only the days not covered yet are read
            best = better(best, better.reduce(self.values[:, covered + 1 : day + 1], axis=1))
            self._best = (day, best)
        return best

    def days_seen(self, day: int, window: int) -> np.ndarray:
        """How many of the `window` days up to `day` (inclusive) each entity was observed on."""
        if day < 0 or self.n_days == 0:
            return np.zeros(len(self.ids))
        day = min(day, self.n_days - 1)
        return np.count_nonzero(~np.isnan(self.values[:, max(day - window + 1, 0) : day + 1]), axis=1).astype(float)

    def lookup(self, entity_ids: pd.Series | np.ndarray, values: np.ndarray) -> np.ndarray:
        """Spread per-entity `values` onto `entity_ids` (NaN for entities the panel does not know)."""
        codes = self.ids.get_indexer(pd.Index(entity_ids))
        out = np.full(len(codes), np.nan)
        known = codes >= 0
        out[known] = values[codes[known]]
        return out


def observed_ids(panels: dict[str, Panel]) -> pd.Index:
    """The ids any of `panels` holds (each once): the entities observed in their window."""
    return pd.Index([]).append([panel.ids for panel in panels.values()]).unique()


def build_panel(observations: pd.DataFrame, entity_type: str, metric: str, start: pd.Timestamp, n_days: int) -> Panel:
    """The (entity x day) panel of one metric from normalised observations (see `ModelFrames.normalised`)."""
    rows = observations[(observations["entity_type"] == entity_type) & (observations["metric"] == metric)]
    ids, row_of = _entity_rows(rows["entity_id"])
    days = (rows["observed_on"] - start).dt.days.to_numpy()
    inside = (days >= 0) & (days < n_days)
    stored = rows["value"].to_numpy(dtype=np.float64)[inside]
    values = np.full((len(ids), n_days), np.nan, dtype=value_dtype([stored]))  # narrow from the start, if exact
    values[row_of[inside], days[inside]] = stored
    return Panel(ids, start, values)


def value_dtype(parts: Iterable[np.ndarray]) -> np.dtype:
    """float32 when it holds every value of `parts` exactly (NaN stays NaN), else float64."""
    for part in parts:
        with np.errstate(over="ignore", invalid="ignore"):
            if not ((part.astype(np.float32) == part) | np.isnan(part)).all():
                return np.dtype(np.float64)
    return np.dtype(np.float32)


def panel_of(ids: pd.Index, start: pd.Timestamp, values: np.ndarray) -> Panel:
    """The panel of `values` (entity x day from `start`, NaN: not observed) for the entities `ids`, stored as
    float32 when that is exact (`value_dtype`; the builders below choose it before they fill the array)."""
    kind = value_dtype([values])
    return Panel(ids, start, values if values.dtype == kind else values.astype(kind))


def panel_window(
    first_seen: pd.Timestamp | None, last_seen: pd.Timestamp | None, until: pd.Timestamp | None
) -> tuple[pd.Timestamp, int]:
    """The panels' first day and number of days: from the first observed day (else `until`, else 2000-01-01)
    to the last observed day or `until`, whichever is later."""
    start = first_seen if first_seen is not None else pd.Timestamp(until or "2000-01-01")
    end = max(last_seen if last_seen is not None else start, pd.Timestamp(until or start))
    return start, int((end - start).days) + 1


class PanelGrid:
    """Panels filled from observations a chunk at a time, so the long frame of a window is never held (at 1M
    tracks 14M rows): per (entity type, metric), one column of values per day seen, over every entity of the
    type (`n_entities`, by row). `panels` then keeps the entities observed and lays the days out from the first
    observed one. At most one value per (entity, metric, day): a later one overwrites (the caller reads one
    source). The panels are `panels_for`'s of the same observations (tests/test_observation_frames.py)."""

    def __init__(self, n_entities: dict[str, int], first: pd.Timestamp) -> None:
        self.n_entities, self.first = n_entities, first
        self.columns: dict[tuple[str, str], dict[int, np.ndarray]] = {}

    def add(self, entity_type: str, metric: str, rows: np.ndarray, days: np.ndarray, values: np.ndarray) -> None:
        """Observations of one metric of one entity type: entity rows, days since `first`, values (NaN: none)."""
        kept = ~np.isnan(values)
        rows, days, values = rows[kept], days[kept], values[kept]
        if not len(values):
            return
        columns = self.columns.setdefault((entity_type, metric), {})
        for day in np.unique(days):
            at = days == day
            column = columns.get(int(day))
            if column is None:
                column = columns[int(day)] = np.full(self.n_entities[entity_type], np.nan)
            column[rows[at]] = values[at]

    def seen_days(self) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
        """The first and last day with a value (None: none)."""
        days = [day for columns in self.columns.values() for day in columns]
        if not days:
            return None, None
        return self.first + pd.Timedelta(days=min(days)), self.first + pd.Timedelta(days=max(days))

    def panels(self, entity_type: str, ids: pd.Index, start: pd.Timestamp, n_days: int) -> dict[str, Panel]:
        """One panel per metric with values for the type (`ids`: the entity of each row); the grid's columns of
        the type are dropped as they are laid out."""
        out: dict[str, Panel] = {}
        offset = int((start - self.first).days)
        for metric in sorted(metric for kind, metric in self.columns if kind == entity_type):
            columns = self.columns.pop((entity_type, metric))
            observed = np.zeros(self.n_entities[entity_type], dtype=bool)
            for column in columns.values():
                observed |= ~np.isnan(column)
            present = np.flatnonzero(observed)
            values = np.full((len(present), n_days), np.nan, dtype=value_dtype(c[present] for c in columns.values()))
            for day in list(columns):
                values[:, day - offset] = columns.pop(day)[present]
            out[metric] = Panel(ids[present], start, values)  # its dtype chosen above, not checked again
        return out


def _entity_rows(entity_ids: pd.Series) -> tuple[pd.Index, np.ndarray]:
    """The distinct ids (a plain Index of the values) and each row's position in it. A categorical column
    (`jobs.observation_frames`) is grouped by its int codes, never by its strings."""
    if isinstance(entity_ids.dtype, pd.CategoricalDtype):
        present, row_of = np.unique(entity_ids.cat.codes.to_numpy(), return_inverse=True)
        if len(present) and present[0] < 0:
            raise ValueError("an observation has no entity id")
        return entity_ids.cat.categories[present], row_of
    ids = pd.Index(entity_ids.unique())
    return ids, ids.get_indexer(entity_ids)


def panels_for(observations: pd.DataFrame, entity_type: str, start: pd.Timestamp, n_days: int) -> dict[str, Panel]:
    """One panel per metric present for the entity type."""
    metrics = sorted(observations.loc[observations["entity_type"] == entity_type, "metric"].unique())
    return {metric: build_panel(observations, entity_type, metric, start, n_days) for metric in metrics}
