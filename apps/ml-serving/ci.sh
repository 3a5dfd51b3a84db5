#!/usr/bin/env bash
# The scoring sidecar's tests: a venv under ${TMPDIR:-/tmp}, the pinned requirements from
# PyPI, pytest. With LIFEOS_BIN (a built `lifeos` binary) the end-to-end test runs too.
set -euo pipefail
trap 'echo "ml-serving ci: FAILED (line $LINENO, exit $?)" >&2' ERR

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${TMPDIR:-/tmp}/lifeos-ml-serving-venv"
python="${PYTHON:-python3.11}"
command -v "$python" >/dev/null || python=python3

# vowpalwabbit ships wheels for the CPython versions it was built for: say so, not a compile error.
"$python" - <<'PY'
import sys
if sys.version_info[:2] != (3, 11):
    sys.exit(f"ml-serving ci: needs Python 3.11 (vowpalwabbit 9.11 wheel), found {sys.version.split()[0]}")
PY

if [[ -n "${LIFEOS_BIN:-}" && ! -x "$LIFEOS_BIN" ]]; then
    echo "ml-serving ci: LIFEOS_BIN=$LIFEOS_BIN is not an executable" >&2
    exit 1
fi

# A venv is reused only for the same requirements.
stamp="$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)"
if [[ ! -x "$venv/bin/python" || "$(cat "$venv/.requirements" 2>/dev/null)" != "$stamp" ]]; then
    rm -rf "$venv"
    "$python" -m venv "$venv"
    "$venv/bin/pip" install --disable-pip-version-check -q -r "$here/requirements.txt"
    echo "$stamp" >"$venv/.requirements"
fi

cd "$here"
if [[ -z "${LIFEOS_BIN:-}" ]]; then
    echo "ml-serving ci: LIFEOS_BIN not set, the end-to-end test is skipped" >&2
fi
"$venv/bin/python" -m pytest -q -p no:cacheprovider -rs
