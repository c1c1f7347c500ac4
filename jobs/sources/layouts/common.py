"""What every dataset layout shares: the row result, the row error, and the value parsers.

A layout turns one CSV row (a dict of header -> text) into a `ParsedRow` of normalised records, or raises
`RowError` with a reason the import report shows next to the line number. Parsers here never raise anything
else on any text, which the hypothesis tests check.
"""

from __future__ import annotations

import ast
import hashlib
import json
import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

Row = dict[str, str]
MISSING = frozenset({"", "NA", "NaN", "nan", "None", "null", "NULL"})
METRIC_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")


class RowError(ValueError):
    """This row cannot be used; the message says why (it goes into the import report)."""


@dataclass
class RowContext:
    """What a row parser needs besides the row: snapshot date, series (file) name, a pre-scan's state."""

    snapshot_date: date
    series: str
    state: dict[str, Any] = field(default_factory=dict)


@dataclass
class ParsedRow:
    """The records one row produced (dicts keyed like the `jobs.sources.base` columns, without `source`)."""

    artists: list[dict[str, Any]] = field(default_factory=list)
    tracks: list[dict[str, Any]] = field(default_factory=list)
    track_artists: list[dict[str, Any]] = field(default_factory=list)
    artist_genres: list[tuple[str, str]] = field(default_factory=list)
    observations: list[dict[str, Any]] = field(default_factory=list)
    audio_features: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    series: str | None = None  # overrides the file's series in the observation source (`dataset:<series>`)
    skip: str | None = None  # a reason to drop the row without calling it malformed (e.g. superseded snapshot)

    def artist(self, artist_id: str, name: str | None, genre: str | None = None) -> None:
        if name:
            self.artists.append({"artist_id": artist_id, "name": name, "genre": genre})

    def link(self, track_id: str, artist_ids: list[str]) -> None:
        for position, artist_id in enumerate(dict.fromkeys(artist_ids)):
            self.track_artists.append({"track_id": track_id, "artist_id": artist_id, "position": position})

    def audio(self, row: Row, track_id: str) -> None:
        """The row's audio features of the track, when it has any (`audio_features`)."""
        features = audio_features(row, track_id)
        if features is not None:
            self.audio_features.append(features)

    def observe(self, entity_type: str, entity_id: str, metric: str, day: date, value: float | None) -> None:
        if value is not None:
            self.observations.append(
                {
                    "entity_type": entity_type,
                    "entity_id": entity_id,
                    "metric": metric,
                    "observed_on": day,
                    "value": float(value),
                }
            )


@dataclass(frozen=True)
class Layout:
    """One file layout: the columns that identify it, how to parse a row, and its known collection date."""

    name: str
    key_columns: tuple[str, ...]
    parse_row: Callable[[Row, RowContext], ParsedRow]
    description: str
    snapshot_date: date | None = None  # for single-snapshot tables: when the file was collected
    rank: int = 2  # import order within one import: 0 artist tables, 1 track catalogues, 2 time series
    # An optional first pass over the file (constant memory), filling `RowContext.state` before parsing.
    prescan: Callable[[dict[str, Any], Row], None] | None = None
    # For column mappings (`jobs/sources/column_map.py`): the other columns the parser reads when present,
    # the ones a mapped file must provide (default: `key_columns`), and the artist-name and track-name
    # columns that the `artist_ids` and `track_id` roles may stand in for.
    optional_columns: tuple[str, ...] = ()
    required_columns: tuple[str, ...] | None = None
    artist_column: str | None = None
    track_column: str | None = None

    def matches(self, header: list[str]) -> bool:
        return set(self.key_columns) <= set(header)

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column the parser reads."""
        return tuple(dict.fromkeys((*self.key_columns, *self.optional_columns)))

    @property
    def needs(self) -> tuple[str, ...]:
        return self.key_columns if self.required_columns is None else self.required_columns


# --- value parsers: each takes raw text and a field name, returns a value or None, or raises RowError ---


def text(row: Row, column: str, missing: frozenset[str] = frozenset({""})) -> str | None:
    """The stripped text of a column, None when empty (or one of `missing`)."""
    value = (row.get(column) or "").strip()
    return None if value in missing else value


def required(row: Row, column: str, missing: frozenset[str] = frozenset({""})) -> str:
    value = text(row, column, missing)
    if value is None:
        raise RowError(f"{column} is empty")
    return value


_THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+")


def number(row: Row, column: str) -> float | None:
    value = text(row, column, MISSING)
    if value is None:
        return None
    try:
        result = float(value.replace(",", "") if _THOUSANDS.fullmatch(value) else value)
    except ValueError:
        raise RowError(f"{column} is not a number: {value[:40]!r}") from None
    if not math.isfinite(result):
        raise RowError(f"{column} is not a finite number: {value[:40]!r}")
    return result


def integer(row: Row, column: str) -> int | None:
    """A whole number (its bounds are checked on the parsed row, see `layouts/bounds.py`)."""
    value = number(row, column)
    if value is None:
        return None
    if value != int(value):
        raise RowError(f"{column} is not a whole number: {value}")
    return int(value)


def boolean(row: Row, column: str) -> bool | None:
    value = text(row, column, MISSING)
    if value is None:
        return None
    lowered = value.lower()
    if lowered in ("true", "1", "1.0", "yes"):
        return True
    if lowered in ("false", "0", "0.0", "no"):
        return False
    raise RowError(f"{column} is not a boolean: {value[:40]!r}")


def day(row: Row, column: str) -> date:
    value = required(row, column)
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise RowError(f"{column} is not a date (YYYY-MM-DD): {value[:40]!r}") from None


_RELEASE = re.compile(r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?")


def release_date(row: Row, column: str) -> tuple[date | None, str | None]:
    """A release date and its precision: `YYYY` -> 'year', `YYYY-MM` -> 'month', `YYYY-MM-DD` -> 'day'."""
    value = text(row, column, MISSING)
    if value is None:
        return None, None
    match = _RELEASE.fullmatch(value)
    if match is None:
        raise RowError(f"{column} is not YYYY, YYYY-MM or YYYY-MM-DD: {value[:40]!r}")
    year, month, dom = match.groups()
    try:
        parsed = date(int(year), int(month or 1), int(dom or 1))
    except ValueError:
        raise RowError(f"{column} is not a valid date: {value!r}") from None
    return parsed, "day" if dom else "month" if month else "year"


_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'|\"((?:[^\"\\]|\\.)*)\"", re.DOTALL)
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)


def string_list(row: Row, column: str) -> list[str]:
    """A list of strings written as a Python list (`['a', "b'c"]`), a numpy array (`['a' 'b']`) or JSON."""
    value = text(row, column, MISSING)
    if value is None:
        return []
    if not (value.startswith("[") and value.endswith("]")):
        raise RowError(f"{column} is not a list: {value[:40]!r}")
    if '"' in value and "'" not in value:
        try:
            loaded = json.loads(value)
        except ValueError:
            loaded = None
        if isinstance(loaded, list) and all(isinstance(item, str) for item in loaded):
            return [item.strip() for item in loaded if item.strip()]
    if _QUOTED.sub("", value[1:-1]).strip(" ,\n\r\t"):
        raise RowError(f"{column} is not a list of quoted strings: {value[:40]!r}")
    items = [_literal(match.group(0)) for match in _QUOTED.finditer(value)]
    return [item.strip() for item in items if item.strip()]


def _literal(token: str) -> str:
    """One quoted item as Python wrote it (with its escapes), or its plain text if it is not a literal."""
    try:
        result = ast.literal_eval(token)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return _ESCAPE.sub(r"\1", token[1:-1])
    return result if isinstance(result, str) else token[1:-1]


# --- identities ---


def normalise(value: str) -> str:
    """The matching key of a name: NFKC, case-folded, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", value).casefold().split())


