"""How often a score like this has come true, in words, from the active model's reliability bins.

    bins = reliability_bins(model.metrics)      # [] when the model report has none
    came_true(0.72, bins)                       # 'of tracks scored like this, about 7 in 10 became hits'

The model report carries bins {bin_from, bin_to, mean_predicted, observed_rate, n} either as
`metrics["calibration"]` (a list) or as `metrics["calibration"]["bins"]` (with `ece` beside it). A bin with
fewer than MIN_N tracks backs no sentence: nothing is said that the report cannot back.
"""

from __future__ import annotations

from typing import Any

from dashboard import formats

MIN_N = 20
# Bands of the emerging list, by calibrated probability (lower bound, name), strongest first.
BANDS = ((0.5, "strong"), (0.2, "watch"), (0.0, "long shot"))
LIST_FLOOR = 0.05  # the emerging list leaves out tracks below this probability


def reliability_bins(metrics: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The bins of either report shape, sorted by bin_from; only well-formed ones."""
    calibration = (metrics or {}).get("calibration")
    if isinstance(calibration, dict):
        calibration = calibration.get("bins")
    if not isinstance(calibration, list):
        return []
    keys = ("bin_from", "bin_to", "observed_rate", "n")
    good = [b for b in calibration if isinstance(b, dict) and all(not formats.missing(b.get(k)) for k in keys)]
    return sorted(good, key=lambda b: float(b["bin_from"]))


def bin_for(probability: float, bins: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The bin a probability falls in ([from, to), the last bin closed), or None."""
    for index, b in enumerate(bins):
        last = index == len(bins) - 1
        if float(b["bin_from"]) <= probability < float(b["bin_to"]) or (last and probability == float(b["bin_to"])):
            return b
    return None


def rate_in_words(rate: float) -> str:
    """0.71 -> 'about 7 in 10'; 0.04 -> 'about 1 in 25'; 0 -> 'almost none'."""
    if rate >= 0.095:
        return f"about {round(rate * 10)} in 10"
    if rate > 0:
        return f"about 1 in {round(1 / rate):,}"
    return "almost none"


def came_true(probability: float, bins: list[dict[str, Any]]) -> str | None:
    """'of tracks scored like this, about 7 in 10 became hits', or None when no bin backs it."""
    found = bin_for(probability, bins)
    if found is None or int(found["n"]) < MIN_N:
        return None
    return f"of tracks scored like this, {rate_in_words(float(found['observed_rate']))} became hits"


def band(probability: float) -> str:
    return next(name for floor, name in BANDS if probability >= floor)


def band_came_true(low: float, high: float, bins: list[dict[str, Any]]) -> str | None:
    """How often scores in [low, high) came true, pooled over the bins whose mean prediction falls there."""
    inside = [b for b in bins if low <= float(b.get("mean_predicted", b["bin_from"])) < high and int(b["n"]) > 0]
    n = sum(int(b["n"]) for b in inside)
    if n < MIN_N:
        return None
    return rate_in_words(sum(float(b["observed_rate"]) * int(b["n"]) for b in inside) / n)


def band_ranges(floor: float = LIST_FLOOR) -> list[tuple[str, float, float]]:
    """[(name, low, high)] of the bands, strongest first, the last one starting at the list's floor."""
    uppers = [1.0000001] + [low for low, _ in BANDS[:-1]]
    return [(name, max(low, floor), high) for (low, name), high in zip(BANDS, uppers, strict=True)]
