#!/usr/bin/env bash
# Side-by-side benchmark (issue 9): lifeos against the Express+pg reference peer in
# ../shared/peers/express-pg (raw SQL, no authentication), in one run on this machine, with
# wrk -t2 on loopback. lifeos sends a bearer token on every request.
#
# PostgreSQL, each lifeos figure measured twice, before and after the peer's (A-B-A):
#   1. point read      GET /api/v1/day-types/{id}, random among 1,000 seeded day types
#                      (cmp_get.lua)                    vs  GET /rows/:id (get_r.lua)
#   2. 31-day range    GET /api/v1/day-types?from&to, a random 31-day window of the seeded
#                      dates (cmp_range.lua)            vs  GET /rows?user_id&from&to (range_r.lua)
#   3. durable create  POST /api/v1/vehicle-maintenance, round-robin over 32 users with a
#                      vehicle each, 32 connections (cmp_maintenance_post.lua)
#                                                       vs  POST /rows, 32 connections (post_r.lua)
#   4. GET /api/v1/me and GET /health (lifeos only)
#   5. GET /api/v1/me/stats of a user with 10,000 past completions (seeded through the API)
#      and of a new user with none, run as history, new, history (lifeos only)
#   6. completion      POST /api/v1/nodes/{id}/complete, 32 users, 32 connections, each
#                      request the next open task of its user (cmp_complete_post.lua; lifeos only)
#   7. library search  GET /api/v1/library/foods?q=<one word>, rotating over a few words,
#                      32 connections (cmp_search.lua; lifeos only, on both dialects; the goal
#                      is p99 under 20 ms). The seed loads on start: nothing to seed.
#   8. sync (both dialects, a fresh server and database each; bench/sync_load.mjs, Node 20):
#      push throughput: 16 users x 4 devices, each pushing batches of 100 new documents back
#      to back (POST /api/v1/sync/push) -> applied mutations/s; the same for one user's 8
#      devices (whose pushes serialise on the user's lock); catch-up: a full pull of a user
#      with 200,000 changes in pages of 5,000 until hasMore is false (median of 3 runs); pull
#      latency: pages of 100 changes from random cursors with 10,000 vs 1,000,000 rows of
#      the user's history, one at a time. History is inserted by SQL (bench/sync_seed.sh).
# The tasks of 5 and 6 are inserted in bulk by SQL after workloads 1-4 (seed.py tasks): enough
# for COMPLETE_RATE completions/s for the whole run plus 30%, which the API could only create
# at a few thousand a second.
# 64 connections unless noted. Memory: VmHWM (peak) and VmRSS after 100 registrations (8 at a
# time), peak again after the whole workload and VmRSS after 3 s idle. Cold start: exec to
# the first 200 from /ready (on a fresh database, so migrations included).
# SQLite (same binary, a temporary file): the point read, the point read while 8 connections
# POST day types for the same user (both rates), one user's writes/s (day_types_post.lua) and
# the library search; then, on a second server and file (so that its 32 registrations leave
# the figures above as they were), the completion workload as on PostgreSQL.
# Ends with one markdown table: both lifeos runs, the peer, the ratio (mean of the lifeos runs
# / peer), lifeos's p99 (the p99 goal holds when both runs meet it), the goal and met/missed;
# a run with non-2xx answers or socket errors is flagged. 24 wrk runs (plus 12 s of warm-up):
# with the default 8 s each the whole run takes about 4 minutes. Everything it starts (servers, databases, temporary files) is stopped or removed on exit.
#
# Usage: bench/compare.sh [seconds per wrk run, default 8]
# Environment:
#   BENCH_DATABASE_URL  PostgreSQL admin URL (default postgres://postgres@127.0.0.1:5432/postgres);
#                       the databases lifeos_bench and peer_bench beside it are created and dropped
#   BENCH_PEER          the peer's folder (default ../shared/peers/express-pg beside the workspace);
#                       copied to a temporary folder, its node_modules cached under
#                       ~/.cache/lifeos-bench-peer/<hash of package.json>
#   BENCH_PORT          lifeos's port on 127.0.0.1 (default: a free one)
#   BENCH_PEER_PORT     the peer's port (default: a free one)
#   BENCH_BIN           server binary (default target/release/lifeos, relative to the workspace)
#   BENCH_SKIP_BUILD=1  do not run `cargo build --release` (use a binary built beforehand)
#   BENCH_OUT=<path>    also write the final table to this file
#   BENCH_HISTORY=N     past completions of the GET /api/v1/me/stats user (default 10000),
#                       each through the API: their seeding time is a row of the table
#   BENCH_ONLY=search   only the library search, on both dialects (no peer, no node needed):
#                       a fresh server and database each, one registration, one table
#   BENCH_ONLY=sync     only the sync workloads (8), on both dialects (no peer, no wrk needed)
#   BENCH_ONLY=recommend  only `POST /api/v1/recommend` at 64 connections (9), on both
#                       dialects, with the in-process policy and with the scoring sidecar
#                       (apps/ml-serving, installed into a venv by its ci.sh) as the incumbent
#   BENCH_PERF=<dir>    record a profile of lifeos during the first lifeos run of each
#                       PostgreSQL workload: perf record -F 999 -g into <dir>/<workload>.data
#                       (point, range, create, me, health, search, complete), with the
#                       binary profiled beside them: perf report -i <dir>/point.data --no-children
set -Eeuo pipefail
absolute() { [[ -z "$1" || "$1" == /* ]] && printf '%s' "$1" || printf '%s/%s' "$PWD" "$1"; }
BENCH_OUT="$(absolute "${BENCH_OUT:-}")"
BENCH_PERF="$(absolute "${BENCH_PERF:-}")"
cd "$(dirname "$0")/../../.."
DURATION="${1:-8}"
PG_ADMIN="${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
PG_BASE="${PG_ADMIN%/*}"
PEER_SRC="${BENCH_PEER:-../shared/peers/express-pg}"
PEER_CACHE="${HOME}/.cache/lifeos-bench-peer"
BIN="${BENCH_BIN:-target/release/lifeos}"
THREADS=2
CONNECTIONS=64
CREATE_CONNECTIONS=32
CREATE_USERS=32
REGISTRATIONS=100
COMPLETE_CONNECTIONS=32
COMPLETE_USERS=32
SEARCH_CONNECTIONS=32
COMPLETE_RATE=5000 # completions/s the seeded tasks last for (the goal on PostgreSQL is 2,400)
HISTORY="${BENCH_HISTORY:-10000}" # past completions of the GET /api/v1/me/stats user
DAY_TYPES=1000
FIRST_DAY=2020-01-01 # the seeded day types: 2020-01-01..2022-09-26, clear of the writers' years
SEED="apps/gateway/bench/seed.py"
LUA_GET="apps/gateway/bench/cmp_get.lua"
LUA_RANGE="apps/gateway/bench/cmp_range.lua"
LUA_CREATE="apps/gateway/bench/cmp_maintenance_post.lua"
LUA_DAY_POST="apps/gateway/bench/day_types_post.lua"
LUA_COMPLETE="apps/gateway/bench/cmp_complete_post.lua"
LUA_SEARCH="apps/gateway/bench/cmp_search.lua"
SYNC_LOAD="apps/gateway/bench/sync_load.mjs"
SYNC_SEED="apps/gateway/bench/sync_seed.sh"
SYNC_CATCHUP=200000 # changes of the catch-up user
SYNC_HISTORY_SMALL=10000
SYNC_HISTORY_LARGE=1000000
RECOMMEND_LOAD="apps/gateway/bench/recommend_load.mjs"
RECOMMEND_USERS=64
START_ENV=() # extra VAR=value pairs for the next lifeos start
SIDECAR=""
ONLY="${BENCH_ONLY:-}"
WARMUP=2 # seconds of unrecorded load before the first measured run of each server
SECRET="bench-secret-bench-secret-bench-secret-0123456789"
WORK="$(mktemp -d)"
RESULTS="$WORK/results.tsv" # key, rps, p50 ms, p99 ms, non-2xx, socket errors ("-" if none)
METRICS="$WORK/metrics.tsv" # key, value
SERVER=""
PEER=""
PERF=""
WRITER=""
LIFEOS_DB=""
PEER_DB=""

export PGOPTIONS="-c client_min_messages=warning" # no NOTICEs from DROP ... IF EXISTS
log() { printf '%s\n' "$*" >&2; }
fail() { log "compare.sh: $*"; exit 1; }

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

stop_pid() {
  local pid="$1" signal="${2:-TERM}"
  [[ -n "$pid" ]] || return 0
  kill -s "$signal" "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# Stops lifeos and sums up what it logged (warnings and errors only: RUST_LOG=warn), which
# names the cause of any non-2xx answer a wrk run counted: each distinct message with a count.
stop_server() {
  [[ -n "$SERVER" ]] || return 0
  stop_pid "$SERVER"; SERVER=""
  cat "$WORK"/server-*.log 2>/dev/null | python3 -c '
import collections, json, sys
seen = collections.Counter()
for line in sys.stdin:
    try:
        entry = json.loads(line)
        key = " ".join(str(entry[k]) for k in ("level", "message", "error", "classification") if entry.get(k))
    except ValueError:
        key = line.strip()
    if key:
        seen[key[:300]] += 1
if seen:
    print(f"   lifeos logged {sum(seen.values())} lines:")
    for key, count in seen.most_common(8):
        print(f"   {count:6} x {key}")' >&2
  rm -f "$WORK"/server-*.log
}

drop_db() {
  psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $1 WITH (FORCE)" >/dev/null 2>&1 || true
}

cleanup() {
  stop_pid "$WRITER"
  stop_pid "$PERF" INT
  stop_server
  stop_pid "$PEER"
  stop_pid "$SIDECAR"
  [[ -z "$LIFEOS_DB" ]] || drop_db "$LIFEOS_DB"
  [[ -z "$PEER_DB" ]] || drop_db "$PEER_DB"
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'log "compare.sh: failed at line $LINENO: $BASH_COMMAND"' ERR

metric() { printf '%s\t%s\n' "$1" "$2" >>"$METRICS"; }

# Prints VmHWM and VmRSS of the server in kB ("peak rss").
memory() {
  awk '/^VmHWM:/ { peak = $2 } /^VmRSS:/ { rss = $2 } END { print peak, rss }' "/proc/$SERVER/status"
}

mib() { awk -v kb="$1" 'BEGIN { printf "%.1f MiB", kb / 1024 }'; }

# Parses wrk's output: prints "rps p50_ms p99_ms non2xx socket_errors" (socket errors as
# connect=..,read=..,write=..,timeout=.. when any, else -).
parse_wrk() {
  awk '
    function ms(v) {
      if (v ~ /us$/) return v / 1000
      if (v ~ /ms$/) return v + 0
      if (v ~ /m$/) return v * 60000
      if (v ~ /s$/) return v * 1000
      return v
    }
    /Requests\/sec:/            { rps = $2 }
    /^ +50% /                   { p50 = ms($2) }
    /^ +99% /                   { p99 = ms($2) }
    /Non-2xx or 3xx responses:/ { non2xx = $NF }
    /Socket errors:/ {
      gsub(/,/, "")
      if ($4 + $6 + $8 + $10 > 0) sock = "connect=" $4 ",read=" $6 ",write=" $8 ",timeout=" $10
    }
    END {
      if (rps == "") exit 1
      printf "%s %.2f %.2f %d %s\n", rps, p50, p99, non2xx + 0, (sock == "" ? "-" : sock)
    }' "$1"
}

# wrk_run KEY TITLE CONNECTIONS [wrk arguments...]: one wrk run of DURATION seconds; records
# its figures under KEY and prints them.
wrk_run() {
  local key="$1" title="$2" connections="$3"; shift 3
  local out="$WORK/wrk-$key.out" figures rps p50 p99 non2xx sock
  wrk -t"$THREADS" -c"$connections" -d"${DURATION}s" --latency "$@" >"$out" 2>&1 || {
    log "compare.sh: wrk failed for $title:"; cat "$out" >&2; return 1
  }
  figures=$(parse_wrk "$out") || { log "compare.sh: no figures from wrk for $title:"; cat "$out" >&2; return 1; }
  read -r rps p50 p99 non2xx sock <<<"$figures"
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$key" "$rps" "$p50" "$p99" "$non2xx" "$sock" >>"$RESULTS"
  printf '   %-58s %10s/s  p50 %7s ms  p99 %7s ms' "$title" "$rps" "$p50" "$p99" >&2
  if [[ "$non2xx" != 0 || "$sock" != - ]]; then
    printf '   ERRORS: non-2xx %s, socket %s' "$non2xx" "$sock" >&2
  fi
  printf '\n' >&2
}

# warm_up CONNECTIONS [wrk arguments...]: WARMUP seconds of unrecorded load (JIT, caches, pools).
warm_up() {
  local connections="$1"; shift
  wrk -t"$THREADS" -c"$connections" -d"${WARMUP}s" "$@" >"$WORK/warm-up.out" 2>&1 || {
    log "compare.sh: wrk failed warming up:"; cat "$WORK/warm-up.out" >&2; return 1
  }
}

# perf record on the server for one wrk run (BENCH_PERF only): perf_start NAME ... perf_wait
perf_start() {
  [[ -n "${BENCH_PERF:-}" ]] || return 0
  perf record -F 999 -g -p "$SERVER" -o "$BENCH_PERF/$1.data" -- sleep "$DURATION" >"$WORK/perf-$1.log" 2>&1 &
  PERF=$!
}
perf_wait() {
  [[ -n "$PERF" ]] || return 0
  wait "$PERF" || { log "compare.sh: perf record failed:"; cat "$WORK"/perf-*.log >&2; }
  PERF=""
}

# ---------------------------------------------------------------------------------------
# The peer

start_peer() {
  [[ -f "$PEER_SRC/app_pg.js" ]] || fail "no peer at $PEER_SRC (set BENCH_PEER)"
  local dir="$WORK/peer" key cache tmp started
  mkdir -p "$dir"
  cp -R "$PEER_SRC/." "$dir/"
  chmod -R u+w "$dir"
  rm -rf "$dir/node_modules"
  key=$(sha256sum "$dir/package.json" | cut -c1-16)
  cache="$PEER_CACHE/$key"
  if [[ -d "$cache/node_modules" ]]; then
    ln -s "$cache/node_modules" "$dir/node_modules"
    log "peer: node_modules from $cache"
  else
    log "peer: npm install (cached afterwards under $cache)"
    (cd "$dir" && npm install --no-audit --no-fund --loglevel=error) >"$WORK/npm.log" 2>&1 || {
      log "compare.sh: npm install failed:"; cat "$WORK/npm.log" >&2; exit 1
    }
    mkdir -p "$PEER_CACHE"
    tmp=$(mktemp -d "$PEER_CACHE/.new-XXXXXX")
    cp -R "$dir/node_modules" "$tmp/"
    mv -T "$tmp" "$cache" 2>/dev/null || rm -rf "$tmp" # another run may have cached it meanwhile
  fi

  PEER_DB=peer_bench
  psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $PEER_DB WITH (FORCE)" -c "CREATE DATABASE $PEER_DB" >/dev/null
  psql "$PG_BASE/$PEER_DB" -q -v ON_ERROR_STOP=1 -f "$dir/schema.sql" >"$WORK/schema.log" 2>&1 || {
    log "compare.sh: loading the peer's schema.sql failed:"; cat "$WORK/schema.log" >&2; exit 1
  }

  PEER_PORT="${BENCH_PEER_PORT:-$(free_port)}"
  PEER_BASE="http://127.0.0.1:$PEER_PORT"
  PEER_DIR="$dir"
  (cd "$dir" && PORT="$PEER_PORT" POOL=16 DATABASE_URL="$PG_BASE/$PEER_DB" exec node app_pg.js) \
    >"$WORK/peer.log" 2>&1 &
  PEER=$!
  started=$SECONDS
  until curl -fs -o /dev/null "$PEER_BASE/rows/1" 2>/dev/null; do
    kill -0 "$PEER" 2>/dev/null && ((SECONDS - started < 20)) || {
      log "compare.sh: the peer did not answer GET /rows/1; its output:"; cat "$WORK/peer.log" >&2; exit 1
    }
    sleep 0.1
  done
  local rows
  rows=$(curl -fsS "$PEER_BASE/rows?user_id=7&from=2024-03-01&to=2024-04-01" |
    python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
  curl -fsS -o /dev/null -X POST "$PEER_BASE/rows" -H 'content-type: application/json' \
    -d '{"user_id":1,"day":"2025-01-01","kind":"mood","value":3}' || fail "the peer's POST /rows failed"
  log "peer: Express+pg (node $(node --version), POOL=16) on $PEER_BASE; a range answer has $rows rows"
  # node compiles its hot paths while it runs: warm each workload up before any measured run
  warm_up "$CONNECTIONS" -s "$dir/get_r.lua" "$PEER_BASE"
  warm_up "$CONNECTIONS" -s "$dir/range_r.lua" "$PEER_BASE"
  warm_up "$CREATE_CONNECTIONS" -s "$dir/post_r.lua" "$PEER_BASE"
}

# ---------------------------------------------------------------------------------------
# lifeos

# start URL NAME: starts lifeos on the database URL and records NAME's cold start (ms from
# exec to the first 200 from /ready).
start() {
  local url="$1" name="$2" begin now
  PORT="${BENCH_PORT:-$(free_port)}"
  BASE="http://127.0.0.1:$PORT"
  if curl -s -o /dev/null "$BASE/" 2>/dev/null; then
    fail "something already listens on 127.0.0.1:$PORT (set BENCH_PORT)"
  fi
  mkdir -p "$WORK/mail"
  begin=$(date +%s%N)
  # Registrations come from distinct X-Forwarded-For addresses (registration is limited per
  # address), so the server trusts the header here.
  env "${START_ENV[@]}" DATABASE_URL="$url" LIFEOS_BIND="127.0.0.1:$PORT" LIFEOS_ENV=prod LIFEOS_VAULT_KEYS="bench:a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s=" LIFEOS_REGISTRATION=open LIFEOS_METRICS_BIND=off LIFEOS_JWT_SECRET="$SECRET" \
    LIFEOS_TRUST_PROXY=true LIFEOS_MAIL_DIR="$WORK/mail" LIFEOS_BRAKE_CHECKS_PER_MINUTE=100000000 \
    LIFEOS_COMPLETIONS_PER_MINUTE=100000000 RUST_LOG=warn "$BIN" serve >"$WORK/server-$name.log" 2>&1 &
  SERVER=$!
  until curl -fs -o /dev/null "$BASE/ready" 2>/dev/null; do
    now=$(date +%s%N)
    kill -0 "$SERVER" 2>/dev/null && ((now - begin < 30000000000)) || {
      log "compare.sh: lifeos did not become ready; its output:"; cat "$WORK/server-$name.log" >&2; exit 1
    }
    sleep 0.005
  done
  now=$(date +%s%N)
  metric "cold_$name" "$(((now - begin) / 1000000))"
  log "lifeos ($name) on $BASE: ready $(((now - begin) / 1000000)) ms after exec"
}

# seed_day_types TOKEN OUT: the bench user's 1,000 day types, checked by one point read and
# one 31-day range read.
seed_day_types() {
  local token="$1" out="$2" id date items
  BENCH_TOKEN="$token" python3 "$SEED" day-types "$BASE" "$FIRST_DAY" "$DAY_TYPES" "$out" >&2
  read -r id date <"$out"
  [[ "$(curl -fsS -H "Authorization: Bearer $token" "$BASE/api/v1/day-types/$id" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["date"])')" == "$date" ]] ||
    fail "GET /api/v1/day-types/$id did not answer the seeded day type"
  items=$(curl -fsS -H "Authorization: Bearer $token" "$BASE/api/v1/day-types?from=2021-03-01&to=2021-03-31" |
    python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))')
  [[ "$items" == 31 ]] || fail "a 31-day range answered $items items, expected 31"
  log "   check: a 31-day range answers $items items"
}

# seed_complete_tasks DATABASE TOKENS OUT: a track and open tasks for each of the first
# COMPLETE_USERS users of the file TOKENS, enough for one completion run at COMPLETE_RATE a
# second plus 30%; "token taskId ..." lines in OUT.
seed_complete_tasks() {
  local per_user=$(((COMPLETE_RATE * DURATION * 13 / 10 + COMPLETE_USERS - 1) / COMPLETE_USERS))
  python3 "$SEED" tasks "$BASE" "$2" "$COMPLETE_USERS" "$per_user" "$1" "$3" >&2
}

# stats_of TOKEN FIELD: FIELD of the user's GET /api/v1/me/stats.
stats_of() {
  curl -fsS -H "Authorization: Bearer $1" "$BASE/api/v1/me/stats" | python3 -c "import json,sys; print(json.load(sys.stdin)['$2'])"
}

# seed_history DATABASE TOKEN: HISTORY tasks for the user, each completed through the API.
seed_history() {
  local began seconds xp
  printf '%s\n' "$2" >"$WORK/history-token.txt"
  python3 "$SEED" tasks "$BASE" "$WORK/history-token.txt" 1 "$((HISTORY - 1))" "$1" "$WORK/history-tasks.txt" >&2
  began=$(date +%s%N)
  python3 "$SEED" complete "$BASE" "$WORK/history-tasks.txt" >&2
  seconds=$(awk -v ns="$(($(date +%s%N) - began))" 'BEGIN { printf "%.1f", ns / 1e9 }')
  metric history_seconds "$seconds"
  xp=$(stats_of "$2" xp)
  [[ "$xp" == "$((HISTORY * 10))" ]] || fail "after $HISTORY completions GET /api/v1/me/stats answers xp $xp"
  log "   check: $HISTORY completions ($seconds s through the API), xp $xp, level $(stats_of "$2" level)"
}

# bench_search NAME TOKEN: the one-word food search on the running server, recorded as
# NAME_search; checked first by a search that must rank chicken breast first.
bench_search() {
  local name="$1" token="$2" first
  first=$(curl -fsS -H "Authorization: Bearer $token" "$BASE/api/v1/library/foods?q=chiken%20brest&limit=1" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["name"])')
  [[ "$first" == "Chicken, poultry, breast, skinless" ]] ||
    fail "GET /api/v1/library/foods?q=chiken brest answered $first first"
  BENCH_TOKEN="$token" warm_up "$SEARCH_CONNECTIONS" -s "$LUA_SEARCH" "$BASE"
  [[ "$name" != pg ]] || perf_start search # BENCH_PERF profiles the PostgreSQL runs
  BENCH_TOKEN="$token" wrk_run "${name}_search" "lifeos GET /api/v1/library/foods?q=<one word>" \
    "$SEARCH_CONNECTIONS" -s "$LUA_SEARCH" "$BASE"
  perf_wait
}

# BENCH_ONLY=search: the search alone on each dialect, a fresh server and database each.
bench_search_only() {
  local tokens="$WORK/search-tokens.txt" token
  LIFEOS_DB=lifeos_bench
  psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $LIFEOS_DB WITH (FORCE)" -c "CREATE DATABASE $LIFEOS_DB" >/dev/null
  start "$PG_BASE/$LIFEOS_DB" pg
  python3 "$SEED" register "$BASE" 1 "$tokens" >&2
  read -r token <"$tokens"
  psql "$PG_BASE/$LIFEOS_DB" -qc "ANALYZE" >/dev/null
  log "== PostgreSQL library search, ${DURATION} s"
  bench_search pg "$token"
  stop_server
  drop_db "$LIFEOS_DB"
  LIFEOS_DB=""

  start "sqlite://$WORK/search.db" sqlite
  python3 "$SEED" register "$BASE" 1 "$tokens" >&2
  read -r token <"$tokens"
  log "== SQLite library search, ${DURATION} s"
  bench_search sqlite "$token"
  stop_server
}

# sync_run ARGS...: one measuring run of sync_load.mjs, its RESULTS line recorded and shown.
sync_run() {
  local line key rps p50 p99 failed errs
  line=$(node "$SYNC_LOAD" "$@") || fail "sync_load.mjs $1 failed"
  printf '%s\n' "$line" >>"$RESULTS"
  IFS=$'\t' read -r key rps p50 p99 failed errs <<<"$line"
  printf '   %-58s %10s/s  p50 %7s ms  p99 %7s ms' "$key" "$rps" "$p50" "$p99" >&2
  [[ "$failed" == 0 && "$errs" == - ]] || printf '   ERRORS: failed %s, %s' "$failed" "$errs" >&2
  printf '\n' >&2
}

# sync_seeded DATABASE TOKEN COUNT: COUNT documents of the user's history inserted by SQL.
sync_seeded() {
  local user began
  user=$(node "$SYNC_LOAD" whoami "$BASE" "$2")
  began=$(date +%s%N)
  bash "$SYNC_SEED" "$1" "$user" "$3"
  log "   seeded $3 documents for one user in $(awk -v ns="$(($(date +%s%N) - began))" 'BEGIN { printf "%.1f", ns / 1e9 }') s"
}

# bench_sync NAME URL DATABASE: the sync workloads on a fresh server at URL (DATABASE is what
# sync_seed.sh writes to: the same URL, or the SQLite file's path), recorded as NAME_sync_*.
bench_sync() {
  local name="$1" url="$2" database="$3" tokens="$WORK/$1-sync-tokens.txt" token
  start "$url" "${name}_sync"
  python3 "$SEED" register "$BASE" 20 "$tokens" >&2
  log "== $name sync, ${DURATION} s a run"
  sync_run push "${name}_sync_push" "$BASE" "$tokens" 16 4 100 "$DURATION"
  tail -n +17 "$tokens" >"$WORK/sync-one.txt"
  sync_run push "${name}_sync_push_one" "$BASE" "$WORK/sync-one.txt" 1 8 100 "$DURATION"
  token=$(sed -n 18p "$tokens")
  sync_seeded "$database" "$token" "$SYNC_CATCHUP"
  sync_run catchup "${name}_sync_catchup" "$BASE" "$token" "$SYNC_CATCHUP" 5000 3
  token=$(sed -n 19p "$tokens")
  sync_seeded "$database" "$token" "$SYNC_HISTORY_SMALL"
  sync_run pulls "${name}_sync_pull_small" "$BASE" "$token" "$SYNC_HISTORY_SMALL" 100 "$DURATION" 1
  token=$(sed -n 20p "$tokens")
  sync_seeded "$database" "$token" "$SYNC_HISTORY_LARGE"
  sync_run pulls "${name}_sync_pull_large" "$BASE" "$token" "$SYNC_HISTORY_LARGE" 100 "$DURATION" 1
  stop_server
}

# recommend_run ARGS...: one measuring run of recommend_load.mjs, its RESULTS line recorded.
recommend_run() {
  local line key rps p50 p99 failed errs
  line=$(node "$RECOMMEND_LOAD" "$@") || fail "recommend_load.mjs $1 failed"
  printf '%s\n' "$line" >>"$RESULTS"
  IFS=$'\t' read -r key rps p50 p99 failed errs <<<"$line"
  printf '   %-58s %10s/s  p50 %7s ms  p99 %7s ms' "$key" "$rps" "$p50" "$p99" >&2
  [[ "$failed" == 0 && "$errs" == - ]] || printf '   ERRORS: failed %s, %s' "$failed" "$errs" >&2
  printf '\n' >&2
}

# The scoring sidecar on a free port, from the venv apps/ml-serving/ci.sh builds.
start_sidecar() {
  local port venv="${ML_SERVING_VENV:-${TMPDIR:-/tmp}/lifeos-ml-serving-venv}"
  [[ -x "$venv/bin/uvicorn" ]] || fail "no sidecar venv at $venv: run bash apps/ml-serving/ci.sh first (or set ML_SERVING_VENV)"
  port=$(free_port)
  (cd apps/ml-serving && exec "$venv/bin/uvicorn" app.main:app --host 127.0.0.1 --port "$port" --log-level warning) \
    >"$WORK/sidecar.log" 2>&1 &
  SIDECAR=$!
  SIDECAR_URL="http://127.0.0.1:$port"
  for _ in $(seq 200); do curl -fs -o /dev/null "$SIDECAR_URL/health" && return 0; sleep 0.05; done
  cat "$WORK/sidecar.log" >&2; fail "the sidecar did not become healthy"
}

# bench_recommend NAME URL: `POST /recommend` at 64 connections on a fresh server, first with
# the in-process incumbent, then (a second server on the same data) with the sidecar's.
bench_recommend() {
  local name="$1" url="$2" tokens="$WORK/$1-recommend-tokens.txt"
  START_ENV=()
  start "$url" "${name}_recommend"
  python3 "$SEED" register "$BASE" "$RECOMMEND_USERS" "$tokens" >&2
  node "$RECOMMEND_LOAD" setup "$BASE" "$tokens" "$RECOMMEND_USERS"
  log "== $name recommend, ${DURATION} s a run"
  node "$RECOMMEND_LOAD" load warmup "$BASE" "$tokens" "$RECOMMEND_USERS" "$CONNECTIONS" "$WARMUP" >/dev/null
  recommend_run load "${name}_recommend" "$BASE" "$tokens" "$RECOMMEND_USERS" "$CONNECTIONS" "$DURATION"
  stop_server
  start_sidecar
  START_ENV=(LIFEOS_ML_SERVING_URL="$SIDECAR_URL" LIFEOS_RECOMMENDER_INCUMBENT=remote)
  start "$url" "${name}_recommend_sidecar"
  START_ENV=()
  node "$RECOMMEND_LOAD" load warmup "$BASE" "$tokens" "$RECOMMEND_USERS" "$CONNECTIONS" "$WARMUP" >/dev/null
  recommend_run load "${name}_recommend_sidecar" "$BASE" "$tokens" "$RECOMMEND_USERS" "$CONNECTIONS" "$DURATION"
  stop_server
  stop_pid "$SIDECAR"; SIDECAR=""
}

bench_recommend_all() {
  LIFEOS_DB=lifeos_bench_recommend
  psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $LIFEOS_DB WITH (FORCE)" -c "CREATE DATABASE $LIFEOS_DB" >/dev/null
  bench_recommend pg "$PG_BASE/$LIFEOS_DB"
  drop_db "$LIFEOS_DB"
  LIFEOS_DB=""
  bench_recommend sqlite "sqlite://$WORK/recommend.db"
}

# The sync workloads on each dialect: a database and server of their own.
bench_sync_all() {
  LIFEOS_DB=lifeos_bench_sync
  psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $LIFEOS_DB WITH (FORCE)" -c "CREATE DATABASE $LIFEOS_DB" >/dev/null
  bench_sync pg "$PG_BASE/$LIFEOS_DB" "$PG_BASE/$LIFEOS_DB"
  drop_db "$LIFEOS_DB"
  LIFEOS_DB=""
  bench_sync sqlite "sqlite://$WORK/sync.db" "$WORK/sync.db"
}

bench_postgres() {
  local tokens="$WORK/tokens.txt" ids="$WORK/pg-ids.txt" users="$WORK/vehicles.txt" token began peak rss
  LIFEOS_DB=lifeos_bench
  psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $LIFEOS_DB WITH (FORCE)" -c "CREATE DATABASE $LIFEOS_DB" >/dev/null
  start "$PG_BASE/$LIFEOS_DB" pg

  began=$(date +%s%N)
  python3 "$SEED" register "$BASE" "$REGISTRATIONS" "$tokens" >&2
  read -r peak rss < <(memory)
  metric reg_seconds "$(awk -v ns="$(($(date +%s%N) - began))" 'BEGIN { printf "%.1f", ns / 1e9 }')"
  metric pg_reg_peak "$peak"
  metric pg_reg_rss "$rss"
  log "   after $REGISTRATIONS registrations: peak $(mib "$peak"), RSS $(mib "$rss")"

  read -r token <"$tokens"
  seed_day_types "$token" "$ids"
  python3 "$SEED" vehicles "$BASE" "$tokens" "$CREATE_USERS" "$users" >&2
  local vehicle status
  read -r token vehicle <"$users"
  status=$(curl -sS -o "$WORK/create.out" -w '%{http_code}' -X POST "$BASE/api/v1/vehicle-maintenance" \
    -H "Authorization: Bearer $token" -H 'content-type: application/json' \
    -d "{\"vehicleId\":\"$vehicle\",\"date\":\"2025-01-02\",\"serviceType\":\"oil_change\",\"mileage\":1000}")
  [[ "$status" == 201 ]] || fail "POST /api/v1/vehicle-maintenance answered $status: $(cat "$WORK/create.out")"
  read -r token <"$tokens"
  local auth="Authorization: Bearer $token"
  # Statistics for the seeded tables, as the peer's schema.sql ends with VACUUM ANALYZE.
  # This cluster runs with autovacuum off: without it the planner keeps the empty tables'
  # estimates and reads a user's day types by (user_id, date), all 1,000 rows per lookup.
  psql "$PG_BASE/$LIFEOS_DB" -qc "ANALYZE" >/dev/null

  BENCH_TOKEN="$token" BENCH_IDS="$ids" warm_up "$CONNECTIONS" -s "$LUA_GET" "$BASE"
  log "== PostgreSQL workloads, ${DURATION} s each (lifeos, peer, lifeos)"
  perf_start point
  BENCH_TOKEN="$token" BENCH_IDS="$ids" wrk_run pg_point_1 "lifeos GET /api/v1/day-types/{id}" "$CONNECTIONS" \
    -s "$LUA_GET" "$BASE"
  perf_wait
  wrk_run peer_point "peer   GET /rows/:id" "$CONNECTIONS" -s "$PEER_DIR/get_r.lua" "$PEER_BASE"
  BENCH_TOKEN="$token" BENCH_IDS="$ids" wrk_run pg_point_2 "lifeos GET /api/v1/day-types/{id}" "$CONNECTIONS" \
    -s "$LUA_GET" "$BASE"

  perf_start range
  BENCH_TOKEN="$token" BENCH_IDS="$ids" wrk_run pg_range_1 "lifeos GET /api/v1/day-types?from&to (31 days)" \
    "$CONNECTIONS" -s "$LUA_RANGE" "$BASE"
  perf_wait
  wrk_run peer_range "peer   GET /rows?user_id&from&to" "$CONNECTIONS" -s "$PEER_DIR/range_r.lua" "$PEER_BASE"
  BENCH_TOKEN="$token" BENCH_IDS="$ids" wrk_run pg_range_2 "lifeos GET /api/v1/day-types?from&to (31 days)" \
    "$CONNECTIONS" -s "$LUA_RANGE" "$BASE"

  perf_start create
  BENCH_USERS="$users" wrk_run pg_create_1 "lifeos POST /api/v1/vehicle-maintenance, $CREATE_USERS users" \
    "$CREATE_CONNECTIONS" -s "$LUA_CREATE" "$BASE"
  perf_wait
  wrk_run peer_create "peer   POST /rows" "$CREATE_CONNECTIONS" -s "$PEER_DIR/post_r.lua" "$PEER_BASE"
  BENCH_USERS="$users" wrk_run pg_create_2 "lifeos POST /api/v1/vehicle-maintenance, $CREATE_USERS users" \
    "$CREATE_CONNECTIONS" -s "$LUA_CREATE" "$BASE"

  perf_start me
  wrk_run pg_me_1 "lifeos GET /api/v1/me" "$CONNECTIONS" -H "$auth" "$BASE/api/v1/me"
  perf_wait
  perf_start health
  wrk_run pg_health_1 "lifeos GET /health" "$CONNECTIONS" "$BASE/health"
  perf_wait
  wrk_run pg_me_2 "lifeos GET /api/v1/me" "$CONNECTIONS" -H "$auth" "$BASE/api/v1/me"
  wrk_run pg_health_2 "lifeos GET /health" "$CONNECTIONS" "$BASE/health"
  log "== PostgreSQL library search, ${DURATION} s (lifeos only)"
  bench_search pg "$token"

  # Seeded only now, so that the workloads above run on the database they always did.
  local history new tasks="$WORK/pg-tasks.txt"
  history=$(sed -n "$((COMPLETE_USERS + 1))p" "$tokens")
  new=$(sed -n "$((COMPLETE_USERS + 2))p" "$tokens")
  seed_complete_tasks "$PG_BASE/$LIFEOS_DB" "$tokens" "$tasks"
  seed_history "$PG_BASE/$LIFEOS_DB" "$history"
  [[ "$(stats_of "$new" xp)" == 0 ]] || fail "the new user's GET /api/v1/me/stats has XP"
  psql "$PG_BASE/$LIFEOS_DB" -qc "ANALYZE" >/dev/null
  log "== PostgreSQL stats and completions, ${DURATION} s each (lifeos only)"
  wrk_run pg_stats_history_1 "lifeos GET /api/v1/me/stats, $HISTORY completions" "$CONNECTIONS" \
    -H "Authorization: Bearer $history" "$BASE/api/v1/me/stats"
  wrk_run pg_stats_new "lifeos GET /api/v1/me/stats, new user" "$CONNECTIONS" \
    -H "Authorization: Bearer $new" "$BASE/api/v1/me/stats"
  wrk_run pg_stats_history_2 "lifeos GET /api/v1/me/stats, $HISTORY completions" "$CONNECTIONS" \
    -H "Authorization: Bearer $history" "$BASE/api/v1/me/stats"
  perf_start complete
  BENCH_TASKS="$tasks" BENCH_THREADS="$THREADS" wrk_run pg_complete \
    "lifeos POST /api/v1/nodes/{id}/complete, $COMPLETE_USERS users" "$COMPLETE_CONNECTIONS" -s "$LUA_COMPLETE" "$BASE"
  perf_wait
  tasks_left pg_complete

  read -r peak rss < <(memory)
  metric pg_load_peak "$peak"
  sleep 3
  read -r peak rss < <(memory)
  metric pg_steady_rss "$rss"
  log "   after the workload: peak $(mib "$peak"); RSS after 3 s idle $(mib "$rss")"
  stop_server
  drop_db "$LIFEOS_DB"
  LIFEOS_DB=""
}

bench_sqlite() {
  local tokens="$WORK/sqlite-token.txt" ids="$WORK/sqlite-ids.txt" token peak rss
  start "sqlite://$WORK/bench.db" sqlite
  python3 "$SEED" register "$BASE" 1 "$tokens" >&2
  read -r token <"$tokens"
  seed_day_types "$token" "$ids"

  BENCH_TOKEN="$token" BENCH_IDS="$ids" warm_up "$CONNECTIONS" -s "$LUA_GET" "$BASE"
  log "== SQLite workloads, ${DURATION} s each"
  BENCH_TOKEN="$token" BENCH_IDS="$ids" wrk_run sqlite_point "lifeos GET /api/v1/day-types/{id}" "$CONNECTIONS" \
    -s "$LUA_GET" "$BASE"

  # The same point reads while the same user writes at 8 connections (years 2100-2200).
  local writer_out="$WORK/wrk-sqlite_writers.out" figures rps p50 p99 non2xx sock
  BENCH_TOKEN="$token" BENCH_THREADS=1 BENCH_FIRST_YEAR=2100 BENCH_LAST_YEAR=2200 \
    wrk -t1 -c8 -d"${DURATION}s" --latency -s "$LUA_DAY_POST" "$BASE/api/v1/day-types" >"$writer_out" 2>&1 &
  WRITER=$!
  BENCH_TOKEN="$token" BENCH_IDS="$ids" wrk_run sqlite_point_mixed \
    "lifeos GET /api/v1/day-types/{id} beside 8 writers" "$CONNECTIONS" -s "$LUA_GET" "$BASE"
  wait "$WRITER" || { log "compare.sh: the writers' wrk failed:"; cat "$writer_out" >&2; exit 1; }
  WRITER=""
  figures=$(parse_wrk "$writer_out") || { cat "$writer_out" >&2; fail "no figures from the writers' wrk"; }
  read -r rps p50 p99 non2xx sock <<<"$figures"
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' sqlite_writers "$rps" "$p50" "$p99" "$non2xx" "$sock" >>"$RESULTS"
  printf '     %-56s %10s/s  p50 %7s ms  p99 %7s ms   non-2xx %s, socket errors %s\n' \
    "beside it: POST /api/v1/day-types, 8 connections" "$rps" "$p50" "$p99" "$non2xx" "$sock" >&2

  # One user's writes: a unique date per request, 1900-2019 (the seeded dates are 2020-2022).
  BENCH_TOKEN="$token" BENCH_THREADS="$THREADS" wrk_run sqlite_writes "lifeos POST /api/v1/day-types, 1 user" \
    "$CONNECTIONS" -s "$LUA_DAY_POST" "$BASE/api/v1/day-types"
  bench_search sqlite "$token"

  read -r peak rss < <(memory)
  metric sqlite_load_peak "$peak"
  sleep 3
  read -r peak rss < <(memory)
  metric sqlite_steady_rss "$rss"
  log "   after the workload: peak $(mib "$peak"); RSS after 3 s idle $(mib "$rss")"
  stop_server
}

# tasks_left KEY: says so when a completion run used up a user's tasks (its 409s are counted
# as non-2xx): raise COMPLETE_RATE.
tasks_left() {
  if grep -q "ran out" "$WORK/wrk-$1.out"; then
    log "   the run used up a user's seeded tasks: raise COMPLETE_RATE ($COMPLETE_RATE) in compare.sh"
  fi
}

# The completion workload on SQLite: a server and database of its own, so that its
# registrations do not change the SQLite memory figures of bench_sqlite.
bench_sqlite_complete() {
  local tokens="$WORK/sqlite-complete-tokens.txt" tasks="$WORK/sqlite-tasks.txt"
  start "sqlite://$WORK/complete.db" sqlite_complete
  python3 "$SEED" register "$BASE" "$COMPLETE_USERS" "$tokens" >&2
  seed_complete_tasks "$WORK/complete.db" "$tokens" "$tasks"
  log "== SQLite completions, ${DURATION} s"
  BENCH_TASKS="$tasks" BENCH_THREADS="$THREADS" wrk_run sqlite_complete \
    "lifeos POST /api/v1/nodes/{id}/complete, $COMPLETE_USERS users" "$COMPLETE_CONNECTIONS" -s "$LUA_COMPLETE" "$BASE"
  tasks_left sqlite_complete
  stop_server
}

# Prints the final markdown table from RESULTS and METRICS.
table() {
  python3 - "$RESULTS" "$METRICS" "$ONLY" <<'PY'
import sys

results, metrics = {}, {}
for line in open(sys.argv[1]):
    key, rps, p50, p99, non2xx, sock = line.rstrip("\n").split("\t")
    results[key] = dict(rps=float(rps), p50=float(p50), p99=float(p99), non2xx=int(non2xx), sock=sock)
for line in open(sys.argv[2]):
    key, value = line.rstrip("\n").split("\t")
    metrics[key] = float(value)

rows = []
def row(*cells):
    rows.append("| " + " | ".join(cells) + " |")

def rate(key):
    return f"{results[key]['rps']:,.0f}/s"

def errors(*keys):
    """The errors of the given runs ("" when none)."""
    found = []
    for key in keys:
        r = results[key]
        parts = ([f"{r['non2xx']:,} non-2xx"] if r["non2xx"] else []) + ([r["sock"].replace(",", ", ")] if r["sock"] != "-" else [])
        if parts:
            found.append(f"{key}: " + ", ".join(parts))
    return "; ".join(found)

def verdict(ok, errs):
    word = "met" if ok else "**missed**"
    return word + (" ⚠ errors" if errs else "")

def mean(*keys):
    return sum(results[k]["rps"] for k in keys) / len(keys)

def compared(name, what, goal_ratio, p99_goal=None):
    a, b, peer = f"pg_{name}_1", f"pg_{name}_2", f"peer_{name}"
    ratio = mean(a, b) / results[peer]["rps"]
    p99 = max(results[a]["p99"], results[b]["p99"])
    ok = ratio >= goal_ratio and (p99_goal is None or p99 <= p99_goal)
    goal = f"{goal_ratio:g}x" + (f", p99 ≤ {p99_goal:g} ms" if p99_goal else "")
    errs = errors(a, peer, b)
    row(what, rate(a), rate(b), rate(peer), f"{ratio:.2f}x",
        f"{results[a]['p99']:.1f} / {results[b]['p99']:.1f} ms", goal, verdict(ok, errs), errs or "none")

def alone(name, what):
    a, b = f"pg_{name}_1", f"pg_{name}_2"
    errs = errors(a, b)
    row(what, rate(a), rate(b), "—", "—", f"{results[a]['p99']:.1f} / {results[b]['p99']:.1f} ms", "—",
        "⚠ errors" if errs else "—", errs or "none")

def mib(key):
    return f"{metrics[key] / 1024:.1f} MiB"

def memory(key, what, limit):
    ok = metrics[key] / 1024 <= limit
    row(what, mib(key), "", "", "", "", f"≤ {limit} MiB", verdict(ok, ""), "")

def searched(dialect, key):
    r = results[key]
    errs = errors(key)
    row(f"{dialect} library search, one word, 32 conns: `GET /api/v1/library/foods?q=<word>`", rate(key), "",
        "—", "—", f"{r['p99']:.1f} ms (p50 {r['p50']:.2f} ms)", "p99 ≤ 20 ms", verdict(r["p99"] <= 20, errs), errs or "none")

def synced(dialect, name):
    push, one = results[f"{name}_sync_push"], results[f"{name}_sync_push_one"]
    errs = errors(f"{name}_sync_push")
    pg = name == "pg"
    row(f"{dialect} sync push, 16 users x 4 devices, batches of 100 documents: `POST /api/v1/sync/push`",
        f"{push['rps']:,.0f} mutations/s", "", "—", "—", f"{push['p99']:.1f} ms a batch (p50 {push['p50']:.1f} ms)",
        "≥ 50,000/s" if pg else "—", verdict(push["rps"] >= 50000, errs) if pg else ("⚠ errors" if errs else "—"), errs or "none")
    errs = errors(f"{name}_sync_push_one")
    row(f"{dialect} sync push, one user's 8 devices (serialised), batches of 100", f"{one['rps']:,.0f} mutations/s", "",
        "—", "—", f"{one['p99']:.1f} ms a batch (p50 {one['p50']:.1f} ms)", "—", "⚠ errors" if errs else "—", errs or "none")
    c = results[f"{name}_sync_catchup"]
    errs = errors(f"{name}_sync_catchup")
    row(f"{dialect} catch-up: 200,000 changes from an empty cursor, pages of 5,000 (median of 3)",
        f"{c['p50'] / 1000:.2f} s", f"{c['rps']:,.0f} changes/s", "—", "—", f"slowest {c['p99'] / 1000:.2f} s",
        "≤ 5 s", verdict(c["p50"] <= 5000, errs), errs or "none")
    small, large = results[f"{name}_sync_pull_small"], results[f"{name}_sync_pull_large"]
    errs = errors(f"{name}_sync_pull_small", f"{name}_sync_pull_large")
    ratio = large["p99"] / small["p99"]
    row(f"{dialect} pull of 100 changes, one at a time: 10,000 (1) vs 1,000,000 (2) rows of history",
        f"p50 {small['p50']:.2f} ms", f"p50 {large['p50']:.2f} ms", "—", f"p99 {ratio:.2f}x",
        f"{small['p99']:.2f} / {large['p99']:.2f} ms", "p99 at 1M ≤ 1.5x p99 at 10k", verdict(ratio <= 1.5, errs), errs or "none")

row("workload (PostgreSQL unless noted)", "lifeos 1", "lifeos 2", "peer", "ratio", "lifeos p99 (1 / 2)", "goal", "result", "errors")
row(*["---"] * 9)
if sys.argv[3] == "search":
    searched("PostgreSQL", "pg_search")
    searched("SQLite", "sqlite_search")
    print("\n".join(rows))
    sys.exit(0)
def recommended(dialect, name):
    for key, what in ((f"{name}_recommend", "in-process policy"), (f"{name}_recommend_sidecar", "sidecar policy (VW, 50 ms budget)")):
        r = results[key]
        errs = errors(key)
        goal = "p99 ≤ 20 ms" if key.endswith("_recommend") else "—"
        ok = r["p99"] <= 20
        row(f"{dialect} `POST /api/v1/recommend`, 64 users, 64 conns, {what}", rate(key), "", "—", "—",
            f"{r['p99']:.1f} ms (p50 {r['p50']:.2f} ms)", goal,
            (verdict(ok, errs) if goal != "—" else ("⚠ errors" if errs else "—")), errs or "none")
if sys.argv[3] == "recommend":
    recommended("PostgreSQL", "pg")
    recommended("SQLite", "sqlite")
    print("\n".join(rows))
    sys.exit(0)
if sys.argv[3] == "sync":
    synced("PostgreSQL", "pg")
    synced("SQLite", "sqlite")
    print("\n".join(rows))
    sys.exit(0)
compared("point", "point read: `GET /api/v1/day-types/{id}` vs `GET /rows/:id`", 3, 15)
compared("range", "31-day range: `GET /api/v1/day-types?from&to` vs `GET /rows?user_id&from&to`", 2.5)
compared("create", "durable create, 32 users, 32 conns: `POST /api/v1/vehicle-maintenance` vs `POST /rows`", 3)
alone("me", "`GET /api/v1/me`")
alone("health", "`GET /health`")

searched("PostgreSQL", "pg_search")
r = results["pg_complete"]
errs = errors("pg_complete")
row("completion, 32 users, 32 conns: `POST /api/v1/nodes/{id}/complete`", rate("pg_complete"), "", "—", "—",
    f"{r['p99']:.1f} ms", "≥ 2,400/s", verdict(r["rps"] >= 2400, errs), errs or "none")
history = mean("pg_stats_history_1", "pg_stats_history_2")
new = results["pg_stats_new"]["rps"]
errs = errors("pg_stats_history_1", "pg_stats_new", "pg_stats_history_2")
row(f"`GET /api/v1/me/stats`: {metrics['history']:,.0f} past completions (1, 2) vs a new user", rate("pg_stats_history_1"),
    rate("pg_stats_history_2"), f"new user {new:,.0f}/s", f"{history / new:.2f}x",
    f"{results['pg_stats_history_1']['p99']:.1f} / {results['pg_stats_history_2']['p99']:.1f} ms (new {results['pg_stats_new']['p99']:.1f} ms)",
    "within 20%", verdict(abs(history / new - 1) <= 0.2, errs), errs or "none")
row(f"seeding those {metrics['history']:,.0f} completions: one user, 8 connections of seed.py",
    f"{metrics['history'] / metrics['history_seconds']:,.0f}/s", f"{metrics['history_seconds']:.1f} s", "", "", "", "", "", "")

pg_point = mean("pg_point_1", "pg_point_2")
s = results["sqlite_point"]
errs = errors("sqlite_point")
row("SQLite point read: `GET /api/v1/day-types/{id}`", rate("sqlite_point"), "", f"PostgreSQL {pg_point:,.0f}/s",
    f"{s['rps'] / pg_point:.2f}x", f"{s['p99']:.1f} ms", "≥ PostgreSQL", verdict(s["rps"] >= pg_point, errs), errs or "none")
errs = errors("sqlite_point_mixed", "sqlite_writers")
row("SQLite point read beside 8 connections of `POST /api/v1/day-types` (same user)", rate("sqlite_point_mixed"),
    f"writes {rate('sqlite_writers')}", "", "", f"{results['sqlite_point_mixed']['p99']:.1f} ms (writes {results['sqlite_writers']['p99']:.1f} ms)",
    "—", "⚠ errors" if errs else "—", errs or "none")
s = results["sqlite_writes"]
errs = errors("sqlite_writes")
row("SQLite one user's writes: `POST /api/v1/day-types`", rate("sqlite_writes"), "", "", "", f"{s['p99']:.1f} ms",
    "≥ 2,000/s", verdict(s["rps"] >= 2000, errs), errs or "none")
searched("SQLite", "sqlite_search")
s = results["sqlite_complete"]
errs = errors("sqlite_complete")
row("SQLite completion, 32 users, 32 conns: `POST /api/v1/nodes/{id}/complete`", rate("sqlite_complete"), "", "",
    f"{s['rps'] / results['pg_complete']['rps']:.2f}x PostgreSQL", f"{s['p99']:.1f} ms", "—", "⚠ errors" if errs else "—", errs or "none")

memory("pg_reg_peak", "peak RSS (VmHWM) after 100 registrations", 64)
row("RSS after 100 registrations", mib("pg_reg_rss"), "", "", "", "", "", "", "")
memory("pg_load_peak", "peak RSS after the full PostgreSQL workload", 64)
memory("pg_steady_rss", "steady RSS, 3 s after the PostgreSQL workload", 40)
memory("sqlite_load_peak", "SQLite: peak RSS after its workload", 64)
memory("sqlite_steady_rss", "SQLite: steady RSS, 3 s after its workload", 40)
row("cold start, exec to first 200 from `/ready` (fresh database)",
    f"PostgreSQL {metrics['cold_pg']:.0f} ms", f"SQLite {metrics['cold_sqlite']:.0f} ms", "", "", "", "", "", "")
row("binary size", f"{metrics['binary_bytes'] / 1048576:.1f} MiB", "", "", "", "", "", "", "")
synced("PostgreSQL", "pg")
synced("SQLite", "sqlite")
print("\n".join(rows))
PY
}

# ---------------------------------------------------------------------------------------

[[ "$ONLY" == sync || "$ONLY" == recommend ]] || command -v wrk >/dev/null || fail "wrk is not installed (apt-get install wrk)"
[[ -z "$ONLY" || "$ONLY" == search || "$ONLY" == sync || "$ONLY" == recommend ]] ||
  fail "BENCH_ONLY=$ONLY: the selections are search, sync and recommend"
command -v node >/dev/null || fail "node (20 or later) is needed for the sync workloads"
if [[ -z "$ONLY" ]]; then
  command -v node >/dev/null && command -v npm >/dev/null || fail "node and npm are needed for the peer"
fi
[[ -z "$BENCH_PERF" ]] || mkdir -p "$BENCH_PERF"
if [[ "${BENCH_SKIP_BUILD:-}" != 1 ]]; then
  cargo build --release -q -p lifeos-gateway
fi
[[ -x "$BIN" ]] || fail "no executable server binary at $BIN"
BIN="$(realpath "$BIN")"
metric history "$HISTORY"
metric binary_bytes "$(stat -c %s "$BIN")"
log "binary: $BIN ($(du -h "$BIN" | cut -f1)), built $(date -u -r "$BIN" '+%F %T UTC'); HEAD $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
# A copy, so that a rebuild during the run cannot swap the binary between the two databases;
# beside the profiles with BENCH_PERF, so that perf report finds its symbols afterwards.
cp "$BIN" "${BENCH_PERF:-$WORK}/lifeos"
BIN="${BENCH_PERF:-$WORK}/lifeos"

if [[ "$ONLY" == search ]]; then
  bench_search_only
  against="alone (BENCH_ONLY=search)"
elif [[ "$ONLY" == sync ]]; then
  bench_sync_all
  against="alone (BENCH_ONLY=sync)"
elif [[ "$ONLY" == recommend ]]; then
  bench_recommend_all
  against="alone (BENCH_ONLY=recommend)"
else
  start_peer
  bench_postgres
  stop_pid "$PEER"; PEER=""
  drop_db "$PEER_DB"; PEER_DB=""
  bench_sqlite
  bench_sqlite_complete
  bench_sync_all
  against="vs Express+pg (node $(node --version), POOL=16)"
fi

TABLE="$WORK/table.md"
{
  printf 'lifeos %s %s, %s, wrk -t%s, %s s a run, %s cores%s\n\n' \
    "$(git rev-parse --short HEAD 2>/dev/null || echo '?')" "$against" "$(date -u '+%F %H:%M UTC')" \
    "$THREADS" "$DURATION" "$(nproc)" "${BENCH_PERF:+ (lifeos run 1 under perf record)}"
  table
} >"$TABLE"
echo
cat "$TABLE"
if [[ -n "${BENCH_OUT:-}" ]]; then
  cp "$TABLE" "$BENCH_OUT"
  log "table written to $BENCH_OUT"
fi
log "compare.sh: done in ${SECONDS} s"
