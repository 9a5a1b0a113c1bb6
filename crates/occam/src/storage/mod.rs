//! The storage trait: an ordered key-value engine with atomic batches and an explicit sync.
//!
//! Everything occam persists (rows, index entries, catalog rows, the commit-timestamp high-water mark) is a
//! key in one ordered byte-string space. MVCC and OCC live above this trait (in `txn`), so the engine below
//! only needs: point get, ordered range scan in both directions, an atomic write batch, and a sync that
//! makes every batch written before it durable. Two backends implement it: [`memory::MemoryStorage`]
//! (tests, `--in-memory`) and [`disk::FjallStorage`] (the default, on fjall's LSM tree).

pub mod bytes;
pub mod disk;
pub mod keycode;
pub mod memory;

use std::ops::Bound;

use crate::error::Result;
pub use bytes::Bytes;

/// A key-value pair as returned by scans: views into storage's buffers, not copies.
pub type KvPair = (Bytes, Bytes);

/// An iterator over a key range, in key order (or reversed).
pub type ScanIter<'a> = Box<dyn Iterator<Item = Result<KvPair>> + Send + 'a>;

/// Decides, from its key alone, whether a scan returns an entry (see [`Storage::scan_filtered`]).
pub type KeyFilter<'a> = Box<dyn Fn(&[u8]) -> bool + Send + 'a>;

/// One write of a batch: `Some(value)` stores, `None` deletes.
pub type BatchWrite = (Vec<u8>, Option<Vec<u8>>);

/// An ordered key-value engine.
pub trait Storage: Send + Sync {
    /// The value stored at `key`.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>>;

    /// All pairs with keys in the range, ascending (or descending when `reverse`).
    fn scan(&self, start: Bound<Vec<u8>>, end: Bound<Vec<u8>>, reverse: bool) -> ScanIter<'_>;

    /// Like [`scan`](Self::scan), but returns only the entries whose key `keep` accepts; the others are
    /// stepped over without copying their key or value (how snapshot reads skip old versions cheaply).
    fn scan_filtered<'a>(
        &'a self,
        start: Bound<Vec<u8>>,
        end: Bound<Vec<u8>>,
        reverse: bool,
        keep: KeyFilter<'a>,
    ) -> ScanIter<'a> {
        Box::new(self.scan(start, end, reverse).filter(move |entry| entry.as_ref().map_or(true, |(k, _)| keep(k))))
    }

    /// Applies all writes atomically (after a crash either all or none are present). Not yet durable.
    fn write_batch(&self, writes: Vec<BatchWrite>) -> Result<()>;

    /// Removes keys that were each written exactly once and never overwritten (stored versions), as one
    /// atomic batch like [`write_batch`](Self::write_batch). An engine may use the promise: fjall writes
    /// "weak" tombstones that vanish together with the value they remove when the two meet in a memtable
    /// flush or a compaction, instead of staying until the last level (where scans step over them).
    fn remove_versions(&self, keys: Vec<Vec<u8>>) -> Result<()> {
        self.write_batch(keys.into_iter().map(|key| (key, None)).collect())
    }

    /// Called by the collector after each of its passes: an engine whose removals linger in memory until a
    /// flush (fjall's memtable) may flush early when enough accumulated.
    fn removals_done(&self) -> Result<()> {
        Ok(())
    }

    /// Fails with [`Error::disk_full`](crate::error::Error::disk_full) when there is too little free space
    /// to accept another commit; commits ask before writing, and succeed again once space was freed.
    fn check_space(&self) -> Result<()> {
        Ok(())
    }

    /// Makes every batch written before this call durable.
    fn sync(&self) -> Result<()>;

    /// Whether `sync` does real I/O (false for the memory backend, so commits need not wait for it).
    fn is_durable(&self) -> bool;
}

/// The smallest key greater than every key that starts with `prefix` (None if there is none).
pub fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// Bounds covering every key that starts with `prefix`.
pub fn prefix_range(prefix: &[u8]) -> (Bound<Vec<u8>>, Bound<Vec<u8>>) {
    let end = match prefix_end(prefix) {
        Some(end) => Bound::Excluded(end),
        None => Bound::Unbounded,
    };
    (Bound::Included(prefix.to_vec()), end)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The conformance suite every backend must pass.
    pub fn exercise(storage: &dyn Storage) {
        storage
            .write_batch(vec![
                (b"a".to_vec(), Some(b"1".to_vec())),
                (b"b".to_vec(), Some(b"2".to_vec())),
                (b"c".to_vec(), Some(b"3".to_vec())),
            ])
            .unwrap();
        assert_eq!(storage.get(b"b").unwrap(), Some(b"2".to_vec()));
        storage.write_batch(vec![(b"b".to_vec(), None)]).unwrap();
        assert_eq!(storage.get(b"b").unwrap(), None);
        let keys: Vec<_> =
            storage.scan(Bound::Unbounded, Bound::Unbounded, false).map(|kv| kv.unwrap().0.to_vec()).collect();
        assert_eq!(keys, vec![b"a".to_vec(), b"c".to_vec()]);
        let keys: Vec<_> = storage
            .scan(Bound::Included(b"a".to_vec()), Bound::Excluded(b"c".to_vec()), true)
            .map(|kv| kv.unwrap().0.to_vec())
            .collect();
        assert_eq!(keys, vec![b"a".to_vec()]);
        let keys: Vec<_> = storage
            .scan(Bound::Excluded(b"a".to_vec()), Bound::Unbounded, true)
            .map(|kv| kv.unwrap().0.to_vec())
            .collect();
        assert_eq!(keys, vec![b"c".to_vec()]);
        let odd: Vec<_> = storage
            .scan_filtered(Bound::Unbounded, Bound::Unbounded, false, Box::new(|key| key != b"a"))
            .map(|kv| kv.unwrap())
            .map(|(k, v)| (k.to_vec(), v.to_vec()))
            .collect();
        assert_eq!(odd, vec![(b"c".to_vec(), b"3".to_vec())]);
        storage.sync().unwrap();
    }

    #[test]
    fn memory_backend() {
        exercise(&memory::MemoryStorage::new());
    }

    #[test]
    fn fjall_backend() {
        let dir = tempfile::tempdir().unwrap();
        exercise(&disk::FjallStorage::open(dir.path()).unwrap());
    }

    /// A directory this process is still closing (another thread drops the last handle) is waited for,
    /// not refused as in use; a format version other than ours is refused.
    #[test]
    fn fjall_reopen_and_format_version() {
        let dir = tempfile::tempdir().unwrap();
        let first = disk::FjallStorage::open(dir.path()).unwrap();
        let path = dir.path().to_path_buf();
        let reopen = std::thread::spawn(move || disk::FjallStorage::open(&path).map(|_| ()));
        drop(first);
        reopen.join().unwrap().unwrap();
        assert_eq!(std::fs::read_to_string(dir.path().join(disk::FORMAT_FILE)).unwrap(), "1\n");

        std::fs::write(dir.path().join(disk::FORMAT_FILE), "2\n").unwrap();
        let err = disk::FjallStorage::open(dir.path()).err().expect("format 2 is refused");
        assert!(err.message.contains("has format version 2"), "{}", err.message);
    }

    #[test]
    fn prefix_end_carries() {
        assert_eq!(prefix_end(&[1, 0xff]), Some(vec![2]));
        assert_eq!(prefix_end(&[0xff]), None);
    }
}
