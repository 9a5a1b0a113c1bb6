//! One client connection: startup and authentication, then the simple and extended query protocols
//! over one engine session.
//!
//! ```text
//!   startup    [SSLRequest -> 'S' + TLS handshake | 'N'] StartupMessage -> auth exchange -> AuthenticationOk, ParameterStatus*,
//!              BackendKeyData, ReadyForQuery
//!   simple     Query -> (RowDescription DataRow* | ) CommandComplete per statement ... ReadyForQuery
//!   extended   Parse -> ParseComplete      Bind -> BindComplete      Describe -> ParameterDescription?
//!              + RowDescription | NoData   Execute -> DataRow* CommandComplete | PortalSuspended
//!              Close -> CloseComplete      Sync -> ReadyForQuery     Flush -> (write out)
//!              after an error: ErrorResponse (flushed at once), then every message up to Sync is discarded
//!   copy       COPY FROM STDIN -> CopyInResponse, then CopyData* CopyDone (-> CommandComplete) | CopyFail
//!              (-> 57014); Flush / Sync in between ignored. COPY TO STDOUT -> CopyOutResponse CopyData*
//!              CopyDone CommandComplete. In a query string, the statements after a COPY run once it is done.
//!   settings   the startup message's parameters become the session's defaults; parameters a statement
//!              changed are reported (ParameterStatus) just before the next ReadyForQuery
//! ```
//!
//! Statements are parsed and planned once, at Parse (`Session::prepare`); Bind only decodes parameter
//! values, and Execute runs the plan. A portal's rows are materialized by its first Execute and handed out
//! `max_rows` at a time. Engine calls are synchronous and may block (COMMIT waits for a shared fsync), so
//! they run under `block_in_place`, letting the runtime move other connections off this worker thread.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use bytes::Buf;
use chrono::{DateTime, Utc};
use futures::FutureExt;
use pgwire::messages::cancel::CancelRequest;
use pgwire::messages::copy::{CopyData, CopyDone};
use pgwire::messages::data::{NoData, ParameterDescription};
use pgwire::messages::extendedquery::{
    Bind, BindComplete, Close, CloseComplete, Describe, Execute, Parse, ParseComplete, PortalSuspended,
    TARGET_TYPE_BYTE_PORTAL, TARGET_TYPE_BYTE_STATEMENT,
};
use pgwire::messages::response::{CommandComplete, EmptyQueryResponse, ReadyForQuery};
use pgwire::messages::startup::{
    Authentication, BackendKeyData, NegotiateProtocolVersion, ParameterStatus, SecretKey, Startup,
};
use pgwire::messages::{Message, PgWireBackendMessage, PgWireFrontendMessage};
use tokio::io::{AsyncRead, AsyncWrite};
use tracing::{debug, error, warn};

use super::auth::AuthStep;
use super::codec::{self, FORMAT_TEXT};
use super::limits::ConnectionExpiry;
use super::tls::ClientStream;
use super::transport::{decode_context, decode_frontend, decode_isolated, Disconnect, Transport};
use super::{Admission, SessionFactory, Shared, SqlSession, StatementInfo};
use crate::compat::Rules;
use crate::error::{sqlstate, Error};
use crate::session::{Column, QueryResult, SessionEffect, TransactionStatus};
use crate::sql::copy::CopyFormat;
use crate::types::zone::with_session_zone;
use crate::types::{DataType, Row, Value};

const SSL_REQUEST_CODE: i32 = 80877103;
const GSSENC_REQUEST_CODE: i32 = 80877104;
const CANCEL_REQUEST_CODE: i32 = 80877102;
/// PostgreSQL's `authentication_timeout` default: a client that does not finish startup in time is dropped.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);

/// Runs an engine call that may block. On the multi-threaded runtime the worker hands its other tasks
/// away first; elsewhere (a current-thread test runtime) the call simply runs inline.
fn run_blocking<R>(f: impl FnOnce() -> R) -> R {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}

/// Serves one client until it disconnects. Protocol violations end only this connection; a panic in the
/// engine is reported to this client as an internal error and ends only this connection. A client that is
/// not admitted (over `max_connections` or the new-connection rate) is refused once its startup message is
/// in. `accepted_at` (by the database's clock) starts the connection's maximum duration.
pub(crate) async fn run<T, F>(
    stream: T,
    peer: String,
    shared: Arc<Shared<F>>,
    admission: Admission,
    accepted_at: DateTime<Utc>,
) where
    T: AsyncRead + AsyncWrite + Unpin + Send,
    F: SessionFactory,
{
    let mut transport = Transport::new(ClientStream::Plain(stream));
    let outcome = AssertUnwindSafe(serve_client(&mut transport, &shared, admission, accepted_at)).catch_unwind().await;
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(_) => {
            error!(%peer, "connection task panicked; closing the connection");
            Err(Disconnect::Fatal(Error::internal("internal error; the connection is closed")))
        }
    };
    match outcome {
        Ok(()) => debug!(%peer, "client disconnected"),
        Err(Disconnect::Closed(reason)) => debug!(%peer, ?reason, "connection closed"),
        Err(Disconnect::Fatal(err)) => {
            warn!(%peer, code = err.code, message = %err.message, "closing connection");
            if transport.send(PgWireBackendMessage::ErrorResponse(codec::error_response(&err.fatal()))).is_err() {
                debug!(%peer, "could not encode the final error");
            }
        }
    }
    transport.shutdown().await;
}

