//! Background jobs: asynchronous index builds, the deletion of a dropped index's entries or a dropped
//! table's whole key range, and ANALYZE, run by one worker thread per database and listed in `sys.jobs`.
//!
//! A job is a row in the catalog key space (`table_prefix(0, 4) ++ encode(job id)`), written by the DDL
//! transaction that submits it, so a job exists exactly when its DDL committed, and `sys.jobs` survives a
//! restart. The worker wakes when a DDL commits (and once at open), runs every job still `submitted` or
//! `processing` in submission order, and records each status change in its own transaction:
//!
//! ```text
//!   submitted -> processing -> completed | failed          (DROP INDEX of a building index: cancelled)
//! ```
//! A job interrupted by a restart is resumed from the start: a backfill only writes entries that are
//! correct for the snapshot it reads, so redoing part of it is harmless.
//!
//! An index build (see `catalog::Index`) runs after the DDL that stored the index in state `building`
//! committed. From that commit on, every writer maintains the index (a writer planned against an older
//! catalog fails at COMMIT with 40001 OC001, see `Transaction::depend_on_schema`), so the backfill only has
//! to cover rows committed before it: it scans the table in batches, each batch a fresh transaction at a
//! snapshot taken after the DDL, writing the rows' entries. A batch that conflicts with a concurrent
//! writer (both wrote one entry key) is retried at a newer snapshot. Then one transaction flips the index to
//! `valid`, recording its own snapshot as the index's `usable_from`. A unique build that meets two rows with
//! one key fails the job and drops the index.
//!
//! A synchronous build (PostgreSQL's plain CREATE INDEX, refused in DSQL mode) is the same DDL followed, once
//! it committed, by [`wait_for_job`] on the job it submitted.
//!
//! The DROP job of a dropped table reclaims its storage: every stored version of its rows and index entries
//! (`table_prefix(table id, *)`) is removed physically, in batches, below the transaction layer
//! (`TxnManager::purge_prefix`). Nothing writes there any more (table ids are never reused, and a writer
//! planned before the DROP fails at COMMIT with OC001); the job only waits, staying `submitted` while other
//! jobs run, until no transaction whose snapshot predates the DROP is still live, since such a snapshot
//! may still read the rows. It also deletes the table's statistics row.
//!
//! A VALIDATE_CONSTRAINT job (DSQL's `ALTER TABLE ASYNC t VALIDATE CONSTRAINT c`) checks the table's rows
//! against a CHECK or FOREIGN KEY constraint added `NOT VALID` and marks it validated, in one transaction
//! (retried on conflict); rows that break it fail the job with PostgreSQL's message.
//!
//! An ANALYZE job (one per table of an `ANALYZE` statement, or submitted automatically by the COMMIT after
//! which enough of a table's rows changed, see `crate::table_activity`) reads the table at one snapshot
//! and stores its statistics (`crate::statistics`), which the database's cache then serves to the planner;
//! a table dropped meanwhile completes it with DSQL's note `Skipped job for nonexistent table.`

use std::ops::Bound;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use parking_lot::{Condvar, Mutex};

use crate::catalog::{self, Catalog, Index, IndexState};
use crate::database::{Database, WeakDatabase};
use crate::error::{sqlstate, Error, Result};
use crate::interrupt::StatementInterrupt;
use crate::sql::execute::{self, ExecContext};
use crate::sql::functions::FunctionContext;
use crate::statistics;
use crate::storage::keycode::{encode_key, table_prefix};
use crate::storage::prefix_range;
use crate::txn::{DurableWait, Transaction};
use crate::types::{DataType, Row, Value};

/// Rows (or entries) handled per backfill or cleanup transaction: each is a commit (and an fsync), so
/// 500 made a million-row index build 2,000 commits; larger batches meet concurrent writers' conflicts
/// more often (a conflicting batch is read again).
const BATCH_ROWS: usize = 2000;
/// A batch that keeps conflicting with writers this many times in a row fails the job.
const MAX_BATCH_RETRIES: usize = 1000;
/// `class_id` of every job: pg_class, as in DSQL.
const PG_CLASS_OID: i64 = 1259;
const FORMAT_VERSION: u8 = 1;

/// The state of a job, as `sys.jobs` spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    Submitted,
    Processing,
    Completed,
    Failed,
    Cancelled,
}

impl JobStatus {
    pub fn name(self) -> &'static str {
        match self {
            JobStatus::Submitted => "submitted",
            JobStatus::Processing => "processing",
            JobStatus::Completed => "completed",
            JobStatus::Failed => "failed",
            JobStatus::Cancelled => "cancelled",
        }
    }

    pub fn is_finished(self) -> bool {
        matches!(self, JobStatus::Completed | JobStatus::Failed | JobStatus::Cancelled)
    }

    fn from_u8(tag: u8) -> Result<JobStatus> {
        Ok(match tag {
            0 => JobStatus::Submitted,
            1 => JobStatus::Processing,
            2 => JobStatus::Completed,
            3 => JobStatus::Failed,
            4 => JobStatus::Cancelled,
            _ => return Err(corrupt()),
        })
    }
}

