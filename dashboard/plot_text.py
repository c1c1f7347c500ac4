"""Data that becomes Plotly text (tick labels, hover, legend, annotations) is escaped here, and only here.

Plotly renders a subset of HTML in every text it draws: `<a href>` becomes a live SVG link, `<b>`, `<br>` and
`<span style>` format. An imported artist, genre or source name is data, so each figure builder passes the
names it draws through `plot_text` / `plot_texts`: `<` `>` `&` become entities, which Plotly shows as the
literal characters. Our own markup (`<b>%{y}</b>` in a hovertemplate) is left alone; ids (used to navigate
on click) are not text and stay as they are.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from typing import Any


def plot_text(value: Any) -> Any:
    """A string escaped for Plotly; anything else (None, numbers) unchanged."""
    return escape(value, quote=False) if isinstance(value, str) else value


def plot_texts(values: Iterable[Any]) -> list[Any]:
    """`plot_text` of each value (a column of names, genres, sources...)."""
    return [plot_text(value) for value in values]
