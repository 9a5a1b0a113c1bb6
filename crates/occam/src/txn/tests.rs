//! Unit tests of snapshot reads, own writes, scans in both directions and first-committer-wins.

use super::*;
use crate::storage::memory::MemoryStorage;

fn manager() -> Arc<TxnManager> {
    TxnManager::open(Arc::new(MemoryStorage::new())).unwrap()
}

fn keys(txn: &Transaction, reverse: bool) -> Vec<(Vec<u8>, Vec<u8>)> {
    txn.scan(Bound::Included(b"k".to_vec()), Bound::Excluded(b"l".to_vec()), reverse).map(owned).collect()
}

/// A scanned entry as owned byte vectors, to compare with expected ones.
fn owned(entry: Result<KvPair>) -> (Vec<u8>, Vec<u8>) {
    let (key, value) = entry.unwrap();
    (key.to_vec(), value.to_vec())
}

fn kv(k: &str, v: &str) -> (Vec<u8>, Vec<u8>) {
    (k.as_bytes().to_vec(), v.as_bytes().to_vec())
}

#[test]
fn snapshot_isolation_and_own_writes() {
    let m = manager();
    let mut t1 = m.begin();
    t1.put(b"k1".to_vec(), b"a".to_vec());
    t1.put(b"k2".to_vec(), b"b".to_vec());
    t1.commit().unwrap();

    let reader = m.begin();
    let mut t2 = m.begin();
    t2.put(b"k1".to_vec(), b"a2".to_vec());
    t2.delete(b"k2".to_vec());
    t2.put(b"k3".to_vec(), b"c".to_vec());
    assert_eq!(keys(&t2, false), vec![kv("k1", "a2"), kv("k3", "c")]);
    assert_eq!(keys(&t2, true), vec![kv("k3", "c"), kv("k1", "a2")]);
    t2.commit().unwrap();

    // The reader's snapshot predates t2.
    assert_eq!(reader.get(b"k1").unwrap(), Some(b"a".to_vec()));
    assert_eq!(keys(&reader, false), vec![kv("k1", "a"), kv("k2", "b")]);
    assert_eq!(keys(&reader, true), vec![kv("k2", "b"), kv("k1", "a")]);

    let after = m.begin();
    assert_eq!(keys(&after, false), vec![kv("k1", "a2"), kv("k3", "c")]);
    assert_eq!(keys(&after, true), vec![kv("k3", "c"), kv("k1", "a2")]);
    assert_eq!(after.get(b"k2").unwrap(), None);
}

#[test]
fn first_committer_wins() {
    let m = manager();
    let mut a = m.begin();
    let mut b = m.begin();
    a.put(b"k1".to_vec(), b"a".to_vec());
    b.put(b"k1".to_vec(), b"b".to_vec());
    a.commit().unwrap();
    let err = b.commit().unwrap_err();
    assert_eq!(err.code, "40001");
    assert_eq!(m.begin().get(b"k1").unwrap(), Some(b"a".to_vec()));
}

#[test]
fn disjoint_writes_both_commit_and_readers_never_conflict() {
    let m = manager();
    let mut a = m.begin();
    let mut b = m.begin();
    let reader = m.begin();
    a.put(b"k1".to_vec(), b"a".to_vec());
    b.put(b"k2".to_vec(), b"b".to_vec());
    a.commit().unwrap();
    b.commit().unwrap();
    assert_eq!(reader.get(b"k1").unwrap(), None);
    reader.commit().unwrap();
}

#[test]
fn durable_backend_recovers_last_timestamp() {
    let dir = tempfile::tempdir().unwrap();
    {
        let storage = Arc::new(crate::storage::disk::FjallStorage::open(dir.path()).unwrap());
        let m = TxnManager::open(storage).unwrap();
        for i in 0..3u8 {
            let mut t = m.begin();
            t.put(vec![b'k', i], vec![i]);
            assert_eq!(t.commit().unwrap(), i as u64 + 1);
        }
    }
    let storage = Arc::new(crate::storage::disk::FjallStorage::open(dir.path()).unwrap());
    let m = TxnManager::open(storage).unwrap();
    assert_eq!(m.visible_ts(), 3);
    assert_eq!(keys(&m.begin(), false).len(), 3);
}

#[test]
fn lock_versions_are_invisible_to_scans() {
    let m = manager();
    let mut setup = m.begin();
    setup.put(b"k1".to_vec(), b"a".to_vec());
    setup.commit().unwrap();
    let mut locker = m.begin();
    locker.lock(b"k1".to_vec(), RowLock::Update);
    assert!(!locker.is_read_only(), "a transaction holding row locks must be validated");
    locker.commit().unwrap();
    let reader = m.begin();
    let everything: Vec<_> = reader.scan(Bound::Unbounded, Bound::Unbounded, false).map(owned).collect();
    assert_eq!(everything, vec![kv("k1", "a")]);
}

