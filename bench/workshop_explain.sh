#!/usr/bin/env bash
# Chapter 4 of the DAT401 workshop (reference 001, "Analyzing Query Performance") against `occam serve`, as
# a user runs it: the talk's schema, six transfers, both CREATE INDEX ASYNC + CALL sys.wait_for_job, then
# EXPLAIN ANALYZE of the payer query (a small table: full scan and Sort); then --setup-ch04 and
# --test-chapter 4 (CALLS invocations, the talk's 1,000,000 by default), and the same EXPLAIN ANALYZE (a
# large table: the index read backward, no Sort). Prints both plans.
#
#   bench/workshop_explain.sh              # CALLS=1000000
#   CALLS=100000 bench/workshop_explain.sh
set -euo pipefail
cd "$(dirname "$0")/.."
CALLS=${CALLS:-1000000}
PORT=${OCCAM_PORT:-55450}
WORK=$(mktemp -d /tmp/occam-workshop-explain.XXXXXX)
cleanup() {
  [ -n "${OCCAM_PID:-}" ] && kill "$OCCAM_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "building occam and occam-workshop (release)..." >&2
cargo build --release -q -p occam-server -p occam-workshop
target/release/occam serve --listen "127.0.0.1:$PORT" --data-dir "$WORK/data" >"$WORK/occam.log" 2>&1 &
OCCAM_PID=$!
export PGHOST=127.0.0.1 PGPORT=$PORT PGUSER=admin PGPASSWORD=x PGDATABASE=postgres PGSSLMODE=require
for _ in $(seq 1 300); do psql -Atc 'SELECT 1' >/dev/null 2>&1 && break; sleep 0.1; done

PAYER_QUERY="SELECT id, payer_id, payee_id, amount, created_at
FROM transactions
WHERE payer_id = 1
ORDER BY created_at DESC
LIMIT 5"

target/release/occam-workshop --test-chapter 1 --create-schema >/dev/null
for _ in 2 3 4 5 6; do target/release/occam-workshop --test-chapter 1 >/dev/null; done
for index in "idx_transactions_payer ON transactions (payer_id, created_at)" \
  "idx_transactions_payee ON transactions (payee_id, created_at)"; do
  job=$(psql -Atc "CREATE INDEX ASYNC $index")
  psql -Atc "CALL sys.wait_for_job('$job')" >/dev/null
done
echo "== EXPLAIN ANALYZE with $(psql -Atc 'SELECT count(*) FROM transactions') rows in transactions"
psql -c "EXPLAIN ANALYZE $PAYER_QUERY"

target/release/occam-workshop --setup-ch04 >/dev/null
target/release/occam-workshop --test-chapter 4 --calls "$CALLS" | tail -25
echo "== EXPLAIN ANALYZE with $(psql -Atc 'SELECT count(*) FROM transactions') rows in transactions"
psql -c "EXPLAIN ANALYZE $PAYER_QUERY"
