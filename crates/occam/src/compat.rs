//! Compatibility modes: the one table of rules that makes occam behave like Aurora DSQL or like PostgreSQL.
//!
//! `occam serve --compat dsql` (the default) follows Aurora DSQL exactly: its quotas (3,000 rows modified
//! and 10 MiB written per transaction, 5-minute transactions, 1 KiB keys, 255 columns, 8 key columns per
//! index, 24 indexes per table), its transaction rules (one DDL per transaction, no DDL with DML) and its
//! refusals (`TRUNCATE`, `FOR SHARE`, ...). `--compat postgres` lifts those refusals and limits and accepts
//! the PostgreSQL features occam implements. Everything that differs between the two modes is a field of
//! [`Rules`], built in one place ([`Rules::for_mode`]) and consulted through the `check_*` methods at the
//! few points that enforce them (the session, DDL execution), so no other code asks "are we DSQL?".
//!
//! ```text
//!   rule                                   dsql                                      postgres
//!   rows modified per transaction          3,000 (54000 at the statement)           unlimited
//!   bytes written per transaction          10 MiB (54000 at COMMIT)                 unlimited
//!   transaction age                        300 s (54000 at next statement/COMMIT)   unlimited
//!   primary-key / index key size           1 KiB (54000 key size too large)         unlimited
//!   row size                               2 MiB (54000 maximum row size exceeded)  unlimited
//!   columns per table                      255 (54011)                              1,600 (54011, as PG)
//!   key columns per index / primary key    8 (54011)                                32 (54011, as PG)
//!   indexes per table (incl. primary key)  24 (54000)                               unlimited
//!   DDL per transaction, DDL with DML      one, never mixed (0A000)                 any
//!   TRUNCATE                               0A000 unsupported statement: Truncate    deletes every row
//!   CREATE TABLE AS, MATERIALIZED VIEW     0A000 unsupported statement: CreateTableAs   run
//!   REFRESH MATERIALIZED VIEW              0A000 unsupported statement: RefreshMatView  run
//!   SAVEPOINT, RELEASE, ROLLBACK TO        0A000 unsupported transaction statement  run
//!   MERGE                                  0A000 unsupported statement type: MERGE  run
//!   FOR SHARE / FOR NO KEY UPDATE          0A000                                    run as FOR UPDATE
//!   READ COMMITTED / READ UNCOMMITTED      0A000 Unsupported isolation level        run as snapshot isolation
//!   SET TRANSACTION, default_transaction_isolation   0A000                          accepted (same levels)
//!   SERIALIZABLE                           0A000 Unsupported isolation level        0A000 (both modes)
//!   connection duration                    60 min (FATAL 57P01, connection closed)  unlimited
//!   new connections per server             100/s, bursts of 1,000 (FATAL 53400)     unlimited
//!   pg_am's index method, pg_database      btree_index, no pg_database (42P01)      btree, pg_database
//! ```
//! SERIALIZABLE stays refused in PostgreSQL mode: occam's snapshot isolation allows write skew, and running
//! it under that name would silently weaken what the client asked for; the weaker levels may run at the
//! stronger snapshot isolation, as the SQL standard allows. Features occam does not implement (temporary
//! tables, triggers, ...) stay refused in both modes, with DSQL's wording, in `sql::parse`.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::error::{sqlstate, Error, Result};
use crate::sql::ast::{IsolationLevel, LockStrength};
use crate::txn::RowLock;
use crate::types::DataType;

