"""Hit prediction, pure: frames in, features/labels/models/metrics/scores out (no database, no sources)."""
