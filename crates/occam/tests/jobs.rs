//! Background jobs other than index builds: the DROP job of a dropped table reclaims its storage (on both
//! backends), waits for snapshots older than the DROP, and ANALYZE jobs of a table dropped meanwhile;
//! automatic ANALYZE and the database's statistics cache.

mod common;

use common::{ok, rows};
use occam::storage::keycode::table_prefix;
use occam::storage::prefix_range;
use occam::{Config, Database, Session, Value};

fn text(value: &str) -> Value {
    Value::Text(value.to_string())
}

/// Stored keys (every version, below the transaction layer) starting with `prefix`.
fn stored_keys(db: &Database, prefix: &[u8]) -> usize {
    let (start, end) = prefix_range(prefix);
    db.txn_manager().storage().scan(start, end, false).count()
}

/// The storage prefix of every key of table `id`: `table_prefix(id, *)`.
fn table_keys_prefix(id: u32) -> Vec<u8> {
    table_prefix(id, 0)[..5].to_vec()
}

fn wait_for_job(session: &mut Session, id: &str) -> bool {
    rows(session, &format!("CALL sys.wait_for_job('{id}')")) == vec![vec![Value::Bool(true)]]
}

/// The ids of the jobs of `job_type`, oldest first.
fn jobs_of_type(session: &mut Session, job_type: &str) -> Vec<String> {
    rows(session, &format!("SELECT job_id FROM sys.jobs WHERE job_type = '{job_type}' ORDER BY start_time"))
        .into_iter()
        .map(|row| match &row[0] {
            Value::Text(id) => id.clone(),
            other => panic!("job id is text: {other:?}"),
        })
        .collect()
}

fn job_row(session: &mut Session, id: &str) -> Vec<Value> {
    let mut found = rows(session, &format!("SELECT status, details, object_name FROM sys.jobs WHERE job_id = '{id}'"));
    assert_eq!(found.len(), 1, "job {id}");
    found.pop().unwrap()
}

/// DROP TABLE's DROP job removes every stored version of the table's rows, index entries and row locks,
/// and nothing of other tables. Returns the dropped table's id.
fn drop_table_reclaims_storage(db: &Database) -> u32 {
    let mut session = db.session("admin").unwrap();
    ok(&mut session, "CREATE TABLE t (id int PRIMARY KEY, a int, b text)");
    ok(&mut session, "CREATE TABLE keep (id int PRIMARY KEY)");
    ok(&mut session, "INSERT INTO keep VALUES (1), (2)");
    for start in [1, 1001] {
        ok(
            &mut session,
            &format!("INSERT INTO t SELECT g, g % 7, 'row' || g FROM generate_series({start}, {}) AS g", start + 999),
        );
    }
    let job = match ok(&mut session, "CREATE INDEX ASYNC t_a ON t (a)") {
        occam::QueryResult::Rows { rows, .. } => match &rows[0][0] {
            Value::Text(id) => id.clone(),
            other => panic!("job id: {other:?}"),
        },
        other => panic!("CREATE INDEX ASYNC: {other:?}"),
    };
    assert!(wait_for_job(&mut session, &job));
    // An open snapshot keeps the version garbage collector off what follows until it is counted.
    let mut holder = db.session("admin").unwrap();
    ok(&mut holder, "BEGIN");
    ok(&mut holder, "SELECT 1");
    // Old versions, deletions and a committed row lock too.
    ok(&mut session, "UPDATE t SET b = 'changed' WHERE id <= 600");
    ok(&mut session, "DELETE FROM t WHERE id > 1900");
    ok(&mut session, "BEGIN");
    ok(&mut session, "SELECT * FROM t WHERE id = 5 FOR UPDATE");
    ok(&mut session, "UPDATE keep SET id = 3 WHERE id = 2");
    ok(&mut session, "COMMIT");
    ok(&mut session, "ANALYZE t");
    let analyze = jobs_of_type(&mut session, "ANALYZE").pop().expect("an ANALYZE job");
    assert!(wait_for_job(&mut session, &analyze));

    let table_id = db.catalog().find_table("t").expect("t exists").id;
    let keep_id = db.catalog().find_table("keep").expect("keep exists").id;
    let prefix = table_keys_prefix(table_id);
    let lock_prefix = [b"\xfflock/u/".as_slice(), &prefix].concat();
    assert!(stored_keys(db, &prefix) > 4000, "rows, versions and index entries are stored");
    assert_eq!(stored_keys(db, &lock_prefix), 1, "the FOR UPDATE lock is stored");
    // Then the collector may take `keep`'s old versions: let it finish before they are counted.
    ok(&mut holder, "COMMIT");
    assert!(db.collect_garbage_now(std::time::Duration::from_secs(120)));
    let keep_keys = stored_keys(db, &table_keys_prefix(keep_id));
    assert_eq!(
        rows(&mut session, "SELECT count(*) FROM sys.table_statistics WHERE table_name = 't'"),
        vec![vec![Value::Int(3)]]
    );

    ok(&mut session, "DROP TABLE t");
    let drops = jobs_of_type(&mut session, "DROP");
    let [drop_job] = drops.as_slice() else { panic!("one DROP job for the table and its index: {drops:?}") };
    assert!(wait_for_job(&mut session, drop_job));
    assert_eq!(job_row(&mut session, drop_job), vec![text("completed"), Value::Null, Value::Null]);
    assert_eq!(stored_keys(db, &prefix), 0, "keys left under the dropped table's prefix");
    assert_eq!(stored_keys(db, &lock_prefix), 0, "row locks left for the dropped table");
    assert_eq!(stored_keys(db, &table_keys_prefix(keep_id)), keep_keys, "another table's keys were touched");
    assert_eq!(rows(&mut session, "SELECT id FROM keep ORDER BY id"), vec![vec![Value::Int(1)], vec![Value::Int(3)]]);
    let stats = occam::statistics::statistics_key(table_id);
    assert!(db.begin().get(&stats).unwrap().is_none(), "the dropped table's statistics are deleted");
    assert!(db.table_statistics(table_id).is_none(), "and leave the cache");
    table_id
}

