#!/usr/bin/env bash
# Load benchmark on SQLite and PostgreSQL with wrk (64 connections unless noted):
#   1. GET  /api/v1/me
#   2. GET  /api/v1/day-types?from=2026-01-01&to=2026-01-31&limit=31 (31 seeded day types)
#   3. POST /api/v1/day-types, a unique date per request (bench/day_types_post.lua)
#   4. GET  /api/v1/tracks with 20 tracks of 10 nodes each (node aggregates per track)
#   5. GET  /api/v1/time-entries/summary?from=<today-365>&to=<today>&groupBy=day over the past
#      year, at three history sizes: 500, 1000 and 2000 non-overlapping entries
#   6. POST /api/v1/brake/check, 32 connections (bench/brake_check_post.lua), for a user with
#      a year of HRV samples (8 a day), a cycle on day 3 and a high-stakes event going on
#   7. reads under concurrent writes: GET /api/v1/day-types/{id} at 64 connections while
#      POST /api/v1/day-types runs beside it at 8 connections (same user)
#   8. event-writing transactions of 32 users at once: POST /api/v1/tracks/{id}/nodes, 32
#      connections round-robin over 32 users (bench/nodes_post.lua); each appends an event
# plus idle RSS and binary size. Loopback only, bounded in time (8 wrk runs per backend).
# Seeding uses bench/seed.py (python3, standard library only, one keep-alive connection).
#
# Usage: bench/run.sh [seconds per run, default 15]
# Environment:
#   BENCH_PORT          port on 127.0.0.1 (default 18080)
#   BENCH_DATABASE_URL  PostgreSQL admin URL (default postgres://postgres@127.0.0.1:5432/test);
#                       the database lifeos_bench beside it is created and dropped
#   BENCH_BIN           server binary (default target/release/lifeos, relative to the workspace)
#   BENCH_SKIP_BUILD=1  do not run `cargo build --release` (use a binary built beforehand)
#   BENCH_PHASES        which phases to run (default "1 2 3 4 5 6 7 8"), e.g. "7 8"
#   BENCH_BACKENDS      which backends (default "sqlite postgres")
set -Eeuo pipefail
cd "$(dirname "$0")/../../.."
DURATION="${1:-15}"
PORT="${BENCH_PORT:-18080}"
PG_ADMIN="${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
BIN="${BENCH_BIN:-target/release/lifeos}"
THREADS=2
CONNECTIONS=64
BRAKE_CONNECTIONS=32
LUA_POST="apps/gateway/bench/day_types_post.lua"
LUA_BRAKE="apps/gateway/bench/brake_check_post.lua"
LUA_NODES="apps/gateway/bench/nodes_post.lua"
PHASES=" ${BENCH_PHASES:-1 2 3 4 5 6 7 8} "
BACKENDS=" ${BENCH_BACKENDS:-sqlite postgres} "
WRITERS=32
want() { [[ "$PHASES" == *" $1 "* ]]; }
SEED="apps/gateway/bench/seed.py"
CREDENTIALS='{"email":"bench@example.com","password":"correct horse battery"}'
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
  # The per-user limit on brake checks is lifted, so phase 6 measures the check, not the limiter.
  # Phase 8 registers its users from distinct X-Forwarded-For addresses (registration is
  # limited per address), so the server trusts the header here.
  DATABASE_URL="$1" LIFEOS_BIND="127.0.0.1:$PORT" LIFEOS_ENV=prod LIFEOS_VAULT_KEYS="bench:a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s=" LIFEOS_REGISTRATION=open LIFEOS_METRICS_BIND=off LIFEOS_JWT_SECRET="$SECRET" LIFEOS_TRUST_PROXY=true \
    LIFEOS_MAIL_DIR="$WORK/mail" LIFEOS_BRAKE_CHECKS_PER_MINUTE=100000000 RUST_LOG=warn \
    "$BIN" serve >"$WORK/server.log" 2>&1 &
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
  run_wrk_with "$CONNECTIONS" "$@"
}

