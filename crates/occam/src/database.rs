//! The database handle: storage, transaction manager and catalog, shared by every session.
//!
//! `Database` is cheap to clone (an `Arc` inside) and is what both the in-process API (tests, embedding)
//! and the wire server open. Each client connection gets a [`crate::session::Session`] from it.
//!
//! The catalog lives in the key space (see `catalog`); the database keeps the newest committed snapshot of
//! it in memory as an `Arc<Catalog>` and reloads it after every DDL commit. `catalog_version` is an atomic
//! copy of that snapshot's version, so a prepared statement can check whether its plan is still current
//! without taking a lock.
//!
//! It also keeps what the planner needs to know about tables without a storage read per statement (see
//! `table_activity`): the statistics of each table's last ANALYZE and the rows committed transactions
//! changed since, which give row-count estimates and trigger automatic ANALYZE jobs.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};

use parking_lot::{Mutex, RwLock};

use crate::catalog::Catalog;
use crate::compat::{Clock, CompatMode, Rules, SystemClock};
use crate::error::Result;
use crate::jobs::JobSignal;
use crate::session::Session;
use crate::sql::execute::memory::ServerMemory;
use crate::statistics::TableStatistics;
use crate::storage::disk::FjallStorage;
use crate::storage::memory::MemoryStorage;
use crate::storage::Storage;
use crate::table_activity::TableActivity;
use crate::txn::{GcWorker, Transaction, TxnManager};

/// How to open a database.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Directory of the on-disk database; `None` keeps everything in memory (lost at exit).
    pub data_dir: Option<PathBuf>,
    /// Which database's rules to follow (Aurora DSQL by default).
    pub compat: CompatMode,
    /// Overrides the rule table of `compat` (a raised quota, or a small limit in a test).
    pub rules: Option<Rules>,
    /// Where time comes from (`now()`, the transaction age limit); the system clock when `None`.
    pub clock: Option<Arc<dyn Clock>>,
    /// The planner switches every session starts with (`SET enable_indexscan = ...` changes a session's):
    /// tests run the whole SQL corpus under forced alternative plans with them.
    pub planner: crate::sql::optimize::Settings,
    /// The `statement_timeout` every session starts with (`occam serve --statement-timeout`); None or zero:
    /// none, as PostgreSQL's default.
    pub statement_timeout: Option<std::time::Duration>,
    /// Bytes the queries of all sessions may hold at once (`occam serve --server-query-memory`); None: half
    /// the machine's memory (see `ServerMemory`).
    pub server_query_memory: Option<usize>,
    /// Run-time parameters every session starts with, under its role's and its startup message's
    /// (`occam serve --inject-conflicts` sets `occam.inject_conflicts`).
    pub session_defaults: Vec<(String, String)>,
}

/// What authentication needs to know about a role (see [`Database::role_login`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleLogin {
    /// The role may log in (`admin`, or created `WITH LOGIN`).
    pub can_login: bool,
    /// The built-in administrator role (IAM tokens for it use `Action=DbConnectAdmin`).
    pub is_admin: bool,
    /// The SCRAM-SHA-256 verifier of a role created `WITH PASSWORD` (see `auth::scram::make_verifier`).
    pub password_verifier: Option<String>,
    /// IAM principals (ARNs) mapped to the role with `AWS IAM GRANT`.
    pub iam_arns: Vec<String>,
}

/// The built-in administrator role, as in Aurora DSQL.
pub const ADMIN_ROLE: &str = "admin";

/// An open database.
#[derive(Clone)]
pub struct Database {
    inner: Arc<DatabaseInner>,
}

struct DatabaseInner {
    txn: Arc<TxnManager>,
    catalog: RwLock<Arc<Catalog>>,
    catalog_version: AtomicU64,
    /// Serialises catalog reloads so that a newer snapshot is never replaced by an older one.
    reload: Mutex<()>,
    /// The background jobs worker (`crate::jobs`): its wake-up signal and thread.
    jobs: Arc<JobSignal>,
    jobs_thread: Mutex<Option<std::thread::JoinHandle<()>>>,
    /// The background version garbage collector (`txn::gc`).
    gc: GcWorker,
    rules: Rules,
    clock: Arc<dyn Clock>,
    planner: crate::sql::optimize::Settings,
    statement_timeout: Option<std::time::Duration>,
    /// What all running queries hold, against the server's limit.
    server_memory: Arc<ServerMemory>,
    /// Cached statistics and changes since the last ANALYZE, per table.
    activity: TableActivity,
    /// The sequences' counters (`crate::sequences`), outside transactions.
    sequences: crate::sequences::SequenceCounters,
    session_defaults: Vec<(String, String)>,
    /// Recent OCC conflicts, hot keys and per-table conflict counters (`crate::conflicts`).
    conflicts: crate::conflicts::ConflictLog,
}

