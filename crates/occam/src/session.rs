//! A session: one client's statement lifecycle, transaction block state and prepared statements.
//!
//! This is the contract between the wire layer (and in-process callers such as tests) and the SQL engine.
//! The wire layer never sees ASTs or plans: it hands SQL text and parameter values in, and gets
//! [`QueryResult`]s or [`Error`]s with SQLSTATEs out.
//!
//! Transaction handling follows PostgreSQL with Aurora DSQL's rules on top:
//!
//! ```text
//!   Idle --BEGIN--> InTransaction --error--> Failed (25P02 for all but COMMIT/ROLLBACK)
//!     ^                 |  COMMIT (40001 -> error, Idle)      |  COMMIT -> tag ROLLBACK
//!     +-----------------+-------------------------------------+  ROLLBACK
//! ```
//! Outside a block each statement runs in its own transaction, committed at its end (autocommit); the
//! statements of one multi-statement simple query run in one implicit transaction, so an error rolls back
//! the ones before it. The database's rule table (`compat::Rules`) decides the rest: in DSQL mode a
//! transaction holds at most one DDL statement and never mixes DDL with DML (0A000), modifies at most 3,000
//! rows (54000 at the statement that crosses it), writes at most 10 MiB (54000 at COMMIT) and lives at most
//! 5 minutes (54000 at its next statement or COMMIT). Prepared statements are planned once and re-planned
//! only when the catalog changed.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use parking_lot::Mutex;

use crate::catalog;
use crate::catalog::schemas::with_search_path;
use crate::compat::Rules;
use crate::database::Database;
use crate::error::{sqlstate, Error, Result};
use crate::interrupt::StatementInterrupt;
use crate::roles;
use crate::settings::SessionSettings;
use crate::sql::ast::{
    self, AlterTableAction, CopyEndpoint, DiscardTarget, IndexTarget, SavepointAction, SchemaStatement,
    SequenceStatement, SessionCommand, Statement,
};
use crate::sql::copy::{self, CopyFormat};
use crate::sql::execute::{
    self,
    memory::{MemoryLimits, ResultHold},
};
use crate::sql::explain;
use crate::sql::functions::FunctionContext;
use crate::sql::optimize::PlanCache;
use crate::sql::parse;
use crate::sql::plan::{self, Plan, PlannedStatement};
use crate::sql::privileges;
use crate::statement_cache::{BindContext, StatementCache};
use crate::table_activity::TableChanges;
use crate::txn::{DurableWait, Transaction};
use crate::types::zone;
use crate::types::{DataType, Row, Value};

/// The transaction state reported in ReadyForQuery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransactionStatus {
    /// 'I': not in a transaction block.
    Idle,
    /// 'T': in a transaction block.
    InTransaction,
    /// 'E': in a failed transaction block (statements get 25P02 until ROLLBACK/COMMIT).
    Failed,
}

/// A result column.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    pub data_type: DataType,
    /// The table column it comes straight from, if any (RowDescription's table OID and attribute number).
    pub origin: Option<ColumnOrigin>,
}

/// Where a result column comes from: a table's column, named as PostgreSQL's catalogs name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColumnOrigin {
    /// The table's OID: [`ColumnOrigin::FIRST_TABLE_OID`] + the table's catalog id.
    pub table_oid: u32,
    /// The column's 1-based position among the table's visible columns (`pg_attribute.attnum`).
    pub column_number: i16,
}

impl ColumnOrigin {
    /// PostgreSQL's first OID for user objects (`FirstNormalObjectId`): table OIDs start here.
    pub const FIRST_TABLE_OID: u32 = 16384;

    pub fn new(table_id: u32, column_number: i16) -> ColumnOrigin {
        ColumnOrigin { table_oid: Self::FIRST_TABLE_OID + table_id, column_number }
    }
}

/// The outcome of one statement.
#[derive(Debug, Clone, PartialEq)]
pub enum QueryResult {
    /// A statement that returns rows (SELECT, or DML with RETURNING). `tag` is the command tag
    /// (`SELECT 5`, `UPDATE 1`, ...).
    Rows { columns: Arc<[Column]>, rows: Vec<Row>, tag: String },
    /// A statement without a result set; `tag` is its command tag (`CREATE TABLE`, `INSERT 0 3`, `BEGIN`).
    Command { tag: String },
    /// An empty query string.
    Empty,
    /// `COPY ... FROM STDIN` is waiting for its data: the client sends it (see [`Session::copy_in_data`]),
    /// then [`Session::finish_copy_in`] inserts it, or [`Session::fail_copy_in`] abandons it.
    CopyIn { format: CopyFormat, columns: usize },
    /// `COPY ... TO STDOUT`'s output: `data` holds one CopyData message's bytes per piece (header, rows,
    /// trailer); `tag` is `COPY n`.
    CopyOut { format: CopyFormat, columns: usize, data: Vec<Vec<u8>>, tag: String },
}

impl QueryResult {
    /// The row count of a DML statement's result (`INSERT 0 n`, `UPDATE n`, `DELETE n`).
    pub fn rows_affected(&self) -> usize {
        let tag = match self {
            QueryResult::Rows { tag, .. } | QueryResult::Command { tag } | QueryResult::CopyOut { tag, .. } => tag,
            QueryResult::Empty | QueryResult::CopyIn { .. } => return 0,
        };
        tag.rsplit(' ').next().and_then(|n| n.parse().ok()).unwrap_or(0)
    }
}

/// Something a statement did to the connection's protocol-level objects, for the wire layer to apply
/// (see [`Session::take_effects`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionEffect {
    /// `DEALLOCATE name`: the protocol-level prepared statement of that name is gone.
    Deallocate(String),
    /// `DEALLOCATE ALL` / `DISCARD ALL`: every protocol-level prepared statement is gone.
    DeallocateAll,
    /// `CLOSE ALL` / `DISCARD ALL`: every portal is gone.
    CloseAllPortals,
}

/// A simple-protocol query string, parsed: its statements, each parsed on its own (a statement occam
/// refuses, 0A000 and the like, fails only when execution reaches it, as in PostgreSQL).
pub struct QueryString {
    statements: Result<Vec<Result<Statement>>>,
    /// The text, for the contention view (`sys.occ_conflicts` shows what a losing transaction ran).
    text: Arc<str>,
    /// The session's prepared statement for this text, when it had run it before (then `statements` is
    /// empty: nothing was parsed); see `crate::statement_cache`.
    cached: Option<Arc<PreparedStatement>>,
}

impl QueryString {
    pub fn parse(sql: &str) -> QueryString {
        QueryString { statements: parse::parse_each(sql), text: sql.into(), cached: None }
    }

    /// Whether running it may hold its thread for long: waits for background jobs (`CALL`), DDL (which
    /// waits for its commit to be durable and reloads the catalog, or builds an index in postgres mode),
    /// and several statements (each commit but the last is waited for before the next statement runs).
    /// A single transaction-control, DML, query or `SET`/`SHOW` statement only computes.
    pub fn may_block(&self) -> bool {
        if self.cached.is_some() {
            // Only queries and DML are cached.
            return false;
        }
        match &self.statements {
            Ok(statements) => match statements.as_slice() {
                [] | [Err(_)] => false,
                [Ok(statement)] => !matches!(
                    statement,
                    Statement::Begin { .. }
                        | Statement::Commit
                        | Statement::Rollback
                        | Statement::Savepoint { .. }
                        | Statement::Insert(_)
                        | Statement::Copy(_)
                        | Statement::Update(_)
                        | Statement::Delete(_)
                        | Statement::Query(_)
                        | Statement::Set { .. }
                        | Statement::Show { .. }
                        | Statement::SetTransaction { .. }
                ),
                _ => true,
            },
            Err(_) => false,
        }
    }
}

/// Whether a query string of this one statement is kept prepared once it repeats (`crate::statement_cache`):
/// queries and DML, whose plans the prepared statement re-binds when the catalog changes.
fn is_cacheable(statement: &Statement) -> bool {
    matches!(statement, Statement::Query(_) | Statement::Insert(_) | Statement::Update(_) | Statement::Delete(_))
}

/// Whether a query string goes on after one of its statements (`Session::run_batch_statement`).
enum BatchStep {
    Next,
    Failed,
    /// A `COPY ... FROM STDIN` waits for its data.
    Copying,
}

/// A parsed and planned statement, reusable across executions.
pub struct PreparedStatement {
    pub sql: String,
    /// The type of each `$n` parameter, inferred where the client did not declare it.
    pub param_types: Vec<DataType>,
    /// Result columns (empty for statements without a result set).
    pub columns: Arc<[Column]>,
    /// The parsed statement (None for an empty query string).
    statement: Option<Statement>,
    /// The plan, for statements that have one, with the catalog version it was bound against, and the
    /// search path its names were looked up through.
    plan: Mutex<Option<KeptPlan>>,
    /// Whether a client was told `columns` (Parse / Describe): a re-plan must then keep them. False for
    /// the session's own cache of simple-protocol statements, whose results describe themselves.
    columns_promised: bool,
}

/// A prepared statement's bound plan, kept for its later executions, with the physical plan of its query
/// (kept while the statistics and settings it was made with hold).
struct KeptPlan {
    search_path: Vec<String>,
    planned: Arc<PlannedStatement>,
    physical: Arc<PlanCache>,
}

impl KeptPlan {
    /// `planned`, bound through the names of `search_path`, with no physical plan yet.
    fn new(planned: PlannedStatement, search_path: Vec<String>) -> Self {
        KeptPlan { search_path, planned: Arc::new(planned), physical: Arc::default() }
    }
}

impl PreparedStatement {
    /// Whether executing it may block for long (`CALL sys.wait_for_job` waits for a background job), so a
    /// server should run it off its async worker threads.
    pub fn may_block(&self) -> bool {
        matches!(self.statement, Some(Statement::Call { .. }))
    }

    /// The plan, re-planned (keeping the parameter types) against `catalog` if the catalog or the search
    /// path changed since it was made. After DDL in the open transaction (`own_ddl`; `catalog` is then what
    /// that transaction sees) it is always planned afresh and not kept: those changes may roll back.
    fn current_plan(
        &self,
        db: &Database,
        catalog: &catalog::Catalog,
        own_ddl: bool,
        statement: &Statement,
        user: &str,
    ) -> Result<(Arc<PlannedStatement>, Option<Arc<PlanCache>>)> {
        let mut cached = self.plan.lock();
        let version = db.catalog_version();
        let path = crate::catalog::schemas::search_path();
        if let (Some(kept), false) = (cached.as_ref(), own_ddl) {
            if kept.planned.catalog_version == version && kept.search_path == path {
                return Ok((kept.planned.clone(), Some(kept.physical.clone())));
            }
        }
        let plan = crate::sql::bind::plan_statement_as(catalog, statement, &self.param_types, Some(user))?;
        // The client was told the result's columns when it prepared the statement (RowDescription) and
        // decodes rows by them: a schema change that alters them fails the statement, as in PostgreSQL.
        let shape = |columns: &[Column]| columns.iter().map(|c| (c.name.clone(), c.data_type)).collect::<Vec<_>>();
        if self.columns_promised && shape(&plan.columns) != shape(&self.columns) {
            return Err(Error::unsupported("cached plan must not change result type"));
        }
        if own_ddl {
            return Ok((Arc::new(plan), None));
        }
        let kept = cached.insert(KeptPlan::new(plan, path));
        Ok((kept.planned.clone(), Some(kept.physical.clone())))
    }
}

/// A transaction in progress.
struct ActiveTransaction {
    txn: Transaction,
    /// now() / CURRENT_TIMESTAMP for every statement of the transaction.
    started_at: DateTime<Utc>,
    /// Opened by BEGIN (false: an implicit transaction of one statement or one multi-statement query).
    explicit: bool,
    did_ddl: bool,
    did_dml: bool,
    /// Rows inserted, updated or deleted so far (for the rows-per-transaction limit).
    rows_modified: usize,
    /// Jobs of synchronous `CREATE INDEX` and `ANALYZE` statements (PostgreSQL mode), awaited after COMMIT.
    synchronous_builds: Vec<String>,
    /// ANALYZE submitted jobs: the worker is woken after COMMIT.
    submitted_jobs: bool,
    /// Rows changed per table id, handed to the database's counters at COMMIT (see `table_activity`).
    table_changes: HashMap<u32, TableChanges>,
    /// Open savepoints, oldest first (PostgreSQL mode).
    savepoints: Vec<Savepoint>,
    /// Temporary tables this transaction created `ON COMMIT DELETE ROWS` / `DROP` (by table id).
    temporary_on_commit: Vec<(u32, ast::OnCommit)>,
    /// `READ ONLY` (BEGIN, SET TRANSACTION, `default_transaction_read_only`): writes fail with 25006.
    read_only: bool,
    /// The text of the last query string or prepared statement that ran in it (besides COMMIT), for the
    /// contention view.
    last_statement: Arc<str>,
}

/// What `ROLLBACK TO SAVEPOINT` returns the transaction to: its writes and locks and the session's
/// bookkeeping of them, as they were at `SAVEPOINT name`.
struct Savepoint {
    name: String,
    checkpoint: crate::txn::Checkpoint,
    did_ddl: bool,
    did_dml: bool,
    rows_modified: usize,
    synchronous_builds: usize,
    table_changes: HashMap<u32, TableChanges>,
}

