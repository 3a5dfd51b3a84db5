#!/usr/bin/env bash
# Apple Health import bench: the import rate (records/s, HRV/s) and the server's peak RSS
# for a generated export of MIB MiB (default 500), on SQLite.
#
#   just bench-health                       # 500 MiB export.xml
#   MIB=100 FORMAT=zip bash apps/gateway/bench/apple_health_import.sh
#
# It builds release binaries in a separate worktree (WORKTREE, default /tmp/lifeos-health-bench, at
# this checkout's HEAD) with their own target dir (BENCH_TARGET, default /tmp/bench-target),
# so the checkout's debug build is left alone. Then it generates the export with the
# committed generator, starts `lifeos serve` (LIFEOS_ENV=dev) on a fresh SQLite database in
# a temporary directory, registers a user, grants health_data, uploads the file with curl,
# polls the import to its end and prints the figures. Peak RSS is the server's VmHWM
# (/proc/<pid>/status) over its whole life: the upload and the import.
set -euo pipefail

MIB=${MIB:-500}
FORMAT=${FORMAT:-xml}
PORT=${PORT:-18089}
WORKTREE=${WORKTREE:-/tmp/lifeos-health-bench}
BENCH_TARGET=${BENCH_TARGET:-/tmp/bench-target}
REPO=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
HEAD_COMMIT=$(git -C "$REPO" rev-parse HEAD)

case "$FORMAT" in
  xml) ZIP_FLAG=(); CONTENT_TYPE=application/xml; FILE_NAME=export.xml ;;
  zip) ZIP_FLAG=(--zip); CONTENT_TYPE=application/zip; FILE_NAME=export.zip ;;
  *) echo "FORMAT must be xml or zip" >&2; exit 2 ;;
esac

if [ -d "$WORKTREE" ]; then
  git -C "$WORKTREE" checkout -q --detach "$HEAD_COMMIT"
else
  git -C "$REPO" worktree add -q --detach "$WORKTREE" "$HEAD_COMMIT"
fi
echo "building release binaries at ${HEAD_COMMIT:0:10} in $WORKTREE ..." >&2
(
  cd "$WORKTREE"
  CARGO_TARGET_DIR=$BENCH_TARGET cargo build -q --release -p lifeos-gateway
  CARGO_TARGET_DIR=$BENCH_TARGET cargo build -q --release -p lifeos-integrations --example health_export
)
LIFEOS=$BENCH_TARGET/release/lifeos
GENERATE=$BENCH_TARGET/release/examples/health_export

WORK=$(mktemp -d /tmp/health-bench.XXXXXX)
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

FILE=$WORK/$FILE_NAME
echo "generating a $MIB MiB export ($FORMAT) ..." >&2
GENERATED=$("$GENERATE" --mib "$MIB" --out "$FILE" "${ZIP_FLAG[@]}")
echo "  $GENERATED" >&2
field() { tr ' ' '\n' <<<"$GENERATED" | sed -n "s/^$1=//p"; }
EXPECTED_RECORDS=$(field records)
EXPECTED_HRV=$(field hrv)
FILE_BYTES=$(field file_bytes)

mkdir -p "$WORK/server"
(
  cd "$WORK/server"
  LIFEOS_ENV=dev \
  LIFEOS_BIND=127.0.0.1:$PORT \
  DATABASE_URL="sqlite://$WORK/server/data/lifeos.db" \
  LIFEOS_IMPORT_DIR="$WORK/imports" \
  LIFEOS_LOG_FORMAT=json \
  LIFEOS_METRICS_BIND=off \
  RUST_LOG=warn \
  exec "$LIFEOS" serve
) >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
BASE=http://127.0.0.1:$PORT
for _ in $(seq 1 100); do
  curl -sf "$BASE/health" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -sf "$BASE/health" >/dev/null || { echo "the server did not start:" >&2; cat "$WORK/server.log" >&2; exit 1; }
hwm() { awk '/^VmHWM/ {print $2}' "/proc/$SERVER_PID/status"; }
rss() { awk '/^VmRSS/ {print $2}' "/proc/$SERVER_PID/status"; }
IDLE_HWM=$(hwm)

