#!/usr/bin/env bash
# Load benchmark: GET /api/v1/me at 64 connections on SQLite and PostgreSQL, plus idle RSS,
# binary size and build times. Loopback only, bounded in time. Usage: bench/run.sh [seconds]
set -Eeuo pipefail
cd "$(dirname "$0")/../../.."
DURATION="${1:-15}"
PORT="${BENCH_PORT:-18080}"
PG_ADMIN="${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
SECRET="bench-secret-bench-secret-bench-secret-0123456789"
WORK="$(mktemp -d)"
trap 'kill "${SERVER:-0}" 2>/dev/null || true; rm -rf "$WORK"' EXIT

if ! command -v wrk >/dev/null; then
  apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi

cargo build --release -q -p lifeos-gateway
BIN=target/release/lifeos
echo "binary: $(du -h "$BIN" | cut -f1) ($(stat -c %s "$BIN") bytes)"

start() {
  DATABASE_URL="$1" LIFEOS_BIND="127.0.0.1:$PORT" LIFEOS_ENV=prod LIFEOS_JWT_SECRET="$SECRET" \
    LIFEOS_MAIL_DIR="$WORK/mail" RUST_LOG=warn "$BIN" serve >"$WORK/server.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$PORT/ready" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  cat "$WORK/server.log"; exit 1
}

bench() {
  local label="$1" url="$2"
  start "$url"
  sleep 1
  echo "== $label: idle RSS $(grep VmRSS /proc/$SERVER/status | awk '{print $2 " " $3}')"
  local token
  token=$(curl -fs -X POST "http://127.0.0.1:$PORT/api/v1/auth/register" -H 'content-type: application/json' \
    -d '{"email":"bench@example.com","password":"correct horse battery"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["accessToken"])')
  wrk -t2 -c64 -d"${DURATION}s" --latency -H "Authorization: Bearer $token" "http://127.0.0.1:$PORT/api/v1/me" \
    | grep -E "Requests/sec|Latency|50%|99%|Non-2xx|Socket errors"
  echo "   RSS under load afterwards: $(grep VmRSS /proc/$SERVER/status | awk '{print $2 " " $3}')"
  kill "$SERVER"; wait "$SERVER" 2>/dev/null || true
}

bench "SQLite" "sqlite://$WORK/bench.db"

psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS lifeos_bench WITH (FORCE)" -c "CREATE DATABASE lifeos_bench"
bench "PostgreSQL" "${PG_ADMIN%/*}/lifeos_bench"
psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS lifeos_bench WITH (FORCE)"
