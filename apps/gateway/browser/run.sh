#!/usr/bin/env bash
# The mail-link pages (/verify-email, /magic-link) in a real Chromium against the built
# lifeos binary: ${LIFEOS_BIN:-target/debug/lifeos}, relative paths from the repository
# root (build it first: cargo build -p lifeos-gateway). Installs Debian's chromium when
# ${CHROMIUM_PATH:-/usr/bin/chromium} is missing, then the pinned playwright-core (npm ci).
# Any failure stops the run loudly.
set -Eeuo pipefail
trap 'echo "::error:: apps/gateway/browser/run.sh failed at line $LINENO: $BASH_COMMAND" >&2' ERR

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"

# shellcheck source=../../web/e2e/ensure-chromium.sh
source "$ROOT/apps/web/e2e/ensure-chromium.sh"

cd "$HERE"
npm ci --no-audit --no-fund
LIFEOS_BIN="$BIN" CHROMIUM_PATH="$CHROMIUM" node --test mail-links.test.mjs
