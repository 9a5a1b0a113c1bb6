//! Unit tests of snapshot reads, own writes, scans in both directions and first-committer-wins.

use super::*;
use crate::storage::memory::MemoryStorage;

fn manager() -> Arc<TxnManager> {
    TxnManager::open(Arc::new(MemoryStorage::new())).unwrap()
}

fn keys(txn: &Transaction, reverse: bool) -> Vec<(Vec<u8>, Vec<u8>)> {
    txn.scan(Bound::Included(b"k".to_vec()), Bound::Excluded(b"l".to_vec()), reverse).map(|r| r.unwrap()).collect()
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
