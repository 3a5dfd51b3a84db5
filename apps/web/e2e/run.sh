#!/usr/bin/env bash
# The web app (apps/web) in a real Chromium against the built lifeos binary:
# ${LIFEOS_BIN:-target/debug/lifeos}, relative paths from the repository root. Works from
# any directory. Installs Debian's chromium when ${CHROMIUM_PATH:-/usr/bin/chromium} is
# missing, installs apps/web's pinned packages (npm ci), builds the app only when
# apps/web/dist is missing, and passes LIFEOS_WEB_DIR on when it is set. Every test runs
# on SQLite; with TEST_DATABASE_URL set, core and offline run on PostgreSQL too (a fresh
# database each, through psql). Any failure stops the run loudly.
set -Eeuo pipefail
trap 'echo "::error:: apps/web/e2e/run.sh failed at line $LINENO: $BASH_COMMAND" >&2' ERR

HERE="$(cd "$(dirname "$0")" && pwd)"
WEB="$(cd "$HERE/.." && pwd)"
ROOT="$(cd "$WEB/../.." && pwd)"

BIN="${LIFEOS_BIN:-target/debug/lifeos}"
[[ "$BIN" = /* ]] || BIN="$ROOT/$BIN"
if [[ ! -x "$BIN" ]]; then
  echo "::error:: lifeos binary not found at $BIN: run cargo build -p lifeos-gateway (or set LIFEOS_BIN)" >&2
  exit 1
fi

CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [[ ! -x "$CHROMIUM" && -z "${CHROMIUM_PATH:-}" ]]; then
  echo "Chromium is missing: installing Debian's chromium"
  SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  $SUDO apt-get update -q
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium
fi
if [[ ! -x "$CHROMIUM" ]]; then
  echo "::error:: no Chromium at $CHROMIUM" >&2
  exit 1
fi
"$CHROMIUM" --version

cd "$WEB"
if [[ ! -d node_modules/playwright-core || ! -d node_modules/axe-core ]]; then
  npm ci --no-audit --no-fund
fi
if [[ ! -f dist/index.html ]]; then
  echo "apps/web/dist is missing: building the app"
  npm run build
fi

WEB_DIR_ENV=()
if [[ -n "${LIFEOS_WEB_DIR:-}" ]]; then
  [[ "$LIFEOS_WEB_DIR" = /* ]] || LIFEOS_WEB_DIR="$ROOT/$LIFEOS_WEB_DIR"
  WEB_DIR_ENV=(LIFEOS_WEB_DIR="$LIFEOS_WEB_DIR")
fi
echo "== the web app's browser tests on SQLite"
env "${WEB_DIR_ENV[@]}" LIFEOS_BIN="$BIN" CHROMIUM_PATH="$CHROMIUM" LIFEOS_WEB_DB=sqlite \
  node --test --test-concurrency=1 e2e/*.test.mjs
# The core loop and the offline sync once more on PostgreSQL, when a server is given.
if [[ -n "${TEST_DATABASE_URL:-}" ]]; then
  echo "== core and offline tests on PostgreSQL ($TEST_DATABASE_URL, a fresh database each)"
  env "${WEB_DIR_ENV[@]}" LIFEOS_BIN="$BIN" CHROMIUM_PATH="$CHROMIUM" LIFEOS_WEB_DB=postgres \
    node --test --test-concurrency=1 e2e/core.test.mjs e2e/offline.test.mjs
fi