# run_wrk with a given number of connections first.
run_wrk_with() {
  local connections="$1" title="$2"; shift 2
  local out="$WORK/wrk.out"
  wrk -t"$THREADS" -c"$connections" -d"${DURATION}s" --latency "$@" >"$out" 2>&1 || {
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

# Prints a fresh access token of the bench user (access tokens live 15 minutes, so the
# later phases log in again rather than reuse the one from registration).
login() {
  curl -fsS -X POST "$BASE/api/v1/auth/login" -H 'content-type: application/json' -d "$CREDENTIALS" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["accessToken"])'
}

bench() {
  local label="$1" url="$2"
  start "$url"
  sleep 1
  echo "== $label: idle RSS $(rss)"
  local token
  token=$(curl -fsS -X POST "$BASE/api/v1/auth/register" -H 'content-type: application/json' \
    -d "$CREDENTIALS" | python3 -c 'import json,sys; print(json.load(sys.stdin)["accessToken"])')
  local auth="Authorization: Bearer $token"

  # 1. GET /me
  want 1 && run_wrk "GET /api/v1/me" -H "$auth" "$BASE/api/v1/me"

  # 2. GET a month of day types: seed 2026-01-01..31, check one answer, then load it
  local day status check
  if want 2; then
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
  fi

  # 3. POST /day-types, a unique date per request (token and thread count through the environment)
  want 3 && BENCH_TOKEN="$token" BENCH_THREADS="$THREADS" \
    run_wrk "POST /api/v1/day-types (unique dates)" -s "$LUA_POST" "$BASE/api/v1/day-types"

  # 4. GET /tracks: 20 tracks of 10 nodes (task, habit, focus_session, milestone in turn)
  if want 4 || want 5; then
  token=$(login); auth="Authorization: Bearer $token"
  BENCH_TOKEN="$token" python3 "$SEED" tracks "$BASE" "$WORK/tracks.txt"
  local check
  check=$(curl -fsS -H "$auth" "$BASE/api/v1/tracks" | python3 -c '
import json, sys
items = json.load(sys.stdin)["items"]
nodes = sorted({sum(t["stats"]["nodesByType"].values()) for t in items})
print(f"{len(items)} items, nodes per track {nodes}")')
  if [[ "$check" != "20 items, nodes per track [10]" ]]; then
    echo "run.sh: GET /api/v1/tracks returned $check, expected 20 items of 10 nodes" >&2
    return 1
  fi
  want 4 && run_wrk "GET /api/v1/tracks (check: one answer has $check)" -H "$auth" "$BASE/api/v1/tracks"
  fi

  # 5. GET /time-entries/summary over the past year at 500, 1000 and 2000 entries, each
  #    step spread over the whole year (seed.py keeps one fixed plan, seeded in slices)
  local today from summary seeded=0 size
  if want 5; then
  today=$(date -u +%F)
  from=$(date -u -d "$today - 365 days" +%F)
  summary="$BASE/api/v1/time-entries/summary?from=$from&to=$today&groupBy=day"
  for size in 500 1000 2000; do
    token=$(login); auth="Authorization: Bearer $token"
    BENCH_TOKEN="$token" python3 "$SEED" time-entries "$BASE" "$WORK/tracks.txt" "$today" \
      "$seeded" "$((size - seeded))"
    seeded=$size
    check=$(curl -fsS -H "$auth" "$summary" | python3 -c '
import json, sys
s = json.load(sys.stdin)
days, total = len(s["items"]), s["totalMinutes"]
print(f"{days} days, {total} minutes")')
    if [[ "$check" == "0 days"* ]]; then
      echo "run.sh: GET $summary found no tracked time after seeding $size entries" >&2
      return 1
    fi
    run_wrk "GET /api/v1/time-entries/summary?from=$from&to=$today&groupBy=day, $size entries (check: $check)" \
      -H "$auth" "$summary"
  done
  fi

  # 6. POST /brake/check at 32 connections: consent, a year of HRV samples, cycle day 3
  #    (intervention) and a high-stakes event going on now, so a check runs the whole path
  if want 6; then
  token=$(login); auth="Authorization: Bearer $token"
  BENCH_TOKEN="$token" python3 "$SEED" brake "$BASE"
  status=$(curl -sS -o "$WORK/check.out" -w '%{http_code}' -X POST "$BASE/api/v1/brake/check" \
    -H "$auth" -H 'content-type: application/json' -d '{}')
  echo "   one check: $status $(cat "$WORK/check.out")"
  check=$(python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))
print(c.get("reason"), c.get("currentDay"))' "$WORK/check.out" 2>/dev/null || true)
  if [[ "$status" != 200 || ! "$check" =~ ^(hrv_not_dropped|display)\ 3$ ]]; then
    echo "run.sh: POST /api/v1/brake/check should answer 200 with reason hrv_not_dropped or display on day 3" >&2
    return 1
  fi
  BENCH_TOKEN="$token" run_wrk_with "$BRAKE_CONNECTIONS" \
    "POST /api/v1/brake/check, $BRAKE_CONNECTIONS connections (check: reason ${check% *}, currentDay ${check#* })" \
    -s "$LUA_BRAKE" "$BASE/api/v1/brake/check"
  fi

  # 7. Point reads while the same user writes: readers must not wait for the writer
  if want 7; then
  token=$(login); auth="Authorization: Bearer $token"
  local one
  one=$(curl -fsS -X POST "$BASE/api/v1/day-types" -H "$auth" -H 'content-type: application/json' \
    -d '{"date":"2025-06-01","plannedType":"buffer"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  local writer_out="$WORK/writer.out"
  BENCH_TOKEN="$token" BENCH_THREADS=1 BENCH_FIRST_YEAR=2100 BENCH_LAST_YEAR=2200 wrk -t1 -c8 -d"${DURATION}s" --latency -s "$LUA_POST" \
    "$BASE/api/v1/day-types" >"$writer_out" 2>&1 &
  local writer=$!
  run_wrk "GET /api/v1/day-types/{id} while POST /api/v1/day-types runs at 8 connections" \
    -H "$auth" "$BASE/api/v1/day-types/$one"
  wait "$writer"
  awk '/Requests\/sec:/ { rps = $2 } /^ +99% / { p99 = $2 } /Non-2xx or 3xx responses:/ { non2xx = $NF }
       END { printf "     beside it, POST /api/v1/day-types: %s/s, p99 %s, non-2xx %s\n", rps, p99, (non2xx == "" ? 0 : non2xx) }' "$writer_out"
  fi

  # 8. Writes that append events, from 32 users at once
  if want 8; then
  python3 "$SEED" users "$BASE" "$WRITERS" "$WORK/writers.txt"
  BENCH_USERS="$WORK/writers.txt" run_wrk_with "$WRITERS" \
    "POST /api/v1/tracks/{id}/nodes, $WRITERS users at once (each appends an event)" \
    -s "$LUA_NODES" "$BASE/api/v1/tracks"
  read -r token one < "$WORK/writers.txt"
  check=$(curl -fsS -H "Authorization: Bearer $token" "$BASE/api/v1/tracks/$one/nodes" |
    python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))')
  echo "     check: the first writer's track holds $check nodes"
  fi

  echo "   RSS under load afterwards: $(rss)"
  stop_server
}

if [[ "$BACKENDS" == *" sqlite "* ]]; then
  bench "SQLite" "sqlite://$WORK/bench.db"
fi

if [[ "$BACKENDS" == *" postgres "* ]]; then
  psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS lifeos_bench WITH (FORCE)" -c "CREATE DATABASE lifeos_bench"
  PG_CREATED=1
  bench "PostgreSQL" "${PG_ADMIN%/*}/lifeos_bench"
  stop_server
  psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS lifeos_bench WITH (FORCE)"
  PG_CREATED=""
fi
