#!/usr/bin/env bash
# Reference 004's e-commerce analytics workload at scale, on occam (`--compat postgres`) and on a PostgreSQL
# 15 started here, in one run: its schema (customers, products, categories, orders, order_items, inventory),
# ORDERS orders with three items each, its four indexes and its NTILE materialized view, then its six
# dashboard queries. Each query's whole result is compared between the two (md5 of psql's unaligned output)
# and timed (median of RUNS after a warm-up). Exits non-zero when a result differs.
# crates/occam/tests/slt/reference_workloads.slt holds the same queries at test scale.
#
#   bench/reference_004.sh                   # ORDERS=1000000, RUNS=3
#   ORDERS=100000 RUNS=1 bench/reference_004.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ORDERS=${ORDERS:-1000000}
RUNS=${RUNS:-3}
CHUNK=50000
source bench/common.sh

PSQL_PG=(psql -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1)
PSQL_OCCAM=(env PGPASSWORD=x psql -X -q -h 127.0.0.1 -p "$OCCAM_PORT" -U admin -d postgres -v ON_ERROR_STOP=1)

customers=$((ORDERS / 10))
products=2000
# A product's price (of product p), and an order's items (three per order, k = 0..2: product, quantity), as
# SQL expressions, so that an order's total is computed where the order is inserted.
price='(5 + (p * 13) % 95 + 0.99)::numeric(10,2)'
item_product='(1 + ((o * 3 + k) * 37) % '$products')'
item_quantity='(1 + (o * 3 + k) % 4)'

