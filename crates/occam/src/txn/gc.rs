//! Version garbage collection: removes the stored versions that no live or future snapshot can read.
//!
//! Every transaction reads at a snapshot at or after the *horizon*, [`TxnManager::oldest_snapshot`], which
//! never moves back (new snapshots start at the newest durable commit). For each key, the newest version at
//! or below the horizon is what a snapshot at the horizon reads; every older version is invisible to all
//! snapshots from the horizon on, and is garbage. When that version is a deletion (a tombstone) it can go
//! too, once the versions below it are gone: a key with no version reads as deleted, like one whose newest
//! visible version is a tombstone. Lock versions (`\xfflock/...`) at or below the horizon are garbage
//! whatever their age, since validation only asks whether a lock is newer than a snapshot.
//!
//! One exception: catalog rows (table id 0) keep their newest tombstone. OC001 validation
//! ([`Transaction::depend_on_schema`]) asks whether a catalog row changed after the time a plan's catalog
//! was loaded, which can predate the horizon; a dropped table's tombstone must answer "yes". Catalog rows
//! are few, so this costs nothing worth measuring.
//!
//! The collector sweeps the versioned key space in key order in bounded batches
//! ([`TxnManager::collect_garbage`]), resuming each batch where the last stopped ([`GcCursor`]); a pass uses
//! one horizon throughout (an older horizon is always safe). Each batch removes what it found as one atomic
//! storage batch. Why this never races a commit into a wrong state: the collector removes only versions at
//! or below the horizon, which are durable and final, and a commit only adds versions above the newest
//! commit, so the two never touch the same stored key; and a tombstone is removed in the same batch as the
//! versions below it or a later one, while storage recovers a prefix of the written batches after a crash
//! (see `storage::disk`), so no crash can bring back a version without the tombstone that hid it.
//! Validation is unaffected: it looks only at versions newer than a live snapshot, which are never removed.
//!
//! The collector runs in the database's background thread ([`GcWorker`]), paced by what commits write: a
//! full pass starts once commits have written a fifth as many versions as the previous full pass visited
//! (and the horizon has moved since). A full pass also measures each range of keys (a table's rows, one
//! index, the row locks); ranges that were a tenth or more garbage are *hot* and are swept on their own
//! whenever commits wrote a fifth as many versions as their last sweep visited. So a small, often updated
//! table next to a large append-only one (the transfer workload's accounts and history) is collected every
//! few thousand writes, not at the pace of the whole database, and the work stays proportional to the
//! garbage writes create. It is not a job in `sys.jobs`: like Aurora
//! DSQL's, it is invisible to SQL; it logs each pass and counts its work in [`GcStats`].

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use parking_lot::{Condvar, Mutex};

use super::{split_versioned, Timestamp, TxnManager, LOCK_PREFIX, META_PREFIX, TAG_DELETED};
use crate::error::{Error, Result};

/// Where a pass of the collector stands between batches: `GcCursor::default()` sweeps every stored key,
/// [`GcCursor::prefix`] only the keys of one range.
#[derive(Default)]
pub struct GcCursor {
    /// The user keys a pass sweeps (None: all of them).
    prefix: Option<Vec<u8>>,
    pass: Option<Pass>,
}

impl GcCursor {
    /// A cursor whose passes sweep only user keys starting with `prefix` (one table's rows or one index,
    /// `storage::keycode::table_prefix`, or the row locks, `\xfflock/`).
    pub fn prefix(prefix: Vec<u8>) -> GcCursor {
        GcCursor { prefix: Some(prefix), pass: None }
    }
}

/// How many bytes of a user key name its range in [`GcBatch::ranges`]: `'t'`, table id and index id.
pub const GC_RANGE_PREFIX_LEN: usize = 9;

/// What a pass found in one range of keys (the first [`GC_RANGE_PREFIX_LEN`] bytes of its user keys).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RangeGarbage {
    pub visited: u64,
    pub removed: u64,
}

