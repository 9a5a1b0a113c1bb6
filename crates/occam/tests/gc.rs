//! Version garbage collection through SQL, on both backends: repeated full-table updates keep the stored
//! versions (and so the work of a full scan) bounded once the collector caught up, deleted rows and stale
//! index entries leave storage, and a transaction that began before the updates keeps reading its snapshot
//! while the collector runs.

mod common;

use std::time::Duration;

use common::{int, ok, rows};
use occam::storage::keycode::table_prefix;
use occam::storage::prefix_range;
use occam::{Config, Database, Value};

const ROWS: i64 = 2000;
const GC_TIMEOUT: Duration = Duration::from_secs(120);

/// Stored keys (every version, below the transaction layer) of table `name`'s rows and index entries.
fn stored_keys(db: &Database, name: &str) -> usize {
    let id = db.catalog().find_table(name).expect("table exists").id;
    let (start, end) = prefix_range(&table_prefix(id, 0)[..5]);
    db.txn_manager().storage().scan(start, end, false).count()
}

/// Stored keys of one index of table `name` (index 0: the rows).
fn stored_index_keys(db: &Database, name: &str, index_id: u32) -> usize {
    let id = db.catalog().find_table(name).expect("table exists").id;
    let (start, end) = prefix_range(&table_prefix(id, index_id));
    db.txn_manager().storage().scan(start, end, false).count()
}

/// Collects garbage once no background job (an automatic ANALYZE the updates triggered) holds a snapshot
/// that still reads the old versions: what a running job can read is never garbage.
fn collect_after_jobs(db: &Database, session: &mut occam::Session) {
    for row in rows(session, "SELECT job_id FROM sys.jobs WHERE status IN ('submitted', 'processing')") {
        if let [Value::Text(id)] = row.as_slice() {
            ok(session, &format!("CALL sys.wait_for_job('{id}')"));
        }
    }
    assert!(db.collect_garbage_now(GC_TIMEOUT));
}

fn setup(db: &Database) -> occam::Session {
    let mut session = db.session("admin").unwrap();
    ok(&mut session, "CREATE TABLE acc (id int PRIMARY KEY, balance int)");
    ok(&mut session, &format!("INSERT INTO acc SELECT g, 100 FROM generate_series(1, {ROWS}) AS g"));
    let job = match rows(&mut session, "CREATE INDEX ASYNC acc_balance ON acc (balance)").as_slice() {
        [row] => match row.as_slice() {
            [Value::Text(id)] => id.clone(),
            other => panic!("a job id: {other:?}"),
        },
        other => panic!("one row: {other:?}"),
    };
    assert_eq!(rows(&mut session, &format!("CALL sys.wait_for_job('{job}')")), vec![vec![Value::Bool(true)]]);
    session
}

fn repeated_updates_stay_bounded(db: &Database) {
    let mut session = setup(db);
    collect_after_jobs(db, &mut session);
    let fresh = stored_keys(db, "acc");
    assert_eq!(fresh, 2 * ROWS as usize, "one row and one index entry per account");
    for pass in 1..=20 {
        // Twice the transaction limit of DSQL mode would refuse: update in slices.
        for slice in 0..ROWS / 1000 {
            ok(
                &mut session,
                &format!(
                    "UPDATE acc SET balance = balance + 1 WHERE id > {} AND id <= {}",
                    slice * 1000,
                    (slice + 1) * 1000
                ),
            );
        }
        if pass % 5 == 0 {
            collect_after_jobs(db, &mut session);
            let now = stored_keys(db, "acc");
            // A full scan visits every stored version: 1.5x of fresh is the budget.
            assert!(now * 2 <= fresh * 3, "after {pass} updates: {now} stored keys, {fresh} fresh");
        }
    }
    collect_after_jobs(db, &mut session);
    assert_eq!(stored_keys(db, "acc"), fresh, "every old row version and stale index entry was collected");
    assert_eq!(int(&mut session, "SELECT sum(balance)::bigint FROM acc"), ROWS * 120);
    assert_eq!(int(&mut session, "SELECT count(*) FROM acc WHERE balance = 120"), ROWS);

    ok(&mut session, "DELETE FROM acc WHERE id <= 1000");
    collect_after_jobs(db, &mut session);
    assert_eq!(stored_index_keys(db, "acc", 0), ROWS as usize - 1000, "deleted rows' keys left storage");
    assert_eq!(stored_keys(db, "acc"), 2 * (ROWS as usize - 1000), "and their index entries");
    let stats = db.txn_manager().gc_stats();
    assert!(stats.tombstones_removed.load(std::sync::atomic::Ordering::Relaxed) >= 2000);
}

#[test]
fn repeated_updates_stay_bounded_in_memory() {
    repeated_updates_stay_bounded(&Database::open_in_memory());
}

#[test]
fn repeated_updates_stay_bounded_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(&Config { data_dir: Some(dir.path().to_path_buf()), ..Config::default() }).unwrap();
    repeated_updates_stay_bounded(&db);
}

/// A transaction that began before the updates reads its snapshot, whole and unchanged, while the collector
/// runs passes; once it ends, the versions it held back are collected.
#[test]
fn an_old_snapshot_reads_correctly_while_gc_runs() {
    let db = Database::open_in_memory();
    let mut writer = setup(&db);
    let mut reader = db.session("admin").unwrap();
    ok(&mut reader, "BEGIN");
    assert_eq!(int(&mut reader, "SELECT sum(balance)::bigint FROM acc"), ROWS * 100);
    for _ in 0..3 {
        ok(&mut writer, "UPDATE acc SET balance = balance + 1 WHERE id <= 1000");
        ok(&mut writer, "DELETE FROM acc WHERE id > 1900");
        ok(&mut writer, &format!("INSERT INTO acc SELECT g, 100 FROM generate_series(1901, {ROWS}) AS g"));
        assert!(db.collect_garbage_now(GC_TIMEOUT));
        assert_eq!(int(&mut reader, "SELECT sum(balance)::bigint FROM acc"), ROWS * 100);
        assert_eq!(int(&mut reader, "SELECT count(*) FROM acc"), ROWS);
        assert_eq!(int(&mut reader, "SELECT count(*) FROM acc WHERE balance = 100"), ROWS);
        assert_eq!(int(&mut reader, "SELECT balance FROM acc WHERE id = 1"), 100);
    }
    let held_back = stored_keys(&db, "acc");
    assert!(held_back > 2 * ROWS as usize, "the reader's versions are still stored");
    ok(&mut reader, "COMMIT");
    assert!(db.collect_garbage_now(GC_TIMEOUT));
    assert_eq!(stored_keys(&db, "acc"), 2 * ROWS as usize);
    assert_eq!(int(&mut writer, "SELECT sum(balance)::bigint FROM acc"), ROWS * 100 + 3000);
}
