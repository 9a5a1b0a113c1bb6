#!/usr/bin/env bash
# pgbench's own workloads against occam (postgres mode) and a PostgreSQL 15 started here, in the same run:
# `pgbench -i -s SCALE` (its DDL, client-side COPY, VACUUM, ALTER TABLE ... ADD PRIMARY KEY), then the
# built-in TPC-B-like script and the select-only script (-S) with prepared statements. Both servers run
# transactions at REPEATABLE READ with durable commits, so both report serialization failures on the
# hot branch rows; pgbench retries them (--max-tries) and counts only committed transactions.
#
#   bench/pgbench.sh                       # scale 10, 32 clients, 20 s per run
#   SCALE=50 CLIENTS=64 SECONDS_PER_RUN=60 bench/pgbench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
SCALE=${SCALE:-10}
CLIENTS=${CLIENTS:-32}
THREADS=${THREADS:-2}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-20}
source bench/common.sh

pgbench_init() { # port user label: prints the seconds `pgbench -i` took
  local started ended
  started=$(date +%s.%N)
  PGPASSWORD=x "$PG_BIN/pgbench" -i -q -s "$SCALE" -h 127.0.0.1 -p "$1" -U "$2" postgres >"$WORK/$3-init.out" 2>&1 || {
    cat "$WORK/$3-init.out" >&2
    return 1
  }
  ended=$(date +%s.%N)
  awk -v a="$started" -v b="$ended" 'BEGIN { printf "%.1f", b - a }'
}

run_pgbench() { # port user label [pgbench options]: prints tps
  local port=$1 user=$2 label=$3
  shift 3
  PGPASSWORD=x "$PG_BIN/pgbench" -n -M prepared -c "$CLIENTS" -j "$THREADS" -T "$SECONDS_PER_RUN" \
    --max-tries=1000 "$@" -h 127.0.0.1 -p "$port" -U "$user" postgres >"$WORK/$label.out" 2>&1 || {
    cat "$WORK/$label.out" >&2
    return 1
  }
  grep -E '^(number of transactions actually processed|number of failed|number of transactions retried|latency average|tps)' \
    "$WORK/$label.out" | sed "s/^/  [$label] /" >&2
  sed -nE 's/^tps = ([0-9.]+) .*/\1/p' "$WORK/$label.out"
}

ratio() { awk -v o="$1" -v p="$2" 'BEGIN { printf "%.2f", o / p }'; }

build_occam
start_postgres
start_occam --compat postgres

echo "pgbench -i -s $SCALE, then $CLIENTS clients, $THREADS threads, ${SECONDS_PER_RUN}s per run, prepared" >&2
pg_init=$(pgbench_init "$PG_PORT" postgres postgresql)
occam_init=$(pgbench_init "$OCCAM_PORT" admin occam)
pg_tpcb=$(run_pgbench "$PG_PORT" postgres postgresql-tpcb)
occam_tpcb=$(run_pgbench "$OCCAM_PORT" admin occam-tpcb)
pg_select=$(run_pgbench "$PG_PORT" postgres postgresql-select -S)
occam_select=$(run_pgbench "$OCCAM_PORT" admin occam-select -S)

printf '%-28s %14s %14s %10s\n' workload PostgreSQL occam 'occam/PG'
printf '%-28s %13ss %13ss %9sx\n' "pgbench -i -s $SCALE (time)" "$pg_init" "$occam_init" "$(ratio "$occam_init" "$pg_init")"
printf '%-28s %10s tps %10s tps %9sx\n' 'TPC-B-like' "$pg_tpcb" "$occam_tpcb" "$(ratio "$occam_tpcb" "$pg_tpcb")"
printf '%-28s %10s tps %10s tps %9sx\n' 'select-only (-S)' "$pg_select" "$occam_select" "$(ratio "$occam_select" "$pg_select")"
