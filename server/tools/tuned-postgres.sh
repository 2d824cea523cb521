#!/usr/bin/env bash
# A PostgreSQL 15 set up as README "Deploying" advises for a national ingest (R4: 50 million
# reads a day), in DIR on PORT, for the ingest measurements (docs/PERFORMANCE.md). Every commit
# still waits for its WAL to reach the disk (fsync, synchronous_commit: an acknowledged read is
# durable); what changes is memory for the day's indexes and checkpoints far enough apart that
# each index page is not written whole to the WAL again every minute.
#   server/tools/tuned-postgres.sh start DIR PORT   prints its URL (database postgres)
#   server/tools/tuned-postgres.sh stop DIR
set -euo pipefail
cmd=$1 dir=$2 port=${3:-5460}
bin=/usr/lib/postgresql/15/bin
as_pg() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi; }
case "$cmd" in
  start)
    mkdir -p "$dir"; [ "$(id -u)" = 0 ] && chown postgres "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      as_pg "$bin/initdb -D '$dir/data' -A trust -U postgres >/dev/null"
      cat >> "$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 200
shared_buffers = 6GB
effective_cache_size = 16GB
wal_buffers = 64MB
max_wal_size = 32GB
checkpoint_timeout = 30min
checkpoint_completion_target = 0.9
wal_compression = lz4
CONF
    fi
    as_pg "$bin/pg_ctl -D '$dir/data' -l '$dir/log' -w start >/dev/null"
    echo "postgres://postgres@127.0.0.1:$port/postgres"
    ;;
  stop) as_pg "$bin/pg_ctl -D '$dir/data' -m fast -w stop >/dev/null" ;;
  *) echo "usage: $0 start|stop DIR [PORT]" >&2; exit 2 ;;
esac