async fn serve_client<T, F>(
    transport: &mut Transport<ClientStream<T>>,
    shared: &Shared<F>,
    admission: Admission,
    accepted_at: DateTime<Utc>,
) -> Result<(), Disconnect>
where
    T: AsyncRead + AsyncWrite + Unpin + Send,
    F: SessionFactory,
{
    let startup = match tokio::time::timeout(STARTUP_TIMEOUT, startup(transport, shared, admission)).await {
        Ok(startup) => startup?,
        Err(_) => return Err(Disconnect::Closed(None)),
    };
    let Some(client) = startup else { return Ok(()) };
    let session = run_blocking(|| shared.factory.open_session(&client.user)).map_err(Disconnect::Fatal)?;
    // Only the database `postgres` exists, as in Aurora DSQL (checked after the role, as PostgreSQL does).
    if client.database != "postgres" {
        let message = format!("database \"{}\" does not exist", client.database);
        return Err(Disconnect::Fatal(Error::new("3D000", message)));
    }

    let mut session = session;
    for (name, value) in &client.settings {
        session.set_startup_parameter(name, value).map_err(Disconnect::Fatal)?;
    }
    let process_id = session.backend_pid();
    let secret_key = SecretKey::I32(session.secret_key());
    for (name, value) in session.reported_parameters() {
        send(transport, PgWireBackendMessage::ParameterStatus(ParameterStatus::new(name, value)))?;
    }
    send(transport, PgWireBackendMessage::BackendKeyData(BackendKeyData::new(process_id, secret_key)))?;
    debug!(user = %client.user, database = %client.database, process_id, "session started");

    let mut connection = Connection {
        transport,
        session,
        statements: HashMap::new(),
        portals: HashMap::new(),
        skipping_until_sync: false,
    };
    connection.ready_for_query().await?;
    let expiry = ConnectionExpiry::new(&shared.rules, accepted_at, shared.factory.now());
    connection.serve(expiry, &shared.rules, || shared.factory.now()).await
}

fn send<T: AsyncRead + AsyncWrite + Unpin>(
    transport: &mut Transport<T>,
    message: PgWireBackendMessage,
) -> Result<(), Disconnect> {
    transport.send(message).map_err(Disconnect::Fatal)
}

/// What the startup message told us about the client.
struct ClientStartup {
    user: String,
    database: String,
    /// Run-time parameters to set before the first query: the startup message's other entries and
    /// its `options` (`-c name=value`, `--name=value`).
    settings: Vec<(String, String)>,
}

/// The run-time parameters a startup message sets, in order (`options` last, so it wins as in
/// PostgreSQL).
fn startup_settings(parameters: &std::collections::BTreeMap<String, String>) -> Vec<(String, String)> {
    let mut settings: Vec<(String, String)> = parameters
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "user" | "database" | "options" | "replication"))
        .filter(|(name, _)| !name.starts_with("_pq_."))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    let options = parameters.get("options").map(String::as_str).unwrap_or_default();
    let mut words = options.split_whitespace();
    while let Some(word) = words.next() {
        let assignment = match word {
            "-c" => words.next(),
            _ => word.strip_prefix("-c").or_else(|| word.strip_prefix("--")),
        };
        if let Some((name, value)) = assignment.and_then(|a| a.split_once('=')) {
            settings.push((name.replace('-', "_"), value.to_string()));
        }
    }
    settings
}

