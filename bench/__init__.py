"""Hitscope's benchmarks: how fast each part is against its limit, and how its cost grows with the catalogue.

    python -m bench [NAME ...] [--quick | --full]     # or: make bench BENCH_ARGS="load --quick"

Each `bench_<name>.py` prints its figures; the harness writes `bench/results/<name>.json` (figures plus
machine info, versions, git commit and date) and regenerates `bench/results/SUMMARY.md` from every JSON there.
"""
