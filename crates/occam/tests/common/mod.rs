//! Helpers shared by the in-process test files: run one statement on a `Session` and get its result as
//! plain values.
#![allow(dead_code)] // each test file uses a different subset

use occam::{Error, QueryResult, Session, Value};

/// Runs one statement and returns its result or error.
pub fn run(session: &mut Session, sql: &str) -> Result<QueryResult, Error> {
    let mut results = session.execute_batch(sql);
    assert_eq!(results.len(), 1, "one statement should give one result: {sql}");
    results.pop().expect("length checked above")
}

/// Runs one statement that must succeed.
pub fn ok(session: &mut Session, sql: &str) -> QueryResult {
    run(session, sql).unwrap_or_else(|err| panic!("{sql}: unexpected error {err}"))
}

/// The command tag of a statement that must succeed.
pub fn tag(session: &mut Session, sql: &str) -> String {
    match ok(session, sql) {
        QueryResult::Rows { tag, .. } | QueryResult::Command { tag } => tag,
        QueryResult::Empty => String::new(),
    }
}

/// The rows of a query that must succeed.
pub fn rows(session: &mut Session, sql: &str) -> Vec<Vec<Value>> {
    match ok(session, sql) {
        QueryResult::Rows { rows, .. } => rows,
        other => panic!("{sql}: expected rows, got {other:?}"),
    }
}

/// The single integer a query returns (NULL panics).
pub fn int(session: &mut Session, sql: &str) -> i64 {
    match rows(session, sql).as_slice() {
        [row] => match row.as_slice() {
            [Value::Int(value)] => *value,
            other => panic!("{sql}: expected one integer, got {other:?}"),
        },
        other => panic!("{sql}: expected one row, got {other:?}"),
    }
}
