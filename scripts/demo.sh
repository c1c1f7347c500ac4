#!/usr/bin/env bash
# `make demo`: from a fresh clone to a live dashboard on http://127.0.0.1:8050.
# Uses DATABASE_URL when set; otherwise starts the embedded PostgreSQL (data in .pgdata/, reused next time).
# Migrates, then starts gunicorn and the worker first (the page answers at once and says nothing is published
# yet), then in one process (`python -m jobs demo`): backfills BACKFILL_DAYS (default 130) of the demo market,
# and when no model is active trains one with a demo-sized protocol and publishes its scores: tuning stops at
# OPTUNA_TRIALS (40) trials or DEMO_TRAIN_BUDGET seconds (60); DEMO_MODEL_FOLDS evaluation origins (3, which need
# 126 days of history); at most DEMO_MAX_ROUNDS boosting rounds (200). Later trainings (`python -m jobs train`,
# the weekly retrain) use the full settings. Ctrl-C stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export APP_ENV="${APP_ENV:-development}"
PORT="${PORT:-8050}"
started_pg=0
pids=()

cleanup() {
  trap - INT TERM EXIT
  echo "stopping…"
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [[ $started_pg == 1 ]]; then "$BIN/python" -m core.embedded_pg stop --pgdata .pgdata || true; fi
}
trap cleanup INT TERM EXIT

if [[ -z "${DATABASE_URL:-}" ]]; then
  echo "no DATABASE_URL: starting the embedded PostgreSQL (data in .pgdata/)"
  DATABASE_URL="$("$BIN/python" -m core.embedded_pg url --pgdata .pgdata)"
  export DATABASE_URL
  started_pg=1
fi

"$BIN/python" -m jobs migrate

"$BIN/gunicorn" dashboard.wsgi:server --workers "${WEB_CONCURRENCY:-2}" --bind "127.0.0.1:$PORT" \
  --timeout 60 --log-level warning &
pids+=($!)
"$BIN/python" -m jobs worker &
pids+=($!)
echo
echo "Hitscope is running: http://127.0.0.1:$PORT   (Ctrl-C stops the web server, the worker and the database)"
echo "Loading the demo market and training the first model behind it; the Morning page fills in as they land."
echo

if MODEL_FOLDS="${DEMO_MODEL_FOLDS:-3}" MODEL_MAX_ROUNDS="${DEMO_MAX_ROUNDS:-200}" \
   "$BIN/python" -m jobs demo --days "${BACKFILL_DAYS:-130}" --time-budget "${DEMO_TRAIN_BUDGET:-60}"; then
  echo "demo data loaded and scores published: http://127.0.0.1:$PORT"
else
  echo "the demo data did not finish loading (see above); the dashboard keeps serving what is published" >&2
fi
"$BIN/python" -m jobs status
wait -n "${pids[@]}"
