#!/usr/bin/env bash
# Load benchmark on SQLite and PostgreSQL, 64 connections each, with wrk:
#   1. GET  /api/v1/me
#   2. GET  /api/v1/day-types?from=2026-01-01&to=2026-01-31&limit=31 (31 seeded day types)
#   3. POST /api/v1/day-types, a unique date per request (bench/day_types_post.lua)
# plus idle RSS and binary size. Loopback only, bounded in time.
#
# Usage: bench/run.sh [seconds per run, default 15]
# Environment:
#   BENCH_PORT          port on 127.0.0.1 (default 18080)
#   BENCH_DATABASE_URL  PostgreSQL admin URL (default postgres://postgres@127.0.0.1:5432/test);
#                       the database lifeos_bench beside it is created and dropped
#   BENCH_BIN           server binary (default target/release/lifeos, relative to the workspace)
#   BENCH_SKIP_BUILD=1  do not run `cargo build --release` (use a binary built beforehand)
set -Eeuo pipefail
cd "$(dirname "$0")/../../.."
DURATION="${1:-15}"
PORT="${BENCH_PORT:-18080}"
PG_ADMIN="${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
BIN="${BENCH_BIN:-target/release/lifeos}"
THREADS=2
CONNECTIONS=64
LUA_POST="apps/gateway/bench/day_types_post.lua"
SECRET="bench-secret-bench-secret-bench-secret-0123456789"
BASE="http://127.0.0.1:$PORT"
WORK="$(mktemp -d)"
SERVER=""
PG_CREATED=""

stop_server() {
  if [[ -n "$SERVER" ]]; then
    kill "$SERVER" 2>/dev/null || true
    wait "$SERVER" 2>/dev/null || true
    SERVER=""
  fi
}

cleanup() {
  stop_server
  if [[ -n "$PG_CREATED" ]]; then
    psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS lifeos_bench WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'echo "run.sh: failed at line $LINENO: $BASH_COMMAND" >&2' ERR

if ! command -v wrk >/dev/null; then
  apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi

if [[ "${BENCH_SKIP_BUILD:-}" != 1 ]]; then
  cargo build --release -q -p lifeos-gateway
fi
if [[ ! -x "$BIN" ]]; then
  echo "run.sh: no executable server binary at $BIN" >&2
  exit 1
fi
BIN="$(realpath "$BIN")"
echo "binary: $BIN $(du -h "$BIN" | cut -f1) ($(stat -c %s "$BIN") bytes)"

start() {
  if curl -s -o /dev/null "$BASE/" 2>/dev/null; then
    echo "run.sh: something already listens on 127.0.0.1:$PORT (set BENCH_PORT)" >&2
    exit 1
  fi
  DATABASE_URL="$1" LIFEOS_BIND="127.0.0.1:$PORT" LIFEOS_ENV=prod LIFEOS_JWT_SECRET="$SECRET" \
    LIFEOS_MAIL_DIR="$WORK/mail" RUST_LOG=warn "$BIN" serve >"$WORK/server.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 100); do
    kill -0 "$SERVER" 2>/dev/null || break # exited early
    curl -fs "$BASE/ready" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "run.sh: the server did not become ready; its output:" >&2
  cat "$WORK/server.log" >&2; exit 1
}

rss() {
  grep VmRSS "/proc/$SERVER/status" | awk '{print $2 " " $3}'
}

# Runs wrk with the given extra arguments and prints Requests/sec, p50, p99, the number of
# non-2xx/3xx answers (wrk prints that line only when there are some) and socket errors.
run_wrk() {
  local title="$1"; shift
  local out="$WORK/wrk.out"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "$@" >"$out" 2>&1 || {
    echo "run.sh: wrk failed for $title:" >&2; cat "$out" >&2; return 1
  }
  awk -v title="$title" '
    /Requests\/sec:/                 { rps = $2 }
    /^ +50% /                        { p50 = $2 }
    /^ +99% /                        { p99 = $2 }
    /requests in /                   { total = $1 }
    /Non-2xx or 3xx responses:/      { non2xx = $NF }
    /Socket errors:/                 { sub(/^ *Socket errors: */, ""); sockerr = $0 }
    END {
      printf "   %s\n", title
      printf "     Requests/sec: %s   p50: %s   p99: %s   requests: %s\n", rps, p50, p99, total
      printf "     Non-2xx responses: %s%s\n", (non2xx == "" ? 0 : non2xx),
             (sockerr == "" ? "" : "   Socket errors: " sockerr)
    }' "$out"
}

bench() {
  local label="$1" url="$2"
  start "$url"
  sleep 1
  echo "== $label: idle RSS $(rss)"
  local token
  token=$(curl -fsS -X POST "$BASE/api/v1/auth/register" -H 'content-type: application/json' \
    -d '{"email":"bench@example.com","password":"correct horse battery"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["accessToken"])')
  local auth="Authorization: Bearer $token"

  # 1. GET /me
  run_wrk "GET /api/v1/me" -H "$auth" "$BASE/api/v1/me"

  # 2. GET a month of day types: seed 2026-01-01..31, check one answer, then load it
  local day status
  for day in $(seq -w 1 31); do
    status=$(curl -sS -o "$WORK/seed.out" -w '%{http_code}' -X POST "$BASE/api/v1/day-types" \
      -H "$auth" -H 'content-type: application/json' \
      -d "{\"date\":\"2026-01-$day\",\"plannedType\":\"focus\"}")
    if [[ "$status" != 201 ]]; then
      echo "run.sh: seeding 2026-01-$day answered $status: $(cat "$WORK/seed.out")" >&2
      return 1
    fi
  done
  local list="$BASE/api/v1/day-types?from=2026-01-01&to=2026-01-31&limit=31" items
  items=$(curl -fsS -H "$auth" "$list" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))')
  if [[ "$items" != 31 ]]; then
    echo "run.sh: GET $list returned $items items, expected 31" >&2
    return 1
  fi
  run_wrk "GET /api/v1/day-types?from=2026-01-01&to=2026-01-31&limit=31 (check: one answer has $items items)" \
    -H "$auth" "$list"

  # 3. POST /day-types, a unique date per request (token and thread count through the environment)
  BENCH_TOKEN="$token" BENCH_THREADS="$THREADS" \
    run_wrk "POST /api/v1/day-types (unique dates)" -s "$LUA_POST" "$BASE/api/v1/day-types"

  echo "   RSS under load afterwards: $(rss)"
  stop_server
}

bench "SQLite" "sqlite://$WORK/bench.db"

psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS lifeos_bench WITH (FORCE)" -c "CREATE DATABASE lifeos_bench"
PG_CREATED=1
bench "PostgreSQL" "${PG_ADMIN%/*}/lifeos_bench"
stop_server
psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS lifeos_bench WITH (FORCE)"
PG_CREATED=""
