"""The few named errors the jobs raise on purpose."""


class HitscopeError(Exception):
    """Base class for errors with a message meant for the operator."""


class DataQualityError(HitscopeError):
    """Input that cannot be loaded at all (a file of an unknown layout, a batch with no valid rows)."""


class RunLockBusy(HitscopeError):
    """Another process holds the run lock: a refresh is already running."""


class SourceUnavailable(HitscopeError):
    """A source could not be reached or refused us; the run degrades and records why."""


class SpotifyQuotaError(SourceUnavailable):
    """Spotify answered 429 QUOTA_EXCEEDED: stop, checkpoint, resume on the next run."""


class RunFailed(HitscopeError):
    """A run failed; it is already marked failed in `job_runs` under `run_id`. The cause is chained."""

    def __init__(self, run_id: int, cause: BaseException) -> None:
        super().__init__(f"run {run_id} failed: {type(cause).__name__}: {cause}")
        self.run_id = run_id
