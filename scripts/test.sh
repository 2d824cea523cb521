#!/usr/bin/env bash
# Runs every test: Rust unit and integration tests (on SQLite, on PostgreSQL too when
# ANPR_TEST_POSTGRES_URL names a server, e.g. postgres://postgres@127.0.0.1:5432/postgres, and on
# Citus when ANPR_TEST_CITUS_URL names a cluster's coordinator: .ci/run starts one),
# then a bounded schema-driven run of the API's contract (schemathesis) and the Playwright
# browser tests in Debian's Chromium, both against the release build.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/build-site.sh --browser || exit 1

if [ -n "${ANPR_TEST_POSTGRES_URL:-}" ]; then
  echo "== Rust tests on SQLite and PostgreSQL"
else
  echo "== Rust tests on SQLite (set ANPR_TEST_POSTGRES_URL to add PostgreSQL)"
fi
if [ -n "${ANPR_TEST_CITUS_URL:-}" ]; then
  echo "== … and on Citus ($ANPR_TEST_CITUS_URL)"
else
  echo "== The Citus backend is NOT tested (set ANPR_TEST_CITUS_URL to a Citus coordinator to add it)"
fi
echo "== Lints (clippy, warnings are errors)"
cargo clippy --workspace -- -D warnings
clippy_status=$?

# The S3 image store is tested against rclone's S3 server (installed by setup.sh).
export ANPR_TEST_RCLONE="${ANPR_TEST_RCLONE:-$PWD/target/tools/py/bin/rclone}"

mkdir -p target
cargo test --workspace --no-fail-fast 2>&1 | tee target/rust-tests.log
rust_status=${PIPESTATUS[0]}
rust_passed=$(grep -Eo '[0-9]+ passed' target/rust-tests.log | awk '{ s += $1 } END { print s + 0 }')
rust_failed=$(grep -Eo '[0-9]+ failed' target/rust-tests.log | awk '{ s += $1 } END { print s + 0 }')

# The API's contract exercised against a live release server (scripts/schemathesis.sh): requests
# generated from the OpenAPI document as each demo account; no 5xx, every answer as documented.
# A few minutes at most.
echo "== Schema-driven API run (schemathesis, bounded)"
timeout 600 scripts/schemathesis.sh target/release/server
schema_status=$?
schema_failed=$(( schema_status == 0 ? 0 : 1 ))

echo "== Browser tests (Playwright + /usr/bin/chromium)"
(cd end2end && PLAYWRIGHT_JSON_OUTPUT_NAME=test-results/results.json npx playwright test --reporter=list,json)
e2e_status=$?
read -r e2e_passed e2e_failed < <(node -e '
  try {
    const s = require("./end2end/test-results/results.json").stats;
    console.log(s.expected + s.flaky, s.unexpected);
  } catch (e) { console.log("0 1"); }')

echo
echo "rust tests: $rust_passed passed, $rust_failed failed"
echo "browser tests: $e2e_passed passed, $e2e_failed failed"
if [ "$schema_status" -eq 0 ]; then echo "schema-driven run: passed"; else echo "schema-driven run: failed"; fi
echo "all tests: $((rust_passed + e2e_passed + 1 - schema_failed)) passed, $((rust_failed + e2e_failed + schema_failed)) failed"
[ "$clippy_status" -eq 0 ] || echo "clippy: failed"
[ "$clippy_status" -eq 0 ] && [ "$rust_status" -eq 0 ] && [ "$schema_status" -eq 0 ] && [ "$e2e_status" -eq 0 ]