/// Aurora DSQL's limit on rows modified (inserted, updated or deleted) by one transaction.
pub const DSQL_MAX_TRANSACTION_ROWS: usize = 3_000;
/// Temp space (memory) one query may use in Aurora DSQL.
pub const DSQL_MAX_QUERY_MEMORY: usize = 128 << 20;
/// occam's own bound in postgres mode, where PostgreSQL would spill to disk instead.
pub const POSTGRES_MAX_QUERY_MEMORY: usize = 4 << 30;
/// Aurora DSQL's limit on the data one transaction writes (rows and index entries), checked at COMMIT.
pub const DSQL_MAX_TRANSACTION_BYTES: usize = 10 * 1024 * 1024;
/// Aurora DSQL's limit on a transaction's duration.
pub const DSQL_MAX_TRANSACTION_AGE: Duration = Duration::from_secs(300);
/// Aurora DSQL's limit on the combined size of a primary key's or an index key's columns (1 KiB).
pub const DSQL_MAX_KEY_BYTES: usize = 1024;
/// Aurora DSQL's limit on the size of one row.
pub const DSQL_MAX_ROW_BYTES: usize = 2 * 1024 * 1024;
/// Aurora DSQL's limit on columns per table.
pub const DSQL_MAX_COLUMNS: usize = 255;
/// Aurora DSQL's limit on columns in a primary key or a secondary index.
pub const DSQL_MAX_INDEX_KEY_COLUMNS: usize = 8;
/// Aurora DSQL's limit on indexes per table, the primary key included.
pub const DSQL_MAX_INDEXES_PER_TABLE: usize = 24;
/// Aurora DSQL's schema quota (`public` counts).
const DSQL_MAX_SCHEMAS: usize = 10;
/// Aurora DSQL's maximum connection duration: a connection is closed 60 minutes after it was opened.
pub const DSQL_MAX_CONNECTION_DURATION: Duration = Duration::from_secs(60 * 60);
/// Aurora DSQL's rate of new connections: 100 per second sustained, in bursts of up to 1,000.
pub const DSQL_CONNECTION_RATE: ConnectionRate = ConnectionRate { per_second: 100, burst: 1_000 };
/// PostgreSQL's limit on columns per table (MaxHeapAttributeNumber).
pub const POSTGRES_MAX_COLUMNS: usize = 1_600;
/// PostgreSQL's limit on columns in an index (INDEX_MAX_KEYS).
pub const POSTGRES_MAX_INDEX_KEY_COLUMNS: usize = 32;

/// Which database occam imitates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CompatMode {
    /// Aurora DSQL: its limits, transaction rules and refusals (the default).
    #[default]
    Dsql,
    /// PostgreSQL: DSQL's limits and refusals lifted where occam implements the PostgreSQL behaviour.
    Postgres,
}

impl FromStr for CompatMode {
    type Err = String;

    fn from_str(text: &str) -> std::result::Result<Self, String> {
        match text.to_ascii_lowercase().as_str() {
            "dsql" => Ok(CompatMode::Dsql),
            "postgres" | "postgresql" => Ok(CompatMode::Postgres),
            other => Err(format!("unknown compatibility mode \"{other}\" (expected dsql or postgres)")),
        }
    }
}

impl fmt::Display for CompatMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CompatMode::Dsql => "dsql",
            CompatMode::Postgres => "postgres",
        })
    }
}

/// How fast new connections may arrive: a token bucket of `burst` tokens refilled at `per_second` (see
/// `wire::limits`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionRate {
    pub per_second: u32,
    pub burst: u32,
}

/// What the system catalogs (`pg_catalog`, `sql::system`) show differently in the two modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CatalogRules {
    /// The index access method's name in `pg_am` and in index definitions: Aurora DSQL's `btree_index`
    /// (psql's `\d` shows it), PostgreSQL's `btree`.
    pub index_access_method: &'static str,
    /// Whether `pg_catalog.pg_database` exists (Aurora DSQL has none; psql's `\l` fails there).
    pub pg_database: bool,
}

impl CatalogRules {
    pub const DSQL: CatalogRules = CatalogRules { index_access_method: "btree_index", pg_database: false };
    pub const POSTGRES: CatalogRules = CatalogRules { index_access_method: "btree", pg_database: true };
}

impl Default for CatalogRules {
    fn default() -> Self {
        CatalogRules::DSQL
    }
}

