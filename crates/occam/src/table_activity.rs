//! What the planner knows about each table without a storage read: the statistics of its last ANALYZE
//! (cached as `Arc<TableStatistics>`) and how many rows committed transactions changed since, kept in
//! memory like PostgreSQL's pgstat counters (`n_mod_since_analyze`, live tuples). The counters give the
//! row-count estimate between two ANALYZEs and decide automatic ANALYZE.
//!
//! ```text
//!   open            every stored statistics row is loaded (counters start at zero: nothing is known
//!                   about the changes before a restart, as PostgreSQL loses them after a crash)
//!   COMMIT          the session hands over the rows each statement inserted, updated or deleted per
//!                   table (counted only when the transaction commits, so rolled-back work never counts)
//!   threshold       modifications > 50 + 10 % of the analyzed row count (PostgreSQL's
//!                   autovacuum_analyze_threshold and autovacuum_analyze_scale_factor): one automatic
//!                   ANALYZE job is submitted for the table, never a second while it is pending or running
//!   ANALYZE stored  the cache takes the new statistics; the changes counted before the job took its
//!                   snapshot are forgotten, those committed while it ran are kept
//!   paced           an automatic ANALYZE starts no sooner than AUTO_ANALYZE_PAUSE times as long as the
//!                   table's last one took after that one ended, so that a table growing by a bulk load
//!                   is not read whole again at every tenth of growth (PostgreSQL's autovacuum looks at a
//!                   table at most once a minute, and samples pages instead of reading them all)
//! ```
//! The database owns one [`TableActivity`] (see `Database::table_statistics`,
//! `Database::estimated_row_count`); the jobs worker reports stored statistics and finished jobs to it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::statistics::TableStatistics;

/// PostgreSQL's `autovacuum_analyze_threshold`: modified rows that always trigger an automatic ANALYZE...
pub const AUTO_ANALYZE_THRESHOLD: f64 = 50.0;
/// ...plus this fraction of the table's rows (`autovacuum_analyze_scale_factor`).
pub const AUTO_ANALYZE_SCALE_FACTOR: f64 = 0.1;
/// An automatic ANALYZE of a table waits this many times as long as the table's last one took (so
/// automatic ANALYZE keeps at most a fifth of one core busy per table).
pub const AUTO_ANALYZE_PAUSE: u32 = 4;

/// The rows one transaction changed in one table, counted per statement and applied at COMMIT.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct TableChanges {
    pub inserted: u64,
    pub updated: u64,
    pub deleted: u64,
    /// The transaction emptied the table (TRUNCATE) before the changes above.
    pub truncated: bool,
}

impl TableChanges {
    /// A TRUNCATE: the rows this transaction changed before are gone with the rest.
    pub fn truncate(&mut self) {
        *self = TableChanges { truncated: true, ..TableChanges::default() };
    }
}

/// The counters of a table when an ANALYZE job took its snapshot (see [`TableActivity::mark`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct ActivityMark {
    net_inserted: i64,
    modified: u64,
    truncations: u64,
}

/// Per table: cached statistics and the changes committed since they were gathered.
#[derive(Default)]
pub struct TableActivity {
    tables: Mutex<HashMap<u32, TableState>>,
    /// Bumped whenever some table's statistics are replaced or it is truncated: a plan kept since is
    /// planned again (`optimize::PlanCache`).
    epoch: AtomicU64,
}

#[derive(Default)]
struct TableState {
    statistics: Option<Arc<TableStatistics>>,
    /// Rows inserted minus rows deleted by commits since the last ANALYZE's snapshot (or since open).
    net_inserted: i64,
    /// Rows inserted, updated or deleted by commits since then (PostgreSQL's `n_mod_since_analyze`).
    modified: u64,
    /// A TRUNCATE committed since the last ANALYZE: `net_inserted` counts from an empty table.
    truncated: bool,
    /// Committed TRUNCATEs since open (an ANALYZE that began before one did not see it).
    truncations: u64,
    /// A commit changed the table since open (without statistics, nothing else says what it holds).
    changed: bool,
    /// The automatic ANALYZE job submitted for the table and not finished yet.
    auto_analyze_job: Option<String>,
    /// When the table's last automatic ANALYZE ended, and how long it took.
    last_auto_analyze: Option<(Instant, Duration)>,
}

impl TableState {
    fn analyzed_rows(&self) -> f64 {
        self.statistics.as_ref().map_or(0.0, |s| s.row_count as f64)
    }

    fn estimated_rows(&self) -> f64 {
        let base = if self.truncated { 0.0 } else { self.analyzed_rows() };
        (base + self.net_inserted as f64).max(0.0)
    }
}

