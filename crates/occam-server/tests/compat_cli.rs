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