#[test]
fn key_share_conflicts_with_a_delete_even_if_the_key_came_back() {
    let m = manager();
    let mut setup = m.begin();
    setup.put(b"k1".to_vec(), b"a".to_vec());
    setup.commit().unwrap();
    let mut sharer = m.begin();
    sharer.lock(b"k1".to_vec(), RowLock::KeyShare);
    // Deleted and inserted again after the sharer's snapshot: the newest version is a row, not a deletion.
    let mut deleter = m.begin();
    deleter.delete(b"k1".to_vec());
    deleter.commit().unwrap();
    let mut inserter = m.begin();
    inserter.put(b"k1".to_vec(), b"b".to_vec());
    inserter.commit().unwrap();
    assert_eq!(sharer.commit().unwrap_err().code, "40001");
}

#[test]
fn schema_dependencies_fail_with_oc001() {
    let m = manager();
    let mut writer = m.begin();
    writer.put(b"k1".to_vec(), b"row".to_vec());
    let as_of = writer.start_ts();
    writer.depend_on_schema(b"c_table".to_vec(), as_of);
    let mut ddl = m.begin();
    ddl.put(b"c_table".to_vec(), b"new definition".to_vec());
    ddl.commit().unwrap();
    let err = writer.commit().unwrap_err();
    assert_eq!((err.code, err.message.as_str()), ("40001", schema_conflict().message.as_str()));
    assert_eq!(m.begin().get(b"k1").unwrap(), None, "nothing was written");

    // A dependency as of an older catalog than the snapshot: a change in between conflicts too.
    let mut old_plan = m.begin();
    old_plan.put(b"k2".to_vec(), b"row".to_vec());
    old_plan.depend_on_schema(b"c_table".to_vec(), as_of);
    assert_eq!(old_plan.commit().unwrap_err().message, schema_conflict().message);
}

/// Memory storage whose `sync` waits until the test opens the gate: commits stay written but not durable
/// (and so invisible to new snapshots) for as long as the test wants.
struct GatedStorage {
    inner: MemoryStorage,
    open: parking_lot::Mutex<bool>,
    opened: parking_lot::Condvar,
}

impl GatedStorage {
    fn open_gate(&self) {
        *self.open.lock() = true;
        self.opened.notify_all();
    }
}

impl Storage for GatedStorage {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.inner.get(key)
    }
    fn scan(&self, start: Bound<Vec<u8>>, end: Bound<Vec<u8>>, reverse: bool) -> ScanIter<'_> {
        self.inner.scan(start, end, reverse)
    }
    fn write_batch(&self, writes: Vec<BatchWrite>) -> Result<()> {
        self.inner.write_batch(writes)
    }
    fn sync(&self) -> Result<()> {
        let mut open = self.open.lock();
        while !*open {
            self.opened.wait(&mut open);
        }
        Ok(())
    }
    fn is_durable(&self) -> bool {
        true
    }
}

#[test]
fn the_loser_of_a_conflict_can_wait_until_the_winner_is_visible() {
    let storage = Arc::new(GatedStorage {
        inner: MemoryStorage::new(),
        open: parking_lot::Mutex::new(false),
        opened: parking_lot::Condvar::new(),
    });
    let m = TxnManager::open(Arc::clone(&storage) as Arc<dyn Storage>).unwrap();
    let mut winner = m.begin();
    let mut loser = m.begin();
    winner.put(b"k1".to_vec(), b"winner".to_vec());
    loser.put(b"k1".to_vec(), b"loser".to_vec());
    let winner_durable = winner.commit_deferred().unwrap().expect("a write commits");
    // (commit_deferred: a blocking commit would wait for the winner, held back by the gate.)
    assert_eq!(loser.commit_deferred().err().map(|e| e.code), Some("40001"));

    // Written but not durable: a retry started now would read the old snapshot and conflict again.
    let mut early_retry = m.begin();
    assert_eq!(early_retry.get(b"k1").unwrap(), None);
    early_retry.put(b"k1".to_vec(), b"early".to_vec());
    assert_eq!(early_retry.commit_deferred().err().map(|e| e.code), Some("40001"));

    // Waiting for everything written before the failure covers the winner.
    let settle = m.wait_for_written();
    assert!(settle.timestamp() >= winner_durable.timestamp());
    storage.open_gate();
    settle.wait().unwrap();
    winner_durable.wait().unwrap();
    let mut retry = m.begin();
    assert_eq!(retry.get(b"k1").unwrap(), Some(b"winner".to_vec()));
    retry.put(b"k1".to_vec(), b"retry".to_vec());
    retry.commit().unwrap();
}

