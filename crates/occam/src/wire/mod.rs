//! The PostgreSQL v3 wire protocol front end: startup, simple and extended query, COPY.
//!
//! [`serve`] accepts connections and gives each its own task and its own [`Session`]. The protocol
//! machinery is split by concern:
//!
//! ```text
//!   mod.rs         accept loop, server options, the session seam (SqlSession / SessionFactory)
//!   connection.rs  one connection: startup + auth, simple query, extended query (Parse/Bind/...)
//!   auth.rs        authentication exchanges: "local" (any password), IAM auth tokens, SCRAM-SHA-256
//!   limits.rs      DSQL's connection limits: new-connection rate, maximum connection duration
//!   tls.rs         the server certificate and the plaintext -> TLS client stream
//!   transport.rs   framing: length checks, isolated pgwire decoding, buffered output
//!   codec.rs       occam values/columns/errors <-> DataRow/RowDescription/ErrorResponse, COPY's responses
//! ```
//!
//! pgwire supplies the message types and their encodings; the protocol state machine is occam's own, so
//! transaction status comes straight from the session and a statement is planned exactly once, at Parse.

pub mod auth;
mod codec;
mod connection;
mod limits;
pub mod tls;
mod transport;

#[cfg(test)]
mod tests;

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::net::TcpListener;
use tracing::{debug, warn};

use crate::compat::{CompatMode, Rules};
use crate::database::Database;
use crate::error::Result;
use crate::session::{Column, PreparedStatement, QueryResult, QueryString, Session, SessionEffect, TransactionStatus};
use crate::txn::DurableWait;
use crate::types::zone::Zone;
use crate::types::{DataType, Value};

pub use auth::{
    AcceptAnyPassword, AuthExchange, AuthStep, Authenticator, IamAuth, LocalAuth, LoginRoles, PasswordAuth,
};
pub use tls::ServerTls;
pub(crate) use transport::in_isolated_decoder;

/// The version reported in the `server_version` parameter (what clients see as the PostgreSQL version):
/// Aurora DSQL's.
pub const SERVER_VERSION: &str = "16.15";
/// The version postgres mode reports: the PostgreSQL 15 its behaviour is checked against (and whose
/// pg_dump, psql and drivers' version checks then accept it).
pub const POSTGRES_MODE_SERVER_VERSION: &str = "15.18";

/// DSQL's limit of connections per cluster, the default of `--max-connections`.
pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;

/// How the server treats clients.
#[derive(Clone)]
pub struct ServerOptions {
    /// How clients authenticate; defaults to accepting any password for any user name.
    pub authenticator: Arc<dyn Authenticator>,
    /// TLS offered in answer to SSLRequest; `None` answers `N` and the client continues in plaintext.
    pub tls: Option<ServerTls>,
    /// Refuse clients that did not upgrade to TLS before their startup message (as DSQL does).
    pub require_tls: bool,
    /// Connections beyond this many open ones are refused with 53300 after their startup message.
    pub max_connections: usize,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            authenticator: Arc::new(AcceptAnyPassword),
            tls: None,
            require_tls: false,
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }
}

/// Serves PostgreSQL clients on `listener` until the process ends; each connection gets its own Session.
/// Any user name and password are accepted, in plaintext (for embedding and tests; the `occam` binary
/// checks roles with [`LocalAuth`] and offers TLS).
pub async fn serve(listener: TcpListener, database: Database) -> io::Result<()> {
    serve_with_options(listener, database, ServerOptions::default()).await
}

/// [`serve`] with explicit options.
pub async fn serve_with_options(listener: TcpListener, database: Database, options: ServerOptions) -> io::Result<()> {
    serve_sessions(listener, database, options).await
}

