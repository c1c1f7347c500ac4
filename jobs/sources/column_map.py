"""Column mappings: a file whose columns hold a known layout under other names (docs/sources.md, "Your own files").

    python -m jobs import FILE --map mapping.toml
    python -m jobs evaluate --data FILE --map mapping.toml --report OUT.json

    layout = "top50-daily"            # any layout name, or the generic "snapshots"
    artist_ids_separator = ";"        # optional: how the artist_ids cell separates ids (default: detected)
    [columns]                         # layout column (or role) = the file's column
    date = "day"
    position = "rank_in_region"
    market = "region"                 # roles every layout accepts: market, artist_ids, track_id
    artist_ids = "artist_uris"

`load_mapping` checks the TOML itself and `mapped_layout` checks it against a file's header; every problem
(an unknown key or layout, a column the file lacks, a column the layout needs left unmapped) is one
`DataQualityError` raised before any run starts. The mapped layout renames each row's columns, parses it with
the named layout, then applies the roles (`jobs/sources/layouts/roles.py`). Columns not named in `[columns]`
are read under their own names.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from jobs.errors import DataQualityError
from jobs.sources.layouts import BY_NAME, LAYOUT_NAMES
from jobs.sources.layouts.common import Layout, ParsedRow, Row, RowContext, RowError
from jobs.sources.layouts.roles import Roles, apply_roles, artist_ids, reference_id

ROLE_NAMES = ("market", "artist_ids", "track_id")
TOP_LEVEL = ("layout", "columns", "artist_ids_separator")


@dataclass(frozen=True)
class ColumnMap:
    """A checked mapping: the layout, its columns renamed (layout column -> file column), and the roles."""

    path: Path
    layout: Layout
    columns: dict[str, str]
    roles: dict[str, str]
    separator: str | None = None

    def file_columns(self) -> list[str]:
        return list(dict.fromkeys([*self.columns.values(), *self.roles.values()]))


def load_mapping(path: Path) -> ColumnMap:
    """Read and check a mapping file; `DataQualityError` names the first problem."""
    try:
        content = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise DataQualityError(f"{path}: cannot read the mapping ({error})") from error
    except tomllib.TOMLDecodeError as error:
        raise DataQualityError(f"{path}: not valid TOML ({error})") from error
    unknown = [key for key in content if key not in TOP_LEVEL]
    if unknown:
        raise DataQualityError(f"{path}: unknown key {unknown[0]!r}; a mapping has {', '.join(TOP_LEVEL)}")
    name = content.get("layout")
    if name not in BY_NAME:
        raise DataQualityError(f"{path}: layout = {name!r} is not a layout; expected one of {', '.join(LAYOUT_NAMES)}")
    layout = BY_NAME[str(name)]
    table = content.get("columns")
    if not isinstance(table, dict) or not table:
        raise DataQualityError(f'{path}: a [columns] table (layout column = "file column") is required')
    columns: dict[str, str] = {}
    roles: dict[str, str] = {}
    for key, value in table.items():
        if not isinstance(value, str) or not value.strip():
            raise DataQualityError(f"{path}: columns.{key} must be the name of a column of the file, got {value!r}")
        if key in layout.columns:
            columns[key] = value.strip()
        elif key in ROLE_NAMES:
            roles[key] = value.strip()
        else:
            raise DataQualityError(
                f"{path}: unknown key {key!r} in [columns]. Layout {layout.name} reads:"
                f" {', '.join(layout.columns)}; every layout also takes the roles {', '.join(ROLE_NAMES)}"
            )
    separator = content.get("artist_ids_separator")
    if separator is not None and (not isinstance(separator, str) or not separator):
        raise DataQualityError(f"{path}: artist_ids_separator must be a non-empty string, got {separator!r}")
    return ColumnMap(Path(path), layout, columns, roles, separator)


def mapped_layout(mapping: ColumnMap, header: list[str], file: Path) -> Layout:
    """The mapping's layout, reading `file` (whose columns are `header`); checks the file fits the mapping."""
    missing = [column for column in mapping.file_columns() if column not in header]
    if missing:
        raise DataQualityError(
            f"{file}: the mapping {mapping.path} names columns the file does not have: {', '.join(missing)}."
            f" The file's columns are: {', '.join(header[:30])}"
        )
    base = mapping.layout
    available = set(mapping.columns) | {column for column in base.columns if column in header}
    stand_ins = {"artist_ids": base.artist_column, "track_id": base.track_column}
    standing_in = {
        column: role for role, column in stand_ins.items()
        if column is not None and role in mapping.roles and column not in available
    }  # fmt: skip
    needed = [column for column in base.needs if column not in available and column not in standing_in]
    if needed:
        raise DataQualityError(
            f"{file}: layout {base.name} needs the column(s) {', '.join(needed)}: name the file's column for each"
            f" in [columns] of {mapping.path}"
        )
    roles = Roles(
        market=mapping.roles.get("market"), artist_ids=mapping.roles.get("artist_ids"),
        track_id=mapping.roles.get("track_id"), separator=mapping.separator,
        names_given="artist_ids" not in standing_in.values(),
    )  # fmt: skip

    def rename(row: Row) -> Row:
        renamed = {**row, **{column: row[source] for column, source in mapping.columns.items()}}
        for column, role in standing_in.items():
            if role == "artist_ids":
                renamed[column] = next(iter(artist_ids(row, roles)), "")
            else:
                value = row[mapping.roles["track_id"]].strip()
                renamed[column] = reference_id(value, "track", mapping.roles["track_id"]) if value else ""
        return renamed

    def parse_row(row: Row, context: RowContext) -> ParsedRow:
        parsed = base.parse_row(rename(row), context)
        if not parsed.skip:
            apply_roles(parsed, row, roles, context)
        return parsed

    def prescan(state: dict[str, Any], row: Row) -> None:
        try:
            renamed = rename(row)
        except RowError:
            return  # reported when the row is parsed
        if base.prescan is not None:
            base.prescan(state, renamed)

    return replace(
        base,
        key_columns=tuple(header),
        parse_row=parse_row,
        prescan=None if base.prescan is None else prescan,
        description=f"{base.description}, columns mapped by {mapping.path.name}",
    )
