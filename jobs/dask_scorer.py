"""The score stage on a Dask cluster (`DASK_SCHEDULER=tcp://host:8786`): the frames are cut into partitions
of artists (`model.partitions`), each partition's features, hit flags and contributions are computed on a
worker by the same `jobs.scorers.score_rows` as in-process, and the parts come back concatenated.

    rows = DaskScorer("tcp://127.0.0.1:8786")(frames, booster, now, metric="spotify_popularity", threshold=70)

The workers need this project importable (same code, same pins). The booster is sent once to every worker.
Partitions: `PARTITIONS_PER_WORKER` per worker, so a slow partition does not leave a worker idle.
"""

from __future__ import annotations

from dataclasses import dataclass

import lightgbm as lgb
import numpy as np
import pandas as pd

from jobs.scorers import ScoredRows, score_rows
from model.features import market_genres
from model.frames import ModelFrames
from model.partitions import artist_partitions

PARTITIONS_PER_WORKER = 2
CONNECT_TIMEOUT = "20s"


class DaskUnavailable(RuntimeError):
    """The Dask scheduler named by DASK_SCHEDULER could not be reached."""


@dataclass(frozen=True)
class DaskScorer:
    address: str
    partitions_per_worker: int = PARTITIONS_PER_WORKER
    connect_timeout: str = CONNECT_TIMEOUT

    def __call__(
        self, frames: ModelFrames, booster: lgb.Booster, now: pd.Timestamp, *, metric: str, threshold: float
    ) -> ScoredRows:
        from distributed import Client

        genres = market_genres(frames)
        try:
            client = Client(self.address, timeout=self.connect_timeout, set_as_default=False)
        except OSError as error:
            raise DaskUnavailable(f"DASK_SCHEDULER={self.address}: cannot reach the scheduler ({error})") from error
        with client:
            workers = max(1, len(client.scheduler_info(n_workers=-1)["workers"]))
            parts = [p for p in artist_partitions(frames, workers * self.partitions_per_worker) if len(p.tracks)]
            [shared] = client.scatter([booster], broadcast=True)
            futures = client.map(score_rows, parts, booster=shared, now=now, metric=metric, threshold=threshold,
                                 genres=genres, pure=False)  # fmt: skip
            results: list[ScoredRows] = client.gather(futures)
        # A partition with no track scored today has an empty frame with its own columns: leave it out. Columns
        # come in the order of the partitions' union (rows and values are the in-process ones; order may differ).
        results = [r for r in results if len(r.current)] or results[:1]
        return ScoredRows(
            pd.concat([r.current for r in results], ignore_index=True),
            np.concatenate([r.is_hit for r in results]),
            pd.concat([r.raw for r in results], ignore_index=True),
        )
