//! The sqllogictest runner: every `tests/slt/*.slt` file is the specification of some SQL behaviour.
//!
//! The same corpus runs three ways, each file on a fresh database:
//!
//! ```text
//!   slt_in_process          Database::open_in_memory() + Session::execute_batch   (engine name "occam")
//!   slt_over_wire           occam::wire::serve on 127.0.0.1:0 + tokio-postgres      (engine name "occam")
//!   slt_reference_postgres  a real PostgreSQL named by $OCCAM_SLT_REFERENCE          (engine name "postgres")
//! ```
//!
//! The reference run is how the expected outputs were checked against PostgreSQL 15 (files whose first line
//! starts with `# dsql-only` have no PostgreSQL counterpart and are left out); it is skipped unless
//! `OCCAM_SLT_REFERENCE` holds a libpq-style connection string (e.g.
//! `host=127.0.0.1 port=5499 user=postgres`). Records where occam deliberately follows Aurora DSQL instead of
//! PostgreSQL carry a `# dsql: ...` comment and `skipif postgres` (with the PostgreSQL answer, where useful,
//! under `onlyif postgres`).
//!
//! Results use PostgreSQL's text output format (the wire runner uses the simple query protocol, so the
//! server formats them). NULL prints as `NULL` and the empty string as `(empty)`. Errors print as
//! `db error: ERROR: <message> (SQLSTATE <code>)`, so expectations can match the code either with the
//! crate's native `statement error (23505)` form or with a regex such as `statement error SQLSTATE 23505`
//! or `statement error duplicate key value .* SQLSTATE 23505`.
//!
//! A file runs in Aurora DSQL mode (the default) unless its first line is `# compat: postgres`, which runs
//! it on a database opened with `CompatMode::Postgres` (DSQL's limits and refusals lifted); the reference
//! PostgreSQL run ignores the line.
//!
//! A file does not stop at its first failing record: every record runs and every failure is collected, and
//! the test fails once at the end with all of them, so one run shows the whole gap between occam and the
//! corpus.

use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::Duration;

use async_trait::async_trait;
use sqllogictest::{AsyncDB, DBOutput, DefaultColumnType, Runner, DB};
use tokio_postgres::{NoTls, SimpleQueryMessage};

/// How long one statement may take over the wire before it counts as hung (a lock wait would be a bug:
/// occam never blocks; a PostgreSQL reference run could block on a row lock if a file is written wrongly).
const STATEMENT_TIMEOUT: Duration = Duration::from_secs(20);

/// The error every runner reports: PostgreSQL's message and SQLSTATE when the database sent one.
#[derive(Debug, Clone)]
struct SltError {
    message: String,
    sqlstate: Option<String>,
}

impl SltError {
    fn other(message: impl Into<String>) -> Self {
        SltError { message: message.into(), sqlstate: None }
    }
}

impl fmt::Display for SltError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.sqlstate {
            Some(code) => write!(f, "db error: ERROR: {} (SQLSTATE {code})", self.message),
            None => write!(f, "db error: {}", self.message),
        }
    }
}

impl std::error::Error for SltError {}

impl From<occam::Error> for SltError {
    fn from(err: occam::Error) -> Self {
        SltError { message: err.message, sqlstate: Some(err.code.to_string()) }
    }
}

impl From<tokio_postgres::Error> for SltError {
    fn from(err: tokio_postgres::Error) -> Self {
        match err.as_db_error() {
            Some(db) => SltError { message: db.message().to_string(), sqlstate: Some(db.code().code().to_string()) },
            None => {
                // Client-side errors ("invalid configuration", "connection closed") keep their cause.
                let mut message = err.to_string();
                let mut source = std::error::Error::source(&err);
                while let Some(cause) = source {
                    message.push_str(&format!(": {cause}"));
                    source = cause.source();
                }
                SltError::other(message)
            }
        }
    }
}

/// The text of a panic payload, so an engine panic (a `todo!()` not yet filled in) becomes a failed record
/// instead of aborting the whole corpus.
fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        text.to_string()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "unknown panic".to_string()
    }
}