#[test]
fn recent_writes_answer_only_after_their_horizon() {
    let mut recent = RecentWrites::new(10);
    recent.record(11, vec![b"a".to_vec(), b"b".to_vec()], 5);
    recent.record(12, vec![b"a".to_vec()], 5);
    assert_eq!(recent.changed_since(b"a", 11), Some(true));
    assert_eq!(recent.changed_since(b"b", 11), Some(false));
    assert_eq!(recent.changed_since(b"b", 10), Some(true));
    assert_eq!(recent.changed_since(b"c", 10), Some(false));
    // Before the horizon the answer is storage's.
    assert_eq!(recent.changed_since(b"c", 9), None);

    // The oldest live snapshot moved to 11: commit 11 is forgotten, except what commit 12 rewrote.
    recent.record(13, vec![b"c".to_vec()], 11);
    assert_eq!(recent.horizon, 11);
    assert_eq!(recent.changed_since(b"b", 11), Some(false));
    assert_eq!(recent.changed_since(b"a", 11), Some(true));
    assert_eq!(recent.changed_since(b"c", 12), Some(true));
    assert_eq!(recent.changed_since(b"a", 10), None);
    assert_eq!(recent.keys, 2);
}

/// Validation is the same whether it is answered from recent commits or from storage: a transaction
/// older than the horizon (here an open one while the remembered keys overflow) still conflicts.
#[test]
fn an_old_snapshot_past_the_horizon_still_conflicts() {
    let m = manager();
    let mut old = m.begin();
    old.put(b"k1".to_vec(), b"old".to_vec());
    let mut writer = m.begin();
    writer.put(b"k1".to_vec(), b"new".to_vec());
    writer.commit().unwrap();
    // Forget everything, as an overflow would: the old transaction's question goes to storage.
    {
        let mut state = m.commit.lock();
        let last = state.last_ts;
        state.recent = RecentWrites::new(last);
    }
    assert_eq!(old.commit().unwrap_err().code, "40001");
    let mut fresh = m.begin();
    fresh.put(b"k1".to_vec(), b"fresh".to_vec());
    fresh.commit().unwrap();
}

/// A commit of more keys than `MAX_KEYS_PER_COMMIT` is not remembered key by key: the horizon moves to
/// it, so a transaction that began before it (and wrote one of its keys) is validated against storage and
/// still loses, one that began after it commits, and later commits are remembered again.
#[test]
fn a_bulk_commit_moves_the_horizon_instead_of_being_remembered() {
    let m = manager();
    let mut overlapping = m.begin();
    overlapping.put(b"k00007".to_vec(), b"mine".to_vec());
    let mut other = m.begin();
    other.put(b"other".to_vec(), b"untouched".to_vec());
    let mut bulk = m.begin();
    for i in 0..=RecentWrites::MAX_KEYS_PER_COMMIT {
        bulk.put(format!("k{i:05}").into_bytes(), b"loaded".to_vec());
    }
    let bulk_ts = bulk.commit().unwrap();
    {
        let state = m.commit.lock();
        assert_eq!(state.recent.horizon, bulk_ts);
        assert_eq!(state.recent.keys, 0);
    }
    assert_eq!(overlapping.commit().unwrap_err().code, "40001");
    other.commit().unwrap();
    let mut after = m.begin();
    after.put(b"k00007".to_vec(), b"after".to_vec());
    after.commit().unwrap();
    assert!(m.commit.lock().recent.keys > 0, "commits after it are remembered again");
}

/// A point read whose key has no version at the snapshot finds nothing, not the next key's row: the
/// read's range has no upper bound (see `get_committed`).
#[test]
fn a_point_read_never_returns_the_next_keys_row() {
    let m = manager();
    commit_put(&m, b"k2", b"two");
    let reader = m.begin();
    commit_put(&m, b"k1", b"one, too new");
    assert_eq!(reader.get(b"k1").unwrap(), None);
    assert_eq!(reader.get(b"k0").unwrap(), None);
    assert_eq!(reader.get(b"k3").unwrap(), None, "past every key");
    assert_eq!(reader.get(b"k2").unwrap().as_deref(), Some(&b"two"[..]));
    assert_eq!(m.begin().get(b"k1").unwrap().as_deref(), Some(&b"one, too new"[..]));
}

// ---- Version garbage collection (gc.rs) ----

fn commit_put(m: &Arc<TxnManager>, key: &[u8], value: &[u8]) -> Timestamp {
    let mut t = m.begin();
    t.put(key.to_vec(), value.to_vec());
    t.commit().unwrap()
}

fn commit_delete(m: &Arc<TxnManager>, key: &[u8]) {
    let mut t = m.begin();
    t.delete(key.to_vec());
    t.commit().unwrap();
}

/// Every stored key (versions, lock versions and metadata) with its value, as storage holds them.
fn stored(storage: &dyn Storage) -> Vec<(Vec<u8>, Vec<u8>)> {
    storage.scan(Bound::Unbounded, Bound::Unbounded, false).map(owned).collect()
}