/// What a job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobType {
    /// Backfill an index created with CREATE INDEX ASYNC.
    IndexBuild,
    /// Delete the entries of a dropped index, or (index id 0) every key of a dropped table.
    Drop,
    /// Gather a table's statistics.
    Analyze,
    /// Check a table's rows against a constraint added NOT VALID (named by `index_name`).
    ValidateConstraint,
}

impl JobType {
    pub fn name(self) -> &'static str {
        match self {
            JobType::IndexBuild => "INDEX_BUILD",
            JobType::Drop => "DROP",
            JobType::Analyze => "ANALYZE",
            JobType::ValidateConstraint => "VALIDATE_CONSTRAINT",
        }
    }
}

/// One job record.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: String,
    pub status: JobStatus,
    pub details: Option<String>,
    pub job_type: JobType,
    pub table_id: u32,
    /// The index id; 0 for a job on the table itself (a table's DROP, ANALYZE).
    pub index_id: u32,
    /// The index's name, or the table's for a job on the table itself (a VALIDATE_CONSTRAINT job's: the
    /// constraint's).
    pub index_name: String,
    /// `public.<index>` (`public.<table>`) while an index build (ANALYZE) is unfinished; NULL otherwise, as
    /// in DSQL's listing.
    pub object_name: Option<String>,
    pub start_time: DateTime<Utc>,
    pub update_time: Option<DateTime<Utc>>,
}

impl Job {
    /// The job is being worked on.
    fn mark_processing(&mut self) {
        self.status = JobStatus::Processing;
        self.update_time = Some(Utc::now());
    }

    /// The job ended with `status` (completed, failed, cancelled): it no longer names its object.
    fn finish(&mut self, status: JobStatus, details: Option<String>) {
        self.status = status;
        self.details = details;
        self.object_name = None;
        self.update_time = Some(Utc::now());
    }
}

fn corrupt() -> Error {
    Error::internal("corrupt job record")
}

// ---- job ids: 16 random bytes in lowercase RFC 4648 base32 without padding (26 characters) ----

const BASE32: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

