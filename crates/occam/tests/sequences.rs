//! Sequences under concurrency, and ALTER TABLE against concurrent writers: scripted interleavings of
//! sessions on one in-process database (one statement at a time, so the interleaving is exact), a threaded
//! run, and a restart of a database on disk.
//!
//! nextval is not transactional: two open transactions drawing from one sequence get distinct values, never
//! conflict with each other (no 40001), and a value drawn by a rolled-back transaction is not handed out
//! again. ALTER TABLE is DDL: a transaction that wrote the table against the old definition fails at COMMIT
//! with DSQL's OC001.

use std::collections::HashSet;

use occam::{Database, Session};

mod common;
use common::{int, ok, run, tag};

fn session(database: &Database) -> Session {
    database.session("postgres").unwrap_or_else(|err| panic!("cannot open a session: {err}"))
}

#[test]
fn concurrent_transactions_draw_distinct_values_without_conflicting() {
    let database = Database::open_in_memory();
    let (mut a, mut b) = (session(&database), session(&database));
    ok(&mut a, "CREATE SEQUENCE s CACHE 1");
    ok(&mut a, "CREATE TABLE items (id bigint GENERATED ALWAYS AS IDENTITY (CACHE 1) PRIMARY KEY, who text)");

    ok(&mut a, "BEGIN");
    ok(&mut b, "BEGIN");
    let mut seen = HashSet::new();
    for _ in 0..5 {
        assert!(seen.insert(int(&mut a, "SELECT nextval('s')")));
        assert!(seen.insert(int(&mut b, "SELECT nextval('s')")));
        // Identity values come from the same kind of counter: both inserts get their own key.
        assert_eq!(tag(&mut a, "INSERT INTO items (who) VALUES ('a')"), "INSERT 0 1");
        assert_eq!(tag(&mut b, "INSERT INTO items (who) VALUES ('b')"), "INSERT 0 1");
    }
    assert_eq!(int(&mut a, "SELECT currval('s')"), 9);
    assert_eq!(int(&mut b, "SELECT currval('s')"), 10);
    // Neither transaction wrote anything the other did: both commit.
    assert_eq!(tag(&mut a, "COMMIT"), "COMMIT");
    assert_eq!(tag(&mut b, "COMMIT"), "COMMIT");
    assert_eq!(int(&mut a, "SELECT count(DISTINCT id) FROM items"), 10);
}

#[test]
fn a_rolled_back_value_is_not_handed_out_again() {
    let database = Database::open_in_memory();
    let (mut a, mut b) = (session(&database), session(&database));
    ok(&mut a, "CREATE SEQUENCE s CACHE 1");
    ok(&mut a, "BEGIN");
    assert_eq!(int(&mut a, "SELECT nextval('s')"), 1);
    ok(&mut a, "ROLLBACK");
    assert_eq!(int(&mut b, "SELECT nextval('s')"), 2);
    // currval is the session's own: a still remembers the value it drew, b its own.
    assert_eq!(int(&mut a, "SELECT currval('s')"), 1);
    assert_eq!(int(&mut b, "SELECT lastval()"), 2);
}

#[test]
fn threads_drawing_from_one_sequence_never_share_a_value() {
    const THREADS: usize = 4;
    const DRAWS: usize = 200;
    let database = Database::open_in_memory();
    ok(&mut session(&database), "CREATE SEQUENCE s CACHE 1");
    let handles: Vec<_> = (0..THREADS)
        .map(|_| {
            let database = database.clone();
            std::thread::spawn(move || {
                let mut s = session(&database);
                (0..DRAWS).map(|_| int(&mut s, "SELECT nextval('s')")).collect::<Vec<i64>>()
            })
        })
        .collect();
    let mut all = HashSet::new();
    for handle in handles {
        for value in handle.join().expect("thread") {
            assert!(all.insert(value), "value {value} handed out twice");
        }
    }
    assert_eq!(all.len(), THREADS * DRAWS);
    assert_eq!(all.iter().max().copied(), Some((THREADS * DRAWS) as i64));
}

#[test]
fn values_are_not_repeated_after_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = occam::Config { data_dir: Some(dir.path().to_path_buf()), ..Default::default() };
    let drawn = {
        let database = Database::open(&config).expect("open");
        let mut s = session(&database);
        ok(&mut s, "CREATE SEQUENCE s CACHE 1");
        let drawn = int(&mut s, "SELECT max(nextval('s')) FROM generate_series(1, 40)");
        database.close();
        drawn
    };
    assert_eq!(drawn, 40);
    let database = Database::open(&config).expect("reopen");
    let next = int(&mut session(&database), "SELECT nextval('s')");
    // The second block of 32 was reserved (ending at 64) before 33 was handed out: the counter resumes
    // after it, skipping values rather than repeating one.
    assert_eq!(next, 65);
}

#[test]
fn alter_table_fails_concurrent_writers_of_the_old_definition() {
    let database = Database::open_in_memory();
    let (mut a, mut b) = (session(&database), session(&database));
    ok(&mut a, "CREATE TABLE t (id int PRIMARY KEY, v int)");
    ok(&mut a, "INSERT INTO t VALUES (1, 1)");

    ok(&mut a, "BEGIN");
    assert_eq!(tag(&mut a, "INSERT INTO t VALUES (2, 2)"), "INSERT 0 1");
    assert_eq!(tag(&mut b, "ALTER TABLE t ADD COLUMN w text"), "ALTER TABLE");
    let err = run(&mut a, "COMMIT").expect_err("the writer of the old definition must fail");
    assert_eq!(err.code, "40001");
    assert_eq!(err.message, "schema has been updated by another transaction, please retry: (OC001)");

    // A retry plans against the new definition and succeeds; the old row reads NULL in the new column.
    assert_eq!(tag(&mut a, "INSERT INTO t VALUES (2, 2, 'x')"), "INSERT 0 1");
    assert_eq!(int(&mut a, "SELECT count(*) FROM t WHERE w IS NULL"), 1);

    // ALTER TABLE after a concurrent write committed: the DDL transaction fails instead.
    ok(&mut b, "BEGIN");
    assert_eq!(tag(&mut b, "ALTER TABLE t DROP COLUMN v"), "ALTER TABLE");
    ok(&mut a, "ALTER TABLE t RENAME COLUMN w TO ww");
    let err = run(&mut b, "COMMIT").expect_err("two concurrent schema changes of one table conflict");
    assert_eq!(err.code, "40001");
    assert_eq!(int(&mut a, "SELECT count(v) FROM t"), 2);
}
