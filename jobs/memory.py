"""Free heap memory goes back to the operating system between a run's phases: `release_free_memory()`; Arrow
allocates from that same heap: `use_system_arrow_pool()`.

    use_system_arrow_pool()    # at a jobs process's start (jobs.cli): Arrow's buffers from malloc, not mimalloc
    release_free_memory()      # glibc's malloc_trim(0); elsewhere nothing

glibc keeps what a process frees in its heap for reuse and returns only a free top of the heap. A refresh builds
and drops frames stage after stage, in blocks under glibc's (rising) mmap threshold, so each stage's heap stayed
at its high-water mark into the next: in the bench's 1M world, 450 MiB of [heap] in /proc/PID/smaps from the
features stage on, most of it free. `malloc_trim(0)` also returns every whole free page inside the heap
(madvise), so the next phase's allocations start from what is live. Called at the end of every recorded stage
(`jobs.runs.RunRecorder.stage`), before each half of the discover stage and between its segments. Measured on
that world, one run each: peak 1,353 -> 1,256 MiB, the same wall time (90-95 s), +1 s of system CPU. (Fixed
mmap and trim thresholds, which return each big block when freed, were tried before and reverted: 35 MiB for
16 s of system CPU a run; one malloc arena for all threads, `M_ARENA_MAX=1`, changed nothing measurable.)

pandas 3 keeps every text column in Arrow buffers, and pyarrow allocates them from its bundled mimalloc, which
kept what was freed resident: in /proc/PID/smaps of the 1M refresh, one 1 GiB mimalloc arena held 300-435 MiB
from the features stage on. From the C library's malloc they are returned by the trims above (a 2 MB buffer is
mmap'd and unmapped on its own). The 1M refresh alternated (`docs/bench.md`, "The 1M peak, fifth pass"): peak
1,258 / 1,259 MiB with mimalloc, 1,119-1,129 with Arrow's jemalloc, 1,087 / 1,087 with malloc, the same wall
time (84-88 s). An operator's `ARROW_DEFAULT_MEMORY_POOL` (Arrow's own setting) is left as it says.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
from collections.abc import Callable

import pyarrow as pa


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None  # type: ignore[no-any-return]
    except (OSError, AttributeError):  # not glibc
        return None


def release_free_memory() -> bool:
    """Return the heap's free pages to the operating system; whether the allocator could (glibc)."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True


def use_system_arrow_pool() -> str:
    """Make the C library's malloc Arrow's default memory pool (see the module docstring), unless the
    environment's `ARROW_DEFAULT_MEMORY_POOL` chose one; the pool's name."""
    if not os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        pa.set_memory_pool(pa.system_memory_pool())
    return str(pa.default_memory_pool().backend_name)
