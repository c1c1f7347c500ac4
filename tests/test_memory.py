"""`jobs.memory.return_freed_memory`: big blocks freed go back to the system (in a fresh interpreter, where
glibc's dynamic mmap threshold has not moved yet)."""

from __future__ import annotations

import ctypes.util
import json
import subprocess
import sys

import pytest

PROGRAM = """
import ctypes, ctypes.util, json, os, sys
import numpy as np
from jobs.memory import return_freed_memory

def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

tuned = return_freed_memory() if sys.argv[1] == "tuned" else False
big = np.ones(16 * 2**20 // 8)   # a big block freed: glibc's dynamic threshold rises to its size
del big
blocks = [np.ones(2**20 // 8) for _ in range(300)]   # 300 blocks of 1 MiB, then a small one on top of the heap
libc = ctypes.CDLL(ctypes.util.find_library("c"))
libc.malloc.restype = ctypes.c_void_p
keep = libc.malloc(1000)
before = rss()
del blocks
print(json.dumps({"tuned": tuned, "held": before, "after": rss()}))
"""


def _run(mode: str) -> dict[str, int]:
    done = subprocess.run([sys.executable, "-c", PROGRAM, mode], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux") or ctypes.util.find_library("c") is None, reason="glibc")
def test_blocks_freed_after_the_call_are_returned_and_not_without_it() -> None:
    untuned, tuned = _run("plain"), _run("tuned")
    assert tuned["tuned"]
    freed_mib = {name: (run["held"] - run["after"]) / 2**20 for name, run in (("plain", untuned), ("tuned", tuned))}
    assert freed_mib["tuned"] > 250, freed_mib  # the 300 MiB went back at once
    assert freed_mib["plain"] < 50, freed_mib  # the heap kept them: what a refresh's later stages carried