/// Engine panics are caught and reported as failed records; print each as one line instead of a backtrace.
fn quiet_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            let location = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
            eprintln!("panic{location}: {}", info.payload_as_str().unwrap_or("(non-string payload)"));
        }))
    });
}

/// A result cell as sqllogictest expects it.
fn cell(text: Option<&str>) -> String {
    match text {
        None => "NULL".to_string(),
        Some("") => "(empty)".to_string(),
        Some(text) => text.to_string(),
    }
}

/// The row count at the end of a command tag (`INSERT 0 3` → 3, `CREATE TABLE` → 0).
fn tag_count(tag: &str) -> u64 {
    tag.rsplit(' ').next().and_then(|last| last.parse().ok()).unwrap_or(0)
}

// ---------------------------------------------------------------------------------------------------------
// In-process: a Session on an in-memory Database.

struct InProcessDb {
    session: occam::Session,
}

impl InProcessDb {
    fn connect(database: &occam::Database) -> Result<InProcessDb, SltError> {
        let session = catch_unwind(AssertUnwindSafe(|| database.session("postgres")))
            .map_err(|payload| SltError::other(format!("panic opening a session: {}", panic_message(payload))))??;
        Ok(InProcessDb { session })
    }

    fn output(result: occam::QueryResult) -> DBOutput<DefaultColumnType> {
        match result {
            occam::QueryResult::Rows { columns, rows, .. } => DBOutput::Rows {
                types: vec![DefaultColumnType::Any; columns.len()],
                rows: rows
                    .iter()
                    .map(|row| {
                        row.iter()
                            .zip(columns.iter())
                            .map(|(value, column)| match value {
                                occam::Value::Null => cell(None),
                                value => cell(Some(&occam::types::text::format(value, &column.data_type))),
                            })
                            .collect()
                    })
                    .collect(),
            },
            occam::QueryResult::Command { tag } | occam::QueryResult::CopyOut { tag, .. } => {
                DBOutput::StatementComplete(tag_count(&tag))
            }
            // COPY's data travels in the copy sub-protocol, which slt records do not speak (tests/copy.rs).
            occam::QueryResult::Empty | occam::QueryResult::CopyIn { .. } => DBOutput::StatementComplete(0),
        }
    }
}

impl DB for InProcessDb {
    type Error = SltError;
    type ColumnType = DefaultColumnType;

    fn run(&mut self, sql: &str) -> Result<DBOutput<DefaultColumnType>, SltError> {
        let session = &mut self.session;
        let results = catch_unwind(AssertUnwindSafe(|| {
            let results = session.execute_batch(sql);
            // Formatting calls into the engine too (types::text), so it runs under the same guard, in the
            // session's time zone as the wire layer formats.
            occam::types::zone::with_session_zone(session.time_zone(), || {
                let mut last = DBOutput::StatementComplete(0);
                for result in results {
                    last = Self::output(result?);
                }
                Ok(last)
            })
        }));
        match results {
            Ok(result) => result,
            Err(payload) => Err(SltError {
                message: format!("panic: {}", panic_message(payload)),
                sqlstate: Some("XX000".to_string()),
            }),
        }
    }

    fn engine_name(&self) -> &str {
        "occam"
    }

    fn error_sql_state(err: &SltError) -> Option<String> {
        err.sqlstate.clone()
    }
}

// ---------------------------------------------------------------------------------------------------------
// Over the wire: tokio-postgres's simple query protocol, so values arrive in the server's text format.

struct WireDb {
    config: String,
    client: tokio_postgres::Client,
    /// Set when the last error means the server is dropping this connection.
    reconnect: bool,
    connection_task: tokio::task::JoinHandle<()>,
    engine: &'static str,
}

impl WireDb {
    async fn connect(config: String, engine: &'static str) -> Result<WireDb, SltError> {
        let (client, connection) = tokio::time::timeout(STATEMENT_TIMEOUT, tokio_postgres::connect(&config, NoTls))
            .await
            .map_err(|_| SltError::other(format!("timed out connecting to {config}")))??;
        let connection_task = tokio::spawn(async move {
            // The connection ends when the client is dropped or the server goes away; errors then are
            // reported through the client's next query.
            let _ = connection.await;
        });
        Ok(WireDb { config, client, connection_task, engine, reconnect: false })
    }
}

