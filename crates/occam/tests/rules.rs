//! The compatibility rules that need several sessions or a clock: locking clauses validated at COMMIT,
//! write skew without them, schema changes under a running transaction (OC001), the transaction age limit
//! (with an injected clock) and the transaction size limit. Single-session rules are in
//! `tests/slt/dsql_rules.slt` and `tests/slt/pg_rules.slt`.
//!
//! As in `concurrency.rs`, each script drives its sessions from one thread, one statement at a time, so the
//! interleaving is exact and nothing can block.

use std::sync::Arc;
use std::time::Duration;

use occam::compat::ManualClock;
use occam::{CompatMode, Config, Database, Error, Session, TransactionStatus};

mod common;
use common::{int, ok, run, tag};

const OC000: &str = "change conflicts with another transaction, please retry: (OC000)";
const OC001: &str = "schema has been updated by another transaction, please retry: (OC001)";

fn open(compat: CompatMode) -> Database {
    Database::open(&Config { compat, ..Config::default() }).expect("in-memory open")
}

fn session(database: &Database) -> Session {
    database.session("admin").expect("session")
}

/// A database with `doctors(id, on_call)`: two doctors on call.
fn doctors(compat: CompatMode) -> Database {
    let database = open(compat);
    let mut setup = session(&database);
    ok(&mut setup, "CREATE TABLE doctors (id int PRIMARY KEY, on_call bool)");
    ok(&mut setup, "INSERT INTO doctors VALUES (1, true), (2, true)");
    database
}

fn error_of(session: &mut Session, sql: &str) -> Error {
    match run(session, sql) {
        Err(err) => err,
        Ok(result) => panic!("{sql}: expected an error, got {result:?}"),
    }
}

fn expect_error(session: &mut Session, sql: &str, code: &str, message: &str) {
    let err = error_of(session, sql);
    assert_eq!((err.code, err.message.as_str()), (code, message), "{sql}");
}

// ---------------------------------------------------------------------------------------------------------
// Locking clauses.

#[test]
fn for_update_reader_loses_when_the_writer_commits_first() {
    let database = doctors(CompatMode::Dsql);
    let (mut reader, mut writer) = (session(&database), session(&database));
    ok(&mut reader, "BEGIN");
    assert_eq!(tag(&mut reader, "SELECT * FROM doctors WHERE id = 1 FOR UPDATE"), "SELECT 1");
    // The writer neither waits nor fails at its statement: OCC decides at COMMIT.
    assert_eq!(tag(&mut writer, "UPDATE doctors SET on_call = false WHERE id = 1"), "UPDATE 1");
    // A transaction that only read FOR UPDATE is not read-only for validation.
    expect_error(&mut reader, "COMMIT", "40001", OC000);
    assert_eq!(reader.transaction_status(), TransactionStatus::Idle);
}

#[test]
fn writer_loses_when_the_for_update_reader_commits_first() {
    let database = doctors(CompatMode::Dsql);
    let (mut reader, mut writer) = (session(&database), session(&database));
    ok(&mut reader, "BEGIN");
    ok(&mut writer, "BEGIN");
    ok(&mut reader, "SELECT * FROM doctors WHERE id = 1 FOR UPDATE");
    assert_eq!(tag(&mut writer, "UPDATE doctors SET on_call = false WHERE id = 1"), "UPDATE 1");
    assert_eq!(tag(&mut reader, "COMMIT"), "COMMIT");
    expect_error(&mut writer, "COMMIT", "40001", OC000);
    assert_eq!(int(&mut writer, "SELECT count(*) FROM doctors WHERE on_call"), 2, "the write was discarded");
}

#[test]
fn for_update_locks_only_the_rows_returned() {
    let database = doctors(CompatMode::Dsql);
    let (mut reader, mut writer) = (session(&database), session(&database));
    ok(&mut reader, "BEGIN");
    // A full scan with a filter locks the row it returns, not every row it looked at.
    assert_eq!(tag(&mut reader, "SELECT * FROM doctors WHERE id > 1 FOR UPDATE"), "SELECT 1");
    ok(&mut writer, "UPDATE doctors SET on_call = false WHERE id = 1");
    assert_eq!(tag(&mut reader, "COMMIT"), "COMMIT");
}

/// The classic write skew: each doctor checks that the other is on call, then goes off call. Snapshot
/// isolation lets both commit (plain reads are not validated); reading FOR UPDATE prevents it.
#[test]
fn write_skew_is_allowed_without_for_update_and_prevented_with_it() {
    for (lock, expect_skew) in [("", true), (" FOR UPDATE", false)] {
        let database = doctors(CompatMode::Dsql);
        let (mut a, mut b) = (session(&database), session(&database));
        ok(&mut a, "BEGIN");
        ok(&mut b, "BEGIN");
        let check = format!("SELECT id FROM doctors WHERE on_call{lock}");
        assert_eq!(tag(&mut a, &check), "SELECT 2");
        assert_eq!(tag(&mut b, &check), "SELECT 2");
        ok(&mut a, "UPDATE doctors SET on_call = false WHERE id = 1");
        ok(&mut b, "UPDATE doctors SET on_call = false WHERE id = 2");
        assert_eq!(tag(&mut a, "COMMIT"), "COMMIT");
        if expect_skew {
            assert_eq!(tag(&mut b, "COMMIT"), "COMMIT");
            assert_eq!(int(&mut b, "SELECT count(*) FROM doctors WHERE on_call"), 0, "write skew");
        } else {
            expect_error(&mut b, "COMMIT", "40001", OC000);
            assert_eq!(int(&mut b, "SELECT count(*) FROM doctors WHERE on_call"), 1);
        }
    }
}