write_load_script() {
  local script=$1
  cat >"$script" <<SQL
CREATE TABLE categories (category_id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE customers (customer_id int PRIMARY KEY, email text NOT NULL, signup_date date NOT NULL, country text NOT NULL);
CREATE TABLE products (product_id int PRIMARY KEY, name text NOT NULL, category_id int NOT NULL, price numeric(10,2) NOT NULL);
CREATE TABLE orders (order_id bigint PRIMARY KEY, customer_id int NOT NULL, order_date date NOT NULL, status text NOT NULL, total_amount numeric(12,2) NOT NULL);
CREATE TABLE order_items (order_item_id bigint PRIMARY KEY, order_id bigint NOT NULL, product_id int NOT NULL, quantity int NOT NULL, unit_price numeric(10,2) NOT NULL);
CREATE TABLE inventory (inventory_id int PRIMARY KEY, product_id int NOT NULL, warehouse text NOT NULL, quantity int NOT NULL);
INSERT INTO categories SELECT g, 'category ' || g FROM generate_series(1, 40) g;
INSERT INTO customers SELECT g, 'customer' || g || '@example.com', DATE '2023-01-01' + (g * 7) % 540, (ARRAY['DE','FR','US','JP','BR'])[1 + g % 5] FROM generate_series(1, $customers) g;
INSERT INTO products SELECT p, 'product ' || p, 1 + p % 40, $price FROM generate_series(1, $products) p;
INSERT INTO inventory SELECT g, 1 + (g - 1) % $products, CASE WHEN g <= $products THEN 'east' ELSE 'west' END, (g * 17) % 200 FROM generate_series(1, 2 * $products) g;
SQL
  for ((start = 1; start <= ORDERS; start += CHUNK)); do
    local stop=$((start + CHUNK - 1))
    ((stop > ORDERS)) && stop=$ORDERS
    local total="" k
    for k in 0 1 2; do
      total+="${total:+ + }${item_quantity//k/$k} * ${price//p/${item_product//k/$k}}"
    done
    echo "INSERT INTO orders SELECT o, 1 + (o::bigint * 7919) % $customers, DATE '2023-06-01' + (o * 31) % 730, CASE WHEN o % 11 = 0 THEN 'cancelled' WHEN o % 7 = 0 THEN 'pending' ELSE 'shipped' END, $total FROM generate_series($start, $stop) o;"
    echo "INSERT INTO order_items SELECT o * 3 + k, o, ${item_product}, ${item_quantity}, ${price//p/$item_product} FROM generate_series($start, $stop) o, generate_series(0, 2) k;"
  done >>"$script"
  cat >>"$script" <<'SQL'
CREATE INDEX idx_orders_date_status_amount ON orders(order_date, status) INCLUDE (total_amount, order_id) WHERE status != 'cancelled';
CREATE INDEX idx_order_items_product ON order_items(product_id) INCLUDE (order_id, quantity, unit_price);
CREATE INDEX idx_orders_customer_status ON orders(customer_id, status) INCLUDE (order_id, total_amount, order_date) WHERE status != 'cancelled';
CREATE INDEX idx_inventory_product ON inventory(product_id) INCLUDE (quantity);
CREATE MATERIALIZED VIEW customer_lifetime_stats AS SELECT c.customer_id, SUM(o.total_amount) as total_spent, COUNT(o.order_id) as order_count, NTILE(100) OVER (ORDER BY SUM(o.total_amount)) as percentile FROM customers c JOIN orders o ON o.customer_id = c.customer_id WHERE o.status != 'cancelled' GROUP BY c.customer_id;
CREATE INDEX idx_customer_lifetime_stats_percentile ON customer_lifetime_stats(percentile DESC, total_spent DESC) INCLUDE (customer_id, order_count);
ANALYZE;
SQL
}

# name | SQL (one line each): the six dashboard queries (per-percentile figures of the NTILE view, which do
# not depend on how NTILE splits ties).
QUERIES=$(cat <<'SQL'
1 daily revenue (90 days)|SELECT order_date, count(*) AS orders, sum(total_amount) AS revenue, round(avg(total_amount), 2) AS avg_order FROM orders WHERE order_date >= DATE '2024-01-01' AND order_date < DATE '2024-01-01' + 90 AND status != 'cancelled' GROUP BY order_date ORDER BY order_date
2 top products per category|WITH product_sales AS (SELECT p.category_id, p.product_id, p.name, sum(oi.quantity) AS units, sum(oi.quantity * oi.unit_price) AS revenue FROM order_items oi JOIN products p ON p.product_id = oi.product_id JOIN orders o ON o.order_id = oi.order_id WHERE o.status != 'cancelled' GROUP BY p.category_id, p.product_id, p.name) SELECT c.name AS category, ps.name AS product, ps.units, ps.revenue, ps.rnk FROM (SELECT *, rank() OVER (PARTITION BY category_id ORDER BY revenue DESC, product_id) AS rnk FROM product_sales) ps JOIN categories c ON c.category_id = ps.category_id WHERE ps.rnk <= 3 ORDER BY c.name, ps.rnk
3 cohort retention|WITH first_orders AS (SELECT customer_id, date_trunc('month', min(order_date)) AS cohort FROM orders WHERE status != 'cancelled' GROUP BY customer_id), activity AS (SELECT f.cohort, (extract(year FROM o.order_date) - extract(year FROM f.cohort)) * 12 + extract(month FROM o.order_date) - extract(month FROM f.cohort) AS months_since, o.customer_id FROM orders o JOIN first_orders f ON f.customer_id = o.customer_id WHERE o.status != 'cancelled'), cohort_size AS (SELECT cohort, count(*) AS size FROM first_orders GROUP BY cohort) SELECT a.cohort::date, a.months_since, count(DISTINCT a.customer_id) AS active, round(100.0 * count(DISTINCT a.customer_id) / max(s.size), 1) AS retention_pct FROM activity a JOIN cohort_size s ON s.cohort = a.cohort WHERE a.months_since <= 3 GROUP BY a.cohort, a.months_since ORDER BY a.cohort, a.months_since
4 inventory turnover|SELECT p.product_id, p.name, i.total_qty, coalesce(s.units_sold, 0) AS units_sold, CASE WHEN i.total_qty > 0 THEN round(coalesce(s.units_sold, 0)::numeric / i.total_qty, 2) END AS turnover FROM products p JOIN (SELECT product_id, sum(quantity) AS total_qty FROM inventory GROUP BY product_id) i ON i.product_id = p.product_id LEFT JOIN (SELECT oi.product_id, sum(oi.quantity) AS units_sold FROM order_items oi JOIN orders o ON o.order_id = oi.order_id WHERE o.order_date >= DATE '2024-01-01' AND o.status != 'cancelled' GROUP BY oi.product_id) s ON s.product_id = p.product_id ORDER BY turnover DESC NULLS LAST, p.product_id LIMIT 15
5 customer lifetime value|SELECT percentile, count(*), min(total_spent), max(total_spent), sum(order_count) FROM customer_lifetime_stats WHERE percentile >= 90 GROUP BY percentile ORDER BY percentile DESC
6 category growth (self-join)|WITH monthly AS (SELECT p.category_id, date_trunc('month', o.order_date) AS month, sum(oi.quantity * oi.unit_price) AS revenue FROM orders o JOIN order_items oi ON oi.order_id = o.order_id JOIN products p ON p.product_id = oi.product_id WHERE o.status != 'cancelled' GROUP BY 1, 2) SELECT c.name, cur.month::date, cur.revenue, prev.revenue AS prev_revenue, round(100.0 * (cur.revenue - prev.revenue) / prev.revenue, 2) AS growth_pct FROM monthly cur JOIN monthly prev ON prev.category_id = cur.category_id AND prev.month = cur.month - interval '1 month' JOIN categories c ON c.category_id = cur.category_id ORDER BY c.name, cur.month
SQL
)

# A query's result digest (md5 of psql's unaligned output) and its median time (bench/common.sh).
run_query() { # sql psql... → "md5 median_ms"
  local sql=$1
  shift
  echo "$("$@" -A -c "$sql" | md5sum | cut -c1-12) $(median_ms "$sql" "$@")"
}

build_occam
write_load_script "$WORK/load.sql"
start_postgres
start_occam --compat postgres
echo "loading $ORDERS orders, $((3 * ORDERS)) order items, $customers customers into each..." >&2
pg_load=$(load_seconds "${PSQL_PG[@]}")
occam_load=$(load_seconds "${PSQL_OCCAM[@]}")

status=0
printf '%-32s %12s %12s %8s  %s\n' "reference 004 ($ORDERS orders)" "occam ms" "PG ms" "ratio" "result"
printf '%-32s %12s %12s %8s\n' "load, indexes, view, ANALYZE" "${occam_load}s" "${pg_load}s" \
  "$(awk -v o="$occam_load" -v p="$pg_load" 'BEGIN { printf "%.2fx", o / p }')"
while IFS='|' read -r name sql; do
  [ -n "$name" ] || continue
  read -r pg_digest pg_ms < <(run_query "$sql" "${PSQL_PG[@]}")
  read -r occam_digest occam_ms < <(run_query "$sql" "${PSQL_OCCAM[@]}")
  same=same
  if [ "$pg_digest" != "$occam_digest" ]; then
    same=DIFFERENT
    status=1
  fi
  ratio=$(awk -v o="$occam_ms" -v p="$pg_ms" 'BEGIN { if (p > 0) printf "%.2fx", o / p; else print "-" }')
  printf '%-32s %12s %12s %8s  %s\n' "$name" "$occam_ms" "$pg_ms" "$ratio" "$same"
done <<<"$QUERIES"
exit "$status"
