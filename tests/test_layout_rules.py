"""Dependency rules from STYLE.md, checked by parsing imports with `ast` (absent files are skipped).

- dashboard never imports jobs or model (the web process never loads LightGBM);
- model never imports core.db, jobs or sqlalchemy (it is pure);
- only jobs/sources/spotify.py imports spotipy;
- sources (jobs/sources/**) import no storage module: they return records, the pipeline stores them;
- one orchestrator: in jobs/, only jobs/pipeline.py runs the stages (extract + load, ANALYZE, score, discover,
  publish); an import brings its own load stage and goes through `jobs.pipeline.run_stages`;
- no import cycle among the packages' modules, counting imports inside functions (a lazy import hides none);
- no module over 300 lines is added: today's longer ones are named in `LONG_MODULES`, which may only shrink.

    python -m pytest tests/test_layout_rules.py -q
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def python_files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py")) if (ROOT / folder).is_dir() else []


def offending(files: list[Path], forbidden: tuple[str, ...]) -> list[str]:
    found = []
    for path in files:
        for name in imported_modules(path):
            if any(name == bad or name.startswith(bad + ".") for bad in forbidden):
                found.append(f"{path.relative_to(ROOT)} imports {name}")
    return sorted(set(found))


PACKAGES = ("core", "jobs", "model", "dashboard")
# What a source must not import: the database drivers and every module that reads or writes our tables.
STORAGE_MODULES = (
    "sqlalchemy", "psycopg", "psycopg2", "core.db", "core.embedded_pg", "core.migrations", "core.queue",
    "jobs.load", "jobs.sources_store", "jobs.model_store", "jobs.lookup_store", "jobs.delivery_store",
    "jobs.runs", "jobs.publish", "jobs.extract", "jobs.pipeline",
)  # fmt: skip
MAX_LINES = 300
# Modules already over MAX_LINES when the rule came in. Split one and take it off; never add one.
LONG_MODULES = {
    "bench/drill_load.py",
    "jobs/sources/layouts/common.py",
    "tests/test_browser.py",
}


def test_imported_modules_sees_both_import_forms(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import jobs.pipeline\nfrom core import db\nfrom . import sibling\n")
    assert imported_modules(sample) == {"jobs.pipeline", "core", "core.db"}


def test_dashboard_never_imports_jobs_or_model() -> None:
    files = python_files("dashboard")
    if not files:
        pytest.skip("no dashboard/ package")
    assert offending(files, ("jobs", "model")) == []


def test_model_is_pure() -> None:
    files = python_files("model")
    if not files:
        pytest.skip("no model/ package yet")
    assert offending(files, ("core.db", "jobs", "sqlalchemy", "psycopg")) == []


def test_only_the_spotify_source_imports_spotipy() -> None:
    allowed = ROOT / "jobs" / "sources" / "spotify.py"
    files = [p for folder in ("core", "jobs", "model", "dashboard") for p in python_files(folder) if p != allowed]
    assert offending(files, ("spotipy",)) == []


def test_sources_import_no_storage_module() -> None:
    files = python_files("jobs/sources")
    assert files, "no jobs/sources package"
    assert offending(files, STORAGE_MODULES) == []


# The calls that run a stage of a run; only the orchestrator (and the module defining each) may import them.
STAGE_RUNNERS = (
    "jobs.extract.extract_and_load", "jobs.sources_store.analyze_loaded_tables", "jobs.score.score_snapshot",
    "jobs.score.score_rows", "jobs.score.score_prepared", "jobs.score.explain", "jobs.discover.run_discover",
    "jobs.publish.publish", "jobs.publish.publication_day", "jobs.aggregate.build_aggregates",
)  # fmt: skip
ORCHESTRATOR = {"jobs/pipeline.py", "jobs/publish.py"}  # publish calls build_aggregates inside its transaction


def test_only_the_orchestrator_runs_the_stages() -> None:
    files = [path for path in python_files("jobs") if str(path.relative_to(ROOT)) not in ORCHESTRATOR]
    assert offending(files, STAGE_RUNNERS) == []


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_cycles(files: list[Path]) -> list[list[str]]:
    """The strongly connected groups (of two or more modules) of the import graph of `files` (Tarjan)."""
    modules = {module_name(path): path for path in files}
    graph = {name: sorted(imported_modules(path) & modules.keys() - {name}) for name, path in modules.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = stack[stack.index(node) :]
            del stack[stack.index(node) :]
            if len(group) > 1:
                cycles.append(sorted(group))

    for name in sorted(graph):
        if name not in index:
            visit(name)
    return cycles


def test_import_cycles_finds_a_lazy_cycle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text("import pkg.b\n")
    (tmp_path / "pkg" / "b.py").write_text("def later():\n    from pkg.a import thing\n")
    (tmp_path / "pkg" / "c.py").write_text("import pkg.a\n")
    assert import_cycles(sorted((tmp_path / "pkg").glob("*.py"))) == [["pkg.a", "pkg.b"]]


def test_no_import_cycles() -> None:
    assert import_cycles([p for folder in PACKAGES for p in python_files(folder)]) == []


def test_no_module_over_300_lines_is_added() -> None:
    lengths = {
        str(path.relative_to(ROOT)): len(path.read_text().splitlines())
        for path in ROOT.rglob("*.py")
        if not any(part.startswith(".") for part in path.relative_to(ROOT).parts)
    }
    too_long = sorted(name for name, lines in lengths.items() if lines > MAX_LINES and name not in LONG_MODULES)
    assert too_long == [], f"over {MAX_LINES} lines: split them"
    shrunk = sorted(name for name in LONG_MODULES if lengths.get(name, 0) <= MAX_LINES)
    assert shrunk == [], "no longer over the limit (or gone): take them off LONG_MODULES"