#[async_trait]
impl AsyncDB for WireDb {
    type Error = SltError;
    type ColumnType = DefaultColumnType;

    async fn run(&mut self, sql: &str) -> Result<DBOutput<DefaultColumnType>, SltError> {
        if self.reconnect || self.client.is_closed() {
            // The server dropped the connection (say, after an engine panic); the record that caused it has
            // already failed, so carry on with a new session rather than failing everything after it.
            self.connection_task.abort();
            *self = WireDb::connect(self.config.clone(), self.engine).await?;
        }
        let messages = match tokio::time::timeout(STATEMENT_TIMEOUT, self.client.simple_query(sql)).await {
            Ok(Ok(messages)) => messages,
            Ok(Err(err)) => {
                let err = SltError::from(err);
                // A client-side error (connection closed) or a FATAL internal error ends the connection.
                self.reconnect = err.sqlstate.is_none() || err.message.contains("connection is closed");
                return Err(err);
            }
            Err(_) => {
                self.reconnect = true;
                return Err(SltError::other(format!("statement did not finish within {STATEMENT_TIMEOUT:?}")));
            }
        };
        // A query string may hold several statements; like psql, report the last one's result.
        let mut last = DBOutput::StatementComplete(0);
        let mut current: Option<(usize, Vec<Vec<String>>)> = None;
        for message in messages {
            match message {
                SimpleQueryMessage::RowDescription(columns) => current = Some((columns.len(), Vec::new())),
                SimpleQueryMessage::Row(row) => {
                    let cells = (0..row.len()).map(|index| cell(row.get(index))).collect();
                    current.get_or_insert_with(|| (row.len(), Vec::new())).1.push(cells);
                }
                SimpleQueryMessage::CommandComplete(count) => {
                    last = match current.take() {
                        Some((width, rows)) => DBOutput::Rows { types: vec![DefaultColumnType::Any; width], rows },
                        None => DBOutput::StatementComplete(count),
                    };
                }
                _ => {}
            }
        }
        Ok(last)
    }

    async fn shutdown(&mut self) {
        self.connection_task.abort();
    }

    fn engine_name(&self) -> &str {
        self.engine
    }

    async fn sleep(dur: Duration) {
        tokio::time::sleep(dur).await;
    }

    fn error_sql_state(err: &SltError) -> Option<String> {
        err.sqlstate.clone()
    }
}

// ---------------------------------------------------------------------------------------------------------
// Running the corpus.

fn corpus_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("slt");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", dir.display()))
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "slt"))
        .collect();
    files.sort();
    // `SLT_FILTER=dml` runs only the files whose name contains it.
    if let Ok(filter) = std::env::var("SLT_FILTER") {
        files.retain(|path| path.file_name().is_some_and(|name| name.to_string_lossy().contains(&filter)));
    }
    files
}

/// The compatibility mode a file asks for on its first line (`# compat: postgres`).
fn compat_mode(path: &Path) -> occam::CompatMode {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let first = text.lines().next().unwrap_or_default();
    match first.strip_prefix("# compat:") {
        Some(mode) => mode.trim().parse().unwrap_or_else(|err| panic!("{}: {err}", path.display())),
        None => occam::CompatMode::Dsql,
    }
}

/// A fresh in-memory database in the mode `path` asks for.
fn open_database(path: &Path) -> occam::Database {
    open_database_with(path, occam::sql::optimize::Settings::default())
}

/// [`open_database`] whose sessions start with the planner switches `planner`.
fn open_database_with(path: &Path, planner: occam::sql::optimize::Settings) -> occam::Database {
    let config = occam::Config { compat: compat_mode(path), planner, ..occam::Config::default() };
    occam::Database::open(&config).expect("in-memory open cannot fail")
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default()
}

/// What one runner made of the corpus.
#[derive(Default)]
struct Report {
    records: usize,
    failures: Vec<String>,
    files: Vec<String>,
}

