//! Transactions: MVCC snapshots, private write sets and optimistic concurrency control decided at COMMIT.
//!
//! This is occam's "adjudicator" and "journal" in one process. Every stored version is a storage key
//! `user_key ++ !commit_ts` (big-endian, complemented so the newest version of a key sorts first) whose
//! value is a tag byte (1 = row, 0 = deleted) plus the row bytes.
//!
//! ```text
//!   begin   start_ts = visible_ts            (the newest commit that is durable, and all before it)
//!   read    newest version of each key with commit_ts <= start_ts, overlaid by the own write set
//!   write   buffered in the write set; nothing is stored and nothing waits
//!   commit  under the commit lock: for each written key, if its newest version has commit_ts > start_ts
//!           -> 40001 (first committer wins); else take ts = last_ts + 1 and write all versions as one
//!           atomic batch (not yet synced), and hand ts to the journal's sync thread. The committer then
//!           waits (blocking, or async in the server) until a sync that began after its write completes:
//!           one fsync serves every commit written before it (group commit). Only then visible_ts
//!           advances, so nobody ever reads a commit that a crash could take back.
//! ```
//! Read-only transactions commit without touching storage and never conflict. Plain reads are not
//! validated, which is what makes this snapshot isolation (write skew is possible) rather than
//! serializability, exactly as in Aurora DSQL.
//!
//! Two kinds of reads are validated at COMMIT all the same:
//! - rows read with a locking clause ([`Transaction::lock`]). `SELECT ... FOR UPDATE` makes a row behave
//!   as if the transaction wrote it: the commit fails if the row (or a lock on it) was committed after the
//!   snapshot, and a successful commit stores a lock version `\xfflock/u/<key>` at its timestamp, so a
//!   concurrent writer of the row that commits later fails in turn (first committer wins, whichever side
//!   it is). `FOR KEY SHARE` conflicts only with deletions (a key change is a deletion of the old key) and
//!   with `FOR UPDATE`, through `\xfflock/k/<key>` versions that deleters check;
//! - schema dependencies ([`Transaction::depend_on_schema`]): the catalog rows of the tables a transaction
//!   wrote. A catalog change committed after the snapshot fails the commit with DSQL's `OC001`.
//!
//! Versions no live or future snapshot can read are removed in the background by the collector in `gc`.

mod deferred;
mod gc;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::ops::Bound;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use parking_lot::{Condvar, Mutex};

pub use gc::{GcBatch, GcCursor, GcStats, GcWorker, RangeGarbage, GC_BATCH_VERSIONS};

pub use deferred::{ConstraintId, DeferredCheck, DeferredConstraints};

use crate::error::{Conflict, ConflictKind, Error, Result};
use crate::metrics::Metrics;
use crate::storage::{prefix_range, BatchWrite, Bytes, KvPair, ScanIter, Storage};

/// A commit timestamp. Timestamps are a dense counter; 0 is "before every commit".
pub type Timestamp = u64;

const VERSION_LEN: usize = 8;
const TAG_DELETED: u8 = 0;
const TAG_ROW: u8 = 1;
/// Where the highest assigned commit timestamp is stored; written in every commit batch. Not versioned,
/// and outside the key space that callers of `Transaction` may use (their keys never start with 0xff).
const LAST_TS_KEY: &[u8] = b"\xffmeta/last_commit_ts";
/// Where unversioned keys (like `LAST_TS_KEY`) live: after every versioned key.
const META_PREFIX: &[u8] = b"\xffmeta/";
/// Prefixes of the lock versions committed for `FOR UPDATE` and `FOR KEY SHARE` reads (outside the user
/// key space, like `LAST_TS_KEY`, so no scan of user keys ever meets them).
const UPDATE_LOCK_PREFIX: &[u8] = b"\xfflock/u/";
const KEY_SHARE_LOCK_PREFIX: &[u8] = b"\xfflock/k/";
/// The prefix of every lock version.
const LOCK_PREFIX: &[u8] = b"\xfflock/";

/// The strength of a row lock taken by a locking clause, validated at COMMIT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RowLock {
    /// `FOR KEY SHARE`: conflicts with a concurrent deletion (or key change) of the row, or `FOR UPDATE`.
    KeyShare,
    /// `FOR UPDATE`: the row behaves as if written; any concurrent write or lock of it conflicts.
    Update,
}

fn lock_key(prefix: &[u8], key: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(prefix.len() + key.len());
    out.extend_from_slice(prefix);
    out.extend_from_slice(key);
    out
}

/// The 40001 for a transaction whose tables' definitions changed after its snapshot (DSQL's `OC001`).
pub fn schema_conflict() -> Error {
    Error::new(
        crate::error::sqlstate::SERIALIZATION_FAILURE,
        "schema has been updated by another transaction, please retry: (OC001)",
    )
}

fn versioned_key(key: &[u8], ts: Timestamp) -> Vec<u8> {
    let mut out = Vec::with_capacity(key.len() + VERSION_LEN);
    out.extend_from_slice(key);
    out.extend_from_slice(&(!ts).to_be_bytes());
    out
}

/// Splits a stored key into the user key and the version's commit timestamp.
fn split_versioned(stored: &[u8]) -> Result<(&[u8], Timestamp)> {
    if stored.len() < VERSION_LEN {
        return Err(Error::internal("corrupt versioned key"));
    }
    let (key, version) = stored.split_at(stored.len() - VERSION_LEN);
    Ok((key, !u64::from_be_bytes(version.try_into().expect("8 bytes"))))
}

/// A stored version's row bytes (its tag cut off, not copied), or None for a deletion.
fn decode_version(value: Bytes) -> Result<Option<Bytes>> {
    match value.first() {
        Some(&TAG_ROW) => Ok(Some(value.narrow(1..))),
        Some(&TAG_DELETED) => Ok(None),
        _ => Err(Error::internal("corrupt version value")),
    }
}

struct CommitState {
    last_ts: Timestamp,
    /// The keys of recent commits, so that validation rarely needs storage.
    recent: RecentWrites,
    /// Timestamp of the newest commit that wrote row-lock versions (`FOR UPDATE` / `FOR KEY SHARE`), so
    /// validation skips the lock-key seeks when no lock can be newer than a snapshot (the common case).
    newest_lock_ts: Timestamp,
}

