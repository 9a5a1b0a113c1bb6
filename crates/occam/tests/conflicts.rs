//! OCC conflicts explained and injected (`occam::conflicts`): scripted interleavings of sessions on one
//! in-process database, each checking the 40001's DETAIL for one way two transactions meet (write-write,
//! FOR UPDATE, FOR KEY SHARE, a unique key, a schema change), the contention view after them, and conflict
//! injection: reproducible with a seed, writing nothing, OC001 on request, set per role.

use occam::{Database, Error, Session, Value};

mod common;
use common::{int, ok, rows, run};

const SERIALIZATION_FAILURE: &str = "40001";

fn session(database: &Database) -> Session {
    database.session("postgres").unwrap_or_else(|err| panic!("cannot open a session: {err}"))
}

/// The 40001 that `sql` fails with here.
fn conflict(session: &mut Session, sql: &str) -> Error {
    match run(session, sql) {
        Err(err) if err.code == SERIALIZATION_FAILURE => err,
        other => panic!("{sql}: expected 40001, got {other:?}"),
    }
}

fn bank() -> Database {
    let database = Database::open_in_memory();
    let mut setup = session(&database);
    ok(&mut setup, "CREATE TABLE accounts (id int PRIMARY KEY, balance int)");
    ok(&mut setup, "INSERT INTO accounts SELECT g, 100 FROM generate_series(1, 50) AS g");
    database
}

/// Checks a DETAIL against `prefix` + `<age> ms before this COMMIT.`.
fn assert_detail(err: &Error, prefix: &str) {
    let detail = err.detail.as_deref().unwrap_or_else(|| panic!("no DETAIL on {err}"));
    let rest =
        detail.strip_prefix(prefix).unwrap_or_else(|| panic!("DETAIL {detail:?} does not start with {prefix:?}"));
    let age = rest.strip_suffix(" ms before this COMMIT.").unwrap_or_else(|| panic!("DETAIL {detail:?}"));
    assert!(age.parse::<f64>().is_ok(), "an age in ms: {detail:?}");
}

fn text(value: &Value) -> String {
    match value {
        Value::Text(text) => text.clone(),
        Value::Null => "NULL".to_string(),
        other => format!("{other:?}"),
    }
}

#[test]
fn write_write_names_the_table_and_key() {
    let database = bank();
    let (mut a, mut b) = (session(&database), session(&database));
    ok(&mut b, "SET application_name = 'transfers'");
    ok(&mut a, "BEGIN");
    ok(&mut b, "BEGIN");
    ok(&mut a, "UPDATE accounts SET balance = balance - 1 WHERE id = 42");
    ok(&mut b, "UPDATE accounts SET balance = balance + 1 WHERE id = 42");
    ok(&mut a, "COMMIT");
    let err = conflict(&mut b, "COMMIT");
    assert_eq!(err.message, "change conflicts with another transaction, please retry: (OC000)");
    assert_detail(&err, "Key (id)=(42) of table \"accounts\": write-write conflict with a transaction that committed ");

    let recorded = rows(
        &mut a,
        "SELECT code, kind, table_name, key, injected::text, application_name, statement, winner_age_ms >= 0 \
         FROM sys.occ_conflicts",
    );
    assert_eq!(recorded.len(), 1);
    let row: Vec<String> = recorded[0].iter().map(text).collect();
    assert_eq!(
        row[..7],
        [
            "OC000",
            "write-write",
            "accounts",
            "(id)=(42)",
            "false",
            "transfers",
            "UPDATE accounts SET balance = balance + 1 WHERE id = 42"
        ]
    );
    assert_eq!(recorded[0][7], Value::Bool(true));
    assert_eq!(int(&mut a, "SELECT conflicts FROM sys.occ_table_stats WHERE table_name = 'accounts'"), 1);

    // The loser retries and commits: a commit after a conflict.
    ok(&mut b, "UPDATE accounts SET balance = balance + 1 WHERE id = 42");
    assert_eq!(int(&mut a, "SELECT commits_after_conflict FROM sys.occ_table_stats WHERE table_name = 'accounts'"), 1);
}