def dataset_id(kind: str, *names: str) -> str:
    """A deterministic id for an entity the file gives no id for, from its normalised name(s)."""
    digest = hashlib.sha1("\x1f".join([kind, *map(normalise, names)]).encode("utf-8")).hexdigest()
    return f"dataset:{digest[:20]}"


_SPOTIFY_ID = re.compile(r"[0-9A-Za-z]{22}")


def spotify_id(row: Row, column: str) -> str | None:
    value = text(row, column, MISSING)
    if value is None:
        return None
    if not _SPOTIFY_ID.fullmatch(value):
        raise RowError(f"{column} is not a Spotify id: {value[:40]!r}")
    return value


def required_spotify_id(row: Row, column: str) -> str:
    """A Spotify id that must be there: a row without one is reported, not loaded."""
    value = spotify_id(row, column)
    if value is None:
        raise RowError(f"{column} is empty")
    return value


_OWN_ID = re.compile(r"[^\s]{1,100}")


def own_id(row: Row, column: str) -> str | None:
    """An id of the file's own (Spotify's or a label's): 1-100 characters without spaces, or None when empty."""
    value = text(row, column)
    if value is not None and not _OWN_ID.fullmatch(value):
        raise RowError(f"{column} must be 1-100 characters without spaces: {value[:40]!r}")
    return value


def genre(value: str | None) -> str | None:
    cleaned = normalise(value) if value else ""
    return cleaned or None


def metric_name(value: str) -> str:
    cleaned = value.strip().lower()
    if not METRIC_NAME.fullmatch(cleaned):
        raise RowError(f"metric must be lower_snake_case: {value[:40]!r}")
    return cleaned


AUDIO_COLUMNS = (
    "danceability",
    "energy",
    "key",
    "loudness",
    "mode",
    "speechiness",
    "acousticness",
    "instrumentalness",
    "liveness",
    "valence",
    "tempo",
    "time_signature",
)
_AUDIO_INTEGER = {"key", "mode", "time_signature"}  # whole numbers; every range is in `layouts/bounds.py`


def audio_features(row: Row, track_id: str) -> dict[str, Any] | None:
    """The audio-feature columns present in the row, or None when the row has none of them."""
    features: dict[str, Any] = {"track_id": track_id}
    for column in AUDIO_COLUMNS:
        if column in _AUDIO_INTEGER:
            features[column] = integer(row, column) if column in row else None
        else:
            features[column] = number(row, column) if column in row else None
    return features if any(features[c] is not None for c in AUDIO_COLUMNS) else None


def track_record(
    track_id: str,
    name: str | None,
    *,
    album: str | None = None,
    release: tuple[date | None, str | None] = (None, None),
    duration_ms: int | None = None,
    explicit: bool | None = None,
    isrc: str | None = None,
    genre_name: str | None = None,
) -> dict[str, Any]:
    return {
        "track_id": track_id,
        "name": name,
        "album_name": album,
        "release_date": release[0],
        "release_date_precision": release[1],
        "duration_ms": duration_ms,
        "explicit": explicit,
        "isrc": isrc,
        "genre": genre_name,
    }