/// The accept loop, over any source of sessions.
pub(crate) async fn serve_sessions<F: SessionFactory>(
    listener: TcpListener,
    factory: F,
    options: ServerOptions,
) -> io::Result<()> {
    let shared = Shared::new(factory, options);
    let metrics = shared.factory.metrics();
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                if let Err(err) = stream.set_nodelay(true) {
                    debug!(%peer, %err, "cannot set TCP_NODELAY");
                }
                debug!(%peer, "client connected");
                let accepted_at = shared.factory.now();
                let slot = ConnectionSlot::take(&shared.open_connections);
                let admission = if slot.open_before >= shared.options.max_connections {
                    Admission::TooManyConnections
                } else if shared.rate_limiter.as_ref().is_some_and(|limiter| !limiter.try_admit(accepted_at)) {
                    Admission::RateExceeded
                } else {
                    Admission::Admitted
                };
                let shared = shared.clone();
                let metrics = metrics.clone();
                if let Some(metrics) = &metrics {
                    metrics.connection_opened();
                }
                tokio::spawn(async move {
                    connection::run(stream, peer.to_string(), shared, admission, accepted_at).await;
                    drop(slot);
                    if let Some(metrics) = metrics {
                        metrics.connection_closed();
                    }
                });
            }
            Err(err) => {
                // Usually out of file descriptors: back off briefly instead of spinning, keep serving.
                warn!(%err, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// Serves one client over any byte stream, as if it had connected to a server of `database` (the fuzzing
/// harness, `crate::fuzz_targets`, feeds a connection this way); returns when the connection ends.
pub(crate) async fn serve_stream<T>(stream: T, database: Database, options: ServerOptions)
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send,
{
    let shared = Shared::new(database, options);
    let accepted_at = shared.factory.now();
    connection::run(stream, "stream".to_string(), shared, Admission::Admitted, accepted_at).await;
}

/// Whether a new connection may go on past its startup message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Admission {
    Admitted,
    /// Over `max_connections`: refused with 53300.
    TooManyConnections,
    /// Over the new-connection rate of the rules: refused with 53400.
    RateExceeded,
}

/// State shared by every connection of one server.
pub(crate) struct Shared<F> {
    factory: F,
    options: ServerOptions,
    /// The factory's rules, read once: the connection limits (rate, duration) among them.
    rules: Rules,
    rate_limiter: Option<limits::ConnectionRateLimiter>,
    open_connections: Arc<AtomicUsize>,
}

impl<F: SessionFactory> Shared<F> {
    fn new(factory: F, options: ServerOptions) -> Arc<Shared<F>> {
        let rules = factory.rules();
        Arc::new(Shared {
            rate_limiter: rules.connection_rate.map(limits::ConnectionRateLimiter::new),
            rules,
            factory,
            options,
            open_connections: Arc::new(AtomicUsize::new(0)),
        })
    }
}

/// One open connection in the count that `max_connections` limits; released when dropped.
struct ConnectionSlot {
    counter: Arc<AtomicUsize>,
    /// How many connections were open before this one.
    open_before: usize,
}

impl ConnectionSlot {
    fn take(counter: &Arc<AtomicUsize>) -> ConnectionSlot {
        let open_before = counter.fetch_add(1, Ordering::AcqRel);
        ConnectionSlot { counter: counter.clone(), open_before }
    }
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        self.counter.fetch_sub(1, Ordering::AcqRel);
    }
}