/// The newest commit timestamp of each key written after `horizon`: validation asks it whether a key
/// changed since a snapshot instead of seeking storage (a range iterator over every level of the LSM tree,
/// the biggest cost of a small transaction's COMMIT). A transaction's snapshot is never older than the
/// oldest live one, so commits at or before that can be forgotten; so can the oldest ones when there are
/// too many keys (an old transaction kept open). Questions about times before `horizon` go to storage.
struct RecentWrites {
    newest: HashMap<Vec<u8>, Timestamp, KeyHashing>,
    /// Each remembered commit's timestamp, when it was made, and its keys, oldest first.
    commits: VecDeque<(Timestamp, Instant, Vec<Vec<u8>>)>,
    /// Every commit after this time is remembered.
    horizon: Timestamp,
    keys: usize,
}

/// Hashing of storage keys for [`RecentWrites`]: xxh3 with a seed drawn once per process. SipHash (the
/// standard map's) was the biggest single cost of a bulk load's COMMIT; a seed no client knows keeps
/// clients from choosing keys that collide.
#[derive(Clone, Copy)]
struct KeyHashing(u64);

impl Default for KeyHashing {
    fn default() -> Self {
        static SEED: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
        KeyHashing(*SEED.get_or_init(|| {
            use std::hash::{BuildHasher, Hasher};
            std::collections::hash_map::RandomState::new().build_hasher().finish()
        }))
    }
}

impl std::hash::BuildHasher for KeyHashing {
    type Hasher = KeyHasher;

    fn build_hasher(&self) -> KeyHasher {
        KeyHasher(self.0)
    }
}

struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0 = xxhash_rust::xxh3::xxh3_64_with_seed(bytes, self.0);
    }

    fn write_usize(&mut self, length: usize) {
        // A byte string's length prefix: its hash covers the length already, so this only mixes it in.
        self.0 ^= (length as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

impl RecentWrites {
    /// Keys remembered at most; beyond, the oldest commits are forgotten.
    const MAX_KEYS: usize = 1 << 20;
    /// A commit of more keys than this (a bulk load) is not remembered key by key: everything before it
    /// is forgotten instead, so validations of snapshots older than it go to storage (rare: only
    /// transactions that overlapped it) and its own keys cost nothing to record.
    const MAX_KEYS_PER_COMMIT: usize = 1 << 16;

    fn new(horizon: Timestamp) -> RecentWrites {
        RecentWrites { newest: HashMap::default(), commits: VecDeque::new(), horizon, keys: 0 }
    }

    /// Whether `key` has a version committed after `since`; `None` when that is before the horizon.
    fn changed_since(&self, key: &[u8], since: Timestamp) -> Option<bool> {
        self.newest_after(key, since).map(|newest| newest.is_some())
    }

    /// The commit timestamp of `key`'s newest version if that is after `since` (`Some(None)` when there is
    /// none); `None` when `since` is before the horizon.
    fn newest_after(&self, key: &[u8], since: Timestamp) -> Option<Option<Timestamp>> {
        (since >= self.horizon).then(|| self.newest.get(key).copied().filter(|&ts| ts > since))
    }

    /// When commit `ts` was made, if it is still remembered.
    fn committed_at(&self, ts: Timestamp) -> Option<Instant> {
        let index = self.commits.binary_search_by_key(&ts, |(commit_ts, _, _)| *commit_ts).ok()?;
        Some(self.commits[index].1)
    }

    /// Remembers the keys of commit `ts` (the newest so far), then forgets commits no transaction can ask
    /// about: those at or before `oldest_snapshot`, and the oldest beyond [`Self::MAX_KEYS`]. A commit of
    /// more than [`Self::MAX_KEYS_PER_COMMIT`] keys moves the horizon to itself instead.
    fn record(&mut self, ts: Timestamp, keys: Vec<Vec<u8>>, oldest_snapshot: Timestamp) {
        if keys.len() > Self::MAX_KEYS_PER_COMMIT {
            self.newest.clear();
            self.commits.clear();
            self.keys = 0;
            self.horizon = ts;
            return;
        }
        for key in &keys {
            self.newest.insert(key.clone(), ts);
        }
        self.keys += keys.len();
        self.commits.push_back((ts, Instant::now(), keys));
        while let Some((oldest, _, _)) = self.commits.front() {
            if *oldest > oldest_snapshot && self.keys <= Self::MAX_KEYS {
                break;
            }
            let (oldest, _, keys) = self.commits.pop_front().expect("a front entry");
            self.keys -= keys.len();
            for key in keys {
                // A newer commit of the same key is still remembered under its own timestamp.
                if self.newest.get(&key) == Some(&oldest) {
                    self.newest.remove(&key);
                }
            }
            self.horizon = self.horizon.max(oldest);
        }
    }
}

/// The group-commit pipeline: committers hand their written timestamp to one sync thread, which fsyncs
/// once for every commit written since its last sync and then publishes the new durable timestamp.
struct Journal {
    storage: Arc<dyn Storage>,
    state: Mutex<JournalState>,
    /// Signalled when a commit was written and awaits a sync (or at shutdown).
    work: Condvar,
    /// Signalled after each sync, for blocking waiters.
    synced: Condvar,
    /// The durable timestamp, for async waiters (the wire server awaits it instead of blocking a thread).
    durable: tokio::sync::watch::Sender<Timestamp>,
    /// Highest timestamp that is durable with all before it: new snapshots read at this time.
    visible_ts: AtomicU64,
}

struct JournalState {
    /// Highest timestamp whose batch has been handed to storage (maybe not yet synced).
    written_ts: Timestamp,
    durable_ts: Timestamp,
    /// The last failed sync (a full disk, an I/O error): its error and the newest commit it was to make
    /// durable. Those commits are not acknowledged (their waiters get the error); they stay written, and
    /// the next sync that succeeds (after a later commit, once space was freed) makes them durable with
    /// the commits after it, like a COMMIT whose connection broke, whose outcome its client cannot know.
    failed: Option<(Error, Timestamp)>,
    shutdown: bool,
}

impl Journal {
    /// Records that the batch of `ts` is written, making it durable at once if storage needs no sync.
    /// Called under the commit lock, so timestamps arrive in order.
    fn written(&self, ts: Timestamp) {
        let mut state = self.state.lock();
        state.written_ts = ts;
        if self.storage.is_durable() {
            self.work.notify_one();
        } else {
            self.publish(&mut state, ts);
        }
    }

    fn publish(&self, state: &mut JournalState, ts: Timestamp) {
        state.durable_ts = ts;
        self.visible_ts.store(ts, Ordering::Release);
        self.synced.notify_all();
        self.durable.send_replace(ts);
    }

    /// The sync thread's loop: one fsync per round covers every batch written before it started.
    fn run_syncs(&self) {
        let mut state = self.state.lock();
        loop {
            while !state.has_unsynced_work() && !state.shutdown {
                self.work.wait(&mut state);
            }
            if !state.has_unsynced_work() {
                return; // shut down with nothing left to sync
            }
            let target = state.written_ts;
            drop(state);
            let result = self.storage.sync();
            state = self.state.lock();
            match result {
                Ok(()) => {
                    if state.failed.take().is_some() {
                        tracing::info!("sync succeeded again; commits resume");
                    }
                    self.publish(&mut state, target)
                }
                Err(err) => {
                    tracing::error!("sync failed, commits up to {target} are not acknowledged: {err}");
                    state.failed = Some((err, target));
                    self.synced.notify_all();
                    // Wake async waiters so they observe the failure.
                    self.durable.send_modify(|_| {});
                }
            }
        }
    }

    fn check(&self, state: &JournalState, ts: Timestamp) -> Option<Result<Timestamp>> {
        if state.durable_ts >= ts {
            return Some(Ok(ts));
        }
        match &state.failed {
            Some((err, failed_through)) if *failed_through >= ts => Some(Err(err.clone())),
            _ => None,
        }
    }
}

impl JournalState {
    /// Whether commits were written that no sync has tried to make durable yet (after a failed sync, only
    /// a later commit starts another try: retrying at once would fail the same way).
    fn has_unsynced_work(&self) -> bool {
        let tried = self.failed.as_ref().map_or(self.durable_ts, |(_, through)| (*through).max(self.durable_ts));
        self.written_ts > tried
    }
}

/// A commit that is written and will be durable once the journal's next sync completes. Acknowledge the
/// commit to a client only after [`DurableWait::wait`] (or `wait_async`) returned Ok.
#[must_use = "a commit is not durable until the wait completes"]
pub struct DurableWait {
    journal: Arc<Journal>,
    ts: Timestamp,
    /// For a commit's own wait: where to record its latency once durable, and when COMMIT began.
    commit: Option<(Arc<Metrics>, Instant)>,
}

impl DurableWait {
    pub fn timestamp(&self) -> Timestamp {
        self.ts
    }

    /// Counts a commit that became durable (or failed to) and its latency.
    fn finished(&self, result: Result<Timestamp>) -> Result<Timestamp> {
        if let Some((metrics, started)) = &self.commit {
            metrics.committed(result.is_ok(), started.elapsed());
        }
        result
    }

    /// Blocks the calling thread until the commit is durable.
    pub fn wait(self) -> Result<Timestamp> {
        let mut state = self.journal.state.lock();
        loop {
            if let Some(result) = self.journal.check(&state, self.ts) {
                return self.finished(result);
            }
            self.journal.synced.wait(&mut state);
        }
    }

    /// Waits without blocking a thread (for async servers).
    pub async fn wait_async(self) -> Result<Timestamp> {
        let mut durable = self.journal.durable.subscribe();
        loop {
            let checked = self.journal.check(&self.journal.state.lock(), self.ts);
            if let Some(result) = checked {
                return self.finished(result);
            }
            if durable.changed().await.is_err() {
                return Err(Error::internal("the database was closed before the commit became durable"));
            }
        }
    }
}

/// The transactions reading one snapshot, and since when the first of them has.
struct LiveSnapshot {
    transactions: usize,
    since: Instant,
}

/// Owns commit-timestamp assignment, OCC validation and the group-commit pipeline for one database.
pub struct TxnManager {
    storage: Arc<dyn Storage>,
    commit: Mutex<CommitState>,
    journal: Arc<Journal>,
    /// The sync thread, joined when the manager is dropped: it holds the storage, which must be closed (its
    /// lock released) once the manager is gone.
    journal_thread: Mutex<Option<std::thread::JoinHandle<()>>>,
    /// The snapshot of every live transaction (start_ts -> how many), so background work knows when no
    /// reader can still see data it wants to remove physically (see [`TxnManager::oldest_snapshot`]).
    snapshots: Mutex<BTreeMap<Timestamp, LiveSnapshot>>,
    /// Commit, conflict and latency counters (shared with the database's `/metrics`).
    metrics: Arc<Metrics>,
    /// Versions written by commits since open that may leave an older version behind as garbage (every
    /// version but those of keys the writer knew to be new, see [`Transaction::put_new`]): the garbage
    /// collector's measure of new garbage.
    versions_written: AtomicU64,
    gc_stats: GcStats,
}

impl TxnManager {
    /// Opens the manager over `storage`, recovering the last commit timestamp, and starts the sync thread
    /// for durable storage.
    pub fn open(storage: Arc<dyn Storage>) -> Result<Arc<TxnManager>> {
        let last_ts = match storage.get(LAST_TS_KEY)? {
            Some(bytes) => u64::from_be_bytes(
                bytes.as_slice().try_into().map_err(|_| Error::internal("corrupt commit timestamp"))?,
            ),
            None => 0,
        };
        // After a restart the lock versions' timestamps are not tracked: if any exist, assume the newest is
        // as new as the last commit (validation then checks lock keys until that is older than snapshots).
        let lock_range = prefix_range(LOCK_PREFIX);
        let newest_lock_ts = if storage.scan(lock_range.0, lock_range.1, false).next().is_some() { last_ts } else { 0 };
        let journal = Arc::new(Journal {
            storage: Arc::clone(&storage),
            state: Mutex::new(JournalState { written_ts: last_ts, durable_ts: last_ts, failed: None, shutdown: false }),
            work: Condvar::new(),
            synced: Condvar::new(),
            durable: tokio::sync::watch::Sender::new(last_ts),
            visible_ts: AtomicU64::new(last_ts),
        });
        let journal_thread = if storage.is_durable() {
            let syncer = Arc::clone(&journal);
            let thread = std::thread::Builder::new()
                .name("occam-journal".into())
                .spawn(move || syncer.run_syncs())
                .map_err(|err| Error::internal(format!("cannot start the journal thread: {err}")))?;
            Some(thread)
        } else {
            None
        };
        let manager = Arc::new(TxnManager {
            storage,
            commit: Mutex::new(CommitState { last_ts, recent: RecentWrites::new(last_ts), newest_lock_ts }),
            journal,
            journal_thread: Mutex::new(journal_thread),
            snapshots: Mutex::new(BTreeMap::new()),
            metrics: Arc::new(Metrics::new()),
            versions_written: AtomicU64::new(0),
            gc_stats: GcStats::default(),
        });
        manager.metrics.register_storage(Arc::downgrade(&manager));
        Ok(manager)
    }

    /// Starts a transaction reading the newest durable snapshot.
    pub fn begin(self: &Arc<Self>) -> Transaction {
        // Read under the registry lock, so `oldest_snapshot` never misses a transaction being started.
        let start_ts = {
            let mut snapshots = self.snapshots.lock();
            let start_ts = self.visible_ts();
            snapshots
                .entry(start_ts)
                .or_insert_with(|| LiveSnapshot { transactions: 0, since: Instant::now() })
                .transactions += 1;
            start_ts
        };
        Transaction {
            manager: Arc::clone(self),
            start_ts,
            writes: BTreeMap::new(),
            locks: BTreeMap::new(),
            schema_dependencies: BTreeMap::new(),
            largest_write: (0, 0),
            deferred: DeferredConstraints::default(),
            new_keys: 0,
        }
    }

    /// The snapshot a transaction started now would read.
    pub fn visible_ts(&self) -> Timestamp {
        self.journal.visible_ts.load(Ordering::Acquire)
    }

    pub fn storage(&self) -> &Arc<dyn Storage> {
        &self.storage
    }

    /// The commit timestamp of the oldest stored version of `key` (None when it has none). While a snapshot
    /// older than a key's first commit is live, the collector keeps that version (it is newer than the
    /// horizon), so this is the key's creation as long as anyone could tell.
    pub fn first_version_ts(&self, key: &[u8]) -> Result<Option<Timestamp>> {
        let versions = self.storage.scan(
            Bound::Included(versioned_key(key, Timestamp::MAX)),
            Bound::Included(versioned_key(key, 0)),
            true,
        );
        for entry in versions {
            let (stored, _) = entry?;
            let (user_key, ts) = split_versioned(&stored)?;
            // A longer key that starts with `key` sorts among its versions: not one of them.
            if user_key == key {
                return Ok(Some(ts));
            }
        }
        Ok(None)
    }

    /// The oldest snapshot any live transaction reads (or, with none live, the one the next would read):
    /// versions that only snapshots older than this can see are safe to remove from storage.
    pub fn oldest_snapshot(&self) -> Timestamp {
        let snapshots = self.snapshots.lock();
        snapshots.keys().next().copied().unwrap_or_else(|| self.visible_ts())
    }

    /// Removes from storage, outside any transaction, up to `limit` stored keys (every version, and the row
    /// locks of `FOR UPDATE` / `FOR KEY SHARE`) of user keys starting with `prefix`, in key order after
    /// `resume_after` (None: from the first), which it moves to the last key removed; returns how many it
    /// removed (0: none left). Resuming matters: removed keys leave tombstones that a scan from the start
    /// would step over again in every later batch. Only for key ranges that no snapshot from
    /// [`oldest_snapshot`] on can reach and nothing writes any more (a dropped table's, whose id is never
    /// reused). The removal becomes durable with the next commit's sync.
    ///
    /// [`oldest_snapshot`]: TxnManager::oldest_snapshot
    pub fn purge_prefix(&self, prefix: &[u8], resume_after: &mut Option<Vec<u8>>, limit: usize) -> Result<usize> {
        let mut doomed: Vec<BatchWrite> = Vec::new();
        // In key order: the rows and entries, then the lock versions (`\xfflock/k/` before `\xfflock/u/`).
        for range_prefix in
            [prefix.to_vec(), lock_key(KEY_SHARE_LOCK_PREFIX, prefix), lock_key(UPDATE_LOCK_PREFIX, prefix)]
        {
            let (mut start, end) = crate::storage::prefix_range(&range_prefix);
            if let Some(after) = resume_after.as_ref().filter(|after| **after >= range_prefix) {
                if matches!(&end, Bound::Excluded(end) if after >= end) {
                    continue;
                }
                start = Bound::Excluded(after.clone());
            }
            for entry in self.storage.scan(start, end, false).take(limit - doomed.len()) {
                doomed.push((entry?.0.to_vec(), None));
            }
            if doomed.len() == limit {
                break;
            }
        }
        let removed = doomed.len();
        if let Some((last, _)) = doomed.last() {
            *resume_after = Some(last.clone());
            self.storage.write_batch(doomed)?;
        }
        Ok(removed)
    }

    fn end_snapshot(&self, start_ts: Timestamp) {
        let mut snapshots = self.snapshots.lock();
        if let Some(live) = snapshots.get_mut(&start_ts) {
            live.transactions -= 1;
            if live.transactions == 0 {
                snapshots.remove(&start_ts);
            }
        }
    }

    /// How long the oldest live snapshot has been read (zero with no transaction live): what holds the
    /// garbage collector's horizon back.
    pub fn oldest_snapshot_age(&self) -> std::time::Duration {
        self.snapshots.lock().values().next().map_or(std::time::Duration::ZERO, |live| live.since.elapsed())
    }

    /// The newest commit timestamp assigned (written, maybe not yet durable).
    pub fn last_commit_ts(&self) -> Timestamp {
        self.commit.lock().last_ts
    }

    /// The commit and conflict counters.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// Commit timestamp of the newest version of `key`, whether visible yet or not.
    fn newest_version_ts(&self, key: &[u8]) -> Result<Option<Timestamp>> {
        let mut iter = self.storage.scan(
            Bound::Included(versioned_key(key, Timestamp::MAX)),
            Bound::Included(versioned_key(key, 0)),
            false,
        );
        match iter.next() {
            Some(entry) => Ok(Some(split_versioned(&entry?.0)?.1)),
            None => Ok(None),
        }
    }

    /// The commit timestamp of `key`'s newest version if it was committed after `start_ts` (asking
    /// `recent` first).
    fn changed_since(&self, recent: &RecentWrites, key: &[u8], start_ts: Timestamp) -> Result<Option<Timestamp>> {
        match recent.newest_after(key, start_ts) {
            Some(newest) => Ok(newest),
            None => Ok(self.newest_version_ts(key)?.filter(|&ts| ts > start_ts)),
        }
    }

    /// The commit timestamp of a version committed after `start_ts` that deleted `key`, if there is one.
    fn deleted_since(&self, recent: &RecentWrites, key: &[u8], start_ts: Timestamp) -> Result<Option<Timestamp>> {
        if start_ts == Timestamp::MAX || recent.changed_since(key, start_ts) == Some(false) {
            return Ok(None);
        }
        let versions = self.storage.scan(
            Bound::Included(versioned_key(key, Timestamp::MAX)),
            Bound::Included(versioned_key(key, start_ts + 1)),
            false,
        );
        for entry in versions {
            let (stored, value) = entry?;
            if value.first() == Some(&TAG_DELETED) {
                return Ok(Some(split_versioned(&stored)?.1));
            }
        }
        Ok(None)
    }

    /// First-committer-wins validation of one transaction (see the module comment).
    fn validate(&self, start_ts: Timestamp, txn: &Transaction, state: &CommitState) -> Result<()> {
        let recent = &state.recent;
        // Lock versions newer than the snapshot exist only if a lock-writing commit came after it.
        let locks_possible = state.newest_lock_ts > start_ts;
        // A winner found: the 40001 names the key (the row's own for a lock), how they met, and when the
        // winner committed.
        let conflict = |winner: Option<Timestamp>, kind: ConflictKind, key: &[u8]| match winner {
            None => Ok(()),
            Some(ts) => {
                let error =
                    if kind == ConflictKind::Schema { schema_conflict() } else { Error::serialization_failure() };
                Err(error.with_conflict(Conflict {
                    kind,
                    key: key.to_vec(),
                    winner_committed: recent.committed_at(ts),
                }))
            }
        };
        for (key, as_of) in &txn.schema_dependencies {
            conflict(self.changed_since(recent, key, *as_of)?, ConflictKind::Schema, key)?;
        }
        for (key, value) in &txn.writes {
            conflict(self.changed_since(recent, key, start_ts)?, ConflictKind::WriteWrite, key)?;
            if locks_possible {
                let locked = self.changed_since(recent, &lock_key(UPDATE_LOCK_PREFIX, key), start_ts)?;
                conflict(locked, ConflictKind::ForUpdate, key)?;
                if value.is_none() {
                    let shared = self.changed_since(recent, &lock_key(KEY_SHARE_LOCK_PREFIX, key), start_ts)?;
                    conflict(shared, ConflictKind::ForKeyShare, key)?;
                }
            }
        }
        // A locked row the transaction also wrote is validated (and its lock version written) all the same:
        // a non-key write alone would not conflict with a concurrent FOR KEY SHARE, a FOR UPDATE lock does.
        for (key, lock) in &txn.locks {
            if locks_possible {
                let locked = self.changed_since(recent, &lock_key(UPDATE_LOCK_PREFIX, key), start_ts)?;
                conflict(locked, ConflictKind::ForUpdate, key)?;
            }
            match lock {
                RowLock::Update => {
                    conflict(self.changed_since(recent, key, start_ts)?, ConflictKind::ForUpdate, key)?;
                    if locks_possible {
                        let shared = self.changed_since(recent, &lock_key(KEY_SHARE_LOCK_PREFIX, key), start_ts)?;
                        conflict(shared, ConflictKind::ForKeyShare, key)?;
                    }
                }
                RowLock::KeyShare => {
                    conflict(self.deleted_since(recent, key, start_ts)?, ConflictKind::ForKeyShare, key)?
                }
            }
        }
        Ok(())
    }

    /// A wait for every commit written so far to become durable, and so visible to new snapshots. A
    /// transaction that lost a conflict waits for it before reporting 40001: its retry then starts from a
    /// snapshot that holds the winner instead of conflicting with it again (snapshots take only durable
    /// commits, and an immediate retry would otherwise spin until the winner's fsync).
    pub fn wait_for_written(&self) -> DurableWait {
        let ts = self.commit.lock().last_ts;
        DurableWait { journal: Arc::clone(&self.journal), ts, commit: None }
    }

    /// Validates and writes a transaction's writes and lock versions as one commit; the returned wait
    /// completes once it is durable.
    fn commit(&self, mut txn: Transaction) -> Result<DurableWait> {
        let start_ts = txn.start_ts;
        let started = Instant::now();
        let mut state = self.commit.lock();
        if let Err(err) = self.validate(start_ts, &txn, &state) {
            self.metrics.conflict(&err);
            return Err(err);
        }
        // Refused before anything is written when the disk is (nearly) full, so storage never meets ENOSPC
        // in the middle of a journal write.
        self.storage.check_space()?;
        let (writes, locks) = (std::mem::take(&mut txn.writes), std::mem::take(&mut txn.locks));
        let ts = state.last_ts + 1;
        let mut batch: Vec<BatchWrite> = Vec::with_capacity(writes.len() + locks.len() + 1);
        let mut written_keys: Vec<Vec<u8>> = Vec::with_capacity(writes.len() + locks.len());
        for (key, lock) in &locks {
            let prefix = match lock {
                RowLock::Update => UPDATE_LOCK_PREFIX,
                RowLock::KeyShare => KEY_SHARE_LOCK_PREFIX,
            };
            let locked = lock_key(prefix, key);
            batch.push((versioned_key(&locked, ts), Some(vec![TAG_ROW])));
            written_keys.push(locked);
        }
        for (key, value) in writes {
            let stored = match value {
                Some(mut row) => {
                    row.insert(0, TAG_ROW);
                    row
                }
                None => vec![TAG_DELETED],
            };
            batch.push((versioned_key(&key, ts), Some(stored)));
            written_keys.push(key);
        }
        batch.push((LAST_TS_KEY.to_vec(), Some(ts.to_be_bytes().to_vec())));
        let superseding = (batch.len() - 1).saturating_sub(txn.new_keys) as u64;
        self.storage.write_batch(batch)?;
        self.versions_written.fetch_add(superseding, Ordering::Relaxed);
        state.last_ts = ts;
        state.recent.record(ts, written_keys, self.oldest_snapshot());
        if !locks.is_empty() {
            state.newest_lock_ts = ts;
        }
        self.journal.written(ts);
        Ok(DurableWait { journal: Arc::clone(&self.journal), ts, commit: Some((Arc::clone(&self.metrics), started)) })
    }
}

impl Drop for TxnManager {
    fn drop(&mut self) {
        self.journal.state.lock().shutdown = true;
        self.journal.work.notify_one();
        if let Some(thread) = self.journal_thread.lock().take() {
            let _ = thread.join();
        }
    }
}

/// One transaction: a snapshot plus a private write set.
pub struct Transaction {
    manager: Arc<TxnManager>,
    start_ts: Timestamp,
    writes: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    /// Rows read with a locking clause, validated at COMMIT (the strongest lock taken on each).
    locks: BTreeMap<Vec<u8>, RowLock>,
    /// Catalog keys whose change after the given time fails the commit with OC001.
    schema_dependencies: BTreeMap<Vec<u8>, Timestamp>,
    /// Lengths of the longest key and the longest value written since
    /// [`take_largest_write`](Self::take_largest_write).
    largest_write: (usize, usize),
    /// SET CONSTRAINTS modes and the constraint checks owed at COMMIT.
    deferred: DeferredConstraints,
    /// Keys first written by [`put_new`](Self::put_new): they have no stored version, so the commit leaves
    /// no garbage behind there.
    new_keys: usize,
}

/// What a transaction had written and locked at a savepoint (see [`Transaction::checkpoint`]).
#[derive(Debug, Clone)]
pub struct Checkpoint {
    writes: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    locks: BTreeMap<Vec<u8>, RowLock>,
    schema_dependencies: BTreeMap<Vec<u8>, Timestamp>,
    deferred: DeferredConstraints,
    new_keys: usize,
}

impl Drop for Transaction {
    fn drop(&mut self) {
        self.manager.end_snapshot(self.start_ts);
    }
}

impl Transaction {
    pub fn start_ts(&self) -> Timestamp {
        self.start_ts
    }

    /// The write set, locks and schema dependencies as they are now, for [`restore`](Self::restore) to
    /// return to (a savepoint: PostgreSQL's subtransaction, here a copy of what the transaction holds).
    pub fn checkpoint(&self) -> Checkpoint {
        Checkpoint {
            writes: self.writes.clone(),
            locks: self.locks.clone(),
            schema_dependencies: self.schema_dependencies.clone(),
            deferred: self.deferred.clone(),
            new_keys: self.new_keys,
        }
    }

    /// Forgets every write, lock, schema dependency and deferred check taken since `checkpoint` (ROLLBACK TO
    /// SAVEPOINT), and the SET CONSTRAINTS modes set since.
    /// The snapshot stays the same.
    pub fn restore(&mut self, checkpoint: Checkpoint) {
        self.writes = checkpoint.writes;
        self.locks = checkpoint.locks;
        self.schema_dependencies = checkpoint.schema_dependencies;
        self.deferred = checkpoint.deferred;
        self.new_keys = checkpoint.new_keys;
    }

    /// The transaction's SET CONSTRAINTS modes and deferred constraint checks.
    pub fn deferred_constraints(&self) -> &DeferredConstraints {
        &self.deferred
    }

    pub fn deferred_constraints_mut(&mut self) -> &mut DeferredConstraints {
        &mut self.deferred
    }

    /// Whether COMMIT has nothing to validate or write (no writes and no row locks).
    pub fn is_read_only(&self) -> bool {
        self.writes.is_empty() && self.locks.is_empty()
    }

    /// Adds a row read with a locking clause to the transaction's conflict set.
    pub fn lock(&mut self, key: Vec<u8>, lock: RowLock) {
        let held = self.locks.entry(key).or_insert(lock);
        *held = (*held).max(lock);
    }

    /// Makes the commit fail with OC001 (`schema has been updated by another transaction`) if `key`, a
    /// catalog row, has a version committed after `as_of`. Writers pass the older of their snapshot and the
    /// catalog their statements were planned with: a schema change after either may mean the writes don't
    /// match the schema (e.g. they lack the entries of an index whose build began meanwhile, which the
    /// build's backfill would then miss).
    pub fn depend_on_schema(&mut self, key: Vec<u8>, as_of: Timestamp) {
        let since = self.schema_dependencies.entry(key).or_insert(as_of);
        *since = (*since).min(as_of);
    }

    /// Bytes of keys and values the commit would write (DSQL's transaction size).
    pub fn write_bytes(&self) -> usize {
        self.writes.iter().map(|(key, value)| key.len() + value.as_ref().map_or(0, Vec::len)).sum()
    }

    /// The lengths of the longest key and the longest value written since the last call (for the key and
    /// row size limits).
    pub fn take_largest_write(&mut self) -> (usize, usize) {
        std::mem::take(&mut self.largest_write)
    }

    /// Number of keys written (rows and index entries).
    pub fn write_count(&self) -> usize {
        self.writes.len()
    }

    /// Number of keys written that satisfy `filter` (e.g. table rows, leaving out index entries).
    pub fn count_writes(&self, filter: impl Fn(&[u8]) -> bool) -> usize {
        self.writes.keys().filter(|key| filter(key)).count()
    }

    /// Reads `key` as of the snapshot, seeing this transaction's own writes. Keys must be prefix-free
    /// (no key is a proper prefix of another), as `storage::keycode` encodings are.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        if let Some(own) = self.writes.get(key) {
            return Ok(own.clone());
        }
        Ok(self.get_committed(key)?.map(|row| row.to_vec()))
    }

    /// What this transaction itself wrote at `key`: `Some(None)` for a deletion, None if it did not write it.
    pub fn own_write(&self, key: &[u8]) -> Option<Option<&[u8]>> {
        self.writes.get(key).map(Option::as_deref)
    }

    /// The committed row at `key` as of the snapshot, not looking at own writes: the first stored entry
    /// from the key's version at the snapshot on, if it is a version of this key. The range has no upper
    /// bound because bounding it costs every sorted run of the LSM tree a second seek in its data block
    /// (a tenth of a primary-key lookup's time); the key check does the bound's work.
    fn get_committed(&self, key: &[u8]) -> Result<Option<Bytes>> {
        let mut iter =
            self.manager.storage.scan(Bound::Included(versioned_key(key, self.start_ts)), Bound::Unbounded, false);
        match iter.next() {
            Some(entry) => {
                let (stored, value) = entry?;
                if split_versioned(&stored)?.0 == key {
                    decode_version(value)
                } else {
                    Ok(None)
                }
            }
            None => Ok(None),
        }
    }

    /// The committed rows at many keys as of the snapshot (own writes not looked at: see
    /// [`own_write`](Self::own_write)), in the order of `keys`. Opening a storage range costs a seek in
    /// every sorted run, far more than stepping to the next entry, so keys that lie close together (a bulk
    /// INSERT's new keys, usually past every stored one) are read in one forward scan from the smallest to
    /// the largest; when the scan steps over too many other rows between them, the rest are read one by one.
    pub fn get_committed_many<K: AsRef<[u8]>>(&self, keys: &[K]) -> Result<Vec<Option<Bytes>>> {
        let keys: Vec<&[u8]> = keys.iter().map(AsRef::as_ref).collect();
        let mut found = vec![None; keys.len()];
        let mut order: Vec<usize> = (0..keys.len()).collect();
        order.sort_by(|&a, &b| keys[a].cmp(keys[b]));
        let (Some(&first), Some(&last)) = (order.first(), order.last()) else { return Ok(found) };
        if order.len() == 1 {
            found[first] = self.get_committed(keys[first])?;
            return Ok(found);
        }
        // Entries the scan may step over in all before the remaining keys are read one by one.
        let mut budget = 16 * keys.len() + 64;
        let storage = &self.manager.storage;
        let inner = storage.scan_filtered(
            Bound::Included(keys[first].to_vec()),
            Bound::Included(versioned_key(keys[last], 0)),
            false,
            visible_version_filter(self.start_ts),
        );
        let mut scan = SnapshotScan { inner, snapshot: self.start_ts, reverse: false, pending: None };
        let mut next = 0;
        while next < order.len() && budget > 0 {
            let Some(entry) = scan.next() else { break };
            let (key, value) = entry?;
            budget -= 1;
            while next < order.len() && keys[order[next]] < &*key {
                next += 1;
            }
            while next < order.len() && keys[order[next]] == &*key {
                found[order[next]] = Some(value.clone());
                next += 1;
            }
        }
        if budget == 0 {
            for &index in &order[next..] {
                found[index] = self.get_committed(keys[index])?;
            }
        }
        Ok(found)
    }

    /// Scans user keys in `[start, end)` bounds as of the snapshot, merged with own writes, ascending or
    /// descending.
    pub fn scan(&self, start: Bound<Vec<u8>>, end: Bound<Vec<u8>>, reverse: bool) -> ScanIter<'_> {
        let stored_start = match &start {
            Bound::Included(k) => Bound::Included(k.clone()),
            Bound::Excluded(k) => Bound::Excluded(versioned_key(k, 0)),
            Bound::Unbounded => Bound::Unbounded,
        };
        let stored_end = match &end {
            Bound::Included(k) => Bound::Included(versioned_key(k, 0)),
            Bound::Excluded(k) => Bound::Excluded(k.clone()),
            Bound::Unbounded => Bound::Excluded(vec![0xff]),
        };
        let storage = &self.manager.storage;
        let inner = if reverse {
            storage.scan(stored_start, stored_end, true)
        } else {
            storage.scan_filtered(stored_start, stored_end, false, visible_version_filter(self.start_ts))
        };
        let committed = SnapshotScan { inner, snapshot: self.start_ts, reverse, pending: None };
        let own_writes = self.writes.range((start, end));
        if own_writes.clone().next().is_none() {
            // Nothing of its own to merge in (a read-only statement's case): the snapshot's rows alone.
            return Box::new(committed);
        }
        let own: Box<dyn Iterator<Item = OwnWrite<'_>> + Send + '_> =
            if reverse { Box::new(own_writes.rev()) } else { Box::new(own_writes) };
        Box::new(MergeScan { committed: committed.peekable(), own: own.peekable(), reverse })
    }

    /// A read-only copy of this transaction as it is now: the same snapshot and the writes made so far.
    /// The parts of one statement that writes in several places (data-modifying WITH queries) all read
    /// it, so that none sees another's changes. Writes to the copy are never committed.
    pub fn statement_snapshot(&self) -> Transaction {
        self.manager
            .snapshots
            .lock()
            .entry(self.start_ts)
            .or_insert_with(|| LiveSnapshot { transactions: 0, since: Instant::now() })
            .transactions += 1;
        Transaction {
            manager: Arc::clone(&self.manager),
            start_ts: self.start_ts,
            writes: self.writes.clone(),
            locks: BTreeMap::new(),
            schema_dependencies: BTreeMap::new(),
            largest_write: (0, 0),
            deferred: DeferredConstraints::default(),
            new_keys: 0,
        }
    }

    /// Buffers a write of `value` at `key`.
    pub fn put(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.largest_write = (self.largest_write.0.max(key.len()), self.largest_write.1.max(value.len()));
        self.writes.insert(key, Some(value));
    }

    /// Buffers the write of a key the snapshot holds no row at (an INSERT's new row or index entry), which
    /// tells the garbage collector's pacing that committing it leaves no older version behind.
    pub fn put_new(&mut self, key: Vec<u8>, value: Vec<u8>) {
        if !self.writes.contains_key(&key) {
            self.new_keys += 1;
        }
        self.put(key, value);
    }

    /// Buffers a deletion of `key`.
    pub fn delete(&mut self, key: Vec<u8>) {
        self.writes.insert(key, None);
    }

    /// Commits: validates the write set against commits after the snapshot (40001 on conflict, nothing
    /// written) and returns once the commit is durable, or, after a conflict, once the commits it lost to
    /// are visible (see [`TxnManager::wait_for_written`]), so that a caller retrying at once does not meet
    /// them again.
    pub fn commit(self) -> Result<Timestamp> {
        let start_ts = self.start_ts;
        let manager = Arc::clone(&self.manager);
        match self.commit_deferred() {
            Ok(Some(durable)) => durable.wait(),
            Ok(None) => Ok(start_ts),
            Err(err) if err.code == crate::error::sqlstate::SERIALIZATION_FAILURE => {
                manager.wait_for_written().wait()?;
                Err(err)
            }
            Err(err) => Err(err),
        }
    }

    /// Like [`commit`](Self::commit) but returns as soon as the commit is validated and written: the
    /// caller must complete the returned wait before acknowledging the commit. `None` for a read-only
    /// transaction, which has nothing to make durable.
    pub fn commit_deferred(self) -> Result<Option<DurableWait>> {
        if self.is_read_only() {
            return Ok(None);
        }
        let manager = Arc::clone(&self.manager);
        manager.commit(self).map(Some)
    }

    /// Discards the write set.
    pub fn rollback(self) {}
}