/// The rules one database enforces. Build with [`Rules::for_mode`]; the fields are public so that a quota
/// DSQL lets customers raise (or a test that needs a small limit) can be adjusted in [`crate::Config`].
/// `None` means unlimited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    pub mode: CompatMode,
    pub max_transaction_rows: Option<usize>,
    pub max_transaction_bytes: Option<usize>,
    pub max_transaction_age: Option<Duration>,
    pub max_key_bytes: Option<usize>,
    pub max_row_bytes: Option<usize>,
    pub max_columns: usize,
    pub max_index_key_columns: usize,
    pub max_indexes_per_table: Option<usize>,
    /// Schemas a database may have, `public` included (DSQL: 10).
    pub max_schemas: Option<usize>,
    /// At most one DDL statement per transaction.
    pub single_ddl_per_transaction: bool,
    /// DDL and DML never in the same transaction.
    pub separate_ddl_and_dml: bool,
    /// TRUNCATE runs (deleting every row) instead of being refused.
    pub allow_truncate: bool,
    /// VACUUM accepted (postgres mode: a no-op but for its ANALYZE); DSQL refuses it.
    pub allow_vacuum: bool,
    /// `CREATE TABLE ... AS`, materialized views and REFRESH run instead of being refused.
    pub allow_create_table_as: bool,
    /// `CREATE TEMP TABLE` runs instead of being refused.
    pub allow_temporary_tables: bool,
    /// `SAVEPOINT`, `RELEASE` and `ROLLBACK TO` run instead of being refused.
    pub allow_savepoints: bool,
    /// `MERGE` runs instead of being refused.
    pub allow_merge: bool,
    /// Plain (synchronous) `CREATE INDEX` and `CONCURRENTLY` run instead of being refused.
    pub allow_synchronous_create_index: bool,
    /// `FOR SHARE` / `FOR NO KEY UPDATE` run as `FOR UPDATE` instead of being refused.
    pub allow_other_locking_clauses: bool,
    /// READ COMMITTED / READ UNCOMMITTED run as snapshot isolation instead of being refused.
    pub allow_weaker_isolation_levels: bool,
    /// `SET TRANSACTION` and `SET default_transaction_isolation` are accepted (for the levels that run).
    pub allow_set_transaction: bool,
    /// Bytes of sorts, hashes and aggregates one query may hold (DSQL: 128 MiB of temp space, `54000 query
    /// requires more than allowed temp space`); PostgreSQL spills to disk past work_mem, occam fails at 4 GiB.
    pub max_query_memory: Option<usize>,
    /// EXPLAIN names plan nodes as Aurora DSQL does (`Full Scan (btree-table)`, `Storage Scan`, ...) rather
    /// than as PostgreSQL does (`Seq Scan`, ...).
    pub dsql_plan_names: bool,
    /// The PostgreSQL version clients are told (`server_version`, `version()`): DSQL's 16 in dsql mode;
    /// in postgres mode the PostgreSQL 15 occam is checked against, whose pg_dump refuses newer servers.
    pub server_version: &'static str,
    /// A connection older than this is closed (FATAL, checked before each message and by a timer).
    pub max_connection_duration: Option<Duration>,
    /// New connections beyond this rate are refused (FATAL 53400 after their startup message).
    pub connection_rate: Option<ConnectionRate>,
    /// What the system catalogs show (index access method name, `pg_database`).
    pub catalog: CatalogRules,
    /// A jsonb column may be a primary-key or index key column (PostgreSQL's jsonb btree opclass); DSQL
    /// refuses it.
    pub allow_jsonb_keys: bool,
    /// Sequences and identity columns must name their CACHE, 1 or at least 65536 (DSQL).
    pub require_sequence_cache: bool,
    /// Identity columns must be bigint (DSQL).
    pub bigint_identity_only: bool,
    /// `serial` / `bigserial` / `smallserial` columns exist (PostgreSQL; DSQL does not know the types).
    pub allow_serial: bool,
    /// ALTER TABLE may add a column with a DEFAULT or constraint, and SET NOT NULL (PostgreSQL).
    pub allow_alter_table_constraints: bool,
    /// A column may have an array type (`text[]`); DSQL refuses them as column types.
    pub allow_array_columns: bool,
}

impl Default for Rules {
    fn default() -> Self {
        Rules::for_mode(CompatMode::Dsql)
    }
}

