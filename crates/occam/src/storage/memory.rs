//! In-memory storage backend: a concurrent skip list. Used by tests and `occam serve --in-memory`.

use std::ops::Bound;

use crossbeam_skiplist::SkipMap;

use super::{BatchWrite, KeyFilter, KvPair, ScanIter, Storage};
use crate::error::Result;

/// Keys and values in a lock-free ordered map; batches are applied under a mutex so they appear atomic
/// to other batches (readers above never look at keys newer than their snapshot, so they need no lock).
///
/// Removed versions are the exception: the garbage collector removes keys readers may be iterating over,
/// and a scan of a skip list sees removals as they happen (fjall's iterators read a snapshot). A reverse
/// scan that has passed a key's old version could then miss the tombstone above it and answer with the old
/// version. So [`Storage::remove_versions`] is deferred while scans that began before it are open, and
/// applied when the last of them ends.
#[derive(Default)]
pub struct MemoryStorage {
    map: SkipMap<Vec<u8>, Vec<u8>>,
    write_lock: parking_lot::Mutex<()>,
    scans: parking_lot::Mutex<OpenScans>,
}

/// The scans in progress and the removals waiting for them.
#[derive(Default)]
struct OpenScans {
    /// Bumped by each deferred removal; a scan belongs to the generation it began in.
    generation: u64,
    /// Scans open, per generation.
    open: std::collections::BTreeMap<u64, usize>,
    /// Removals deferred at a generation: applied once no scan of that generation or before is open.
    deferred: Vec<(u64, Vec<Vec<u8>>)>,
}

/// A scan registered in [`OpenScans`] while it lives.
struct TrackedScan<'a> {
    storage: &'a MemoryStorage,
    generation: u64,
    inner: ScanIter<'a>,
}

impl Iterator for TrackedScan<'_> {
    type Item = Result<KvPair>;

    fn next(&mut self) -> Option<Self::Item> {
        self.inner.next()
    }
}

impl Drop for TrackedScan<'_> {
    fn drop(&mut self) {
        let mut scans = self.storage.scans.lock();
        if let Some(count) = scans.open.get_mut(&self.generation) {
            *count -= 1;
            if *count == 0 {
                scans.open.remove(&self.generation);
            }
        }
        self.storage.apply_deferred(&mut scans);
    }
}

impl MemoryStorage {
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a scan for the deferral of removals (see the type's comment).
    fn tracked<'a>(&'a self, inner: ScanIter<'a>) -> ScanIter<'a> {
        let mut scans = self.scans.lock();
        let generation = scans.generation;
        *scans.open.entry(generation).or_insert(0) += 1;
        Box::new(TrackedScan { storage: self, generation, inner })
    }

    /// Applies the deferred removals no open scan may still meet.
    fn apply_deferred(&self, scans: &mut OpenScans) {
        let oldest_open = scans.open.keys().next().copied().unwrap_or(u64::MAX);
        let (due, waiting): (Vec<_>, Vec<_>) =
            std::mem::take(&mut scans.deferred).into_iter().partition(|(generation, _)| *generation < oldest_open);
        scans.deferred = waiting;
        if !due.is_empty() {
            let _guard = self.write_lock.lock();
            for key in due.into_iter().flat_map(|(_, keys)| keys) {
                self.map.remove(&key);
            }
        }
    }
}

impl Storage for MemoryStorage {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.map.get(key).map(|entry| entry.value().clone()))
    }

    fn scan(&self, start: Bound<Vec<u8>>, end: Bound<Vec<u8>>, reverse: bool) -> ScanIter<'_> {
        let range = self.map.range((start, end));
        self.tracked(if reverse {
            Box::new(range.rev().map(|e| Ok((e.key().as_slice().into(), e.value().as_slice().into()))))
        } else {
            Box::new(range.map(|e| Ok((e.key().as_slice().into(), e.value().as_slice().into()))))
        })
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
            keep(e.key()).then(|| Ok((e.key().as_slice().into(), e.value().as_slice().into())))
        };
        self.tracked(if reverse {
            Box::new(range.rev().filter_map(keep_entry))
        } else {
            Box::new(range.filter_map(keep_entry))
        })
    }

    fn remove_versions(&self, keys: Vec<Vec<u8>>) -> Result<()> {
        let mut scans = self.scans.lock();
        let generation = scans.generation;
        scans.deferred.push((generation, keys));
        scans.generation += 1;
        self.apply_deferred(&mut scans);
        Ok(())
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