/// What the protocol needs from an engine session. [`Session`] is the real one; the seam lets the
/// protocol be tested against a scripted session.
pub(crate) trait SqlSession: Send + 'static {
    type Statement: StatementInfo + Send + Sync + 'static;
    /// A parsed simple-protocol query string.
    type QueryString: Send;
    fn parse_query_string(&mut self, sql: &str) -> Self::QueryString;
    /// Whether running it may hold its thread for long (run off the async worker threads).
    fn may_block(query: &Self::QueryString) -> bool;
    /// Runs it; the last commit may be left pending (see `take_pending_commit`).
    fn run_query_string(&mut self, query: Self::QueryString) -> Vec<Result<QueryResult>>;
    fn prepare(&mut self, sql: &str, param_types: &[DataType]) -> Result<Arc<Self::Statement>>;
    fn execute(&mut self, statement: &Self::Statement, params: &[Value]) -> Result<QueryResult>;
    fn fail_transaction(&mut self);
    fn transaction_status(&self) -> TransactionStatus;
    /// A commit the last `execute` left to become durable; the reply must wait for it.
    fn take_pending_commit(&mut self) -> Option<DurableWait> {
        None
    }
    /// The process id clients see (`pg_backend_pid()`, BackendKeyData).
    fn backend_pid(&self) -> i32;
    /// BackendKeyData's secret key: a CancelRequest for this backend must carry it.
    fn secret_key(&self) -> i32;
    /// A run-time parameter from the startup message; an error ends the connection (FATAL).
    fn set_startup_parameter(&mut self, name: &str, value: &str) -> Result<()>;
    /// Every reported parameter with its value (ParameterStatus at startup).
    fn reported_parameters(&mut self) -> Vec<(String, String)>;
    /// Reported parameters that statements changed since the last call (ParameterStatus after them).
    fn take_parameter_reports(&mut self) -> Vec<(String, String)> {
        Vec::new()
    }
    /// What statements did to the connection's prepared statements and portals since the last call.
    fn take_effects(&mut self) -> Vec<SessionEffect> {
        Vec::new()
    }
    /// The notices and warnings statements raised since the last call (NoticeResponse each).
    fn take_notices(&mut self) -> Vec<crate::error::Error> {
        Vec::new()
    }
    /// A protocol-level prepared statement was created (`exists`) or closed: it shares `DEALLOCATE`'s
    /// namespace with SQL `PREPARE`.
    fn note_protocol_statement(&mut self, _name: &str, _exists: bool) {}
    /// Notified when another session ends this one (`pg_terminate_backend`).
    fn termination_signal(&self) -> Option<Arc<tokio::sync::Notify>> {
        None
    }
    /// Whether SQL `PREPARE` made a statement of this name (Parse of the same name is then 42P05).
    fn has_sql_statement(&self, _name: &str) -> bool {
        false
    }
    /// The columns of a `DECLARE`d cursor of this name (which Describe of a portal of that name describes,
    /// as PostgreSQL's cursors are portals: psycopg's server-side cursors ask).
    fn cursor_columns(&self, _name: &str) -> Option<Arc<[Column]>> {
        None
    }
    /// The session's time zone: text parameters and text result columns of timestamptz read and print
    /// in it (see `types::zone`).
    fn time_zone(&self) -> Zone {
        Zone::UTC
    }
    /// Data for the `COPY ... FROM STDIN` a statement started (one CopyData message).
    fn copy_in_data(&mut self, _data: &[u8]) {}
    /// CopyDone: the COPY's rows are inserted (`COPY n`) or it fails.
    fn finish_copy_in(&mut self) -> Result<QueryResult> {
        Err(crate::error::Error::protocol("there is no COPY FROM STDIN in progress"))
    }
    /// CopyFail (or a message that has no place in COPY): the COPY fails with this error.
    fn fail_copy_in(&mut self, message: &str) -> crate::error::Error {
        crate::error::Error::new(crate::error::sqlstate::QUERY_CANCELED, format!("COPY from stdin failed: {message}"))
    }
    /// The statements of the query string after a finished `COPY ... FROM STDIN`.
    fn resume_batch(&mut self) -> Vec<Result<QueryResult>> {
        Vec::new()
    }
}

/// What the protocol reads from a prepared statement (for ParameterDescription and RowDescription).
pub(crate) trait StatementInfo {
    fn param_types(&self) -> &[DataType];
    fn columns(&self) -> &Arc<[Column]>;
    /// Whether executing it may block for long (run off the async worker threads).
    fn may_block(&self) -> bool {
        false
    }
}

impl StatementInfo for PreparedStatement {
    fn param_types(&self) -> &[DataType] {
        &self.param_types
    }
    fn columns(&self) -> &Arc<[Column]> {
        &self.columns
    }
    fn may_block(&self) -> bool {
        PreparedStatement::may_block(self)
    }
}