impl Rules {
    /// The rule table for `mode`.
    pub fn for_mode(mode: CompatMode) -> Rules {
        match mode {
            CompatMode::Dsql => Rules {
                mode,
                max_transaction_rows: Some(DSQL_MAX_TRANSACTION_ROWS),
                max_transaction_bytes: Some(DSQL_MAX_TRANSACTION_BYTES),
                max_transaction_age: Some(DSQL_MAX_TRANSACTION_AGE),
                max_key_bytes: Some(DSQL_MAX_KEY_BYTES),
                max_row_bytes: Some(DSQL_MAX_ROW_BYTES),
                max_columns: DSQL_MAX_COLUMNS,
                max_index_key_columns: DSQL_MAX_INDEX_KEY_COLUMNS,
                max_indexes_per_table: Some(DSQL_MAX_INDEXES_PER_TABLE),
                max_schemas: Some(DSQL_MAX_SCHEMAS),
                single_ddl_per_transaction: true,
                separate_ddl_and_dml: true,
                allow_truncate: false,
                allow_vacuum: false,
                allow_create_table_as: false,
                allow_temporary_tables: false,
                allow_savepoints: false,
                allow_merge: false,
                allow_synchronous_create_index: false,
                allow_other_locking_clauses: false,
                allow_weaker_isolation_levels: false,
                allow_set_transaction: false,
                dsql_plan_names: true,
                server_version: crate::wire::SERVER_VERSION,
                max_query_memory: Some(DSQL_MAX_QUERY_MEMORY),
                max_connection_duration: Some(DSQL_MAX_CONNECTION_DURATION),
                connection_rate: Some(DSQL_CONNECTION_RATE),
                catalog: CatalogRules::DSQL,
                allow_jsonb_keys: false,
                require_sequence_cache: true,
                bigint_identity_only: true,
                allow_serial: false,
                allow_alter_table_constraints: false,
                allow_array_columns: false,
            },
            CompatMode::Postgres => Rules {
                mode,
                max_transaction_rows: None,
                max_transaction_bytes: None,
                max_transaction_age: None,
                max_key_bytes: None,
                max_row_bytes: None,
                max_columns: POSTGRES_MAX_COLUMNS,
                max_index_key_columns: POSTGRES_MAX_INDEX_KEY_COLUMNS,
                max_indexes_per_table: None,
                max_schemas: None,
                single_ddl_per_transaction: false,
                separate_ddl_and_dml: false,
                allow_truncate: true,
                allow_vacuum: true,
                allow_create_table_as: true,
                allow_temporary_tables: true,
                allow_savepoints: true,
                allow_merge: true,
                allow_synchronous_create_index: true,
                allow_other_locking_clauses: true,
                allow_weaker_isolation_levels: true,
                allow_set_transaction: true,
                dsql_plan_names: false,
                server_version: crate::wire::POSTGRES_MODE_SERVER_VERSION,
                max_query_memory: Some(POSTGRES_MAX_QUERY_MEMORY),
                max_connection_duration: None,
                connection_rate: None,
                catalog: CatalogRules::POSTGRES,
                allow_jsonb_keys: true,
                require_sequence_cache: false,
                bigint_identity_only: false,
                allow_serial: true,
                allow_alter_table_constraints: true,
                allow_array_columns: true,
            },
        }
    }

    /// `CREATE TABLE ... WITH (name = value)`: PostgreSQL's storage parameters are accepted (and have no
    /// effect) in postgres mode; DSQL has no such options.
    pub fn check_storage_parameters(&self, name: &str, value: &str) -> Result<()> {
        match self.mode {
            CompatMode::Postgres => Ok(()),
            CompatMode::Dsql => {
                Err(Error::unsupported(format!("table options (WITH ({name} = {value})) is not supported")))
            }
        }
    }

    /// A statement about to run in a transaction that already ran DDL (`did_ddl`) or DML (`did_dml`).
    pub fn check_statement_mix(&self, is_ddl: bool, is_dml: bool, did_ddl: bool, did_dml: bool) -> Result<()> {
        if self.single_ddl_per_transaction && is_ddl && did_ddl {
            return Err(Error::unsupported("multiple ddl statements not supported in a transaction"));
        }
        if self.separate_ddl_and_dml && ((is_ddl && did_dml) || (is_dml && did_ddl)) {
            return Err(Error::unsupported("ddl and dml are not supported in the same transaction"));
        }
        Ok(())
    }

    /// The transaction has modified `rows` rows, counting the statement that just ran.
    pub fn check_rows_modified(&self, rows: usize) -> Result<()> {
        match self.max_transaction_rows {
            Some(max) if rows > max => {
                Err(Error::new(sqlstate::PROGRAM_LIMIT_EXCEEDED, "transaction row limit exceeded"))
            }
            _ => Ok(()),
        }
    }

    /// At COMMIT: the transaction writes `bytes` bytes of keys and values.
    pub fn check_transaction_size(&self, bytes: usize) -> Result<()> {
        match self.max_transaction_bytes {
            Some(max) if bytes > max => {
                Err(Error::new(sqlstate::PROGRAM_LIMIT_EXCEEDED, "transaction size limit 10mb exceeded"))
            }
            _ => Ok(()),
        }
    }

    /// Before a statement or COMMIT at `now` of a transaction that started at `started_at`.
    pub fn check_transaction_age(&self, started_at: DateTime<Utc>, now: DateTime<Utc>) -> Result<()> {
        let Some(max) = self.max_transaction_age else { return Ok(()) };
        let age = (now - started_at).to_std().unwrap_or_default();
        if age > max {
            return Err(Error::new(
                sqlstate::PROGRAM_LIMIT_EXCEEDED,
                format!("transaction age limit of {}s exceeded", max.as_secs()),
            ));
        }
        Ok(())
    }

