# Sourced (not run) by the browser-test scripts, apps/web/e2e/run.sh and
# apps/gateway/browser/run.sh, after `set -Eeuo pipefail`, with ROOT set to the repository
# root. Sets BIN to the lifeos binary (${LIFEOS_BIN:-target/debug/lifeos}, relative paths
# from ROOT) and fails loudly when it is missing; sets CHROMIUM to
# ${CHROMIUM_PATH:-/usr/bin/chromium}, installing Debian's chromium first when the default
# is missing (never another download), fails loudly when there is none, and prints its version.

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
