#!/usr/bin/env bash
# The workshop's transfer transaction (2 UPDATEs + the history INSERT, random payer/payee among 1,000
# accounts), driven by pgbench with prepared statements against occam and against a PostgreSQL 15 started
# here (transactions at REPEATABLE READ, fsync and synchronous_commit on), in the same run. Prints both
# throughputs and the ratio occam / PostgreSQL.
#
#   bench/transfer.sh                      # 32 clients, 20 s per system
#   CLIENTS=64 SECONDS_PER_RUN=60 bench/transfer.sh
set -euo pipefail
cd "$(dirname "$0")/.."
CLIENTS=${CLIENTS:-32}
THREADS=${THREADS:-2}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-20}
source bench/common.sh

run_pgbench() { # port user label
  PGPASSWORD=x "$PG_BIN/pgbench" -n -M prepared -c "$CLIENTS" -j "$THREADS" -T "$SECONDS_PER_RUN" \
    -f bench/transfer.sql --max-tries=1000 -h 127.0.0.1 -p "$1" -U "$2" postgres >"$WORK/$3.out" 2>&1 || {
    cat "$WORK/$3.out" >&2
    return 1
  }
  grep -E '^(number of transactions actually processed|number of failed|number of transactions retried|latency average|tps)' \
    "$WORK/$3.out" | sed "s/^/  [$3] /" >&2
  sed -nE 's/^tps = ([0-9.]+) .*/\1/p' "$WORK/$3.out"
}

build_occam
start_postgres
start_occam

echo "pgbench: $CLIENTS clients, $THREADS threads, ${SECONDS_PER_RUN}s each, prepared statements" >&2
pg_tps=$(run_pgbench "$PG_PORT" postgres postgresql)
occam_tps=$(run_pgbench "$OCCAM_PORT" admin occam)
ratio=$(awk -v o="$occam_tps" -v p="$pg_tps" 'BEGIN { printf "%.2f", o / p }')
echo "PostgreSQL 15: $pg_tps tps"
echo "occam:         $occam_tps tps"
echo "ratio occam/PostgreSQL: ${ratio}x"
