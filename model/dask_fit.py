"""The final fit on a Dask cluster (`DASK_SCHEDULER`): `lightgbm.dask` trains one booster data-parallel across
the workers, with the same parameters and rounds as the in-process fit, and the same calibration around it.

    fitter = DaskLightGBMFitter(params, features, scheduler="tcp://127.0.0.1:8786")
    fitted = fitter.fit(rows, y)            # a model.booster.Fitted, as LightGBMFitter.fit gives

`binary` goes through `DaskLGBMClassifier`; `lambdarank` through `DaskLGBMRanker`, with the rows sorted by list
and the partitions cut at list boundaries (a list must not span workers). Data-parallel LightGBM builds each
histogram from every worker's rows, so the booster is close to, not identical with, the in-process one
(tests/test_dask_scoring.py compares their rankings). LightGBM sets one thread per worker thread itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd

from model.booster import LightGBMFitter, query_keys

CONNECT_TIMEOUT = "20s"


def dask_booster(
    rows: pd.DataFrame, y: np.ndarray, features: list[str], query: list[str], params: dict[str, Any], scheduler: str
) -> lgb.Booster:
    """One booster fitted on the cluster at `scheduler` (partitions: one per worker)."""
    import dask.array as da
    import dask.dataframe as dd
    from distributed import Client
    from lightgbm.dask import DaskLGBMClassifier, DaskLGBMRanker

    params = dict(params)
    rounds = int(params.pop("num_boost_round", 100))
    params.pop("num_threads", None)  # lightgbm.dask gives each worker its own thread count
    keys = query_keys(rows, query)
    order = np.argsort(keys, kind="mergesort")
    x = rows[features].iloc[order].reset_index(drop=True)
    labels = pd.Series(np.asarray(y, dtype=float)[order])
    with Client(scheduler, timeout=CONNECT_TIMEOUT, set_as_default=True) as client:  # lightgbm.dask uses the default
        n = max(1, min(len(client.scheduler_info(n_workers=-1)["workers"]), len(x)))
        if params.get("objective") == "lambdarank":
            sizes = np.bincount(keys[order])
            sizes = sizes[sizes > 0]
            groups = np.array_split(np.arange(len(sizes)), n)  # whole lists per partition
            bounds = [0, *np.cumsum([sizes[g].sum() for g in groups]).tolist()]
            divisions = tuple(bounds[:-1]) + (bounds[-1] - 1,)
            dx = dd.from_pandas(x, npartitions=n).repartition(divisions=divisions)
            dy = dd.from_pandas(labels, npartitions=n).repartition(divisions=divisions)
            group = da.from_array(sizes, chunks=(tuple(len(g) for g in groups),))
            ranker = DaskLGBMRanker(client=client, n_estimators=rounds, **params)
            ranker.fit(dx, dy, group=group)
            return ranker.booster_
        classifier = DaskLGBMClassifier(client=client, n_estimators=rounds, **params)
        classifier.fit(dd.from_pandas(x, npartitions=n), dd.from_pandas(labels, npartitions=n))
        return classifier.booster_


@dataclass(frozen=True)
class DaskLightGBMFitter(LightGBMFitter):
    """`LightGBMFitter` whose boosters (the final one and the calibration's inner one) are fitted on Dask."""

    scheduler: str = ""

    def _booster(self, rows: pd.DataFrame, y: np.ndarray) -> lgb.Booster:
        return dask_booster(rows, y, self.features, list(self.query), self.params, self.scheduler)

    @classmethod
    def like(cls, fitter: LightGBMFitter, scheduler: str) -> DaskLightGBMFitter:
        return cls(fitter.params, fitter.features, fitter.time_column, fitter.gap_days, fitter.query, fitter.blend,
                   scheduler)  # fmt: skip
