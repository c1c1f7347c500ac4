"""The worker side: sources, the refresh run's stages, the queue, the scheduler and the CLI (`python -m jobs`)."""
