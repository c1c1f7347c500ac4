"""One number format for every page: probabilities as 74.8%, counts with thousands separators, dates as precise
as they are known ("2026" for a year-only release), genre names with their casing (EDM, R&B).

Pure functions of plain values; pages, tables and figures call these and never format numbers themselves.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime
from typing import Any

import pandas as pd

from core.hit_definition import HitDefinition

# Genre names as people write them; sources often deliver them lower-cased.
GENRE_CASING = {
    "edm": "EDM", "r&b": "R&B", "rnb": "R&B", "k-pop": "K-pop", "j-pop": "J-pop", "uk garage": "UK garage",
    "uk drill": "UK drill", "idm": "IDM", "lo-fi": "Lo-fi", "dnb": "DnB",
}  # fmt: skip


def missing(value: Any) -> bool:
    """None, NaN, NaT or pandas NA."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # a list or an array is not "missing"
        return False


def pct(probability: Any, digits: int = 1) -> str:
    """0.748 -> '74.8%'; empty for a missing value."""
    if missing(probability):
        return ""
    return f"{float(probability) * 100:.{digits}f}%"


def count(value: Any) -> str:
    """12345.4 -> '12,345'."""
    return "" if missing(value) else f"{float(value):,.0f}"


def signed(value: Any, digits: int = 1, unit: str = "") -> str:
    """A change with its sign: '+2.5', '-0.3%', '+1,204'."""
    if missing(value):
        return ""
    shown = round(float(value), digits) + 0.0  # + 0.0 turns -0.0 into 0.0: never "-0"
    return f"{shown:+,.{digits}f}{unit}"


def points(probability_change: float) -> str:
    """A change in probability in percentage points: '+18 pts', '-0.4 pts'."""
    value = probability_change * 100
    return signed(value, 0 if abs(value) >= 1 else 1, " pts")


def release_date(value: Any, precision: str | None = None) -> str:
    """As precise as the date is known: '2026-03-14', 'Mar 2026', or '2026' (never 2026-01-01 for a year)."""
    if missing(value) or value == "":
        return ""
    day = value if isinstance(value, date) else datetime.fromisoformat(str(value)[:10]).date()
    if precision == "year":
        return str(day.year)
    if precision == "month":
        return f"{calendar.month_abbr[day.month]} {day.year}"
    return day.isoformat()


def genre(name: Any) -> str:
    """'edm' -> 'EDM', 'hip hop' -> 'Hip hop'; a name that already has capitals is kept as it is."""
    if missing(name) or not str(name):
        return ""
    text = str(name)
    if not text.islower():
        return text
    return GENRE_CASING.get(text, text[0].upper() + text[1:])


def times(ratio: float) -> str:
    """3.14 -> '3.1×'."""
    return f"{ratio:.1f}×"


def hit_sentence(label: dict[str, Any]) -> str:
    """The sentence "A hit is chart_position ≤ 10 within 28 days (history labels).", its sign from the definition."""
    try:
        hit = HitDefinition.from_json(label)
    except ValueError:
        return "This model version does not record its full hit definition: retrain to see it."
    mode = f" ({label['mode']} labels)." if label.get("mode") else "."
    return f"A hit is {hit.metric} {hit.sign} {hit.threshold:g} within {hit.horizon_days} days{mode}"