    /// Before serving a message on a connection opened at `connected_at`: past the maximum duration the
    /// connection is closed with this FATAL error. DSQL's own wording is not recorded; this is phrased like
    /// PostgreSQL's other "terminating connection" errors, with the SQLSTATE (57P01, admin_shutdown) that
    /// drivers and pools already treat as "the server ended this connection, open another".
    pub fn check_connection_age(&self, connected_at: DateTime<Utc>, now: DateTime<Utc>) -> Result<()> {
        let Some(max) = self.max_connection_duration else { return Ok(()) };
        let age = (now - connected_at).to_std().unwrap_or_default();
        if age >= max {
            return Err(Error::new(
                sqlstate::ADMIN_SHUTDOWN,
                format!("terminating connection: connection duration limit of {} exceeded", seconds_or_millis(max)),
            )
            .with_hint("Open a new connection.")
            .fatal());
        }
        Ok(())
    }

    /// The FATAL error for a connection refused by the new-connection rate limit.
    pub fn connection_rate_exceeded(&self) -> Error {
        let rate = self.connection_rate.unwrap_or(DSQL_CONNECTION_RATE);
        Error::new(sqlstate::CONFIGURATION_LIMIT_EXCEEDED, "unable to accept connection, rate exceeded")
            .with_detail(format!(
                "At most {} new connections per second are accepted, in bursts of up to {}.",
                rate.per_second, rate.burst
            ))
            .with_hint("Retry with backoff, or reuse connections from a pool.")
            .fatal()
    }

    /// A primary-key or index key whose columns encode to `bytes` bytes.
    pub fn check_key_size(&self, bytes: usize) -> Result<()> {
        match self.max_key_bytes {
            Some(max) if bytes > max => Err(Error::new(sqlstate::PROGRAM_LIMIT_EXCEEDED, "key size too large")),
            _ => Ok(()),
        }
    }

    /// A row that encodes to `bytes` bytes.
    pub fn check_row_size(&self, bytes: usize) -> Result<()> {
        match self.max_row_bytes {
            Some(max) if bytes > max => Err(Error::new(sqlstate::PROGRAM_LIMIT_EXCEEDED, "maximum row size exceeded")),
            _ => Ok(()),
        }
    }

    /// CREATE TABLE (or ADD COLUMN) leaving a table with `columns` user-visible columns.
    pub fn check_column_count(&self, columns: usize) -> Result<()> {
        if columns > self.max_columns {
            return Err(Error::new(
                sqlstate::TOO_MANY_COLUMNS,
                format!("tables can have at most {} columns", self.max_columns),
            ));
        }
        Ok(())
    }

    /// A primary key or index of `key_columns` columns on a table that will then have `indexes` indexes,
    /// its primary key included.
    pub fn check_index_definition(&self, key_columns: usize, indexes: usize) -> Result<()> {
        if key_columns > self.max_index_key_columns {
            let message = match self.mode {
                CompatMode::Dsql => {
                    format!("more than {} column keys in an index are not supported", self.max_index_key_columns)
                }
                CompatMode::Postgres => {
                    format!("cannot use more than {} columns in an index", self.max_index_key_columns)
                }
            };
            return Err(Error::new(sqlstate::TOO_MANY_COLUMNS, message));
        }
        if let Some(max) = self.max_indexes_per_table {
            if indexes > max {
                return Err(Error::new(
                    sqlstate::PROGRAM_LIMIT_EXCEEDED,
                    format!("more than {max} indexes per table are not allowed"),
                ));
            }
        }
        Ok(())
    }

    /// A key column (primary key or index key) of type `data_type`: json has no btree operator class
    /// (42704, as in PostgreSQL); jsonb has one, but DSQL refuses it (0A000, with its unsupported-type
    /// wording: DSQL's exact message is not recorded).
    pub fn check_key_column_type(&self, data_type: &DataType) -> Result<()> {
        match data_type {
            DataType::Json => Err(Error::new(
                sqlstate::UNDEFINED_OBJECT,
                "data type json has no default operator class for access method \"btree\"",
            )
            .with_hint(
                "You must specify an operator class for the index or define a default operator class for the data type.",
            )),
            DataType::Jsonb if !self.allow_jsonb_keys => Err(Error::unsupported("datatype jsonb not supported")),
            _ => Ok(()),
        }
    }

