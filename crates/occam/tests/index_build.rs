//! Asynchronous index builds under concurrent writes, and indexes across a restart.
//!
//! The invariant checked everywhere: for every key value, a query the planner answers through the index
//! (`WHERE a = v`) returns exactly the rows a query that cannot use it (`WHERE a + 0 = v`) returns.

mod common;

use std::sync::mpsc;

use common::{ok, rows, run};
use occam::catalog::IndexState;
use occam::{Database, QueryResult, Session, Value};

/// Creates `t(id, a, b)` with `n` rows, `a = id % 50`.
fn populate(session: &mut Session, n: i64) {
    ok(session, "CREATE TABLE t (id int PRIMARY KEY, a int, b text)");
    let mut start = 1;
    while start <= n {
        let end = (start + 999).min(n);
        ok(session, &format!("INSERT INTO t SELECT g, g % 50, 'row' || g FROM generate_series({start}, {end}) AS g"));
        start = end + 1;
    }
}

/// The job id CREATE INDEX ASYNC returned.
fn job_id(result: QueryResult) -> String {
    match result {
        QueryResult::Rows { rows, tag, .. } => {
            assert_eq!(tag, "CREATE INDEX");
            match rows.as_slice() {
                [row] => match row.as_slice() {
                    [Value::Text(id)] => id.clone(),
                    other => panic!("expected a job id, got {other:?}"),
                },
                other => panic!("expected one row, got {other:?}"),
            }
        }
        other => panic!("expected rows, got {other:?}"),
    }
}

fn wait_for_job(session: &mut Session, id: &str) -> bool {
    match rows(session, &format!("CALL sys.wait_for_job('{id}')")).as_slice() {
        [row] => row == &vec![Value::Bool(true)],
        other => panic!("expected one row, got {other:?}"),
    }
}

/// Whether the planner can read `t` through index `name` for `sql` (full scans disabled, as PostgreSQL's
/// tests force index paths, so the answer does not depend on the table's size).
fn uses_index(db: &Database, sql: &str, name: &str) -> bool {
    let mut session = db.session("admin").unwrap();
    common::ok(&mut session, "SET enable_seqscan = off");
    let plan: Vec<String> = rows(&mut session, &format!("EXPLAIN (COSTS OFF) {sql}"))
        .into_iter()
        .map(|row| match &row[0] {
            Value::Text(line) => line.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    plan.iter().any(|line| line.contains(&format!("using {name} ")))
}

/// Index lookups and scans agree for every value of `a`.
fn assert_index_matches_scan(session: &mut Session) {
    for value in -1..51 {
        let through_index = rows(session, &format!("SELECT id, a, b FROM t WHERE a = {value} ORDER BY id"));
        let scanned = rows(session, &format!("SELECT id, a, b FROM t WHERE a + 0 = {value} ORDER BY id"));
        assert_eq!(through_index, scanned, "a = {value}");
    }
}

#[test]
fn writes_during_an_async_build_are_all_indexed() {
    let db = Database::open_in_memory();
    let mut session = db.session("admin").unwrap();
    // Large enough that the build takes many batches, so the writer's statements interleave with them.
    populate(&mut session, 20_000);

    let (created_tx, created_rx) = mpsc::channel::<()>();
    let writer_db = db.clone();
    let writer = std::thread::spawn(move || {
        let mut session = writer_db.session("admin").unwrap();
        let mut seed: u64 = 42;
        let mut next = move |bound: u64| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) % bound
        };
        let mut created = false;
        let mut after_create = 0;
        let mut committed = 0;
        let mut overlapping = 0;
        while after_create < 400 {
            if !created && created_rx.try_recv().is_ok() {
                created = true;
            }
            let id = 1 + next(21_000) as i64;
            let sql = match next(3) {
                0 => format!("INSERT INTO t VALUES ({}, {}, 'new')", 10_000 + next(100_000), next(50)),
                1 => format!("UPDATE t SET a = {} WHERE id = {id}", next(50)),
                _ => format!("DELETE FROM t WHERE id = {id}"),
            };
            // Duplicate inserts (23505) and conflicts with the build's batches (40001) just move on.
            let building = created && {
                let status = rows(&mut session, "SELECT status FROM sys.jobs WHERE job_type = 'INDEX_BUILD'");
                status.iter().any(|row| row[0] != Value::Text("completed".into()))
            };
            if run(&mut session, &sql).is_ok() {
                committed += 1;
                // Committed after the build started and before it ended (seen from this session).
                overlapping += usize::from(building);
            }
            if created {
                after_create += 1;
            }
        }
        (committed, overlapping)
    });

    let id = job_id(ok(&mut session, "CREATE INDEX ASYNC t_a ON t (a)"));
    created_tx.send(()).unwrap();
    let (committed, overlapping) = writer.join().unwrap();
    assert!(committed > 100, "the writer made progress: {committed}");
    assert!(overlapping > 0, "no write committed while the index was building");
    assert!(wait_for_job(&mut session, &id));

    let index = db.catalog().find_index("t_a").cloned().expect("index exists");
    assert_eq!(index.state, IndexState::Valid);
    assert!(uses_index(&db, "SELECT * FROM t WHERE a = 7", "t_a"));
    assert!(!uses_index(&db, "SELECT * FROM t WHERE a + 0 = 7", "t_a"));
    assert_index_matches_scan(&mut session);
    let status = rows(&mut session, &format!("SELECT status, job_type FROM sys.jobs WHERE job_id = '{id}'"));
    assert_eq!(status, vec![vec![Value::Text("completed".into()), Value::Text("INDEX_BUILD".into())]]);
}