/// How many stored versions `key` has.
fn version_count(m: &TxnManager, key: &[u8]) -> usize {
    stored(m.storage().as_ref())
        .iter()
        .filter(|(stored, _)| stored.len() == key.len() + VERSION_LEN && stored.starts_with(key))
        .count()
}

#[test]
fn gc_removes_versions_hidden_from_every_snapshot() {
    let m = manager();
    for i in 0..5u8 {
        commit_put(&m, b"k1", &[b'a' + i]);
    }
    assert_eq!(version_count(&m, b"k1"), 5);
    let batch = m.collect_garbage_pass(GC_BATCH_VERSIONS).unwrap();
    assert_eq!((batch.removed, batch.pass_finished), (4, true));
    assert_eq!(version_count(&m, b"k1"), 1);
    assert_eq!(m.begin().get(b"k1").unwrap(), Some(b"e".to_vec()));
    assert_eq!(m.gc_stats().dead_versions_removed.load(Ordering::Relaxed), 4);
}

#[test]
fn gc_never_removes_what_a_live_snapshot_reads() {
    let m = manager();
    commit_put(&m, b"k1", b"v1");
    commit_put(&m, b"k1", b"v2");
    commit_put(&m, b"k2", b"gone");
    let old_reader = m.begin();
    commit_put(&m, b"k1", b"v3");
    commit_put(&m, b"k1", b"v4");
    commit_delete(&m, b"k2");
    m.collect_garbage_pass(GC_BATCH_VERSIONS).unwrap();
    // v1 is hidden from everyone; v2 is what the old reader reads; v3 and v4 are newer than its snapshot.
    assert_eq!(version_count(&m, b"k1"), 3);
    assert_eq!(old_reader.get(b"k1").unwrap(), Some(b"v2".to_vec()));
    assert_eq!(old_reader.get(b"k2").unwrap(), Some(b"gone".to_vec()));
    assert_eq!(keys(&old_reader, false), vec![kv("k1", "v2"), kv("k2", "gone")]);
    assert_eq!(keys(&old_reader, true), vec![kv("k2", "gone"), kv("k1", "v2")]);
    assert_eq!(keys(&m.begin(), false), vec![kv("k1", "v4")]);

    drop(old_reader);
    m.collect_garbage_pass(GC_BATCH_VERSIONS).unwrap();
    assert_eq!(version_count(&m, b"k1"), 1);
    assert_eq!(version_count(&m, b"k2"), 0, "a deleted key leaves storage with its tombstone");
    assert_eq!(keys(&m.begin(), false), vec![kv("k1", "v4")]);
}

#[test]
fn gc_removes_old_lock_versions_but_keeps_catalog_tombstones() {
    let m = manager();
    commit_put(&m, b"k1", b"row");
    let mut locker = m.begin();
    locker.lock(b"k1".to_vec(), RowLock::Update);
    locker.lock(b"k2".to_vec(), RowLock::KeyShare);
    locker.commit().unwrap();
    let catalog_row = b"t\0\0\0\0\0\0\0\0orders".to_vec();
    commit_put(&m, &catalog_row, b"definition");
    commit_delete(&m, &catalog_row);
    m.collect_garbage_pass(GC_BATCH_VERSIONS).unwrap();
    let locks = stored(m.storage().as_ref()).into_iter().filter(|(k, _)| k.starts_with(LOCK_PREFIX)).count();
    assert_eq!(locks, 0);
    assert_eq!(m.gc_stats().lock_versions_removed.load(Ordering::Relaxed), 2);
    // The dropped table's catalog tombstone stays for OC001 validation of plans older than the horizon.
    assert_eq!(version_count(&m, &catalog_row), 1);
    let mut stale_plan = m.begin();
    stale_plan.put(b"k3".to_vec(), b"row".to_vec());
    stale_plan.depend_on_schema(catalog_row.clone(), 1);
    assert_eq!(stale_plan.commit().unwrap_err().message, schema_conflict().message);
}

/// A pass in batches of one version each ends with what a pass in one batch leaves, also when commits
/// land between the batches (new versions of the key being swept, a deletion of one already swept).
#[test]
fn gc_in_small_batches_with_commits_in_between() {
    let m = manager();
    for i in 0..4u8 {
        commit_put(&m, b"k1", &[b'a' + i]);
        commit_put(&m, b"k2", &[b'a' + i]);
        commit_put(&m, b"k3", &[b'a' + i]);
    }
    commit_delete(&m, b"k3");
    let mut cursor = GcCursor::default();
    let first = m.collect_garbage(&mut cursor, 2).unwrap();
    assert!(!first.pass_finished);
    // Commits while the pass is in the middle of k1's versions.
    commit_put(&m, b"k1", b"new");
    commit_delete(&m, b"k2");
    commit_put(&m, b"k3", b"back");
    let mut batches = 1;
    while !m.collect_garbage(&mut cursor, 1).unwrap().pass_finished {
        batches += 1;
    }
    assert!(batches > 5, "the pass ran in small batches");
    assert_eq!(keys(&m.begin(), false), vec![kv("k1", "new"), kv("k3", "back")]);
    // The pass's horizon predates the three commits: they, and the version below each, stay until the next
    // pass, except k3's tombstone, which went with the versions below it.
    assert_eq!((version_count(&m, b"k1"), version_count(&m, b"k2"), version_count(&m, b"k3")), (2, 2, 1));
    m.collect_garbage_pass(1).unwrap();
    assert_eq!((version_count(&m, b"k1"), version_count(&m, b"k2"), version_count(&m, b"k3")), (1, 0, 1));
    assert_eq!(keys(&m.begin(), false), vec![kv("k1", "new"), kv("k3", "back")]);
}

