#!/usr/bin/env bash
# Run `python -m jobs evaluate` on the real data in ../shared/data, pooled per family of files, one LightGBM
# thread, one run at a time, then regenerate the README's results table from the JSON reports.
#   scripts/evaluate_real.sh [DATA_DIR] [OUT_DIR]      # ~20 min on one core; reports default to docs/reports/
set -euo pipefail
cd "$(dirname "$0")/.."
D="${1:-../shared/data}"
OUT="${2:-docs/reports}"
PY="${PYTHON:-.venv/bin/python}"
mkdir -p "$OUT"
run() {
  local name="$1"; shift
  MODEL_NUM_THREADS=1 "$PY" -m jobs evaluate --data "$@" --report "$OUT/$name.json" --trials 40 --time-budget 300 \
    > "$OUT/$name.log" 2>&1 && echo "$name done" || echo "$name FAILED (see $OUT/$name.log)"
}
run top50-pooled "$D/spotify-top50-daily"
run charts-daily "$D/spotify-charts/global-daily.csv.gz" "$D/spotify-charts/gb-daily.csv.gz"
run charts-global-daily "$D/spotify-charts/global-daily.csv.gz"
run charts-all "$D/spotify-charts"
run playlist-snapshots "$D/spotify-playlist-snapshots/playlist_snapshots.csv.gz"
"$PY" scripts/eval_table.py "$OUT"/*.json > "$OUT/table.md"
[ "$OUT" = docs/reports ] && "$PY" scripts/eval_table.py --readme README.md "$OUT"/*.json