/// The filter of a forward snapshot scan: of each key's versions (newest first) it keeps the first at or
/// before `snapshot`, so storage steps over newer and older versions (garbage not yet collected) without
/// copying them. A key it cannot parse is kept, for the scan to report as corrupt.
fn visible_version_filter<'a>(snapshot: Timestamp) -> crate::storage::KeyFilter<'a> {
    // The key whose version was kept last (a buffer reused for every key).
    let decided: std::cell::RefCell<Option<Vec<u8>>> = std::cell::RefCell::new(None);
    Box::new(move |stored: &[u8]| {
        let Ok((key, ts)) = split_versioned(stored) else { return true };
        if ts > snapshot {
            return false;
        }
        let mut decided = decided.borrow_mut();
        match decided.as_mut() {
            Some(last) if last.as_slice() == key => false,
            Some(last) => {
                last.clear();
                last.extend_from_slice(key);
                true
            }
            None => {
                *decided = Some(key.to_vec());
                true
            }
        }
    })
}

/// Turns a scan over stored versions into the snapshot's view: one entry per key, newest version at or
/// before the snapshot, deletions dropped.
struct SnapshotScan<'a> {
    inner: ScanIter<'a>,
    snapshot: Timestamp,
    reverse: bool,
    /// Reverse (versions arrive oldest first): the best candidate so far for the current key.
    pending: Option<KvPair>,
}