#[test]
fn hot_keys_rank_the_keys_that_conflict_most() {
    let database = bank();
    let (mut a, mut b) = (session(&database), session(&database));
    for id in [7, 7, 7, 9, 9, 3] {
        ok(&mut a, "BEGIN");
        ok(&mut b, "BEGIN");
        ok(&mut a, &format!("UPDATE accounts SET balance = balance - 1 WHERE id = {id}"));
        ok(&mut b, &format!("UPDATE accounts SET balance = balance + 1 WHERE id = {id}"));
        ok(&mut a, "COMMIT");
        conflict(&mut b, "COMMIT");
    }
    let hot: Vec<(String, i64)> = rows(&mut a, "SELECT key, conflicts FROM sys.hot_keys ORDER BY conflicts DESC, key")
        .iter()
        .map(|row| {
            (
                text(&row[0]),
                match row[1] {
                    Value::Int(n) => n,
                    _ => -1,
                },
            )
        })
        .collect();
    assert_eq!(hot, [("(id)=(7)".to_string(), 3), ("(id)=(9)".to_string(), 2), ("(id)=(3)".to_string(), 1)]);
}

#[test]
fn locks_say_for_update_and_for_key_share() {
    let database = bank();
    let mut setup = session(&database);
    ok(&mut setup, "CREATE TABLE transfers (id int PRIMARY KEY, account int REFERENCES accounts (id))");
    let (mut a, mut b) = (session(&database), session(&database));

    // b locks account 5 FOR UPDATE; a changes it and commits first.
    ok(&mut b, "BEGIN");
    ok(&mut b, "SELECT balance FROM accounts WHERE id = 5 FOR UPDATE");
    ok(&mut a, "UPDATE accounts SET balance = 0 WHERE id = 5");
    ok(&mut b, "UPDATE accounts SET balance = 1 WHERE id = 6");
    let err = conflict(&mut b, "COMMIT");
    assert_detail(&err, "Key (id)=(5) of table \"accounts\": FOR UPDATE conflict with a transaction that committed ");

    // b inserts a transfer of account 8 (locking it FOR KEY SHARE); a deletes account 8 first.
    ok(&mut b, "BEGIN");
    ok(&mut b, "INSERT INTO transfers VALUES (1, 8)");
    ok(&mut a, "DELETE FROM accounts WHERE id = 8");
    let err = conflict(&mut b, "COMMIT");
    assert_detail(
        &err,
        "Key (id)=(8) of table \"accounts\": FOR KEY SHARE conflict with a transaction that committed ",
    );
}

#[test]
fn a_unique_key_written_twice_names_the_index() {
    let database = Database::open_in_memory();
    let mut setup = session(&database);
    ok(&mut setup, "CREATE TABLE users (id int PRIMARY KEY, email text, CONSTRAINT users_email_key UNIQUE (email))");
    let (mut a, mut b) = (session(&database), session(&database));
    ok(&mut a, "BEGIN");
    ok(&mut b, "BEGIN");
    ok(&mut a, "INSERT INTO users VALUES (1, 'ann@example.com')");
    ok(&mut b, "INSERT INTO users VALUES (2, 'ann@example.com')");
    ok(&mut a, "COMMIT");
    let err = conflict(&mut b, "COMMIT");
    assert_detail(
        &err,
        "Key (email)=(ann@example.com) of index \"users_email_key\" on table \"users\": write-write conflict with a \
         transaction that committed ",
    );
}

#[test]
fn a_schema_change_names_the_table_and_detail_can_be_switched_off() {
    let database = bank();
    let (mut a, mut b) = (session(&database), session(&database));
    ok(&mut a, "BEGIN");
    ok(&mut a, "UPDATE accounts SET balance = 1 WHERE id = 1");
    ok(&mut b, "ALTER TABLE accounts ADD COLUMN note text");
    let err = conflict(&mut a, "COMMIT");
    assert_eq!(err.message, "schema has been updated by another transaction, please retry: (OC001)");
    assert_detail(
        &err,
        "The definition of table \"accounts\" changed after this transaction began: a schema change committed ",
    );

    ok(&mut a, "SET occam.conflict_detail = off");
    ok(&mut a, "BEGIN");
    ok(&mut b, "BEGIN");
    ok(&mut a, "UPDATE accounts SET balance = 2 WHERE id = 2");
    ok(&mut b, "UPDATE accounts SET balance = 3 WHERE id = 2");
    ok(&mut b, "COMMIT");
    let err = conflict(&mut a, "COMMIT");
    assert_eq!(err.detail, None, "occam.conflict_detail = off leaves DSQL's bare error");
    assert_eq!(int(&mut a, "SELECT count(*) FROM sys.occ_conflicts"), 2, "still recorded");
}