/// The startup phase up to AuthenticationOk. `None` if the client left (or only sent a CancelRequest).
async fn startup<T, F>(
    transport: &mut Transport<ClientStream<T>>,
    shared: &Shared<F>,
    admission: Admission,
) -> Result<Option<ClientStartup>, Disconnect>
where
    T: AsyncRead + AsyncWrite + Unpin + Send,
    F: SessionFactory,
{
    let ctx = decode_context(true);
    let startup = loop {
        let Some(packet) = transport.read_startup_packet().await? else { return Ok(None) };
        let code = (&packet[4..8]).get_i32();
        match code {
            SSL_REQUEST_CODE if transport.stream_mut().is_tls() => {
                return Err(Disconnect::Fatal(Error::protocol("SSL request on an encrypted connection")));
            }
            SSL_REQUEST_CODE if shared.options.tls.is_some() => {
                // Bytes sent behind the SSLRequest would be trusted as if encrypted (CVE-2021-23214).
                if transport.has_buffered_input() {
                    return Err(Disconnect::Fatal(Error::protocol("received unencrypted data after SSL request")));
                }
                transport.send_raw(b"S");
                transport.flush().await?;
                let tls = shared.options.tls.as_ref().expect("checked above");
                transport.stream_mut().upgrade(&tls.acceptor).await?;
            }
            // Without TLS configured (and for GSS encryption, never offered): refuse, the client goes on in
            // plaintext (or gives up, if it requires encryption).
            SSL_REQUEST_CODE | GSSENC_REQUEST_CODE => {
                transport.send_raw(b"N");
                transport.flush().await?;
            }
            CANCEL_REQUEST_CODE => {
                // Cancels the statement that backend runs if the key is right; the connection is closed
                // without an answer either way, as PostgreSQL does.
                match decode_isolated(packet, |buf| CancelRequest::decode(buf, &ctx)) {
                    Ok(CancelRequest { pid, secret_key: SecretKey::I32(key), .. }) => {
                        let cancelled = crate::settings::cancel_request(pid, key);
                        debug!(process_id = pid, cancelled, "cancel request");
                    }
                    Ok(cancel) => debug!(process_id = cancel.pid, "cancel request with a key occam never issues"),
                    Err(err) => debug!(%err, "malformed cancel request"),
                }
                return Ok(None);
            }
            _ => {
                let (major, minor) = ((code >> 16) as u16, (code & 0xffff) as u16);
                if major != 3 {
                    return Err(Disconnect::Fatal(Error::unsupported(format!(
                        "unsupported frontend protocol {major}.{minor}: server supports 3.0 to 3.0"
                    ))));
                }
                break decode_isolated(packet, |buf| Startup::decode(buf, &ctx))
                    .map_err(|_| Disconnect::Fatal(Error::protocol("invalid startup packet layout")))?;
            }
        }
    };

    if shared.options.require_tls && !transport.stream_mut().is_tls() {
        return Err(Disconnect::Fatal(
            Error::new(sqlstate::INVALID_AUTHORIZATION_SPECIFICATION, "unable to accept connection, TLS is required")
                .with_hint("Connect with sslmode=require."),
        ));
    }
    match admission {
        Admission::Admitted => {}
        Admission::TooManyConnections => {
            let err = Error::new(sqlstate::TOO_MANY_CONNECTIONS, "sorry, too many clients already");
            return Err(Disconnect::Fatal(err));
        }
        Admission::RateExceeded => return Err(Disconnect::Fatal(shared.rules.connection_rate_exceeded())),
    }

    let parameters = &startup.parameters;
    let Some(user) = parameters.get("user").filter(|user| !user.is_empty()).cloned() else {
        return Err(Disconnect::Fatal(Error::new(
            sqlstate::INVALID_AUTHORIZATION_SPECIFICATION,
            "no PostgreSQL user name specified in startup packet",
        )));
    };
    let database = parameters.get("database").filter(|db| !db.is_empty()).cloned().unwrap_or_else(|| user.clone());
    let settings = startup_settings(parameters);

    // Protocol 3.2 and `_pq_.` extension options are answered with what we speak: 3.0, no options.
    let unsupported: Vec<String> = parameters.keys().filter(|key| key.starts_with("_pq_.")).cloned().collect();
    if startup.protocol_number_minor > 0 || !unsupported.is_empty() {
        send(transport, PgWireBackendMessage::NegotiateProtocolVersion(NegotiateProtocolVersion::new(0, unsupported)))?;
    }

    let channel_binding = match &shared.options.tls {
        Some(tls) if transport.stream_mut().is_tls() => tls.tls_server_end_point.as_deref(),
        _ => None,
    };
    let mut exchange = shared.options.authenticator.start(&user, &database, channel_binding);
    let mut step = exchange.begin();
    loop {
        match step {
            AuthStep::Accept => break,
            AuthStep::AcceptAfter(last) => {
                send(transport, PgWireBackendMessage::Authentication(last))?;
                break;
            }
            AuthStep::Reject(err) => return Err(Disconnect::Fatal(err)),
            AuthStep::Challenge(challenge) => {
                send(transport, PgWireBackendMessage::Authentication(challenge))?;
                transport.flush().await?;
                // psql hangs up here to prompt for a password, then reconnects.
                let Some(frame) = transport.read_frame().await? else { return Ok(None) };
                let tag = frame[0];
                match decode_frontend(frame).map_err(Disconnect::Fatal)? {
                    PgWireFrontendMessage::PasswordMessageFamily(reply) => step = exchange.respond(reply),
                    PgWireFrontendMessage::Terminate(_) => return Ok(None),
                    _ => {
                        return Err(Disconnect::Fatal(Error::protocol(format!(
                            "expected password response, got message type {}",
                            tag.escape_ascii()
                        ))))
                    }
                }
            }
        }
    }
    send(transport, PgWireBackendMessage::Authentication(Authentication::Ok))?;
    Ok(Some(ClientStartup { user, database, settings }))
}

/// Whether a query string holds no statement at all (PostgreSQL answers EmptyQueryResponse).
fn is_empty_query(sql: &str) -> bool {
    sql.chars().all(|c| c == ';' || c.is_whitespace())
}

