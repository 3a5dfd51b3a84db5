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

cd "$HERE"
npm ci --no-audit --no-fund
LIFEOS_BIN="$BIN" CHROMIUM_PATH="$CHROMIUM" node --test mail-links.test.mjs