impl Report {
    fn file_done(&mut self, path: &Path, records: usize, failures: Vec<String>) {
        self.files.push(format!("{:<22} {:>4} records, {:>3} failed", file_name(path), records, failures.len()));
        self.records += records;
        self.failures.extend(failures);
    }

    /// Prints the per-file summary and every failure, then fails the test if anything failed.
    fn finish(self, runner: &str) {
        eprintln!("== {runner}: {} files, {} records", self.files.len(), self.records);
        for line in &self.files {
            eprintln!("   {line}");
        }
        if !self.failures.is_empty() {
            for failure in &self.failures {
                eprintln!("\n{failure}");
            }
            panic!("{runner}: {} of {} records failed (details above)", self.failures.len(), self.records);
        }
    }
}

/// Runs every record of `path`, continuing after failures. Returns (records run, failures).
async fn run_records<D, M>(runner: &mut Runner<D, M>, path: &Path) -> (usize, Vec<String>)
where
    D: AsyncDB<ColumnType = DefaultColumnType>,
    M: sqllogictest::MakeConnection<Conn = D>,
{
    let records = match sqllogictest::parse_file::<DefaultColumnType>(path) {
        Ok(records) => records,
        Err(err) => return (0, vec![format!("{}: cannot parse: {err}", path.display())]),
    };
    let mut count = 0;
    let mut failures = Vec::new();
    for record in records {
        let is_test = matches!(record, sqllogictest::Record::Statement { .. } | sqllogictest::Record::Query { .. });
        count += usize::from(is_test);
        if let Err(err) = runner.run_async(record).await {
            failures.push(format!("[{}] {}", file_name(path), err.display(false)));
        }
    }
    (count, failures)
}

#[test]
fn slt_in_process() {
    run_in_process("slt_in_process", occam::sql::optimize::Settings::default(), corpus_files());
}

/// The planner switch combinations the corpus also runs under: every query must give the same answer
/// whatever plan computes it (only the files that print plans are left out).
fn alternative_plans() -> Vec<(&'static str, occam::sql::optimize::Settings)> {
    use occam::sql::optimize::Settings;
    let no_indexes = Settings { enable_indexscan: false, enable_indexonlyscan: false, ..Settings::default() };
    let no_hash_or_full_scans = Settings { enable_hashjoin: false, enable_seqscan: false, ..Settings::default() };
    let loops_only = Settings { enable_hashjoin: false, enable_indexscan: false, ..Settings::default() };
    // Every full scan under an aggregate or a sort of an analyzed table runs in Gather workers.
    let parallel =
        Settings { max_parallel_workers_per_gather: 3, min_parallel_table_scan_size: 0, ..Settings::default() };
    vec![
        ("index paths off", no_indexes),
        ("hash joins and full scans off", no_hash_or_full_scans),
        ("nested loops without lookups", loops_only),
        ("parallel scans wherever possible", parallel),
    ]
}

/// The corpus under each alternative plan choice: results never depend on the plan.
#[test]
fn slt_under_forced_plans() {
    let files: Vec<PathBuf> = corpus_files().into_iter().filter(|path| !file_name(path).contains("explain")).collect();
    for (name, settings) in alternative_plans() {
        run_in_process(&format!("slt_in_process ({name})"), settings, files.clone());
    }
}

fn run_in_process(runner_name: &str, planner: occam::sql::optimize::Settings, files: Vec<PathBuf>) {
    quiet_panics();
    let mut report = Report::default();
    for path in files {
        let database = match catch_unwind(|| open_database_with(&path, planner)) {
            Ok(database) => database,
            Err(payload) => {
                let failure = format!("[{}] panic opening the database: {}", file_name(&path), panic_message(payload));
                report.file_done(&path, 0, vec![failure]);
                continue;
            }
        };
        let mut runner = Runner::new(move || {
            let database = database.clone();
            async move { InProcessDb::connect(&database) }
        });
        let (records, failures) = futures::executor::block_on(run_records(&mut runner, &path));
        runner.shutdown();
        report.file_done(&path, records, failures);
    }
    report.finish(runner_name);
}