/// A prepared statement as the protocol sees it. An empty query string has no engine statement.
struct Statement<P> {
    prepared: Option<Arc<P>>,
    param_types: Vec<DataType>,
    columns: Arc<[Column]>,
}

/// A bound statement ready to run, and how far its rows have been sent.
struct Portal<P> {
    statement: Arc<Statement<P>>,
    params: Vec<Value>,
    formats: Vec<i16>,
    state: PortalState,
}

enum PortalState {
    /// Bound, not yet executed.
    Ready,
    /// Executed; rows remain to be sent by later Executes (after PortalSuspended).
    Suspended { columns: Arc<[Column]>, rows: std::vec::IntoIter<Row>, tag: String },
    /// Run to completion; `returned_rows` says whether re-executing yields an empty row set.
    Done { returned_rows: bool },
}

/// Why an extended-protocol message failed: an SQL error to report (the connection goes on, skipping to
/// Sync) or the end of the connection.
enum Failure {
    Sql(Error),
    Gone(Disconnect),
}

impl From<Disconnect> for Failure {
    fn from(disconnect: Disconnect) -> Self {
        Failure::Gone(disconnect)
    }
}

impl From<std::io::Error> for Failure {
    fn from(err: std::io::Error) -> Self {
        Failure::Gone(err.into())
    }
}

struct Connection<'t, T, S: SqlSession> {
    transport: &'t mut Transport<T>,
    session: S,
    statements: HashMap<String, Arc<Statement<S::Statement>>>,
    portals: HashMap<String, Portal<S::Statement>>,
    /// Set by an error in an extended-protocol message: discard everything up to the next Sync.
    skipping_until_sync: bool,
}