struct Pass {
    horizon: Timestamp,
    /// Per range, what the pass visited and removed so far.
    ranges: BTreeMap<Vec<u8>, RangeGarbage>,
    /// The last stored key visited; the next batch starts after it.
    resume_after: Option<Vec<u8>>,
    /// The key whose versions the last batch was visiting (its versions may continue in the next batch).
    key: Option<KeyVersions>,
}

/// What the sweep knows about the key whose versions (newest first) it is visiting.
struct KeyVersions {
    user_key: Vec<u8>,
    /// The newest version at or below the horizon was seen: every later one is garbage.
    horizon_version_seen: bool,
    /// That version (stored key and size), when it is a tombstone that can go once the versions below it
    /// are gone.
    removable_tombstone: Option<(Vec<u8>, u64)>,
}

/// What a batch removes, by kind.
#[derive(Default)]
struct Removed {
    dead: u64,
    tombstones: u64,
    locks: u64,
    bytes: u64,
}

impl Removed {
    /// The sweep left `key` (every version below its tombstone was removed in this batch or an earlier
    /// one): the tombstone goes too.
    fn finish_key(&mut self, key: Option<KeyVersions>, doomed: &mut Vec<Vec<u8>>) {
        if let Some((stored, size)) = key.and_then(|key| key.removable_tombstone) {
            self.tombstones += 1;
            self.bytes += size;
            doomed.push(stored);
        }
    }
}

/// What one batch did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GcBatch {
    /// Stored versions looked at.
    pub visited: usize,
    /// Stored versions removed.
    pub removed: usize,
    /// This batch ended a pass (the next one starts a new pass).
    pub pass_finished: bool,
    /// When the pass finished: what it visited and removed per range of keys.
    pub ranges: BTreeMap<Vec<u8>, RangeGarbage>,
}

/// Counters of the collector's work since the database opened.
#[derive(Default)]
pub struct GcStats {
    /// Stored versions the sweep looked at.
    pub versions_visited: AtomicU64,
    /// Row and index versions removed because a newer version hides them from every snapshot.
    pub dead_versions_removed: AtomicU64,
    /// Tombstones removed with everything below them (deleted keys leave storage).
    pub tombstones_removed: AtomicU64,
    /// Row-lock versions (`FOR UPDATE` / `FOR KEY SHARE`) removed.
    pub lock_versions_removed: AtomicU64,
    /// Key and value bytes of everything removed.
    pub bytes_removed: AtomicU64,
    /// Passes completed (over the whole key space, or over one range).
    pub passes: AtomicU64,
    /// The horizon of the last completed pass over the whole key space.
    pub last_horizon: AtomicU64,
    /// Stored versions the last completed pass visited (about the size of the stored data).
    pub last_pass_visited: AtomicU64,
}

/// Whether `user_key` is a catalog row (`'t'` and table id 0, see `storage::keycode::table_prefix`).
fn is_catalog_key(user_key: &[u8]) -> bool {
    user_key.len() >= 5 && user_key[0] == b't' && user_key[1..5] == [0; 4]
}

impl TxnManager {
    /// Visits up to `limit` stored versions from where `cursor` stands and removes, as one storage batch,
    /// those no snapshot at or after the pass's horizon can read (see the module comment). Call it again
    /// with the same cursor to continue; a finished pass starts a new one, at a new horizon, on the next
    /// call. Removals become durable with the next commit's sync (losing them in a crash is harmless).
    pub fn collect_garbage(&self, cursor: &mut GcCursor, limit: usize) -> Result<GcBatch> {
        let batch = self.collect_garbage_batch(cursor, limit);
        if batch.is_err() {
            // The batch's removals were not written, but the cursor moved past them: continuing could remove
            // a tombstone whose older versions are still stored. The next call starts a new pass instead.
            cursor.pass = None;
        }
        batch
    }

