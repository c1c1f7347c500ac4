"""The refresh bench's child runner (`bench.child_run`): the peak it reports is the child's own resident
memory (a child that touches 300 MB reports at least that, whatever the parent holds), a failing child's exit
code and stderr come back, and the guard kills a child that outgrows its limit.

    python -m pytest tests/test_child_run.py -q
"""

from __future__ import annotations

import os
import sys

import numpy

from bench.child_run import run_child

TOUCH = "import numpy; a = numpy.ones({n}); print(a.sum())"


def test_the_peak_is_the_childs_own() -> None:
    ballast = numpy.ones(50_000_000)  # 400 MB in this process: a fork copies it, the child's exec drops it
    small = run_child([sys.executable, "-c", "pass"], env=dict(os.environ))
    big = run_child([sys.executable, "-c", TOUCH.format(n=40_000_000)], env=dict(os.environ))  # 320 MB
    assert small.returncode == 0 and big.returncode == 0 and not big.aborted
    assert big.peak_rss_bytes >= 320 * 10**6 > small.peak_rss_bytes
    assert big.peak_rss_bytes < small.peak_rss_bytes + 320 * 10**6 + 200 * 2**20  # the child, not the parent too
    assert ballast.sum() == 50_000_000
    modules = run_child([sys.executable, "-m", "json.tool", "--help"], env=dict(os.environ))  # `-m` runs a module
    assert modules.returncode == 0 and modules.peak_rss_bytes < 320 * 10**6


def test_a_failure_and_the_guard() -> None:
    failed = run_child(
        [sys.executable, "-c", "import sys; sys.stderr.write('boom'); sys.exit(3)"], env=dict(os.environ)
    )
    assert failed.returncode == 3 and "boom" in failed.stderr_tail and not failed.aborted
    grown = run_child([sys.executable, "-c", "import time; b = bytearray(400 * 2**20); time.sleep(30)"],
                      env=dict(os.environ), abort_above=200 * 2**20)  # fmt: skip
    assert grown.aborted and grown.returncode != 0 and grown.seconds < 25
