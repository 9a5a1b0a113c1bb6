//! A session's cache of simple-protocol statements it has run before, by their exact text.
//!
//! A query string is parsed and bound each time it arrives over the simple protocol (psql, dashboards,
//! pgbench's default), which for a short query costs more than running it. A string seen a second time,
//! holding one query or DML statement, is prepared as the extended protocol's Parse prepares it
//! (`Session::prepare`): parsed and bound once, kept here, and from then on executed through that
//! prepared statement, which re-binds itself when the catalog or the search path changed (and the
//! optimizer plans each execution afresh, with the session's planner switches and the newest
//! statistics). An entry also records the role and time zone it was bound under; a string met under
//! another is bound again. The first sighting only remembers a hash, so strings that never repeat (literals
//! inlined by the client) cost one hash-set insert, not a preparation.
//!
//! PostgreSQL itself re-plans every simple query; this is occam's own saving, invisible to clients.

use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::{BuildHasher, RandomState};
use std::sync::Arc;

use crate::session::PreparedStatement;

/// How many prepared strings a session keeps (the oldest go first).
const CAPACITY: usize = 64;
/// How many once-seen strings (as hashes) a session remembers.
const SEEN_CAPACITY: usize = 1024;

/// What a cached statement was bound under, besides the catalog and search path it checks itself.
#[derive(Debug)]
pub struct BindContext {
    pub user: String,
    pub time_zone: String,
}

struct Entry {
    prepared: Arc<PreparedStatement>,
    context: BindContext,
}

#[derive(Default)]
pub struct StatementCache {
    entries: HashMap<Arc<str>, Entry>,
    /// Cached texts, oldest first.
    order: VecDeque<Arc<str>>,
    /// Hashes of texts seen once, oldest first (`seen_set` holds the same).
    seen: VecDeque<u64>,
    seen_set: HashSet<u64>,
    hasher: RandomState,
}

impl StatementCache {
    /// The statement prepared for `sql` under this role and time zone, if there is one.
    pub fn get(&self, sql: &str, user: &str, time_zone: &str) -> Option<Arc<PreparedStatement>> {
        let entry = self.entries.get(sql)?;
        (entry.context.user == user && entry.context.time_zone == time_zone).then(|| entry.prepared.clone())
    }

    /// Notes that `sql` ran unprepared; true when it had been seen before, so that it is worth preparing.
    pub fn seen_again(&mut self, sql: &str) -> bool {
        let hash = self.hasher.hash_one(sql);
        if self.seen_set.contains(&hash) {
            return true;
        }
        if self.seen.len() == SEEN_CAPACITY {
            if let Some(oldest) = self.seen.pop_front() {
                self.seen_set.remove(&oldest);
            }
        }
        self.seen.push_back(hash);
        self.seen_set.insert(hash);
        false
    }

    /// Keeps `prepared` for `sql`, replacing an entry bound under another context.
    pub fn insert(&mut self, sql: &str, prepared: Arc<PreparedStatement>, context: BindContext) {
        let key: Arc<str> = sql.into();
        if self.entries.insert(key.clone(), Entry { prepared, context }).is_some() {
            return;
        }
        self.order.push_back(key);
        if self.order.len() > CAPACITY {
            if let Some(oldest) = self.order.pop_front() {
                self.entries.remove(&oldest);
            }
        }
    }

    /// Forgets everything (DISCARD ALL / PLANS).
    pub fn clear(&mut self) {
        self.entries.clear();
        self.order.clear();
        self.seen.clear();
        self.seen_set.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_is_worth_preparing_from_its_second_sighting() {
        let mut cache = StatementCache::default();
        assert!(!cache.seen_again("SELECT 1"));
        assert!(cache.seen_again("SELECT 1"));
        assert!(!cache.seen_again("SELECT 2"));
        // The memory of once-seen texts is bounded: the oldest are forgotten first.
        for i in 0..SEEN_CAPACITY {
            cache.seen_again(&format!("SELECT {i} + 0"));
        }
        assert!(!cache.seen_again("SELECT 1"));
        assert!(cache.seen.len() <= SEEN_CAPACITY && cache.seen_set.len() == cache.seen.len());
        cache.clear();
        assert!(!cache.seen_again("SELECT 2"));
    }
}
