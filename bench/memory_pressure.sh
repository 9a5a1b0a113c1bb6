#!/usr/bin/env bash
# Server memory under many memory-heavy queries at once: CLIENTS connections (psql, one each) run sorts
# and hash aggregates that want more memory than one query may use (DSQL's per-query limit, 128 MiB in
# dsql mode), REPEAT times each. Prints the statements that completed, the ones refused with
# 54000, and occam's peak resident memory (VmHWM), which the per-query budget keeps bounded: without it,
# CLIENTS sorts of that size would need CLIENTS x the sort's memory.
#
# With OCCAM_ARGS="--compat postgres --server-query-memory 1024" each query may take 4 GiB, and the
# server-wide budget is what bounds them all: statements past it are refused with 53200 out of memory.
#
#   bench/memory_pressure.sh                    # CLIENTS=100 REPEAT=3 ROWS=3000000
set -euo pipefail
cd "$(dirname "$0")/.."
CLIENTS=${CLIENTS:-100}
ROWS=${ROWS:-3000000}
source bench/common.sh

build_occam
# shellcheck disable=SC2086 # OCCAM_ARGS is a list of serve arguments
start_occam ${OCCAM_ARGS:-}
# Each client: one connection running the two heavy statements REPEAT times (psql goes on after an error).
REPEAT=${REPEAT:-3}
for ((i = 0; i < REPEAT; i++)); do
  echo "SELECT count(*) FROM (SELECT g, md5(g::text) AS h FROM generate_series(1, $ROWS) g ORDER BY h) s;"
  echo "SELECT count(*) FROM (SELECT g % ($ROWS / 2) AS k, count(*) FROM generate_series(1, $ROWS) g GROUP BY 1) s;"
done >"$WORK/heavy.sql"
echo "occam before: $(grep VmRSS /proc/$OCCAM_PID/status)"
echo "running $CLIENTS clients x $((2 * REPEAT)) statements..."
started=$(date +%s)
pids=()
for ((c = 0; c < CLIENTS; c++)); do
  PGPASSWORD=x psql -X -q -h 127.0.0.1 -p "$OCCAM_PORT" -U admin -d postgres -At -f "$WORK/heavy.sql" \
    >"$WORK/client.$c.out" 2>"$WORK/client.$c.err" &
  pids+=($!)
done
wait "${pids[@]}" || true
completed=$(cat "$WORK"/client.*.out | grep -c '^[0-9]' || true)
refused=$(cat "$WORK"/client.*.err | grep -c 'temp space' || true)
out_of_memory=$(cat "$WORK"/client.*.err | grep -c 'out of memory' || true)
other=$(cat "$WORK"/client.*.err | grep 'ERROR' | grep -v 'temp space' | grep -vc 'out of memory' || true)
echo "took $(($(date +%s) - started))s: statements completed: $completed; refused with 54000: $refused;" \
  "refused with 53200 (server-wide): $out_of_memory; other errors: $other"
echo "first refusal: $(cat "$WORK"/client.*.err | grep -m1 ERROR || echo none)"
echo "occam peak: $(grep VmHWM /proc/$OCCAM_PID/status)   now: $(grep VmRSS /proc/$OCCAM_PID/status)"
PGPASSWORD=x psql -h 127.0.0.1 -p "$OCCAM_PORT" -U admin -d postgres -Atc "SELECT 'server still answers: ' || 1"