/// A writer whose statements were planned before the index existed cannot commit after the build started:
/// its rows would have no entries and the backfill's snapshot might not contain them.
#[test]
fn a_writer_planned_before_the_index_fails_at_commit() {
    let db = Database::open_in_memory();
    let mut session = db.session("admin").unwrap();
    populate(&mut session, 100);
    let mut writer = db.session("admin").unwrap();
    ok(&mut writer, "BEGIN");
    ok(&mut writer, "INSERT INTO t VALUES (1000, 7, 'late')");
    let id = job_id(ok(&mut session, "CREATE INDEX ASYNC t_a ON t (a)"));
    let err = run(&mut writer, "COMMIT").unwrap_err();
    assert_eq!(err.code, "40001");
    assert!(err.message.contains("OC001"), "{}", err.message);
    // Retried, the write is planned against the new catalog and maintains the index.
    ok(&mut writer, "INSERT INTO t VALUES (1000, 7, 'late')");
    assert!(wait_for_job(&mut session, &id));
    assert_index_matches_scan(&mut session);
    assert_eq!(rows(&mut session, "SELECT b FROM t WHERE a = 7 AND id = 1000"), vec![vec![Value::Text("late".into())]]);
}

/// A transaction whose snapshot predates the build's completion does not trust the index.
#[test]
fn old_snapshots_do_not_read_a_new_index() {
    let db = Database::open_in_memory();
    let mut session = db.session("admin").unwrap();
    populate(&mut session, 100);
    let mut reader = db.session("admin").unwrap();
    ok(&mut reader, "BEGIN");
    let before = rows(&mut reader, "SELECT id FROM t WHERE a = 3 ORDER BY id");
    let id = job_id(ok(&mut session, "CREATE INDEX ASYNC t_a ON t (a)"));
    assert!(wait_for_job(&mut session, &id));
    assert!(uses_index(&db, "SELECT id FROM t WHERE a = 3 ORDER BY id", "t_a"));
    assert_eq!(rows(&mut reader, "SELECT id FROM t WHERE a = 3 ORDER BY id"), before);
    ok(&mut reader, "COMMIT");
}

