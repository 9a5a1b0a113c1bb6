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
use std::ops::Bound;
use std::path::{Path, PathBuf};

use fjall::{Database, Keyspace, KeyspaceCreateOptions, PersistMode};

use super::{BatchWrite, ScanIter, Storage};
use crate::error::{Error, Result};

pub struct FjallStorage {
    db: Database,
    data: Keyspace,
    dir: PathBuf,
    /// The active journal file (its number and a handle to fdatasync), reopened after a rotation.
    active_journal: parking_lot::Mutex<Option<(u64, File)>>,
}

impl FjallStorage {
    /// Opens (or creates) the database in `path`.
    pub fn open(path: &Path) -> Result<Self> {
        std::fs::create_dir_all(path)
            .map_err(|e| Error::io(format!("cannot create data directory {}: {e}", path.display())))?;
        let db = Database::builder(path).manual_journal_persist(true).open()?;
        let data = db.keyspace("occam", KeyspaceCreateOptions::default)?;
        Ok(FjallStorage { db, data, dir: path.to_path_buf(), active_journal: parking_lot::Mutex::new(None) })
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

impl Storage for FjallStorage {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.data.get(key)?.map(|v| v.to_vec()))
    }

    fn scan(&self, start: Bound<Vec<u8>>, end: Bound<Vec<u8>>, reverse: bool) -> ScanIter<'_> {
        let iter = self.data.range::<Vec<u8>, _>((start, end));
        let convert = |guard: fjall::Guard| {
            let (k, v) = guard.into_inner()?;
            Ok((k.to_vec(), v.to_vec()))
        };
        if reverse {
            Box::new(iter.rev().map(convert))
        } else {
            Box::new(iter.map(convert))
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
