//! `occam serve --compat`: the default follows Aurora DSQL's rules, `--compat postgres` lifts them, and an
//! unknown mode is an operator error. Checked with a real `psql` against a started server.

use std::process::Command;

mod common;
use common::{Server, OCCAM};

#[test]
fn an_unknown_mode_is_refused() {
    let output = Command::new(OCCAM).args(["serve", "--in-memory", "--compat", "mysql"]).output().expect("run occam");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("unknown compatibility mode"), "{stderr}");
}

#[test]
fn dsql_is_the_default_and_postgres_lifts_its_rules() {
    // One query string is one implicit transaction: DDL with DML in it is refused in DSQL mode.
    let ddl_and_dml = "CREATE TABLE compat_t (id int PRIMARY KEY); INSERT INTO compat_t VALUES (1)";
    let dsql = Server::start(&["--in-memory"]);
    let output = dsql.psql(&[ddl_and_dml]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("ddl and dml are not supported in the same transaction"), "{stderr}");

    let postgres = Server::start(&["--in-memory", "--compat", "postgres"]);
    let output = postgres.psql(&[
        ddl_and_dml,
        "INSERT INTO compat_t VALUES (2)",
        "TRUNCATE compat_t",
        "SELECT count(*) FROM compat_t",
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(stdout.lines().last(), Some("0"), "{stdout}");
}

/// tokio-postgres to the server as `admin`, with its connection task.
async fn connect(
    server: &Server,
) -> Result<(tokio_postgres::Client, tokio::task::JoinHandle<Result<(), tokio_postgres::Error>>), tokio_postgres::Error>
{
    let config = format!("host=127.0.0.1 port={} user=admin password=x dbname=postgres", server.port);
    let (client, connection) = tokio_postgres::connect(&config, tokio_postgres::NoTls).await?;
    Ok((client, tokio::spawn(connection)))
}

#[tokio::test]
async fn connection_limit_flags_override_the_rules() {
    // The readiness probe of `Server::start` takes the one token; a token comes back each second.
    let server = Server::start(&["--in-memory", "--connection-rate", "1", "--connection-burst", "1"]);
    let mut refused = None;
    for _ in 0..20 {
        // Under load a refused client may see the socket close before it reads the FATAL message; the
        // next attempt (still refused: no token came back) reads it.
        if let Err(err) = connect(&server).await {
            if err.as_db_error().is_some() {
                refused = Some(err);
                break;
            }
        }
    }
    let refused = refused.expect("20 connections at once exceed 1 per second");
    let db = refused.as_db_error().expect("a server error");
    assert_eq!((db.code().code(), db.message()), ("53400", "unable to accept connection, rate exceeded"));

    // A one-second maximum duration: the server closes the idle connection by itself.
    let server = Server::start(&["--in-memory", "--max-connection-duration", "1", "--compat", "postgres"]);
    let (_client, connection) = connect(&server).await.expect("connect");
    let err = connection.await.expect("connection task").expect_err("closed by the server");
    let db = err.as_db_error().expect("a server error");
    assert_eq!(
        (db.code().code(), db.message(), db.severity()),
        ("57P01", "terminating connection: connection duration limit of 1s exceeded", "FATAL")
    );
}

/// In postgres mode ANALYZE returns once its statistics are stored, as PostgreSQL's does, also on disk,
/// where the commit that submits its jobs becomes visible only after its fsync.
#[test]
fn analyze_waits_for_its_statistics_in_postgres_mode() {
    let data_dir = tempfile::tempdir().expect("data directory");
    let data_dir = data_dir.path().to_str().expect("utf-8 path");
    let server = Server::start(&["--data-dir", data_dir, "--compat", "postgres"]);
    let output = server.psql(&[
        "CREATE TABLE analyzed (id int PRIMARY KEY, v text)",
        "INSERT INTO analyzed SELECT g, 'v' || g FROM generate_series(1, 40) g",
        "ANALYZE",
        "SELECT row_count FROM sys.table_statistics WHERE table_name = 'analyzed' AND column_name = 'id'",
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(stdout.lines().last(), Some("40"), "{stdout}");
}