#[test]
fn drop_table_reclaims_storage_in_memory() {
    drop_table_reclaims_storage(&Database::open_in_memory());
}

#[test]
fn drop_table_reclaims_storage_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config { data_dir: Some(dir.path().to_path_buf()), ..Config::default() };
    let db = Database::open(&config).unwrap();
    let table_id = drop_table_reclaims_storage(&db);
    db.close();
    // The removal is durable.
    let db = Database::open(&config).unwrap();
    assert_eq!(stored_keys(&db, &table_keys_prefix(table_id)), 0);
    db.close();
}

/// A transaction that began before the DROP keeps reading the dropped table's rows: the DROP job waits
/// (still `submitted`) until it ends. An ANALYZE committed after the DROP finds no table.
#[test]
fn drop_job_waits_for_older_snapshots() {
    let db = Database::open_in_memory();
    let mut session = db.session("admin").unwrap();
    ok(&mut session, "CREATE TABLE t (id int PRIMARY KEY)");
    ok(&mut session, "INSERT INTO t SELECT g FROM generate_series(1, 1200) AS g");
    let table_id = db.catalog().find_table("t").unwrap().id;
    let prefix = table_keys_prefix(table_id);

    // Another session analyzes t in a transaction that began before the DROP.
    let mut analyzer = db.session("admin").unwrap();
    ok(&mut analyzer, "BEGIN");
    ok(&mut analyzer, "ANALYZE t");
    let old_snapshot = db.begin();

    ok(&mut session, "DROP TABLE t");
    let [drop_job] = jobs_of_type(&mut session, "DROP").try_into().expect("one DROP job");
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert_eq!(job_row(&mut session, &drop_job)[0], text("submitted"));
    let (start, end) = prefix_range(&table_prefix(table_id, 0));
    assert_eq!(old_snapshot.scan(start, end, false).count(), 1200, "an older snapshot still reads every row");
    drop(old_snapshot);

    ok(&mut analyzer, "COMMIT");
    // The INSERT's automatic ANALYZE job came first.
    let analyze = jobs_of_type(&mut session, "ANALYZE").pop().expect("the ANALYZE job");
    assert!(wait_for_job(&mut session, &analyze));
    let skipped = vec![text("completed"), text("Skipped job for nonexistent table."), Value::Null];
    assert_eq!(job_row(&mut session, &analyze), skipped);
    assert!(wait_for_job(&mut session, &drop_job));
    assert_eq!(stored_keys(&db, &prefix), 0);
    assert!(rows(&mut session, "SELECT * FROM sys.table_statistics").is_empty());
}

