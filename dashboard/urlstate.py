"""Filters in the URL query string: parse them forgivingly, write them canonically.

A copied URL reproduces the view; a hand-edited one with a bad value falls back to the default for that
filter instead of failing. Defaults are left out of the URL so the plain page path stays the default view.

Each page keeps its controls and its own `dcc.Location` in step with one callback (Dash allows a circular
dependency inside a single callback): a control change writes the query string (a new history entry), and a
query string change from back/forward sets the controls, which redraw the charts.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qs, urlencode


def one(value: Any) -> str | None:
    """A query parameter as one string (Dash gives a list when a key repeats: keep the last)."""
    if isinstance(value, list):
        value = value[-1] if value else None
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def choice(value: Any, allowed: Iterable[str], default: str) -> str:
    text = one(value)
    return text if text is not None and text in set(allowed) else default


def integer(value: Any, default: int | None, *, low: int, high: int) -> int | None:
    text = one(value)
    try:
        number = int(text) if text is not None else default
    except ValueError:
        return default
    if number is None:
        return None
    return min(max(number, low), high)


def search_string(values: dict[str, Any], defaults: dict[str, Any]) -> str:
    """`?k=v&...` for the values that differ from their default and are set; '' when all are defaults."""
    kept = {
        key: value for key, value in values.items() if value not in (None, "") and value != defaults.get(key)
    }
    return "?" + urlencode(kept) if kept else ""


def query_of(search: str | None) -> dict[str, Any]:
    """`?a=1&b=2` -> {"a": "1", "b": "2"} (a repeated key gives a list, as Dash passes to layouts)."""
    parsed = parse_qs((search or "").lstrip("?"), keep_blank_values=True)
    return {key: values[0] if len(values) == 1 else values for key, values in parsed.items()}
