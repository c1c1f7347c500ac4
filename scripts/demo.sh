#!/usr/bin/env bash
# `make demo`: from a fresh clone to a live dashboard on http://127.0.0.1:8050.
# Uses DATABASE_URL when set; otherwise starts the embedded PostgreSQL (data in .pgdata/, reused next time).
# Migrates, backfills BACKFILL_DAYS (default 90) of the demo market, starts the worker and gunicorn, then loads
# MODEL_TRAIN_DAYS of history and trains a model if none is active. Ctrl-C stops everything it started.
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
"$BIN/python" -m jobs backfill --days "${BACKFILL_DAYS:-90}"

"$BIN/python" -m jobs worker &
pids+=($!)
"$BIN/gunicorn" dashboard.wsgi:server --workers "${WEB_CONCURRENCY:-2}" --bind "127.0.0.1:$PORT" \
  --timeout 60 --log-level warning &
pids+=($!)
echo
echo "Hitscope is running: http://127.0.0.1:$PORT   (Ctrl-C stops the web server, the worker and the database)"
echo

# The model needs more history than the first publication: load it behind the running dashboard, train once,
# then refresh so the emerging-hit list and the Model page fill in (skipped when a model is already active).
if ! "$BIN/python" -m jobs status --require-model >/dev/null 2>&1; then
  if "$BIN/python" -m jobs backfill --days "${MODEL_TRAIN_DAYS:-240}" \
     && "$BIN/python" -m jobs train --if-none-active --time-budget "${DEMO_TRAIN_BUDGET:-60}" \
     && "$BIN/python" -m jobs refresh; then
    echo "model trained and scores published: http://127.0.0.1:$PORT"
  else
    echo "training did not finish (see above); the dashboard keeps serving without scores" >&2
  fi
fi
"$BIN/python" -m jobs status
wait -n "${pids[@]}"