/// A `COPY ... FROM STDIN` receiving its data.
struct PendingCopyIn {
    plan: plan::CopyFromPlan,
    catalog_version: u64,
    /// Whether the COPY is one statement of several in a query string (its implicit transaction then
    /// ends with the string, not with the COPY).
    in_batch: bool,
    data: Vec<u8>,
}

/// The statements of a query string after a `COPY ... FROM STDIN`, run once its data is in.
struct RestOfBatch {
    statements: std::vec::IntoIter<Result<Statement>>,
    in_batch: bool,
}

enum State {
    Idle,
    Active(Box<ActiveTransaction>),
    /// A block after an error: statements get 25P02 until ROLLBACK, COMMIT or (when the block has
    /// savepoints, kept here) ROLLBACK TO SAVEPOINT.
    Failed(Option<Box<ActiveTransaction>>),
}

/// One client's session.
pub struct Session {
    db: Database,
    user: String,
    /// Whether the session has the administrator's rights (see `roles`): it is `admin`, or its user name
    /// was no role when it was opened. Other sessions' statements are checked by `sql::privileges`.
    superuser: bool,
    state: State,
    /// Run-time parameters (SET / SHOW / RESET, set_config / current_setting) and the backend pid.
    settings: SessionSettings,
    /// Statements prepared with SQL `PREPARE name AS ...`, by name.
    prepared: HashMap<String, Arc<PreparedStatement>>,
    /// Names of the protocol-level prepared statements the connection holds (the same namespace as
    /// `PREPARE`'s, for `DEALLOCATE`), as the wire layer reports them.
    protocol_statements: HashSet<String>,
    /// What statements did that the protocol layer must act on (see [`SessionEffect`]).
    effects: Vec<SessionEffect>,
    /// See [`Session::set_deferred_durability`].
    defer_durability: bool,
    /// A commit `execute` returned before it was durable, for the caller to await.
    pending_commit: Option<DurableWait>,
    /// The running top-level statement's cancel flag and `statement_timeout` deadline.
    interrupt: Option<StatementInterrupt>,
    /// The COPY FROM STDIN waiting for its data, if any.
    copy_in: Option<PendingCopyIn>,
    /// What is left of the query string that COPY FROM STDIN interrupted.
    rest_of_batch: Option<RestOfBatch>,
    /// This session's temporary tables created `ON COMMIT DELETE ROWS` (by table id) in committed
    /// transactions: each COMMIT empties those that still exist.
    temporary_on_commit: Vec<(u32, ast::OnCommit)>,
    /// Notices and warnings raised by statements, until the client is sent them (`take_notices`).
    notices: Vec<Error>,
    /// The result rows of the statements last run, counted against the server's query memory until the
    /// client was sent them (the next query string or Execute releases them).
    result_holds: Vec<ResultHold>,
    /// `DECLARE`d cursors (`crate::cursors`).
    cursors: crate::cursors::Cursors,
    /// The query string or prepared statement running now (see `ActiveTransaction::last_statement`).
    query_text: Arc<str>,
    /// The session's last writing COMMIT failed with 40001: the next one that succeeds is a retry.
    retry_pending: bool,
    /// Conflict injection's random sequence (`crate::conflicts`).
    injector: crate::conflicts::Injector,
    /// Simple-protocol statements run before, prepared (`crate::statement_cache`).
    statement_cache: StatementCache,
}

/// Notices kept for a session that does not take them (`Session::take_notices`).
const MAX_PENDING_NOTICES: usize = 1_000;

/// Length of the table prefix of every row key (`storage::keycode::table_prefix`), which the key size
/// limit does not count: DSQL limits the size of the key columns.
const KEY_PREFIX_LEN: usize = 9;

/// A DDL transaction's conflict, which can only be through catalog rows, as DSQL reports it: OC001.
fn as_schema_conflict(err: Error) -> Error {
    let schema = crate::txn::schema_conflict();
    match err.conflict() {
        Some(conflict) => schema
            .with_conflict(crate::error::Conflict { kind: crate::error::ConflictKind::Schema, ..conflict.clone() }),
        None => schema,
    }
}

/// `server_version_num` of a `major.minor` version: `15.18` is `150018`.
fn version_number(version: &str) -> String {
    let (major, minor) = version.split_once('.').unwrap_or((version, "0"));
    format!("{}{:04}", major, minor.parse::<u32>().unwrap_or(0))
}

fn command(tag: &str) -> QueryResult {
    QueryResult::Command { tag: tag.to_string() }
}

impl Session {
    pub(crate) fn new(db: Database, user: &str) -> Session {
        let superuser = user == crate::roles::ADMIN_ROLE || !db.catalog().roles.exists(user);
        let settings = SessionSettings::new(user, superuser);
        let version = db.rules().server_version;
        if version != crate::wire::SERVER_VERSION {
            settings.set_server_value("server_version", version).expect("a version is a valid value");
            settings.set_server_value("server_version_num", &version_number(version)).expect("a number");
        }
        let workers = db.planner_defaults().max_parallel_workers_per_gather.min(1024).to_string();
        settings.set_server_value("max_parallel_workers_per_gather", &workers).expect("a number of workers");
        if let Some(timeout) = db.default_statement_timeout() {
            let milliseconds = timeout.as_millis().min(i32::MAX as u128).to_string();
            settings.set_server_value("statement_timeout", &milliseconds).expect("a valid number of milliseconds");
        }
        for (name, value) in db.session_defaults().iter().chain(&db.catalog().roles.settings_of(user)) {
            // Checked when set; a value a later version no longer accepts is left out, not fatal.
            if let Err(err) = settings.set_server_value(name, value) {
                tracing::warn!("default {name} = {value} ignored: {}", err.message);
            }
        }
        Session {
            db,
            user: user.to_string(),
            superuser,
            state: State::Idle,
            settings,
            prepared: HashMap::new(),
            protocol_statements: HashSet::new(),
            effects: Vec::new(),
            defer_durability: false,
            pending_commit: None,
            interrupt: None,
            copy_in: None,
            rest_of_batch: None,
            temporary_on_commit: Vec::new(),
            notices: Vec::new(),
            result_holds: Vec::new(),
            cursors: crate::cursors::Cursors::default(),
            query_text: "".into(),
            retry_pending: false,
            injector: Default::default(),
            statement_cache: StatementCache::default(),
        }
    }

    /// This session's temporary schema (`pg_temp_<backend pid>`; it exists once a temporary table does).
    fn temporary_schema(&self) -> String {
        temporary_schema_of(&self.settings)
    }

    /// The schemas unqualified names are looked up in: `search_path`, with the session's temporary schema
    /// first unless the path places `pg_temp` itself, as PostgreSQL searches it.
    fn search_path(&self) -> Vec<String> {
        let temporary = self.temporary_schema();
        let mut path: Vec<String> = self
            .settings
            .search_path()
            .into_iter()
            .map(|schema| if schema == "pg_temp" { temporary.clone() } else { schema })
            .collect();
        if !path.contains(&temporary) {
            path.insert(0, temporary);
        }
        path
    }
}

impl Drop for Session {
    /// A session's temporary tables go with it (best effort: a failure is logged, and the next start
    /// drops whatever is left).
    fn drop(&mut self) {
        if let Err(err) = self.drop_temporary_tables() {
            tracing::warn!("dropping the temporary schema {}: {}", self.temporary_schema(), err.message);
        }
    }
}

impl Session {
    /// Drops this session's temporary tables and schema in a transaction of their own (the session's end,
    /// `DISCARD TEMP` / `ALL` outside a block).
    fn drop_temporary_tables(&self) -> Result<()> {
        let schema = self.temporary_schema();
        if self.db.catalog().schemas.contains_key(&schema)
            && catalog::schemas::drop_temporary(|| self.db.begin(), Some(&schema))?
        {
            self.db.reload_catalog()?;
            self.db.wake_jobs();
        }
        Ok(())
    }
}

fn temporary_schema_of(settings: &SessionSettings) -> String {
    format!("{}{}", catalog::schemas::TEMPORARY_PREFIX, settings.backend_pid())
}

/// A `CREATE TEMP TABLE`'s definition placed in the session's temporary schema `schema` (created with its
/// first temporary table, for `user`).
fn place_temporary(
    txn: &mut Transaction,
    create: &ast::CreateTable,
    schema: String,
    user: &str,
) -> Result<ast::CreateTable> {
    {
        if create.temporary.is_none() {
            return Ok(create.clone());
        }
        match create.name.schema.as_deref() {
            None | Some("pg_temp") => {}
            Some(other) if *other == schema => {}
            Some(_) => {
                return Err(Error::new(
                    sqlstate::INVALID_TABLE_DEFINITION,
                    "cannot create temporary relation in non-temporary schema",
                ))
            }
        }
        catalog::schemas::ensure_temporary(txn, &schema, user)?;
        let name = ast::ObjectName { schema: Some(schema), name: create.name.name.clone() };
        Ok(ast::CreateTable { name, ..create.clone() })
    }
}

impl Session {
    /// The role this session connected as.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The database this session belongs to.
    pub fn database(&self) -> &Database {
        &self.db
    }

    /// The session's `TimeZone` setting as a zone: what timestamptz values read and print in (UTC when
    /// nothing set it). Whoever formats this session's result rows as text does so inside
    /// [`zone::with_session_zone`] with it.
    pub fn time_zone(&self) -> zone::Zone {
        self.settings.get("timezone").and_then(|value| zone::Zone::of_setting(&value).ok()).unwrap_or(zone::Zone::UTC)
    }

    /// Runs a simple-protocol query string that may hold several `;`-separated statements. Returns one
    /// result per statement executed; execution stops after the first error, which is the last element.
    /// Every commit is durable when this returns.
    pub fn execute_batch(&mut self, sql: &str) -> Vec<Result<QueryResult>> {
        let defer = std::mem::replace(&mut self.defer_durability, false);
        let batch = self.query_string(sql);
        let results = self.run_batch(batch);
        self.defer_durability = defer;
        results
    }

    /// Runs a parsed query string as [`execute_batch`](Self::execute_batch) does, except that with
    /// deferred durability the last commit may still be pending (see
    /// [`take_pending_commit`](Self::take_pending_commit)): servers await it before answering.
    ///
    /// A `COPY ... FROM STDIN` ends the results early with [`QueryResult::CopyIn`]; the rest of the string
    /// runs in [`resume_batch`](Self::resume_batch) once the COPY is done.
    pub fn run_batch(&mut self, batch: QueryString) -> Vec<Result<QueryResult>> {
        self.abandon_copy();
        self.result_holds.clear();
        // A cancel (CancelRequest, pg_cancel_backend) reaches the statements of this query string only.
        let _running = self.settings.interrupts().begin();
        self.query_text = batch.text;
        if let Some(prepared) = batch.cached {
            let statement = prepared.statement.as_ref().ok_or_else(|| Error::internal("an empty cached statement"));
            return self.run_single_statement(statement, Some(&prepared));
        }
        let mut statements = match batch.statements {
            Ok(statements) => statements,
            Err(err) => {
                self.on_error();
                return vec![Err(err)];
            }
        };
        if statements.is_empty() {
            return vec![Ok(QueryResult::Empty)];
        }
        // A query or DML string seen before: run as always, then prepared for its next arrival.
        let repeated = match statements.as_slice() {
            [Ok(statement)] if is_cacheable(statement) => self.statement_cache.seen_again(&self.query_text),
            _ => false,
        };
        if let Some(Ok(statement)) = repeated.then(|| statements.pop()).flatten() {
            let results = self.run_single_statement(Ok(&statement), None);
            if matches!(results.last(), Some(Ok(_))) && !self.did_ddl_in_transaction() {
                self.cache_statement(statement);
            }
            return results;
        }
        let in_batch = statements.len() > 1;
        self.run_statements(statements.into_iter(), in_batch)
    }

    /// A query string of one statement, run as `run_statements` runs each (`prepared`: its cached form).
    fn run_single_statement(
        &mut self,
        statement: Result<&Statement>,
        prepared: Option<&PreparedStatement>,
    ) -> Vec<Result<QueryResult>> {
        let mut results = Vec::with_capacity(1);
        self.run_batch_statement(statement, prepared, false, &mut results);
        self.end_batch(&mut results);
        results
    }

    /// The query string `sql`, prepared already when this session ran it before (see
    /// `crate::statement_cache`), else parsed.
    pub fn query_string(&mut self, sql: &str) -> QueryString {
        let time_zone = self.settings.get("timezone").unwrap_or_default();
        match self.statement_cache.get(sql, &self.user, &time_zone) {
            Some(prepared) => QueryString { statements: Ok(Vec::new()), text: sql.into(), cached: Some(prepared) },
            None => QueryString::parse(sql),
        }
    }

    /// What a cached statement must have been bound under to be used now.
    fn bind_context(&self) -> BindContext {
        BindContext { user: self.user.clone(), time_zone: self.settings.get("timezone").unwrap_or_default() }
    }

