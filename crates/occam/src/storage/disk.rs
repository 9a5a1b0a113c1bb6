//! On-disk storage backend on fjall, a log-structured merge tree with a write-ahead journal.
//!
//! occam writes each commit as one fjall batch into a single keyspace (so a batch is atomic in fjall's
//! journal) with journal persistence left to occam: `write_batch` only buffers the batch in the journal, and
//! `sync` makes it durable. The commit pipeline in `txn` calls `sync` once for many concurrent commits
//! (group commit). After a crash fjall recovers a prefix of the written batches, which always includes
//! every batch written before the last completed `sync`.
//!
//! Why `sync` does not simply call `Database::persist(SyncAll)`: fjall holds its journal mutex during the
//! fsync, so every commit arriving meanwhile would stall behind the disk, and group commit would degrade to
//! one commit per fsync. Instead `sync` moves fjall's buffered journal bytes to the OS under that mutex
//! (`PersistMode::Buffer`, no disk wait) and then runs `fdatasync` on the active journal file through its
//! own file handle, outside fjall's lock. This leans on fjall's journal layout (`<dir>/<n>.jnl`, the
//! highest `n` is active) and on fjall syncing a journal before it seals it when rotating, which covers a
//! rotation racing with `sync`: bytes flushed into a journal that got sealed were synced by the rotation.

use std::fs::File;
use std::io::Write;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fjall::{Database, Keyspace, KeyspaceCreateOptions, PersistMode};

use super::{BatchWrite, KeyFilter, ScanIter, Storage};
use crate::error::{sqlstate, Error, Result};

/// Journal bytes kept before fjall flushes the oldest memtables and deletes the journals they cover. fjall's
/// default (512 MiB) would let the journal alone outgrow a small database several times over; versions the
/// garbage collector removed then linger in memtables and journals instead of being dropped when the
/// flushed tables are compacted (leveled compaction, fjall's default, merges a removal with the version
/// it removes on the way down and drops both on the last level).
const MAX_JOURNALING_BYTES: u64 = 128 * 1024 * 1024;
/// Memtable size before fjall flushes it to a table (its default is 64 MiB). Removed versions and their
/// (weak) tombstones annihilate when a flush or compaction meets both, but scans step over both for as
/// long as they sit in a memtable; a smaller memtable shortens that, at the cost of more, smaller flushes.
const MAX_MEMTABLE_BYTES: u64 = 8 * 1024 * 1024;
/// Versions removed (weak tombstones written) after which the active memtable is sealed and flushed early.
/// A removed version and its tombstone vanish together when a flush or compaction meets them, but a scan
/// steps over both for as long as they sit in the memtable: a small, often updated table (the workshop's
/// `accounts`, pgbench's branches and tellers) is otherwise read through every version its updates left
/// since the last flush. So after each of its passes (a hot range's sweep or a full pass) the collector
/// seals the memtable once the removals add up to this many, and a second has passed since the last time.
/// Measured (2 cores; pgbench TPC-B-like at scale 10, 32 clients, two 20 s runs after `pgbench -i`; the
/// soak's transfer workload, 4 minutes):
///
/// | policy | TPC-B tps | 10-row branches scan | soak tps, minutes 1–4 |
/// |---|---|---|---|
/// | 16,384 removals, after any batch (before) | 208, 94 | 2–5 ms | |
/// | 16,384, after a pass | | | 4,648 / 4,608 / 4,461 / 4,093 |
/// | 256, after any batch | 658, 661 | 0.2–0.7 ms | 4,879 / 4,113 / 3,740 / 3,292 |
/// | 256, after a pass | 536, 580 | 0.4–1.9 ms | 4,255 / 3,432 / 3,302 / 3,227 |
/// | 256, after a pass, at most once a second (this) | 494, 484 | 0.4–1.4 ms | 4,464 / 3,995 / 3,938 / 3,787 |
///
/// Every flush is followed by compactions: sealing after each of the soak's thousands of removals a
/// second cost it a fifth of its throughput, hence the interval.
const REMOVALS_PER_MEMTABLE: u64 = 256;
/// The least time between two early seals (see [`REMOVALS_PER_MEMTABLE`]).
const MIN_SEAL_INTERVAL: Duration = Duration::from_secs(1);
/// fjall's block cache (its default is 32 MiB). Scans of a table larger than the cache read every block
/// from the OS page cache again and churn the cache; 256 MiB holds a few million rows of a workshop-sized
/// table (PostgreSQL's default shared_buffers is 128 MiB, with the OS page cache behind it).
const BLOCK_CACHE_BYTES: u64 = 256 * 1024 * 1024;