/// Memory storage that remembers each batch written while recording is on (and can fail the next one).
#[derive(Default)]
struct RecordingStorage {
    inner: MemoryStorage,
    recording: std::sync::atomic::AtomicBool,
    batches: parking_lot::Mutex<Vec<Vec<BatchWrite>>>,
    fail_next_write: std::sync::atomic::AtomicBool,
}

impl Storage for RecordingStorage {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.inner.get(key)
    }
    fn scan(&self, start: Bound<Vec<u8>>, end: Bound<Vec<u8>>, reverse: bool) -> ScanIter<'_> {
        self.inner.scan(start, end, reverse)
    }
    fn write_batch(&self, writes: Vec<BatchWrite>) -> Result<()> {
        if self.fail_next_write.swap(false, Ordering::SeqCst) {
            return Err(Error::io("injected write failure"));
        }
        if self.recording.load(Ordering::SeqCst) {
            self.batches.lock().push(writes.clone());
        }
        self.inner.write_batch(writes)
    }
    fn sync(&self) -> Result<()> {
        Ok(())
    }
    fn is_durable(&self) -> bool {
        false
    }
}

/// A crash in the middle of a pass leaves storage with a prefix of its batches (batches are atomic and
/// recovered in order): after every prefix, a database opened on it reads exactly what it read before.
#[test]
fn every_prefix_of_a_gc_pass_reads_the_same() {
    let storage = Arc::new(RecordingStorage::default());
    let m = TxnManager::open(Arc::clone(&storage) as Arc<dyn Storage>).unwrap();
    for round in 0..4u8 {
        for key in 0..6u8 {
            let key = [b'k', b'0' + key];
            if (round + key[1]).is_multiple_of(3) {
                commit_delete(&m, &key);
            } else {
                commit_put(&m, &key, &[round, key[1]]);
            }
        }
        let mut locker = m.begin();
        locker.lock(vec![b'k', b'0' + round], RowLock::Update);
        locker.commit().unwrap();
    }
    let before_gc = stored(storage.as_ref());
    let expected = keys(&m.begin(), false);
    storage.recording.store(true, Ordering::SeqCst);
    m.collect_garbage_pass(3).unwrap();
    let batches = std::mem::take(&mut *storage.batches.lock());
    assert!(batches.len() > 3, "the pass wrote several batches");
    assert!(version_count(&m, b"k0") < 4, "the pass removed versions");
    for prefix in 0..=batches.len() {
        let recovered = MemoryStorage::new();
        recovered.write_batch(before_gc.iter().map(|(k, v)| (k.clone(), Some(v.clone()))).collect()).unwrap();
        for batch in &batches[..prefix] {
            recovered.write_batch(batch.clone()).unwrap();
        }
        let reopened = TxnManager::open(Arc::new(recovered)).unwrap();
        let reader = reopened.begin();
        assert_eq!(keys(&reader, false), expected, "after {prefix} of {} batches", batches.len());
        for key in 0..6u8 {
            let key = [b'k', b'0' + key];
            let want = expected.iter().find(|(k, _)| k.as_slice() == key).map(|(_, v)| v.clone());
            assert_eq!(reader.get(&key).unwrap(), want);
        }
    }
}

/// A batch whose removals fail to be written ends its pass: continuing it could remove a tombstone whose
/// older versions (in the failed batch) are still stored, which would bring them back.
#[test]
fn a_failed_gc_batch_never_resurrects_a_deleted_key() {
    let storage = Arc::new(RecordingStorage::default());
    let m = TxnManager::open(Arc::clone(&storage) as Arc<dyn Storage>).unwrap();
    for value in [b"v1", b"v2", b"v3"] {
        commit_put(&m, b"k1", value);
    }
    commit_delete(&m, b"k1");
    let mut cursor = GcCursor::default();
    assert_eq!(m.collect_garbage(&mut cursor, 1).unwrap().removed, 0, "the tombstone waits for what is below");
    storage.fail_next_write.store(true, Ordering::SeqCst);
    assert!(m.collect_garbage(&mut cursor, 1).is_err(), "removing v3 failed");
    while !m.collect_garbage(&mut cursor, 1).unwrap().pass_finished {}
    assert_eq!(m.begin().get(b"k1").unwrap(), None);
    assert_eq!(version_count(&m, b"k1"), 0);
}

