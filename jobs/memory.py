"""Big freed arrays go back to the operating system at once, so a run's peak is what it holds, not what it held.

    return_freed_memory()      # once, at the start of a jobs process (`jobs.cli.main`); glibc only, else nothing

glibc serves an allocation above its mmap threshold with its own mapping, unmapped when freed. But the threshold
is dynamic: each big block freed raises it to that block's size, so the next big numpy arrays of a stage come
from the heap, which keeps freed memory for reuse instead of returning it. A refresh builds and drops frames of
hundreds of MB stage after stage; in a 1M-track refresh the heap held on to what earlier stages freed. Fixing
the threshold (`mallopt(M_MMAP_THRESHOLD)`, which also stops its adjustment) and the trim threshold returns
each big block when it is freed. The price is a fresh mapping, and its page faults, per big allocation.
Equivalent to `GLIBC_TUNABLES=glibc.malloc.mmap_threshold=131072:glibc.malloc.trim_threshold=131072`.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

logger = logging.getLogger(__name__)

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's <malloc.h>
THRESHOLD_BYTES = 128 * 1024  # glibc's own starting value, held fixed


def return_freed_memory() -> bool:
    """Set glibc's mmap and trim thresholds to `THRESHOLD_BYTES`; whether it could (not glibc: False)."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        mallopt = libc.mallopt if libc is not None else None
    except (OSError, AttributeError):
        mallopt = None
    if mallopt is None:
        logger.debug("no glibc mallopt: freed memory is returned as the allocator decides")
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, THRESHOLD_BYTES)) and bool(mallopt(M_TRIM_THRESHOLD, THRESHOLD_BYTES))
