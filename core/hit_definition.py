"""What a hit is: one value (metric, threshold, horizon) that training, scoring, Seasonality, Discover and the
Model page all read, so they cannot disagree. Pure data; no database, no LightGBM.

    hit = HitDefinition.from_settings(settings)      # HIT_METRIC, HIT_THRESHOLD, HIT_HORIZON_DAYS
    hit.is_hit(values)                              # popularity >= 70, or chart_position <= 10
    hit.rule()                                      # "spotify_popularity >= 70"; hit.sign is "≥"
    HitDefinition.from_json(row["hit_definition"])  # as stored with a model version and a publication

A model version stores the definition it was trained on; a publication stores the one it was built with (the
active model's, so Seasonality counts hits the way the scores predict them). Changing the settings after
training changes only the next trained model, never what an existing model or publication means.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Metrics where a smaller value is better (rank 1 is the top of a chart): "lower wins".
LOWER_WINS_METRICS = frozenset({"chart_position"})


@dataclass(frozen=True)
class HitDefinition:
    metric: str = "spotify_popularity"
    threshold: float = 70.0
    horizon_days: int = 28

    def __post_init__(self) -> None:
        if not self.metric:
            raise ValueError("a hit definition needs a metric")
        if self.horizon_days < 1:
            raise ValueError(f"hit horizon must be at least 1 day, got {self.horizon_days}")

    @property
    def lower_wins(self) -> bool:
        """True for rank metrics (chart position): a hit is a value at or below the threshold."""
        return self.metric in LOWER_WINS_METRICS

    @property
    def direction(self) -> str:
        return "lower wins" if self.lower_wins else "higher wins"

    @property
    def operator(self) -> str:
        """The SQL/Python comparison a hit value passes against the threshold."""
        return "<=" if self.lower_wins else ">="

    @property
    def sign(self) -> str:
        """The comparison as shown to people."""
        return "≤" if self.lower_wins else "≥"

    @property
    def best(self) -> str:
        """The SQL aggregate that gives a track's best value so far (its peak)."""
        return "min" if self.lower_wins else "max"

    def is_hit(self, values: Any) -> Any:
        """Hit test for a number, array, Series or frame of metric values (NaN is never a hit)."""
        return values <= self.threshold if self.lower_wins else values >= self.threshold

    def rule(self) -> str:
        """The rule in plain ASCII, as written into reports and logs: "chart_position <= 10"."""
        return f"{self.metric} {self.operator} {self.threshold:g}"

    def to_json(self) -> dict[str, Any]:
        return {"metric": self.metric, "threshold": float(self.threshold), "horizon_days": int(self.horizon_days)}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> HitDefinition:
        """From a stored definition (or a model version's label, which holds the same keys); `ValueError` when
        a key is missing, so a row without a definition is never silently read as the default."""
        if not data or any(key not in data for key in ("metric", "threshold", "horizon_days")):
            raise ValueError(f"not a hit definition: {data!r}")
        return cls(str(data["metric"]), float(data["threshold"]), int(data["horizon_days"]))

    @classmethod
    def from_settings(cls, settings: Any) -> HitDefinition:
        return cls(settings.HIT_METRIC, float(settings.HIT_THRESHOLD), int(settings.HIT_HORIZON_DAYS))
