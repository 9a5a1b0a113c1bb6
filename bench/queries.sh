#!/usr/bin/env bash
# Query engine benchmark: the workshop's transactions table and reference 004's orders / order_items /
# customers shape, loaded into occam (`--compat postgres`, so both run the same DDL) and into a PostgreSQL 15
# started here, in the same run. Once both servers are idle after the load (see `wait_until_idle`), every
# query runs RUNS times on each (after one warm-up); the median time as psql's \timing reports it is
# printed per query, with the ratio occam / PostgreSQL, plus load times.
#
#   bench/queries.sh                 # ROWS=1000000 transactions and orders, RUNS=5
#   ROWS=100000 RUNS=3 bench/queries.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-1000000}
RUNS=${RUNS:-5}
CHUNK=2500
source bench/common.sh

PSQL_PG=(psql -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1)
PSQL_OCCAM=(env PGPASSWORD=x psql -X -q -h 127.0.0.1 -p "$OCCAM_PORT" -U admin -d postgres -v ON_ERROR_STOP=1)

# The schema and data, as one SQL script: 2,500-row INSERT ... SELECT statements (DSQL's transaction
# limit is 3,000 rows; the same statements go to both systems).
write_load_script() {
  local script=$1
  cat >"$script" <<'SQL'
CREATE TABLE IF NOT EXISTS q_transactions (id INT PRIMARY KEY, payer_id INT NOT NULL, payee_id INT NOT NULL,
  amount INT NOT NULL, created_at TIMESTAMP NOT NULL);
CREATE TABLE IF NOT EXISTS q_customers (id INT PRIMARY KEY, region TEXT NOT NULL, name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS q_orders (id INT PRIMARY KEY, customer_id INT NOT NULL, status TEXT NOT NULL,
  total NUMERIC(12,2) NOT NULL, created_at TIMESTAMP NOT NULL);
CREATE TABLE IF NOT EXISTS q_order_items (order_id INT NOT NULL, line INT NOT NULL, product INT NOT NULL,
  qty INT NOT NULL, PRIMARY KEY (order_id, line));
SQL
  local customers=$((ROWS / 10))
  {
  for ((start = 1; start <= ROWS; start += CHUNK)); do
    local stop=$((start + CHUNK - 1))
    ((stop > ROWS)) && stop=$ROWS
    echo "INSERT INTO q_transactions SELECT g, (g::bigint * 7919) % 100000 + 1, (g::bigint * 104729) % 100000 + 1, g % 1000, (DATE '2026-01-01' + g % 365)::timestamp FROM generate_series($start, $stop) g;"
    echo "INSERT INTO q_orders SELECT g, (g::bigint * 7919) % $customers + 1, CASE g % 4 WHEN 0 THEN 'new' WHEN 1 THEN 'paid' WHEN 2 THEN 'shipped' ELSE 'done' END, (g % 500) + 0.99, (DATE '2026-01-01' + g % 365)::timestamp FROM generate_series($start, $stop) g;"
  done
  for ((start = 1; start <= customers; start += CHUNK)); do
    local stop=$((start + CHUNK - 1))
    ((stop > customers)) && stop=$customers
    echo "INSERT INTO q_customers SELECT g, 'r' || (g % 8), 'customer ' || g FROM generate_series($start, $stop) g;"
  done
  local items=$((ROWS / 4))
  for ((start = 1; start <= items; start += CHUNK)); do
    local stop=$((start + CHUNK - 1))
    ((stop > items)) && stop=$items
    echo "INSERT INTO q_order_items SELECT (g - 1) / 2 + 1, (g - 1) % 2 + 1, g % 5000, g % 7 + 1 FROM generate_series($start, $stop) g;"
  done
  } >>"$script"
  cat >>"$script" <<'SQL'
CREATE INDEX q_transactions_payer ON q_transactions (payer_id, created_at);
CREATE INDEX q_orders_customer ON q_orders (customer_id) INCLUDE (total);
ANALYZE;
SQL
}

# name | SQL (one line each); the queries the references talk about that occam can express.
QUERIES=$(cat <<'SQL'
payer query (index backward, LIMIT)|SELECT id, payer_id, payee_id, amount, created_at FROM q_transactions WHERE payer_id = 4242 ORDER BY created_at DESC LIMIT 5
point select by primary key|SELECT amount FROM q_transactions WHERE id = 123457
index range count|SELECT count(*) FROM q_transactions WHERE payer_id BETWEEN 1000 AND 1200
covering index read|SELECT payer_id, created_at FROM q_transactions WHERE payer_id = 777
keyset page (primary key)|SELECT id, amount FROM q_transactions WHERE id > 800000 ORDER BY id LIMIT 20
OFFSET page|SELECT id, amount FROM q_transactions ORDER BY id LIMIT 20 OFFSET 800000
full count|SELECT count(*) FROM q_transactions
group by|SELECT amount % 10, count(*), sum(amount) FROM q_transactions GROUP BY amount % 10
filtered count|SELECT count(*) FROM q_transactions WHERE amount > 500
top-N|SELECT id, amount FROM q_transactions ORDER BY amount DESC, id LIMIT 10
2-way join + group|SELECT c.region, count(*), sum(o.total) FROM q_orders o JOIN q_customers c ON c.id = o.customer_id GROUP BY c.region
3-way join, selective|SELECT count(*) FROM q_order_items i JOIN q_orders o ON o.id = i.order_id JOIN q_customers c ON c.id = o.customer_id WHERE c.id = 42
dashboard: orders per status|SELECT status, count(*), avg(total) FROM q_orders GROUP BY status ORDER BY status
dashboard: top customers|SELECT customer_id, sum(total) AS spent FROM q_orders GROUP BY customer_id ORDER BY spent DESC LIMIT 10
SQL
)

build_occam
write_load_script "$WORK/load.sql"
start_postgres
start_occam --compat postgres
echo "loading $ROWS transactions, $ROWS orders, $((ROWS / 10)) customers, $((ROWS / 4)) order items into each..." >&2
pg_load=$(load_seconds "${PSQL_PG[@]}")
occam_load=$(load_seconds "${PSQL_OCCAM[@]}")

wait_until_idle
printf '%-40s %12s %12s %8s\n' "query ($ROWS rows, median of $RUNS)" "occam ms" "PG ms" "ratio"
printf '%-40s %12s %12s %8s\n' "load (2,500-row INSERT ... SELECT)" "${occam_load}s" "${pg_load}s" \
  "$(awk -v o="$occam_load" -v p="$pg_load" 'BEGIN { printf "%.2fx", o / p }')"
while IFS='|' read -r name sql; do
  [ -n "$name" ] || continue
  pg_ms=$(median_ms "$sql" "${PSQL_PG[@]}")
  occam_ms=$(median_ms "$sql" "${PSQL_OCCAM[@]}")
  ratio=$(awk -v o="$occam_ms" -v p="$pg_ms" 'BEGIN { if (p > 0) printf "%.2fx", o / p; else print "-" }')
  printf '%-40s %12s %12s %8s\n' "$name" "$occam_ms" "$pg_ms" "$ratio"
done <<<"$QUERIES"
