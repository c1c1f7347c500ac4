"""The README's speed table is regenerated from the bench results, rows with a goal only (bench/readme_table.py)."""

from __future__ import annotations

import json
from pathlib import Path

from bench.readme_table import END, START, refresh_readme


def _result(folder: Path, name: str, summary: list[dict[str, str]], *, quick: bool = False) -> None:
    payload = {"benchmark": name, "started_utc": "2026-12-01T14:00:00+00:00", "options": {"quick": quick},
               "summary": summary}  # fmt: skip
    (folder / f"{name}.json").write_text(json.dumps(payload))


def test_the_table_between_the_markers_is_rebuilt_from_the_results(tmp_path: Path) -> None:
    _result(tmp_path, "load", [
        {"measure": "load_batch / raw COPY", "value": "0.11x", "target": "≥ 0.5x", "status": "missed (4.5x off)"},
        {"measure": "load_batch rows/s", "value": "61,000", "target": "", "status": ""},
    ])  # fmt: skip
    _result(tmp_path, "playlist", [{"measure": "p50", "value": "19.9 ms", "target": "< 50 ms", "status": "met"}],
            quick=True)  # fmt: skip
    readme = tmp_path / "README.md"
    readme.write_text(f"# Speed\n\nbefore\n{START}\n| stale | row |\n{END}\nafter\n")

    assert refresh_readme(readme, tmp_path)

    text = readme.read_text()
    assert "| stale | row |" not in text and text.startswith("# Speed\n\nbefore\n") and text.endswith("after\n")
    assert "| load | load_batch / raw COPY | 0.11x | ≥ 0.5x | missed (4.5x off) | 2026-12-01 |" in text
    assert "| playlist (quick) | p50 | 19.9 ms | < 50 ms | met | 2026-12-01 |" in text
    assert "rows/s" not in text  # a figure without a goal stays in SUMMARY.md only


def test_a_readme_without_markers_is_left_alone(tmp_path: Path) -> None:
    _result(tmp_path, "load", [{"measure": "m", "value": "1", "target": "2", "status": "missed"}])
    readme = tmp_path / "README.md"
    readme.write_text("# no table here\n")
    assert not refresh_readme(readme, tmp_path)
    assert readme.read_text() == "# no table here\n"
