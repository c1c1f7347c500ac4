"""Dependency rules from STYLE.md, checked by parsing imports with `ast` (absent files are skipped).

- dashboard never imports jobs or model (the web process never loads LightGBM);
- model never imports core.db, jobs or sqlalchemy (it is pure);
- only jobs/sources/spotify.py imports spotipy.
"""

from __future__ import annotations

import ast
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
