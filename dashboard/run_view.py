"""What a run is doing and what it did, in words and bars: the stage list with progress, the outcome sentence,
and the "a model is training" notice. Pure: rows from `dashboard.ops_queries` in, components out.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from dashboard import ids
from dashboard.components import age_text

# The stages each kind of run goes through, in order, and what each one does in words.
PLANNED = {
    "refresh": ["extract", "feature_table", "score", "explain", "discover", "aggregate_publish"],
    "backfill": ["extract", "feature_table", "score", "explain", "discover", "aggregate_publish"],
    "import": ["import", "feature_table", "score", "explain", "discover", "aggregate_publish"],
    "train": ["read", "features", "tune_validate", "first_sight"],
}
LABELS = {
    "extract": "extract + load",
    "import": "read + load the file",
    "feature_table": "features",
    "score": "score",
    "explain": "reasons for the tracks shown",
    "discover": "discover (sound, segments)",
    "aggregate_publish": "aggregate + publish",
    "read": "read snapshots",
    "features": "build examples",
    "tune_validate": "tune + validate",
    "first_sight": "first-sight model",
}


def _count(value: Any) -> str:
    return f"{int(value):,}"


def progress_words(progress: dict[str, Any] | None) -> str:
    """'12 of 90 days (40,123 rows)', '3,000 rows', or '' before the stage reports anything."""
    if not progress or not progress.get("done") and not progress.get("total"):
        return ""
    unit = progress.get("unit") or "steps"
    done = _count(progress.get("done") or 0)
    words = f"{done} of {_count(progress['total'])} {unit}" if progress.get("total") else f"{done} {unit}"
    rows = progress.get("rows") or 0
    return words + (f" ({_count(rows)} rows)" if rows and unit != "rows" else "")


def stage_list(run: dict[str, Any]) -> html.Div:
    """Every stage of a run: done (rows, seconds), the current one with a progress bar, the ones still to come."""
    finished = {s["stage"]: s for s in run.get("stages") or []}
    progress = run.get("progress") or {}
    current = progress.get("stage") if run.get("status", "running") == "running" else None
    names = PLANNED.get(run["kind"], [])
    names = names + [name for name in [*finished, current] if name and name not in names]
    items = []
    for name in names:
        label = LABELS.get(name, name)
        if name in finished:
            stage = finished[name]
            detail = f"{_count(stage.get('rows_out') or 0)} rows · {float(stage.get('seconds') or 0):.1f} s"
            items.append(_stage_row("✓", label, detail, "text-success", None))
        elif name == current:
            total, done = progress.get("total"), progress.get("done") or 0
            bar = dbc.Progress(
                value=100 * done / total if total else 100, striped=True, animated=True,
                label=f"{100 * done / total:.0f}%" if total else "", className="mt-1", style={"height": "1.1rem"},
            )  # fmt: skip
            items.append(_stage_row("▶", label, progress_words(progress) or "running", "fw-semibold", bar))
        else:
            items.append(_stage_row("·", label, "to do", "text-muted", None))
    return html.Div(items, className="run-stages")


def _stage_row(mark: str, label: str, detail: str, css: str, bar: object) -> html.Div:
    return html.Div(
        [
            html.Div(
                [html.Span(mark, className="me-2"), html.Span(label, className="me-2"),
                 html.Span(detail, className="small text-muted")],
                className=css,
            ),
            bar,
        ],
        className="mb-2",
    )  # fmt: skip


def running_card(run: dict[str, Any], now: datetime | None = None) -> dbc.Alert:
    by = f" by {run['requested_by']}" if run.get("requested_by") else ""
    title = f"Run #{run['run_id']} ({run['kind']}, {run['trigger']}{by}) is running"
    started = f"started {age_text(run['started_at'], now)}, last heartbeat {age_text(run['heartbeat_at'], now)}"
    return dbc.Alert(
        [html.Div([html.Strong(title), html.Span(f" · {started}", className="small")]), stage_list(run)],
        color="primary", className="mb-3", id=ids.ADMIN_RUNNING,
    )  # fmt: skip


def outcome_sentence(run: dict[str, Any]) -> str:
    """What a finished run did, in words: published, found nothing new, trained, or failed (and what stands)."""
    rid, kind = run["run_id"], run["kind"]
    standing = (
        f"the run #{run['current_run']} publication (data as of {run['current_snapshot']}) still stands"
        if run.get("current_publication")
        else "nothing is published yet"
    )
    if run["status"] == "running":
        words = progress_words(run.get("progress"))
        stage = LABELS.get((run.get("progress") or {}).get("stage") or "", "starting")
        return f"Run #{rid} ({kind}) is running: {stage}" + (f", {words}." if words else ".")
    if run["status"] == "failed":
        error = (run.get("error") or "no error recorded").splitlines()[0]
        return f"Run #{rid} ({kind}) failed: {error}. Nothing changed: {standing}."
    if kind == "train":
        if run.get("model_version_id") is None:
            return f"Training run #{rid} finished without storing a model; {standing}."
        verdict = "is now the active model" if run.get("promoted") else "was kept inactive"
        note = f" ({run['promotion_note']})" if run.get("promotion_note") else ""
        return f"Training run #{rid} stored model version {run['model_version_id']}, which {verdict}{note}."
    if run.get("own_publication") is not None:
        return f"Run #{rid} published the data as of {run['snapshot_date']} (publication #{run['own_publication']})" + (
            "; it is what the pages show now." if run["own_publication"] == run.get("current_publication") else "."
        )
    if (run.get("row_counts") or {}).get("republished") == 0:
        return f"Run #{rid} found no new data, so {standing}."
    return f"Run #{rid} ({kind}) succeeded; {standing}."


def training_alert(run: dict[str, Any], now: datetime | None = None) -> dbc.Alert:
    """Shown instead of "No model trained yet" while the first model trains."""
    progress = run.get("progress") or {}
    stage = LABELS.get(progress.get("stage") or "", "starting")
    words = progress_words(progress)
    done, total = progress.get("done") or 0, progress.get("total")
    children: list[object] = [
        html.Strong("A model is training. "),
        f"Run #{run['run_id']}, started {age_text(run['started_at'], now or datetime.now(UTC))}: {stage}"
        + (f", {words}" if words else "")
        + ". Scores appear after the next refresh once it finishes (the Admin page shows every stage).",
    ]
    if total and stage == LABELS["tune_validate"]:
        children.append(dbc.Progress(value=100 * done / total, className="mt-2", style={"height": "0.6rem"}))
    return dbc.Alert(children, color="info", className="mb-3", id=ids.TRAINING_NOTICE)
