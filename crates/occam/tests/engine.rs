//! In-process tests of the SQL engine through the `Database` / `Session` API: the DAT401 workshop flow
//! with prepared statements, the SQLSTATEs the engine raises, transaction blocks, snapshot isolation with
//! OCC between two sessions, and reopening an on-disk database.

use occam::{Config, DataType, Database, QueryResult, Session, TransactionStatus, Value};

mod common;
use common::{int, ok, rows, run, tag};

/// The SQLSTATE of a statement that must fail.
fn code(session: &mut Session, sql: &str) -> &'static str {
    match run(session, sql) {
        Ok(result) => panic!("{sql}: expected an error, got {result:?}"),
        Err(err) => err.code,
    }
}

fn accounts(session: &mut Session) {
    ok(session, "CREATE TABLE accounts (id INT PRIMARY KEY, balance INT)");
    assert_eq!(
        tag(session, "INSERT INTO accounts (id, balance) SELECT id, 100 FROM generate_series(1, 1000) AS id"),
        "INSERT 0 1000"
    );
}

#[test]
fn workshop_flow_with_prepared_statements() {
    let db = Database::open_in_memory();
    let mut s = db.session("admin").unwrap();
    accounts(&mut s);
    assert_eq!(int(&mut s, "SELECT COUNT(*) FROM accounts"), 1000);
    match ok(&mut s, "SELECT * FROM accounts LIMIT 5") {
        QueryResult::Rows { columns, rows, tag } => {
            assert_eq!(tag, "SELECT 5");
            let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
            assert_eq!(names, ["id", "balance"]);
            assert_eq!(rows[0], vec![Value::Int(1), Value::Int(100)]);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        tag(
            &mut s,
            "CREATE TABLE transactions (id UUID DEFAULT gen_random_uuid() PRIMARY KEY, payer_id INT, payee_id INT, \
             amount INT, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP)"
        ),
        "CREATE TABLE"
    );

    let debit = s.prepare("UPDATE accounts SET balance = balance - $1 WHERE id = $2 RETURNING balance", &[]).unwrap();
    assert_eq!(debit.param_types, vec![DataType::Int4, DataType::Int4]);
    assert_eq!(debit.columns.len(), 1);
    assert_eq!(debit.columns[0].name, "balance");
    let credit = s.prepare("UPDATE accounts SET balance = balance + $1 WHERE id = $2", &[]).unwrap();
    let record = s.prepare("INSERT INTO transactions (payer_id, payee_id, amount) VALUES ($1, $2, $3)", &[]).unwrap();
    assert_eq!(record.param_types, vec![DataType::Int4; 3]);

    for _ in 0..3 {
        assert_eq!(tag(&mut s, "BEGIN"), "BEGIN");
        assert_eq!(s.transaction_status(), TransactionStatus::InTransaction);
        let debited = s.execute(&debit, &[Value::Int(10), Value::Int(1)]).unwrap();
        assert!(matches!(debited, QueryResult::Rows { ref tag, .. } if tag == "UPDATE 1"), "{debited:?}");
        assert_eq!(
            s.execute(&credit, &[Value::Int(10), Value::Int(2)]).unwrap(),
            QueryResult::Command { tag: "UPDATE 1".into() }
        );
        assert_eq!(
            s.execute(&record, &[Value::Int(1), Value::Int(2), Value::Int(10)]).unwrap(),
            QueryResult::Command { tag: "INSERT 0 1".into() }
        );
        assert_eq!(tag(&mut s, "COMMIT"), "COMMIT");
        assert_eq!(s.transaction_status(), TransactionStatus::Idle);
    }
    assert_eq!(
        rows(&mut s, "SELECT balance FROM accounts WHERE id IN (1, 2) ORDER BY id"),
        [vec![Value::Int(70)], vec![Value::Int(130)]]
    );
    assert_eq!(int(&mut s, "SELECT sum(balance) FROM accounts"), 100_000);

    let history = s
        .prepare(
            "SELECT id, payer_id, payee_id, amount, created_at FROM transactions WHERE payer_id = $1 \
             ORDER BY created_at DESC LIMIT 5",
            &[],
        )
        .unwrap();
    assert_eq!(history.param_types, vec![DataType::Int4]);
    let names: Vec<&str> = history.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["id", "payer_id", "payee_id", "amount", "created_at"]);
    assert_eq!(history.columns[4].data_type, DataType::Timestamp);
    match s.execute(&history, &[Value::Int(1)]).unwrap() {
        QueryResult::Rows { rows, tag, .. } => {
            assert_eq!(tag, "SELECT 3");
            for row in &rows {
                assert!(matches!(row[0], Value::Uuid(_)));
                assert_eq!(row[1..4], [Value::Int(1), Value::Int(2), Value::Int(10)]);
                assert!(matches!(row[4], Value::Timestamp(_)));
            }
        }
        other => panic!("{other:?}"),
    }
    // A debit below zero is the application's business; the engine just computes it.
    match s.execute(&debit, &[Value::Int(1000), Value::Int(3)]).unwrap() {
        QueryResult::Rows { rows, .. } => assert_eq!(rows, vec![vec![Value::Int(-900)]]),
        other => panic!("{other:?}"),
    }
    // A missing account updates nothing.
    match s.execute(&debit, &[Value::Int(1), Value::Int(5000)]).unwrap() {
        QueryResult::Rows { rows, tag, .. } => {
            assert!(rows.is_empty());
            assert_eq!(tag, "UPDATE 0");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn error_codes() {
    let db = Database::open_in_memory();
    let mut s = db.session("admin").unwrap();
    ok(&mut s, "CREATE TABLE t (id INT PRIMARY KEY, v INT NOT NULL, s TEXT)");
    ok(&mut s, "INSERT INTO t VALUES (1, 1, 'a')");
    assert_eq!(code(&mut s, "SELECT * FROM missing"), "42P01");
    assert_eq!(code(&mut s, "DROP TABLE missing"), "42P01");
    assert_eq!(code(&mut s, "SELECT nope FROM t"), "42703");
    assert_eq!(code(&mut s, "CREATE TABLE t (id INT)"), "42P07");
    assert_eq!(tag(&mut s, "CREATE TABLE IF NOT EXISTS t (id INT)"), "CREATE TABLE");
    assert_eq!(tag(&mut s, "DROP TABLE IF EXISTS missing"), "DROP TABLE");
    // A query naming a missing schema finds no relation, as in PostgreSQL (DDL there says 3F000).
    assert_eq!(code(&mut s, "SELECT * FROM other.t"), "42P01");
    assert_eq!(code(&mut s, "CREATE TABLE other.t (id INT)"), "3F000");
    assert_eq!(code(&mut s, "INSERT INTO t (id, v) VALUES (2, true)"), "42804");
    assert_eq!(code(&mut s, "SELECT 'abc'::int"), "22P02");
    assert_eq!(code(&mut s, "INSERT INTO t (id, v) VALUES (1, 5)"), "23505");
    let err = run(&mut s, "INSERT INTO t (id, v) VALUES (1, 5)").unwrap_err();
    assert_eq!(err.message, "duplicate key value violates unique constraint \"t_pkey\"");
    assert_eq!(err.detail.as_deref(), Some("Key (id)=(1) already exists."));
    assert_eq!(code(&mut s, "INSERT INTO t (id) VALUES (3)"), "23502");
    let err = run(&mut s, "INSERT INTO t (id) VALUES (3)").unwrap_err();
    assert_eq!(err.message, "null value in column \"v\" of relation \"t\" violates not-null constraint");
    assert_eq!(code(&mut s, "SELECT 1 / 0"), "22012");
    assert_eq!(code(&mut s, "SELECT 2147483647 + 1"), "22003");
    assert_eq!(code(&mut s, "UPDATE t SET v = NULL WHERE id = 1"), "23502");
    ok(&mut s, "CREATE TABLE u (id INT PRIMARY KEY)");
    assert_eq!(code(&mut s, "SELECT id FROM t, u"), "42702");
    assert_eq!(code(&mut s, "SHOW nonsense"), "42704");
    assert_eq!(code(&mut s, "SELECT s, count(*) FROM t"), "42803");

    ok(&mut s, "BEGIN");
    assert_eq!(code(&mut s, "SELECT 1 / 0"), "22012");
    assert_eq!(s.transaction_status(), TransactionStatus::Failed);
    assert_eq!(code(&mut s, "SELECT 1"), "25P02");
    assert_eq!(tag(&mut s, "COMMIT"), "ROLLBACK");
    assert_eq!(s.transaction_status(), TransactionStatus::Idle);
    assert_eq!(int(&mut s, "SELECT 1"), 1);
}

/// The message and DETAIL of each constraint violation, as PostgreSQL 15 words them (the slt corpus sees
/// only messages).
#[test]
fn constraint_violation_details() {
    let db = Database::open_in_memory();
    let mut s = db.session("admin").unwrap();
    ok(&mut s, "CREATE TABLE p (id INT PRIMARY KEY, code TEXT UNIQUE)");
    ok(&mut s, "CREATE TABLE c (id INT PRIMARY KEY, pid INT REFERENCES p, x INT, y INT, CHECK (x < y))");
    ok(&mut s, "CREATE TABLE m (a INT, b INT, PRIMARY KEY (a, b))");
    ok(&mut s, "CREATE TABLE f (a INT, b INT, FOREIGN KEY (a, b) REFERENCES m MATCH FULL)");
    ok(&mut s, "INSERT INTO p VALUES (1, 'a')");
    let detail = |s: &mut Session, sql: &str| {
        let err = run(s, sql).unwrap_err();
        (err.code, err.message, err.detail.unwrap_or_default())
    };
    assert_eq!(
        detail(&mut s, "INSERT INTO c VALUES (1, 1, 5, 2)"),
        (
            "23514",
            "new row for relation \"c\" violates check constraint \"c_check\"".to_string(),
            "Failing row contains (1, 1, 5, 2).".to_string()
        )
    );
    assert_eq!(
        detail(&mut s, "INSERT INTO c VALUES (1, 5, NULL, 2)"),
        (
            "23503",
            "insert or update on table \"c\" violates foreign key constraint \"c_pid_fkey\"".to_string(),
            "Key (pid)=(5) is not present in table \"p\".".to_string()
        )
    );
    assert_eq!(
        detail(&mut s, "INSERT INTO p VALUES (2, 'a')"),
        (
            "23505",
            "duplicate key value violates unique constraint \"p_code_key\"".to_string(),
            "Key (code)=(a) already exists.".to_string()
        )
    );
    ok(&mut s, "INSERT INTO c VALUES (1, 1, NULL, NULL)");
    assert_eq!(
        detail(&mut s, "DELETE FROM p"),
        (
            "23503",
            "update or delete on table \"p\" violates foreign key constraint \"c_pid_fkey\" on table \"c\"".to_string(),
            "Key (id)=(1) is still referenced from table \"c\".".to_string()
        )
    );
    assert_eq!(
        detail(&mut s, "INSERT INTO f VALUES (1, NULL)"),
        (
            "23503",
            "insert or update on table \"f\" violates foreign key constraint \"f_a_b_fkey\"".to_string(),
            "MATCH FULL does not allow mixing of null and nonnull key values.".to_string()
        )
    );
}

#[test]
fn write_write_conflict_fails_exactly_one_commit() {
    let db = Database::open_in_memory();
    let mut a = db.session("a").unwrap();
    let mut b = db.session("b").unwrap();
    accounts(&mut a);
    ok(&mut a, "BEGIN");
    ok(&mut b, "BEGIN");
    assert_eq!(tag(&mut a, "UPDATE accounts SET balance = balance - 1 WHERE id = 1"), "UPDATE 1");
    assert_eq!(tag(&mut b, "UPDATE accounts SET balance = balance - 2 WHERE id = 1"), "UPDATE 1");
    assert_eq!(tag(&mut a, "COMMIT"), "COMMIT");
    let err = run(&mut b, "COMMIT").unwrap_err();
    assert_eq!(err.code, "40001");
    assert_eq!(b.transaction_status(), TransactionStatus::Idle);
    assert_eq!(tag(&mut b, "ROLLBACK"), "ROLLBACK");
    assert_eq!(int(&mut b, "SELECT balance FROM accounts WHERE id = 1"), 99);
}

#[test]
fn disjoint_rows_both_commit() {
    let db = Database::open_in_memory();
    let mut a = db.session("a").unwrap();
    let mut b = db.session("b").unwrap();
    accounts(&mut a);
    ok(&mut a, "BEGIN");
    ok(&mut b, "BEGIN");
    ok(&mut a, "UPDATE accounts SET balance = 1 WHERE id = 1");
    ok(&mut b, "UPDATE accounts SET balance = 2 WHERE id = 2");
    assert_eq!(tag(&mut a, "COMMIT"), "COMMIT");
    assert_eq!(tag(&mut b, "COMMIT"), "COMMIT");
    assert_eq!(int(&mut a, "SELECT sum(balance) FROM accounts WHERE id <= 2"), 3);
}

#[test]
fn snapshots_own_writes_and_rollback() {
    let db = Database::open_in_memory();
    let mut a = db.session("a").unwrap();
    let mut b = db.session("b").unwrap();
    accounts(&mut a);
    ok(&mut a, "BEGIN");
    assert_eq!(int(&mut a, "SELECT balance FROM accounts WHERE id = 7"), 100);
    ok(&mut b, "UPDATE accounts SET balance = 0 WHERE id = 7");
    assert_eq!(int(&mut a, "SELECT balance FROM accounts WHERE id = 7"), 100, "snapshot must not move");
    ok(&mut a, "UPDATE accounts SET balance = 55 WHERE id = 8");
    assert_eq!(int(&mut a, "SELECT balance FROM accounts WHERE id = 8"), 55, "own write visible");
    assert_eq!(int(&mut b, "SELECT balance FROM accounts WHERE id = 8"), 100, "uncommitted write invisible");
    assert_eq!(tag(&mut a, "ROLLBACK"), "ROLLBACK");
    assert_eq!(int(&mut a, "SELECT balance FROM accounts WHERE id = 8"), 100, "rollback discards");
    assert_eq!(int(&mut a, "SELECT balance FROM accounts WHERE id = 7"), 0, "new snapshot sees the commit");
}

#[test]
fn multi_statement_query_is_one_implicit_transaction() {
    let db = Database::open_in_memory();
    let mut s = db.session("s").unwrap();
    ok(&mut s, "CREATE TABLE t (id INT PRIMARY KEY)");
    let results = s.execute_batch("INSERT INTO t VALUES (1); INSERT INTO t VALUES (1)");
    assert_eq!(results.len(), 2);
    assert_eq!(results[1].as_ref().unwrap_err().code, "23505");
    assert_eq!(s.transaction_status(), TransactionStatus::Idle);
    assert_eq!(int(&mut s, "SELECT count(*) FROM t"), 0, "the first insert was rolled back");
    let results = s.execute_batch("INSERT INTO t VALUES (1); INSERT INTO t VALUES (2); SELECT count(*) FROM t");
    assert!(results.iter().all(|r| r.is_ok()), "{results:?}");
    assert_eq!(int(&mut s, "SELECT count(*) FROM t"), 2);
    let results = s.execute_batch("CREATE TABLE a (id INT); CREATE TABLE b (id INT)");
    assert_eq!(results.last().unwrap().as_ref().unwrap_err().code, "0A000");
    assert_eq!(code(&mut s, "SELECT * FROM a"), "42P01");
}

#[test]
fn show_and_set() {
    let db = Database::open_in_memory();
    let mut s = db.session("s").unwrap();
    match ok(&mut s, "SHOW timezone") {
        QueryResult::Rows { columns, rows, tag } => {
            assert_eq!(tag, "SHOW");
            assert_eq!(columns[0].name, "TimeZone");
            assert_eq!(rows, vec![vec![Value::Text("UTC".into())]]);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(tag(&mut s, "SET application_name = 'occam-test'"), "SET");
    assert_eq!(rows(&mut s, "SHOW application_name"), vec![vec![Value::Text("occam-test".into())]]);
    assert_eq!(rows(&mut s, "SHOW server_version"), vec![vec![Value::Text("16.15".into())]]);
    assert_eq!(rows(&mut s, "SHOW transaction_isolation"), vec![vec![Value::Text("repeatable read".into())]]);
}

#[test]
fn queries() {
    let db = Database::open_in_memory();
    let mut s = db.session("s").unwrap();
    ok(&mut s, "CREATE TABLE p (id INT PRIMARY KEY, name TEXT, grp INT)");
    ok(&mut s, "INSERT INTO p VALUES (1, 'a', 1), (2, 'b', 1), (3, NULL, 2), (4, 'd', NULL)");
    assert_eq!(
        rows(&mut s, "SELECT grp, count(*) AS n FROM p GROUP BY grp HAVING count(*) > 0 ORDER BY grp NULLS FIRST"),
        [vec![Value::Null, Value::Int(1)], vec![Value::Int(1), Value::Int(2)], vec![Value::Int(2), Value::Int(1)],]
    );
    assert_eq!(
        rows(&mut s, "SELECT DISTINCT grp FROM p WHERE grp IS NOT NULL ORDER BY 1 DESC"),
        [vec![Value::Int(2)], vec![Value::Int(1)]]
    );
    assert_eq!(
        rows(&mut s, "SELECT id FROM p ORDER BY name DESC LIMIT 2 OFFSET 1"),
        [vec![Value::Int(4)], vec![Value::Int(2)]]
    );
    assert_eq!(int(&mut s, "SELECT count(*) FROM p WHERE id IN (SELECT grp FROM p)"), 2);
    assert_eq!(int(&mut s, "SELECT (SELECT max(id) FROM p) + 1"), 5);
    assert_eq!(int(&mut s, "SELECT count(*) FROM p a WHERE EXISTS (SELECT 1 FROM p b WHERE b.grp = a.id)"), 2);
    assert_eq!(int(&mut s, "SELECT count(*) FROM p, generate_series(1, 3) AS g"), 12);
    assert_eq!(int(&mut s, "SELECT count(*) FROM (SELECT id FROM p WHERE id > 1) AS sub"), 3);
    assert_eq!(
        rows(&mut s, "SELECT CASE WHEN id BETWEEN 2 AND 3 THEN 'mid' ELSE 'edge' END FROM p ORDER BY id"),
        ["edge", "mid", "mid", "edge"].map(|t| vec![Value::Text(t.into())])
    );
    assert_eq!(rows(&mut s, "VALUES (1, 'x'), (2, 'y')").len(), 2);
    assert_eq!(tag(&mut s, "DELETE FROM p WHERE grp = 1 RETURNING id"), "DELETE 2");
    assert_eq!(tag(&mut s, "UPDATE p SET id = id + 10 WHERE id = 3"), "UPDATE 1");
    assert_eq!(rows(&mut s, "SELECT id FROM p ORDER BY id"), [vec![Value::Int(4)], vec![Value::Int(13)]]);
    // A table without a primary key gets a hidden one, invisible to SELECT *.
    ok(&mut s, "CREATE TABLE nokey (a INT, b TEXT)");
    ok(&mut s, "INSERT INTO nokey VALUES (1, 'x'), (1, 'x')");
    match ok(&mut s, "SELECT * FROM nokey") {
        QueryResult::Rows { columns, rows, .. } => {
            assert_eq!(columns.len(), 2);
            assert_eq!(rows.len(), 2);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn reopen_on_disk_database() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config { data_dir: Some(dir.path().to_path_buf()), ..Config::default() };
    {
        let db = Database::open(&config).unwrap();
        let mut s = db.session("admin").unwrap();
        accounts(&mut s);
        ok(&mut s, "UPDATE accounts SET balance = 42 WHERE id = 5");
        ok(&mut s, "CREATE TABLE gone (id INT PRIMARY KEY)");
        ok(&mut s, "DROP TABLE gone");
    }
    let db = Database::open(&config).unwrap();
    let mut s = db.session("admin").unwrap();
    assert_eq!(int(&mut s, "SELECT count(*) FROM accounts"), 1000);
    assert_eq!(int(&mut s, "SELECT balance FROM accounts WHERE id = 5"), 42);
    assert_eq!(code(&mut s, "SELECT * FROM gone"), "42P01");
    // Table ids are never reused: a new table does not see the dropped table's rows.
    ok(&mut s, "CREATE TABLE fresh (id INT PRIMARY KEY)");
    assert_eq!(int(&mut s, "SELECT count(*) FROM fresh"), 0);
}

#[test]
fn transaction_row_limit() {
    let db = Database::open_in_memory();
    let mut s = db.session("s").unwrap();
    ok(&mut s, "CREATE TABLE bulk (id INT PRIMARY KEY)");
    assert_eq!(tag(&mut s, "INSERT INTO bulk SELECT * FROM generate_series(1, 3000)"), "INSERT 0 3000");
    let err = run(&mut s, "INSERT INTO bulk SELECT * FROM generate_series(3001, 6001)").unwrap_err();
    assert_eq!((err.code, err.message.as_str()), ("54000", "transaction row limit exceeded"));
    assert_eq!(int(&mut s, "SELECT count(*) FROM bulk"), 3000);
}

/// Not a benchmark proper (no timing assertions): prints the in-memory rate of workshop transfers.
/// Run with `cargo test --release --test engine -- --ignored --nocapture`.
#[test]
#[ignore]
fn transfer_rate() {
    let db = Database::open_in_memory();
    let mut s = db.session("admin").unwrap();
    accounts(&mut s);
    ok(
        &mut s,
        "CREATE TABLE transactions (id UUID DEFAULT gen_random_uuid() PRIMARY KEY, payer_id INT, payee_id INT, \
         amount INT, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP)",
    );
    let debit = s.prepare("UPDATE accounts SET balance = balance - $1 WHERE id = $2 RETURNING balance", &[]).unwrap();
    let credit = s.prepare("UPDATE accounts SET balance = balance + $1 WHERE id = $2", &[]).unwrap();
    let record = s.prepare("INSERT INTO transactions (payer_id, payee_id, amount) VALUES ($1, $2, $3)", &[]).unwrap();
    let begin = s.prepare("BEGIN", &[]).unwrap();
    let commit = s.prepare("COMMIT", &[]).unwrap();
    let n = 20_000;
    let start = std::time::Instant::now();
    for i in 0..n {
        let (payer, payee) = (Value::Int(i % 1000 + 1), Value::Int((i + 7) % 1000 + 1));
        s.execute(&begin, &[]).unwrap();
        s.execute(&debit, &[Value::Int(1), payer.clone()]).unwrap();
        s.execute(&credit, &[Value::Int(1), payee.clone()]).unwrap();
        s.execute(&record, &[payer, payee, Value::Int(1)]).unwrap();
        s.execute(&commit, &[]).unwrap();
    }
    let elapsed = start.elapsed();
    println!("{n} transfers in {elapsed:?}: {:.0}/s", n as f64 / elapsed.as_secs_f64());
}

/// All sessions' queries share the server's query memory (`Config::server_query_memory`): a session's
/// result rows stay counted until it runs its next statement (they are being sent), so another session's
/// sort that would pass what is left fails with PostgreSQL's 53200 and runs once the first has moved on.
#[test]
fn queries_share_the_server_query_memory() {
    let config =
        Config { compat: occam::CompatMode::Postgres, server_query_memory: Some(8 << 20), ..Config::default() };
    let db = Database::open(&config).unwrap();
    let mut first = db.session("admin").unwrap();
    let mut second = db.session("admin").unwrap();
    let sort = "SELECT count(*) FROM (SELECT repeat('y', 1000) || g AS v FROM generate_series(1, 4000) g ORDER BY v) s";
    assert_eq!(int(&mut second, sort), 4000, "alone, the sort fits");

    // About 5 MiB of result rows.
    let result = rows(&mut first, "SELECT repeat('x', 1000) FROM generate_series(1, 4000)");
    assert_eq!(result.len(), 4000);
    assert_eq!(code(&mut second, sort), "53200");
    assert_eq!(int(&mut second, "SELECT 1"), 1, "the session goes on");

    assert_eq!(int(&mut first, "SELECT 1"), 1);
    assert_eq!(int(&mut second, sort), 4000);
}

/// A statement prepared (extended protocol Parse) inside a transaction that created its table sees that
/// table, as in PostgreSQL (knex's `trx.schema.createTable(...)` then `trx(table).insert(...)`); its plan is
/// not kept past the transaction, so after a ROLLBACK the table is gone for it too.
#[test]
fn statements_prepared_after_ddl_in_the_transaction_see_it() {
    let config = Config { compat: occam::CompatMode::Postgres, ..Config::default() };
    let db = Database::open(&config).unwrap();
    let mut s = db.session("admin").unwrap();
    ok(&mut s, "BEGIN");
    ok(&mut s, "CREATE TABLE made_in_tx (id int PRIMARY KEY)");
    let insert = s.prepare("INSERT INTO made_in_tx VALUES ($1)", &[]).unwrap();
    assert_eq!(insert.param_types, [DataType::Int4]);
    s.execute(&insert, &[Value::Int(1)]).unwrap();
    ok(&mut s, "COMMIT");
    s.execute(&insert, &[Value::Int(2)]).unwrap();
    assert_eq!(int(&mut s, "SELECT count(*) FROM made_in_tx"), 2);

    ok(&mut s, "BEGIN");
    ok(&mut s, "CREATE TABLE rolled_back (id int PRIMARY KEY)");
    let insert = s.prepare("INSERT INTO rolled_back VALUES ($1)", &[]).unwrap();
    s.execute(&insert, &[Value::Int(1)]).unwrap();
    ok(&mut s, "ROLLBACK");
    assert_eq!(s.execute(&insert, &[Value::Int(1)]).unwrap_err().code, "42P01");
}