/// The background worker collects when asked, and a pass requested after commits covers them.
#[test]
fn gc_worker_runs_passes_on_request() {
    let m = manager();
    let worker = GcWorker::spawn(&m).unwrap();
    for i in 0..10u8 {
        commit_put(&m, b"k1", &[i]);
    }
    assert!(worker.run_pass_and_wait(std::time::Duration::from_secs(60)));
    assert_eq!(version_count(&m, b"k1"), 1);
    worker.shut_down();
    assert!(!worker.run_pass_and_wait(std::time::Duration::from_secs(1)));
}

// ---- A full disk ----

/// Durable-looking memory storage whose disk can be made full: commits' space checks fail, and so do syncs
/// (with the ENOSPC a real fdatasync would return).
#[derive(Default)]
struct FullDiskStorage {
    inner: MemoryStorage,
    full: std::sync::atomic::AtomicBool,
    /// Fail syncs only (the space check passed, then the disk filled before the journal write).
    syncs_fail: std::sync::atomic::AtomicBool,
}

impl Storage for FullDiskStorage {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.inner.get(key)
    }
    fn scan(&self, start: Bound<Vec<u8>>, end: Bound<Vec<u8>>, reverse: bool) -> ScanIter<'_> {
        self.inner.scan(start, end, reverse)
    }
    fn write_batch(&self, writes: Vec<BatchWrite>) -> Result<()> {
        self.inner.write_batch(writes)
    }
    fn check_space(&self) -> Result<()> {
        if self.full.load(Ordering::SeqCst) {
            return Err(Error::disk_full());
        }
        Ok(())
    }
    fn sync(&self) -> Result<()> {
        if self.full.load(Ordering::SeqCst) || self.syncs_fail.load(Ordering::SeqCst) {
            return Err(std::io::Error::from_raw_os_error(28).into());
        }
        Ok(())
    }
    fn is_durable(&self) -> bool {
        true
    }
}

#[test]
fn a_full_disk_fails_commits_with_53100_until_space_is_freed() {
    let storage = Arc::new(FullDiskStorage::default());
    let m = TxnManager::open(Arc::clone(&storage) as Arc<dyn Storage>).unwrap();
    commit_put(&m, b"k1", b"acknowledged");

    storage.full.store(true, Ordering::SeqCst);
    let mut refused = m.begin();
    refused.put(b"k1".to_vec(), b"refused".to_vec());
    let err = refused.commit().unwrap_err();
    assert_eq!((err.code, err.message.as_str()), ("53100", "could not extend file: No space left on device"));
    assert_eq!(m.begin().get(b"k1").unwrap(), Some(b"acknowledged".to_vec()));

    // The space check passes but the sync fails: the commit is not acknowledged and not visible.
    storage.full.store(false, Ordering::SeqCst);
    storage.syncs_fail.store(true, Ordering::SeqCst);
    let mut unsynced = m.begin();
    unsynced.put(b"k2".to_vec(), b"unsynced".to_vec());
    assert_eq!(unsynced.commit().unwrap_err().code, "53100");
    assert_eq!(m.begin().get(b"k1").unwrap(), Some(b"acknowledged".to_vec()));
    assert_eq!(m.begin().get(b"k2").unwrap(), None);

    // Space freed: the next commit succeeds without a restart (and its sync covers the earlier write).
    storage.syncs_fail.store(false, Ordering::SeqCst);
    commit_put(&m, b"k1", b"after");
    let reader = m.begin();
    assert_eq!(reader.get(b"k1").unwrap(), Some(b"after".to_vec()));
    assert_eq!(reader.get(b"k2").unwrap(), Some(b"unsynced".to_vec()), "written before, durable now");
}

/// A pass over one range collects there only, and a full pass reports the garbage it found per range.
#[test]
fn gc_ranges() {
    let m = manager();
    for i in 0..3u8 {
        commit_put(&m, b"a1", &[i]);
        commit_put(&m, b"b1", &[i]);
    }
    let mut cursor = GcCursor::prefix(b"a".to_vec());
    let pass = loop {
        let batch = m.collect_garbage(&mut cursor, 1).unwrap();
        if batch.pass_finished {
            break batch;
        }
    };
    assert_eq!((version_count(&m, b"a1"), version_count(&m, b"b1")), (1, 3));
    assert_eq!(pass.ranges.keys().collect::<Vec<_>>(), vec![&b"a1".to_vec()]);
    commit_put(&m, b"a1", b"new");
    let full = m.collect_garbage_pass(GC_BATCH_VERSIONS).unwrap();
    assert_eq!(full.ranges[&b"a1".to_vec()], RangeGarbage { visited: 2, removed: 1 });
    assert_eq!(full.ranges[&b"b1".to_vec()], RangeGarbage { visited: 3, removed: 2 });
}