impl TableActivity {
    /// The activity of a database just opened, with the statistics stored in it.
    pub fn load(statistics: Vec<TableStatistics>) -> TableActivity {
        let tables = statistics
            .into_iter()
            .map(|stats| (stats.table_id, TableState { statistics: Some(Arc::new(stats)), ..TableState::default() }))
            .collect();
        TableActivity { tables: Mutex::new(tables), epoch: AtomicU64::new(0) }
    }

    /// The statistics of the last ANALYZE of table `table_id`.
    pub fn statistics(&self, table_id: u32) -> Option<Arc<TableStatistics>> {
        self.tables.lock().get(&table_id).and_then(|t| t.statistics.clone())
    }

    /// The last ANALYZE's row count plus the rows inserted minus the rows deleted since; inserts minus
    /// deletes alone for a table never analyzed; None when neither statistics nor committed changes are known.
    pub fn estimated_row_count(&self, table_id: u32) -> Option<f64> {
        let tables = self.tables.lock();
        let table = tables.get(&table_id)?;
        (table.statistics.is_some() || table.changed).then(|| table.estimated_rows())
    }

    /// Rows inserted, updated or deleted in table `table_id` by commits since its last ANALYZE.
    pub fn modified_since_analyze(&self, table_id: u32) -> u64 {
        self.tables.lock().get(&table_id).map_or(0, |t| t.modified)
    }

    /// Applies the changes of a committed transaction. Returns the tables that crossed the automatic
    /// ANALYZE threshold and have no automatic ANALYZE pending, each with a new job id now reserved for
    /// it: the caller submits those jobs (or calls [`auto_analyze_finished`](Self::auto_analyze_finished)
    /// if it cannot).
    pub fn record_commit(&self, changes: &HashMap<u32, TableChanges>) -> Vec<(u32, String)> {
        if changes.is_empty() {
            return Vec::new();
        }
        let mut tables = self.tables.lock();
        let mut due = Vec::new();
        for (&table_id, change) in changes {
            let table = tables.entry(table_id).or_default();
            table.changed = true;
            if change.truncated {
                table.modified += table.estimated_rows() as u64;
                table.net_inserted = 0;
                table.truncated = true;
                table.truncations += 1;
                self.epoch.fetch_add(1, Ordering::Relaxed);
            }
            table.net_inserted += change.inserted as i64 - change.deleted as i64;
            table.modified += change.inserted + change.updated + change.deleted;
            let threshold = AUTO_ANALYZE_THRESHOLD + AUTO_ANALYZE_SCALE_FACTOR * table.analyzed_rows();
            if table.modified as f64 > threshold && table.auto_analyze_job.is_none() {
                let job_id = crate::jobs::new_job_id();
                table.auto_analyze_job = Some(job_id.clone());
                due.push((table_id, job_id));
            }
        }
        due.sort();
        due
    }

    /// An ANALYZE job of table `table_id` ended (or could not be submitted): if it was the table's
    /// automatic one, another may be submitted.
    pub fn auto_analyze_finished(&self, table_id: u32, job_id: &str) {
        if let Some(table) = self.tables.lock().get_mut(&table_id) {
            if table.auto_analyze_job.as_deref() == Some(job_id) {
                table.auto_analyze_job = None;
            }
        }
    }

    /// An ANALYZE job of table `table_id` that ran for `took` is ending: if it was the table's automatic
    /// one, the next automatic one is paced by it.
    pub fn analyze_ran(&self, table_id: u32, job_id: &str, took: Duration) {
        if let Some(table) = self.tables.lock().get_mut(&table_id) {
            if table.auto_analyze_job.as_deref() == Some(job_id) {
                table.last_auto_analyze = Some((Instant::now(), took));
            }
        }
    }

    /// How long ANALYZE job `job_id` of table `table_id` is to wait still before it starts: nonzero only
    /// for the table's automatic job, while the pause after its last automatic ANALYZE lasts.
    pub fn analyze_wait(&self, table_id: u32, job_id: &str) -> Duration {
        let tables = self.tables.lock();
        let Some(table) = tables.get(&table_id) else { return Duration::ZERO };
        match table.last_auto_analyze {
            Some((ended, took)) if table.auto_analyze_job.as_deref() == Some(job_id) => {
                (took * AUTO_ANALYZE_PAUSE).saturating_sub(ended.elapsed())
            }
            _ => Duration::ZERO,
        }
    }

    /// The counters of table `table_id` now, taken by an ANALYZE job just before its snapshot.
    pub fn mark(&self, table_id: u32) -> ActivityMark {
        self.tables.lock().get(&table_id).map_or_else(ActivityMark::default, |t| ActivityMark {
            net_inserted: t.net_inserted,
            modified: t.modified,
            truncations: t.truncations,
        })
    }