    /// Prepares the statement of the query string that just ran, for the next time it arrives. A statement
    /// that cannot be prepared (Parse would refuse it too) simply stays uncached.
    fn cache_statement(&mut self, statement: Statement) {
        let text = self.query_text.clone();
        let (zone, path) = (self.time_zone(), self.search_path());
        let prepared = zone::with_session_zone(zone, || {
            with_search_path(path, || self.prepare_parsed(&text, Some(statement), &[]))
        });
        if let Ok(mut prepared) = prepared {
            if let Some(unshared) = Arc::get_mut(&mut prepared) {
                unshared.columns_promised = false;
            }
            let context = self.bind_context();
            self.statement_cache.insert(&text, prepared, context);
        }
    }

    /// Runs the rest of the query string a `COPY ... FROM STDIN` interrupted (nothing if it failed: a
    /// failed COPY ends its query string like any error).
    pub fn resume_batch(&mut self) -> Vec<Result<QueryResult>> {
        let Some(rest) = self.rest_of_batch.take() else { return Vec::new() };
        let _running = self.settings.interrupts().begin();
        self.run_statements(rest.statements, rest.in_batch)
    }

    fn run_statements(
        &mut self,
        mut statements: std::vec::IntoIter<Result<Statement>>,
        in_batch: bool,
    ) -> Vec<Result<QueryResult>> {
        let mut results = Vec::with_capacity(statements.len());
        for statement in statements.by_ref() {
            match self.run_batch_statement(statement.as_ref().map_err(Error::clone), None, in_batch, &mut results) {
                BatchStep::Next => {}
                BatchStep::Failed => return results,
                BatchStep::Copying => {
                    self.rest_of_batch = Some(RestOfBatch { statements, in_batch });
                    return results;
                }
            }
        }
        self.end_batch(&mut results);
        results
    }

    /// Runs one statement of a query string (a parse error in its place fails there) and appends its
    /// result; says whether the string goes on.
    fn run_batch_statement(
        &mut self,
        statement: Result<&Statement>,
        prepared: Option<&PreparedStatement>,
        in_batch: bool,
        results: &mut Vec<Result<QueryResult>>,
    ) -> BatchStep {
        let result = match statement {
            Ok(statement) => self.run(statement, prepared, &[], in_batch),
            Err(_) if matches!(self.state, State::Failed(_)) => Err(Error::in_failed_transaction()),
            Err(err) => Err(err),
        };
        let failed = result.is_err();
        if failed {
            self.on_error();
        }
        self.end_transaction_settings();
        let copying = matches!(result, Ok(QueryResult::CopyIn { .. }));
        results.push(result);
        match (failed, copying) {
            (true, _) => BatchStep::Failed,
            (false, true) => BatchStep::Copying,
            (false, false) => BatchStep::Next,
        }
    }

    /// What ends a query string whose statements all ran: the implicit transaction of several
    /// statements commits.
    fn end_batch(&mut self, results: &mut Vec<Result<QueryResult>>) {
        if matches!(results.last(), Some(Err(_))) {
            return;
        }
        // The implicit transaction of a multi-statement query ends with the query.
        if matches!(&self.state, State::Active(active) if !active.explicit) {
            if let Err(err) = self.commit_active() {
                results.push(Err(err));
            }
        }
        self.end_transaction_settings();
    }

    /// Parses and plans one statement (extended protocol Parse). `param_types[i]` is the client-declared
    /// type of `$i+1` or `DataType::Unknown` to infer it; more parameters than declared may be inferred.
    pub fn prepare(&mut self, sql: &str, param_types: &[DataType]) -> Result<Arc<PreparedStatement>> {
        let result = self.prepare_inner(sql, param_types);
        if result.is_err() {
            self.on_error();
        }
        result
    }

    fn prepare_inner(&mut self, sql: &str, param_types: &[DataType]) -> Result<Arc<PreparedStatement>> {
        let mut statements = parse::parse(sql)?;
        if statements.len() > 1 {
            return Err(Error::syntax("cannot insert multiple commands into a prepared statement"));
        }
        // Planning may fold constants (a timestamptz literal reads in the session zone).
        let (zone, path) = (self.time_zone(), self.search_path());
        zone::with_session_zone(zone, || {
            with_search_path(path, || self.prepare_parsed(sql, statements.pop(), param_types))
        })
    }

    /// Plans a parsed statement for later executions (Parse, or SQL `PREPARE`).
    fn prepare_parsed(
        &mut self,
        sql: &str,
        statement: Option<Statement>,
        param_types: &[DataType],
    ) -> Result<Arc<PreparedStatement>> {
        let declared: Vec<DataType> =
            param_types.iter().map(|t| if *t == DataType::Unknown { DataType::Text } else { *t }).collect();
        let unplanned = |statement, columns: Vec<Column>| PreparedStatement {
            sql: sql.to_string(),
            param_types: declared.clone(),
            columns: Arc::from(columns),
            statement,
            plan: Mutex::new(None),
            columns_promised: true,
        };
        let prepared = match statement {
            None => unplanned(None, Vec::new()),
            Some(
                statement @ (Statement::Begin { .. }
                | Statement::Commit
                | Statement::Rollback
                | Statement::Savepoint { action: SavepointAction::RollbackTo, .. }),
            ) => unplanned(Some(statement), Vec::new()),
            Some(_) if matches!(self.state, State::Failed(_)) => return Err(Error::in_failed_transaction()),
            Some(statement @ Statement::Savepoint { .. }) => unplanned(Some(statement), Vec::new()),
            Some(statement @ (Statement::Set { .. } | Statement::SetTransaction { .. })) => {
                unplanned(Some(statement), Vec::new())
            }
            // EXECUTE returns what the statement it names returns.
            Some(Statement::Session(SessionCommand::Execute { name, args })) => {
                let target = self.prepared.get(&name).cloned().ok_or_else(|| undefined_prepared_statement(&name))?;
                unplanned(Some(Statement::Session(SessionCommand::Execute { name, args })), target.columns.to_vec())
            }
            // FETCH returns the cursor's columns (none when it does not exist yet: FETCH then fails).
            Some(Statement::Session(fetch @ SessionCommand::Fetch { move_only: false, .. })) => {
                let SessionCommand::Fetch { name, .. } = &fetch else { unreachable!("matched") };
                let columns = self.cursors.columns(name).map(|c| c.to_vec()).unwrap_or_default();
                unplanned(Some(Statement::Session(fetch)), columns)
            }
            Some(statement @ Statement::Session(_)) => unplanned(Some(statement), Vec::new()),
            // A cursor's query is planned as the query it is (its parameters are the statement's).
            Some(Statement::DeclareCursor(declare)) => {
                let planned = crate::sql::bind::plan_statement_as(
                    &self.db.catalog(),
                    &declare.query,
                    param_types,
                    Some(&self.user),
                )?;
                PreparedStatement {
                    sql: sql.to_string(),
                    param_types: planned.param_types.clone(),
                    columns: Arc::from(Vec::new()),
                    statement: Some(Statement::DeclareCursor(declare)),
                    plan: Mutex::new(Some(KeptPlan::new(planned, crate::catalog::schemas::search_path()))),
                    columns_promised: true,
                }
            }
            Some(Statement::Show { name }) => {
                let column =
                    Column { name: crate::settings::display_name(&name), data_type: DataType::Text, origin: None };
                unplanned(Some(Statement::Show { name }), vec![column])
            }
            Some(statement) => {
                // Planned as the open transaction sees the catalog (a table it created is there); such a
                // plan is not kept for later executions (see `PreparedStatement::current_plan`).
                let catalog = self.planning_catalog()?;
                let planned = crate::sql::bind::plan_statement_as(&catalog, &statement, param_types, Some(&self.user))?;
                let keep = !self.did_ddl_in_transaction();
                PreparedStatement {
                    sql: sql.to_string(),
                    param_types: planned.param_types.clone(),
                    columns: planned.columns.clone(),
                    statement: Some(statement),
                    plan: Mutex::new(keep.then(|| KeptPlan::new(planned, crate::catalog::schemas::search_path()))),
                    columns_promised: true,
                }
            }
        };
        Ok(Arc::new(prepared))
    }

    /// Executes a prepared statement with bound parameter values (extended protocol Bind + Execute).
    pub fn execute(&mut self, statement: &PreparedStatement, params: &[Value]) -> Result<QueryResult> {
        self.abandon_copy();
        self.result_holds.clear();
        let Some(ast) = &statement.statement else { return Ok(QueryResult::Empty) };
        self.query_text = statement.sql.as_str().into();
        let _running = self.settings.interrupts().begin();
        let result = if params.len() != statement.param_types.len() {
            Err(Error::protocol(format!(
                "bind message supplies {} parameters, but prepared statement \"\" requires {}",
                params.len(),
                statement.param_types.len()
            )))
        } else {
            self.run(ast, Some(statement), params, false)
        };
        if result.is_err() {
            self.on_error();
        }
        self.end_transaction_settings();
        result
    }

    /// Appends data of the `COPY ... FROM STDIN` in progress (a CopyData message's bytes).
    pub fn copy_in_data(&mut self, data: &[u8]) {
        if let Some(copy) = &mut self.copy_in {
            copy.data.extend_from_slice(data);
        }
    }

    /// Ends the `COPY ... FROM STDIN` in progress (CopyDone): its data is read and inserted through the
    /// INSERT path, as one statement of the transaction (`COPY n`). An error fails it like any statement's.
    pub fn finish_copy_in(&mut self) -> Result<QueryResult> {
        let Some(pending) = self.copy_in.take() else {
            return Err(Error::protocol("there is no COPY FROM STDIN in progress"));
        };
        let _running = self.settings.interrupts().begin();
        let started = std::time::Instant::now();
        self.interrupt = Some(StatementInterrupt::new(
            self.settings.interrupts().clone(),
            started,
            self.settings.statement_timeout(),
        ));
        let zone = self.time_zone();
        let path = self.search_path();
        let result = zone::with_session_zone(zone, || with_search_path(path, || self.insert_copied(pending)));
        self.interrupt = None;
        if result.is_err() {
            self.rest_of_batch = None;
            self.on_error();
        }
        self.end_transaction_settings();
        self.db.metrics().statement(result.is_ok(), started.elapsed());
        result
    }

    fn insert_copied(&mut self, pending: PendingCopyIn) -> Result<QueryResult> {
        let PendingCopyIn { plan, catalog_version, in_batch, data } = pending;
        let target = copy::CopyTarget { table: &plan.insert.table.name, columns: &plan.columns };
        let copied = copy::read_located_rows(&data, &plan.options, &target)?;
        drop(data);
        let count = copied.rows.len();
        let mut insert = plan.insert;
        insert.source = plan::InsertSource::Rows { rows: copied.rows, lines: copied.lines };
        let planned = PlannedStatement {
            plan: Plan::Insert(insert),
            param_types: Vec::new(),
            columns: Arc::from(Vec::new()),
            catalog_version,
        };
        self.run_planned(&planned, None, &[], in_batch)?;
        Ok(command(&format!("COPY {count}")))
    }

    /// Abandons the `COPY ... FROM STDIN` in progress (CopyFail, with the client's message): nothing is
    /// inserted, the statement fails with 57014 as in PostgreSQL.
    pub fn fail_copy_in(&mut self, message: &str) -> Error {
        self.copy_in = None;
        self.rest_of_batch = None;
        self.on_error();
        self.end_transaction_settings();
        Error::new(sqlstate::QUERY_CANCELED, format!("COPY from stdin failed: {message}"))
    }

    /// A COPY left waiting for data when the next statement arrives is dropped.
    fn abandon_copy(&mut self) {
        self.copy_in = None;
        self.rest_of_batch = None;
    }

    /// Lets [`execute`](Self::execute) return from a COMMIT (explicit, or a statement's autocommit) before
    /// the commit is durable; the caller must complete [`take_pending_commit`](Self::take_pending_commit)
    /// before acknowledging the statement. Servers use this to wait for the group commit's fsync without
    /// blocking a thread. Off by default; `execute_batch` always waits.
    pub fn set_deferred_durability(&mut self, on: bool) {
        self.defer_durability = on;
    }

    /// The commit the last `execute` left to become durable (see `set_deferred_durability`); after a
    /// 40001 at COMMIT, the winning commits the error must wait for (the error is reported after it).
    pub fn take_pending_commit(&mut self) -> Option<DurableWait> {
        self.pending_commit.take()
    }

    /// Marks an error raised outside `execute` (e.g. a Bind that failed to decode a parameter), so an open
    /// transaction block enters the failed state as PostgreSQL does.
    pub fn fail_transaction(&mut self) {
        self.on_error();
    }

    /// The state for ReadyForQuery.
    pub fn transaction_status(&self) -> TransactionStatus {
        match &self.state {
            State::Idle => TransactionStatus::Idle,
            State::Active(active) if active.explicit => TransactionStatus::InTransaction,
            State::Active(_) => TransactionStatus::Idle,
            State::Failed(_) => TransactionStatus::Failed,
        }
    }

    /// Outside a transaction, values set for the transaction only (`set_config(..., true)`) are gone.
    fn end_transaction_settings(&self) {
        if matches!(self.state, State::Idle) {
            self.settings.end_transaction();
        }
    }

    /// After an error: an explicit block fails, an implicit transaction rolls back.
    fn on_error(&mut self) {
        match std::mem::replace(&mut self.state, State::Idle) {
            // The transaction is kept while a savepoint can bring it back.
            State::Active(active) if active.explicit => {
                self.state = State::Failed((!active.savepoints.is_empty()).then_some(active));
            }
            State::Active(_) | State::Idle => {}
            failed @ State::Failed(_) => self.state = failed,
        }
    }