TOKEN=$(curl -sf -H 'content-type: application/json' \
  -d '{"email":"bench@example.com","password":"correct horse battery"}' \
  "$BASE/api/v1/auth/register" | jq -r .accessToken)
curl -sf -X PUT -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \
  -d '{"granted":true}' "$BASE/api/v1/me/consents/health_data" >/dev/null

echo "uploading $FILE_BYTES bytes ..." >&2
UPLOAD_START=$(date +%s.%N)
STATUS=$(curl -sS -o "$WORK/accepted.json" -w '%{http_code}' \
  -H "authorization: Bearer $TOKEN" -H "content-type: $CONTENT_TYPE" \
  --data-binary "@$FILE" "$BASE/api/v1/integrations/apple-health/import")
UPLOAD_END=$(date +%s.%N)
if [ "$STATUS" != 202 ]; then
  echo "upload answered $STATUS: $(cat "$WORK/accepted.json")" >&2
  exit 1
fi
UPLOAD_HWM=$(hwm)
ID=$(jq -r .id "$WORK/accepted.json")

MAX_RSS=0
while :; do
  # The access token lives 15 minutes: sign in again when it is refused.
  VIEW=$(curl -s -H "authorization: Bearer $TOKEN" "$BASE/api/v1/integrations/apple-health/imports/$ID")
  if [ "$(jq -r .status <<<"$VIEW")" = null ]; then
    TOKEN=$(curl -sf -H 'content-type: application/json' \
      -d '{"email":"bench@example.com","password":"correct horse battery"}' \
      "$BASE/api/v1/auth/login" | jq -r .accessToken)
    continue
  fi
  NOW_RSS=$(rss)
  [ "$NOW_RSS" -gt "$MAX_RSS" ] && MAX_RSS=$NOW_RSS
  case "$(jq -r .status <<<"$VIEW")" in
    done | failed) break ;;
  esac
  sleep 1
done
PEAK_HWM=$(hwm)
echo "$VIEW" | jq . >&2

python3 - "$VIEW" "$UPLOAD_START" "$UPLOAD_END" "$FILE_BYTES" "$EXPECTED_RECORDS" "$EXPECTED_HRV" \
  "$IDLE_HWM" "$UPLOAD_HWM" "$PEAK_HWM" "$MAX_RSS" "$FORMAT" <<'PY'
import json, sys
from datetime import datetime
view = json.loads(sys.argv[1])
upload_start, upload_end = float(sys.argv[2]), float(sys.argv[3])
file_bytes, expected_records, expected_hrv = (int(a) for a in sys.argv[4:7])
idle_hwm, upload_hwm, peak_hwm, max_rss = (int(a) for a in sys.argv[7:11])
fmt = sys.argv[11]
parse = lambda t: datetime.fromisoformat(t.replace("Z", "+00:00"))
job = (parse(view["finishedAt"]) - parse(view["createdAt"])).total_seconds()
upload = upload_end - upload_start
mib = file_bytes / 1024 / 1024
hrv = view["imported"] + view["duplicates"]
print(f"status            {view['status']} {view.get('error') or ''}")
print(f"file              {mib:.1f} MiB {fmt}, {expected_records} records, {expected_hrv} HRV")
print(f"imported          {view['imported']} (duplicates {view['duplicates']}, skipped {view['skipped']}), records seen {view['recordsSeen']}")
print(f"upload            {upload:.1f} s ({mib / upload:.0f} MiB/s)")
print(f"import job        {job:.1f} s: {view['recordsSeen'] / job:,.0f} records/s, {hrv / job:,.0f} HRV/s, {mib / job:.0f} MiB/s")
print(f"upload + import   {upload + job:.1f} s: {view['recordsSeen'] / (upload + job):,.0f} records/s")
print(f"peak RSS (VmHWM)  {peak_hwm / 1024:.1f} MiB (idle {idle_hwm / 1024:.1f} MiB, after upload {upload_hwm / 1024:.1f} MiB, highest sampled VmRSS {max_rss / 1024:.1f} MiB)")
ok = view["status"] == "done" and view["recordsSeen"] == expected_records and view["imported"] == expected_hrv
sys.exit(0 if ok else 1)
PY