impl Drop for DatabaseInner {
    fn drop(&mut self) {
        self.jobs.shut_down();
        // Joined (after its current batch), so that the storage it may hold is closed when the last handle
        // is gone and the data directory can be opened again at once.
        self.gc.shut_down();
    }
}

/// A handle that does not keep the database open (held by the jobs worker while idle).
pub(crate) struct WeakDatabase(Weak<DatabaseInner>);

impl WeakDatabase {
    pub(crate) fn upgrade(&self) -> Option<Database> {
        self.0.upgrade().map(|inner| Database { inner })
    }
}

impl Database {
    /// The login facts of role `name` as of the newest committed catalog, or None if no such role exists
    /// (the built-in `admin` always does).
    pub fn role_login(&self, name: &str) -> Option<RoleLogin> {
        let catalog = self.catalog();
        let roles = &catalog.roles;
        if name == ADMIN_ROLE {
            return Some(RoleLogin {
                can_login: true,
                is_admin: true,
                password_verifier: None,
                iam_arns: roles.iam_arns(name),
            });
        }
        let role = roles.role(name)?;
        Some(RoleLogin {
            can_login: role.login,
            is_admin: false,
            password_verifier: role.password_verifier.clone(),
            iam_arns: roles.iam_arns(name),
        })
    }

    /// The `statement_timeout` sessions start with (None: off).
    pub fn default_statement_timeout(&self) -> Option<std::time::Duration> {
        self.inner.statement_timeout
    }

    /// The run-time parameters sessions start with (see [`Config::session_defaults`]).
    pub fn session_defaults(&self) -> &[(String, String)] {
        &self.inner.session_defaults
    }

    /// The record of recent OCC conflicts.
    pub fn conflicts(&self) -> &crate::conflicts::ConflictLog {
        &self.inner.conflicts
    }

    /// The planner switches sessions start with.
    pub fn planner_defaults(&self) -> crate::sql::optimize::Settings {
        self.inner.planner
    }

    /// Opens (creating if needed) the database described by `config`.
    pub fn open(config: &Config) -> Result<Database> {
        let storage: Arc<dyn Storage> = match &config.data_dir {
            Some(dir) => Arc::new(FjallStorage::open(dir)?),
            None => Arc::new(MemoryStorage::new()),
        };
        let txn = TxnManager::open(storage)?;
        let gc = GcWorker::spawn(&txn)?;
        // Temporary tables belong to sessions, and no session survives a restart.
        crate::catalog::schemas::drop_temporary(|| txn.begin(), None)?;
        let rules = config.rules.clone().unwrap_or_else(|| Rules::for_mode(config.compat));
        let catalog = Catalog::load(&txn.begin(), 1)?.with_system_rules(rules.catalog);
        let activity = TableActivity::load(crate::statistics::read_all(&txn.begin())?);
        let db = Database {
            inner: Arc::new(DatabaseInner {
                txn,
                catalog_version: AtomicU64::new(catalog.version),
                catalog: RwLock::new(Arc::new(catalog)),
                reload: Mutex::new(()),
                jobs: Arc::new(JobSignal::default()),
                jobs_thread: Mutex::new(None),
                gc,
                rules,
                clock: config.clock.clone().unwrap_or_else(|| Arc::new(SystemClock)),
                planner: config.planner,
                statement_timeout: config.statement_timeout,
                server_memory: ServerMemory::new(
                    config.server_query_memory.unwrap_or_else(ServerMemory::default_limit),
                ),
                activity,
                sequences: Default::default(),
                session_defaults: config.session_defaults.clone(),
                conflicts: Default::default(),
            }),
        };
        // Jobs left unfinished by a restart are resumed: the worker starts by looking for them.
        let worker = crate::jobs::spawn_worker(WeakDatabase(Arc::downgrade(&db.inner)), db.inner.jobs.clone())?;
        *db.inner.jobs_thread.lock() = Some(worker);
        Ok(db)
    }