    /// Runs one statement, counted in the database's metrics.
    fn run(
        &mut self,
        statement: &Statement,
        prepared: Option<&PreparedStatement>,
        params: &[Value],
        in_batch: bool,
    ) -> Result<QueryResult> {
        let started = std::time::Instant::now();
        // Each statement of a query string has its own statement_timeout, as in PostgreSQL 13 and later;
        // one that another runs (EXECUTE) shares its caller's.
        let top_level = self.interrupt.is_none();
        if top_level {
            let timeout = self.settings.statement_timeout();
            self.interrupt = Some(StatementInterrupt::new(self.settings.interrupts().clone(), started, timeout));
        }
        // The session's TimeZone, parsed once per statement, is what its text conversions and date
        // arithmetic use (types::zone).
        let zone = self.time_zone();
        let path = self.search_path();
        let result = zone::with_session_zone(zone, || {
            with_search_path(path, || self.run_statement(statement, prepared, params, in_batch))
        });
        // What the statement reported without failing (`crate::notice`), for the client; an in-process user
        // that never takes them keeps only the newest.
        self.notices.extend(crate::notice::take());
        if self.notices.len() > MAX_PENDING_NOTICES {
            self.notices.drain(..self.notices.len() - MAX_PENDING_NOTICES);
        }
        if top_level {
            self.interrupt = None;
            if let Ok(QueryResult::Rows { rows, .. }) = &result {
                self.result_holds.push(self.db.server_memory().hold_rows(rows));
            }
        }
        self.db.metrics().statement(result.is_ok(), started.elapsed());
        result
    }

    fn run_statement(
        &mut self,
        statement: &Statement,
        prepared: Option<&PreparedStatement>,
        params: &[Value],
        in_batch: bool,
    ) -> Result<QueryResult> {
        // A caller that did not await a deferred commit still reads its own writes.
        if let Some(pending) = self.pending_commit.take() {
            pending.wait()?;
        }
        if !matches!(statement, Statement::Commit | Statement::Rollback) {
            self.check_transaction_age()?;
            if let State::Active(active) = &mut self.state {
                active.last_statement = self.query_text.clone();
            }
        }
        match statement {
            Statement::Begin { isolation, read_only } => {
                self.db.rules().check_begin(*isolation, *read_only == Some(true))?;
                self.begin_block()?;
                if let (Some(read_only), State::Active(active)) = (*read_only, &mut self.state) {
                    active.read_only = read_only;
                }
                Ok(command("BEGIN"))
            }
            Statement::Commit => self.commit_block(),
            Statement::Rollback => {
                if matches!(self.state, State::Idle) {
                    crate::notice::raise(crate::notice::warning("25P01", "there is no transaction in progress"));
                }
                // Dropping the transaction discards its write set, and its SETs are undone.
                self.state = State::Idle;
                self.settings.finish_block(false);
                self.cursors.end_transaction(false);
                Ok(command("ROLLBACK"))
            }
            Statement::Savepoint { action, name } if *action == SavepointAction::RollbackTo => {
                self.db.rules().check_savepoint(*action)?;
                self.rollback_to_savepoint(name)
            }
            _ if matches!(self.state, State::Failed(_)) => Err(Error::in_failed_transaction()),
            Statement::Savepoint { action, name } => {
                self.db.rules().check_savepoint(*action)?;
                self.savepoint(*action, name)
            }
            Statement::Set { name, value, local } => self.set(name, value, *local),
            Statement::SetTransaction { isolation, read_only } => {
                // Every transaction runs at snapshot isolation: an accepted level changes nothing.
                self.db.rules().check_set_transaction(*isolation, *read_only)?;
                // Outside a block PostgreSQL only warns; the mode applies to the block's transaction.
                if let (true, State::Active(active)) = (*read_only, &mut self.state) {
                    active.read_only = true;
                }
                Ok(command("SET"))
            }
            Statement::Show { name } => self.show(name),
            Statement::Session(command) => self.session_command(command, in_batch),
            Statement::DeclareCursor(declare) => self.declare_cursor(declare, prepared, params, in_batch),
            _ => {
                if let Statement::Copy(copy) = statement {
                    check_copy_endpoint(&copy.endpoint, copy.is_from, self.superuser)?;
                }
                check_statement_rules(self.db.rules(), statement)?;
                let (planned, physical) = self.plan_checked(statement, prepared)?;
                self.run_planned(&planned, physical.as_deref(), params, in_batch)
            }
        }
    }

    /// The plan of `statement` (the prepared statement's, re-planned if the catalog changed, or a fresh
    /// one) against the catalog this transaction sees, once the session's user may run it.
    fn plan_checked(
        &self,
        statement: &Statement,
        prepared: Option<&PreparedStatement>,
    ) -> Result<(Arc<PlannedStatement>, Option<Arc<PlanCache>>)> {
        let catalog = self.planning_catalog()?;
        let planned = match prepared {
            Some(prepared) => {
                prepared.current_plan(&self.db, &catalog, self.did_ddl_in_transaction(), statement, &self.user)?
            }
            None => (Arc::new(crate::sql::bind::plan_statement_as(&catalog, statement, &[], Some(&self.user))?), None),
        };
        if !self.superuser {
            privileges::check(&catalog, &self.user, statement)?;
        }
        Ok(planned)
    }

    /// `DECLARE name CURSOR FOR query`: runs the query (with the statement's parameters) and keeps its rows
    /// as the cursor's (see `crate::cursors`). Outside a transaction block only `WITH HOLD` is allowed, as
    /// in PostgreSQL.
    fn declare_cursor(
        &mut self,
        declare: &ast::DeclareCursor,
        prepared: Option<&PreparedStatement>,
        params: &[Value],
        in_batch: bool,
    ) -> Result<QueryResult> {
        let in_block = matches!(&self.state, State::Active(active) if active.explicit);
        if !declare.hold && !in_block {
            return Err(Error::new(
                sqlstate::NO_ACTIVE_SQL_TRANSACTION,
                "DECLARE CURSOR can only be used in transaction blocks",
            ));
        }
        if self.cursors.columns(&declare.name).is_some() {
            return Err(Error::new("42P03", format!("cursor \"{}\" already exists", declare.name)));
        }
        check_statement_rules(self.db.rules(), &declare.query)?;
        let (planned, physical) = self.plan_checked(&declare.query, prepared)?;
        let result = self.run_planned(&planned, physical.as_deref(), params, in_batch)?;
        self.cursors.declare(&declare.name, result, declare.scroll, declare.hold, in_block)?;
        Ok(command("DECLARE CURSOR"))
    }

    /// The columns `FETCH` from a declared cursor returns (Describe of a portal of that name: PostgreSQL's
    /// cursors are portals); None when there is no such cursor.
    pub fn cursor_columns(&self, name: &str) -> Option<Arc<[Column]>> {
        self.cursors.columns(name)
    }

    /// The catalog to plan against: the database's newest one, or, after DDL in the open transaction (which
    /// only PostgreSQL mode allows to be followed by more statements), the catalog as that transaction sees
    /// it, its own uncommitted changes included.
    fn planning_catalog(&self) -> Result<Arc<catalog::Catalog>> {
        match &self.state {
            State::Active(active) => self.transaction_catalog(active),
            _ => Ok(self.db.catalog()),
        }
    }

    /// Whether the open transaction has run DDL (so its catalog differs from the database's).
    fn did_ddl_in_transaction(&self) -> bool {
        matches!(&self.state, State::Active(active) if active.did_ddl)
    }

    /// The catalog as transaction `active` sees it (see `planning_catalog`).
    fn transaction_catalog(&self, active: &ActiveTransaction) -> Result<Arc<catalog::Catalog>> {
        if !active.did_ddl {
            return Ok(self.db.catalog());
        }
        let catalog = catalog::Catalog::load(&active.txn, self.db.catalog_version())?;
        Ok(Arc::new(catalog.with_system_rules(self.db.rules().catalog)))
    }

    /// Runs the deferred constraint checks of `active` that `which` selects (see
    /// `referential::run_deferred`).
    fn run_deferred_checks(
        &self,
        active: &mut ActiveTransaction,
        which: impl Fn(&crate::txn::ConstraintId) -> bool,
    ) -> Result<()> {
        if !active.txn.deferred_constraints().has_pending() {
            return Ok(());
        }
        let catalog = self.transaction_catalog(active)?;
        let functions = statement_functions(&self.db, &self.settings, &self.interrupt, active.started_at, catalog);
        let planning = statement_planning(&self.db, &self.settings);
        execute::run_deferred_checks(&mut active.txn, which, &functions, &planning)
    }

    /// `SET CONSTRAINTS {ALL | name, ...} {DEFERRED | IMMEDIATE}`: the mode of the deferrable constraints
    /// it names for the rest of the transaction; IMMEDIATE runs their deferred checks at once. Outside a
    /// transaction block it does nothing (PostgreSQL warns).
    /// `LOCK TABLE ... IN ACCESS SHARE MODE` (what pg_dump sends for each table it dumps): a no-op in
    /// PostgreSQL mode, since that mode only conflicts with ACCESS EXCLUSIVE, which occam never takes (DDL
    /// commits optimistically instead; a transaction whose tables changed fails with OC001). Aurora DSQL
    /// has no LOCK, nor does occam for the modes that would exclude other transactions.
    fn lock_tables(&self, tables: &[crate::sql::ast::ObjectName], access_share: bool) -> Result<QueryResult> {
        if self.db.rules().mode == crate::compat::CompatMode::Dsql {
            return Err(Error::unsupported("LOCK is not supported yet"));
        }
        if !access_share {
            return Err(Error::unsupported("LOCK TABLE in a mode other than ACCESS SHARE is not supported yet"));
        }
        if !matches!(self.state, State::Active(_)) {
            return Err(Error::new("25P01", "LOCK TABLE can only be used in transaction blocks"));
        }
        let catalog = self.planning_catalog()?;
        for name in tables {
            catalog.table(name)?;
        }
        Ok(command("LOCK TABLE"))
    }

    fn set_constraints(
        &mut self,
        names: Option<&[crate::sql::ast::ObjectName]>,
        deferred: bool,
    ) -> Result<QueryResult> {
        let catalog = self.planning_catalog()?;
        let constraints = match names {
            None => None,
            Some(names) => Some(
                names
                    .iter()
                    .map(|name| deferrable_constraints(&catalog, name, deferred))
                    .collect::<Result<Vec<_>>>()?
                    .concat(),
            ),
        };
        let State::Active(mut active) = std::mem::replace(&mut self.state, State::Idle) else {
            let warning = "SET CONSTRAINTS can only be used in transaction blocks";
            crate::notice::raise(crate::notice::warning("25P01", warning));
            return Ok(command("SET CONSTRAINTS"));
        };
        let modes = active.txn.deferred_constraints_mut();
        match &constraints {
            None => modes.set_all(deferred),
            Some(constraints) => constraints.iter().for_each(|c| modes.set(c.clone(), deferred)),
        }
        let checked = match (&constraints, deferred) {
            (_, true) => Ok(()),
            (None, false) => self.run_deferred_checks(&mut active, |_| true),
            (Some(constraints), false) => self.run_deferred_checks(&mut active, |c| constraints.contains(c)),
        };
        self.state = State::Active(active);
        checked.map(|()| command("SET CONSTRAINTS"))
    }

    fn new_transaction(&self, explicit: bool) -> Box<ActiveTransaction> {
        Box::new(ActiveTransaction {
            txn: self.db.begin(),
            started_at: self.db.now(),
            explicit,
            did_ddl: false,
            did_dml: false,
            rows_modified: 0,
            synchronous_builds: Vec::new(),
            submitted_jobs: false,
            table_changes: HashMap::new(),
            savepoints: Vec::new(),
            temporary_on_commit: Vec::new(),
            read_only: self.settings.get("default_transaction_read_only").is_some_and(|v| v == "on"),
            last_statement: self.query_text.clone(),
        })
    }

    /// `SAVEPOINT name` and `RELEASE [SAVEPOINT] name`, in an open block (PostgreSQL mode).
    fn savepoint(&mut self, action: SavepointAction, name: &str) -> Result<QueryResult> {
        let State::Active(active) = &mut self.state else { return Err(outside_block(action)) };
        if !active.explicit {
            return Err(outside_block(action));
        }
        if action == SavepointAction::Release {
            let position = find_savepoint(&active.savepoints, name)?;
            // Releasing a savepoint releases the ones after it too; their work stays in the transaction.
            active.savepoints.truncate(position);
            return Ok(command("RELEASE"));
        }
        let savepoint = Savepoint {
            name: name.to_string(),
            checkpoint: active.txn.checkpoint(),
            did_ddl: active.did_ddl,
            did_dml: active.did_dml,
            rows_modified: active.rows_modified,
            synchronous_builds: active.synchronous_builds.len(),
            table_changes: active.table_changes.clone(),
        };
        active.savepoints.push(savepoint);
        Ok(command("SAVEPOINT"))
    }