/// Free bytes on the data directory's file system below which commits are refused with 53100 (and
/// `occam serve` does not start): the room fjall needs to finish journal writes, memtable flushes and
/// compactions already under way. fjall does not survive running out of space itself: a failed journal
/// write poisons the database until it is reopened; refusing commits first keeps occam usable, and commits
/// succeed again as soon as space is freed.
pub const MIN_FREE_BYTES: u64 = 256 * 1024 * 1024;
/// How long a free-space measurement is trusted (commits ask before every write).
const SPACE_CHECK_INTERVAL: Duration = Duration::from_millis(100);

/// Free bytes (for unprivileged users) on the file system holding `path`.
pub fn free_bytes(path: &Path) -> std::io::Result<u64> {
    let stats = rustix::fs::statvfs(path)?;
    Ok(stats.f_bavail.saturating_mul(stats.f_frsize))
}

/// The on-disk format this build reads and writes, recorded in [`FORMAT_FILE`]. Bump it when stored keys or
/// values change incompatibly; a data directory of another format is refused at open.
pub const FORMAT_VERSION: u32 = 1;
/// The file in the data directory that records its format version.
pub const FORMAT_FILE: &str = "occam.format";
/// The file an open database holds a lock on, with the owner's process id, so two processes never share a
/// data directory (fjall's own lock would only say "locked").
pub const LOCK_FILE: &str = "occam.lock";

pub struct FjallStorage {
    db: Database,
    data: Keyspace,
    dir: PathBuf,
    /// The active journal file (its number and a handle to fdatasync), reopened after a rotation.
    active_journal: parking_lot::Mutex<Option<(u64, File)>>,
    /// When free space was last measured and whether it was enough.
    space: parking_lot::Mutex<(Instant, bool)>,
    /// Versions removed since the collector last sealed the memtable (see [`REMOVALS_PER_MEMTABLE`]).
    removals: std::sync::atomic::AtomicU64,
    /// When the collector last sealed the memtable (see [`MIN_SEAL_INTERVAL`]).
    sealed: parking_lot::Mutex<Instant>,
    /// Held (locked) for as long as the storage is open; the last fields, so that fjall is closed first.
    _lock: File,
    _open_here: OpenInThisProcess,
}

/// The data directories this process has open. A directory being closed by a handle that another thread
/// still drops (a background worker finishing its batch) is waited for when the process opens it again,
/// instead of failing on its own lock file.
static OPEN_HERE: parking_lot::Mutex<Vec<PathBuf>> = parking_lot::Mutex::new(Vec::new());
static CLOSED_HERE: parking_lot::Condvar = parking_lot::Condvar::new();
/// How long an open waits for this process to close the same directory.
const REOPEN_WAIT: Duration = Duration::from_secs(30);

/// A directory's entry in [`OPEN_HERE`], removed when dropped.
struct OpenInThisProcess(PathBuf);

impl OpenInThisProcess {
    fn register(dir: &Path) -> Result<OpenInThisProcess> {
        let dir = dir.canonicalize().map_err(|e| data_dir_error(format!("cannot open {}: {e}", dir.display())))?;
        let deadline = Instant::now() + REOPEN_WAIT;
        let mut open = OPEN_HERE.lock();
        while open.contains(&dir) {
            if CLOSED_HERE.wait_until(&mut open, deadline).timed_out() {
                return Err(data_dir_error(format!(
                    "data directory {} is already open in this process",
                    dir.display()
                )));
            }
        }
        open.push(dir.clone());
        Ok(OpenInThisProcess(dir))
    }
}

impl Drop for OpenInThisProcess {
    fn drop(&mut self) {
        OPEN_HERE.lock().retain(|dir| *dir != self.0);
        CLOSED_HERE.notify_all();
    }
}

