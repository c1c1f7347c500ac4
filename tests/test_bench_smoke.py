"""The benchmark harness cannot rot silently: its JSON and SUMMARY.md writing, the A/B alternation and the
command line run here on a trivial benchmark (no timing is asserted: these machines are noisy)."""

from __future__ import annotations

import json
import os
import sys
import time
import types
from datetime import UTC, datetime

import pandas as pd

from bench import __main__ as bench_cli
from bench.harness import Options, PeakRSS, Report, alternate, in_quiet_window, verdict, write_result


def _trivial_report() -> Report:
    report = Report(figures={"rows": 3, "seconds": [0.1, 0.2]}, notes=["a note"])
    report.row("widgets/s", "1,234", "≥ 1,000", verdict(1234, 1000, higher_is_better=True))
    return report


def test_write_result_records_the_machine_and_the_summary(tmp_path) -> None:
    started = datetime(2026, 1, 2, 6, 5, tzinfo=UTC)
    options = Options(quick=True)
    path = write_result("trivial", _trivial_report(), started=started, options=options, results_dir=tmp_path)
    data = json.loads(path.read_text())
    assert path == tmp_path / "trivial.json"
    assert data["benchmark"] == "trivial" and data["started_utc"] == "2026-01-02T06:05:00+00:00"
    assert data["figures"] == {"rows": 3, "seconds": [0.1, 0.2]} and data["notes"] == ["a note"]
    assert data["options"]["quick"] is True
    machine = data["machine"]
    assert machine["cpu_count"] == os.cpu_count()
    assert machine["packages"]["pandas"] == pd.__version__
    assert machine["python"] == sys.version.split()[0]
    assert "server_version" in machine["postgresql"]  # the local server the tests use answers
    summary = (tmp_path / "SUMMARY.md").read_text()
    assert "| trivial quick | widgets/s | 1,234 | ≥ 1,000 | met | 2026-01-02 06:05 |" in summary


def test_summary_lists_every_result_file(tmp_path) -> None:
    started = datetime.now(UTC)
    (tmp_path / "other_tool.json").write_text('{"figures_only": 1}')  # a JSON of another shape is left out
    for name in ("alpha", "beta"):
        write_result(name, _trivial_report(), started=started, options=Options(), results_dir=tmp_path)
    rows = [line for line in (tmp_path / "SUMMARY.md").read_text().splitlines() if line.startswith("| alpha")
            or line.startswith("| beta")]  # fmt: skip
    assert [row.split(" | ")[0] for row in rows] == ["| alpha", "| beta"]


def test_alternate_interleaves_variants_and_keeps_returned_seconds() -> None:
    calls: list[str] = []
    times = alternate({"a": lambda: calls.append("a") or 2.5, "b": lambda: calls.append("b")}, repeats=3)
    assert calls == ["a", "b", "a", "b", "a", "b"]
    assert times["a"] == [2.5, 2.5, 2.5]
    assert len(times["b"]) == 3 and all(t >= 0 for t in times["b"])


def test_verdict_and_quiet_window() -> None:
    assert verdict(0.4, 0.5, higher_is_better=True) == "missed by 25%"
    assert verdict(0.01, 0.8, higher_is_better=True) == "missed (80.0x off)"
    assert verdict(40.0, 30.0, higher_is_better=False) == "missed by 33%"
    assert verdict(20.0, 30.0, higher_is_better=False) == "met"
    assert in_quiet_window(datetime(2026, 1, 1, 6, 10, tzinfo=UTC))
    assert not in_quiet_window(datetime(2026, 1, 1, 6, 30, tzinfo=UTC))


def test_peak_rss_sees_an_allocation_freed_before_the_end() -> None:
    """The sampler thread must catch a peak that is gone by the time the block exits; the starting RSS (already
    over 64 MiB in a pytest process) does not count, only the growth above it."""
    with PeakRSS(interval=0.01) as memory:
        block = bytearray(64 * 2**20)
        block[::4096] = b"\x01" * len(block[::4096])  # touch every page so it is resident
        time.sleep(0.2)
        del block
    assert memory.start > 0 and memory.growth >= 60 * 2**20
    with PeakRSS(interval=0.01) as idle:
        time.sleep(0.05)
    assert idle.growth < 32 * 2**20


def test_command_line_runs_a_benchmark_module(tmp_path, monkeypatch, capsys) -> None:
    module = types.ModuleType("bench.bench_trivial")
    module.run = lambda options: _trivial_report()  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "bench.bench_trivial", module)
    monkeypatch.setattr(bench_cli, "BENCHMARKS", ["trivial"])
    assert bench_cli.main(["trivial", "--quick", "--results", str(tmp_path)]) == 0
    assert json.loads((tmp_path / "trivial.json").read_text())["summary"][0]["measure"] == "widgets/s"
    assert "widgets/s: 1,234" in capsys.readouterr().out