#[test]
fn for_key_share_conflicts_with_deletes_but_not_with_updates() {
    // A non-key update of a key-shared row: both commit, whichever commits first.
    for reader_first in [true, false] {
        let database = doctors(CompatMode::Dsql);
        let (mut reader, mut writer) = (session(&database), session(&database));
        ok(&mut reader, "BEGIN");
        ok(&mut writer, "BEGIN");
        ok(&mut reader, "SELECT id FROM doctors WHERE id = 1 FOR KEY SHARE");
        ok(&mut writer, "UPDATE doctors SET on_call = false WHERE id = 1");
        let order = if reader_first { [&mut reader, &mut writer] } else { [&mut writer, &mut reader] };
        for session in order {
            assert_eq!(tag(session, "COMMIT"), "COMMIT");
        }
    }
    // A delete of it: the second to commit fails, whichever it is.
    for reader_first in [true, false] {
        let database = doctors(CompatMode::Dsql);
        let (mut reader, mut deleter) = (session(&database), session(&database));
        ok(&mut reader, "BEGIN");
        ok(&mut deleter, "BEGIN");
        ok(&mut reader, "SELECT id FROM doctors WHERE id = 1 FOR KEY SHARE");
        assert_eq!(tag(&mut deleter, "DELETE FROM doctors WHERE id = 1"), "DELETE 1");
        let [first, second] = if reader_first { [&mut reader, &mut deleter] } else { [&mut deleter, &mut reader] };
        assert_eq!(tag(first, "COMMIT"), "COMMIT");
        expect_error(second, "COMMIT", "40001", OC000);
    }
}

#[test]
fn for_update_then_write_still_conflicts_with_key_share() {
    // The non-key UPDATE alone would not conflict with FOR KEY SHARE; the FOR UPDATE before it does.
    let database = doctors(CompatMode::Dsql);
    let (mut locker, mut sharer) = (session(&database), session(&database));
    ok(&mut locker, "BEGIN");
    ok(&mut sharer, "BEGIN");
    ok(&mut locker, "SELECT * FROM doctors WHERE id = 1 FOR UPDATE");
    ok(&mut locker, "UPDATE doctors SET on_call = false WHERE id = 1");
    ok(&mut sharer, "SELECT id FROM doctors WHERE id = 1 FOR KEY SHARE");
    assert_eq!(tag(&mut sharer, "COMMIT"), "COMMIT");
    expect_error(&mut locker, "COMMIT", "40001", OC000);
}

#[test]
fn postgres_mode_runs_for_share_as_for_update() {
    let database = doctors(CompatMode::Postgres);
    let (mut reader, mut writer) = (session(&database), session(&database));
    ok(&mut reader, "BEGIN");
    ok(&mut reader, "SELECT * FROM doctors WHERE id = 1 FOR SHARE");
    ok(&mut writer, "UPDATE doctors SET on_call = false WHERE id = 1");
    expect_error(&mut reader, "COMMIT", "40001", OC000);

    let database = doctors(CompatMode::Dsql);
    let mut reader = session(&database);
    let err = error_of(&mut reader, "SELECT * FROM doctors WHERE id = 1 FOR SHARE");
    assert_eq!(err.code, "0A000");
}

// ---------------------------------------------------------------------------------------------------------
// Schema changes under a running transaction.

#[test]
fn a_write_to_a_table_whose_schema_changed_fails_with_oc001() {
    let database = doctors(CompatMode::Dsql);
    let (mut writer, mut ddl) = (session(&database), session(&database));
    ok(&mut writer, "BEGIN");
    assert_eq!(tag(&mut writer, "INSERT INTO doctors VALUES (3, true)"), "INSERT 0 1");
    assert_eq!(tag(&mut ddl, "DROP TABLE doctors"), "DROP TABLE");
    expect_error(&mut writer, "COMMIT", "40001", OC001);
    assert_eq!(writer.transaction_status(), TransactionStatus::Idle);
}

#[test]
fn a_schema_change_to_another_table_does_not_conflict() {
    let database = doctors(CompatMode::Dsql);
    let (mut writer, mut ddl) = (session(&database), session(&database));
    ok(&mut writer, "BEGIN");
    ok(&mut writer, "INSERT INTO doctors VALUES (3, true)");
    ok(&mut ddl, "CREATE TABLE unrelated (id int PRIMARY KEY)");
    assert_eq!(tag(&mut writer, "COMMIT"), "COMMIT");
}