    fn collect_garbage_batch(&self, cursor: &mut GcCursor, limit: usize) -> Result<GcBatch> {
        let limit = limit.max(1);
        let pass = cursor.pass.get_or_insert_with(|| Pass {
            horizon: self.oldest_snapshot(),
            ranges: BTreeMap::new(),
            resume_after: None,
            key: None,
        });
        let horizon = pass.horizon;
        let (first, end) = match &cursor.prefix {
            Some(prefix) => crate::storage::prefix_range(prefix),
            None => (Bound::Unbounded, Bound::Excluded(META_PREFIX.to_vec())),
        };
        let end = match end {
            Bound::Excluded(end) if end.as_slice() <= META_PREFIX => Bound::Excluded(end),
            _ => Bound::Excluded(META_PREFIX.to_vec()),
        };
        let start = pass.resume_after.take().map_or(first, Bound::Excluded);
        let mut doomed: Vec<Vec<u8>> = Vec::new();
        let mut counts = Removed::default();
        let mut visited = 0;
        let mut versions = self.storage.scan(start, end, false);
        let mut last_visited = None;
        let exhausted = loop {
            if visited == limit {
                break versions.next().is_none();
            }
            let Some(entry) = versions.next() else { break true };
            let (stored, value) = entry?;
            visited += 1;
            let (user_key, ts) = split_versioned(&stored)?;
            if pass.key.as_ref().is_none_or(|key| key.user_key != user_key) {
                counts.finish_key(pass.key.take(), &mut doomed);
                pass.key = Some(KeyVersions {
                    user_key: user_key.to_vec(),
                    horizon_version_seen: false,
                    removable_tombstone: None,
                });
            }
            let key = pass.key.as_mut().expect("set above");
            let size = (stored.len() + value.len()) as u64;
            let doomed_before = doomed.len();
            if ts > horizon {
                // Newer than the horizon: some snapshot may still read it, or one older than it.
            } else if user_key.starts_with(LOCK_PREFIX) {
                counts.locks += 1;
                counts.bytes += size;
                doomed.push(stored.to_vec());
            } else if !key.horizon_version_seen {
                key.horizon_version_seen = true;
                if value.first() == Some(&TAG_DELETED) && !is_catalog_key(user_key) {
                    key.removable_tombstone = Some((stored.to_vec(), size));
                }
            } else {
                counts.dead += 1;
                counts.bytes += size;
                doomed.push(stored.to_vec());
            }
            let range = &user_key[..user_key.len().min(GC_RANGE_PREFIX_LEN)];
            let garbage = match pass.ranges.get_mut(range) {
                Some(garbage) => garbage,
                None => pass.ranges.entry(range.to_vec()).or_default(),
            };
            garbage.visited += 1;
            garbage.removed += (doomed.len() - doomed_before) as u64;
            last_visited = Some(stored);
        };
        drop(versions);
        if let Some(last) = last_visited {
            pass.resume_after = Some(last.to_vec());
        }
        if exhausted {
            counts.finish_key(pass.key.take(), &mut doomed);
        }
        let removed = doomed.len();
        if removed > 0 {
            // Every stored version is written once (its key holds its unique commit timestamp).
            self.storage.remove_versions(doomed)?;
        }
        let stats = &self.gc_stats;
        stats.versions_visited.fetch_add(visited as u64, Ordering::Relaxed);
        stats.dead_versions_removed.fetch_add(counts.dead, Ordering::Relaxed);
        stats.tombstones_removed.fetch_add(counts.tombstones, Ordering::Relaxed);
        stats.lock_versions_removed.fetch_add(counts.locks, Ordering::Relaxed);
        stats.bytes_removed.fetch_add(counts.bytes, Ordering::Relaxed);
        let mut ranges = BTreeMap::new();
        if exhausted {
            let pass = cursor.pass.take().expect("a pass in progress");
            if cursor.prefix.is_none() {
                stats.last_horizon.store(pass.horizon, Ordering::Relaxed);
            }
            stats.passes.fetch_add(1, Ordering::Release);
            ranges = pass.ranges;
        }
        Ok(GcBatch { visited, removed, pass_finished: exhausted, ranges })
    }

    /// Runs whole passes until one finishes (for tests and tools: the background worker paces itself).
    pub fn collect_garbage_pass(&self, batch_limit: usize) -> Result<GcBatch> {
        let mut cursor = GcCursor::default();
        let mut total = GcBatch::default();
        loop {
            let batch = self.collect_garbage(&mut cursor, batch_limit)?;
            total.visited += batch.visited;
            total.removed += batch.removed;
            if batch.pass_finished {
                total.pass_finished = true;
                total.ranges = batch.ranges;
                return Ok(total);
            }
        }
    }

