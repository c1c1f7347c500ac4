"""`jobs.memory.release_free_memory`: heap memory freed under a live block goes back to the system (in a fresh
interpreter, measured by its resident size), and stays resident without the call."""

from __future__ import annotations

import ctypes.util
import json
import subprocess
import sys

import pytest

PROGRAM = """
import json, os, sys
import numpy as np
from jobs.memory import release_free_memory

def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

big = np.ones(16 * 2**20 // 8)   # a big block freed: glibc's mmap threshold rises, later blocks come from the heap
del big
blocks = [np.ones(2**20 // 8) for _ in range(300)]   # 300 MiB in the heap, then a live block on its top
top = np.ones(2**20 // 8)
before = rss()
del blocks
freed = rss()
released = release_free_memory() if sys.argv[1] == "release" else False
print(json.dumps({"released": released, "held": before, "freed": freed, "after": rss()}))
"""


def _run(mode: str) -> dict[str, int]:
    done = subprocess.run([sys.executable, "-c", PROGRAM, mode], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux") or ctypes.util.find_library("c") is None, reason="glibc")
def test_freed_heap_memory_goes_back_with_the_call_and_stays_without_it() -> None:
    plain, released = _run("plain"), _run("release")
    assert released["released"] and not plain["released"]
    returned = {name: (run["held"] - run["after"]) / 2**20 for name, run in (("plain", plain), ("release", released))}
    assert returned["plain"] < 50, returned  # freed, but the heap keeps it
    assert returned["release"] > 250, returned  # the 300 MiB went back
