//! In-memory storage backend: a concurrent skip list. Used by tests and `occam serve --in-memory`.

use std::ops::Bound;

use crossbeam_skiplist::SkipMap;

use super::{BatchWrite, KeyFilter, ScanIter, Storage};
use crate::error::Result;

/// Keys and values in a lock-free ordered map; batches are applied under a mutex so they appear atomic
/// to other batches (readers above never look at keys newer than their snapshot, so they need no lock).
#[derive(Default)]
pub struct MemoryStorage {
    map: SkipMap<Vec<u8>, Vec<u8>>,
    write_lock: parking_lot::Mutex<()>,
}

impl MemoryStorage {
    pub fn new() -> Self {
        Self::default()
    }
}

impl Storage for MemoryStorage {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.map.get(key).map(|entry| entry.value().clone()))
    }

    fn scan(&self, start: Bound<Vec<u8>>, end: Bound<Vec<u8>>, reverse: bool) -> ScanIter<'_> {
        let range = self.map.range((start, end));
        if reverse {
            Box::new(range.rev().map(|e| Ok((e.key().clone(), e.value().clone()))))
        } else {
            Box::new(range.map(|e| Ok((e.key().clone(), e.value().clone()))))
        }
    }

    fn scan_filtered<'a>(
        &'a self,
        start: Bound<Vec<u8>>,
        end: Bound<Vec<u8>>,
        reverse: bool,
        keep: KeyFilter<'a>,
    ) -> ScanIter<'a> {
        let range = self.map.range((start, end));
        let keep_entry = move |e: crossbeam_skiplist::map::Entry<'a, Vec<u8>, Vec<u8>>| {
            keep(e.key()).then(|| Ok((e.key().clone(), e.value().clone())))
        };
        if reverse {
            Box::new(range.rev().filter_map(keep_entry))
        } else {
            Box::new(range.filter_map(keep_entry))
        }
    }

    fn write_batch(&self, writes: Vec<BatchWrite>) -> Result<()> {
        let _guard = self.write_lock.lock();
        for (key, value) in writes {
            match value {
                Some(value) => {
                    self.map.insert(key, value);
                }
                None => {
                    self.map.remove(&key);
                }
            }
        }
        Ok(())
    }

    fn sync(&self) -> Result<()> {
        Ok(())
    }

    fn is_durable(&self) -> bool {
        false
    }
}