impl<T, S> Connection<'_, T, S>
where
    T: AsyncRead + AsyncWrite + Unpin + Send,
    S: SqlSession,
{
    /// Serves messages until the client leaves or `expiry` (measured by `clock`) closes the connection.
    async fn serve(
        &mut self,
        mut expiry: ConnectionExpiry,
        rules: &Rules,
        clock: impl Fn() -> DateTime<Utc>,
    ) -> Result<(), Disconnect> {
        let terminated = self.session.termination_signal();
        loop {
            let next_frame = expiry.next_frame(self.transport, rules, &clock);
            let frame = match &terminated {
                // Another session's pg_terminate_backend ends this one between messages, as PostgreSQL.
                Some(signal) => tokio::select! {
                    biased;
                    _ = signal.notified() => return Err(Disconnect::Fatal(Error::new(
                        sqlstate::ADMIN_SHUTDOWN,
                        "terminating connection due to administrator command",
                    ))),
                    frame = next_frame => frame?,
                },
                None => next_frame.await?,
            };
            let Some(frame) = frame else { return Ok(()) };
            if self.skipping_until_sync && !matches!(frame[0], b'S' | b'X') {
                continue;
            }
            let outcome = match decode_frontend(frame).map_err(Disconnect::Fatal)? {
                PgWireFrontendMessage::Query(query) => {
                    self.simple_query(&query.query).await?;
                    Ok(())
                }
                PgWireFrontendMessage::Parse(parse) => self.parse(parse),
                PgWireFrontendMessage::Bind(bind) => self.bind(bind),
                PgWireFrontendMessage::Describe(describe) => self.describe(describe),
                PgWireFrontendMessage::Execute(execute) => self.execute(execute).await,
                PgWireFrontendMessage::Close(close) => self.close(close),
                PgWireFrontendMessage::Flush(_) => self.transport.flush().await.map_err(Failure::from),
                PgWireFrontendMessage::Sync(_) => {
                    self.skipping_until_sync = false;
                    self.ready_for_query().await?;
                    Ok(())
                }
                PgWireFrontendMessage::Terminate(_) => return Ok(()),
                // Outside COPY these are ignored, per the protocol.
                PgWireFrontendMessage::CopyData(_)
                | PgWireFrontendMessage::CopyDone(_)
                | PgWireFrontendMessage::CopyFail(_) => Ok(()),
                other => {
                    return Err(Disconnect::Fatal(Error::protocol(format!(
                        "unexpected message in query phase: {}",
                        message_name(&other)
                    ))))
                }
            };
            match outcome {
                Ok(()) => {}
                Err(Failure::Sql(err)) => {
                    // Sent at once, as PostgreSQL does: a client that follows its message with Flush
                    // (asyncpg, postgres.js) waits for the answer before it sends Sync.
                    self.queue(PgWireBackendMessage::ErrorResponse(codec::error_response(&err)))?;
                    self.transport.flush().await?;
                    self.skipping_until_sync = true;
                }
                Err(Failure::Gone(disconnect)) => return Err(disconnect),
            }
        }
    }

    /// Applies what the last statements did to prepared statements and portals (`DEALLOCATE`, `CLOSE
    /// ALL`, `DISCARD ALL`).
    fn apply_session_effects(&mut self) {
        for effect in self.session.take_effects() {
            match effect {
                SessionEffect::Deallocate(name) => {
                    self.statements.remove(&name);
                }
                // The unnamed statement is not among them, as in PostgreSQL.
                SessionEffect::DeallocateAll => self.statements.retain(|name, _| name.is_empty()),
                SessionEffect::CloseAllPortals => self.portals.clear(),
            }
        }
    }

    /// Sends the notices the last statements raised (before their completion, as PostgreSQL sends them
    /// while the statement runs).
    fn queue_notices(&mut self) -> Result<(), Disconnect> {
        for notice in self.session.take_notices() {
            self.queue(PgWireBackendMessage::NoticeResponse(codec::notice_response(&notice)))?;
        }
        Ok(())
    }

    fn queue(&mut self, message: PgWireBackendMessage) -> Result<(), Disconnect> {
        send(self.transport, message)
    }

    /// Runs an engine call off the async worker (see [`run_blocking`]).
    fn engine<R>(&mut self, call: impl FnOnce(&mut S) -> R) -> R {
        let session = &mut self.session;
        run_blocking(|| call(session))
    }

    /// An error raised outside `Session::execute`: the session still has to fail an open transaction.
    fn failed(&mut self, err: Error) -> Failure {
        self.engine(|session| session.fail_transaction());
        Failure::Sql(err)
    }

    async fn ready_for_query(&mut self) -> Result<(), Disconnect> {
        let status = self.session.transaction_status();
        if status == TransactionStatus::Idle {
            // Portals live until their transaction ends; outside a block that is every Sync / Query.
            self.portals.clear();
        }
        // Parameters the statements changed are reported just before ReadyForQuery, as PostgreSQL
        // reports its GUC_REPORT parameters.
        for (name, value) in self.session.take_parameter_reports() {
            self.queue(PgWireBackendMessage::ParameterStatus(ParameterStatus::new(name, value)))?;
        }
        self.queue(PgWireBackendMessage::ReadyForQuery(ReadyForQuery::new(codec::wire_status(status))))?;
        self.transport.flush().await?;
        Ok(())
    }

    async fn simple_query(&mut self, sql: &str) -> Result<(), Disconnect> {
        self.portals.remove("");
        let mut results = Vec::new();
        if !is_empty_query(sql) {
            let query = self.session.parse_query_string(sql);
            // Like the extended protocol's statements, a query string that only computes runs inline on the
            // async worker, and its COMMIT's durability is awaited below rather than slept on by a thread.
            results = if S::may_block(&query) {
                self.engine(|session| session.run_query_string(query))
            } else {
                self.session.run_query_string(query)
            };
            if let Some(durable) = self.session.take_pending_commit() {
                let waited = durable.wait_async().await;
                // The commit that failed to become durable was not done: its statement fails. (After a
                // conflict the last result is already its error, held back until the winner is visible.)
                if let (Some(last @ Ok(_)), Err(err)) = (results.last_mut(), waited) {
                    *last = Err(err);
                }
            }
        }
        self.apply_session_effects();
        self.queue_notices()?;
        if results.iter().all(|result| matches!(result, Ok(QueryResult::Empty))) {
            self.queue(PgWireBackendMessage::EmptyQueryResponse(EmptyQueryResponse::new()))?;
        }
        // A COPY FROM STDIN ends the results it is in; its data is read here, and the rest of the query
        // string runs after it, as PostgreSQL does.
        while self.send_simple_results(results).await? {
            match self.receive_copy_data().await? {
                Ok(tag) => {
                    self.queue(PgWireBackendMessage::CommandComplete(CommandComplete::new(tag)))?;
                    results = self.session.resume_batch();
                    if let Some(durable) = self.session.take_pending_commit() {
                        if let (Some(last @ Ok(_)), Err(err)) = (results.last_mut(), durable.wait_async().await) {
                            *last = Err(err);
                        }
                    }
                    self.apply_session_effects();
                    self.queue_notices()?;
                }
                Err(err) => {
                    self.queue(PgWireBackendMessage::ErrorResponse(codec::error_response(&err)))?;
                    break;
                }
            }
        }
        self.ready_for_query().await
    }

    /// Sends a query string's results; true if the last one started a COPY FROM STDIN (its
    /// CopyInResponse sent).
    async fn send_simple_results(
        &mut self,
        results: Vec<crate::error::Result<QueryResult>>,
    ) -> Result<bool, Disconnect> {
        for result in results {
            match result {
                Ok(QueryResult::Rows { columns, rows, tag }) => {
                    let formats = vec![FORMAT_TEXT; columns.len()];
                    self.queue(PgWireBackendMessage::RowDescription(codec::row_description(&columns, &formats)))?;
                    let zone = self.session.time_zone();
                    for row in &rows {
                        let data_row = with_session_zone(zone, || codec::data_row(row, &columns, &formats));
                        self.queue(PgWireBackendMessage::DataRow(data_row))?;
                        self.transport.flush_if_full().await?;
                    }
                    self.queue(PgWireBackendMessage::CommandComplete(CommandComplete::new(tag)))?;
                }
                Ok(QueryResult::Command { tag }) => {
                    self.queue(PgWireBackendMessage::CommandComplete(CommandComplete::new(tag)))?;
                }
                Ok(QueryResult::Empty) => {}
                Ok(QueryResult::CopyOut { format, columns, data, tag }) => {
                    self.send_copy_out(format, columns, data).await?;
                    self.queue(PgWireBackendMessage::CommandComplete(CommandComplete::new(tag)))?;
                }
                Ok(QueryResult::CopyIn { format, columns }) => {
                    self.queue(PgWireBackendMessage::CopyInResponse(codec::copy_in_response(format, columns)))?;
                    self.transport.flush().await?;
                    return Ok(true);
                }
                Err(err) => {
                    self.queue(PgWireBackendMessage::ErrorResponse(codec::error_response(&err)))?;
                    break;
                }
            }
        }
        Ok(false)
    }

    /// COPY TO STDOUT's output: CopyOutResponse, a CopyData per piece, CopyDone (CommandComplete is the
    /// caller's).
    async fn send_copy_out(
        &mut self,
        format: CopyFormat,
        columns: usize,
        data: Vec<Vec<u8>>,
    ) -> Result<(), Disconnect> {
        self.queue(PgWireBackendMessage::CopyOutResponse(codec::copy_out_response(format, columns)))?;
        for piece in data {
            self.queue(PgWireBackendMessage::CopyData(CopyData::new(piece.into())))?;
            self.transport.flush_if_full().await?;
        }
        self.queue(PgWireBackendMessage::CopyDone(CopyDone::new()))?;
        Ok(())
    }

    /// Copy-in mode, after CopyInResponse: CopyData until CopyDone (the rows are inserted: `Ok` with the
    /// command tag) or CopyFail (`Err` 57014). Flush and Sync are ignored here, as PostgreSQL ignores them
    /// for clients that send them without noticing the command was COPY; any other message fails the COPY.
    async fn receive_copy_data(&mut self) -> Result<crate::error::Result<String>, Disconnect> {
        loop {
            let Some(frame) = self.transport.read_frame().await? else { return Err(Disconnect::Closed(None)) };
            let tag = frame[0];
            match decode_frontend(frame).map_err(Disconnect::Fatal)? {
                PgWireFrontendMessage::CopyData(data) => self.session.copy_in_data(&data.data),
                PgWireFrontendMessage::CopyDone(_) => {
                    let result = self.engine(|session| session.finish_copy_in());
                    let result = match (result, self.session.take_pending_commit()) {
                        (Ok(result), Some(durable)) => durable.wait_async().await.map(|_| result),
                        (Err(err), Some(winner)) => winner.wait_async().await.and(Err(err)),
                        (result, _) => result,
                    };
                    return Ok(result.map(|result| match result {
                        QueryResult::Command { tag } => tag,
                        _ => String::from("COPY 0"),
                    }));
                }
                PgWireFrontendMessage::CopyFail(fail) => return Ok(Err(self.session.fail_copy_in(&fail.message))),
                PgWireFrontendMessage::Flush(_) | PgWireFrontendMessage::Sync(_) => {}
                PgWireFrontendMessage::Terminate(_) => return Err(Disconnect::Closed(None)),
                _ => {
                    let _ = self.session.fail_copy_in("");
                    let message = format!("unexpected message type 0x{tag:02X} during COPY from stdin");
                    return Ok(Err(Error::new(sqlstate::PROTOCOL_VIOLATION, message)));
                }
            }
        }
    }

    fn parse(&mut self, parse: Parse) -> Result<(), Failure> {
        let name = parse.name.unwrap_or_default();
        if !name.is_empty() && (self.statements.contains_key(&name) || self.session.has_sql_statement(&name)) {
            let err = Error::new("42P05", format!("prepared statement \"{name}\" already exists"));
            return Err(self.failed(err));
        }
        let mut declared = Vec::with_capacity(parse.type_oids.len());
        for oid in parse.type_oids {
            match oid {
                0 => declared.push(DataType::Unknown),
                oid => match DataType::from_oid(oid) {
                    Some(data_type) => declared.push(data_type),
                    None => {
                        let err = Error::new(sqlstate::UNDEFINED_OBJECT, format!("type with OID {oid} does not exist"));
                        return Err(self.failed(err));
                    }
                },
            }
        }
        let statement = if is_empty_query(&parse.query) {
            Statement { prepared: None, param_types: declared, columns: Arc::from(Vec::new()) }
        } else {
            // Parsing and planning are quick CPU work: run inline on the async worker.
            match self.session.prepare(&parse.query, &declared) {
                Ok(prepared) => Statement {
                    param_types: prepared.param_types().to_vec(),
                    columns: prepared.columns().clone(),
                    prepared: Some(prepared),
                },
                Err(err) => return Err(self.failed(err)),
            }
        };
        if !name.is_empty() {
            self.session.note_protocol_statement(&name, true);
        }
        self.statements.insert(name, Arc::new(statement));
        self.queue(PgWireBackendMessage::ParseComplete(ParseComplete::new()))?;
        Ok(())
    }

    fn statement(&self, name: &str) -> Result<Arc<Statement<S::Statement>>, Error> {
        self.statements.get(name).cloned().ok_or_else(|| {
            let message = if name.is_empty() {
                "unnamed prepared statement does not exist".to_owned()
            } else {
                format!("prepared statement \"{name}\" does not exist")
            };
            Error::new(sqlstate::INVALID_SQL_STATEMENT_NAME, message)
        })
    }

    fn bind(&mut self, bind: Bind) -> Result<(), Failure> {
        let statement_name = bind.statement_name.unwrap_or_default();
        let portal_name = bind.portal_name.unwrap_or_default();
        let bound = self.statement(&statement_name).and_then(|statement| {
            if !portal_name.is_empty() && self.portals.contains_key(&portal_name) {
                return Err(Error::new("42P03", format!("cursor \"{portal_name}\" already exists")));
            }
            let params = with_session_zone(self.session.time_zone(), || {
                codec::bind_parameters(
                    &statement_name,
                    &bind.parameter_format_codes,
                    &bind.parameters,
                    &statement.param_types,
                )
            })?;
            let formats = codec::result_formats(&bind.result_column_format_codes, statement.columns.len())?;
            Ok(Portal { statement, params, formats, state: PortalState::Ready })
        });
        match bound {
            Ok(portal) => {
                self.portals.insert(portal_name, portal);
                self.queue(PgWireBackendMessage::BindComplete(BindComplete::new()))?;
                Ok(())
            }
            Err(err) => Err(self.failed(err)),
        }
    }

    fn describe(&mut self, describe: Describe) -> Result<(), Failure> {
        let name = describe.name.unwrap_or_default();
        let (columns, formats) = match describe.target_type {
            TARGET_TYPE_BYTE_STATEMENT => {
                let statement = self.statement(&name).map_err(|err| self.failed(err))?;
                // Parameters still of type unknown are offered as text, which every client can send.
                let types = statement.param_types.iter().map(|t| codec::wire_type(t).oid()).collect();
                self.queue(PgWireBackendMessage::ParameterDescription(ParameterDescription::new(types)))?;
                let formats = vec![FORMAT_TEXT; statement.columns.len()];
                (statement.columns.clone(), formats)
            }
            TARGET_TYPE_BYTE_PORTAL => match (self.portals.get(&name), self.session.cursor_columns(&name)) {
                (Some(portal), _) => (portal.statement.columns.clone(), portal.formats.clone()),
                (None, Some(columns)) => {
                    let formats = vec![FORMAT_TEXT; columns.len()];
                    (columns, formats)
                }
                (None, None) => return Err(self.failed(undefined_portal(&name))),
            },
            other => {
                let err = Error::protocol(format!("invalid DESCRIBE message subtype {other}"));
                return Err(self.failed(err));
            }
        };
        if columns.is_empty() {
            self.queue(PgWireBackendMessage::NoData(NoData::new()))?;
        } else {
            self.queue(PgWireBackendMessage::RowDescription(codec::row_description(&columns, &formats)))?;
        }
        Ok(())
    }

    async fn execute(&mut self, execute: Execute) -> Result<(), Failure> {
        let name = execute.name.unwrap_or_default();
        let Some(mut portal) = self.portals.remove(&name) else {
            return Err(self.failed(undefined_portal(&name)));
        };
        let outcome = self.run_portal(&mut portal, &name, execute.max_rows).await;
        self.portals.insert(name, portal);
        outcome
    }

    async fn run_portal(
        &mut self,
        portal: &mut Portal<S::Statement>,
        name: &str,
        max_rows: i32,
    ) -> Result<(), Failure> {
        match &portal.state {
            PortalState::Ready => {
                let Some(prepared) = portal.statement.prepared.clone() else {
                    self.queue(PgWireBackendMessage::EmptyQueryResponse(EmptyQueryResponse::new()))?;
                    return Ok(());
                };
                let params = std::mem::take(&mut portal.params);
                // Extended-protocol statements run inline: they never block on other transactions (OCC)
                // and COMMIT's durability wait is awaited below, not slept on by a runtime thread. Only a
                // wait for a background job blocks, and runs like a simple query.
                let result = if prepared.may_block() {
                    let session = &mut self.session;
                    run_blocking(|| session.execute(&prepared, &params))
                } else {
                    self.session.execute(&prepared, &params)
                };
                let result = match (result, self.session.take_pending_commit()) {
                    (Ok(result), Some(durable)) => durable.wait_async().await.map(|_| result),
                    // A conflict is reported once the commit it lost to is visible (see Session).
                    (Err(err), Some(winner)) => winner.wait_async().await.and(Err(err)),
                    (result, _) => result,
                };
                self.apply_session_effects();
                self.queue_notices()?;
                match result.map_err(Failure::Sql)? {
                    QueryResult::Rows { columns, rows, tag } => {
                        portal.state = PortalState::Suspended { columns, rows: rows.into_iter(), tag };
                    }
                    QueryResult::Command { tag } => {
                        portal.state = PortalState::Done { returned_rows: false };
                        self.queue(PgWireBackendMessage::CommandComplete(CommandComplete::new(tag)))?;
                        return Ok(());
                    }
                    QueryResult::Empty => {
                        portal.state = PortalState::Done { returned_rows: false };
                        self.queue(PgWireBackendMessage::EmptyQueryResponse(EmptyQueryResponse::new()))?;
                        return Ok(());
                    }
                    QueryResult::CopyOut { format, columns, data, tag } => {
                        portal.state = PortalState::Done { returned_rows: false };
                        self.send_copy_out(format, columns, data).await?;
                        self.queue(PgWireBackendMessage::CommandComplete(CommandComplete::new(tag)))?;
                        return Ok(());
                    }
                    QueryResult::CopyIn { format, columns } => {
                        portal.state = PortalState::Done { returned_rows: false };
                        self.queue(PgWireBackendMessage::CopyInResponse(codec::copy_in_response(format, columns)))?;
                        self.transport.flush().await?;
                        // An error skips to Sync like any other (the Sync sent with Execute was ignored).
                        let tag = self.receive_copy_data().await?.map_err(Failure::Sql)?;
                        self.queue(PgWireBackendMessage::CommandComplete(CommandComplete::new(tag)))?;
                        return Ok(());
                    }
                }
            }
            PortalState::Suspended { .. } => {}
            PortalState::Done { returned_rows: true } => {
                self.queue(PgWireBackendMessage::CommandComplete(CommandComplete::new("SELECT 0".into())))?;
                return Ok(());
            }
            PortalState::Done { returned_rows: false } => {
                let err = Error::new("55000", format!("portal \"{name}\" cannot be run"));
                return Err(self.failed(err));
            }
        }
        self.send_rows(portal, max_rows).await
    }

    /// Sends up to `max_rows` (all if 0) of a suspended portal's rows, then PortalSuspended if rows remain
    /// or CommandComplete if not.
    async fn send_rows(&mut self, portal: &mut Portal<S::Statement>, max_rows: i32) -> Result<(), Failure> {
        let PortalState::Suspended { columns, rows, tag } = &mut portal.state else { return Ok(()) };
        let limit = if max_rows <= 0 { usize::MAX } else { max_rows as usize };
        let mut sent = 0usize;
        let zone = self.session.time_zone();
        while sent < limit {
            let Some(row) = rows.next() else { break };
            let data_row = with_session_zone(zone, || codec::data_row(&row, columns, &portal.formats));
            self.queue(PgWireBackendMessage::DataRow(data_row))?;
            sent += 1;
            self.transport.flush_if_full().await?;
        }
        if rows.len() > 0 {
            self.queue(PgWireBackendMessage::PortalSuspended(PortalSuspended::new()))?;
            return Ok(());
        }
        // A SELECT run in chunks reports the rows of its last Execute, as PostgreSQL does.
        let tag = if tag.starts_with("SELECT ") { format!("SELECT {sent}") } else { std::mem::take(tag) };
        portal.state = PortalState::Done { returned_rows: true };
        self.queue(PgWireBackendMessage::CommandComplete(CommandComplete::new(tag)))?;
        Ok(())
    }

    fn close(&mut self, close: Close) -> Result<(), Failure> {
        let name = close.name.unwrap_or_default();
        match close.target_type {
            TARGET_TYPE_BYTE_STATEMENT => {
                if self.statements.remove(&name).is_some() && !name.is_empty() {
                    self.session.note_protocol_statement(&name, false);
                }
            }
            TARGET_TYPE_BYTE_PORTAL => {
                self.portals.remove(&name);
            }
            other => {
                let err = Error::protocol(format!("invalid CLOSE message subtype {other}"));
                return Err(self.failed(err));
            }
        }
        self.queue(PgWireBackendMessage::CloseComplete(CloseComplete::new()))?;
        Ok(())
    }
}

fn undefined_portal(name: &str) -> Error {
    Error::new(sqlstate::INVALID_CURSOR_NAME, format!("portal \"{name}\" does not exist"))
}

fn message_name(message: &PgWireFrontendMessage) -> &'static str {
    match message {
        PgWireFrontendMessage::SslNegotiation(_) => "SSLRequest",
        PgWireFrontendMessage::Startup(_) => "StartupMessage",
        PgWireFrontendMessage::CancelRequest(_) => "CancelRequest",
        PgWireFrontendMessage::PasswordMessageFamily(_) => "PasswordMessage",
        PgWireFrontendMessage::PortalSuspended(_) => "PortalSuspended",
        _ => "message",
    }
}
