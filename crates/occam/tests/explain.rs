//! EXPLAIN's exact text, indentation included (the .slt runner folds white space): the DAT401 workshop's
//! chapter 4 plans in Aurora DSQL's words, the same plans in PostgreSQL's words with `--compat postgres`,
//! FORMAT JSON, and EXPLAIN's statement rules (refusals, a failed transaction, ANALYZE of DML running it).

mod common;

use common::{ok, rows, run};
use occam::{CompatMode, Config, Database, Session, Value};

fn open(compat: CompatMode) -> (Database, Session) {
    let db = Database::open(&Config { compat, ..Config::default() }).unwrap();
    let session = db.session("admin").unwrap();
    (db, session)
}

/// The workshop's tables (reference 001), with the payer index built, and six transactions of payer 1.
fn workshop(session: &mut Session, compat: CompatMode) {
    ok(session, "CREATE TABLE transactions (id UUID PRIMARY KEY DEFAULT gen_random_uuid(), payer_id INT, payee_id INT, amount INT, created_at TIMESTAMP DEFAULT now())");
    match compat {
        CompatMode::Dsql => {
            let job =
                match rows(session, "CREATE INDEX ASYNC idx_transactions_payer ON transactions (payer_id, created_at)")
                    .as_slice()
                {
                    [row] => row[0].clone(),
                    other => panic!("{other:?}"),
                };
            let Value::Text(job) = job else { panic!("job id") };
            ok(session, &format!("CALL sys.wait_for_job('{job}')"));
        }
        CompatMode::Postgres => {
            ok(session, "CREATE INDEX idx_transactions_payer ON transactions (payer_id, created_at)");
        }
    }
    ok(
        session,
        "INSERT INTO transactions (payer_id, payee_id, amount, created_at) \
         SELECT 1, g + 1, 10, (DATE '2026-01-01' + g)::timestamp FROM generate_series(1, 6) g",
    );
}