    /// The row lock a locking clause takes, or its refusal.
    pub fn check_locking_clause(&self, strength: LockStrength) -> Result<RowLock> {
        match strength {
            LockStrength::Update => Ok(RowLock::Update),
            LockStrength::KeyShare => Ok(RowLock::KeyShare),
            // Under optimistic concurrency a stronger lock only risks more 40001s, never an anomaly, so
            // PostgreSQL mode runs the weaker PostgreSQL locks as FOR UPDATE.
            LockStrength::Share | LockStrength::NoKeyUpdate if self.allow_other_locking_clauses => Ok(RowLock::Update),
            LockStrength::Share | LockStrength::NoKeyUpdate => {
                Err(Error::unsupported("locking clauses other than FOR UPDATE/FOR KEY SHARE are not supported"))
            }
        }
    }

    /// An isolation level named by BEGIN / SET TRANSACTION. Every transaction runs at snapshot isolation.
    pub fn check_isolation_level(&self, level: IsolationLevel) -> Result<()> {
        match level {
            IsolationLevel::RepeatableRead => Ok(()),
            IsolationLevel::ReadCommitted | IsolationLevel::ReadUncommitted if self.allow_weaker_isolation_levels => {
                Ok(())
            }
            _ => Err(Error::unsupported(format!("Unsupported isolation level: {}", level.sql()))),
        }
    }

    /// `SET TRANSACTION [ISOLATION LEVEL x] [READ ONLY | READ WRITE]`.
    pub fn check_set_transaction(&self, isolation: Option<IsolationLevel>, read_only: bool) -> Result<()> {
        // DSQL names an unsupported level first, then refuses SET TRANSACTION whatever it sets.
        if let Some(level) = isolation {
            self.check_isolation_level(level)?;
        }
        if !self.allow_set_transaction {
            return Err(Error::unsupported("setting configuration parameter \"TRANSACTION\" not supported"));
        }
        let _ = read_only; // enforced by the session for the rest of the transaction
        Ok(())
    }

    /// `BEGIN [ISOLATION LEVEL level] [READ ONLY]`: DSQL refuses READ ONLY as it refuses SET TRANSACTION
    /// (not recorded; occam keeps its former words there).
    pub fn check_begin(&self, isolation: Option<IsolationLevel>, read_only: bool) -> Result<()> {
        if let Some(level) = isolation {
            self.check_isolation_level(level)?;
        }
        if read_only && !self.allow_set_transaction {
            return Err(Error::unsupported("READ ONLY transactions is not supported yet"));
        }
        Ok(())
    }

    /// `SET default_transaction_isolation = value`.
    pub fn check_default_isolation(&self, value: &str) -> Result<()> {
        if !self.allow_set_transaction {
            return Err(Error::unsupported(
                "setting configuration parameter \"default_transaction_isolation\" not supported",
            ));
        }
        match IsolationLevel::from_setting(value) {
            Some(level) => self.check_isolation_level(level),
            None if value.eq_ignore_ascii_case("default") => Ok(()),
            None => Err(Error::new(
                sqlstate::INVALID_PARAMETER_VALUE,
                format!("invalid value for parameter \"default_transaction_isolation\": \"{value}\""),
            )),
        }
    }

    /// `CREATE INDEX` without `ASYNC` (built before the statement returns).
    pub fn check_synchronous_create_index(&self) -> Result<()> {
        if self.allow_synchronous_create_index {
            Ok(())
        } else {
            Err(Error::unsupported("unsupported mode. please use CREATE INDEX ASYNC."))
        }
    }

    /// `CREATE TABLE ... AS` / `CREATE MATERIALIZED VIEW` (`refresh`: `REFRESH MATERIALIZED VIEW`).
    pub fn check_create_table_as(&self, refresh: bool) -> Result<()> {
        match (self.allow_create_table_as, refresh) {
            (true, _) => Ok(()),
            (false, false) => Err(Error::unsupported("unsupported statement: CreateTableAs")),
            (false, true) => Err(Error::unsupported("unsupported statement: RefreshMatView")),
        }
    }

    /// `CREATE TEMP TABLE`: DSQL refuses it in its own words.
    pub fn check_temporary_table(&self) -> Result<()> {
        if self.allow_temporary_tables {
            return Ok(());
        }
        Err(Error::unsupported("TEMPORARY or TEMP table not supported for CREATE TABLE"))
    }

    /// `MERGE`: DSQL refuses it in its own words.
    pub fn check_merge(&self) -> Result<()> {
        if self.allow_merge {
            return Ok(());
        }
        Err(Error::unsupported("unsupported statement type: MERGE"))
    }

