"""Promotion, as a pure decision: a candidate becomes active only if it beats the active model on the same
forward holdout (PR-AUC, with ROC-AUC breaking an exact tie). No active model: the candidate wins.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Decision:
    promote: bool
    note: str


def _value(metrics: dict[str, Any] | None, key: str) -> float:
    value = (metrics or {}).get(key)
    return float(value) if value is not None and not math.isnan(float(value)) else float("-inf")


def decide(candidate: dict[str, Any], active: dict[str, Any] | None) -> Decision:
    """`candidate`, `active`: metrics on the same holdout rows (`active` None when nothing is active)."""
    if active is None:
        return Decision(True, "no active model: the first valid model becomes active")
    cand, act = _value(candidate, "pr_auc"), _value(active, "pr_auc")
    if cand == float("-inf"):
        return Decision(False, "candidate has no PR-AUC on the holdout")
    if cand > act or (cand == act and _value(candidate, "roc_auc") > _value(active, "roc_auc")):
        return Decision(True, f"holdout PR-AUC {cand:.4f} beats the active model's {act:.4f}")
    return Decision(False, f"holdout PR-AUC {cand:.4f} does not beat the active model's {act:.4f}")