impl SqlSession for Session {
    type Statement = PreparedStatement;
    type QueryString = QueryString;
    fn parse_query_string(&mut self, sql: &str) -> QueryString {
        self.query_string(sql)
    }
    fn may_block(query: &QueryString) -> bool {
        query.may_block()
    }
    fn run_query_string(&mut self, query: QueryString) -> Vec<Result<QueryResult>> {
        Session::run_batch(self, query)
    }
    fn time_zone(&self) -> Zone {
        Session::time_zone(self)
    }
    fn prepare(&mut self, sql: &str, param_types: &[DataType]) -> Result<Arc<PreparedStatement>> {
        Session::prepare(self, sql, param_types)
    }
    fn execute(&mut self, statement: &PreparedStatement, params: &[Value]) -> Result<QueryResult> {
        Session::execute(self, statement, params)
    }
    fn fail_transaction(&mut self) {
        Session::fail_transaction(self)
    }
    fn transaction_status(&self) -> TransactionStatus {
        Session::transaction_status(self)
    }
    fn take_pending_commit(&mut self) -> Option<DurableWait> {
        Session::take_pending_commit(self)
    }
    fn backend_pid(&self) -> i32 {
        self.settings().backend_pid()
    }
    fn secret_key(&self) -> i32 {
        self.settings().secret_key()
    }
    fn set_startup_parameter(&mut self, name: &str, value: &str) -> Result<()> {
        Session::set_startup_parameter(self, name, value)
    }
    fn reported_parameters(&mut self) -> Vec<(String, String)> {
        self.settings().reported()
    }
    fn take_parameter_reports(&mut self) -> Vec<(String, String)> {
        self.settings().take_reports()
    }
    fn take_effects(&mut self) -> Vec<SessionEffect> {
        Session::take_effects(self)
    }
    fn take_notices(&mut self) -> Vec<crate::error::Error> {
        Session::take_notices(self)
    }
    fn note_protocol_statement(&mut self, name: &str, exists: bool) {
        Session::note_protocol_statement(self, name, exists)
    }
    fn has_sql_statement(&self, name: &str) -> bool {
        Session::has_sql_statement(self, name)
    }
    fn cursor_columns(&self, name: &str) -> Option<Arc<[Column]>> {
        Session::cursor_columns(self, name)
    }
    fn copy_in_data(&mut self, data: &[u8]) {
        Session::copy_in_data(self, data)
    }
    fn finish_copy_in(&mut self) -> Result<QueryResult> {
        Session::finish_copy_in(self)
    }
    fn fail_copy_in(&mut self, message: &str) -> crate::error::Error {
        Session::fail_copy_in(self, message)
    }
    fn resume_batch(&mut self) -> Vec<Result<QueryResult>> {
        Session::resume_batch(self)
    }
    fn termination_signal(&self) -> Option<Arc<tokio::sync::Notify>> {
        Some(self.settings().termination_signal())
    }
}

/// Opens a session per connection.
pub(crate) trait SessionFactory: Send + Sync + 'static {
    type Session: SqlSession;
    fn open_session(&self, user: &str) -> Result<Self::Session>;
    /// The rules whose connection limits apply; without a database behind them, none (postgres mode's).
    fn rules(&self) -> Rules {
        Rules::for_mode(CompatMode::Postgres)
    }
    /// The time the connection limits are measured by.
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
    /// Where connections are counted (none for sessions that are not a database's).
    fn metrics(&self) -> Option<Arc<crate::metrics::Metrics>> {
        None
    }
}

impl SessionFactory for Database {
    type Session = Session;
    fn metrics(&self) -> Option<Arc<crate::metrics::Metrics>> {
        Some(Arc::clone(Database::metrics(self)))
    }
    fn open_session(&self, user: &str) -> Result<Session> {
        let mut session = self.session(user)?;
        // Connections await the group commit's fsync instead of blocking a runtime thread on it.
        session.set_deferred_durability(true);
        Ok(session)
    }
    fn rules(&self) -> Rules {
        Database::rules(self).clone()
    }
    fn now(&self) -> DateTime<Utc> {
        Database::now(self)
    }
}
