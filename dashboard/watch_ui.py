"""Watchlist pieces for the pages: the star button (artist and track pages) and Morning's "Your watchlist".

A star is a pattern-matching button, `{"type": "watch-star", "kind": ..., "id": ...}`; one callback here shows
its state on load and toggles it on click, for the signed-in user. Morning's section is an ag-grid whose Note and
Tags cells are editable: an edit is saved at once. The SQL is in `dashboard.watchlist`.
"""

from __future__ import annotations

import logging
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import MATCH, Input, Output, State, callback, html

from dashboard import ids, queries, tables, urlstate
from dashboard import watchlist as store
from dashboard.auth import current_user
from dashboard.components import unavailable_alert
from dashboard.db import reading, when_unavailable, writing

logger = logging.getLogger(__name__)

COLUMNS: list[dict[str, Any]] = [  # what matters first (a phone shows the first two or three columns)
    {**tables.link_column("name", "Name", kind="track", id_field="entity_id", minWidth=150),
     "cellRendererParams": {"kindField": "entity_type", "idField": "entity_id"}},
    {"field": "probability", "headerName": "Hit prob. %", "minWidth": 140, **tables.NUMBER},
    {"field": "change", "headerName": "Change (pts)", "minWidth": 150, **tables.NUMBER},
    {"field": "kind", "headerName": "Kind", "minWidth": 100},
    {"field": "artist", "headerName": "Artist", "minWidth": 120},
    {"field": "alerts", "headerName": "Alerts", "minWidth": 140, "tooltipField": "alerts"},
    {"field": "note", "headerName": "Note (edit)", "editable": True, "minWidth": 160, "tooltipField": "note"},
    {"field": "tags", "headerName": "Tags (edit)", "editable": True, "minWidth": 120},
]  # fmt: skip


def star_button(kind: str, entity_id: str) -> dbc.Button:
    """The star for an artist or track page; its label and colour come from the callback below."""
    return dbc.Button(
        "☆ Watch", id=ids.watch_star(kind, entity_id), color="warning", outline=True,
        size="sm", className="ms-2 align-middle watch-star",
    )  # fmt: skip


@callback(
    Output(ids.watch_star(MATCH, MATCH), "children"),
    Output(ids.watch_star(MATCH, MATCH), "outline"),
    Output(ids.watch_star(MATCH, MATCH), "disabled"),
    Input(ids.watch_star(MATCH, MATCH), "n_clicks"),
    State(ids.watch_star(MATCH, MATCH), "id"),
)
@when_unavailable(lambda: ("☆ Watch (unavailable)", True, True))
def toggle_star(n_clicks: int | None, star: dict[str, str]) -> tuple[str, bool, bool]:
    """On load: show whether the user watches it. On a click: star or unstar it."""
    user = current_user()
    star = star if isinstance(star, dict) else {}  # a crafted request can send anything
    kind, entity_id = urlstate.text(star.get("kind")), urlstate.text(star.get("id"))
    if user is None or kind not in store.KINDS or not entity_id:
        return "☆ Watch", True, True
    if n_clicks:
        with writing() as conn:
            want = not store.is_watched(conn=conn, username=user.name, entity_type=kind, entity_id=entity_id)
            store.set_watched(conn=conn, username=user.name, entity_type=kind, entity_id=entity_id, watched=want)
            watched = store.is_watched(conn=conn, username=user.name, entity_type=kind, entity_id=entity_id)
        logger.info("%s %s %s %s", user.name, "watches" if watched else "does not watch", kind, entity_id)
    else:
        with reading() as conn:
            watched = store.is_watched(conn=conn, username=user.name, entity_type=kind, entity_id=entity_id)
    return ("★ Watching", False, False) if watched else ("☆ Watch", True, False)


