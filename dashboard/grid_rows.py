"""Server-side rows for dash-ag-grid's infinite row model: a grid's `getRowsRequest` becomes SQL fragments.

The grid asks for one block at a time (`{"startRow": 0, "endRow": 20, "sortModel": [...], "filterModel": {...}}`);
`GridQuery.parse` checks it against a whitelist of columns (`GridColumn`: the SQL expression a field sorts and
filters on, and whether it is text or a number) and gives an ORDER BY clause, a WHERE fragment with bound
parameters, and the block's LIMIT/OFFSET. A field outside the whitelist, an unknown operator, a non-numeric number
filter or an oversized block raises `GridRequestRefused`, a 400 (werkzeug `BadRequest`): user input is never
concatenated into SQL, only whitelisted expressions and `:gN` parameters are.

    query = GridQuery.parse(request, COLUMNS, default_order="popularity")
    sql = f"SELECT ... WHERE publication_id = :pid{query.where} ORDER BY {query.order_by('artist_id')} {query.page}"
    rows = conn.execute(text(sql), {"pid": pid, **query.params})
    response = block_response(rows, query)   # {"rowData": rows, "rowCount": n once the last block is reached}

Row count: never `count(*)`; the count becomes known when a block comes back short (AG Grid shows "more" until
then), so each block costs one indexed range read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from werkzeug.exceptions import BadRequest

MAX_BLOCK = 500  # rows per request (the grids ask for 20-100)
MAX_CONDITIONS = 8  # combined filter conditions per column
MAX_TEXT = 200  # characters of a text filter


class GridRequestRefused(BadRequest):
    """A crafted or malformed grid request: answered 400 with the reason, never run as SQL."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"grid request refused: {reason[:200]}")


@dataclass(frozen=True)
class GridColumn:
    """A field the grid may sort and filter on: its SQL expression and type. `filter_sql` (default `sql`) is
    what filters compare, e.g. the value rounded as the grid shows it."""

    sql: str
    kind: Literal["text", "number"] = "number"
    filter_sql: str | None = None


TEXT_OPS = {
    "equals": ("lower({c}) = lower({p})", "{v}"),
    "notEqual": ("lower({c}) IS DISTINCT FROM lower({p})", "{v}"),
    "contains": ("{c} ILIKE {p} ESCAPE '\\'", "%{v}%"),
    "notContains": ("{c} NOT ILIKE {p} ESCAPE '\\'", "%{v}%"),
    "startsWith": ("{c} ILIKE {p} ESCAPE '\\'", "{v}%"),
    "endsWith": ("{c} ILIKE {p} ESCAPE '\\'", "%{v}"),
}
NUMBER_OPS = {
    "equals": "{c} = {p}",
    "notEqual": "{c} IS DISTINCT FROM {p}",
    "lessThan": "{c} < {p}",
    "lessThanOrEqual": "{c} <= {p}",
    "greaterThan": "{c} > {p}",
    "greaterThanOrEqual": "{c} >= {p}",
}
BLANK_OPS = {"blank": "{c} IS NULL", "notBlank": "{c} IS NOT NULL"}


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _integer(request: dict[str, Any], name: str) -> int:
    value = request.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise GridRequestRefused(f"{name} must be a non-negative integer")
    return value


def _number(value: Any, what: str) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or value != value:
        raise GridRequestRefused(f"{what} must be a number")
    return float(value)