/// Which of `n` single-row inserts fail under `commit:0.3` with `seed`; the rows that failed are absent.
fn injected_failures(database: &Database, seed: i64, table: &str) -> Vec<bool> {
    let mut s = session(database);
    ok(&mut s, &format!("CREATE TABLE {table} (id int PRIMARY KEY)"));
    ok(&mut s, &format!("SET occam.inject_seed = {seed}"));
    ok(&mut s, "SET occam.inject_conflicts = 'commit:0.3'");
    let failed: Vec<bool> = (0..40)
        .map(|i| match run(&mut s, &format!("INSERT INTO {table} VALUES ({i})")) {
            Ok(_) => false,
            Err(err) => {
                assert_eq!(err.code, SERIALIZATION_FAILURE);
                assert_eq!(err.message, "change conflicts with another transaction, please retry: (OC000)");
                assert_eq!(
                    err.detail.as_deref(),
                    Some("Injected by occam.inject_conflicts = 'commit:0.3'; nothing was written.")
                );
                true
            }
        })
        .collect();
    ok(&mut s, "SET occam.inject_conflicts = off");
    let present: Vec<bool> =
        (0..40).map(|i| int(&mut s, &format!("SELECT count(*) FROM {table} WHERE id = {i}")) == 1).collect();
    assert_eq!(present, failed.iter().map(|f| !f).collect::<Vec<_>>(), "an injected failure writes nothing");
    failed
}

#[test]
fn injection_is_reproducible_with_a_seed_and_writes_nothing() {
    let database = Database::open_in_memory();
    let first = injected_failures(&database, 42, "t1");
    let again = injected_failures(&database, 42, "t2");
    let other = injected_failures(&database, 43, "t3");
    assert_eq!(first, again, "the same seed fails the same commits");
    assert_ne!(first, other);
    let failed = first.iter().filter(|&&f| f).count();
    assert!((4..=22).contains(&failed), "about 30 % of 40 fail: {failed}");
    let mut s = session(&database);
    assert_eq!(
        int(&mut s, "SELECT count(*) FROM sys.occ_conflicts WHERE injected AND kind = 'injected'") as usize,
        first.iter().chain(&again).chain(&other).filter(|&&f| f).count()
    );
}

#[test]
fn next_injections_fire_once_and_schema_next_is_oc001() {
    let database = bank();
    let mut s = session(&database);
    ok(&mut s, "SET occam.inject_conflicts = 'schema:next'");
    ok(&mut s, "BEGIN");
    ok(&mut s, "UPDATE accounts SET balance = 0 WHERE id = 1");
    let err = conflict(&mut s, "COMMIT");
    assert_eq!(err.message, "schema has been updated by another transaction, please retry: (OC001)");
    assert_eq!(text(&rows(&mut s, "SHOW occam.inject_conflicts")[0][0]), "off", "fired once, then off");
    assert_eq!(int(&mut s, "SELECT balance FROM accounts WHERE id = 1"), 100);
    ok(&mut s, "UPDATE accounts SET balance = 0 WHERE id = 1");
    assert_eq!(int(&mut s, "SELECT balance FROM accounts WHERE id = 1"), 0);
    // Reading transactions are never failed.
    ok(&mut s, "SET occam.inject_conflicts = 'commit:1'");
    assert_eq!(int(&mut s, "SELECT count(*) FROM accounts"), 50);
    conflict(&mut s, "UPDATE accounts SET balance = 5 WHERE id = 2");
    let err = run(&mut s, "SET occam.inject_conflicts = 'sometimes'").unwrap_err();
    assert_eq!(err.code, "22023");
}