/// Transfers between accounts, the collector sweeping in small batches and readers checking their snapshots,
/// all at once on threads: every snapshot sees every account and the same total, whatever the collector
/// removed meanwhile (no wrong answer, no missing row), and what a reader read once it reads again.
#[test]
fn gc_concurrent_with_writers_and_readers() {
    const ACCOUNTS: u8 = 20;
    const TRANSFERS: usize = 2000;
    let m = manager();
    let mut setup = m.begin();
    for account in 0..ACCOUNTS {
        setup.put(vec![b'k', account], 100u64.to_be_bytes().to_vec());
    }
    setup.commit().unwrap();
    let total = 100 * ACCOUNTS as u64;
    let balance = |value: &[u8]| u64::from_be_bytes(value.try_into().unwrap());
    let done = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            let mut cursor = GcCursor::default();
            while !done.load(Ordering::SeqCst) {
                m.collect_garbage(&mut cursor, 3).unwrap();
            }
        });
        for _ in 0..2 {
            scope.spawn(|| {
                while !done.load(Ordering::SeqCst) {
                    let reader = m.begin();
                    let first = keys(&reader, false);
                    assert_eq!(first.len(), ACCOUNTS as usize, "an account went missing");
                    assert_eq!(first.iter().map(|(_, v)| balance(v)).sum::<u64>(), total);
                    let reversed: Vec<_> = keys(&reader, true).into_iter().rev().collect();
                    assert_eq!(reversed, first, "the snapshot changed under the reader");
                    for (key, value) in &first {
                        assert_eq!(reader.get(key).unwrap().as_ref(), Some(value));
                    }
                }
            });
        }
        let writer = scope.spawn(|| {
            let mut done_transfers = 0;
            let mut n = 0usize;
            while done_transfers < TRANSFERS {
                n += 1;
                let (from, to) = ((n * 7 % ACCOUNTS as usize) as u8, (n * 13 % ACCOUNTS as usize) as u8);
                if from == to {
                    continue;
                }
                let mut t = m.begin();
                let a = balance(&t.get(&[b'k', from]).unwrap().unwrap());
                let b = balance(&t.get(&[b'k', to]).unwrap().unwrap());
                let amount = a.min(3);
                t.put(vec![b'k', from], (a - amount).to_be_bytes().to_vec());
                t.put(vec![b'k', to], (b + amount).to_be_bytes().to_vec());
                t.commit().unwrap();
                done_transfers += 1;
            }
        });
        writer.join().unwrap();
        done.store(true, Ordering::SeqCst);
    });
    m.collect_garbage_pass(GC_BATCH_VERSIONS).unwrap();
    let stored_accounts = stored(m.storage().as_ref()).iter().filter(|(k, _)| k.starts_with(b"k")).count();
    assert_eq!(stored_accounts, ACCOUNTS as usize, "one version per account is left");
}

/// A reverse scan visits a key's versions oldest first: a collector removing a tombstone and the version
/// below it while the scan stands between the two must not make the old version its answer.
#[test]
fn gc_removal_in_the_middle_of_a_reverse_scan() {
    removal_in_the_middle_of_a_reverse_scan(manager());
    let dir = tempfile::tempdir().unwrap();
    let storage = Arc::new(crate::storage::disk::FjallStorage::open(dir.path()).unwrap());
    removal_in_the_middle_of_a_reverse_scan(TxnManager::open(storage).unwrap());
}

fn removal_in_the_middle_of_a_reverse_scan(m: Arc<TxnManager>) {
    commit_put(&m, b"k1", b"old");
    commit_delete(&m, b"k1");
    commit_put(&m, b"k2", b"live");
    let reader = m.begin();
    // Stored, in reverse order: k2@3, k1@1 ("old"), k1@2 (tombstone). Stop after the old version.
    let mut scan = reader.scan(Bound::Included(b"k".to_vec()), Bound::Excluded(b"l".to_vec()), true);
    assert_eq!(owned(scan.next().unwrap()), kv("k2", "live"));
    m.collect_garbage_pass(GC_BATCH_VERSIONS).unwrap();
    assert_eq!(scan.next().map(|r| r.unwrap()), None, "k1 is deleted in the reader's snapshot");
    drop(scan);
    assert_eq!(version_count(&m, b"k1"), 0, "removed once no scan can meet the versions any more");
}

// ---- Reading many keys at once ----