impl Iterator for SnapshotScan<'_> {
    type Item = Result<KvPair>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.reverse {
            self.next_reverse()
        } else {
            self.next_forward()
        }
    }
}

impl SnapshotScan<'_> {
    /// Forward, storage returns only each key's newest version at or before the snapshot (see
    /// [`visible_version_filter`]): what is left is dropping deletions.
    fn next_forward(&mut self) -> Option<Result<KvPair>> {
        loop {
            let (stored, value) = match self.inner.next()? {
                Ok(entry) => entry,
                Err(err) => return Some(Err(err)),
            };
            let key_len = match split_versioned(&stored) {
                Ok((key, _)) => key.len(),
                Err(err) => return Some(Err(err)),
            };
            match decode_version(value) {
                Ok(Some(row)) => {
                    // The key is the stored key without its version: a narrower view, not a copy.
                    return Some(Ok((stored.narrow(..key_len), row)));
                }
                Ok(None) => continue,
                Err(err) => return Some(Err(err)),
            }
        }
    }

    fn next_reverse(&mut self) -> Option<Result<KvPair>> {
        loop {
            let Some(entry) = self.inner.next() else {
                let (key, value) = self.pending.take()?;
                return Self::visible(key, value);
            };
            let (stored, value) = match entry {
                Ok(entry) => entry,
                Err(err) => return Some(Err(err)),
            };
            let (key_len, ts) = match split_versioned(&stored) {
                Ok((key, ts)) => (key.len(), ts),
                Err(err) => return Some(Err(err)),
            };
            let key = stored.slice(..key_len);
            let finished = match &self.pending {
                Some((k, _)) if *k != key => self.pending.take(),
                _ => None,
            };
            if ts <= self.snapshot {
                // A later entry of the same key is a newer version: it replaces the candidate.
                self.pending = Some((key, value));
            }
            if let Some((done_key, done_value)) = finished {
                if let Some(result) = Self::visible(done_key, done_value) {
                    return Some(result);
                }
            }
        }
    }

    /// The entry for a key's chosen version, or None if that version is a deletion.
    fn visible(key: Bytes, value: Bytes) -> Option<Result<KvPair>> {
        match decode_version(value) {
            Ok(Some(row)) => Some(Ok((key, row))),
            Ok(None) => None,
            Err(err) => Some(Err(err)),
        }
    }
}

