#!/usr/bin/env bash
# One PostgreSQL and a Citus cluster side by side, on the same data, in one run (R4 at a nation's
# scale; docs/PERFORMANCE.md, "Citus beside one PostgreSQL"). For each: a fresh database, the
# release server on it with its background jobs, ingest in batches and one read a POST through
# HTTP, then (server stopped) a year of reads filled and vehicle-history, misread and area
# searches timed, a day purged, and the plans' task counts on Citus.
#
#   server/tools/side-by-side.sh POSTGRES_URL COORDINATOR_URL [BATCHED_READS] [YEAR_READS]
#
# Both URLs name a database to administer from (`postgres`); the measured database `anpr_sbs`
# is made afresh beside it. Needs `cargo build --release -p server -p tools` first.
set -euo pipefail
cd "$(dirname "$0")/../.."
pg_admin=$1 citus_admin=$2 batched=${3:-1000000} year=${4:-3000000}
server=target/release/server tools=target/release/anpr-lab
db=anpr_sbs
on() { echo "${1%/*}/$2"; }
stamp() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*"; }

fresh_postgres() {
  psql "$pg_admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
}

# As the README's Citus section says: the database on every node, the extension in each, the
# coordinator in its own metadata, the workers added.
fresh_citus() {
  psql "$citus_admin" -qc "SET citus.enable_create_database_propagation = on" \
    -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
  local url; url=$(on "$citus_admin" $db)
  psql "$citus_admin" -Atc "SELECT nodename || ' ' || nodeport || ' ' || groupid FROM pg_dist_node ORDER BY nodeid" |
    while read -r host port group; do
      if [ "$group" = 0 ]; then
        psql "$url" -qc "CREATE EXTENSION citus" -c "SELECT citus_set_coordinator_host('$host', $port)" >/dev/null
      else
        psql "postgres://postgres@$host:$port/$db" -qc "CREATE EXTENSION citus"
        psql "$url" -qc "SELECT citus_add_node('$host', $port)" >/dev/null
      fi
    done
}

measure() {
  local name=$1 url=$2 port=$3
  stamp "== $name: $url"
  ANPR_DATABASE_URL=$url ANPR_LISTEN=127.0.0.1:$port ANPR_IMAGES_URL=file:///tmp/anpr-sbs-images \
    $server serve >"/tmp/anpr-sbs-$name.log" 2>&1 &
  local pid=$!
  for _ in $(seq 120); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 1; done
  stamp "$name: ingest, batches of 1,000, 4 in flight"
  ANPR_DATABASE_URL=$url $tools load --url "http://127.0.0.1:$port" --reads "$batched" --seed 1
  stamp "$name: ingest, one read a POST, 16 in flight"
  ANPR_DATABASE_URL=$url $tools load --url "http://127.0.0.1:$port" --reads 20000 --batch 1 --concurrency 16 --seed 2
  kill "$pid"; wait "$pid" || true
  stamp "$name: a year of reads, then searches"
  ANPR_DATABASE_URL=$url $tools search-load --reads "$year" --queries 200
  stamp "$name: purge of a day"
  ANPR_DATABASE_URL=$url $tools purge-load --days 1 --per-day 500000 --on-cutoff-day 10000
}

fresh_postgres
measure postgres "$(on "$pg_admin" $db)" 3471
fresh_citus
measure citus "$(on "$citus_admin" $db)" 3472

stamp "== Citus plans: tasks for a plate lookup and for an area search"
citus=$(on "$citus_admin" $db)
plate=$(psql "$citus" -Atc "SELECT plate FROM reads LIMIT 1")
for sql in "SELECT * FROM reads WHERE plate = '$plate'" "SELECT * FROM reads WHERE camera_id IN (1, 2)"; do
  plan=$(psql "$citus" -Atc "EXPLAIN $sql")
  printf '%s: %s\n' "$sql" "$(grep -m1 'Task Count' <<<"$plan")"
done
