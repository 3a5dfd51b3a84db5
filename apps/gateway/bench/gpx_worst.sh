#!/usr/bin/env bash
# Worst-case CPU of a GPX upload: builds adversarial GPX files up to the 10 MiB body limit
# (deep nesting, nesting at the depth limit repeated, wide flat elements, the most track
# points, long attributes and texts, entities, namespaces, a DOCTYPE, comments, ...),
# uploads each once to POST /api/v1/hikes/import-gpx and prints the server's CPU time for
# it (utime + stime of the server process from /proc/<pid>/stat, before and after), the
# status and the problem code. The target is at most 2 s of CPU per upload on the release
# build. Loopback only; one upload at a time, so the figures are not contended.
#
# Usage: bench/gpx_worst.sh [case ...]   (default: every case; names as printed)
# Environment:
#   BENCH_PORT          port on 127.0.0.1 (default 18081)
#   BENCH_BIN           server binary (default target/release/lifeos, relative to the workspace)
#   BENCH_SKIP_BUILD=1  do not run `cargo build --release` (use a binary built beforehand)
#   BENCH_DATABASE_URL  database (default: a fresh SQLite file, so the store's CPU is in the
#                       server process and counted too)
#   BENCH_KEEP=DIR      also write the generated files to DIR
set -Eeuo pipefail
cd "$(dirname "$0")/../../.."
PORT="${BENCH_PORT:-18081}"
BIN="${BENCH_BIN:-target/release/lifeos}"
CREDENTIALS='{"email":"gpx-bench@example.com","password":"correct horse battery"}'
SECRET="bench-secret-bench-secret-bench-secret-0123456789"
BASE="http://127.0.0.1:$PORT"
WORK="$(mktemp -d)"
SERVER=""
TICKS="$(getconf CLK_TCK)"

cleanup() {
  if [[ -n "$SERVER" ]]; then
    kill "$SERVER" 2>/dev/null || true
    wait "$SERVER" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'echo "gpx_worst.sh: failed at line $LINENO: $BASH_COMMAND" >&2' ERR

if [[ "${BENCH_SKIP_BUILD:-}" != 1 ]]; then
  cargo build --release -q -p lifeos-gateway
fi
if [[ ! -x "$BIN" ]]; then
  echo "gpx_worst.sh: no executable server binary at $BIN" >&2
  exit 1
fi
BIN="$(realpath "$BIN")"

# The generator: writes DIR/<case>.gpx for every case (or the named ones), each <= 10 MiB.
cat >"$WORK/gen.py" <<'PYTHON'
"""Adversarial GPX files up to the 10 MiB body limit, built against the parser's bounds
(crates/tracking/src/hikes/gpx.rs: MAX_DEPTH, MAX_ELEMENTS, MAX_NAMESPACES, MAX_FUEL, MAX_POINTS,
MAX_SEGMENTS).
Usage: gen.py DIR [case ...]"""
import os
import sys

LIMIT = 10 * 1024 * 1024
MAX_DEPTH, MAX_ELEMENTS, MAX_NAMESPACES, MAX_FUEL, MAX_POINTS, MAX_SEGMENTS = 32, 500_000, 32, 6_000_000, 200_000, 10_000
HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
        '<gpx version="1.1" creator="bench" xmlns="http://www.topografix.com/GPX/1/1">')
TAIL = "</gpx>"
ONE_POINT = '<trk><trkseg><trkpt lat="47" lon="11"/></trkseg>'


def fill(prefix, unit, suffix, cap=None):
    """prefix + as many units as fit in LIMIT (at most cap) + suffix."""
    size = lambda text: len(text.encode())
    n = (LIMIT - size(prefix) - size(suffix)) // size(unit)
    return prefix + unit * (n if cap is None else min(n, cap)) + suffix


