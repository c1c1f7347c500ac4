"""Filters in the URL query string: parse them forgivingly, write them canonically.

A copied URL reproduces the view; a hand-edited one with a bad value falls back to the default for that
filter instead of failing. Defaults are left out of the URL so the plain page path stays the default view.

Each page keeps its controls and its own `dcc.Location` in step with one callback (Dash allows a circular
dependency inside a single callback): a control change writes the query string (a new history entry), and a
query string change from back/forward sets the controls, which redraw the charts.

The same helpers check the values callbacks receive: a crafted `/_dash-update-component` POST can send any
JSON (a number, a list, a 1 MB string with NUL bytes), and each filter normalises it to what it expects.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode

import dash
from dash import dcc
from dash.exceptions import MissingCallbackContextException

MAX_TEXT = 200  # longer filter or search text is cut: no genre, id or artist name comes close


def one(value: Any) -> str | None:
    """A query parameter as one string (Dash gives a list when a key repeats: keep the last)."""
    if isinstance(value, list):
        value = value[-1] if value else None
    if value is None:
        return None
    value = str(value).replace("\x00", "").strip()[:MAX_TEXT].strip()
    return value or None


def text(value: Any) -> str | None:
    """A free-text value a callback received (dropdown value, id, search text): a string or None."""
    return one(value) if isinstance(value, str) else None


def choice(value: Any, allowed: Iterable[str], default: str) -> str:
    text = one(value)
    return text if text is not None and text in set(allowed) else default


def integer(value: Any, default: int | None, *, low: int, high: int) -> int | None:
    raw = one(value)
    try:
        number = int(raw) if raw is not None else default
    except ValueError:
        return default
    if number is None:
        return None
    return min(max(number, low), high)


def path_id(value: Any) -> str:
    """An id from a page path (`/artist/<id>`): percent-decoded, one string ('' when absent)."""
    return one(unquote(one(value) or "")) or ""


def year_range(value: Any, *, low: int, high: int) -> tuple[int, int] | None:
    """A [from, to] pair of years (in either order), clamped to [low, high]; None unless it is one."""
    if not isinstance(value, list | tuple) or len(value) != 2:
        return None
    years = [integer(item, None, low=low, high=high) for item in value]
    if None in years:
        return None
    first, last = sorted(int(year) for year in years if year is not None)
    return first, last


def search_string(values: dict[str, Any], defaults: dict[str, Any]) -> str:
    """`?k=v&...` for the values that differ from their default and are set; '' when all are defaults."""
    kept = {key: value for key, value in values.items() if value not in (None, "") and value != defaults.get(key)}
    return "?" + urlencode(kept) if kept else ""


def location(url_id: str, values: dict[str, Any], defaults: dict[str, Any]) -> Any:
    """A page's `dcc.Location` that already holds its query string (the canonical one of `values`), so that
    mounting it sets no `search` and fires no URL callback: the page load costs no round trip. Back/forward
    and control changes still go through `sync_url` as before."""
    return dcc.Location(id=url_id, refresh=False, search=search_string(values, defaults))


def query_of(search: str | None) -> dict[str, Any]:
    """`?a=1&b=2` -> {"a": "1", "b": "2"} (a repeated key gives a list, as Dash passes to layouts)."""
    parsed = parse_qs((search or "").lstrip("?"), keep_blank_values=True)
    return {key: values[0] if len(values) == 1 else values for key, values in parsed.items()}


def triggered_id() -> object | None:
    """The id that fired the running callback; None when called outside one (tests call callbacks directly)."""
    try:
        return dash.ctx.triggered_id
    except MissingCallbackContextException:
        return None


def sync_url(
    search: str | None,
    url_id: str,
    values: dict[str, Any],
    parse: Callable[[dict[str, Any]], dict[str, Any]],
    defaults: dict[str, Any],
    *,
    controls: Sequence[str] | None = None,
) -> tuple[object, ...]:
    """The body of every page's URL callback, outputs (search, *controls).

    Fired by the URL (back/forward, a pasted link, the page's Location mounting): `parse(query)` gives the
    controls' values, returned in the order of `controls` (default: the keys of `values`, when each control writes
    one query parameter); a control whose value in `values` is already that one gets `no_update`, so a page
    load does not fire the page's callbacks a second time. Fired
    by a control: `values` (the query parameters, already normalised) become the query string, written only
    when it changed.
    """
    keys = list(values) if controls is None else list(controls)
    if triggered_id() == url_id:  # a control already showing the URL's value is left alone (no chained callback)
        filters = parse(query_of(search))
        return (dash.no_update, *(dash.no_update if values.get(key, filters) == filters[key] else filters[key]
                                  for key in keys))  # fmt: skip
    wanted = search_string(values, defaults)
    return (wanted if wanted != (search or "") else dash.no_update, *(dash.no_update for _ in keys))
