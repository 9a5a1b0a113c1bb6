//! On-disk storage backend on fjall, a log-structured merge tree with a write-ahead journal.
//!
//! occam writes each commit as one fjall batch into a single keyspace (so a batch is atomic in fjall's
//! journal) with journal persistence left to occam: `write_batch` only buffers the batch in the journal, and
//! `sync` fsyncs it. The commit pipeline in `txn` calls `sync` once for many concurrent commits (group
//! commit). After a crash fjall recovers a prefix of the written batches, which always includes every
//! batch written before the last completed `sync`.

use std::ops::Bound;
use std::path::Path;

use fjall::{Database, Keyspace, KeyspaceCreateOptions, PersistMode};

use super::{BatchWrite, ScanIter, Storage};
use crate::error::{Error, Result};

pub struct FjallStorage {
    db: Database,
    data: Keyspace,
}

impl FjallStorage {
    /// Opens (or creates) the database in `path`.
    pub fn open(path: &Path) -> Result<Self> {
        std::fs::create_dir_all(path)
            .map_err(|e| Error::io(format!("cannot create data directory {}: {e}", path.display())))?;
        let db = Database::builder(path).manual_journal_persist(true).open()?;
        let data = db.keyspace("occam", KeyspaceCreateOptions::default)?;
        Ok(FjallStorage { db, data })
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
        self.db.persist(PersistMode::SyncAll)?;
        Ok(())
    }

    fn is_durable(&self) -> bool {
        true
    }
}