    /// The collector's counters.
    pub fn gc_stats(&self) -> &GcStats {
        &self.gc_stats
    }

    /// Versions written by commits since the database opened (the collector's measure of new garbage).
    pub fn versions_written(&self) -> u64 {
        self.versions_written.load(Ordering::Relaxed)
    }
}

/// Stored versions visited per batch: small enough that a batch never holds up commits or readers for
/// long, large enough that a pass over a big table is not dominated by the seek that starts each batch.
pub const GC_BATCH_VERSIONS: usize = 4096;
/// A pass starts once commits wrote at least this fraction of the versions the previous pass visited.
const GC_GARBAGE_FRACTION: u64 = 5;
/// ... and at least this many.
const GC_MIN_WRITES: u64 = 1000;
/// A range whose garbage was at least 1/this of what a full pass visited in it is swept on its own.
const GC_HOT_RANGE_FRACTION: u64 = 10;
/// How often the idle worker checks whether a pass is due.
const GC_CHECK_INTERVAL: Duration = Duration::from_millis(200);

/// The background collector of one database: a thread that runs passes when enough was written.
pub struct GcWorker {
    signal: Arc<GcSignal>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

#[derive(Default)]
struct GcSignal {
    state: Mutex<GcSignalState>,
    changed: Condvar,
}

#[derive(Default)]
struct GcSignalState {
    shutdown: bool,
    /// Asked to run a pass now, whatever the pacing says.
    requested: bool,
    /// A pass is running.
    in_pass: bool,
    /// Passes completed by this worker.
    passes: u64,
}

impl GcWorker {
    /// Starts the collector thread of `manager`. It holds the manager only while it works, so dropping the
    /// database ends it.
    pub fn spawn(manager: &Arc<TxnManager>) -> Result<GcWorker> {
        let signal = Arc::new(GcSignal::default());
        let weak = Arc::downgrade(manager);
        let thread_signal = Arc::clone(&signal);
        let thread = std::thread::Builder::new()
            .name("occam-gc".into())
            .spawn(move || run(weak, &thread_signal))
            .map_err(|err| Error::internal(format!("cannot start the garbage collector thread: {err}")))?;
        Ok(GcWorker { signal, thread: Mutex::new(Some(thread)) })
    }

    /// Asks for a pass now (whatever the pacing says) and waits until one that started after this call
    /// has finished; false if the worker stopped or `timeout` passed first.
    pub fn run_pass_and_wait(&self, timeout: Duration) -> bool {
        let deadline = std::time::Instant::now() + timeout;
        let mut state = self.signal.state.lock();
        // A pass in progress started before the call: wait for the one after it.
        let target = state.passes + 1 + u64::from(state.in_pass);
        state.requested = true;
        self.signal.changed.notify_all();
        while state.passes < target && !state.shutdown {
            if self.signal.changed.wait_until(&mut state, deadline).timed_out() {
                return false;
            }
        }
        state.passes >= target
    }