def in_extensions(unit, cap=None, head=HEAD):
    """A one-point track whose <extensions> (3 levels deep) repeat unit: the gpx crate
    skips extensions, so only the XML parser works on them."""
    return fill(head + ONE_POINT + "<extensions>", unit, "</extensions></trk>" + TAIL, cap)


def in_text(unit):
    return fill(HEAD + "<metadata><desc>", unit, "</desc></metadata>" + TAIL)


def nested(levels):
    return HEAD + "<a>" * levels + "</a>" * levels + TAIL


def chain(levels):
    return "<a>" * levels + "</a>" * levels


def points(make, cap=None, head=HEAD):
    """A track of as many points from make(i) as fit (at most cap)."""
    room = LIMIT - len(head) - 100
    out, size, i = [], 0, 0
    while cap is None or i < cap:
        p = make(i)
        if size + len(p) > room:
            break
        out.append(p)
        size += len(p)
        i += 1
    return head + "<trk><trkseg>" + "".join(out) + "</trkseg></trk>" + TAIL


def clock(i):
    s = i % 86400
    return f"2026-02-08T{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}Z"


def minimal_point(i):
    return f'<trkpt lat="{47 + i * 1e-6:.6f}" lon="11.000000"/>'


def recorded_point(i):
    return (f'<trkpt lat="{47 + i * 1e-6:.6f}" lon="{11 + i * 1e-6:.6f}">'
            f'<ele>{1000 + (i % 500) / 10:.1f}</ele><time>{clock(i)}</time></trkpt>')


def garmin_point(i):
    return (f'<trkpt lat="{47 + i * 1e-6:.6f}" lon="{11 + i * 1e-6:.6f}">'
            f'<ele>{1000 + (i % 500) / 10:.1f}</ele><time>{clock(i)}</time><extensions>'
            '<gpxtpx:TrackPointExtension><gpxtpx:atemp>12</gpxtpx:atemp>'
            f'<gpxtpx:hr>{120 + i % 40}</gpxtpx:hr><gpxtpx:cad>80</gpxtpx:cad>'
            '</gpxtpx:TrackPointExtension></extensions></trkpt>')


def declaring(count):
    """HEAD with count extra namespace declarations on the root."""
    decls = "".join(f'xmlns:n{i}="http://example.com/ns/{i}" ' for i in range(count))
    return HEAD.replace("<gpx ", "<gpx " + decls)


