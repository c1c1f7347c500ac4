"""Page rules for dashboard/, checked by parsing the code with `ast` (the boilerplate of issue 15 stays gone).

- every component id comes from dashboard/ids.py: no string, f-string or concatenation as an `id=`, `html_for=`
  or Output/Input/State id (a helper's own parameter is fine: its callers pass ids from ids.py);
- no function is longer than 50 lines: a page's layout places named section builders;
- only `db.when_unavailable` catches database errors (db.py raises them, login.py is the Flask sign-in);
- only `urlstate.sync_url` turns filters into a query string.

Each checker is also run on a small sample that breaks its rule, so a checker that finds nothing fails.

    python -m pytest tests/test_page_rules.py -q
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.test_layout_rules import ROOT, python_files


class IdUses(ast.NodeVisitor):
    """Component ids that do not come from dashboard/ids.py: each `id=`/`html_for=` keyword and the first argument
    of Output/Input/State must be `ids.NAME`, `ids.builder(...)`, or a parameter of the enclosing function (a
    helper such as `tables.grid(grid_id, ...)`, whose callers pass an id from ids.py)."""

    def __init__(self) -> None:
        self.parameters: list[set[str]] = []
        self.bad: list[tuple[int, str]] = []

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        arguments = node.args
        names = {a.arg for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)}
        self.parameters.append(names)
        self.generic_visit(node)
        self.parameters.pop()

    visit_AsyncFunctionDef = visit_FunctionDef
    visit_Lambda = visit_FunctionDef

    def visit_comprehension_scope(self, node: ast.ListComp | ast.GeneratorExp | ast.SetComp) -> None:
        """`[State(control, ...) for control in controls]`: an element of a parameter is a parameter too."""
        names = {
            g.target.id
            for g in node.generators
            if isinstance(g.target, ast.Name) and isinstance(g.iter, ast.Name) and self.allowed(g.iter)
        }
        self.parameters.append(names)
        self.generic_visit(node)
        self.parameters.pop()

    visit_ListComp = visit_comprehension_scope
    visit_GeneratorExp = visit_comprehension_scope
    visit_SetComp = visit_comprehension_scope

    def allowed(self, value: ast.expr) -> bool:
        target = value.func if isinstance(value, ast.Call) else value
        if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "ids":
            return True
        return isinstance(value, ast.Name) and any(value.id in names for names in self.parameters)

    def visit_Call(self, node: ast.Call) -> None:
        used = [k.value for k in node.keywords if k.arg in ("id", "html_for")]
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        if name in ("Output", "Input", "State") and node.args:
            used.append(node.args[0])
        self.bad += [(value.lineno, ast.unparse(value)) for value in used if not self.allowed(value)]
        self.generic_visit(node)


def ids_not_from_ids_module(path: Path) -> list[str]:
    visitor = IdUses()
    visitor.visit(ast.parse(path.read_text(), filename=str(path)))
    return [f"{path.name}:{line} id {text}" for line, text in visitor.bad]


MAX_FUNCTION_LINES = 50


def long_functions(path: Path, limit: int = MAX_FUNCTION_LINES) -> list[str]:
    """Functions longer than `limit` lines, from `def` to their last line (decorators not counted)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    return [
        f"{path.name}:{node.lineno} {node.name} is {node.end_lineno - node.lineno + 1} lines"
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > limit
    ]


DATABASE_ERRORS = {"DataUnavailable", "DBAPIError", "OperationalError", "SQLAlchemyError", "DatabaseError",
                   "InterfaceError", "Exception", "BaseException"}  # fmt: skip


def database_error_handlers(path: Path) -> list[str]:
    """`except` clauses that catch a database error (or everything) themselves."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if not isinstance(node, ast.ExceptHandler):
            continue
        caught = node.type.elts if isinstance(node.type, ast.Tuple) else [node.type]
        names = {"(bare)" if c is None else c.id if isinstance(c, ast.Name) else getattr(c, "attr", "") for c in caught}
        if names & (DATABASE_ERRORS | {"(bare)"}):
            found.append(f"{path.name}:{node.lineno} except {', '.join(sorted(names))}")
    return found


def query_string_writers(path: Path) -> list[str]:
    """Calls of urlstate's query-string pieces that sync_url already puts together."""
    return [
        f"{path.name}:{node.lineno} urlstate.{node.func.attr}"
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path)))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "urlstate"
        and node.func.attr in ("search_string", "query_of")
    ]


BROKEN_PAGE = """
from dash import Input, Output, callback, html
from dashboard import ids
from dashboard.db import DataUnavailable, reading

GRAPH = "sample-graph"


def card(card_id):
    return html.Div(id=card_id)


def layout():
    return html.Div([html.Div(id="sample-alert"), html.Div(id=ids.NAVBAR + "-x"), html.Div(id=f"{ids.NAVBAR}-y"),
                     html.Label("x", html_for=GRAPH), html.Div(id={"type": "star"}), card(ids.NAVBAR)])


@callback(Output(GRAPH, "figure"), Input(ids.NAVBAR, "n_clicks"))
def render(_n):
    try:
        with reading() as conn:
            return conn
    except DataUnavailable:
        return None


def search(values):
    return urlstate.search_string(values, {})
"""


def test_the_page_rules_catch_each_breach(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(BROKEN_PAGE)
    assert ids_not_from_ids_module(sample) == [
        "sample.py:14 id 'sample-alert'",
        "sample.py:14 id ids.NAVBAR + '-x'",
        "sample.py:14 id f'{ids.NAVBAR}-y'",
        "sample.py:15 id GRAPH",
        "sample.py:15 id {'type': 'star'}",
        "sample.py:18 id GRAPH",
    ]
    assert long_functions(sample, limit=2) == ["sample.py:13 layout is 3 lines", "sample.py:19 render is 6 lines"]
    assert database_error_handlers(sample) == ["sample.py:23 except DataUnavailable"]
    assert query_string_writers(sample) == ["sample.py:28 urlstate.search_string"]


def test_dashboard_ids_come_from_the_ids_module() -> None:
    files = [path for path in python_files("dashboard") if path != ROOT / "dashboard" / "ids.py"]
    assert [bad for path in files for bad in ids_not_from_ids_module(path)] == []


def test_no_dashboard_function_is_longer_than_50_lines() -> None:
    """Layouts are split into named section builders instead (dashboard/pages/*.py)."""
    assert [bad for path in python_files("dashboard") for bad in long_functions(path)] == []


def test_only_when_unavailable_catches_database_errors() -> None:
    """Callbacks and layouts say what they show without a database through `@when_unavailable(fallback)`.

    dashboard/db.py turns database errors into DataUnavailable and holds the helper; dashboard/login.py is the
    Flask sign-in (not a Dash page): its 503 answers depend on the request being served.
    """
    exempt = {ROOT / "dashboard" / "db.py", ROOT / "dashboard" / "login.py"}
    files = [path for path in python_files("dashboard") if path not in exempt]
    assert [bad for path in files for bad in database_error_handlers(path)] == []


def test_pages_write_the_url_only_through_sync_url() -> None:
    files = [path for path in python_files("dashboard") if path.name != "urlstate.py"]
    assert [bad for path in files for bad in query_string_writers(path)] == []
