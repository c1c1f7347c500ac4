"""Run a product command as the product runs it, in a child process, and measure that child alone.

    result = run_child([sys.executable, "-m", "jobs", "refresh", "--date", "2026-12-01"], env=env,
                       abort_above=10 * 2**30)
    result.peak_rss_bytes, result.seconds, result.returncode, result.aborted

The peak is the kernel's for that one child (`os.wait4`'s `ru_maxrss`: the high-water mark of its resident
memory, every page it touched, not a sample), so the bench process's own world and imports are not counted,
nor earlier children. A sampling thread (psutil) also watches the child's RSS and kills it if it grows past
`abort_above`, so a run that outgrows a shared machine stops instead of pushing it into swap.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil


@dataclass
class ChildResult:
    returncode: int
    seconds: float  # wall time from spawn to exit
    peak_rss_bytes: int  # the child's ru_maxrss
    aborted: bool  # killed by the memory guard
    stderr_tail: str  # the last lines it wrote to stderr (its log), for a failure's message


def run_child(
    argv: Sequence[str], *, env: Mapping[str, str], cwd: Path | None = None, abort_above: int | None = None
) -> ChildResult:
    """Run `argv` to its end; its stdout is discarded, its stderr kept (the tail is returned)."""
    started = time.perf_counter()
    with open(os.devnull, "wb") as devnull:
        process = subprocess.Popen(list(argv), env=dict(env), cwd=cwd, stdout=devnull, stderr=subprocess.PIPE)
    stop, aborted = threading.Event(), threading.Event()
    watcher = threading.Thread(target=_guard, args=(process.pid, abort_above, stop, aborted), daemon=True)
    watcher.start()
    assert process.stderr is not None
    tail = _tail(process.stderr.read().decode(errors="replace"))  # until the child closes it (it exits)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
    stop.set()
    watcher.join()
    seconds = time.perf_counter() - started
    return ChildResult(process.returncode, seconds, int(usage.ru_maxrss) * 1024, aborted.is_set(), tail)


def _guard(pid: int, abort_above: int | None, stop: threading.Event, aborted: threading.Event) -> None:
    if not abort_above:
        return
    try:
        child = psutil.Process(pid)
        while not stop.wait(0.05):
            if child.memory_info().rss > abort_above:
                aborted.set()
                os.kill(pid, signal.SIGKILL)
                return
    except psutil.NoSuchProcess:
        return


def _tail(text: str, lines: int = 20) -> str:
    return "\n".join(text.splitlines()[-lines:])