#[test]
fn a_role_setting_reaches_its_new_sessions() {
    let database = bank();
    let mut admin = database.session("admin").unwrap();
    ok(&mut admin, "CREATE ROLE app WITH LOGIN");
    ok(&mut admin, "GRANT ALL ON accounts TO app");
    ok(&mut admin, "ALTER ROLE app SET occam.inject_conflicts = 'commit:next'");
    assert_eq!(
        text(&rows(&mut admin, "SELECT array_to_string(rolconfig, ',') FROM pg_roles WHERE rolname = 'app'")[0][0]),
        "occam.inject_conflicts=commit:next"
    );
    let err = run(&mut admin, "ALTER ROLE app SET no_such_parameter = 1").unwrap_err();
    assert_eq!(err.code, "42704");
    let mut app = database.session("app").unwrap();
    assert_eq!(text(&rows(&mut app, "SHOW occam.inject_conflicts")[0][0]), "commit:next");
    conflict(&mut app, "UPDATE accounts SET balance = 1 WHERE id = 3");
    ok(&mut app, "UPDATE accounts SET balance = 1 WHERE id = 3");
    ok(&mut admin, "ALTER ROLE app RESET occam.inject_conflicts");
    let mut later = database.session("app").unwrap();
    assert_eq!(text(&rows(&mut later, "SHOW occam.inject_conflicts")[0][0]), "off");

    // The losing statement's text is for its own role and the administrator, as in pg_stat_activity.
    ok(&mut admin, "CREATE ROLE other WITH LOGIN");
    let mut other = database.session("other").unwrap();
    let seen = |session: &mut Session| text(&rows(session, "SELECT statement FROM sys.occ_conflicts")[0][0]);
    assert_eq!(seen(&mut admin), "UPDATE accounts SET balance = 1 WHERE id = 3");
    assert_eq!(seen(&mut later), "UPDATE accounts SET balance = 1 WHERE id = 3");
    assert_eq!(seen(&mut other), "<insufficient privilege>");
}

/// A tokio-postgres client's retry loop, exercised by server-wide injection (`occam serve
/// --inject-conflicts commit:0.5`) with no concurrency at all: every transfer lands exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_retry_loop_survives_injected_conflicts() {
    let config = occam::database::Config {
        session_defaults: vec![
            ("occam.inject_conflicts".to_string(), "commit:0.5".to_string()),
            ("occam.inject_seed".to_string(), "2026".to_string()),
        ],
        ..Default::default()
    };
    let database = Database::open(&config).unwrap();
    let addr = common::serve(database).await;
    let (client, _connection) = common::connect(addr).await.unwrap();
    let show = client.query_one("SHOW occam.inject_conflicts", &[]).await.unwrap();
    assert_eq!(show.get::<_, String>(0), "commit:0.5");
    client.batch_execute("SET occam.inject_conflicts = off").await.unwrap();
    client.batch_execute("CREATE TABLE acc (id int PRIMARY KEY, balance int)").await.unwrap();
    client.batch_execute("INSERT INTO acc VALUES (1, 1000), (2, 1000)").await.unwrap();
    client.batch_execute("RESET occam.inject_conflicts").await.unwrap();

    let mut attempts = 0;
    for _ in 0..20 {
        loop {
            attempts += 1;
            let transfer = "BEGIN; UPDATE acc SET balance = balance - 10 WHERE id = 1; \
                            UPDATE acc SET balance = balance + 10 WHERE id = 2; COMMIT";
            match client.batch_execute(transfer).await {
                Ok(()) => break,
                Err(err) => {
                    let db = err.as_db_error().expect("a server error");
                    assert_eq!(db.code().code(), "40001", "{err}");
                    assert!(db.detail().unwrap_or_default().starts_with("Injected by occam.inject_conflicts"));
                }
            }
        }
    }
    assert!(attempts > 25, "about half the commits were failed: {attempts} attempts for 20 transfers");
    let balances: Vec<i32> =
        client.query("SELECT balance FROM acc ORDER BY id", &[]).await.unwrap().iter().map(|r| r.get(0)).collect();
    assert_eq!(balances, [800, 1200], "each transfer applied exactly once");
}
