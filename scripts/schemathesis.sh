#!/usr/bin/env bash
# A schema-driven run against a live server: schemathesis (PyPI, pinned) reads the API's contract
# from the server (/api/v1/openapi.json) and sends the requests it generates from it, signed in
# as each demo account in turn (the demo admin last, whose changes could spoil the others' runs)
# and saying that each call comes from the site itself (Sec-Fetch-Site: same-origin), with a
# feed's API key for the ingest routes. It checks that no answer is a 5xx and that every answer
# matches the schema the contract gives it. Bounded: each account's run has a time budget and a
# small number of examples per operation, the whole step a hard timeout.
#
#   scripts/schemathesis.sh [SERVER_BINARY]    (default: target/release/server)
#
# Sign-out (it would end the run's own session) and the event streams (they never end) are left
# out. A fresh embedded database is made for the run and removed after it.
set -euo pipefail
cd "$(dirname "$0")/.."

server=${1:-target/release/server}
users=${SCHEMATHESIS_USERS:-"investigator analyst inspector hotlists auditor admin"}
per_user_seconds=${SCHEMATHESIS_SECONDS:-25}
port=${SCHEMATHESIS_PORT:-3117}
base="http://127.0.0.1:$port"
password="schemathesis demo password"
venv="$PWD/target/tools/schemathesis"

if [ ! -x "$venv/bin/st" ]; then
  echo "== installing schemathesis 4.32.5 (PyPI) into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet schemathesis==4.32.5
fi
[ -x "$server" ] || { echo "no server binary at $server: build it first" >&2; exit 2; }

data=$(mktemp -d)
ANPR_LISTEN="127.0.0.1:$port" ANPR_DATABASE_URL="sqlite://$data/anpr.db" ANPR_SITE_ROOT="target/site" \
  ANPR_IMAGES_URL="file://$data/images" ANPR_DEMO_PASSWORD="$password" \
  "$server" serve --demo >"$data/server.log" 2>&1 &
pid=$!
cleanup() {
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -rf "$data"
}
trap cleanup EXIT

for _ in $(seq 60); do
  curl -fs "$base/healthz" >/dev/null 2>&1 && break
  sleep 1
done
curl -fs "$base/healthz" >/dev/null || { echo "the server did not start:" >&2; cat "$data/server.log" >&2; exit 2; }

# The session cookie of `user`, signed in as the API's clients do.
session() {
  curl -fs -c - -o /dev/null -H 'Content-Type: application/json' -H 'Sec-Fetch-Site: same-origin' \
    -d "{\"username\":\"$1\",\"password\":\"$password\"}" "$base/api/v1/auth/login" |
    awk '$6 == "anpr_session" { print $7 }'
}

admin_cookie=$(session admin)
api_key=$(curl -fs -H "Cookie: anpr_session=$admin_cookie" -H 'Content-Type: application/json' \
  -H 'Sec-Fetch-Site: same-origin' -d '{"name":"schemathesis feed"}' "$base/api/v1/feeds" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["api_key"])')

status=0
for user in $users; do
  echo "== schemathesis as $user (${per_user_seconds}s)"
  cookie=$(session "$user")
  [ -n "$cookie" ] || { echo "could not sign in as $user" >&2; status=1; continue; }
  # Run from the temporary folder: schemathesis keeps its example database where it runs.
  (cd "$data" && timeout $((per_user_seconds + 90)) "$venv/bin/st" run "$base/api/v1/openapi.json" \
    --checks not_a_server_error,response_schema_conformance \
    --phases examples,coverage,fuzzing \
    --max-examples 10 --max-time "$per_user_seconds" --request-timeout 10 --workers 1 \
    --exclude-path /api/v1/auth/logout --exclude-path-regex '/live$' \
    -H "Cookie: anpr_session=$cookie" -H "Sec-Fetch-Site: same-origin" -H "X-Api-Key: $api_key" \
    --no-color) || status=1
done

if grep -q 'request failed' "$data/server.log"; then
  echo "== the server logged failures:"
  grep 'request failed' "$data/server.log" | sort | uniq -c | head -20
  status=1
fi
exit "$status"