    /// `ROLLBACK TO [SAVEPOINT] name`: the block's writes, locks and counts since the savepoint are undone
    /// (the savepoint stays), and a failed block is active again. Sequence values taken since are not
    /// given back, as in PostgreSQL.
    fn rollback_to_savepoint(&mut self, name: &str) -> Result<QueryResult> {
        let action = SavepointAction::RollbackTo;
        let (mut active, failed) = match std::mem::replace(&mut self.state, State::Idle) {
            State::Active(active) if active.explicit => (active, false),
            State::Failed(Some(active)) => (active, true),
            State::Failed(None) => {
                self.state = State::Failed(None);
                return Err(Error::new(
                    sqlstate::INVALID_SAVEPOINT_SPECIFICATION,
                    format!("savepoint \"{name}\" does not exist"),
                ));
            }
            other => {
                self.state = other;
                return Err(outside_block(action));
            }
        };
        let position = match find_savepoint(&active.savepoints, name) {
            Ok(position) => position,
            Err(err) => {
                self.state = if failed { State::Failed(Some(active)) } else { State::Active(active) };
                return Err(err);
            }
        };
        active.savepoints.truncate(position + 1);
        let savepoint = &active.savepoints[position];
        let checkpoint = savepoint.checkpoint.clone();
        active.did_ddl = savepoint.did_ddl;
        active.did_dml = savepoint.did_dml;
        active.rows_modified = savepoint.rows_modified;
        active.table_changes = savepoint.table_changes.clone();
        let builds = savepoint.synchronous_builds;
        active.synchronous_builds.truncate(builds);
        active.txn.restore(checkpoint);
        self.state = State::Active(active);
        Ok(command("ROLLBACK"))
    }

    /// Fails when the open transaction is older than the rules allow (checked before each statement; the
    /// error then fails the block like any other).
    fn check_transaction_age(&self) -> Result<()> {
        match &self.state {
            State::Active(active) => self.db.rules().check_transaction_age(active.started_at, self.db.now()),
            _ => Ok(()),
        }
    }

    fn begin_block(&mut self) -> Result<QueryResult> {
        match &mut self.state {
            State::Idle => {
                self.state = State::Active(self.new_transaction(true));
                self.settings.begin_block();
            }
            // PostgreSQL warns "there is already a transaction in progress" and carries on; BEGIN inside
            // a multi-statement query turns its implicit transaction into a block.
            State::Active(active) => {
                if active.explicit {
                    crate::notice::raise(crate::notice::warning("25001", "there is already a transaction in progress"));
                }
                active.explicit = true
            }
            State::Failed(_) => return Err(Error::in_failed_transaction()),
        }
        Ok(command("BEGIN"))
    }

    fn commit_block(&mut self) -> Result<QueryResult> {
        match &self.state {
            State::Idle => {
                crate::notice::raise(crate::notice::warning("25P01", "there is no transaction in progress"));
                Ok(command("COMMIT"))
            }
            State::Failed(_) => {
                self.state = State::Idle;
                self.settings.finish_block(false);
                self.cursors.end_transaction(false);
                Ok(command("ROLLBACK"))
            }
            State::Active(_) => {
                let committed = self.commit_active();
                self.settings.finish_block(committed.is_ok());
                self.cursors.end_transaction(committed.is_ok());
                committed?;
                Ok(command("COMMIT"))
            }
        }
    }

    /// Before COMMIT: empties the temporary tables created `ON COMMIT DELETE ROWS` and drops those created
    /// `ON COMMIT DROP` by this transaction, as `active` sees them (one dropped or never committed is
    /// forgotten); the DELETE ROWS ones are remembered for the session's later commits.
    fn run_on_commit_actions(&mut self, active: &mut ActiveTransaction) -> Result<()> {
        let catalog = Arc::new(catalog::Catalog::load(&active.txn, self.db.catalog_version())?);
        let mut actions = std::mem::take(&mut self.temporary_on_commit);
        actions.append(&mut active.temporary_on_commit);
        actions.retain(|(id, _)| catalog.table_by_id(*id).is_some());
        let tables = |wanted: ast::OnCommit| -> Vec<Arc<catalog::Table>> {
            let ids = actions.iter().filter(|(_, action)| *action == wanted).map(|(id, _)| *id);
            ids.filter_map(|id| catalog.table_by_id(id).cloned()).collect()
        };
        let (emptied, dropped) = (tables(ast::OnCommit::DeleteRows), tables(ast::OnCommit::Drop));
        if !emptied.is_empty() {
            let functions =
                statement_functions(&self.db, &self.settings, &self.interrupt, active.started_at, catalog.clone());
            let planning = statement_planning(&self.db, &self.settings);
            let truncate = Plan::Truncate { tables: emptied, restart_identity: false };
            execute::execute(&truncate, &mut active.txn, &[], &functions, &planning)?;
        }
        if !dropped.is_empty() {
            let names: Vec<ast::ObjectName> = dropped
                .iter()
                .map(|t| ast::ObjectName { schema: Some(t.schema.clone()), name: t.name.clone() })
                .collect();
            catalog::drop_table(&mut active.txn, &names, true, true)?;
        }
        actions.retain(|(_, action)| *action == ast::OnCommit::DeleteRows);
        self.temporary_on_commit = actions;
        Ok(())
    }

    /// Commits the open transaction; the session is Idle afterwards whatever the outcome.
    fn commit_active(&mut self) -> Result<()> {
        let State::Active(mut active) = std::mem::replace(&mut self.state, State::Idle) else {
            return Ok(());
        };
        // The checks deferred to COMMIT: a failure rolls the transaction back (it is dropped here).
        self.run_deferred_checks(&mut active, |_| true)?;
        // Then temporary tables' ON COMMIT actions, as PostgreSQL orders them.
        if !self.temporary_on_commit.is_empty() || !active.temporary_on_commit.is_empty() {
            self.run_on_commit_actions(&mut active)?;
        }
        let did_ddl = active.did_ddl;
        let ddl_only = active.did_ddl && !active.did_dml;
        let synchronous_builds = active.synchronous_builds.clone();
        let submitted_jobs = active.submitted_jobs;
        let rules = self.db.rules();
        rules.check_transaction_age(active.started_at, self.db.now())?;
        rules.check_transaction_size(active.txn.write_bytes())?;
        let writing = !active.txn.is_read_only();
        // Injected conflicts fail transactions that changed rows, where a real one could happen.
        if writing && active.did_dml {
            if let Some(err) = self.injected_conflict(&active) {
                // Dropped unwritten, as a transaction that lost a real conflict.
                return Err(err);
            }
        }
        let committed = match active.txn.commit_deferred() {
            Ok(committed) => committed,
            Err(err) if err.code == sqlstate::SERIALIZATION_FAILURE => {
                // Report the conflict once the winner is visible (see `TxnManager::wait_for_written`).
                let winner = self.db.txn_manager().wait_for_written();
                if self.defer_durability {
                    self.pending_commit = Some(winner);
                } else {
                    winner.wait()?;
                }
                // A DDL transaction conflicts only through catalog rows: DSQL reports that as a schema change.
                let err = if ddl_only { as_schema_conflict(err) } else { err };
                return Err(self.explain_conflict(err, &active.last_statement));
            }
            Err(err) => return Err(err),
        };
        if writing && std::mem::take(&mut self.retry_pending) {
            let tables = self.changed_table_names(&active.table_changes);
            for table in &tables {
                self.db.metrics().commit_after_conflict(table);
            }
            self.db.conflicts().record_commit_after_conflict(&tables);
        }
        if let Some(durable) = committed {
            // DDL reloads the catalog below, which must see the commit, as must the jobs awaited below.
            if self.defer_durability && !did_ddl && synchronous_builds.is_empty() {
                self.pending_commit = Some(durable);
            } else {
                durable.wait()?;
            }
        }
        if did_ddl {
            self.db.reload_catalog()?;
        }
        let auto_analyze = self.db.activity().record_commit(&active.table_changes);
        let submitted_jobs = submitted_jobs || self.submit_auto_analyze(&auto_analyze)?;
        if did_ddl || submitted_jobs {
            // The DDL (or ANALYZE) may have submitted background jobs (index builds, drops, ANALYZE).
            self.db.wake_jobs();
        }
        for job_id in &synchronous_builds {
            if !crate::jobs::wait_for_job(&self.db, job_id, &StatementInterrupt::default())? {
                return Err(crate::jobs::failure(&self.db, job_id));
            }
        }
        Ok(())
    }

    /// The 40001 this COMMIT of changed rows fails with by `occam.inject_conflicts`, if it does (recorded as a real
    /// conflict is, marked injected). A `...:next` injection fires once: the session's value becomes `off`.
    fn injected_conflict(&mut self, active: &ActiveTransaction) -> Option<Error> {
        use crate::conflicts::{parse_seed, InjectionSpec};
        let spec = InjectionSpec::parse(&self.settings.get("occam.inject_conflicts")?).ok()?;
        // The common case, on every COMMIT of changed rows: nothing injected, nothing more to read.
        if spec == InjectionSpec::Off {
            return None;
        }
        let seed = parse_seed(&self.settings.get("occam.inject_seed").unwrap_or_default()).ok()?;
        let kind = self.injector.decide(spec, seed)?;
        if matches!(spec, InjectionSpec::CommitNext | InjectionSpec::SchemaNext) {
            self.settings.set_despite_rollback("occam.inject_conflicts", "off");
        }
        let err = crate::conflicts::injected_error(kind, spec, self.conflict_detail_on());
        // An injected conflict has no key; it names the first table the transaction changed.
        let target = crate::conflicts::ConflictTarget {
            table: self.changed_table_names(&active.table_changes).into_iter().next(),
            ..Default::default()
        };
        self.record_conflict(kind, target, None, true, &active.last_statement);
        self.db.metrics().conflict(&err);
        Some(err)
    }

    /// The tables a transaction changed rows of, as conflicts name them, sorted.
    fn changed_table_names(&self, changes: &HashMap<u32, TableChanges>) -> Vec<String> {
        let catalog = self.db.catalog();
        let mut tables: Vec<String> = changes
            .keys()
            .filter_map(|id| catalog.table_by_id(*id))
            .map(|table| crate::conflicts::table_display_name(table))
            .collect();
        tables.sort();
        tables
    }

    /// Whether 40001s carry occam's DETAIL (`occam.conflict_detail`, on unless set off).
    fn conflict_detail_on(&self) -> bool {
        self.settings.get("occam.conflict_detail").is_none_or(|v| v == "on")
    }

    /// Adds the DETAIL that names what a real 40001 collided with (unless `occam.conflict_detail` is off)
    /// and records the conflict in the contention view.
    fn explain_conflict(&mut self, mut err: Error, statement: &str) -> Error {
        let (kind, target, winner_age) = match err.conflict() {
            Some(conflict) => (
                conflict.kind,
                crate::conflicts::describe(conflict, &self.db.catalog()),
                conflict.winner_committed.map(|at| at.elapsed()),
            ),
            None if err.message.ends_with("(OC001)") => (crate::error::ConflictKind::Schema, Default::default(), None),
            None => (crate::error::ConflictKind::WriteWrite, Default::default(), None),
        };
        let detail = crate::conflicts::detail(kind, &target, winner_age);
        tracing::debug!(code = kind.code(), "COMMIT lost an OCC conflict: {detail}");
        if self.conflict_detail_on() && err.detail.is_none() {
            err.detail = Some(detail);
        }
        self.record_conflict(kind, target, winner_age, false, statement);
        err
    }

    fn record_conflict(
        &mut self,
        kind: crate::error::ConflictKind,
        target: crate::conflicts::ConflictTarget,
        winner_age: Option<std::time::Duration>,
        injected: bool,
        statement: &str,
    ) {
        self.retry_pending = true;
        if let Some(table) = &target.table {
            self.db.metrics().table_conflict(table, kind.code(), injected);
        }
        self.db.conflicts().record(crate::conflicts::ConflictRecord {
            at: self.db.now(),
            kind,
            target,
            winner_age,
            injected,
            role: self.user.clone(),
            application_name: self.settings.get("application_name").unwrap_or_default(),
            statement: statement.to_string(),
        });
    }