impl FjallStorage {
    /// Opens (or creates) the database in `path`: locks it against other processes, checks its format
    /// version and that the disk has room, then opens fjall.
    pub fn open(path: &Path) -> Result<Self> {
        std::fs::create_dir_all(path)
            .map_err(|e| data_dir_error(format!("cannot create data directory {}: {e}", path.display())))?;
        let open_here = OpenInThisProcess::register(path)?;
        let lock = lock_data_dir(path)?;
        check_format(path)?;
        if let Ok(free) = free_bytes(path) {
            if free < MIN_FREE_BYTES {
                let mut err = Error::disk_full();
                err.message = format!(
                    "cannot use data directory {}: no space left on device ({} MiB free, occam needs {} MiB)",
                    path.display(),
                    free >> 20,
                    MIN_FREE_BYTES >> 20
                );
                return Err(err);
            }
        }
        let db = Database::builder(path)
            .manual_journal_persist(true)
            .max_journaling_size(MAX_JOURNALING_BYTES)
            .cache_size(BLOCK_CACHE_BYTES)
            .open()?;
        let data = db.keyspace("occam", || KeyspaceCreateOptions::default().max_memtable_size(MAX_MEMTABLE_BYTES))?;
        Ok(FjallStorage {
            db,
            data,
            dir: path.to_path_buf(),
            active_journal: parking_lot::Mutex::new(None),
            space: parking_lot::Mutex::new((Instant::now() - SPACE_CHECK_INTERVAL, true)),
            removals: std::sync::atomic::AtomicU64::new(0),
            sealed: parking_lot::Mutex::new(Instant::now()),
            _lock: lock,
            _open_here: open_here,
        })
    }

    /// The number of the newest `<n>.jnl` journal file, which fjall appends to.
    fn newest_journal(&self) -> Result<Option<u64>> {
        let mut newest = None;
        for entry in std::fs::read_dir(&self.dir)? {
            let name = entry?.file_name();
            let id = name.to_str().and_then(|n| n.strip_suffix(".jnl")).and_then(|n| n.parse::<u64>().ok());
            newest = newest.max(id);
        }
        Ok(newest)
    }
}

/// A data directory occam cannot use (SQLSTATE 58030, without the "storage I/O error" prefix: the message
/// says it all).
fn data_dir_error(message: String) -> Error {
    Error::new(sqlstate::IO_ERROR, message)
}

/// Takes the data directory's lock file, or says which process holds it.
fn lock_data_dir(dir: &Path) -> Result<File> {
    let path = dir.join(LOCK_FILE);
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| data_dir_error(format!("cannot create {}: {e}", path.display())))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let owner = std::fs::read_to_string(&path).unwrap_or_default();
            let owner = match owner.trim() {
                "" => String::new(),
                pid => format!(" (pid {pid})"),
            };
            return Err(data_dir_error(format!(
                "data directory {} is in use by another occam process{owner}",
                dir.display()
            )));
        }
        Err(std::fs::TryLockError::Error(e)) => {
            return Err(data_dir_error(format!("cannot lock {}: {e}", path.display())))
        }
    }
    // Ours now: record who holds it, for the message another process shows.
    file.set_len(0)?;
    file.write_all(format!("{}\n", std::process::id()).as_bytes())?;
    file.sync_data()?;
    Ok(file)
}

/// Checks the format version recorded in the data directory, recording [`FORMAT_VERSION`] in a new one (or
/// one written before versions were recorded, which has format 1).
fn check_format(dir: &Path) -> Result<()> {
    let path = dir.join(FORMAT_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let version = text.trim().parse::<u32>().map_err(|_| {
                data_dir_error(format!("data directory {} has an unreadable format file {FORMAT_FILE}", dir.display()))
            })?;
            if version != FORMAT_VERSION {
                return Err(data_dir_error(format!(
                    "data directory {} has format version {version}, but this occam {} reads format version \
                     {FORMAT_VERSION}",
                    dir.display(),
                    env!("CARGO_PKG_VERSION")
                )));
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            // Written to a temporary name and renamed, so a crash never leaves a half-written file.
            let temporary = dir.join(format!("{FORMAT_FILE}.tmp"));
            let mut file = File::create(&temporary)?;
            file.write_all(format!("{FORMAT_VERSION}\n").as_bytes())?;
            file.sync_all()?;
            std::fs::rename(&temporary, &path)?;
            File::open(dir)?.sync_all()?;
            Ok(())
        }
        Err(e) => Err(data_dir_error(format!("cannot read {}: {e}", path.display()))),
    }
}

