"""The model report's one typed schema: what `model/` produces, `jobs` stores and the dashboard reads.

    report = ModelReport.model_validate(metrics)        # raises pydantic.ValidationError when malformed
    validated_report(metrics)                            # the same check, returning the dict unchanged

Pure data (pydantic models), no project imports. Every version stored in `model_versions.metrics` and every
`python -m jobs evaluate` JSON passes `validated_report`; the Model page and the Morning list read it through
`parse_report`, which gives None for a version stored before this schema existed.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

Verdict = Literal["win", "tie", "loss"]


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Metrics(_Open):
    """Mean over the evaluation origins (or one origin's values); `skipped` says why a baseline did not run."""

    pr_auc: float | None = None
    roc_auc: float | None = None
    precision_at_k: float | None = None
    oracle_at_k: float | None = None
    k: int | None = None
    brier: float | None = None
    log_loss: float | None = None
    n: int | None = None
    positives: int | None = None
    skipped: str | None = None


class Interval(_Open):
    """PR-AUC of the model minus `against`'s, with the 95% interval clustered by track."""

    against: str | None
    diff: float | None
    lo: float | None
    hi: float | None
    verdict: Verdict


class Positives(_Open):
    rows: int
    tracks: int
    test_rows: int


class ReliabilityBin(BaseModel):
    bin_from: float
    bin_to: float
    mean_predicted: float
    observed_rate: float
    n: int


class Calibration(_Open):
    method: str
    bins: list[ReliabilityBin]
    ece: float | None
    brier: float | None
    log_loss: float | None
    against: dict[str, dict[str, float | None]]


class Champion(_Open):
    """What ranks the published list: the model, or a single-signal baseline (its fitted numbers in `signal`)."""

    name: str | None
    kind: Literal["model", "baseline"]
    reason: str
    signal: dict[str, Any] | None = None


class SeriesResult(_Open):
    forward: Metrics
    ci: Interval
    verdict: Verdict
    positives: Positives


class Pooled(_Open):
    forward: Metrics
    ci: Interval
    positives: Positives
    series: list[str]


class FirstSight(_Open):
    """The first-sight model trained beside the main one (features without the track's own history), validated
    on the same rolling origins against first-sight baselines; `skipped` says why a run has none."""

    skipped: str | None = None
    forward: Metrics | None = None
    baselines: dict[str, Metrics] = {}
    ci: dict[str, Interval] = {}
    verdict: Verdict | None = None
    positives: Positives | None = None
    calibration: Calibration | None = None
    features: list[str] = []
    examples: str | None = None


class ModelReport(_Open):
    forward: Metrics
    random_split: Metrics
    baselines: dict[str, Metrics]
    pooled: Pooled
    per_series: dict[str, SeriesResult]
    ci: dict[str, Interval]
    positives: Positives
    verdict: Verdict
    champion: Champion
    calibration: Calibration
    first_sight: FirstSight | None = None


def validated_report(report: dict[str, Any]) -> dict[str, Any]:
    """`report` itself, after checking it against `ModelReport` (raises ValidationError)."""
    ModelReport.model_validate(report)
    return report


def parse_report(metrics: dict[str, Any] | None) -> ModelReport | None:
    """The typed report, or None for a missing or pre-schema one (the caller shows what it can)."""
    try:
        return ModelReport.model_validate(metrics or {})
    except ValidationError:
        return None
