"""Run a product command as the product runs it, in a child process, and measure that child alone.

    result = run_child([sys.executable, "-m", "jobs", "refresh", "--date", "2026-12-01"], env=env,
                       abort_above=10 * 2**30)
    result.peak_rss_bytes, result.seconds, result.returncode, result.aborted

The peak is the kernel's high-water mark of the child's resident memory after its exec (`VmHWM` in
/proc/self/status, written by the child at exit through a small bootstrap, `PEAK_BOOTSTRAP`): every page it
touched, not a sample. Not `os.wait4`'s `ru_maxrss`: that one also keeps the forked copy of the parent from
before the exec, so at 1M it reported 2,571 MiB, the bench process's world (a rerun measured the child's own
peak at 2,338 MiB). A child that dies without writing it (killed) falls back to `ru_maxrss`. A sampling thread
(psutil) also watches the child's RSS and kills it if it grows past `abort_above`, so a run that outgrows a
shared machine stops instead of pushing it into swap.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil

# Runs the Python arguments it is given (`-m module ...` or `-c code ...`) as `python` would, and at exit writes
# this process's VmHWM (bytes) to $HITSCOPE_PEAK_FILE.
PEAK_BOOTSTRAP = """
import atexit, os, runpy, sys
def _peak():
    with open("/proc/self/status") as status:
        kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    with open(os.environ["HITSCOPE_PEAK_FILE"], "w") as out:
        out.write(str(kb * 1024))
atexit.register(_peak)
flag, target, *rest = sys.argv[1:]
sys.argv = [target, *rest]
if flag == "-m":
    runpy.run_module(target, run_name="__main__", alter_sys=True)
else:
    sys.argv = ["-c", *rest]
    exec(compile(target, "<child>", "exec"), {"__name__": "__main__"})
"""


@dataclass
class ChildResult:
    returncode: int
    seconds: float  # wall time from spawn to exit
    peak_rss_bytes: int  # the child's own peak after its exec (VmHWM)
    aborted: bool  # killed by the memory guard
    stderr_tail: str  # the last lines it wrote to stderr (its log), for a failure's message


def run_child(
    argv: Sequence[str], *, env: Mapping[str, str], cwd: Path | None = None, abort_above: int | None = None
) -> ChildResult:
    """Run `argv` (a Python interpreter, then `-m module ...` or `-c code ...`) to its end; its stdout is
    discarded, its stderr kept (the tail is returned)."""
    python, flag, *rest = argv
    if flag not in ("-m", "-c"):
        raise ValueError(f"run_child runs `python -m ...` or `python -c ...`, not {flag!r}")
    peak_file = tempfile.NamedTemporaryFile(prefix="hitscope-peak-", delete=False)
    peak_file.close()
    started = time.perf_counter()
    with open(os.devnull, "wb") as devnull:
        process = subprocess.Popen(
            [python, "-c", PEAK_BOOTSTRAP, flag, *rest], cwd=cwd, stdout=devnull, stderr=subprocess.PIPE,
            env={**env, "HITSCOPE_PEAK_FILE": peak_file.name},
        )  # fmt: skip
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
    written = Path(peak_file.name).read_text().strip()
    os.unlink(peak_file.name)
    peak = int(written) if written else int(usage.ru_maxrss) * 1024
    return ChildResult(process.returncode, seconds, peak, aborted.is_set(), tail)


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