@dataclass
class GridQuery:
    """One block request, checked: `where` (starts with " AND " when not empty), `params`, `sort`, `offset`,
    `limit`."""

    offset: int
    limit: int
    sort: list[tuple[str, str]]  # (SQL expression, ASC/DESC), whitelisted
    where: str = ""
    params: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def parse(
        cls,
        request: Any,
        columns: dict[str, GridColumn],
        *,
        default_order: str,
        whole: bool = False,
    ) -> GridQuery:
        """Check `request` (the grid's getRowsRequest) against `columns`; `whole` ignores the block bounds (CSV)."""
        if not isinstance(request, dict):
            raise GridRequestRefused("not an object")
        if whole:
            offset, limit = 0, 0
        else:
            offset, end = _integer(request, "startRow"), _integer(request, "endRow")
            if not 0 < end - offset <= MAX_BLOCK:
                raise GridRequestRefused(f"a block is 1 to {MAX_BLOCK} rows")
            limit = end - offset
        query = cls(offset=offset, limit=limit, sort=cls._sort(request.get("sortModel"), columns))
        if not query.sort:
            query.sort = [(columns[default_order].sql, "DESC")]
        query._filters(request.get("filterModel"), columns)
        return query

    @staticmethod
    def _sort(model: Any, columns: dict[str, GridColumn]) -> list[tuple[str, str]]:
        if model is None:
            return []
        if not isinstance(model, list) or len(model) > len(columns):
            raise GridRequestRefused("sortModel must be a short list")
        sort = []
        for item in model:
            if not isinstance(item, dict) or item.get("colId") not in columns:
                raise GridRequestRefused(f"cannot sort by {str(item)[:80]}")
            direction = item.get("sort")
            if direction not in ("asc", "desc"):
                raise GridRequestRefused("sort must be asc or desc")
            sort.append((columns[item["colId"]].sql, direction.upper()))
        return sort

    def _filters(self, model: Any, columns: dict[str, GridColumn]) -> None:
        if model in (None, {}):
            return
        if not isinstance(model, dict):
            raise GridRequestRefused("filterModel must be an object")
        clauses = []
        for name, spec in model.items():
            if name not in columns:
                raise GridRequestRefused(f"cannot filter on {str(name)[:80]}")
            clauses.append(self._column_filter(columns[name], spec))
        self.where = "".join(f" AND {clause}" for clause in clauses)

    def _column_filter(self, column: GridColumn, spec: Any) -> str:
        if not isinstance(spec, dict):
            raise GridRequestRefused("a column filter must be an object")
        if "conditions" in spec:
            conditions = spec["conditions"]
            operator = spec.get("operator", "AND")
            if not isinstance(conditions, list) or not 0 < len(conditions) <= MAX_CONDITIONS:
                raise GridRequestRefused("conditions must be a short list")
            if operator not in ("AND", "OR"):
                raise GridRequestRefused("operator must be AND or OR")
            return "(" + f" {operator} ".join(self._condition(column, c) for c in conditions) + ")"
        return self._condition(column, spec)

    def _bind(self, value: Any) -> str:
        name = f"g{len(self.params)}"
        self.params[name] = value
        return f":{name}"

    def _condition(self, column: GridColumn, spec: Any) -> str:
        if not isinstance(spec, dict):
            raise GridRequestRefused("a filter condition must be an object")
        kind, op = spec.get("filterType", column.kind), spec.get("type")
        if kind != column.kind:
            raise GridRequestRefused(f"a {column.kind} column takes a {column.kind} filter")
        target = column.filter_sql or column.sql
        if op in BLANK_OPS:
            return BLANK_OPS[op].format(c=target)
        if kind == "text":
            value = spec.get("filter")
            if op not in TEXT_OPS or not isinstance(value, str) or len(value) > MAX_TEXT:
                raise GridRequestRefused("text filters take a known type and a short text")
            template, pattern = TEXT_OPS[op]
            bound = self._bind(pattern.format(v=_like_escape(value) if "%" in pattern else value))
            return "(" + template.format(c=target, p=bound) + ")"
        if op == "inRange":
            low, high = _number(spec.get("filter"), "filter"), _number(spec.get("filterTo"), "filterTo")
            return f"({target} BETWEEN {self._bind(low)} AND {self._bind(high)})"
        if op not in NUMBER_OPS:
            raise GridRequestRefused("unknown number filter type")
        return "(" + NUMBER_OPS[op].format(c=target, p=self._bind(_number(spec.get("filter"), "filter"))) + ")"

    def order_by(self, key: str) -> str:
        """The ORDER BY list: the sort (NULLs last either way, as the indexes are built) then `key`, unique."""
        return ", ".join(f"{sql} {direction} NULLS LAST" for sql, direction in self.sort) + f", {key}"

    @property
    def page(self) -> str:
        """LIMIT/OFFSET of the block (nothing for a whole export)."""
        return f"LIMIT {int(self.limit)} OFFSET {int(self.offset)}" if self.limit else ""


def block_response(rows: list[dict[str, Any]], query: GridQuery) -> dict[str, Any]:
    """What `getRowsResponse` takes: the rows, and the total row count once a block comes back short."""
    response: dict[str, Any] = {"rowData": rows}
    if len(rows) < query.limit:
        response["rowCount"] = query.offset + len(rows)
    return response


def request_key(request: Any) -> str:
    """A block request as a cache key: its JSON with sorted keys (equal requests, equal keys)."""
    return json.dumps(request, sort_keys=True, separators=(",", ":"), default=str)