#[test]
fn indexes_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let config = occam::Config { data_dir: Some(dir.path().to_path_buf()), ..Default::default() };
    let id = {
        let db = Database::open(&config).unwrap();
        let mut session = db.session("admin").unwrap();
        populate(&mut session, 1000);
        let id = job_id(ok(&mut session, "CREATE INDEX ASYNC t_a ON t (a)"));
        assert!(wait_for_job(&mut session, &id));
        drop(session);
        db.close();
        id
    };
    let db = Database::open(&config).unwrap();
    let mut session = db.session("admin").unwrap();
    assert_eq!(db.catalog().find_index("t_a").map(|i| i.state), Some(IndexState::Valid));
    assert!(uses_index(&db, "SELECT * FROM t WHERE a = 7", "t_a"));
    ok(&mut session, "INSERT INTO t VALUES (5000, 7, 'after restart')");
    ok(&mut session, "DELETE FROM t WHERE id = 7");
    assert_index_matches_scan(&mut session);
    let status = rows(&mut session, &format!("SELECT status FROM sys.jobs WHERE job_id = '{id}'"));
    assert_eq!(status, vec![vec![Value::Text("completed".into())]]);
    drop(session);
    db.close();
}

/// DROP INDEX during a build cancels it (or, if the build won the race, drops the finished index); either
/// way the DROP job leaves no entry behind.
#[test]
fn drop_index_cancels_a_build_and_removes_its_entries() {
    let db = Database::open_in_memory();
    let mut session = db.session("admin").unwrap();
    populate(&mut session, 20_000);
    let id = job_id(ok(&mut session, "CREATE INDEX ASYNC t_a ON t (a)"));
    let index = db.catalog().find_index("t_a").cloned().expect("index exists while building");
    // The DROP may collide with the job's own status change (40001), as DDL may in DSQL: retry it.
    loop {
        match run(&mut session, "DROP INDEX t_a") {
            Ok(_) => break,
            Err(err) if err.code == "40001" => continue,
            Err(err) => panic!("DROP INDEX: {err}"),
        }
    }
    let completed = wait_for_job(&mut session, &id);
    let status = rows(&mut session, &format!("SELECT status FROM sys.jobs WHERE job_id = '{id}'"));
    let expected = if completed { "completed" } else { "cancelled" };
    assert_eq!(status, vec![vec![Value::Text(expected.into())]]);
    assert!(db.catalog().find_index("t_a").is_none());
    let drops = rows(&mut session, "SELECT job_id FROM sys.jobs WHERE job_type = 'DROP'");
    let [drop_job] = drops.as_slice() else { panic!("one DROP job: {drops:?}") };
    let Value::Text(drop_id) = &drop_job[0] else { panic!("job id is text") };
    assert!(wait_for_job(&mut session, drop_id));
    let prefix = occam::storage::keycode::table_prefix(index.table_id, index.id);
    let (start, end) = occam::storage::prefix_range(&prefix);
    assert_eq!(db.begin().scan(start, end, false).count(), 0, "entries left after the DROP job");
    assert_eq!(rows(&mut session, "SELECT count(*) FROM t WHERE a = 3"), vec![vec![Value::Int(400)]]);
}

/// A partial index serves queries whose WHERE contains its predicate, and only those.
#[test]
fn partial_indexes_serve_queries_that_imply_their_predicate() {
    let db = Database::open_in_memory();
    let mut session = db.session("admin").unwrap();
    populate(&mut session, 500);
    let id = job_id(ok(&mut session, "CREATE INDEX ASYNC t_a_partial ON t (a) WHERE b > 'row3'"));
    assert!(wait_for_job(&mut session, &id));
    assert!(uses_index(&db, "SELECT * FROM t WHERE a = 4 AND b > 'row3'", "t_a_partial"));
    assert!(!uses_index(&db, "SELECT * FROM t WHERE a = 4", "t_a_partial"));
    assert!(!uses_index(&db, "SELECT * FROM t WHERE a = 4 AND b > 'row2'", "t_a_partial"));
    ok(&mut session, "UPDATE t SET b = 'row0' WHERE id = 54");
    ok(&mut session, "UPDATE t SET b = 'row9' WHERE id = 104");
    for value in 0..50 {
        let through_index =
            rows(&mut session, &format!("SELECT id FROM t WHERE a = {value} AND b > 'row3' ORDER BY id"));
        let scanned = rows(&mut session, &format!("SELECT id FROM t WHERE a + 0 = {value} AND b > 'row3' ORDER BY id"));
        assert_eq!(through_index, scanned, "a = {value}");
    }
}