    /// Stops the background workers (the jobs worker after the job it is running, which a later open
    /// resumes; the garbage collector after its batch) and waits for them, so that once every other handle is dropped the storage is closed (e.g. to reopen an
    /// on-disk database in the same process).
    pub fn close(self) {
        self.inner.gc.shut_down();
        self.inner.jobs.shut_down();
        let worker = self.inner.jobs_thread.lock().take();
        if let Some(worker) = worker {
            let _ = worker.join();
        }
    }

    /// Makes the garbage collector run a pass now and waits until one that started after this call has
    /// finished (false after `timeout`). For tests and tools; the collector otherwise paces itself.
    pub fn collect_garbage_now(&self, timeout: std::time::Duration) -> bool {
        self.inner.gc.run_pass_and_wait(timeout)
    }

    /// Tells the jobs worker that jobs were submitted (after a DDL commit).
    pub(crate) fn wake_jobs(&self) {
        self.inner.jobs.wake();
    }

    pub(crate) fn job_signal(&self) -> &JobSignal {
        &self.inner.jobs
    }

    /// A fresh in-memory database.
    pub fn open_in_memory() -> Database {
        Self::open(&Config::default()).expect("in-memory open cannot fail")
    }

    /// A new session for `user` (the role name from the startup message).
    pub fn session(&self, user: &str) -> Result<Session> {
        Ok(Session::new(self.clone(), user))
    }

    /// What all running queries hold (sorts, hashes, aggregates, results), against the server's limit.
    pub fn server_memory(&self) -> &Arc<ServerMemory> {
        &self.inner.server_memory
    }

    /// The compatibility rules this database enforces (see `compat`).
    pub fn rules(&self) -> &Rules {
        &self.inner.rules
    }

    /// The current time on the database's clock.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.inner.clock.now()
    }

    /// The newest committed catalog snapshot.
    pub fn catalog(&self) -> Arc<Catalog> {
        self.inner.catalog.read().clone()
    }

    /// The version of [`Database::catalog`], readable without a lock.
    pub fn catalog_version(&self) -> u64 {
        self.inner.catalog_version.load(Ordering::Acquire)
    }

    /// Re-reads the catalog from a fresh snapshot (called after a DDL commit).
    pub fn reload_catalog(&self) -> Result<()> {
        let _guard = self.inner.reload.lock();
        let version = self.catalog_version() + 1;
        let catalog = Catalog::load(&self.inner.txn.begin(), version)?.with_system_rules(self.inner.rules.catalog);
        *self.inner.catalog.write() = Arc::new(catalog);
        self.inner.catalog_version.store(version, Ordering::Release);
        Ok(())
    }

    /// The statistics of table `table_id`'s last ANALYZE, without a storage read (None if it was never
    /// analyzed).
    pub fn table_statistics(&self, table_id: u32) -> Option<Arc<TableStatistics>> {
        self.inner.activity.statistics(table_id)
    }

    /// How many rows table `table_id` holds by the last ANALYZE and the rows committed transactions
    /// inserted and deleted since (by those alone when it was never analyzed); None when nothing is known,
    /// e.g. after a restart for a table without statistics.
    pub fn estimated_row_count(&self, table_id: u32) -> Option<f64> {
        self.inner.activity.estimated_row_count(table_id)
    }

    /// The per-table statistics cache and change counters.
    pub(crate) fn activity(&self) -> &TableActivity {
        &self.inner.activity
    }

    /// Starts a transaction on the newest durable snapshot.
    pub fn begin(&self) -> Transaction {
        self.inner.txn.begin()
    }

    /// The server's metrics (`/metrics`): commits, conflicts, connections, statements, storage.
    pub fn metrics(&self) -> &Arc<crate::metrics::Metrics> {
        self.inner.txn.metrics()
    }

    /// The transaction manager (for tools and tests that work below SQL).
    pub fn txn_manager(&self) -> &Arc<TxnManager> {
        &self.inner.txn
    }

    /// The sequences' counters.
    pub fn sequences(&self) -> &crate::sequences::SequenceCounters {
        &self.inner.sequences
    }
}

/// What the optimizer knows of each table's size and contents: the statistics cache and the change
/// counters (`table_activity`).
impl crate::sql::optimize::Estimates for Database {
    fn table_rows(&self, table: &crate::catalog::Table) -> Option<f64> {
        self.estimated_row_count(table.id)
    }

    fn table_statistics(&self, table: &crate::catalog::Table) -> Option<Arc<crate::statistics::TableStatistics>> {
        Database::table_statistics(self, table.id)
    }

    fn epoch(&self) -> u64 {
        self.inner.activity.epoch()
    }
}
