#!/usr/bin/env bash
# A day of reads into one PostgreSQL through the release server, million by million, beside
# PostgreSQL's own COPY of the same rows into the same schema (R4; docs/PERFORMANCE.md, "Ingest
# in batches, PostgreSQL").
#
#   server/tools/day-of-reads.sh ADMIN_URL [MILLIONS] [VEHICLES] [COPIED_MILLIONS]
#
# ADMIN_URL names a database to administer from (`postgres`); `anpr_day` and `anpr_copy` are
# made afresh beside it. MILLIONS (default 10: a force's day) runs of a million reads each, all
# on one day, drawn from VEHICLES vehicles (default 3 million: a vehicle is read about three
# times a day). The server runs with its background jobs. Then the rows of the first
# COPIED_MILLIONS runs (default all) are copied out and COPY-ed into a fresh copy of the schema,
# timed. Needs `cargo build --release -p server -p tools`.
set -euo pipefail
cd "$(dirname "$0")/../.."
admin=$1 millions=${2:-10} vehicles=${3:-3000000} copied=${4:-${2:-10}}
server=target/release/server tools=target/release/anpr-lab
on() { echo "${admin%/*}/$1"; }
stamp() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*"; }
columns="feed_id, camera_id, plate, captured_at, received_at, confidence, direction, lane, make, model, colour, \
plate_image, overview_image, plate_skeleton, source_key, provisional"

psql "$admin" -qc "DROP DATABASE IF EXISTS anpr_day WITH (FORCE)" -c "DROP DATABASE IF EXISTS anpr_copy WITH (FORCE)" \
  -c "CREATE DATABASE anpr_day"
url=$(on anpr_day)
ANPR_DATABASE_URL=$url ANPR_LISTEN=127.0.0.1:3481 ANPR_IMAGES_URL=file:///tmp/anpr-day-images \
  $server serve >/tmp/anpr-day-server.log 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 120); do curl -sf http://127.0.0.1:3481/healthz >/dev/null 2>&1 && break; sleep 1; done
# Yesterday's reads, spread over the day as a day's traffic is (a vehicle's reads hours apart,
# not minutes: the clone scan, running as it does, flags what it would flag in a real day).
day=$(date -u -d yesterday +%Y-%m-%dT00:00:00Z)
step=$(( 86400000 / (millions * 1000000) )); [ "$step" -ge 1 ] || step=1
loaded=0
for n in $(seq "$millions"); do
  stamp "million $n of $millions"
  start=$(date -u -d "$day + $(( (n - 1) * step * 1000 )) seconds" +%Y-%m-%dT%H:%M:%SZ)
  line=$(ANPR_DATABASE_URL=$url $tools load --url http://127.0.0.1:3481 --reads 1000000 --vehicles "$vehicles" \
    --seed "$n" --start "$start" --step-ms "$step")
  echo "$line"
  # The seconds of sending (the tool builds each run's requests before it starts the clock).
  loaded=$(echo "$loaded + $(echo "$line" | sed -E 's/.* in ([0-9.]+) s = .*/\1/')" | bc)
  if [ "$n" = "$copied" ]; then
    last_copied=$(psql "$url" -Atc "SELECT MAX(id) FROM reads")
    stamp "the first $copied runs: $(psql "$url" -Atc "SELECT COUNT(*) FROM reads") reads in $loaded s of sending"
  fi
done
# How far behind the ingest the background clone scan (R17) was when the sending ended.
stamp "clone scan: $(psql "$url" -Atc "SELECT (SELECT MAX(id) FROM reads) - last_read_id FROM clone_scan") reads behind"
kill $pid; wait $pid || true
rows=$(psql "$url" -Atc "SELECT COUNT(*) FROM reads")
stamp "ingest: $rows reads in $loaded s of sending = $(echo "$rows / $loaded" | bc) reads/s"
[ "$copied" -ge 1 ] || exit 0

# The reference: the same rows COPY-ed into the same schema (its day partitions, indexes and
# keys), empty.
csv=$(mktemp /tmp/anpr-day.XXXXXX.csv)
psql "$url" -qc "\\copy (SELECT $columns FROM reads WHERE id <= $last_copied) TO '$csv' CSV"
psql "$admin" -qc "CREATE DATABASE anpr_copy"
pg_dump --schema-only "$url" | psql -q "$(on anpr_copy)" >/dev/null
psql "$(on anpr_copy)" -qc CHECKPOINT
copy_started=$(date +%s.%N)
psql "$(on anpr_copy)" -qc "\\copy reads ($columns) FROM '$csv' CSV"
took=$(echo "$(date +%s.%N) - $copy_started" | bc)
copy_rows=$(psql "$(on anpr_copy)" -Atc "SELECT COUNT(*) FROM reads")
stamp "COPY: the first $copied runs' $copy_rows rows in $took s = $(echo "$copy_rows / $took" | bc) rows/s"
rm -f "$csv"