/// `get_committed_many` answers as `get` does without own writes (keys prefix-free, as always), whatever
/// the order of the keys, both
/// when one scan covers them and when too many other keys lie between them (then it reads them one by one).
#[test]
fn many_keys_read_as_one_at_a_time() {
    let m = manager();
    let mut load = m.begin();
    for i in 0..2000u32 {
        load.put(format!("k{i:05}").into_bytes(), i.to_be_bytes().to_vec());
    }
    load.commit().unwrap();
    commit_put(&m, b"k00007", b"newer");
    commit_delete(&m, b"k00008");
    let mut reader = m.begin();
    // The same snapshot without own writes.
    let baseline = m.begin();
    commit_put(&m, b"k00009", b"after the snapshot");
    reader.put(b"k00010".to_vec(), b"own write".to_vec());
    reader.delete(b"k00011".to_vec());
    let close: Vec<Vec<u8>> =
        ["k00012", "k00007", "k00008", "k00009", "k00010", "k00011", "k0000a", "k0001a", "k00013"]
            .iter()
            .map(|k| k.as_bytes().to_vec())
            .collect();
    // Far apart: the first and last of 2,000 keys, with one key in the middle, step over most of them.
    let far: Vec<Vec<u8>> =
        ["k01999", "k00000", "k01000", "k00007", "zz"].iter().map(|k| k.as_bytes().to_vec()).collect();
    for keys in [close, far] {
        let refs: Vec<&[u8]> = keys.iter().map(Vec::as_slice).collect();
        let got: Vec<Option<Vec<u8>>> =
            reader.get_committed_many(&refs).unwrap().into_iter().map(|v| v.map(|v| v.to_vec())).collect();
        let want: Vec<Option<Vec<u8>>> = keys.iter().map(|k| baseline.get(k).unwrap()).collect();
        assert_eq!(got, want);
    }
    assert_eq!(reader.own_write(b"k00010"), Some(Some(&b"own write"[..])));
    assert_eq!(reader.own_write(b"k00011"), Some(None));
    assert_eq!(reader.own_write(b"k00012"), None);
    assert_eq!(reader.get_committed_many::<&[u8]>(&[]).unwrap(), Vec::new());
}

/// Keys written with `put_new` (an INSERT's new rows) leave no older version behind: they do not count
/// towards the writes that pace the garbage collector, and a savepoint's rollback forgets them.
#[test]
fn new_keys_do_not_count_as_garbage() {
    let m = manager();
    let mut txn = m.begin();
    txn.put_new(b"k1".to_vec(), b"a".to_vec());
    txn.put_new(b"k1".to_vec(), b"b".to_vec());
    let savepoint = txn.checkpoint();
    txn.put_new(b"k2".to_vec(), b"c".to_vec());
    txn.restore(savepoint);
    txn.put(b"k3".to_vec(), b"d".to_vec());
    txn.commit().unwrap();
    assert_eq!(m.versions_written(), 1, "only k3 may have had an older version");
    commit_put(&m, b"k1", b"e");
    assert_eq!(m.versions_written(), 2);
}

/// `purge_prefix` removes every version and lock version under a prefix in batches that resume where the
/// last one stopped, and nothing outside the prefix.
#[test]
fn purge_prefix_resumes_batch_after_batch() {
    let m = manager();
    for round in 0..3u8 {
        let mut txn = m.begin();
        for i in 0..10u8 {
            txn.put(vec![b'p', i], vec![round]);
        }
        txn.put(b"q0".to_vec(), vec![round]);
        txn.commit().unwrap();
    }
    let mut locker = m.begin();
    locker.lock(vec![b'p', 3], RowLock::Update);
    locker.lock(vec![b'p', 4], RowLock::KeyShare);
    locker.put(b"q1".to_vec(), b"x".to_vec());
    locker.commit().unwrap();
    let before = stored(m.storage().as_ref()).len();
    let mut cursor = None;
    let mut batches = Vec::new();
    loop {
        let removed = m.purge_prefix(b"p", &mut cursor, 7).unwrap();
        if removed == 0 {
            break;
        }
        batches.push(removed);
    }
    // 30 row versions and 2 lock versions, 7 at a time.
    assert_eq!(batches, vec![7, 7, 7, 7, 4]);
    let left = stored(m.storage().as_ref());
    assert_eq!(left.len(), before - 32);
    assert!(left.iter().all(|(key, _)| !key.starts_with(b"p") && !key.starts_with(b"\xfflock/")), "{left:?}");
    assert_eq!(m.begin().get(b"q0").unwrap(), Some(vec![2]));
}

#[test]
fn a_keys_first_version_is_its_first_commit() {
    let m = manager();
    assert_eq!(m.first_version_ts(b"k1").unwrap(), None);
    let mut t1 = m.begin();
    t1.put(b"k1".to_vec(), b"a".to_vec());
    let created = t1.commit().unwrap();
    let mut t2 = m.begin();
    t2.put(b"k1".to_vec(), b"b".to_vec());
    t2.put(b"k1x".to_vec(), b"longer key".to_vec());
    let updated = t2.commit().unwrap();
    assert!(updated > created);
    assert_eq!(m.first_version_ts(b"k1").unwrap(), Some(created), "not the update, not the longer key");
    assert_eq!(m.first_version_ts(b"k1x").unwrap(), Some(updated));
}