#[test]
fn concurrent_ddl_fails_with_oc001() {
    let database = open(CompatMode::Dsql);
    let (mut a, mut b) = (session(&database), session(&database));
    ok(&mut a, "BEGIN");
    ok(&mut b, "BEGIN");
    ok(&mut a, "CREATE TABLE first_table (id int PRIMARY KEY)");
    ok(&mut b, "CREATE TABLE second_table (id int PRIMARY KEY)");
    assert_eq!(tag(&mut a, "COMMIT"), "COMMIT");
    expect_error(&mut b, "COMMIT", "40001", OC001);
}

// ---------------------------------------------------------------------------------------------------------
// Transaction age (with an injected clock) and size.

fn with_clock(compat: CompatMode) -> (Database, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let config = Config { compat, clock: Some(clock.clone()), ..Config::default() };
    let database = Database::open(&config).expect("in-memory open");
    ok(&mut session(&database), "CREATE TABLE events (id int PRIMARY KEY)");
    (database, clock)
}

const AGE_LIMIT: &str = "transaction age limit of 300s exceeded";

#[test]
fn a_transaction_older_than_five_minutes_fails_at_its_next_statement() {
    let (database, clock) = with_clock(CompatMode::Dsql);
    let mut s = session(&database);
    ok(&mut s, "BEGIN");
    ok(&mut s, "INSERT INTO events VALUES (1)");
    clock.advance(Duration::from_secs(300));
    ok(&mut s, "INSERT INTO events VALUES (2)");
    clock.advance(Duration::from_secs(1));
    expect_error(&mut s, "SELECT 1", "54000", AGE_LIMIT);
    assert_eq!(s.transaction_status(), TransactionStatus::Failed);
    assert_eq!(tag(&mut s, "COMMIT"), "ROLLBACK");
    assert_eq!(int(&mut s, "SELECT count(*) FROM events"), 0);
}

#[test]
fn a_transaction_older_than_five_minutes_fails_at_commit() {
    let (database, clock) = with_clock(CompatMode::Dsql);
    let mut s = session(&database);
    ok(&mut s, "BEGIN");
    ok(&mut s, "INSERT INTO events VALUES (1)");
    clock.advance(Duration::from_secs(301));
    expect_error(&mut s, "COMMIT", "54000", AGE_LIMIT);
    assert_eq!(s.transaction_status(), TransactionStatus::Idle);
    assert_eq!(int(&mut s, "SELECT count(*) FROM events"), 0, "nothing was written");
}

#[test]
fn postgres_mode_has_no_age_limit() {
    let (database, clock) = with_clock(CompatMode::Postgres);
    let mut s = session(&database);
    ok(&mut s, "BEGIN");
    ok(&mut s, "INSERT INTO events VALUES (1)");
    clock.advance(Duration::from_secs(3600));
    assert_eq!(tag(&mut s, "COMMIT"), "COMMIT");
    assert_eq!(int(&mut s, "SELECT count(*) FROM events"), 1);
}

#[test]
fn a_transaction_writing_more_than_10_mib_fails_at_commit() {
    let database = open(CompatMode::Dsql);
    let mut s = session(&database);
    ok(&mut s, "CREATE TABLE blobs (id int PRIMARY KEY, body text)");
    ok(&mut s, "BEGIN");
    // 3,000 rows of 3,600 bytes: within the row limit, over 10 MiB. Statements succeed; COMMIT refuses.
    assert_eq!(
        tag(&mut s, "INSERT INTO blobs SELECT g, repeat('x', 3600) FROM generate_series(1, 3000) AS g"),
        "INSERT 0 3000"
    );
    expect_error(&mut s, "COMMIT", "54000", "transaction size limit 10mb exceeded");
    assert_eq!(int(&mut s, "SELECT count(*) FROM blobs"), 0, "nothing was written");
    // Just under the limit commits.
    assert_eq!(
        tag(&mut s, "INSERT INTO blobs SELECT g, repeat('x', 3000) FROM generate_series(1, 3000) AS g"),
        "INSERT 0 3000"
    );
    assert_eq!(int(&mut s, "SELECT count(*) FROM blobs"), 3000);
}

// ---------------------------------------------------------------------------------------------------------
// Databases: only `postgres` exists.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connecting_to_another_database_is_fatal_3d000() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("local addr").port();
    tokio::spawn(occam::wire::serve(listener, Database::open_in_memory()));
    let config = format!("host=127.0.0.1 port={port} user=admin password=x dbname=other");
    let err = tokio_postgres::connect(&config, tokio_postgres::NoTls).await.err().expect("connect must fail");
    let db = err.as_db_error().expect("a server error");
    assert_eq!(
        (db.code().code(), db.message(), db.severity()),
        ("3D000", "database \"other\" does not exist", "FATAL")
    );
    let config = format!("host=127.0.0.1 port={port} user=admin password=x dbname=postgres");
    let (client, connection) = tokio_postgres::connect(&config, tokio_postgres::NoTls).await.expect("connect");
    tokio::spawn(connection);
    client.simple_query("SELECT 1").await.expect("the postgres database accepts queries");
}
