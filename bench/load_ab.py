"""A/B of `load_batch` between two checkouts: each side in its own child process on one throwaway database.

    python -m bench.load_ab ROUNDS LOADS VARIANT [A_ROOT [B_ROOT]]     # VARIANT: cold, known or existing
    python -m bench.load_ab 4 2 cold /work/main /work/wt/load           # what docs/bench.md quotes

A root may carry environment settings for its children: `/work/wt/load:NAME=VALUE,...` (same code, a knob).
Each child runs this file by path in its side's checkout (cwd), so it imports that side's code. The
parent builds the bench's 1M demo rows and the wide raw-COPY payload once (in /tmp), then alternates the
sides (A B, B A, ...), each child timing LOADS loads of the variant (as `bench.bench_load` resets them, untimed)
with its wall time, its own CPU (`time.process_time`, every thread) and the backend's (`/proc/<pid>/stat`
utime+stime; parallel workers not counted), then a raw binary COPY of the same rows into the unindexed wide
table. Prints medians per side. Nothing is written under bench/results.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

FRAME, WIDE = Path("/tmp/load_ab_frame.pkl"), Path("/tmp/load_ab_wide.bin")
VARIANTS = {"cold": ("new", True), "known": ("new", False), "existing": ("existing", False)}
TICK = os.sysconf("SC_CLK_TCK")


def backend_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def child(url: str, loads: int, variant: str) -> None:
    import pandas as pd
    from sqlalchemy import text

    from bench.bench_load import BARE, COLUMNS, _reset, _truncate
    from core.db import get_engine
    from jobs.binary_copy import copy_in
    from jobs.load import load_batch
    from jobs.sources.base import SourceBatch

    frame, payload, engine = pd.read_pickle(FRAME), WIDE.read_bytes(), get_engine(url)
    months, entities = VARIANTS[variant]
    runs = []
    for _ in range(loads):
        _reset(engine, frame, months=months, entities=entities)
        with engine.connect() as conn:
            pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
            conn.commit()
            cpu, own, started = backend_cpu(pid), time.process_time(), time.perf_counter()
            with conn.begin():
                load_batch(conn=conn, batch=SourceBatch(source="demo", observations=frame), run_id=1)
            wall, client, backend = time.perf_counter() - started, time.process_time() - own, backend_cpu(pid) - cpu
        _truncate(engine, BARE)
        started = time.perf_counter()
        with engine.begin() as conn:
            copy_in(conn, BARE, COLUMNS, payload)
        runs.append({"wall": wall, "client": client, "backend": backend, "raw": time.perf_counter() - started})
    print(json.dumps(runs))


def parent(rounds: int, loads: int, variant: str, roots: dict[str, str]) -> None:
    from bench.bench_load import _binary_payload, _create_tables, observation_rows
    from bench.harness import throwaway_engine

    frame = observation_rows(1_000_000)
    frame.to_pickle(FRAME)
    results: dict[str, list[dict[str, float]]] = {name: [] for name in roots}
    with throwaway_engine() as engine:
        _create_tables(engine)
        WIDE.write_bytes(_binary_payload(engine, frame))
        url = engine.url.render_as_string(hide_password=False)
        for index in range(rounds):
            for name in list(roots) if index % 2 == 0 else list(roots)[::-1]:
                path, _, settings = roots[name].partition(":")
                env = {**os.environ, **dict(item.split("=", 1) for item in settings.split(",") if item)}
                command = [f"{path}/.venv/bin/python", __file__, "--child", url, str(loads), variant]  # its code
                done = subprocess.run(command, cwd=path, env=env, capture_output=True, text=True, check=True)
                results[name] += json.loads(done.stdout.strip().splitlines()[-1])
    for name, runs in results.items():
        medians = {field: statistics.median(run[field] for run in runs) for field in runs[0]}
        cpu = f"client CPU {medians['client']:.3f} s, backend CPU {medians['backend']:.3f} s"
        wall = f"wall {medians['wall']:.3f} s"
        print(f"{name} ({roots[name]}): {len(runs)} loads, {wall}, {cpu}, raw {medians['raw']:.3f} s")
    print(f"load average at the end: {os.getloadavg()}")


if __name__ == "__main__":
    if sys.argv[1] == "--child":  # run by path from the side's checkout: import that checkout's code
        sys.path.insert(0, os.getcwd())
        child(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        defaults = ["/work/main", "/work/wt/load"]
        roots = {name: sys.argv[4 + i] if len(sys.argv) > 4 + i else defaults[i] for i, name in enumerate("AB")}
        parent(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], roots)
