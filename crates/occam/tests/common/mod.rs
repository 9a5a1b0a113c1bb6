//! Helpers shared by the in-process test files: run one statement on a `Session` and get its result as
//! plain values; serve a database over the wire in-process and connect tokio-postgres clients to it.
#![allow(dead_code)] // each test file uses a different subset

pub mod raw;

use std::net::SocketAddr;

use occam::{Database, Error, QueryResult, Session, Value};
use tokio::task::JoinHandle;

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
        QueryResult::Rows { tag, .. } | QueryResult::Command { tag } | QueryResult::CopyOut { tag, .. } => tag,
        QueryResult::Empty | QueryResult::CopyIn { .. } => String::new(),
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

/// Serves `database` with `occam::wire::serve` on 127.0.0.1 at a free port, in the calling runtime.
pub async fn serve(database: Database) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(occam::wire::serve(listener, database));
    addr
}

/// A client connected as `admin` to `addr`, and its connection task (which ends when the server closes
/// the connection: with the server's FATAL, if it sent one).
pub async fn connect(
    addr: SocketAddr,
) -> Result<(tokio_postgres::Client, JoinHandle<Result<(), tokio_postgres::Error>>), tokio_postgres::Error> {
    let config = format!("host=127.0.0.1 port={} user=admin password=x dbname=postgres", addr.port());
    let (client, connection) = tokio_postgres::connect(&config, tokio_postgres::NoTls).await?;
    Ok((client, tokio::spawn(connection)))
}

/// The SQLSTATE, message and severity of a server error (panics on a client-side error).
pub fn server_error(err: &tokio_postgres::Error) -> (String, String, String) {
    let db = err.as_db_error().unwrap_or_else(|| panic!("expected a server error, got {err:?}"));
    (db.code().code().to_owned(), db.message().to_owned(), db.severity().to_owned())
}
