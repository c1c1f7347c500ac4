"""A score's reasons in words: each feature's push, with the value the model saw, in percentage points.

    reasons(contributions, values, probability)   # [Reason('Released 11 days ago', +0.06), ...], largest first

LightGBM contributions are log-odds; a feature's effect in points is how far the shown probability would move
without its push: p - sigmoid(logit(p) - contribution). The bias (the base rate) is not a reason.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from dashboard import formats, glossary

BIAS = "bias"


@dataclass(frozen=True)
class Reason:
    feature: str
    text: str  # "Spotify popularity +27 points in 7 days"
    effect: float  # change in probability, -1..1

    @property
    def words(self) -> str:
        """'Spotify popularity +27 points in 7 days: +18 pts'."""
        return f"{self.text}: {formats.points(self.effect)}"


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def effect_points(contribution: float, probability: float) -> float:
    """What this push adds to the probability shown (negative when it holds the track back)."""
    p = min(max(probability, 1e-6), 1 - 1e-6)
    return p - _sigmoid(math.log(p / (1 - p)) - contribution)


def reasons(
    contributions: dict[str, Any], values: dict[str, Any] | None, probability: float, *, top: int = 6
) -> list[Reason]:
    """The `top` features that moved this probability most, each in words with its value and effect."""
    values = values or {}
    pushes = [(k, float(v)) for k, v in (contributions or {}).items() if k != BIAS and not formats.missing(v)]
    ranked = sorted(pushes, key=lambda kv: abs(kv[1]), reverse=True)[:top]
    out = []
    for feature, push in ranked:
        effect = effect_points(push, probability)
        if abs(effect) < 0.0005:  # under 0.05 points: not a reason
            continue
        found = glossary.term(feature)
        if feature in values and found:
            text = found.phrase(values[feature])
        else:
            text = found.label if found else feature
        out.append(Reason(feature, text, effect))
    return out