def cases():
    inner = MAX_DEPTH - 3  # under gpx > trk > extensions
    # Refused: the issue's shapes, and deeper.
    yield "nested_100k", nested(100_000)
    yield "nested_200k", nested(200_000)
    yield "nested_10mib", nested((LIMIT - len(HEAD) - len(TAIL)) // 7)
    yield "nested_over_limit_by_one", in_extensions(chain(inner + 1), cap=1)
    # At the depth limit, repeated until the element limit, and until 10 MiB.
    yield "nested_at_limit_to_element_limit", in_extensions(chain(inner), cap=(MAX_ELEMENTS - 5) // inner)
    yield "nested_at_limit_to_10mib", in_extensions(chain(inner))
    # Wide: flat elements up to the element limit, and past it.
    yield "flat_at_element_limit", in_extensions("<a/>", cap=MAX_ELEMENTS - 5)
    yield "flat_attributes_at_element_limit", in_extensions('<a b="1" c="2" d="3" e="4" f="5" g="6" h="7" i="8"/>', cap=MAX_ELEMENTS - 5)
    yield "flat_to_10mib", in_extensions("<a/>")
    # Namespaces times elements, at 97% of the fuel, shallow and at the depth limit.
    for ns in (8, 16, MAX_NAMESPACES - 1):
        for depth in (4, MAX_DEPTH):
            per = 6 + ns + 1 + depth // 4
            count = int(MAX_FUEL * 0.97) // per
            levels = depth - 3
            body = chain(levels) * (count // levels) if levels > 1 else "<a/>" * count
            yield f"fuel_ns{ns}_depth{depth}", declaring(ns) + ONE_POINT + "<extensions>" + body + "</extensions></trk>" + TAIL
    yield "namespaces_over_limit", in_extensions("<a/>", cap=MAX_ELEMENTS - 5, head=declaring(MAX_NAMESPACES))
    yield "namespaces_200k_on_root", in_extensions("<a/>", head=declaring(200_000))
    decl = "".join(f' xmlns:n{i}="u"' for i in range(4))
    yield "namespaces_per_level", in_extensions(f"<b{decl}>" * inner + "</b>" * inner)
    # Real-looking tracks: the most points, dense points, recorder and Garmin points.
    yield "points_at_max", points(minimal_point, cap=MAX_POINTS)
    yield "points_recorded_10mib", points(recorded_point)
    yield "points_garmin_10mib", points(garmin_point, head=declaring(0).replace(
        "<gpx ", '<gpx xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1" '))
    yield "points_over_max", points(lambda i: '<trkpt lat="1" lon="1"/>')
    yield "points_with_100_attributes", points(lambda i: '<trkpt lat="47" lon="11" ' + "".join(f'a{j}="1" ' for j in range(100)) + "/>")
    yield "segments_one_point_each", fill(HEAD + "<trk>", '<trkseg><trkpt lat="47" lon="11"/></trkseg>', "</trk>" + TAIL, cap=MAX_POINTS)
    twenty = "<trkseg>" + "".join(minimal_point(i) for i in range(MAX_POINTS // MAX_SEGMENTS)) + "</trkseg>"
    yield "segments_at_limit_with_max_points", HEAD + "<trk>" + twenty * (MAX_SEGMENTS - 1) + "</trk>" + TAIL
    yield "tracks_one_point_each", fill(HEAD, '<trk><trkseg><trkpt lat="47" lon="11"/></trkseg></trk>', TAIL, cap=MAX_POINTS)
    yield "waypoints_to_element_limit", fill(HEAD, '<wpt lat="1" lon="1"/>', ONE_POINT + "</trk>" + TAIL, cap=MAX_ELEMENTS - 5)
    # Long values, text, references.
    yield "long_attribute", points(lambda i: '<trkpt lat="47" lon="11" x="' + "a" * (LIMIT - 400) + '"/>', cap=1)
    yield "long_element_name", in_extensions("<" + "a" * 200_000 + "/>")
    yield "many_attributes_one_element", points(lambda i: "<trkpt " + "".join(f'a{j}="" ' for j in range(60_000)) + 'lat="47" lon="11"/>', cap=1)
    yield "long_text", in_text("a")
    yield "multibyte_text", in_text("\u00e9\u4e2d\U0001F600")
    yield "entity_references", in_text("&amp;")
    yield "character_references", in_text("&#x1F600;")
    yield "cdata_sections", in_text("<![CDATA[a]]>")
    yield "comments", in_extensions("<!---->")
    yield "processing_instructions", in_extensions("<?p?>")
    yield "whitespace", fill(HEAD, " ", TAIL)
    # Entity expansion (a DOCTYPE): each reference would expand into 100,000 elements.
    yield "doctype_entities", ('<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY e "' + "<a/>" * 100_000 + '">]>'
                               + HEAD.split("\n", 1)[1] + ONE_POINT + "<extensions>"
                               + "&e;" * 1_000_000 + "</extensions></trk>" + TAIL)


def main():
    out, only = sys.argv[1], set(sys.argv[2:])
    os.makedirs(out, exist_ok=True)
    for name, text in cases():
        if only and name not in only:
            continue
        data = text.encode()
        assert len(data) <= LIMIT, (name, len(data))
        with open(os.path.join(out, name + ".gpx"), "wb") as f:
            f.write(data)
        print(f"{name}.gpx {len(data)}")


main()
PYTHON

mkdir -p "$WORK/files"
python3 "$WORK/gen.py" "$WORK/files" "$@" >/dev/null
if [[ -n "${BENCH_KEEP:-}" ]]; then
  mkdir -p "$BENCH_KEEP" && cp "$WORK"/files/*.gpx "$BENCH_KEEP"/
fi

DATABASE_URL="${BENCH_DATABASE_URL:-sqlite://$WORK/bench.db}" LIFEOS_BIND="127.0.0.1:$PORT" LIFEOS_ENV=prod LIFEOS_VAULT_KEYS="fuzz:a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s=" LIFEOS_REGISTRATION=open LIFEOS_METRICS_BIND=off \
  LIFEOS_JWT_SECRET="$SECRET" LIFEOS_MAIL_DIR="$WORK/mail" RUST_LOG=warn \
  "$BIN" serve >"$WORK/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 100); do
  kill -0 "$SERVER" 2>/dev/null || break # exited early
  curl -fs "$BASE/ready" >/dev/null 2>&1 && break
  sleep 0.1
done
if ! curl -fs "$BASE/ready" >/dev/null 2>&1; then
  echo "gpx_worst.sh: the server did not become ready; its output:" >&2
  cat "$WORK/server.log" >&2; exit 1
fi
token() {
  python3 -c 'import json,sys; print(json.load(sys.stdin)["accessToken"])'
}
curl -fsS -X POST "$BASE/api/v1/auth/register" -H 'content-type: application/json' -d "$CREDENTIALS" | token >"$WORK/token"

# utime + stime of the server so far, in clock ticks (fields 14 and 15 of /proc/<pid>/stat,
# counted after the command name, which may hold spaces).
cpu_ticks() {
  sed 's/.*) //' "/proc/$SERVER/stat" | awk '{ print $12 + $13 }'
}

echo "binary: $BIN; CPU per upload from /proc/$SERVER/stat (clock ticks of 1/$TICKS s)"
printf '%-34s %10s %7s %-18s %8s %8s\n' case bytes status code "cpu s" "wall s"
worst_cpu=0 worst_case="" token_at=$(date +%s)
for file in "$WORK"/files/*.gpx; do
  name="$(basename "$file" .gpx)"
  # Access tokens live 15 minutes and logins are rate-limited: a fresh one every 10 minutes,
  # taken outside the measured window.
  if (( $(date +%s) - token_at > 600 )); then
    curl -fsS -X POST "$BASE/api/v1/auth/login" -H 'content-type: application/json' -d "$CREDENTIALS" | token >"$WORK/token"
    token_at=$(date +%s)
  fi
  sleep 0.2
  before=$(cpu_ticks)
  start=$(date +%s.%N)
  status=$(curl -sS -o "$WORK/reply.json" -w '%{http_code}' -X POST "$BASE/api/v1/hikes/import-gpx?date=2026-02-08" \
    -H "Authorization: Bearer $(cat "$WORK/token")" -H 'content-type: application/gpx+xml' --data-binary "@$file")
  end=$(date +%s.%N)
  after=$(cpu_ticks)
  code=$(python3 -c 'import json,sys
try: print(json.load(open(sys.argv[1])).get("code") or "-")
except Exception: print("?")' "$WORK/reply.json")
  cpu=$(awk -v a="$after" -v b="$before" -v t="$TICKS" 'BEGIN { printf "%.2f", (a - b) / t }')
  wall=$(awk -v a="$end" -v b="$start" 'BEGIN { printf "%.2f", a - b }')
  printf '%-34s %10s %7s %-18s %8s %8s\n' "$name" "$(stat -c %s "$file")" "$status" "$code" "$cpu" "$wall"
  if awk -v c="$cpu" -v w="$worst_cpu" 'BEGIN { exit !(c > w) }'; then
    worst_cpu=$cpu worst_case=$name
  fi
done
echo "worst: $worst_case, ${worst_cpu} s of CPU (target <= 2 s)"
