"""Model versions in PostgreSQL (`model_versions`): save every trained model, load the active one, activate.

Every stored `metrics` passes the report schema (`core.model_report`). A version may carry a first-sight model
(`first_sight_text`, `first_sight_params`: features and Platt calibration; migration 0017) trained in the same
run for on-demand lookups (`model.first_sight_train`). Exactly one version is active at a
time (a partial unique index guarantees it); activating one deactivates the others in the same transaction.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from core.model_report import validated_report


@dataclass(frozen=True)
class StoredModel:
    model_version_id: int
    label: dict[str, Any]
    params: dict[str, Any]
    metrics: dict[str, Any]
    feature_names: list[str]
    feature_importance: list[dict[str, Any]]
    model_text: str
    first_sight_text: str | None = None
    first_sight_params: dict[str, Any] | None = None


def json_safe(value: Any) -> Any:
    """NaN and infinities become null (JSON has no NaN); numpy scalars become Python numbers."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def save_version(
    *,
    conn: Connection,
    run_id: int | None,
    label: dict[str, Any],
    params: dict[str, Any],
    metrics: dict[str, Any],
    data_window: dict[str, Any],
    feature_names: list[str],
    feature_importance: list[dict[str, Any]],
    model_text: str,
    first_sight: tuple[str, dict[str, Any]] | None = None,
) -> int:
    validated_report(metrics)  # one schema for every stored report (core.model_report)
    values = {
        "run_id": run_id, "label": label, "params": params, "metrics": metrics, "window": data_window,
        "names": feature_names, "importance": feature_importance, "model_text": model_text,
        "fs_text": first_sight[0] if first_sight else None, "fs_params": first_sight[1] if first_sight else None,
    }  # fmt: skip
    raw = ("run_id", "model_text", "fs_text")
    encoded = {k: v if k in raw or v is None else json.dumps(json_safe(v), default=str) for k, v in values.items()}
    return int(
        conn.execute(
            text(
                "INSERT INTO model_versions (run_id, label, params, metrics, data_window, feature_names,"
                " feature_importance, model_text, first_sight_text, first_sight_params) VALUES (:run_id,"
                " CAST(:label AS jsonb), CAST(:params AS jsonb), CAST(:metrics AS jsonb), CAST(:window AS jsonb),"
                " CAST(:names AS jsonb), CAST(:importance AS jsonb), :model_text, :fs_text,"
                " CAST(:fs_params AS jsonb)) RETURNING model_version_id"
            ),
            encoded,
        ).scalar_one()
    )


def active_model(*, conn: Connection) -> StoredModel | None:
    row = conn.execute(
        text(
            "SELECT model_version_id, label, params, metrics, feature_names, feature_importance, model_text,"
            " first_sight_text, first_sight_params FROM model_versions WHERE is_active"
        )
    ).first()
    return StoredModel(*row) if row is not None else None


def record_promotion(*, conn: Connection, model_version_id: int, promoted: bool, note: str) -> None:
    """Store the promotion decision; a promoted version becomes the only active one."""
    if promoted:
        conn.execute(text("UPDATE model_versions SET is_active = false WHERE is_active"))
    conn.execute(
        text(
            "UPDATE model_versions SET promoted = :promoted, is_active = :promoted, promotion_note = :note"
            " WHERE model_version_id = :id"
        ),
        {"promoted": promoted, "note": note, "id": model_version_id},
    )


def ensure_optuna_schema(*, conn: Connection) -> None:
    """Optuna's study tables live in their own schema, out of `public`."""
    conn.execute(text("CREATE SCHEMA IF NOT EXISTS optuna"))


def optuna_storage_url(database_url: str) -> str:
    """The same database, with Optuna's tables in the `optuna` schema (via libpq `options`)."""
    from sqlalchemy.engine import make_url

    url = make_url(database_url).update_query_dict({"options": "-csearch_path=optuna"})
    return url.render_as_string(hide_password=False)