/// A DROP job waits for the transactions that began before the DROP committed, and only for them: one that
/// began after it, even before other commits moved the newest snapshot on (such as the session waiting for
/// the job: `CALL sys.wait_for_job` reads at a snapshot too), does not hold it up. CI once hung here, the
/// job waiting for the session that waited for it, when the job measured "before the DROP" by the newest
/// commit at the time the worker first looked at it.
#[test]
fn drop_job_waits_only_for_snapshots_before_the_drop() {
    let db = Database::open_in_memory();
    let mut session = db.session("admin").unwrap();
    ok(&mut session, "CREATE TABLE t (id int PRIMARY KEY)");
    ok(&mut session, "CREATE TABLE other (id int PRIMARY KEY)");
    ok(&mut session, "INSERT INTO t SELECT g FROM generate_series(1, 100) AS g");
    let prefix = table_keys_prefix(db.catalog().find_table("t").unwrap().id);
    let before = db.begin();
    ok(&mut session, "DROP TABLE t");
    let [drop_job] = jobs_of_type(&mut session, "DROP").try_into().expect("one DROP job");
    let mut after = db.session("admin").unwrap();
    ok(&mut after, "BEGIN");
    ok(&mut after, "SELECT 1");
    // Commits after `after` began: the newest snapshot is now past it.
    for id in 1..=3 {
        ok(&mut session, &format!("INSERT INTO other VALUES ({id})"));
    }
    drop(before);
    assert!(wait_for_job(&mut session, &drop_job), "the DROP job waited for a transaction that began after it");
    assert_eq!(stored_keys(&db, &prefix), 0);
    ok(&mut after, "COMMIT");
}

/// Committed changes past 50 + 10 % of the analyzed rows submit one automatic ANALYZE job, whose statistics
/// reach the database's cache; rolled-back changes count for nothing. A reopened database loads the stored
/// statistics; the change counters start again from zero.
#[test]
fn automatic_analyze_fills_the_statistics_cache() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config { data_dir: Some(dir.path().to_path_buf()), ..Config::default() };
    let db = Database::open(&config).unwrap();
    let mut session = db.session("admin").unwrap();
    ok(&mut session, "CREATE TABLE t (id int PRIMARY KEY, a int)");
    ok(&mut session, "CREATE TABLE quiet (id int PRIMARY KEY)");
    let table_id = db.catalog().find_table("t").unwrap().id;
    let quiet_id = db.catalog().find_table("quiet").unwrap().id;
    assert_eq!(db.estimated_row_count(table_id), None, "nothing known yet");

    ok(&mut session, "BEGIN");
    ok(&mut session, "INSERT INTO t SELECT g, g % 4 FROM generate_series(1, 1000) AS g");
    ok(&mut session, "ROLLBACK");
    assert_eq!(db.estimated_row_count(table_id), None, "rolled-back rows do not count");
    ok(&mut session, "INSERT INTO t SELECT g, g % 4 FROM generate_series(1, 50) AS g");
    assert!(jobs_of_type(&mut session, "ANALYZE").is_empty(), "50 changes are not more than 50");
    assert_eq!(db.estimated_row_count(table_id), Some(50.0));
    ok(&mut session, "UPDATE t SET a = a + 1 WHERE id = 1");
    let [job] = jobs_of_type(&mut session, "ANALYZE").try_into().expect("one automatic ANALYZE job");
    // The job names `public.t` only while it is pending (it may already be done here); its object id is
    // the table's whatever its status.
    let object_id = rows(&mut session, &format!("SELECT object_id FROM sys.jobs WHERE job_id = '{job}'"));
    assert_eq!(object_id, vec![vec![Value::Int(i64::from(table_id))]]);
    assert!(wait_for_job(&mut session, &job));

    let stats = db.table_statistics(table_id).expect("the job's statistics are cached");
    assert_eq!(stats.row_count, 50);
    assert_eq!(stats.column("a").unwrap().most_common.len(), 4);
    assert!(stats.column("id").unwrap().most_common.is_empty());
    // Below 50 + 10 % of 50 changes since: estimates move, no job.
    ok(&mut session, "INSERT INTO t SELECT g, g % 4 FROM generate_series(51, 100) AS g");
    assert_eq!(db.estimated_row_count(table_id), Some(100.0));
    ok(&mut session, "DELETE FROM t WHERE id <= 3");
    assert_eq!(db.estimated_row_count(table_id), Some(97.0));
    assert_eq!(jobs_of_type(&mut session, "ANALYZE"), vec![job]);
    ok(&mut session, "INSERT INTO quiet VALUES (1)");
    assert_eq!(db.estimated_row_count(quiet_id), Some(1.0));
    let analyzed = db.table_statistics(table_id).unwrap();
    drop(session);
    db.close();

    let db = Database::open(&config).unwrap();
    assert_eq!(db.table_statistics(table_id), Some(analyzed.clone()), "loaded at open");
    assert_eq!(db.estimated_row_count(table_id), Some(analyzed.row_count as f64));
    assert_eq!(db.estimated_row_count(quiet_id), None, "changes before a restart are not known");
    db.close();
}
