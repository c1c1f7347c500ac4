"""The dataset layouts the importer knows, in detection order (most specific header first)."""

from __future__ import annotations

from jobs.sources.layouts import (
    charts,
    music_mining,
    playlist,
    snapshots,
    spotify114k,
    spotify600k,
    tidytuesday,
    top50,
)
from jobs.sources.layouts.common import Layout

LAYOUTS: tuple[Layout, ...] = (
    spotify600k.TRACKS,
    spotify600k.ARTISTS,
    spotify114k.LAYOUT,
    tidytuesday.LAYOUT,
    music_mining.TRACKS,
    music_mining.ARTISTS,
    music_mining.CHARTS,
    playlist.LAYOUT,
    charts.LAYOUT,
    top50.LAYOUT,
    snapshots.LAYOUT,
)
BY_NAME: dict[str, Layout] = {layout.name: layout for layout in LAYOUTS}
LAYOUT_NAMES: tuple[str, ...] = tuple(BY_NAME)


def detect(header: list[str]) -> Layout | None:
    """The first layout whose key columns are all in `header`, or None."""
    cleaned = [column.strip() for column in header]
    return next((layout for layout in LAYOUTS if layout.matches(cleaned)), None)


def expected_layouts() -> str:
    """One line per layout: its name and the columns that identify it (for the unknown-layout error)."""
    return "\n".join(f"  {layout.name}: {', '.join(layout.key_columns)}" for layout in LAYOUTS)