    /// Changes whenever what the statistics say of some table may have changed (see `epoch`).
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Relaxed)
    }

    /// An ANALYZE job stored `stats`, read at a snapshot taken after `mark`: they replace older cached
    /// statistics, and the changes counted up to the mark are now part of them.
    pub fn analyzed(&self, stats: Arc<TableStatistics>, mark: &ActivityMark) {
        let mut tables = self.tables.lock();
        let table = tables.entry(stats.table_id).or_default();
        if table.statistics.as_ref().is_some_and(|old| old.analyzed_at > stats.analyzed_at) {
            return;
        }
        table.statistics = Some(stats);
        self.epoch.fetch_add(1, Ordering::Relaxed);
        table.modified = table.modified.saturating_sub(mark.modified);
        if table.truncations == mark.truncations {
            table.net_inserted -= mark.net_inserted;
            table.truncated = false;
        }
    }

    /// Table `table_id` was dropped and its storage reclaimed.
    pub fn forget(&self, table_id: u32) {
        self.tables.lock().remove(&table_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(table_id: u32, row_count: u64, analyzed_at: u64) -> Arc<TableStatistics> {
        Arc::new(TableStatistics { table_id, row_count, analyzed_at, columns: Vec::new() })
    }

    fn commit(activity: &TableActivity, table_id: u32, change: TableChanges) -> Vec<(u32, String)> {
        activity.record_commit(&HashMap::from([(table_id, change)]))
    }

    fn inserts(n: u64) -> TableChanges {
        TableChanges { inserted: n, ..TableChanges::default() }
    }

    #[test]
    fn row_count_estimates_follow_commits() {
        let activity = TableActivity::default();
        assert_eq!(activity.estimated_row_count(1), None, "nothing known");
        commit(&activity, 1, inserts(10));
        commit(&activity, 1, TableChanges { deleted: 3, updated: 4, ..TableChanges::default() });
        assert_eq!(activity.estimated_row_count(1), Some(7.0));
        assert_eq!(activity.modified_since_analyze(1), 17);

        let mark = activity.mark(1);
        commit(&activity, 1, inserts(5));
        activity.analyzed(stats(1, 7, 10), &mark);
        // The 5 rows committed after the snapshot still count, on top of the analyzed 7.
        assert_eq!(activity.estimated_row_count(1), Some(12.0));
        assert_eq!(activity.modified_since_analyze(1), 5);
        // Statistics from an older snapshot do not replace newer ones.
        activity.analyzed(stats(1, 100, 5), &ActivityMark::default());
        assert_eq!(activity.statistics(1).unwrap().row_count, 7);

        let mut truncate = TableChanges::default();
        truncate.truncate();
        truncate.inserted = 2;
        commit(&activity, 1, truncate);
        assert_eq!(activity.estimated_row_count(1), Some(2.0));
        activity.forget(1);
        assert_eq!(activity.estimated_row_count(1), None);
    }

    #[test]
    fn automatic_analyze_once_past_the_threshold_and_one_at_a_time() {
        let activity = TableActivity::load(vec![(*stats(1, 1000, 1)).clone()]);
        // 50 + 10 % of 1000 = 150 modifications.
        assert!(commit(&activity, 1, inserts(150)).is_empty());
        let due = commit(&activity, 1, inserts(1));
        assert_eq!(due.len(), 1);
        let (table_id, job_id) = due[0].clone();
        assert_eq!(table_id, 1);
        assert!(commit(&activity, 1, inserts(500)).is_empty(), "one pending job per table");
        activity.auto_analyze_finished(1, "another job");
        assert!(commit(&activity, 1, inserts(1)).is_empty(), "only its own job ends the wait");
        activity.auto_analyze_finished(1, &job_id);
        assert_eq!(commit(&activity, 1, inserts(1)).len(), 1);
        // A never-analyzed table: 50 rows.
        assert!(commit(&activity, 2, inserts(50)).is_empty());
        assert_eq!(commit(&activity, 2, TableChanges { updated: 1, ..TableChanges::default() }).len(), 1);
    }

    #[test]
    fn an_automatic_analyze_waits_after_a_long_one() {
        let activity = TableActivity::load(vec![(*stats(1, 1000, 1)).clone()]);
        let (_, first) = commit(&activity, 1, inserts(151)).remove(0);
        assert!(activity.analyze_wait(1, &first).is_zero(), "the first one runs at once");
        activity.analyze_ran(1, &first, Duration::from_secs(3600));
        activity.auto_analyze_finished(1, &first);
        let (_, second) = commit(&activity, 1, inserts(151)).remove(0);
        let wait = activity.analyze_wait(1, &second);
        assert!(wait > Duration::from_secs(3600) && wait <= Duration::from_secs(4 * 3600), "{wait:?}");
        assert!(activity.analyze_wait(1, "an ANALYZE statement's job").is_zero(), "only automatic ones wait");
        // An ANALYZE statement's job does not pace the automatic ones.
        activity.analyze_ran(1, "an ANALYZE statement's job", Duration::from_secs(7200));
        assert_eq!(activity.analyze_wait(1, &second).as_secs() / 3600, wait.as_secs() / 3600);
    }
}