type OwnWrite<'a> = (&'a Vec<u8>, &'a Option<Vec<u8>>);

/// Merges the snapshot scan with the transaction's own writes (which win on equal keys).
struct MergeScan<'a> {
    committed: std::iter::Peekable<SnapshotScan<'a>>,
    own: std::iter::Peekable<Box<dyn Iterator<Item = OwnWrite<'a>> + Send + 'a>>,
    reverse: bool,
}

impl Iterator for MergeScan<'_> {
    type Item = Result<KvPair>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let take_own = match (self.committed.peek(), self.own.peek()) {
                (None, None) => return None,
                (Some(_), None) => false,
                (None, Some(_)) => true,
                (Some(Err(_)), Some(_)) => false,
                (Some(Ok((committed_key, _))), Some((own_key, _))) => {
                    let order = (**committed_key).cmp(own_key.as_slice());
                    if order == std::cmp::Ordering::Equal {
                        self.committed.next();
                        true
                    } else {
                        (order == std::cmp::Ordering::Greater) != self.reverse
                    }
                }
            };
            if !take_own {
                return self.committed.next();
            }
            let (key, value) = self.own.next().expect("peeked");
            if let Some(value) = value {
                return Some(Ok((key.as_slice().into(), value.as_slice().into())));
            }
        }
    }
}

#[cfg(test)]
mod tests;