/// A new random job id.
pub fn new_job_id() -> String {
    let bytes = *uuid::Uuid::new_v4().as_bytes();
    let mut out = String::with_capacity(26);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for byte in bytes {
        buffer = (buffer << 8) | byte as u32;
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(BASE32[((buffer >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(BASE32[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// Checks that `text` is a job id (DSQL decodes it to a UUID first: 22P02 otherwise).
fn check_job_id(text: &str) -> Result<()> {
    let well_formed = text.len() == 26 && text.bytes().all(|b| BASE32.contains(&b));
    if well_formed {
        Ok(())
    } else {
        Err(Error::new(sqlstate::INVALID_TEXT_REPRESENTATION, "Unable to convert text to UUID"))
    }
}

// ---- job records ----

fn job_key(id: &str) -> Vec<u8> {
    encode_key(&table_prefix(0, 4), &[Value::Text(id.to_string())])
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u32).to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn put_opt_str(out: &mut Vec<u8>, s: &Option<String>) {
    match s {
        Some(s) => {
            out.push(1);
            put_str(out, s);
        }
        None => out.push(0),
    }
}

fn encode_job(job: &Job) -> Vec<u8> {
    let mut out = Vec::with_capacity(96);
    out.push(FORMAT_VERSION);
    put_str(&mut out, &job.id);
    out.push(job.status as u8);
    out.push(match job.job_type {
        JobType::IndexBuild => 0,
        JobType::Drop => 1,
        JobType::Analyze => 2,
        JobType::ValidateConstraint => 3,
    });
    out.extend_from_slice(&job.table_id.to_be_bytes());
    out.extend_from_slice(&job.index_id.to_be_bytes());
    put_str(&mut out, &job.index_name);
    put_opt_str(&mut out, &job.object_name);
    put_opt_str(&mut out, &job.details);
    out.extend_from_slice(&job.start_time.timestamp_micros().to_be_bytes());
    match job.update_time {
        Some(time) => {
            out.push(1);
            out.extend_from_slice(&time.timestamp_micros().to_be_bytes());
        }
        None => out.push(0),
    }
    out
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn bytes(&mut self, n: usize) -> Result<&[u8]> {
        if self.0.len() < n {
            return Err(corrupt());
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }
    fn u8(&mut self) -> Result<u8> {
        Ok(self.bytes(1)?[0])
    }
    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_be_bytes(self.bytes(4)?.try_into().map_err(|_| corrupt())?))
    }
    fn time(&mut self) -> Result<DateTime<Utc>> {
        let micros = i64::from_be_bytes(self.bytes(8)?.try_into().map_err(|_| corrupt())?);
        Utc.timestamp_micros(micros).single().ok_or_else(corrupt)
    }
    fn string(&mut self) -> Result<String> {
        let len = self.u32()? as usize;
        String::from_utf8(self.bytes(len)?.to_vec()).map_err(|_| corrupt())
    }
    fn opt_string(&mut self) -> Result<Option<String>> {
        Ok(if self.u8()? == 1 { Some(self.string()?) } else { None })
    }
}

fn decode_job(bytes: &[u8]) -> Result<Job> {
    let mut reader = Reader(bytes);
    if reader.u8()? != FORMAT_VERSION {
        return Err(corrupt());
    }
    Ok(Job {
        id: reader.string()?,
        status: JobStatus::from_u8(reader.u8()?)?,
        job_type: match reader.u8()? {
            0 => JobType::IndexBuild,
            1 => JobType::Drop,
            2 => JobType::Analyze,
            3 => JobType::ValidateConstraint,
            _ => return Err(corrupt()),
        },
        table_id: reader.u32()?,
        index_id: reader.u32()?,
        index_name: reader.string()?,
        object_name: reader.opt_string()?,
        details: reader.opt_string()?,
        start_time: reader.time()?,
        update_time: if reader.u8()? == 1 { Some(reader.time()?) } else { None },
    })
}

fn read_job(txn: &Transaction, id: &str) -> Result<Option<Job>> {
    txn.get(&job_key(id))?.map(|bytes| decode_job(&bytes)).transpose()
}

fn write_job(txn: &mut Transaction, job: &Job) {
    txn.put(job_key(&job.id), encode_job(job));
}

fn all_jobs(txn: &Transaction) -> Result<Vec<Job>> {
    let (start, end) = prefix_range(&table_prefix(0, 4));
    let mut jobs = Vec::new();
    for entry in txn.scan(start, end, false) {
        jobs.push(decode_job(&entry?.1)?);
    }
    jobs.sort_by(|a, b| a.start_time.cmp(&b.start_time).then_with(|| a.id.cmp(&b.id)));
    Ok(jobs)
}

/// Records a newly submitted job inside the transaction that asks for it (the worker picks it up once that
/// transaction commits). `object_name` is what `sys.jobs` shows while the job is pending (DSQL shows the
/// schema-qualified name for builds and ANALYZE, NULL for DROP).
fn submit(
    txn: &mut Transaction,
    id: String,
    job_type: JobType,
    (table_id, index_id): (u32, u32),
    name: &str,
    object_name: Option<String>,
) {
    let job = Job {
        id,
        status: JobStatus::Submitted,
        details: None,
        job_type,
        table_id,
        index_id,
        index_name: name.to_string(),
        object_name,
        start_time: Utc::now(),
        update_time: None,
    };
    write_job(txn, &job);
}

/// Records a submitted build job for `index` (inside the CREATE INDEX transaction).
pub fn submit_index_build(txn: &mut Transaction, job_id: &str, index: &Index) -> Result<()> {
    let ids = (index.table_id, index.id);
    let object = Some(format!("{}.{}", index.schema, index.name));
    submit(txn, job_id.to_string(), JobType::IndexBuild, ids, &index.name, object);
    Ok(())
}

/// Records a job deleting `index`'s entries (inside the DROP INDEX / DROP TABLE transaction).
pub fn submit_drop(txn: &mut Transaction, index: &Index) -> Result<()> {
    submit(txn, new_job_id(), JobType::Drop, (index.table_id, index.id), &index.name, None);
    Ok(())
}

/// Records a job deleting every key of the dropped table `table_id` (inside the DROP TABLE transaction).
pub fn submit_table_drop(txn: &mut Transaction, table_id: u32, table_name: &str) {
    submit(txn, new_job_id(), JobType::Drop, (table_id, 0), table_name, None);
}

/// Records an ANALYZE job for `table` (inside the ANALYZE statement's transaction); returns its id.
pub fn submit_analyze(txn: &mut Transaction, table: &catalog::Table) -> String {
    let id = new_job_id();
    submit(txn, id.clone(), JobType::Analyze, (table.id, 0), &table.name, Some(table.qualified_name()));
    id
}

/// Records a VALIDATE_CONSTRAINT job for `table`'s constraint `name` (inside the ALTER TABLE ASYNC
/// statement's transaction); returns its id.
pub fn submit_validate_constraint(txn: &mut Transaction, table: &catalog::Table, name: &str) -> String {
    let id = new_job_id();
    submit(txn, id.clone(), JobType::ValidateConstraint, (table.id, 0), name, Some(table.qualified_name()));
    id
}

/// Submits the automatic ANALYZE jobs that `TableActivity::record_commit` reserved, as (table id, job id),
/// in one transaction of their own (after the commit whose changes crossed the threshold). Returns the
/// wait for that commit to become durable; a job that cannot be submitted gives its reservation back.
pub(crate) fn submit_auto_analyze(db: &Database, due: &[(u32, String)]) -> Result<Option<DurableWait>> {
    let catalog = db.catalog();
    let mut txn = db.begin();
    for (table_id, job_id) in due {
        match catalog.tables().find(|t| t.id == *table_id) {
            Some(table) => {
                let object = Some(table.qualified_name());
                submit(&mut txn, job_id.clone(), JobType::Analyze, (table.id, 0), &table.name, object)
            }
            None => db.activity().auto_analyze_finished(*table_id, job_id),
        }
    }
    let submitted = txn.commit_deferred();
    if submitted.is_err() {
        for (table_id, job_id) in due {
            db.activity().auto_analyze_finished(*table_id, job_id);
        }
    }
    submitted
}

/// Ends job `id` with `status` unless it already ended (a DROP INDEX of an index still building).
pub fn finish_if_running(txn: &mut Transaction, id: &str, status: JobStatus, details: Option<String>) -> Result<()> {
    if let Some(mut job) = read_job(txn, id)? {
        if !job.status.is_finished() {
            job.finish(status, details);
            write_job(txn, &job);
        }
    }
    Ok(())
}

// ---- sys.jobs ----

/// The columns of `sys.jobs`, as DSQL lists them.
pub const SYS_JOBS_COLUMNS: &[(&str, DataType)] = &[
    ("job_id", DataType::Text),
    ("status", DataType::Text),
    ("details", DataType::Text),
    ("job_type", DataType::Text),
    ("class_id", DataType::Int8),
    ("object_id", DataType::Int8),
    ("object_name", DataType::Text),
    ("start_time", DataType::Text),
    ("update_time", DataType::Text),
];

/// DSQL renders job times as `2026-09-15T22:19:40Z`.
fn render_time(time: DateTime<Utc>) -> Value {
    Value::Text(time.format("%Y-%m-%dT%H:%M:%SZ").to_string())
}

/// The rows of `sys.jobs` as of `txn`'s snapshot.
pub fn sys_jobs_rows(txn: &Transaction) -> Result<Vec<Row>> {
    let text = |s: &Option<String>| s.clone().map_or(Value::Null, Value::Text);
    Ok(all_jobs(txn)?
        .into_iter()
        .map(|job| {
            vec![
                Value::Text(job.id.clone()),
                Value::Text(job.status.name().to_string()),
                text(&job.details),
                Value::Text(job.job_type.name().to_string()),
                Value::Int(PG_CLASS_OID),
                // The index's id, or the table's for a job on the table itself.
                Value::Int(if job.index_id == 0 { job.table_id } else { job.index_id } as i64),
                text(&job.object_name),
                render_time(job.start_time),
                job.update_time.map_or(Value::Null, render_time),
            ]
        })
        .collect())
}

// ---- the worker ----

/// Wakes the worker and tells waiters that a job changed state.
#[derive(Default)]
pub(crate) struct JobSignal {
    state: Mutex<SignalState>,
    changed: Condvar,
}

#[derive(Default)]
struct SignalState {
    /// Jobs may be waiting to run.
    pending: bool,
    shutdown: bool,
    /// Bumped after every job state change, so waiters never miss one.
    generation: u64,
}

impl JobSignal {
    /// Wakes the worker to look for submitted jobs (after a DDL commit).
    pub(crate) fn wake(&self) {
        self.state.lock().pending = true;
        self.changed.notify_all();
    }

    /// Asks the worker to stop after the job it is running.
    pub(crate) fn shut_down(&self) {
        self.state.lock().shutdown = true;
        self.changed.notify_all();
    }

    fn job_changed(&self) {
        self.state.lock().generation += 1;
        self.changed.notify_all();
    }

    /// Sleeps for up to `nap`, or until a job is submitted or shutdown asked for; after a submission, until
    /// the submitting commit is visible (as the worker's loop does before it looks for jobs).
    fn nap(&self, db: &Database, nap: Duration) {
        let submitted = {
            let mut state = self.state.lock();
            if !state.pending && !state.shutdown {
                self.changed.wait_for(&mut state, nap);
            }
            std::mem::take(&mut state.pending)
        };
        if submitted {
            let _ = db.txn_manager().wait_for_written().wait();
        }
    }

    fn shutting_down(&self) -> bool {
        self.state.lock().shutdown
    }
}

/// Starts the worker thread of a database. It holds only a weak handle while idle, so dropping the last
/// `Database` ends it.
pub(crate) fn spawn_worker(db: WeakDatabase, signal: Arc<JobSignal>) -> Result<std::thread::JoinHandle<()>> {
    signal.wake();
    std::thread::Builder::new()
        .name("occam-jobs".into())
        .stack_size(crate::stack::STATEMENT_STACK_SIZE)
        .spawn(move || loop {
            {
                let mut state = signal.state.lock();
                while !state.pending && !state.shutdown {
                    signal.changed.wait(&mut state);
                }
                if state.shutdown {
                    return;
                }
                state.pending = false;
            }
            let Some(db) = db.upgrade() else { return };
            // The submitter may wake us before its commit is durable (a session with deferred durability
            // awaits it after waking us): wait until every commit written so far is visible, so the scan
            // below sees the job that woke us.
            if db.txn_manager().wait_for_written().wait().is_err() {
                continue;
            }
            // A failure here (storage I/O) leaves the jobs to the next wake-up or restart.
            let _ = run_pending(&db, &signal);
        })
        .map_err(|err| Error::internal(format!("cannot start the jobs thread: {err}")))
}

/// How long the worker sleeps when every unfinished job is waiting for old snapshots to end.
const DEFERRED_POLL: Duration = Duration::from_millis(10);
/// The longest the worker sleeps while an automatic ANALYZE waits for its turn (a submitted job wakes it).
const LONGEST_NAP: Duration = Duration::from_secs(1);

/// Runs every unfinished job, oldest first, until none is left.
fn run_pending(db: &Database, signal: &JobSignal) -> Result<()> {
    loop {
        let unfinished: Vec<Job> = all_jobs(&db.begin())?.into_iter().filter(|j| !j.status.is_finished()).collect();
        if unfinished.is_empty() {
            return Ok(());
        }
        let mut progressed = false;
        // How long nothing can run, when nothing did.
        let mut nap = LONGEST_NAP;
        for job in unfinished {
            if signal.shutting_down() {
                return Ok(());
            }
            let outcome = match job.job_type {
                JobType::IndexBuild => build_index(db, signal, &job).map(|()| None),
                JobType::Drop if job.index_id == 0 => {
                    // The DROP committed with the job's first version: a snapshot older than that may still
                    // read the table. (Not the newest commit when the worker first looks: a transaction that
                    // began between the two, such as one waiting for this job, would wait on it for ever.)
                    let txns = db.txn_manager();
                    let dropped_at = txns.first_version_ts(&job_key(&job.id))?.unwrap_or(0);
                    if txns.oldest_snapshot() < dropped_at {
                        // A transaction that began before the DROP may still read the table: later.
                        nap = DEFERRED_POLL;
                        continue;
                    }
                    drop_table_keys(db, signal, &job).map(|()| None)
                }
                JobType::Drop => drop_entries(db, &job).map(|()| None),
                JobType::Analyze => {
                    let wait = db.activity().analyze_wait(job.table_id, &job.id);
                    if !wait.is_zero() {
                        nap = nap.min(wait.max(DEFERRED_POLL));
                        continue;
                    }
                    let began = Instant::now();
                    let outcome = analyze(db, signal, &job);
                    db.activity().analyze_ran(job.table_id, &job.id, began.elapsed());
                    outcome
                }
                JobType::ValidateConstraint => validate_constraint(db, &job),
            };
            progressed = true;
            if signal.shutting_down() {
                // Possibly interrupted: left unfinished, to be resumed at the next open.
                return Ok(());
            }
            let (status, details) = match outcome {
                Ok(details) => (JobStatus::Completed, details),
                Err(err) => (JobStatus::Failed, Some(err.message)),
            };
            // Before the job shows as finished, so whoever waited for it sees the cache as it left it.
            match job.job_type {
                JobType::Analyze => db.activity().auto_analyze_finished(job.table_id, &job.id),
                JobType::Drop if job.index_id == 0 => db.activity().forget(job.table_id),
                _ => {}
            }
            update_job(db, &job.id, |_, job| {
                if job.status.is_finished() {
                    return Ok(false);
                }
                job.finish(status, details.clone());
                Ok(true)
            })?;
            signal.job_changed();
        }
        if !progressed {
            signal.nap(db, nap);
        }
    }
}

/// Applies `change` to job `id` in its own transaction (retried on conflict); `change` returns false to
/// leave the job as it is. The same transaction may write other keys through the `Transaction` it is given.
fn update_job(
    db: &Database,
    id: &str,
    mut change: impl FnMut(&mut Transaction, &mut Job) -> Result<bool>,
) -> Result<()> {
    loop {
        let mut txn = db.begin();
        let Some(mut job) = read_job(&txn, id)? else { return Ok(()) };
        if !change(&mut txn, &mut job)? {
            return Ok(());
        }
        write_job(&mut txn, &job);
        match txn.commit() {
            Ok(_) => return Ok(()),
            Err(err) if err.code == sqlstate::SERIALIZATION_FAILURE => continue,
            Err(err) => return Err(err),
        }
    }
}

/// Commits `txn`, reporting a write conflict as Ok(false) so the caller can retry.
fn commit_or_conflict(txn: Transaction) -> Result<bool> {
    match txn.commit() {
        Ok(_) => Ok(true),
        Err(err) if err.code == sqlstate::SERIALIZATION_FAILURE => Ok(false),
        Err(err) => Err(err),
    }
}

/// Whether the index the job builds still exists (a DROP INDEX or DROP TABLE ends the build).
fn still_building(txn: &Transaction, job: &Job) -> Result<Option<Index>> {
    // By id: the job row keeps the bare name, which another schema's index may share.
    let mut indexes = catalog::load_indexes(txn)?.into_iter();
    Ok(indexes.find(|i| i.id == job.index_id && i.table_id == job.table_id && i.state == IndexState::Building))
}

/// Runs an INDEX_BUILD job: backfill, then flip the index to valid. A unique violation fails the job
/// (Err with PostgreSQL's message) after dropping the index. Returns Ok if the index was dropped meanwhile
/// (its DDL already gave the job its final status).
fn build_index(db: &Database, signal: &JobSignal, job: &Job) -> Result<()> {
    update_job(db, &job.id, |_, job| {
        if job.status != JobStatus::Submitted {
            return Ok(false);
        }
        job.mark_processing();
        Ok(true)
    })?;
    signal.job_changed();
    match backfill(db, signal, job)? {
        Backfill::Stopped => Ok(()),
        Backfill::Duplicate(detail) => {
            let message = format!("could not create unique index \"{}\"", job.index_name);
            let details = format!("{message}: {detail}");
            update_job(db, &job.id, |txn, record| {
                if record.status.is_finished() {
                    return Ok(false);
                }
                if let Some(index) = still_building(txn, job)? {
                    catalog::remove_index(txn, &index)?;
                }
                record.finish(JobStatus::Failed, Some(details.clone()));
                Ok(true)
            })?;
            db.reload_catalog()?;
            Ok(())
        }
        Backfill::Done => {
            update_job(db, &job.id, |txn, record| {
                if record.status.is_finished() {
                    return Ok(false);
                }
                let Some(mut index) = still_building(txn, job)? else { return Ok(false) };
                index.state = IndexState::Valid;
                index.usable_from = txn.start_ts();
                catalog::write_index(txn, &index);
                record.finish(JobStatus::Completed, None);
                Ok(true)
            })?;
            db.reload_catalog()?;
            Ok(())
        }
    }
}

enum Backfill {
    Done,
    /// The index was dropped while building, or the database is closing.
    Stopped,
    /// A unique index met a duplicate key: PostgreSQL's DETAIL.
    Duplicate(String),
}

/// Writes the entry of every row committed before the build into the index, batch by batch.
fn backfill(db: &Database, signal: &JobSignal, job: &Job) -> Result<Backfill> {
    let catalog = Catalog::load(&db.begin(), 0)?;
    let Some(table) = catalog.tables().find(|t| t.id == job.table_id).cloned() else { return Ok(Backfill::Stopped) };
    let Some(index) = table.indexes.iter().find(|i| i.id == job.index_id).cloned() else {
        return Ok(Backfill::Stopped);
    };
    let (_, table_end) = prefix_range(&table.key_prefix);
    let mut from = Bound::Included(table.key_prefix.clone());
    let functions = FunctionContext {
        transaction_timestamp: Utc::now(),
        statement_timestamp: Utc::now(),
        ..FunctionContext::default()
    };
    let mut retries = 0;
    loop {
        let mut txn = db.begin();
        if still_building(&txn, job)?.is_none() || signal.shutting_down() {
            return Ok(Backfill::Stopped);
        }
        let mut rows = Vec::with_capacity(BATCH_ROWS);
        for entry in txn.scan(from.clone(), table_end.clone(), false).take(BATCH_ROWS) {
            let (key, value) = entry?;
            rows.push((key, table.decode_row(&value)?));
        }
        let mut entries = Vec::with_capacity(rows.len());
        {
            let mut ctx = ExecContext::new(&txn, &[], &functions);
            for (_, row) in &rows {
                if let Some(entry) = execute::index_entry(&table, &index, row, &mut ctx)? {
                    entries.push((entry, row));
                }
            }
        }
        for ((key, value), row) in entries {
            if index.unique {
                if let Some(existing) = txn.get(&key)? {
                    let pk = index.entry_primary_key(&table, &value)?;
                    if !existing.starts_with(pk) {
                        return Ok(Backfill::Duplicate(format!(
                            "{} is duplicated.",
                            index.describe_key(&table, row, &index.expression_values_of_key(&table, &key)?)
                        )));
                    }
                }
            }
            txn.put(key, value);
        }
        let last = rows.last().map(|(key, _)| key.clone());
        if !commit_or_conflict(txn)? {
            retries += 1;
            if retries > MAX_BATCH_RETRIES {
                return Err(Error::serialization_failure());
            }
            continue;
        }
        retries = 0;
        match last {
            Some(key) if rows.len() == BATCH_ROWS => from = Bound::Excluded(key.to_vec()),
            _ => return Ok(Backfill::Done),
        }
    }
}

/// Runs a VALIDATE_CONSTRAINT job: checks the rows and marks the constraint validated, in one
/// transaction (retried on conflict). A table or constraint dropped meanwhile completes it with a note.
fn validate_constraint(db: &Database, job: &Job) -> Result<Option<String>> {
    update_job(db, &job.id, |_, job| {
        job.mark_processing();
        Ok(true)
    })?;
    let mut retries = 0;
    loop {
        let mut txn = db.begin();
        let catalog = Arc::new(Catalog::load(&txn, 0)?);
        let Some(mut table) = catalog::read_table_by_id(&txn, job.table_id)? else {
            return Ok(Some("Skipped job for nonexistent table.".to_string()));
        };
        let known = table.checks.iter().any(|c| c.name == job.index_name)
            || table.foreign_keys.iter().any(|k| k.name == job.index_name);
        if !known {
            return Ok(Some(format!("constraint \"{}\" does not exist", job.index_name)));
        }
        let functions = FunctionContext {
            transaction_timestamp: Utc::now(),
            statement_timestamp: Utc::now(),
            catalog,
            ..FunctionContext::default()
        };
        crate::alter_table::validate_constraint(&mut txn, &functions, &mut table, &job.index_name)?;
        let key = table.key();
        catalog::write_table(&mut txn, &table, &key);
        if commit_or_conflict(txn)? {
            db.reload_catalog()?;
            return Ok(None);
        }
        retries += 1;
        if retries > MAX_BATCH_RETRIES {
            return Err(Error::serialization_failure());
        }
    }
}

/// Runs a DROP job: deletes every entry of the dropped index. Entries written later by a writer planned
/// before the DROP cannot exist: such a writer fails at COMMIT (OC001).
fn drop_entries(db: &Database, job: &Job) -> Result<()> {
    update_job(db, &job.id, |_, job| {
        job.mark_processing();
        Ok(true)
    })?;
    let (first, end) = prefix_range(&table_prefix(job.table_id, job.index_id));
    // Each batch starts after the last key the previous one deleted: a scan from the first key would step
    // over every entry deleted so far (their tombstones stay until collected), again in every batch.
    let mut start = first.clone();
    let mut deleted_in_sweep = false;
    loop {
        let mut txn = db.begin();
        let keys: Vec<Vec<u8>> = txn
            .scan(start.clone(), end.clone(), false)
            .take(BATCH_ROWS)
            .map(|e| e.map(|(k, _)| k.to_vec()))
            .collect::<Result<_>>()?;
        let Some(last) = keys.last().cloned() else {
            // The end: done, unless this sweep deleted entries (then one more from the first key, for an
            // entry a late writer added behind the cursor).
            if !std::mem::take(&mut deleted_in_sweep) {
                return Ok(());
            }
            start = first.clone();
            continue;
        };
        for key in keys {
            txn.delete(key);
        }
        // A conflict means a late writer touched an entry: the batch is read again.
        if commit_or_conflict(txn)? {
            start = Bound::Excluded(last);
            deleted_in_sweep = true;
        }
    }
}

/// Marks a job `processing` (unless it already ended).
fn start(db: &Database, id: &str) -> Result<()> {
    update_job(db, id, |_, job| {
        if job.status.is_finished() {
            return Ok(false);
        }
        job.mark_processing();
        Ok(true)
    })
}

/// Runs the DROP job of a dropped table (once no snapshot from before the DROP is live): removes every
/// stored key of its rows and index entries from storage, then its statistics row.
fn drop_table_keys(db: &Database, signal: &JobSignal, job: &Job) -> Result<()> {
    start(db, &job.id)?;
    // `table_prefix(id, index)` without the index id: the table's rows and every index's entries.
    let prefix = &table_prefix(job.table_id, 0)[..5];
    let mut removed_up_to = None;
    while db.txn_manager().purge_prefix(prefix, &mut removed_up_to, BATCH_ROWS)? > 0 {
        if signal.shutting_down() {
            return Ok(());
        }
    }
    loop {
        let mut txn = db.begin();
        let key = statistics::statistics_key(job.table_id);
        if txn.get(&key)?.is_none() {
            return Ok(());
        }
        txn.delete(key);
        if commit_or_conflict(txn)? {
            return Ok(());
        }
    }
}

/// The note of an ANALYZE job whose table was dropped before it ran, as DSQL words it.
const SKIPPED_NONEXISTENT_TABLE: &str = "Skipped job for nonexistent table.";

/// The table an ANALYZE job is for, if it still exists in `txn`'s snapshot (same name, same id).
fn analyzed_table(txn: &Transaction, job: &Job) -> Result<Option<catalog::Table>> {
    Ok(catalog::read_table_by_id(txn, job.table_id)?.filter(|t| t.name == job.index_name))
}

/// Runs an ANALYZE job: computes the table's statistics at one snapshot and stores them. Returns the job's
/// details (the note for a table dropped meanwhile).
fn analyze(db: &Database, signal: &JobSignal, job: &Job) -> Result<Option<String>> {
    start(db, &job.id)?;
    signal.job_changed();
    // The changes counted before the snapshot are what the statistics will include.
    let mark = db.activity().mark(job.table_id);
    let stats = {
        let txn = db.begin();
        let Some(table) = analyzed_table(&txn, job)? else { return Ok(Some(SKIPPED_NONEXISTENT_TABLE.into())) };
        statistics::compute(&txn, &table)?
    };
    loop {
        let mut txn = db.begin();
        // A table dropped during the scan: its DROP job (which runs after this one) would delete the row.
        if analyzed_table(&txn, job)?.is_none() {
            return Ok(Some(SKIPPED_NONEXISTENT_TABLE.into()));
        }
        // A newer ANALYZE that already stored statistics from a later snapshot wins.
        if statistics::read(&txn, job.table_id)?.is_some_and(|old| old.analyzed_at > stats.analyzed_at) {
            return Ok(None);
        }
        statistics::write(&mut txn, &stats);
        if commit_or_conflict(txn)? {
            db.activity().analyzed(Arc::new(stats), &mark);
            return Ok(None);
        }
    }
}

/// `CALL sys.wait_for_job(id)`: blocks until the job ends; true if it completed.
pub fn wait_for_job(db: &Database, id: &str, interrupt: &StatementInterrupt) -> Result<bool> {
    check_job_id(id)?;
    let signal = db.job_signal();
    // The wait wakes up now and then to see whether the statement was cancelled or timed out.
    let slice = if interrupt.is_interruptible() { Duration::from_millis(50) } else { Duration::from_secs(1) };
    loop {
        interrupt.check()?;
        let generation = signal.state.lock().generation;
        let job = read_job(&db.begin(), id)?
            .ok_or_else(|| Error::new(sqlstate::UNDEFINED_OBJECT, format!("job \"{id}\" does not exist")))?;
        if job.status.is_finished() {
            // The worker reloads the catalog after the flip; make sure the caller's next plan sees it.
            db.reload_catalog()?;
            return Ok(job.status == JobStatus::Completed);
        }
        let mut state = signal.state.lock();
        if state.generation == generation {
            // The timeout only guards against a worker that died (and lets a cancel be seen); state changes
            // always notify.
            signal.changed.wait_for(&mut state, slice);
        }
    }
}

/// The error a synchronous `CREATE INDEX` reports when its build job did not complete, from the job's
/// details (a unique build over duplicates is PostgreSQL's 23505 `could not create unique index`).
pub fn failure(db: &Database, id: &str) -> Error {
    let job = match read_job(&db.begin(), id) {
        Ok(Some(job)) => job,
        Ok(None) => return Error::new(sqlstate::UNDEFINED_OBJECT, format!("job \"{id}\" does not exist")),
        Err(err) => return err,
    };
    let details = job.details.unwrap_or_else(|| format!("index build {}", job.status.name()));
    match details.split_once(": ") {
        Some((message, detail)) if message.starts_with("could not create unique index") => {
            Error::new(sqlstate::UNIQUE_VIOLATION, message).with_detail(detail)
        }
        _ => Error::new(sqlstate::OBJECT_NOT_IN_PREREQUISITE_STATE, details),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_ids_are_26_base32_characters() {
        let id = new_job_id();
        assert_eq!(id.len(), 26);
        assert!(check_job_id(&id).is_ok());
        assert_ne!(id, new_job_id());
        assert_eq!(check_job_id("no-such-job").unwrap_err().code, "22P02");
    }
}