/// Starts occam's wire server on an ephemeral port with a fresh in-memory database; returns its port.
async fn start_occam_server(path: &Path) -> Result<(u16, tokio::task::JoinHandle<()>), String> {
    let database = catch_unwind(|| open_database(path))
        .map_err(|payload| format!("panic opening the database: {}", panic_message(payload)))?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(|err| err.to_string())?;
    let port = listener.local_addr().map_err(|err| err.to_string())?.port();
    let server = spawn_wire_server(listener, database)?;
    Ok((port, server))
}

/// Serves `database` on `listener` in the background.
fn spawn_wire_server(
    listener: tokio::net::TcpListener,
    database: occam::Database,
) -> Result<tokio::task::JoinHandle<()>, String> {
    Ok(tokio::spawn(async move {
        if let Err(err) = occam::wire::serve(listener, database).await {
            eprintln!("occam::wire::serve failed: {err}");
        }
    }))
}

fn tokio_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("tokio runtime")
}

#[test]
fn slt_over_wire() {
    quiet_panics();
    let runtime = tokio_runtime();
    let mut report = Report::default();
    for path in corpus_files() {
        runtime.block_on(async {
            let (port, server) = match start_occam_server(&path).await {
                Ok(started) => started,
                Err(err) => {
                    report.file_done(&path, 0, vec![format!("[{}] cannot start the server: {err}", file_name(&path))]);
                    return;
                }
            };
            // The server asks for a cleartext password (as DSQL asks for an auth token) and accepts any.
            let config = format!("host=127.0.0.1 port={port} user=postgres password=occam dbname=postgres");
            let mut runner = Runner::new(move || WireDb::connect(config.clone(), "occam"));
            let (records, failures) = run_records(&mut runner, &path).await;
            runner.shutdown_async().await;
            server.abort();
            report.file_done(&path, records, failures);
        });
    }
    report.finish("slt_over_wire");
}

/// Runs the corpus against a real PostgreSQL (the reference the expected outputs come from), each file in a
/// fresh database `tests_slt_<file>`. Needs a server, so it runs only on request:
/// `OCCAM_SLT_REFERENCE="host=127.0.0.1 port=5432 user=postgres" cargo test -p occam --test slt -- --ignored`.
#[test]
#[ignore = "needs a PostgreSQL server named by OCCAM_SLT_REFERENCE"]
fn slt_reference_postgres() {
    let base = std::env::var("OCCAM_SLT_REFERENCE")
        .expect("set OCCAM_SLT_REFERENCE=\"host=... port=... user=...\" to a PostgreSQL server");
    let runtime = tokio_runtime();
    let mut report = Report::default();
    for path in corpus_files() {
        // Files of DSQL-only SQL (async indexes, sys.jobs) have no PostgreSQL answers to check against.
        if std::fs::read_to_string(&path).is_ok_and(|text| text.starts_with("# dsql-only")) {
            continue;
        }
        let stem = path.file_stem().map(|stem| stem.to_string_lossy().into_owned()).unwrap_or_default();
        let database_name = format!("tests_slt_{}", stem.replace(|c: char| !c.is_ascii_alphanumeric(), "_"));
        runtime.block_on(async {
            let admin = match WireDb::connect(format!("{base} dbname=postgres"), "postgres").await {
                Ok(admin) => admin,
                Err(err) => panic!("cannot connect to the reference server: {err}"),
            };
            let recreate = format!("DROP DATABASE IF EXISTS {database_name} WITH (FORCE)");
            if let Err(err) = admin.client.simple_query(&recreate).await {
                panic!("{recreate}: {err}");
            }
            let create = format!("CREATE DATABASE {database_name}");
            if let Err(err) = admin.client.simple_query(&create).await {
                panic!("{create}: {err}");
            }
            let config = format!("{base} dbname={database_name}");
            let mut runner = Runner::new(move || WireDb::connect(config.clone(), "postgres"));
            let (records, failures) = run_records(&mut runner, &path).await;
            runner.shutdown_async().await;
            let _ = admin.client.simple_query(&recreate).await;
            report.file_done(&path, records, failures);
        });
    }
    report.finish("slt_reference_postgres");
}