    /// Stops the thread after its current batch and waits for it.
    pub fn shut_down(&self) {
        self.signal.stop();
        if let Some(thread) = self.thread.lock().take() {
            let _ = thread.join();
        }
    }
}

impl Drop for GcWorker {
    fn drop(&mut self) {
        self.signal.stop();
    }
}

impl GcSignal {
    fn stop(&self) {
        self.state.lock().shutdown = true;
        self.changed.notify_all();
    }
}

/// When the worker ran its passes, to decide when the next is due.
#[derive(Default)]
struct Pacing {
    /// `versions_written` when the last full pass started, and what it visited.
    written_at_full: u64,
    full_visited: u64,
    full_horizon: Timestamp,
    /// The ranges the last full pass found mostly garbage (swept on their own in between), with the
    /// versions their last sweep visited.
    hot: BTreeMap<Vec<u8>, u64>,
    written_at_hot: u64,
    hot_horizon: Timestamp,
}

impl Pacing {
    /// Whether commits wrote enough since `written_at` for a pass that last visited `visited` versions.
    fn enough_written(written: u64, written_at: u64, visited: u64) -> bool {
        written - written_at >= GC_MIN_WRITES.max(visited / GC_GARBAGE_FRACTION)
    }
}

fn run(manager: Weak<TxnManager>, signal: &GcSignal) {
    let mut pacing = Pacing::default();
    loop {
        {
            let mut state = signal.state.lock();
            if !state.requested && !state.shutdown {
                signal.changed.wait_for(&mut state, GC_CHECK_INTERVAL);
            }
            if state.shutdown {
                return;
            }
        }
        let Some(manager) = manager.upgrade() else { return };
        let written = manager.versions_written();
        let horizon = manager.oldest_snapshot();
        let full_due = Pacing::enough_written(written, pacing.written_at_full, pacing.full_visited)
            && horizon > pacing.full_horizon;
        let hot_due = !pacing.hot.is_empty()
            && Pacing::enough_written(written, pacing.written_at_hot, pacing.hot.values().sum())
            && horizon > pacing.hot_horizon;
        let full = {
            let mut state = signal.state.lock();
            let requested = std::mem::take(&mut state.requested);
            if !requested && !full_due && !hot_due {
                continue;
            }
            state.in_pass = requested || full_due;
            state.in_pass
        };
        pacing.written_at_hot = written;
        pacing.hot_horizon = horizon;
        let outcome = if full {
            pacing.written_at_full = written;
            pacing.full_horizon = horizon;
            run_pass(&manager, signal, GcCursor::default()).map(|pass| {
                pass.map(|pass| {
                    manager.gc_stats().last_pass_visited.store(pass.visited as u64, Ordering::Relaxed);
                    pacing.full_visited = pass.visited as u64;
                    // Ranges a tenth or more garbage (updated tables, their indexes, row locks) are swept on
                    // their own between full passes, so an append-only table does not set their pace.
                    pacing.hot = pass
                        .ranges
                        .into_iter()
                        .filter(|(_, garbage)| garbage.removed * GC_HOT_RANGE_FRACTION >= garbage.visited)
                        .map(|(range, garbage)| (range, garbage.visited))
                        .collect();
                    tracing::debug!(visited = pass.visited, removed = pass.removed, "garbage collection pass");
                })
            })
        } else {
            run_hot_passes(&manager, signal, &mut pacing.hot)
        };
        // The removals of a sweep of a hot range leave memory soon (see `Storage::removals_done`).
        let outcome = outcome.and_then(|done| manager.storage().removals_done().map(|()| done));
        let mut state = signal.state.lock();
        match outcome {
            Ok(Some(())) if full => state.passes += 1,
            Ok(_) => {}
            Err(err) => tracing::warn!("garbage collection pass failed (retried later): {err}"),
        }
        state.in_pass = false;
        signal.changed.notify_all();
    }
}

/// One pass over each hot range (None when the database shuts down meanwhile).
fn run_hot_passes(manager: &TxnManager, signal: &GcSignal, hot: &mut BTreeMap<Vec<u8>, u64>) -> Result<Option<()>> {
    for (range, visited) in hot.iter_mut() {
        match run_pass(manager, signal, GcCursor::prefix(range.clone()))? {
            Some(pass) => *visited = pass.visited as u64,
            None => return Ok(None),
        }
    }
    Ok(Some(()))
}

/// One pass in bounded batches, stopping early (None) when the database shuts down.
fn run_pass(manager: &TxnManager, signal: &GcSignal, mut cursor: GcCursor) -> Result<Option<GcBatch>> {
    let mut total = GcBatch::default();
    loop {
        if signal.state.lock().shutdown {
            return Ok(None);
        }
        let batch = manager.collect_garbage(&mut cursor, GC_BATCH_VERSIONS)?;
        total.visited += batch.visited;
        total.removed += batch.removed;
        if batch.pass_finished {
            total.pass_finished = true;
            total.ranges = batch.ranges;
            return Ok(Some(total));
        }
    }
}
