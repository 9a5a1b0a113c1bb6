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
    assert!(first.contains(" rows=5 width=") && first.contains(") (actual time="), "{text}");
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
