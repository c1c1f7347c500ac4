"""Sources of snapshots. Every source yields the same normalised `SourceBatch` (see `base.py`)."""