fn plan(session: &mut Session, sql: &str) -> String {
    rows(session, sql)
        .into_iter()
        .map(|row| match &row[0] {
            Value::Text(line) => line.clone(),
            other => panic!("{other:?}"),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

const PAYER_QUERY: &str = "SELECT id, payer_id, payee_id, amount, created_at FROM transactions \
                           WHERE payer_id = 1 ORDER BY created_at DESC LIMIT 5";

#[test]
fn the_workshop_plans_in_dsql_words() {
    let (_db, mut session) = open(CompatMode::Dsql);
    workshop(&mut session, CompatMode::Dsql);
    let options = "(ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)";
    ok(&mut session, "SET enable_indexscan = off");
    assert_eq!(
        plan(&mut session, &format!("EXPLAIN {options} {PAYER_QUERY}")),
        "\
Limit  (actual rows=5 loops=1)
  ->  Sort  (actual rows=5 loops=1)
        Sort Key: created_at DESC
        Sort Method: top-N heapsort  Memory: 25kB
        ->  Full Scan (btree-table) on transactions  (actual rows=6 loops=1)
              -> Storage Scan on transactions (actual rows=6 loops=1)
                  Projections: id, payer_id, payee_id, amount, created_at
                  Filters: (payer_id = 1)
                  Rows Filtered: 0
                  -> B-Tree Scan on transactions (actual rows=6 loops=1)"
    );
    ok(&mut session, "SET enable_indexscan = on");
    ok(&mut session, "SET enable_seqscan = off");
    assert_eq!(
        plan(&mut session, &format!("EXPLAIN {options} {PAYER_QUERY}")),
        "\
Limit  (actual rows=5 loops=1)
  ->  Index Scan Backward using idx_transactions_payer on transactions  (actual rows=5 loops=1)
        Index Cond: (payer_id = 1)
        -> Storage Scan on idx_transactions_payer (actual rows=5 loops=1)
            -> B-Tree Scan on idx_transactions_payer (actual rows=5 loops=1)
                Index Cond: (payer_id = 1)
        -> Storage Lookup on transactions (actual rows=5 loops=1)
            Projections: id, payer_id, payee_id, amount, created_at
            -> B-Tree Lookup on transactions (actual rows=5 loops=1)"
    );
    // With costs and times: the shape PostgreSQL prints, and the summary lines.
    let text = plan(&mut session, &format!("EXPLAIN ANALYZE {PAYER_QUERY}"));
    let first = text.lines().next().unwrap();
    assert!(first.starts_with("Limit  (cost="), "{text}");
    assert!(first.contains(" rows=") && first.contains(" width=") && first.contains(") (actual time="), "{text}");
    assert!(
        text.contains("\nPlanning Time: ") && text.ends_with(" ms") && text.contains("\nExecution Time: "),
        "{text}"
    );
}

#[test]
fn the_same_plans_in_postgres_words() {
    let (_db, mut session) = open(CompatMode::Postgres);
    workshop(&mut session, CompatMode::Postgres);
    ok(&mut session, "SET enable_indexscan = off");
    assert_eq!(
        plan(&mut session, &format!("EXPLAIN (COSTS OFF) {PAYER_QUERY}")),
        "\
Limit
  ->  Sort
        Sort Key: created_at DESC
        ->  Seq Scan on transactions
              Filter: (payer_id = 1)"
    );
    ok(&mut session, "SET enable_indexscan = on");
    ok(&mut session, "SET enable_seqscan = off");
    assert_eq!(
        plan(&mut session, &format!("EXPLAIN (COSTS OFF) {PAYER_QUERY}")),
        "\
Limit
  ->  Index Scan Backward using idx_transactions_payer on transactions
        Index Cond: (payer_id = 1)"
    );
    assert_eq!(
        plan(
            &mut session,
            "EXPLAIN (COSTS OFF) SELECT created_at FROM transactions WHERE payer_id = 1 AND created_at > '2026-01-03'"
        ),
        "\
Index Only Scan using idx_transactions_payer on transactions
  Index Cond: ((payer_id = 1) AND (created_at > '2026-01-03 00:00:00'::timestamp without time zone))"
    );
}

#[test]
fn format_json_is_postgres_shaped() {
    let (_db, mut session) = open(CompatMode::Postgres);
    workshop(&mut session, CompatMode::Postgres);
    ok(&mut session, "SET enable_seqscan = off");
    let json = plan(&mut session, &format!("EXPLAIN (FORMAT JSON, ANALYZE) {PAYER_QUERY}"));
    assert!(json.starts_with("[\n  {\n    \"Plan\": {\n      \"Node Type\": \"Limit\""), "{json}");
    for field in [
        "\"Node Type\": \"Index Scan\"",
        "\"Scan Direction\": \"Backward\"",
        "\"Index Name\": \"idx_transactions_payer\"",
        "\"Index Cond\": \"(payer_id = 1)\"",
        "\"Actual Rows\": 5",
        "\"Actual Loops\": 1",
        "\"Planning Time\": ",
        "\"Execution Time\": ",
    ] {
        assert!(json.contains(field), "{field} in {json}");
    }
}

#[test]
fn explain_follows_its_statement_s_rules() {
    let (_db, mut session) = open(CompatMode::Dsql);
    workshop(&mut session, CompatMode::Dsql);
    // A refused statement keeps its error under EXPLAIN.
    let err = run(&mut session, "EXPLAIN SELECT * FROM transactions FOR SHARE").unwrap_err();
    assert_eq!(err.code, "0A000", "{err}");
    assert_eq!(run(&mut session, "EXPLAIN (WHATEVER) SELECT 1").unwrap_err().code, "42601");
    // EXPLAIN ANALYZE of DML runs it; plain EXPLAIN does not.
    ok(&mut session, "EXPLAIN UPDATE transactions SET amount = 0 WHERE payer_id = 1");
    assert_eq!(rows(&mut session, "SELECT count(*) FROM transactions WHERE amount = 0"), vec![vec![Value::Int(0)]]);
    let text = plan(&mut session, "EXPLAIN ANALYZE UPDATE transactions SET amount = 0 WHERE payer_id = 1");
    assert!(text.starts_with("Update on transactions"), "{text}");
    assert_eq!(rows(&mut session, "SELECT count(*) FROM transactions WHERE amount = 0"), vec![vec![Value::Int(6)]]);
    // In a failed transaction EXPLAIN ANALYZE of DML is refused like the DML itself.
    ok(&mut session, "BEGIN");
    assert!(run(&mut session, "SELECT 1 / 0").is_err());
    let err = run(&mut session, "EXPLAIN ANALYZE DELETE FROM transactions").unwrap_err();
    assert_eq!(err.code, "25P02", "{err}");
    ok(&mut session, "ROLLBACK");
}

/// The planner's choice follows the table's size, as in the workshop's chapter 4: six rows are read whole
/// and sorted; once the table holds many rows, the index serves the same query backward without a Sort.
#[test]
fn the_plan_flips_with_table_size() {
    let (_db, mut session) = open(CompatMode::Postgres);
    workshop(&mut session, CompatMode::Postgres);
    let small = plan(&mut session, &format!("EXPLAIN (COSTS OFF) {PAYER_QUERY}"));
    assert!(small.contains("Seq Scan on transactions") && small.contains("Sort Key: created_at DESC"), "{small}");
    ok(
        &mut session,
        "INSERT INTO transactions (payer_id, payee_id, amount, created_at) \
         SELECT g % 5000 + 2, 1, 10, (DATE '2026-01-01' + g % 300)::timestamp FROM generate_series(1, 20000) g",
    );
    let large = plan(&mut session, &format!("EXPLAIN (COSTS OFF) {PAYER_QUERY}"));
    assert_eq!(
        large,
        "\
Limit
  ->  Index Scan Backward using idx_transactions_payer on transactions
        Index Cond: (payer_id = 1)"
    );
    // And the answer is the same either way.
    let through_index = rows(&mut session, PAYER_QUERY);
    ok(&mut session, "SET enable_indexscan = off");
    assert_eq!(rows(&mut session, PAYER_QUERY), through_index);
}

/// Waits until every background job (the ANALYZE jobs that loading submits) has ended, so the planner's
/// statistics are the same on every run.
fn settle_jobs(session: &mut Session) {
    for row in rows(session, "SELECT job_id FROM sys.jobs WHERE status IN ('submitted', 'processing')") {
        let Value::Text(id) = &row[0] else { panic!("job id") };
        ok(session, &format!("CALL sys.wait_for_job('{id}')"));
    }
}

/// reference 004's orders shape: 100 customers, 2,000 orders (an index on customer_id), 4,000 items.
fn orders_schema(session: &mut Session) {
    for sql in [
        "CREATE TABLE jo_customers (id INT PRIMARY KEY, region TEXT NOT NULL)",
        "CREATE TABLE jo_orders (id INT PRIMARY KEY, customer_id INT, total INT NOT NULL)",
        "CREATE TABLE jo_items (order_id INT NOT NULL, line INT NOT NULL, qty INT NOT NULL, PRIMARY KEY (order_id, line))",
        "CREATE INDEX jo_orders_customer ON jo_orders (customer_id)",
        "INSERT INTO jo_customers SELECT g, 'r' || (g % 5) FROM generate_series(1, 100) g",
        "INSERT INTO jo_orders SELECT g, g % 100 + 1, g % 37 FROM generate_series(1, 2000) g",
        "INSERT INTO jo_items SELECT (g - 1) / 2 + 1, (g - 1) % 2 + 1, g % 7 FROM generate_series(1, 4000) g",
        "ANALYZE",
    ] {
        ok(session, sql);
    }
    settle_jobs(session);
}

/// A join written from its largest table is planned from its constant (carried across the join by the
/// equivalence c.id = o.customer_id), then the items are looked up by their primary key's prefix.
#[test]
fn joins_are_planned_in_the_cheapest_order() {
    let (_db, mut session) = open(CompatMode::Postgres);
    orders_schema(&mut session);
    let query = "SELECT count(*) FROM jo_items i JOIN jo_orders o ON o.id = i.order_id \
                 JOIN jo_customers c ON c.id = o.customer_id WHERE c.id = 42";
    let text = plan(&mut session, &format!("EXPLAIN (COSTS OFF) {query}"));
    let reads: Vec<&str> = text.lines().filter(|l| l.contains(" on jo_")).map(str::trim).collect();
    assert_eq!(reads.last(), Some(&"->  Index Scan using jo_items_pkey on jo_items i"), "{text}");
    assert!(text.contains("Index Cond: (i.order_id = o.id)"), "{text}");
    assert!(text.contains("(o.customer_id = 42)"), "the constant reaches orders: {text}");
    assert_eq!(rows(&mut session, query), vec![vec![Value::Int(40)]]);
    // Forced into the written order's algorithms, the answer is the same.
    ok(&mut session, "SET enable_nestloop = off");
    assert_eq!(rows(&mut session, query), vec![vec![Value::Int(40)]]);
}

/// WHERE EXISTS / NOT EXISTS / IN become semi and anti joins; NOT IN stays a subquery.
#[test]
fn subqueries_become_semi_and_anti_joins() {
    let (_db, mut session) = open(CompatMode::Postgres);
    orders_schema(&mut session);
    let exists = plan(
        &mut session,
        "EXPLAIN (COSTS OFF) SELECT id FROM jo_customers c \
         WHERE EXISTS (SELECT 1 FROM jo_orders o WHERE o.customer_id = c.id AND o.total = 3)",
    );
    assert!(exists.starts_with("Hash Semi Join\n  Hash Cond: (c.id = o.customer_id)"), "{exists}");
    let not_exists = plan(
        &mut session,
        "EXPLAIN (COSTS OFF) SELECT id FROM jo_customers c \
         WHERE NOT EXISTS (SELECT 1 FROM jo_orders o WHERE o.customer_id = c.id)",
    );
    assert!(not_exists.starts_with("Hash Anti Join"), "{not_exists}");
    // A few outer rows: each looks its match up through the orders' customer index.
    let lookup = plan(
        &mut session,
        "EXPLAIN (COSTS OFF) SELECT id FROM jo_customers c \
         WHERE c.id < 3 AND c.id IN (SELECT o.customer_id FROM jo_orders o)",
    );
    assert!(lookup.starts_with("Nested Loop Semi Join"), "{lookup}");
    assert!(lookup.contains("Index Scan using jo_orders_customer on jo_orders o"), "{lookup}");
    assert!(lookup.contains("Index Cond: (o.customer_id = c.id)"), "{lookup}");
    let not_in = plan(
        &mut session,
        "EXPLAIN (COSTS OFF) SELECT id FROM jo_customers c WHERE c.id NOT IN (SELECT o.customer_id FROM jo_orders o)",
    );
    assert!(not_in.contains("NOT IN (SubPlan 1)"), "{not_in}");
}

/// VERBOSE: schema-qualified relations, qualified columns and each node's `Output:`.
#[test]
fn verbose_shows_each_node_s_output() {
    let (_db, mut session) = open(CompatMode::Postgres);
    workshop(&mut session, CompatMode::Postgres);
    let text = plan(
        &mut session,
        "EXPLAIN (VERBOSE, COSTS OFF) SELECT t.amount FROM transactions t WHERE t.amount > 5 ORDER BY t.amount",
    );
    assert_eq!(
        text,
        "\
Sort
  Output: t.amount
  Sort Key: t.amount
  ->  Seq Scan on public.transactions t
        Output: t.amount
        Filter: (t.amount > 5)"
    );
}

/// A LATERAL subquery is a Nested Loop with the subquery under it, run once per outer row: its reference
/// to the outer row pins the inner read's key, and EXPLAIN ANALYZE counts its loops.
#[test]
fn lateral_subqueries_run_once_per_outer_row() {
    let (_db, mut session) = open(CompatMode::Postgres);
    orders_schema(&mut session);
    let query = "SELECT c.id, o.n FROM jo_customers c, \
                 LATERAL (SELECT count(*) AS n FROM jo_orders WHERE customer_id = c.id) o WHERE c.id <= 5";
    let text = plan(&mut session, &format!("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) {query}"));
    assert!(text.starts_with("Nested Loop  (actual rows=5 loops=1)"), "{text}");
    assert!(text.contains("->  Aggregate  (actual rows=1 loops=5)"), "{text}");
    assert!(text.contains("Index Only Scan using jo_orders_customer on jo_orders"), "{text}");
    assert!(text.contains("Index Cond: (jo_orders.customer_id = c.id)"), "{text}");
    assert_eq!(rows(&mut session, query).len(), 5);
}

/// A statement with a data-modifying WITH query: the main plan, reading the RETURNING rows through a `CTE
/// Scan`, then a `CTE name` section with the statement's own plan, as PostgreSQL prints it.
#[test]
fn data_modifying_with_queries_show_their_plans() {
    let (_db, mut session) = open(CompatMode::Postgres);
    orders_schema(&mut session);
    let text = plan(
        &mut session,
        "EXPLAIN (COSTS OFF) WITH gone AS (DELETE FROM jo_orders WHERE id = 7 RETURNING *) \
         INSERT INTO jo_items SELECT id, 9, total FROM gone",
    );
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[..4],
        ["Insert on jo_items", "  ->  CTE Scan on gone", "  CTE gone", "    ->  Delete on jo_orders"],
        "{text}"
    );
    assert!(text.contains("Index Cond: (id = 7)"), "{text}");
}

/// A parallel plan in PostgreSQL's words and in FORMAT JSON: `Gather` with its planned (and, with
/// ANALYZE, launched) workers over a `Parallel Seq Scan`, between the halves of a split aggregation.
#[test]
fn parallel_plans_in_postgres_words() {
    let (_db, mut session) = open(CompatMode::Postgres);
    for sql in [
        "CREATE TABLE par (id INT PRIMARY KEY, amount INT NOT NULL)",
        "INSERT INTO par SELECT g, g % 100 FROM generate_series(1, 2000) g",
        "ANALYZE par",
        "SET max_parallel_workers_per_gather = 3",
        "SET min_parallel_table_scan_size = 0",
    ] {
        ok(&mut session, sql);
    }
    assert_eq!(
        plan(&mut session, "EXPLAIN (COSTS OFF) SELECT amount, count(*) FROM par WHERE amount > 5 GROUP BY amount"),
        "\
Finalize HashAggregate
  Group Key: amount
  ->  Gather
        Workers Planned: 3
        ->  Partial HashAggregate
              Group Key: amount
              ->  Parallel Seq Scan on par
                    Filter: (amount > 5)"
    );
    let analyzed = plan(
        &mut session,
        "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT id FROM par ORDER BY amount, id",
    );
    assert!(analyzed.contains("Gather  (actual rows=2000 loops=1)"), "{analyzed}");
    assert!(analyzed.contains("Workers Launched: 3"), "{analyzed}");
    let json = plan(&mut session, "EXPLAIN (FORMAT JSON) SELECT count(*) FROM par");
    for field in [
        "\"Node Type\": \"Gather\"",
        "\"Workers Planned\": 3",
        "\"Node Type\": \"Seq Scan\"",
        "\"Parallel Aware\": true",
        "\"Partial Mode\": \"Finalize\"",
        "\"Partial Mode\": \"Partial\"",
    ] {
        assert!(json.contains(field), "{field} in {json}");
    }
}

/// OFFSET over a read in key order: the read steps over the skipped rows without decoding them, and
/// EXPLAIN ANALYZE still counts them as the scan's rows, as PostgreSQL's scan returns them to its Limit.
#[test]
fn offset_rows_count_as_the_scans() {
    let (_db, mut session) = open(CompatMode::Postgres);
    ok(&mut session, "CREATE TABLE pages (id INT PRIMARY KEY, body TEXT)");
    ok(&mut session, "INSERT INTO pages SELECT g, 'page ' || g FROM generate_series(1, 500) g");
    let analyzed = plan(
        &mut session,
        "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT id, body FROM pages ORDER BY id LIMIT 5 OFFSET 300",
    );
    assert_eq!(
        analyzed,
        "\
Limit  (actual rows=5 loops=1)
  ->  Seq Scan on pages  (actual rows=305 loops=1)"
    );
}

/// count(*) alone: the scan counts its rows for the aggregate without building them (decoding only what
/// its filter reads), and EXPLAIN ANALYZE shows the rows it passed and those its filter removed, as
/// PostgreSQL's.
#[test]
fn counted_rows_count_as_the_scans() {
    let (_db, mut session) = open(CompatMode::Postgres);
    ok(&mut session, "SET max_parallel_workers_per_gather = 0");
    ok(&mut session, "CREATE TABLE events (id INT PRIMARY KEY, kind INT)");
    ok(&mut session, "INSERT INTO events SELECT g, g % 4 FROM generate_series(1, 400) g");
    let analyzed = plan(
        &mut session,
        "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT count(*) FROM events WHERE kind = 1",
    );
    assert_eq!(
        analyzed,
        "\
Aggregate  (actual rows=1 loops=1)
  ->  Seq Scan on events  (actual rows=100 loops=1)
        Filter: (kind = 1)
        Rows Removed by Filter: 300"
    );
}