    /// Submits the automatic ANALYZE jobs a commit made due (see `table_activity`); true if any. The user's
    /// commit already succeeded: a failure to submit is only logged. Its durability wait covers the user's
    /// commit too (an earlier timestamp), so with deferred durability it replaces the pending one.
    fn submit_auto_analyze(&mut self, due: &[(u32, String)]) -> Result<bool> {
        if due.is_empty() {
            return Ok(false);
        }
        match crate::jobs::submit_auto_analyze(&self.db, due) {
            Ok(Some(durable)) if self.defer_durability => self.pending_commit = Some(durable),
            Ok(Some(durable)) => {
                durable.wait()?;
            }
            Ok(None) => {}
            Err(err) => {
                tracing::warn!("automatic ANALYZE not submitted: {}", err.message);
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Runs a bound statement; a query's physical plan is the one `physical` keeps when that is still good.
    fn run_planned(
        &mut self,
        planned: &PlannedStatement,
        physical: Option<&PlanCache>,
        params: &[Value],
        in_batch: bool,
    ) -> Result<QueryResult> {
        if params.len() < planned.param_types.len() {
            return Err(Error::new(
                sqlstate::UNDEFINED_PARAMETER,
                format!("there is no parameter ${}", params.len() + 1),
            ));
        }
        if let Plan::CopyFrom(copy) = &planned.plan {
            // The rows come later (see `finish_copy_in`), and go in as an INSERT of this transaction, which
            // may refuse DML (DSQL's DDL/DML mix) before the client sends any.
            if let State::Active(active) = &self.state {
                self.db.rules().check_statement_mix(false, true, active.did_ddl, active.did_dml)?;
            }
            self.copy_in = Some(PendingCopyIn {
                plan: copy.clone(),
                catalog_version: planned.catalog_version,
                in_batch,
                data: Vec::new(),
            });
            return Ok(QueryResult::CopyIn { format: copy.options.format, columns: copy.columns.len() });
        }
        let autocommit = matches!(self.state, State::Idle) && !in_batch;
        if matches!(self.state, State::Idle) {
            self.state = State::Active(self.new_transaction(false));
        }
        // What the statement's catalog relations and catalog functions show (sql::system).
        let catalog = self.planning_catalog()?;
        let State::Active(active) = &mut self.state else {
            return Err(Error::internal("no transaction"));
        };
        let plan = &planned.plan;
        let rules = self.db.rules();
        rules.check_statement_mix(plan.is_ddl(), plan.is_dml(), active.did_ddl, active.did_dml)?;
        if let Some(command) = plan.write_command().filter(|_| active.read_only) {
            return Err(Error::new(
                sqlstate::READ_ONLY_SQL_TRANSACTION,
                format!("cannot execute {command} in a read-only transaction"),
            ));
        }
        let functions = statement_functions(&self.db, &self.settings, &self.interrupt, active.started_at, catalog);
        let planning = statement_planning(&self.db, &self.settings);
        // A statement with data-modifying WITH queries: every DML part run, with the rows it changed.
        let mut parts_changed: Option<Vec<(&Plan, usize)>> = None;
        let result = match plan {
            Plan::CreateTable(create) => {
                check_table_definition(rules, create)?;
                let schema = temporary_schema_of(&self.settings);
                let create = &place_temporary(&mut active.txn, create, schema, &self.user)?;
                catalog::create_table(&mut active.txn, &functions.catalog, create).and_then(|created| {
                    // The creating role owns the table (and so holds every privilege on it).
                    if let (true, Some(table)) = (created, catalog::read_table_named(&active.txn, &create.name)?) {
                        roles::record_owner(&mut active.txn, table.id, &self.user);
                        if let Some(action) = create.temporary.filter(|a| *a != ast::OnCommit::PreserveRows) {
                            active.temporary_on_commit.push((table.id, action));
                        }
                    }
                    Ok(command("CREATE TABLE"))
                })
            }
            Plan::Access(statement) => {
                let actor = roles::Actor { role: &self.user, superuser: self.superuser };
                roles::execute(&mut active.txn, &self.db.catalog(), statement, &actor).map(command)
            }
            Plan::Sequence(statement) => {
                let storage = self.db.txn_manager().storage().as_ref();
                crate::sequences::execute(&mut active.txn, statement, self.db.sequences(), storage).map(command)
            }
            Plan::AlterTable(alter) => {
                let jobs = crate::alter_table::execute(&mut active.txn, &functions, rules, &self.user, alter)?;
                if alter.asynchronous {
                    // DSQL's ALTER TABLE ASYNC: the tag with one row, the job's id.
                    let rows = jobs.into_iter().map(|id| vec![Value::Text(id)]).collect();
                    Ok(QueryResult::Rows { columns: planned.columns.clone(), rows, tag: "ALTER TABLE".to_string() })
                } else {
                    // A unique constraint's index build: COMMIT waits for it (see `commit_active`).
                    active.synchronous_builds.extend(jobs);
                    Ok(command("ALTER TABLE"))
                }
            }
            Plan::DropTable { names, if_exists, cascade } => {
                catalog::drop_table(&mut active.txn, names, *if_exists, *cascade).map(|_| command("DROP TABLE"))
            }
            Plan::CreateView(definition) => catalog::views::create_view(&mut active.txn, definition).map(|id| {
                if !definition.or_replace || self.db.catalog().find_view(&definition.name).is_none() {
                    roles::record_owner(&mut active.txn, id, &self.user);
                }
                command("CREATE VIEW")
            }),
            Plan::CreateTableAs { create, query, materialized, with_data } => {
                check_table_definition(rules, create)?;
                let schema = temporary_schema_of(&self.settings);
                let create = &place_temporary(&mut active.txn, create, schema, &self.user)?;
                if !catalog::create_table(&mut active.txn, &functions.catalog, create)? {
                    return Ok(command(if materialized.is_some() {
                        "CREATE MATERIALIZED VIEW"
                    } else {
                        "CREATE TABLE AS"
                    }));
                }
                let table = catalog::read_table_named(&active.txn, &create.name)?
                    .ok_or_else(|| Error::internal("a table just created is missing"))?;
                roles::record_owner(&mut active.txn, table.id, &self.user);
                if let Some(action) = create.temporary.filter(|a| *a != ast::OnCommit::PreserveRows) {
                    active.temporary_on_commit.push((table.id, action));
                }
                if let Some(definition) = materialized {
                    catalog::views::store_materialized(&mut active.txn, table.id, definition)?;
                }
                if *with_data {
                    let filled =
                        execute::fill_table(Arc::new(table), query, &mut active.txn, params, &functions, &planning)?;
                    Ok(command(&format!("SELECT {}", filled.rows_affected())))
                } else if materialized.is_some() {
                    catalog::views::set_populated(&mut active.txn, table.id, false);
                    Ok(command("CREATE MATERIALIZED VIEW"))
                } else {
                    Ok(command("CREATE TABLE AS"))
                }
            }
            Plan::RefreshMaterializedView { table, query, concurrently, with_data } => {
                if *concurrently && !table.populated {
                    return Err(Error::unsupported(
                        "CONCURRENTLY cannot be used when the materialized view is not populated",
                    ));
                }
                if *concurrently && !with_data {
                    return Err(Error::syntax("CONCURRENTLY and WITH NO DATA options cannot be used together"));
                }
                let unique_key = table
                    .indexes
                    .iter()
                    .any(|i| i.unique && i.predicate.is_none() && i.state == catalog::IndexState::Valid);
                if *concurrently && !unique_key {
                    return Err(Error::new(
                        "55000",
                        format!("cannot refresh materialized view \"{}\" concurrently", table.qualified_name()),
                    )
                    .with_hint(
                        "Create a unique index with no WHERE clause on one or more columns of the materialized view.",
                    ));
                }
                if *with_data {
                    execute::refill_table(table, query, &mut active.txn, params, &functions, &planning)?;
                } else {
                    execute::truncate(std::slice::from_ref(table), &mut active.txn, params, &functions, &planning)?;
                }
                catalog::views::set_populated(&mut active.txn, table.id, *with_data);
                Ok(command("REFRESH MATERIALIZED VIEW"))
            }
            Plan::DropMaterializedView { names, if_exists, cascade } => {
                catalog::views::drop_materialized(&mut active.txn, names, *if_exists, *cascade)
                    .map(|_| command("DROP MATERIALIZED VIEW"))
            }
            Plan::CreateFunction(create) => {
                catalog::functions::create(&mut active.txn, create).map(|_| command("CREATE FUNCTION"))
            }
            Plan::DropFunction { functions, if_exists } => {
                catalog::functions::drop(&mut active.txn, functions, *if_exists).map(|_| command("DROP FUNCTION"))
            }
            Plan::Comment { key, text } => {
                catalog::comments::set(&mut active.txn, *key, text.as_deref());
                Ok(command("COMMENT"))
            }
            Plan::Schema(SchemaStatement::Create { name, if_not_exists, authorization }) => {
                if !self.superuser {
                    return Err(Error::new(
                        sqlstate::INSUFFICIENT_PRIVILEGE,
                        "permission denied for database postgres",
                    ));
                }
                let owner = authorization.clone().unwrap_or_else(|| self.user.clone());
                if owner != self.user && !self.db.catalog().roles.exists(&owner) {
                    return Err(Error::new(sqlstate::UNDEFINED_OBJECT, format!("role \"{owner}\" does not exist")));
                }
                // IF NOT EXISTS on an existing schema: no NOTICE (occam sends none; PostgreSQL says it skips).
                catalog::schemas::create(&mut active.txn, name, *if_not_exists, &owner, rules.max_schemas)?;
                Ok(command("CREATE SCHEMA"))
            }
            Plan::Schema(SchemaStatement::OwnerTo { name, owner }) => {
                let owner = owner.clone().unwrap_or_else(|| self.user.clone());
                if !self.db.catalog().roles.exists(&owner) && owner != crate::roles::ADMIN_ROLE {
                    return Err(Error::new(sqlstate::UNDEFINED_OBJECT, format!("role \"{owner}\" does not exist")));
                }
                catalog::schemas::set_owner(&mut active.txn, name, &owner, &self.user, self.superuser)
                    .map(|_| command("ALTER SCHEMA"))
            }
            Plan::Schema(SchemaStatement::Drop { names, if_exists, cascade }) => {
                catalog::schemas::drop(&mut active.txn, names, *if_exists, *cascade, &self.user, self.superuser)
                    .map(|_| command("DROP SCHEMA"))
            }
            Plan::DropView { names, if_exists, cascade } => {
                catalog::views::drop_views(&mut active.txn, names, *if_exists, *cascade).map(|_| command("DROP VIEW"))
            }
            Plan::CreateIndex(create) => {
                // The primary key counts as one of the table's indexes.
                let catalog = self.db.catalog();
                let table = catalog.table(&create.table).ok();
                let existing = table.map(|t| t.indexes.len() + 1).unwrap_or(1);
                rules.check_index_definition(create.columns.len(), existing + 1)?;
                if let Some(table) = table {
                    for column in &create.columns {
                        let data_type = match &column.key {
                            IndexTarget::Column(name) => table.column_index(name).map(|i| table.columns[i].data_type),
                            IndexTarget::Expression(expr) => {
                                Some(crate::sql::bind::bind_index_expression(table, expr)?.1)
                            }
                        };
                        if let Some(data_type) = data_type {
                            rules.check_key_column_type(&data_type)?;
                        }
                    }
                }
                let job_id = catalog::create_index(&mut active.txn, create)?;
                if create.asynchronous {
                    // IF NOT EXISTS on an existing name: no job, no row.
                    let rows = job_id.map(|id| vec![vec![Value::Text(id)]]).into_iter().flatten().collect();
                    Ok(QueryResult::Rows { columns: planned.columns.clone(), rows, tag: "CREATE INDEX".to_string() })
                } else {
                    // The job starts when the DDL commits; COMMIT waits for it (see `commit_active`).
                    active.synchronous_builds.extend(job_id);
                    Ok(command("CREATE INDEX"))
                }
            }
            Plan::DropIndex { names, if_exists } => {
                catalog::drop_index(&mut active.txn, names, *if_exists).map(|_| command("DROP INDEX"))
            }
            Plan::Analyze { tables, vacuum } => {
                if *vacuum && (active.explicit || in_batch) {
                    return Err(Error::new(
                        sqlstate::ACTIVE_SQL_TRANSACTION,
                        "VACUUM cannot run inside a transaction block",
                    ));
                }
                // As PostgreSQL, a role analyzes only the tables it owns and skips the others (PostgreSQL
                // warns). Not DDL: ANALYZE may share a transaction with anything; its jobs start at COMMIT.
                let catalog = self.db.catalog();
                for table in tables {
                    if self.superuser || catalog.roles.table_owner(table.id) == Some(self.user.as_str()) {
                        let job = crate::jobs::submit_analyze(&mut active.txn, table);
                        active.submitted_jobs = true;
                        // PostgreSQL's ANALYZE has stored the statistics when it returns (here: when its
                        // transaction commits); DSQL's runs as a job the statement only submits.
                        if rules.mode == crate::compat::CompatMode::Postgres {
                            active.synchronous_builds.push(job);
                        }
                    }
                }
                Ok(command(if *vacuum { "VACUUM" } else { "ANALYZE" }))
            }
            Plan::WaitForJob { job_id } => {
                let id = {
                    let mut ctx = execute::ExecContext::new(&active.txn, params, &functions);
                    execute::eval(job_id, &[], &mut ctx)?
                };
                let Value::Text(id) = id else {
                    return Err(Error::new(sqlstate::INVALID_TEXT_REPRESENTATION, "Unable to convert text to UUID"));
                };
                crate::jobs::wait_for_job(&self.db, &id, &functions.interrupt).map(|completed| QueryResult::Rows {
                    columns: planned.columns.clone(),
                    rows: vec![vec![Value::Bool(completed)]],
                    tag: "CALL".to_string(),
                })
            }
            Plan::CopyTo(copy) => {
                let query = Plan::Query(copy.query.clone());
                match execute::execute(&query, &mut active.txn, params, &functions, &planning)? {
                    QueryResult::Rows { rows, .. } => Ok(copy_out(copy, &rows)),
                    _ => Err(Error::internal("COPY's query returned no rows")),
                }
            }
            Plan::Query(query @ plan::QueryPlan { locking: Some(strength), .. }) => {
                let lock = rules.check_locking_clause(*strength)?;
                execute::execute_locking_query(query, lock, &mut active.txn, params, &functions, &planning)
            }
            Plan::Explain { options, inner } => {
                // A statement refused when run is refused when explained.
                if let Plan::Query(plan::QueryPlan { locking: Some(strength), .. }) = inner.as_ref() {
                    rules.check_locking_clause(*strength)?;
                }
                let style = if rules.dsql_plan_names { explain::Style::Dsql } else { explain::Style::Postgres };
                explain_statement(inner, *options, style, &mut active.txn, params, &functions, &planning).map(|lines| {
                    QueryResult::Rows {
                        columns: planned.columns.clone(),
                        rows: lines.into_iter().map(|l| vec![Value::Text(l)]).collect(),
                        tag: "EXPLAIN".to_string(),
                    }
                })
            }
            Plan::Truncate { tables, restart_identity: true } => {
                let result = execute::execute(plan, &mut active.txn, params, &functions, &planning)?;
                // As setval: at once, not at COMMIT (PostgreSQL's is transactional).
                let storage = self.db.txn_manager().storage().as_ref();
                for sequence in functions.catalog.sequences() {
                    if sequence.owned_by.is_some_and(|(table, _)| tables.iter().any(|t| t.id == table)) {
                        self.db.sequences().set(storage, sequence, sequence.start, false)?;
                    }
                }
                Ok(result)
            }
            Plan::WithModifying { ctes, main } => {
                let (result, changed) =
                    execute::with_modifying(ctes, main, &mut active.txn, params, &functions, &planning)?;
                parts_changed = Some(changed);
                Ok(result)
            }
            Plan::Merge(inner) => {
                // The rewritten statement's one row counts the rows its actions changed.
                let result = match inner.as_ref() {
                    Plan::WithModifying { ctes, main } => {
                        let (result, changed) =
                            execute::with_modifying(ctes, main, &mut active.txn, params, &functions, &planning)?;
                        parts_changed = Some(changed);
                        result
                    }
                    other => {
                        parts_changed = Some(Vec::new());
                        execute::execute(other, &mut active.txn, params, &functions, &planning)?
                    }
                };
                let changed = match &result {
                    QueryResult::Rows { rows, .. } => match rows.first().and_then(|r| r.first()) {
                        Some(Value::Int(n)) => *n,
                        _ => 0,
                    },
                    _ => 0,
                };
                Ok(command(&format!("MERGE {changed}")))
            }
            Plan::Query(query) => {
                execute::execute_query(query, physical, &mut active.txn, params, &functions, &planning)
            }
            other => execute::execute(other, &mut active.txn, params, &functions, &planning),
        }?;
        if plan.is_dml() {
            // The transaction fails (and so writes nothing) when this statement crosses a limit.
            let changed = parts_changed.unwrap_or_else(|| vec![(plan, result.rows_affected())]);
            for (part, affected) in changed {
                count_table_changes(&mut active.table_changes, part, affected as u64);
                active.rows_modified += affected;
            }
            rules.check_rows_modified(active.rows_modified)?;
            let (longest_key, longest_row) = active.txn.take_largest_write();
            rules.check_key_size(longest_key.saturating_sub(KEY_PREFIX_LEN))?;
            rules.check_row_size(longest_row)?;
            for table in tables_written(plan) {
                let as_of = table.loaded_at.min(active.txn.start_ts());
                active.txn.depend_on_schema(catalog::definition_key(table), as_of);
            }
        }
        active.did_ddl |= plan.is_ddl();
        active.did_dml |= plan.is_dml();
        if autocommit {
            self.commit_active()?;
        }
        Ok(result)
    }

    fn set(&mut self, name: &str, value: &str, local: bool) -> Result<QueryResult> {
        let lower = name.to_ascii_lowercase();
        if lower == "transaction" {
            return Err(Error::unsupported("setting configuration parameter \"TRANSACTION\" not supported"));
        }
        if lower == "default_transaction_isolation" {
            self.db.rules().check_default_isolation(value)?;
        }
        self.settings.set(&lower, value, local)?;
        Ok(command("SET"))
    }

    fn show(&self, name: &str) -> Result<QueryResult> {
        let value = self.settings.show(name)?;
        let columns: Arc<[Column]> = Arc::from(vec![Column {
            name: crate::settings::display_name(name),
            data_type: DataType::Text,
            origin: None,
        }]);
        Ok(QueryResult::Rows { columns, rows: vec![vec![Value::Text(value)]], tag: "SHOW".to_string() })
    }

    /// RESET, DISCARD, DEALLOCATE, CLOSE, UNLISTEN, PREPARE, EXECUTE.
    fn session_command(&mut self, action: &SessionCommand, in_batch: bool) -> Result<QueryResult> {
        match action {
            SessionCommand::Reset(Some(name)) => {
                self.settings.reset(name)?;
                Ok(command("RESET"))
            }
            SessionCommand::Reset(None) => {
                self.settings.reset_all();
                Ok(command("RESET"))
            }
            SessionCommand::Discard(target) => {
                let tag = match target {
                    DiscardTarget::All => {
                        if self.transaction_status() != TransactionStatus::Idle {
                            return Err(Error::new(
                                sqlstate::ACTIVE_SQL_TRANSACTION,
                                "DISCARD ALL cannot run inside a transaction block",
                            ));
                        }
                        // PostgreSQL's equivalent: CLOSE ALL; RESET ALL; DEALLOCATE ALL; UNLISTEN *;
                        // pg_advisory_unlock_all(); DISCARD PLANS, SEQUENCES, TEMP (nothing to do there).
                        self.note_effect(SessionEffect::CloseAllPortals);
                        self.cursors.close_all();
                        self.settings.reset_all();
                        self.settings.sequence_values().clear();
                        self.deallocate_all();
                        self.statement_cache.clear();
                        self.drop_temporary_tables()?;
                        "DISCARD ALL"
                    }
                    // The cache of query strings goes. Prepared statements keep their plans: those are made
                    // again by themselves when the catalog, statistics or settings change (`PlanCache`).
                    DiscardTarget::Plans => {
                        self.statement_cache.clear();
                        "DISCARD PLANS"
                    }
                    DiscardTarget::Sequences => {
                        self.settings.sequence_values().clear();
                        "DISCARD SEQUENCES"
                    }
                    DiscardTarget::Temp => {
                        let schema = self.temporary_schema();
                        match &mut self.state {
                            // In a block, the tables go with the transaction (a ROLLBACK keeps them).
                            State::Active(active) => {
                                let schemas = std::slice::from_ref(&schema);
                                with_search_path(vec![schema.clone()], || {
                                    let drop =
                                        || catalog::schemas::drop(&mut active.txn, schemas, true, true, "", true);
                                    crate::notice::suppressed(drop)
                                })?;
                                active.did_ddl = true;
                            }
                            _ => self.drop_temporary_tables()?,
                        }
                        "DISCARD TEMP"
                    }
                };
                Ok(command(tag))
            }
            SessionCommand::Deallocate(None) => {
                self.deallocate_all();
                Ok(command("DEALLOCATE ALL"))
            }
            SessionCommand::Deallocate(Some(name)) => {
                let sql_level = self.prepared.remove(name).is_some();
                if !sql_level && !self.protocol_statements.remove(name) {
                    return Err(undefined_prepared_statement(name));
                }
                if !sql_level {
                    self.note_effect(SessionEffect::Deallocate(name.clone()));
                }
                Ok(command("DEALLOCATE"))
            }
            SessionCommand::Close(None) => {
                self.note_effect(SessionEffect::CloseAllPortals);
                self.cursors.close_all();
                Ok(command("CLOSE CURSOR ALL"))
            }
            // A DECLAREd cursor (protocol-level portals are not cursors here).
            SessionCommand::Close(Some(name)) => self.cursors.close(name).map(|()| command("CLOSE CURSOR")),
            SessionCommand::Fetch { name, direction, move_only } => self.cursors.fetch(name, *direction, *move_only),
            SessionCommand::SetConstraints { names, deferred } => self.set_constraints(names.as_deref(), *deferred),
            SessionCommand::Lock { tables, access_share } => self.lock_tables(tables, *access_share),
            SessionCommand::Unlisten(_) => {
                // Aurora DSQL refuses UNLISTEN as it refuses LISTEN; elsewhere nothing listens, so there
                // is nothing to stop.
                if self.db.rules().mode == crate::compat::CompatMode::Dsql {
                    return Err(Error::unsupported("unsupported statement: Unlisten"));
                }
                Ok(command("UNLISTEN"))
            }
            SessionCommand::Prepare { name, param_types, statement } => {
                if self.prepared.contains_key(name) || self.protocol_statements.contains(name) {
                    return Err(Error::new("42P05", format!("prepared statement \"{name}\" already exists")));
                }
                let prepared = self.prepare_parsed(name, Some((**statement).clone()), param_types)?;
                self.prepared.insert(name.clone(), prepared);
                Ok(command("PREPARE"))
            }
            SessionCommand::Execute { name, args } => {
                let prepared = self.prepared.get(name).cloned().ok_or_else(|| undefined_prepared_statement(name))?;
                if args.len() != prepared.param_types.len() {
                    return Err(Error::syntax(format!("wrong number of parameters for prepared statement \"{name}\""))
                        .with_detail(format!(
                            "Expected {} parameters but got {}.",
                            prepared.param_types.len(),
                            args.len()
                        )));
                }
                let params = self.evaluate_arguments(args, &prepared.param_types, in_batch)?;
                let Some(statement) = &prepared.statement else { return Ok(QueryResult::Empty) };
                self.run(statement, Some(&prepared), &params, in_batch)
            }
        }
    }

    /// EXECUTE's arguments: each cast to its parameter's type and evaluated (by running a SELECT of them).
    fn evaluate_arguments(&mut self, args: &[String], types: &[DataType], in_batch: bool) -> Result<Vec<Value>> {
        if args.is_empty() {
            return Ok(Vec::new());
        }
        let casts: Vec<String> =
            args.iter().zip(types).map(|(arg, data_type)| format!("CAST(({arg}) AS {})", data_type.name())).collect();
        let select = parse::parse(&format!("SELECT {}", casts.join(", ")))?
            .pop()
            .ok_or_else(|| Error::internal("EXECUTE arguments parsed to nothing"))?;
        match self.run(&select, None, &[], in_batch)? {
            QueryResult::Rows { mut rows, .. } if rows.len() == 1 => Ok(rows.remove(0)),
            _ => Err(Error::internal("EXECUTE arguments did not evaluate to one row")),
        }
    }

    fn deallocate_all(&mut self) {
        self.prepared.clear();
        self.protocol_statements.clear();
        self.note_effect(SessionEffect::DeallocateAll);
    }

    /// Records an effect once (an embedding caller that never takes them keeps a bounded list).
    fn note_effect(&mut self, effect: SessionEffect) {
        if !self.effects.contains(&effect) {
            self.effects.push(effect);
        }
    }

    /// The wire layer's protocol-level prepared statements share `PREPARE`'s namespace: it reports each
    /// name it creates (`exists`) or closes.
    pub fn note_protocol_statement(&mut self, name: &str, exists: bool) {
        if exists {
            self.protocol_statements.insert(name.to_string());
        } else {
            self.protocol_statements.remove(name);
        }
    }

    /// Whether SQL `PREPARE` made a statement of this name.
    pub fn has_sql_statement(&self, name: &str) -> bool {
        self.prepared.contains_key(name)
    }

    /// What the statements since the last call did to protocol-level objects.
    pub fn take_effects(&mut self) -> Vec<SessionEffect> {
        std::mem::take(&mut self.effects)
    }

    /// The notices and warnings the statements since the last call raised (`crate::notice`).
    pub fn take_notices(&mut self) -> Vec<Error> {
        std::mem::take(&mut self.notices)
    }

    /// This session's parameters (for ParameterStatus and the backend process id).
    pub fn settings(&self) -> &SessionSettings {
        &self.settings
    }

    /// A parameter from the client's startup message (`options=-c name=value` or a bare `name=value`),
    /// applied as `SET` would.
    pub fn set_startup_parameter(&mut self, name: &str, value: &str) -> Result<()> {
        if name.eq_ignore_ascii_case("default_transaction_isolation") {
            self.db.rules().check_default_isolation(value)?;
        }
        self.settings.set_startup_value(name, value)
    }
}

fn undefined_prepared_statement(name: &str) -> Error {
    Error::new(sqlstate::INVALID_SQL_STATEMENT_NAME, format!("prepared statement \"{name}\" does not exist"))
}

/// The deferrable foreign keys `SET CONSTRAINTS name` names (every table's of that name, as PostgreSQL's
/// search): `42704` if no constraint has the name; to defer one that is not deferrable (a foreign key
/// declared so, or a primary key, UNIQUE or CHECK constraint, which never are in occam) is `42809
/// constraint "c" is not deferrable`.
fn deferrable_constraints(
    catalog: &catalog::Catalog,
    name: &crate::sql::ast::ObjectName,
    deferred: bool,
) -> Result<Vec<crate::txn::ConstraintId>> {
    let in_public = name.schema.as_deref().is_none_or(|s| s == catalog::PUBLIC_SCHEMA);
    let mut found = Vec::new();
    let (mut exists, mut not_deferrable) = (false, false);
    for table in catalog.tables().filter(|_| in_public) {
        for key in table.foreign_keys.iter().filter(|k| k.name == name.name) {
            exists = true;
            not_deferrable |= !key.deferrable;
            if key.deferrable {
                found.push((table.id, key.name.clone()));
            }
        }
        let other = (!table.has_hidden_key() && table.primary_key_name() == name.name)
            || table.indexes.iter().any(|i| i.constraint && i.name == name.name)
            || table.checks.iter().any(|c| c.name == name.name);
        exists |= other;
        not_deferrable |= other;
    }
    if not_deferrable && deferred {
        return Err(Error::new(sqlstate::WRONG_OBJECT_TYPE, format!("constraint \"{}\" is not deferrable", name.name)));
    }
    if !exists {
        return Err(Error::new(
            sqlstate::UNDEFINED_OBJECT,
            format!("constraint \"{}\" does not exist", catalog::display_name(name)),
        ));
    }
    Ok(found)
}

/// What a statement's expressions and catalog functions see: the transaction's and the statement's
/// times, the session, the catalog to read.
fn statement_functions(
    db: &Database,
    settings: &SessionSettings,
    interrupt: &Option<StatementInterrupt>,
    transaction_timestamp: DateTime<Utc>,
    catalog: Arc<catalog::Catalog>,
) -> FunctionContext {
    FunctionContext {
        transaction_timestamp,
        statement_timestamp: db.now(),
        session: Some(settings.clone()),
        refuse_advisory_locks: db.rules().mode == crate::compat::CompatMode::Dsql,
        catalog,
        database: Some(db.clone()),
        regex_cache: Default::default(),
        interrupt: interrupt.clone().unwrap_or_default(),
        with_results: Vec::new(),
    }
}

/// What the optimizer plans a statement's reads with: the database's estimates, the session's planner
/// switches, the memory limit.
fn statement_planning<'d>(db: &'d Database, settings: &SessionSettings) -> execute::Planning<'d> {
    execute::Planning {
        estimates: db,
        settings: planner_settings(db, settings),
        memory: MemoryLimits { query: db.rules().max_query_memory, server: Some(db.server_memory().clone()) },
    }
}

/// The planner switches (`enable_indexscan`, ...) as this session has SET them.
fn planner_settings(db: &Database, settings: &SessionSettings) -> crate::sql::optimize::Settings {
    let mut planner = db.planner_defaults();
    for (name, value) in settings.overrides() {
        planner.apply(&name, &value);
    }
    planner
}

/// EXPLAIN [ANALYZE]: plans `inner` (and runs it with ANALYZE, DML included, as PostgreSQL does) and
/// renders the plan.
fn explain_statement(
    inner: &Plan,
    options: crate::sql::ast::ExplainOptions,
    style: explain::Style,
    txn: &mut crate::txn::Transaction,
    params: &[Value],
    functions: &FunctionContext,
    planning: &execute::Planning,
) -> Result<Vec<String>> {
    let started = std::time::Instant::now();
    let dml = match inner {
        Plan::Insert(insert) => Some(explain::DmlTarget { verb: "Insert", table: insert.table.name.clone() }),
        Plan::Update(update) => Some(explain::DmlTarget { verb: "Update", table: update.table.name.clone() }),
        Plan::Delete(delete) => Some(explain::DmlTarget { verb: "Delete", table: delete.table.name.clone() }),
        _ => None,
    };
    match inner {
        // The main statement's plan, then each data-modifying WITH query's (`CTE d` sections, which
        // PostgreSQL prints above the main plan's inputs). Not run: the binder refuses ANALYZE.
        Plan::WithModifying { ctes, main } => {
            let mut lines = explain_statement(main, options, style, txn, params, functions, planning)?;
            for cte in ctes {
                lines.push(format!("  CTE {}", cte.name));
                let part = explain_statement(&cte.plan, options, style, txn, params, functions, planning)?;
                for (i, line) in part.into_iter().enumerate() {
                    lines.push(if i == 0 { format!("    ->  {line}") } else { format!("        {line}") });
                }
            }
            Ok(lines)
        }
        Plan::Query(query) => {
            let physical = execute::plan(query, txn, planning);
            let planning_time = started.elapsed();
            let (stats, execution) = if options.analyze {
                let run_started = std::time::Instant::now();
                let (_, stats) = execute::run_analyzed(&physical, txn, params, functions, planning)?;
                (Some(stats), Some(run_started.elapsed()))
            } else {
                (None, None)
            };
            Ok(explain::render(&explain::Explained {
                query: Some(&physical),
                stats: stats.as_deref(),
                dml: None,
                options,
                style,
                planning: planning_time,
                execution,
            }))
        }
        _ if options.analyze => {
            let planning_time = started.elapsed();
            let run_started = std::time::Instant::now();
            let (_, analysis) = execute::analyze_dml(inner, txn, params, functions, planning)?;
            let execution = run_started.elapsed();
            Ok(explain::render(&explain::Explained {
                query: analysis.read.as_ref(),
                stats: Some(&analysis.stats),
                dml,
                options,
                style,
                planning: planning_time,
                execution: Some(execution),
            }))
        }
        _ => {
            let read = execute::plan_dml_read(inner, txn, planning);
            Ok(explain::render(&explain::Explained {
                query: read.as_ref(),
                stats: None,
                dml,
                options,
                style,
                planning: started.elapsed(),
                execution: None,
            }))
        }
    }
}

/// Rules that refuse a statement before it is planned (as DSQL's parser refuses it, before name lookup).
fn check_statement_rules(rules: &Rules, statement: &Statement) -> Result<()> {
    match statement {
        Statement::Truncate { .. } => rules.check_truncate(),
        Statement::Vacuum { .. } => rules.check_vacuum(),
        Statement::Merge(_) => rules.check_merge(),
        Statement::CreateTable(ast::CreateTable { temporary: Some(_), .. })
        | Statement::CreateTableAs(ast::CreateTableAs { temporary: Some(_), .. }) => rules.check_temporary_table(),
        Statement::CreateTableAs(_) => rules.check_create_table_as(false),
        Statement::RefreshMaterializedView { .. } => rules.check_create_table_as(true),
        Statement::CreateIndex(create) if !create.asynchronous => rules.check_synchronous_create_index(),
        Statement::CreateTable(create) => {
            if let Some((name, value)) = create.storage_parameters.first() {
                rules.check_storage_parameters(name, value)?;
            }
            for column in &create.columns {
                rules.check_column_type(column.data_type)?;
                if column.serial {
                    rules.check_serial(column.data_type)?;
                }
                if let Some(identity) = &column.identity {
                    rules.check_sequence_cache(identity.options.cache, true)?;
                    rules.check_identity_type(column.data_type)?;
                }
            }
            Ok(())
        }
        Statement::Sequence(SequenceStatement::Create { options, .. }) => {
            rules.check_sequence_cache(options.cache, false)
        }
        Statement::Sequence(SequenceStatement::Alter { options, .. }) if options.cache.is_some() => {
            rules.check_sequence_cache(options.cache, false)
        }
        Statement::AlterTable(alter) => alter.actions.iter().try_for_each(|action| match action {
            AlterTableAction::AddColumn { column, .. } if matches!(column.data_type, DataType::Array(_)) => {
                rules.check_column_type(column.data_type)
            }
            AlterTableAction::AddColumn { column, .. } if column.serial => rules.check_serial(column.data_type),
            AlterTableAction::AddColumn { column, .. }
                if column.default.is_some() || column.not_null || column.identity.is_some() =>
            {
                rules.check_alter_table_constraint(false)
            }
            AlterTableAction::SetNotNull { not_null: true, .. } => rules.check_alter_table_constraint(true),
            AlterTableAction::AddConstraint(constraint) => rules.check_add_constraint(constraint),
            AlterTableAction::AddPrimaryKey { .. } => rules.check_add_primary_key(),
            AlterTableAction::ValidateConstraint { .. } => rules.check_validate_constraint(alter.asynchronous),
            _ => Ok(()),
        }),
        _ => Ok(()),
    }
}

/// The limits on a table definition: column count, and the primary key's and unique constraints' index
/// keys (their columns, their types, how many indexes the table has).
fn check_table_definition(rules: &Rules, create: &crate::sql::ast::CreateTable) -> Result<()> {
    use crate::sql::ast::ConstraintKind;
    rules.check_column_count(create.columns.len())?;
    let unique_keys = create.constraints.iter().filter_map(|c| match &c.kind {
        ConstraintKind::Unique { columns, .. } => Some(columns),
        _ => None,
    });
    for (n, key) in std::iter::once(&create.primary_key).chain(unique_keys).enumerate() {
        for name in key {
            if let Some(column) = create.columns.iter().find(|c| &c.name == name) {
                rules.check_key_column_type(&column.data_type)?;
            }
        }
        rules.check_index_definition(key.len(), n + 1)?;
    }
    Ok(())
}

/// COPY TO's output for `rows`.
fn copy_out(copy: &plan::CopyToPlan, rows: &[Row]) -> QueryResult {
    let writer = copy::CopyWriter::new(&copy.options, &copy.columns);
    let width = copy.columns.len();
    let data = writer.messages(rows.iter().map(|row| &row[..width.min(row.len())]));
    QueryResult::CopyOut { format: copy.options.format, columns: width, data, tag: format!("COPY {}", rows.len()) }
}

/// COPY reads and writes files and runs programs on the server only for PostgreSQL's superusers; occam
/// does neither (its administrator gets 0A000), and refuses everyone else in PostgreSQL's words.
fn check_copy_endpoint(endpoint: &CopyEndpoint, is_from: bool, superuser: bool) -> Result<()> {
    let (role, what) = match endpoint {
        CopyEndpoint::Client => return Ok(()),
        CopyEndpoint::Program(_) => ("pg_execute_server_program", "COPY to or from an external program"),
        CopyEndpoint::File(_) if is_from => ("pg_read_server_files", "COPY from a file"),
        CopyEndpoint::File(_) => ("pg_write_server_files", "COPY to a file"),
    };
    let hint = "Anyone can COPY to stdout or from stdin. psql's \\copy command also works for anyone.";
    if superuser {
        return Err(Error::unsupported(format!("{what} on the server is not supported")).with_hint(hint));
    }
    Err(Error::new(
        sqlstate::INSUFFICIENT_PRIVILEGE,
        format!("must be superuser or have privileges of the {role} role to {what}"),
    )
    .with_hint(hint))
}

/// Adds what DML `plan` did (`rows` rows affected) to a transaction's per-table changes. An
/// `INSERT ... ON CONFLICT DO UPDATE` counts its updated rows as inserted (its tag does not tell them apart).
fn count_table_changes(changes: &mut HashMap<u32, TableChanges>, plan: &Plan, rows: u64) {
    match plan {
        Plan::Insert(_) | Plan::Update(_) | Plan::Delete(_) if rows == 0 => {}
        Plan::Insert(insert) => changes.entry(insert.table.id).or_default().inserted += rows,
        Plan::Update(update) => changes.entry(update.table.id).or_default().updated += rows,
        Plan::Delete(delete) => changes.entry(delete.table.id).or_default().deleted += rows,
        Plan::Truncate { tables, .. } => tables.iter().for_each(|t| changes.entry(t.id).or_default().truncate()),
        _ => {}
    }
}

/// The tables a DML plan writes (their definitions must not change before COMMIT).
fn tables_written(plan: &Plan) -> Vec<&catalog::Table> {
    match plan {
        Plan::Insert(insert) => vec![&insert.table],
        Plan::Update(update) => vec![&update.table],
        Plan::Delete(delete) => vec![&delete.table],
        Plan::Truncate { tables, .. } => tables.iter().map(|t| t.as_ref()).collect(),
        Plan::WithModifying { ctes, main } => {
            ctes.iter().flat_map(|cte| tables_written(&cte.plan)).chain(tables_written(main)).collect()
        }
        Plan::Merge(inner) => tables_written(inner),
        _ => Vec::new(),
    }
}

/// The position of the newest savepoint called `name` (PostgreSQL lets a name be reused; the newest wins).
fn find_savepoint(savepoints: &[Savepoint], name: &str) -> Result<usize> {
    savepoints.iter().rposition(|s| s.name == name).ok_or_else(|| {
        Error::new(sqlstate::INVALID_SAVEPOINT_SPECIFICATION, format!("savepoint \"{name}\" does not exist"))
    })
}

/// 25P01 for a savepoint statement outside a transaction block, in PostgreSQL's words.
fn outside_block(action: SavepointAction) -> Error {
    let statement = match action {
        SavepointAction::Define => "SAVEPOINT",
        SavepointAction::Release => "RELEASE SAVEPOINT",
        SavepointAction::RollbackTo => "ROLLBACK TO SAVEPOINT",
    };
    Error::new(sqlstate::NO_ACTIVE_SQL_TRANSACTION, format!("{statement} can only be used in transaction blocks"))
}

#[cfg(test)]
mod tests {
    use super::QueryString;

    #[test]
    fn only_single_computing_statements_run_inline() {
        for sql in ["BEGIN", "COMMIT", "ROLLBACK", "SELECT 1", "UPDATE t SET a = 1", "INSERT INTO t VALUES (1)"] {
            assert!(!QueryString::parse(sql).may_block(), "{sql}");
        }
        for sql in [
            "CREATE TABLE t (id INT PRIMARY KEY)",
            "DROP TABLE t",
            "CALL sys.wait_for_job('x')",
            "BEGIN; UPDATE t SET a = 1; COMMIT",
        ] {
            assert!(QueryString::parse(sql).may_block(), "{sql}");
        }
    }
}
