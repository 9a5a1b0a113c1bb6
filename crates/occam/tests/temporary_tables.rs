//! Temporary tables (postgres mode) across sessions and restarts: a session's temporary table is invisible
//! to other sessions (and refused when named through its schema), shadows a permanent table of the same
//! name for its own session only, and goes with the session (with the process if it is killed:
//! `occam-server/tests/crash.rs`). The SQL behaviour within one session is in `slt/temporary_tables.slt`
//! (checked against PostgreSQL 15).

use occam::{CompatMode, Config, Database, Session, Value};

mod common;
use common::{ok, rows, run};

fn code(session: &mut Session, sql: &str) -> &'static str {
    match run(session, sql) {
        Ok(result) => panic!("{sql}: expected an error, got {result:?}"),
        Err(err) => err.code,
    }
}

fn temporary_schemas(session: &mut Session) -> Vec<Vec<Value>> {
    rows(session, "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'pg_temp%' ORDER BY 1")
}

fn postgres() -> Config {
    Config { compat: CompatMode::Postgres, ..Config::default() }
}

#[test]
fn a_temporary_table_belongs_to_its_session() {
    let db = Database::open(&postgres()).unwrap();
    let mut a = db.session("admin").unwrap();
    let mut b = db.session("admin").unwrap();
    ok(&mut a, "CREATE TABLE t (id INT PRIMARY KEY, v TEXT)");
    ok(&mut a, "INSERT INTO t VALUES (1, 'permanent')");
    ok(&mut a, "CREATE TEMP TABLE t (id INT PRIMARY KEY, v TEXT)");
    ok(&mut a, "INSERT INTO t VALUES (2, 'temporary')");
    ok(&mut a, "CREATE TEMP TABLE only_a (x INT)");

    // Each session reads its own `t`.
    assert_eq!(rows(&mut a, "SELECT id FROM t"), vec![vec![Value::Int(2)]]);
    assert_eq!(rows(&mut b, "SELECT id FROM t"), vec![vec![Value::Int(1)]]);
    assert_eq!(code(&mut b, "SELECT * FROM only_a"), "42P01");
    // The other session's temporary schema is visible in the catalog but its tables cannot be used.
    let schema = match &temporary_schemas(&mut b)[..] {
        [row] => match &row[0] {
            Value::Text(name) => name.clone(),
            other => panic!("{other:?}"),
        },
        other => panic!("one temporary schema expected, got {other:?}"),
    };
    assert_eq!(code(&mut b, &format!("SELECT * FROM {schema}.only_a")), "0A000");
    assert_eq!(code(&mut b, &format!("DROP TABLE {schema}.only_a")), "0A000");
    // Another session creating a temporary table of the same name gets its own.
    ok(&mut b, "CREATE TEMP TABLE only_a (y TEXT)");
    ok(&mut b, "INSERT INTO only_a VALUES ('b')");
    assert_eq!(rows(&mut a, "SELECT count(*) FROM only_a"), vec![vec![Value::Int(0)]]);
    assert_eq!(temporary_schemas(&mut a).len(), 2);

    // The session's end drops its temporary tables and schema; the permanent table stays.
    drop(a);
    assert_eq!(temporary_schemas(&mut b).len(), 1);
    let left = "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname LIKE 'pg_temp%' AND c.relname IN ('t', 'only_a')";
    assert_eq!(rows(&mut b, left), vec![vec![Value::Int(1)]], "only b's only_a is left");
    assert_eq!(rows(&mut b, "SELECT v FROM t"), vec![vec![Value::Text("permanent".into())]]);
    assert_eq!(rows(&mut b, "SELECT y FROM only_a"), vec![vec![Value::Text("b".into())]]);
}

#[test]
fn temporary_tables_are_refused_in_dsql_mode() {
    let db = Database::open_in_memory();
    let mut s = db.session("admin").unwrap();
    assert_eq!(code(&mut s, "CREATE TEMP TABLE t (a INT)"), "0A000");
    assert_eq!(code(&mut s, "CREATE TEMPORARY TABLE t AS SELECT 1 AS a"), "0A000");
}
