#!/usr/bin/env bash
# Run `python -m jobs evaluate` on every real file in ../shared/data and print the results table
# (docs/model.md). Two evaluations at a time, one LightGBM thread each. Reports go to artifacts/eval/.
#   scripts/evaluate_real.sh [DATA_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
D="${1:-../shared/data}"
PY="${PYTHON:-.venv/bin/python}"
OUT=artifacts/eval
mkdir -p "$OUT"
run() {
  MODEL_NUM_THREADS=1 "$PY" -m jobs evaluate --data "$1" --report "$OUT/$2.json" --trials 20 --time-budget 60 \
    > "$OUT/$2.log" 2>&1 && echo "$2 done" || echo "$2 FAILED (see $OUT/$2.log)"
}
(
  for m in world usa uk argentina france; do run "$D/spotify-top50-daily/spotify-streaming-top-50-$m.csv.gz" "top50-$m"; done
  run "$D/spotify-playlist-snapshots/playlist_snapshots.csv.gz" playlist-snapshots
  for c in global-daily gb-daily global-weekly; do run "$D/spotify-charts/$c.csv.gz" "charts-$c"; done
  run "$D/music-mining/tracks.csv.gz" music-mining
) &
(
  for m in italy japan mexico south-korea spain; do run "$D/spotify-top50-daily/spotify-streaming-top-50-$m.csv.gz" "top50-$m"; done
  for c in us-weekly gb-weekly au-weekly; do run "$D/spotify-charts/$c.csv.gz" "charts-$c"; done
  run "$D/tidytuesday-spotify-songs/spotify_songs.csv.gz" tidytuesday
) &
wait
"$PY" scripts/eval_table.py "$OUT"/*.json > "$OUT/table.md"
"$PY" scripts/eval_table.py --summary "$OUT"/*.json > "$OUT/summary.md"
echo "table: $OUT/table.md"