    /// `SAVEPOINT` / `RELEASE` / `ROLLBACK TO`: DSQL refuses them, naming the statement.
    pub fn check_savepoint(&self, action: crate::sql::ast::SavepointAction) -> Result<()> {
        if self.allow_savepoints {
            return Ok(());
        }
        Err(Error::unsupported(format!("unsupported transaction statement: {}", action.keyword())))
    }

    /// The CACHE of CREATE SEQUENCE (`identity: false`) or of an identity column: DSQL wants one given, 1
    /// or at least 65536.
    pub fn check_sequence_cache(&self, cache: Option<i64>, identity: bool) -> Result<()> {
        if !self.require_sequence_cache || matches!(cache, Some(1) | Some(65536..)) {
            return Ok(());
        }
        let what = if identity { "identity column" } else { "CREATE SEQUENCE" };
        Err(Error::unsupported(format!(
            "{what} is not supported without an explicit cache size. please define CACHE greater than or equal to \
             65536 or equal to 1"
        )))
    }

    /// The type of an identity column (PostgreSQL's own check, any integer type, is the catalog's).
    pub fn check_identity_type(&self, data_type: DataType) -> Result<()> {
        if self.bigint_identity_only && data_type != DataType::Int8 {
            return Err(Error::unsupported(format!(
                "datatype {} not supported, identity column type must be bigint",
                data_type.name()
            )));
        }
        Ok(())
    }

    /// A column's type: DSQL stores no arrays (`0A000 datatype text[] not supported`).
    pub fn check_column_type(&self, data_type: DataType) -> Result<()> {
        if matches!(data_type, DataType::Array(_)) && !self.allow_array_columns {
            return Err(Error::unsupported(format!("datatype {} not supported", data_type.name())));
        }
        Ok(())
    }

    /// A `serial` column (`data_type` is its integer type): DSQL has no such type.
    pub fn check_serial(&self, data_type: DataType) -> Result<()> {
        if self.allow_serial {
            return Ok(());
        }
        let name = match data_type {
            DataType::Int8 => "bigserial",
            DataType::Int2 => "smallserial",
            _ => "serial",
        };
        Err(Error::new(sqlstate::UNDEFINED_OBJECT, format!("type \"{name}\" does not exist")))
    }

    /// ALTER TABLE ADD COLUMN with a DEFAULT, NOT NULL or identity (`constrained`), or SET NOT NULL.
    pub fn check_alter_table_constraint(&self, set_not_null: bool) -> Result<()> {
        match (self.allow_alter_table_constraints, set_not_null) {
            (true, _) => Ok(()),
            (false, false) => Err(Error::unsupported("ALTER TABLE ADD COLUMN with constraint not supported")),
            (false, true) => Err(Error::unsupported("unsupported ALTER TABLE ALTER COLUMN ... SET NOT NULL statement")),
        }
    }

    /// ALTER TABLE ADD CONSTRAINT: DSQL takes only CHECK and FOREIGN KEY constraints added `NOT VALID`
    /// (their stored rows are validated later, by `ALTER TABLE ASYNC ... VALIDATE CONSTRAINT`), and UNIQUE
    /// only `USING INDEX` (a separate action).
    pub fn check_add_constraint(&self, constraint: &crate::sql::ast::TableConstraint) -> Result<()> {
        use crate::sql::ast::ConstraintKind;
        let deferred_validation =
            constraint.not_valid && matches!(constraint.kind, ConstraintKind::Check(_) | ConstraintKind::ForeignKey(_));
        if self.allow_alter_table_constraints || deferred_validation {
            return Ok(());
        }
        Err(Error::unsupported("unsupported ALTER TABLE ADD CONSTRAINT statement"))
    }

    /// ALTER TABLE ADD PRIMARY KEY: DSQL's rows are keyed by the primary key fixed at CREATE TABLE.
    pub fn check_add_primary_key(&self) -> Result<()> {
        if self.allow_alter_table_constraints {
            return Ok(());
        }
        Err(Error::unsupported("unsupported ALTER TABLE ADD CONSTRAINT statement"))
    }

    /// ALTER TABLE VALIDATE CONSTRAINT: DSQL runs it only as a job (`ALTER TABLE ASYNC`).
    pub fn check_validate_constraint(&self, asynchronous: bool) -> Result<()> {
        if self.allow_alter_table_constraints || asynchronous {
            return Ok(());
        }
        Err(Error::unsupported("unsupported ALTER TABLE VALIDATE CONSTRAINT statement"))
    }

