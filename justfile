# lifeos development recipes. `just` lists them.

# List recipes
default:
    @just --list

# Serve on http://127.0.0.1:8080 (SQLite at ./data/lifeos.db unless DATABASE_URL is set; the web app at / once `just web` has built it)
run:
    cargo run --release -p lifeos-gateway

# Run every test on SQLite
test:
    cargo test --workspace

# Run every test on SQLite and PostgreSQL
test-pg:
    TEST_DATABASE_URL=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test} cargo test --workspace

# Format check and clippy with warnings as errors
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings

# Regenerate the committed OpenAPI contract
openapi:
    cargo run -q -p lifeos-gateway -- openapi > openapi/openapi.json

# Regenerate the OpenAPI contract and the TypeScript SDK types
sdk: openapi
    npm --prefix sdk/typescript run generate

# Run the TypeScript SDK tests against the real binary
sdk-test:
    cargo build -p lifeos-gateway
    npm --prefix sdk/typescript ci
    npm --prefix sdk/typescript test

# Build the web app (apps/web on the SDK); the next cargo build embeds it at /
web:
    npm --prefix sdk/typescript ci
    npm --prefix apps/web ci
    npm --prefix apps/web run build

# The web app in Chromium (Playwright + axe) against the binary, serving apps/web/dist
web-test: web
    cargo build -p lifeos-gateway
    LIFEOS_WEB_DIR=apps/web/dist bash apps/web/e2e/run.sh

# Side-by-side benchmark against the Express+pg peer, PostgreSQL and SQLite, one markdown table (under 5 minutes; optional: seconds per run)
bench *seconds:
    bash apps/gateway/bench/compare.sh {{seconds}}

# Apple Health import: records/s and peak RSS for a generated 500 MiB export (MIB=, FORMAT=zip)
bench-health:
    bash apps/gateway/bench/apple_health_import.sh

# Full load benchmark of every workload on SQLite and PostgreSQL (optional: seconds per run)
bench-full *seconds:
    bash apps/gateway/bench/run.sh {{seconds}}

# Everything CI runs
ci:
    bash .ci/run

# Property-based API testing (schemathesis, every check, SQLite and PostgreSQL): no 5xx, only documented rejections
fuzz examples="20":
    bash apps/gateway/fuzz/schemathesis.sh both {{examples}}

# Sync's property test at soak strength: 10,000 cases on SQLite (and PostgreSQL when TEST_DATABASE_URL is set)
soak cases="10000":
    PROPTEST_CASES={{cases}} cargo test --release -p lifeos-gateway --test api sync_property -- --nocapture

# Off-policy evaluation on a simulated population: rules-v0 logs, every policy is estimated (IPS, SNIPS) beside its true value
simulate *args:
    cargo run -q --release -p lifeos-recommender --example simulate -- {{args}}