impl Storage for FjallStorage {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.data.get(key)?.map(|v| v.to_vec()))
    }

    fn scan(&self, start: Bound<Vec<u8>>, end: Bound<Vec<u8>>, reverse: bool) -> ScanIter<'_> {
        let iter = self.data.range::<Vec<u8>, _>((start, end));
        let convert = |guard: fjall::Guard| {
            let (k, v) = guard.into_inner()?;
            Ok((k.into(), v.into()))
        };
        if reverse {
            Box::new(iter.rev().map(convert))
        } else {
            Box::new(iter.map(convert))
        }
    }

    fn scan_filtered<'a>(
        &'a self,
        start: Bound<Vec<u8>>,
        end: Bound<Vec<u8>>,
        reverse: bool,
        keep: KeyFilter<'a>,
    ) -> ScanIter<'a> {
        let iter = self.data.range::<Vec<u8>, _>((start, end));
        // Keys and values are reference-counted views of the block (or inline when short): neither a
        // rejected nor a kept entry is copied.
        let keep_entry = move |guard: fjall::Guard| match guard.into_inner_if(|key| keep(key)) {
            Ok((key, Some(value))) => Some(Ok((key.into(), value.into()))),
            Ok((_, None)) => None,
            Err(err) => Some(Err(err.into())),
        };
        if reverse {
            Box::new(iter.rev().filter_map(keep_entry))
        } else {
            Box::new(iter.filter_map(keep_entry))
        }
    }

    fn write_batch(&self, writes: Vec<BatchWrite>) -> Result<()> {
        let mut batch = self.db.batch();
        for (key, value) in writes {
            match value {
                Some(value) => batch.insert(&self.data, key, value),
                None => batch.remove(&self.data, key),
            }
        }
        batch.commit()?;
        Ok(())
    }

    fn remove_versions(&self, keys: Vec<Vec<u8>>) -> Result<()> {
        use std::sync::atomic::Ordering;
        let count = keys.len() as u64;
        let mut batch = self.db.batch();
        for key in keys {
            batch.remove_weak(&self.data, key);
        }
        batch.commit()?;
        self.removals.fetch_add(count, Ordering::Relaxed);
        Ok(())
    }

    fn removals_done(&self) -> Result<()> {
        use std::sync::atomic::Ordering;
        let mut sealed = self.sealed.lock();
        if self.removals.load(Ordering::Relaxed) >= REMOVALS_PER_MEMTABLE && sealed.elapsed() >= MIN_SEAL_INTERVAL {
            *sealed = Instant::now();
            self.removals.store(0, Ordering::Relaxed);
            self.data.rotate_memtable()?;
        }
        Ok(())
    }

    fn check_space(&self) -> Result<()> {
        let mut space = self.space.lock();
        if space.0.elapsed() >= SPACE_CHECK_INTERVAL {
            // A file system that cannot tell is not refused.
            let enough = free_bytes(&self.dir).map_or(true, |free| free >= MIN_FREE_BYTES);
            if enough != space.1 {
                match enough {
                    true => tracing::info!("free disk space is back above the reserve; commits resume"),
                    false => tracing::error!(
                        "less than {} MiB free in {}: refusing commits until space is freed",
                        MIN_FREE_BYTES >> 20,
                        self.dir.display()
                    ),
                }
            }
            *space = (Instant::now(), enough);
        }
        if space.1 {
            Ok(())
        } else {
            Err(Error::disk_full())
        }
    }

    fn sync(&self) -> Result<()> {
        // Under fjall's journal lock: hand the buffered bytes to the OS (fast, no disk wait).
        self.db.persist(PersistMode::Buffer)?;
        // Outside it: wait for the disk while commits keep appending.
        let Some(id) = self.newest_journal()? else {
            self.db.persist(PersistMode::SyncData)?;
            return Ok(());
        };
        let mut active = self.active_journal.lock();
        if active.as_ref().map(|(open_id, _)| *open_id) != Some(id) {
            *active = Some((id, File::open(self.dir.join(format!("{id}.jnl")))?));
        }
        let (_, file) = active.as_ref().expect("opened above");
        file.sync_data()?;
        Ok(())
    }

    fn is_durable(&self) -> bool {
        true
    }
}