def morning_card() -> dbc.Card:
    """The Morning page's watchlist card, with the signed-in user's rows already in it (no callback at load)."""
    note, rows = watchlist_view()
    header = tables.export_header("Your watchlist", ids.MORNING_WATCHLIST_EXPORT, disabled=not rows)
    body = [html.Div(note, id=ids.MORNING_WATCHLIST_NOTE), html.Div(watch_grid(rows), id=ids.MORNING_WATCHLIST_SLOT)]
    return dbc.Card([dbc.CardHeader(header), dbc.CardBody(body)], className="mb-3")


def watch_grid(rows: list[dict[str, Any]]) -> object:
    """The editable grid of the watched rows; nothing while the list is empty (the note says so), so a Morning
    page without a watchlist loads no dash-ag-grid chunk."""
    if not rows:
        return None
    grid = tables.grid(ids.MORNING_WATCHLIST, COLUMNS, file_name="hitscope-watchlist.csv", page_size=10)
    grid.rowData = rows
    return grid


def watch_rows(frame: Any) -> list[dict[str, Any]]:
    """Probabilities and changes in percent (points), one decimal."""
    if frame.empty:
        return []
    shown = frame.assign(
        kind=frame["entity_type"].str.title(),
        probability=(frame["probability"].astype(float) * 100).round(1),
        change=(frame["change"].astype(float) * 100).round(1),
    )
    return tables.records(shown)


@callback(
    Output(ids.MORNING_WATCHLIST_NOTE, "children"),
    Output(ids.MORNING_WATCHLIST_SLOT, "children"),
    Output(ids.MORNING_WATCHLIST_EXPORT, "disabled"),
    Input(ids.MORNING_LOAD, "n_intervals"),
    prevent_initial_call=True,  # morning_card holds the first view
)
@when_unavailable(lambda: (unavailable_alert(), dash.no_update, dash.no_update))
def render_watchlist(_tick: int | None) -> tuple[object, object, bool]:
    """The minute's tick: the note, the grid and whether there is anything to export, again."""
    note, rows = watchlist_view()
    return note, watch_grid(rows), not rows


@when_unavailable(lambda: (unavailable_alert(), []))
def watchlist_view() -> tuple[object, list[dict[str, Any]]]:
    """The signed-in user's note and rows (empty when nothing is watched or nobody is signed in)."""
    user = current_user()
    if user is None:
        return None, []
    with reading() as conn:
        publication = queries.current_publication(conn=conn)
        pid = publication.publication_id if publication else -1
        frame = store.entries(conn=conn, username=user.name, publication_id=pid)
    if frame.empty:
        note = html.Div(
            "Nothing watched yet: star an artist or a track on its page (☆ Watch) to follow it here.",
            className="text-muted small",
        )
        return note, []
    note = html.Div(
        f"{len(frame)} watched. Change is since the previous publication; edit a note or tags in place.",
        className="text-muted small mb-1",
    )
    return note, watch_rows(frame)


@callback(
    Output(ids.MORNING_WATCHLIST_NOTE, "children", allow_duplicate=True),
    Input(ids.MORNING_WATCHLIST, "cellValueChanged"),
    prevent_initial_call=True,
)
@when_unavailable(unavailable_alert)
def save_edit(changes: list[dict[str, Any]] | None) -> object:
    """Save edited notes and tags (the grid sends the changed rows)."""
    user = current_user()
    if user is None or not changes:
        return None
    with writing() as conn:
        for change in changes if isinstance(changes, list) else [changes]:
            row = change.get("data") if isinstance(change, dict) else None
            if not isinstance(row, dict):
                continue
            store.update_entry(
                conn=conn, username=user.name, entity_type=urlstate.text(row.get("entity_type")) or "",
                entity_id=urlstate.text(row.get("entity_id")) or "", note=row.get("note"), tags=row.get("tags"),
            )  # fmt: skip
    return html.Div("Saved.", className="text-success small mb-1")


tables.export_on_click(ids.MORNING_WATCHLIST, ids.MORNING_WATCHLIST_EXPORT)