    /// TRUNCATE.
    /// VACUUM: refused as DSQL refuses it (it collects old versions itself); accepted in postgres mode.
    pub fn check_vacuum(&self) -> Result<()> {
        if self.allow_vacuum {
            Ok(())
        } else {
            Err(Error::unsupported("unsupported VACUUM statement"))
        }
    }

    pub fn check_truncate(&self) -> Result<()> {
        if self.allow_truncate {
            Ok(())
        } else {
            Err(Error::unsupported("unsupported statement: Truncate"))
        }
    }
}

/// `3600s`, or `300ms` for a limit under a second (set in tests).
fn seconds_or_millis(duration: Duration) -> String {
    if duration.subsec_nanos() == 0 || duration.as_secs() > 0 {
        format!("{}s", duration.as_secs())
    } else {
        format!("{}ms", duration.as_millis())
    }
}

/// Where the database reads the time: transaction start (`now()`) and the transaction age limit. Tests
/// inject a [`ManualClock`] to age a transaction without waiting.
pub trait Clock: Send + Sync + fmt::Debug {
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that moves only when told to (for tests).
#[derive(Debug)]
pub struct ManualClock {
    now: parking_lot::Mutex<DateTime<Utc>>,
}

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> ManualClock {
        ManualClock { now: parking_lot::Mutex::new(start) }
    }

    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock();
        *now += chrono::Duration::from_std(by).unwrap_or(chrono::Duration::MAX);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_parse_and_differ() {
        assert_eq!("dsql".parse::<CompatMode>(), Ok(CompatMode::Dsql));
        assert_eq!("PostgreSQL".parse::<CompatMode>(), Ok(CompatMode::Postgres));
        assert!("mysql".parse::<CompatMode>().is_err());
        let dsql = Rules::for_mode(CompatMode::Dsql);
        let pg = Rules::for_mode(CompatMode::Postgres);
        assert_eq!(dsql, Rules::default());
        assert!(dsql.check_rows_modified(3_000).is_ok());
        assert_eq!(dsql.check_rows_modified(3_001).map_err(|e| e.code), Err("54000"));
        assert!(pg.check_rows_modified(1_000_000).is_ok());
    }

    #[test]
    fn index_definitions() {
        let dsql = Rules::for_mode(CompatMode::Dsql);
        assert!(dsql.check_index_definition(8, 24).is_ok());
        let err = dsql.check_index_definition(9, 1).unwrap_err();
        assert_eq!(
            (err.code, err.message.as_str()),
            ("54011", "more than 8 column keys in an index are not supported")
        );
        let err = dsql.check_index_definition(1, 25).unwrap_err();
        assert_eq!((err.code, err.message.as_str()), ("54000", "more than 24 indexes per table are not allowed"));
        let pg = Rules::for_mode(CompatMode::Postgres);
        assert!(pg.check_index_definition(32, 1000).is_ok());
        assert_eq!(pg.check_index_definition(33, 1).unwrap_err().code, "54011");
    }

    #[test]
    fn transaction_age() {
        let dsql = Rules::for_mode(CompatMode::Dsql);
        let clock = ManualClock::new(Utc::now());
        let start = clock.now();
        clock.advance(Duration::from_secs(300));
        assert!(dsql.check_transaction_age(start, clock.now()).is_ok());
        clock.advance(Duration::from_secs(1));
        let err = dsql.check_transaction_age(start, clock.now()).unwrap_err();
        assert_eq!(err.message, "transaction age limit of 300s exceeded");
        assert!(Rules::for_mode(CompatMode::Postgres).check_transaction_age(start, clock.now()).is_ok());
    }

    #[test]
    fn connection_age() {
        let dsql = Rules::for_mode(CompatMode::Dsql);
        let clock = ManualClock::new(Utc::now());
        let connected_at = clock.now();
        clock.advance(Duration::from_secs(3599));
        assert!(dsql.check_connection_age(connected_at, clock.now()).is_ok());
        clock.advance(Duration::from_secs(1));
        let err = dsql.check_connection_age(connected_at, clock.now()).unwrap_err();
        assert_eq!((err.code, err.severity), ("57P01", crate::error::Severity::Fatal));
        assert_eq!(err.message, "terminating connection: connection duration limit of 3600s exceeded");
        assert!(Rules::for_mode(CompatMode::Postgres).check_connection_age(connected_at, clock.now()).is_ok());
    }
}
