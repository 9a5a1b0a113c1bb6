//! Protocol tests against a scripted session, so message flows (startup, extended query, portals,
//! error recovery, hostile input) are checked independently of the SQL engine. A raw client built on
//! pgwire's own frontend encoders sends exactly the messages each test is about.
//!
//! The scripted session understands: `begin`, `commit`, `rollback`, `select N` (one int4 row),
//! `select $1` (echoes its parameter, int4 unless declared), `rows N` (N int8 rows), `boom` (42P01).

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use pgwire::messages::extendedquery::{Bind, Close, Describe, Execute, Flush, Parse, Sync};
use pgwire::messages::simplequery::Query;
use pgwire::messages::startup::{Authentication, Password, PasswordMessageFamily, Startup};
use pgwire::messages::terminate::Terminate;
use pgwire::messages::{DecodeContext, PgWireBackendMessage, PgWireFrontendMessage, ProtocolVersion};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::{serve_sessions, ServerOptions, SessionFactory, SqlSession, StatementInfo};
use crate::error::{Error, Result};
use crate::session::{Column, QueryResult, TransactionStatus};
use crate::types::{DataType, Value};

#[derive(Default)]
struct ScriptedSession {
    in_block: bool,
    failed: bool,
    application_name: String,
}

struct ScriptedFactory;

impl SessionFactory for ScriptedFactory {
    type Session = ScriptedSession;
    fn open_session(&self, user: &str) -> Result<ScriptedSession> {
        if user == "nobody" {
            return Err(Error::new("28000", "role \"nobody\" does not exist"));
        }
        Ok(ScriptedSession::default())
    }
}

fn columns(data_type: DataType) -> Arc<[Column]> {
    Arc::from(vec![Column { name: "x".into(), data_type, origin: None }])
}

impl ScriptedSession {
    fn describe(&self, sql: &str, declared: &[DataType]) -> Result<(Vec<DataType>, Arc<[Column]>)> {
        let sql = sql.trim().to_ascii_lowercase();
        if sql == "select $1" {
            let data_type = declared.first().copied().filter(|t| *t != DataType::Unknown).unwrap_or(DataType::Int4);
            return Ok((vec![data_type], columns(data_type)));
        }
        if sql.starts_with("select ") {
            return Ok((vec![], columns(DataType::Int4)));
        }
        if sql.starts_with("rows ") {
            return Ok((vec![], columns(DataType::Int8)));
        }
        if matches!(sql.as_str(), "begin" | "commit" | "rollback" | "boom") {
            return Ok((vec![], Arc::from(Vec::new())));
        }
        Err(Error::syntax(format!("syntax error at or near \"{sql}\"")))
    }

    fn run(&mut self, sql: &str, params: &[Value]) -> Result<QueryResult> {
        let sql = sql.trim().to_ascii_lowercase();
        if self.failed && !matches!(sql.as_str(), "commit" | "rollback") {
            return Err(Error::in_failed_transaction());
        }
        let result = match sql.as_str() {
            "begin" => {
                self.in_block = true;
                Ok(QueryResult::Command { tag: "BEGIN".into() })
            }
            "commit" | "rollback" => {
                let tag = if self.failed || sql == "rollback" { "ROLLBACK" } else { "COMMIT" };
                self.in_block = false;
                self.failed = false;
                Ok(QueryResult::Command { tag: tag.into() })
            }
            "boom" => Err(Error::undefined_table("boom")),
            "select $1" => {
                let (_, columns) = self.describe(&sql, &[])?;
                let columns =
                    if let Some(Value::Text(_)) = params.first() { self::columns(DataType::Text) } else { columns };
                Ok(QueryResult::Rows { columns, rows: vec![vec![params[0].clone()]], tag: "SELECT 1".into() })
            }
            other if other.starts_with("select ") => {
                let n: i64 = other[7..].trim().parse().map_err(|_| Error::syntax("bad number"))?;
                Ok(QueryResult::Rows {
                    columns: columns(DataType::Int4),
                    rows: vec![vec![Value::Int(n)]],
                    tag: "SELECT 1".into(),
                })
            }
            other if other.starts_with("rows ") => {
                let n: i64 = other[5..].trim().parse().map_err(|_| Error::syntax("bad number"))?;
                let rows = (0..n).map(|i| vec![Value::Int(i)]).collect();
                Ok(QueryResult::Rows { columns: columns(DataType::Int8), rows, tag: format!("SELECT {n}") })
            }
            other => Err(Error::syntax(format!("syntax error at or near \"{other}\""))),
        };
        if result.is_err() && self.in_block {
            self.failed = true;
        }
        result
    }
}

struct ScriptedStatement {
    sql: String,
    param_types: Vec<DataType>,
    columns: Arc<[Column]>,
}

impl StatementInfo for ScriptedStatement {
    fn param_types(&self) -> &[DataType] {
        &self.param_types
    }
    fn columns(&self) -> &Arc<[Column]> {
        &self.columns
    }
}

impl SqlSession for ScriptedSession {
    type Statement = ScriptedStatement;
    type QueryString = String;
    fn parse_query_string(&mut self, sql: &str) -> String {
        sql.to_owned()
    }
    fn may_block(_: &String) -> bool {
        false
    }
    fn run_query_string(&mut self, sql: String) -> Vec<Result<QueryResult>> {
        let mut results = Vec::new();
        for statement in sql.split(';').filter(|s| !s.trim().is_empty()) {
            let result = self.run(statement, &[]);
            let failed = result.is_err();
            results.push(result);
            if failed {
                break;
            }
        }
        results
    }

    fn prepare(&mut self, sql: &str, param_types: &[DataType]) -> Result<Arc<ScriptedStatement>> {
        if self.failed && !matches!(sql.trim(), "commit" | "rollback") {
            return Err(Error::in_failed_transaction());
        }
        let (param_types, columns) = self.describe(sql, param_types)?;
        Ok(Arc::new(ScriptedStatement { sql: sql.to_owned(), param_types, columns }))
    }

    fn execute(&mut self, statement: &ScriptedStatement, params: &[Value]) -> Result<QueryResult> {
        self.run(&statement.sql, params)
    }

    fn fail_transaction(&mut self) {
        if self.in_block {
            self.failed = true;
        }
    }

    fn transaction_status(&self) -> TransactionStatus {
        match (self.in_block, self.failed) {
            (_, true) => TransactionStatus::Failed,
            (true, false) => TransactionStatus::InTransaction,
            (false, false) => TransactionStatus::Idle,
        }
    }

    fn backend_pid(&self) -> i32 {
        42
    }

    fn secret_key(&self) -> i32 {
        7
    }

    fn set_startup_parameter(&mut self, name: &str, value: &str) -> Result<()> {
        if name == "application_name" {
            self.application_name = value.to_owned();
        }
        Ok(())
    }

    fn reported_parameters(&mut self) -> Vec<(String, String)> {
        vec![("application_name".into(), self.application_name.clone()), ("server_version".into(), "16.15".into())]
    }
}

async fn start_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(serve_sessions(listener, ScriptedFactory, ServerOptions::default()));
    addr
}

/// A protocol-level client: sends pgwire frontend messages, reads backend messages.
struct RawClient {
    stream: TcpStream,
    buf: BytesMut,
}

impl RawClient {
    async fn connect(addr: SocketAddr) -> RawClient {
        RawClient { stream: TcpStream::connect(addr).await.expect("connect"), buf: BytesMut::new() }
    }

    /// Connects and completes startup as `user`, returning the messages up to and including ReadyForQuery.
    async fn login(addr: SocketAddr, user: &str) -> (RawClient, Vec<PgWireBackendMessage>) {
        let mut client = RawClient::connect(addr).await;
        let mut startup = Startup::new();
        startup.parameters.insert("user".into(), user.into());
        startup.parameters.insert("database".into(), "postgres".into());
        startup.parameters.insert("application_name".into(), "wire-test".into());
        client.send(&[PgWireFrontendMessage::Startup(startup)]).await;
        let challenge = client.recv().await.expect("auth request");
        assert!(matches!(challenge, PgWireBackendMessage::Authentication(Authentication::CleartextPassword)));
        let password = PasswordMessageFamily::Password(Password::new("anything".into()));
        client.send(&[PgWireFrontendMessage::PasswordMessageFamily(password)]).await;
        let messages = client.until_ready().await;
        (client, messages)
    }

    async fn send(&mut self, messages: &[PgWireFrontendMessage]) {
        let mut out = BytesMut::new();
        for message in messages {
            message.encode(&mut out).expect("encode");
        }
        self.stream.write_all(&out).await.expect("write");
    }

    async fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.expect("write");
    }

    /// The next backend message, or `None` once the server closed the connection.
    async fn recv(&mut self) -> Option<PgWireBackendMessage> {
        let ctx = DecodeContext::new(ProtocolVersion::PROTOCOL3_0);
        loop {
            if let Some(message) = PgWireBackendMessage::decode(&mut self.buf, &ctx).expect("decode") {
                return Some(message);
            }
            match self.stream.read_buf(&mut self.buf).await {
                Ok(0) | Err(_) => return None,
                Ok(_) => {}
            }
        }
    }

    async fn until_ready(&mut self) -> Vec<PgWireBackendMessage> {
        let mut messages = Vec::new();
        loop {
            let message = self.recv().await.expect("connection closed before ReadyForQuery");
            let done = matches!(message, PgWireBackendMessage::ReadyForQuery(_));
            messages.push(message);
            if done {
                return messages;
            }
        }
    }

    async fn query(&mut self, sql: &str) -> Vec<PgWireBackendMessage> {
        self.send(&[PgWireFrontendMessage::Query(Query::new(sql.into()))]).await;
        self.until_ready().await
    }
}

/// A compact rendering of a message flow, so tests read like protocol traces.
fn trace(messages: &[PgWireBackendMessage]) -> Vec<String> {
    messages
        .iter()
        .map(|message| match message {
            PgWireBackendMessage::ParseComplete(_) => "ParseComplete".into(),
            PgWireBackendMessage::BindComplete(_) => "BindComplete".into(),
            PgWireBackendMessage::CloseComplete(_) => "CloseComplete".into(),
            PgWireBackendMessage::PortalSuspended(_) => "PortalSuspended".into(),
            PgWireBackendMessage::NoData(_) => "NoData".into(),
            PgWireBackendMessage::EmptyQueryResponse(_) => "EmptyQuery".into(),
            PgWireBackendMessage::CommandComplete(c) => format!("Complete {}", c.tag),
            PgWireBackendMessage::ReadyForQuery(r) => format!("Ready {}", r.status as u8 as char),
            PgWireBackendMessage::ErrorResponse(e) => {
                let code = e.fields.iter().find(|(k, _)| *k == b'C').map(|(_, v)| v.as_str()).unwrap_or("?");
                let severity = e.fields.iter().find(|(k, _)| *k == b'S').map(|(_, v)| v.as_str()).unwrap_or("?");
                format!("{severity} {code}")
            }
            PgWireBackendMessage::RowDescription(d) => {
                let types: Vec<String> = d.fields.iter().map(|f| format!("{}/{}", f.type_id, f.format_code)).collect();
                format!("Columns {}", types.join(","))
            }
            PgWireBackendMessage::ParameterDescription(p) => format!("Params {:?}", p.types),
            PgWireBackendMessage::DataRow(row) => {
                // Text format only in these tests: fields are (len, bytes).
                let mut data = &row.data[..];
                let mut fields = Vec::new();
                while data.len() >= 4 {
                    let len = i32::from_be_bytes([data[0], data[1], data[2], data[3]]);
                    data = &data[4..];
                    if len < 0 {
                        fields.push("NULL".to_owned());
                    } else {
                        fields.push(String::from_utf8_lossy(&data[..len as usize]).into_owned());
                        data = &data[len as usize..];
                    }
                }
                format!("Row {}", fields.join(","))
            }
            PgWireBackendMessage::ParameterStatus(p) => format!("Param {}={}", p.name, p.value),
            PgWireBackendMessage::BackendKeyData(_) => "BackendKeyData".into(),
            PgWireBackendMessage::Authentication(Authentication::Ok) => "AuthOk".into(),
            other => format!("{other:?}"),
        })
        .collect()
}

fn parse(name: &str, sql: &str, types: Vec<u32>) -> PgWireFrontendMessage {
    PgWireFrontendMessage::Parse(Parse::new(Some(name.to_owned()).filter(|n| !n.is_empty()), sql.into(), types))
}

fn bind(portal: &str, statement: &str, params: Vec<Option<&str>>, result_formats: Vec<i16>) -> PgWireFrontendMessage {
    let params = params.into_iter().map(|p| p.map(|s| Bytes::copy_from_slice(s.as_bytes()))).collect();
    PgWireFrontendMessage::Bind(Bind::new(
        Some(portal.to_owned()).filter(|n| !n.is_empty()),
        Some(statement.to_owned()).filter(|n| !n.is_empty()),
        vec![],
        params,
        result_formats,
    ))
}

fn describe(kind: u8, name: &str) -> PgWireFrontendMessage {
    PgWireFrontendMessage::Describe(Describe::new(kind, Some(name.to_owned()).filter(|n| !n.is_empty())))
}

fn execute(portal: &str, max_rows: i32) -> PgWireFrontendMessage {
    PgWireFrontendMessage::Execute(Execute::new(Some(portal.to_owned()).filter(|n| !n.is_empty()), max_rows))
}

fn sync() -> PgWireFrontendMessage {
    PgWireFrontendMessage::Sync(Sync::new())
}

/// A server over the real engine (an in-memory database), for flows that depend on what statements do.
async fn start_engine_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(serve_sessions(listener, crate::Database::open_in_memory(), ServerOptions::default()));
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn startup_reports_parameters_and_key() {
    let addr = start_engine_server().await;
    let (mut client, messages) = RawClient::login(addr, "admin").await;
    let started = trace(&messages);
    assert_eq!(started.first().map(String::as_str), Some("AuthOk"));
    for expected in [
        "Param server_version=16.15",
        "Param server_encoding=UTF8",
        "Param client_encoding=UTF8",
        "Param DateStyle=ISO, MDY",
        "Param IntervalStyle=postgres",
        "Param TimeZone=UTC",
        "Param integer_datetimes=on",
        "Param standard_conforming_strings=on",
        "Param application_name=wire-test",
        "Param is_superuser=on",
        "Param session_authorization=admin",
        "Param default_transaction_read_only=off",
        "Param in_hot_standby=off",
        "Param search_path=\"$user\", public",
        "BackendKeyData",
    ] {
        assert!(started.iter().any(|t| t == expected), "missing {expected} in {started:?}");
    }
    assert_eq!(started.last().map(String::as_str), Some("Ready I"));
    // The key's process id is the session's pg_backend_pid().
    let pid = messages
        .iter()
        .find_map(|m| match m {
            PgWireBackendMessage::BackendKeyData(key) => Some(key.pid),
            _ => None,
        })
        .expect("BackendKeyData");
    let answer = trace(&client.query("SELECT pg_backend_pid()").await);
    assert_eq!(answer[1], format!("Row {pid}"));
    // As in PostgreSQL, cancelling one's own backend cancels the statement that asks.
    let answer = trace(&client.query("SELECT pg_cancel_backend(pg_backend_pid())").await);
    assert!(answer.iter().any(|m| m == "ERROR 57014"), "{answer:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn startup_options_set_parameters() {
    let addr = start_engine_server().await;
    let mut client = RawClient::connect(addr).await;
    let mut startup = Startup::new();
    startup.parameters.insert("user".into(), "admin".into());
    startup.parameters.insert("database".into(), "postgres".into());
    startup.parameters.insert("options".into(), "-c enable_seqscan=off --statement-timeout=5s".into());
    startup.parameters.insert("DateStyle".into(), "ISO, DMY".into());
    client.send(&[PgWireFrontendMessage::Startup(startup)]).await;
    client.recv().await.expect("auth request");
    let password = PasswordMessageFamily::Password(Password::new("x".into()));
    client.send(&[PgWireFrontendMessage::PasswordMessageFamily(password)]).await;
    let started = trace(&client.until_ready().await);
    assert!(started.iter().any(|t| t == "Param DateStyle=ISO, DMY"), "{started:?}");
    let shown =
        trace(&client.query("SELECT current_setting('enable_seqscan'), current_setting('statement_timeout')").await);
    assert_eq!(shown[1], "Row off,5s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_reports_changed_parameters() {
    let addr = start_engine_server().await;
    let (mut client, _) = RawClient::login(addr, "admin").await;
    assert_eq!(
        trace(&client.query("SET application_name = 'pool'").await),
        ["Complete SET", "Param application_name=pool", "Ready I"]
    );
    // Not a reported parameter: no ParameterStatus.
    assert_eq!(trace(&client.query("SET enable_seqscan = off").await), ["Complete SET", "Ready I"]);
    assert_eq!(
        trace(&client.query("SELECT set_config('DateStyle', 'ISO, DMY', false)").await),
        ["Columns 25/0", "Row ISO, DMY", "Complete SELECT 1", "Param DateStyle=ISO, DMY", "Ready I"]
    );
    let reset = trace(&client.query("RESET ALL").await);
    assert_eq!(reset[0], "Complete RESET");
    // Back to the value the startup message gave.
    assert!(reset.contains(&"Param application_name=wire-test".to_string()), "{reset:?}");
    assert!(reset.contains(&"Param DateStyle=ISO, MDY".to_string()), "{reset:?}");
    // Over the extended protocol too.
    client
        .send(&[
            parse("", "SET TimeZone = 'Europe/Paris'", vec![]),
            bind("", "", vec![], vec![]),
            execute("", 0),
            sync(),
        ])
        .await;
    assert_eq!(
        trace(&client.until_ready().await),
        ["ParseComplete", "BindComplete", "Complete SET", "Param TimeZone=Europe/Paris", "Ready I"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deallocate_and_discard_drop_protocol_statements() {
    let addr = start_engine_server().await;
    let (mut client, _) = RawClient::login(addr, "admin").await;
    client.send(&[parse("s1", "SELECT 1", vec![]), parse("s2", "SELECT 2", vec![]), sync()]).await;
    assert_eq!(trace(&client.until_ready().await), ["ParseComplete", "ParseComplete", "Ready I"]);
    assert_eq!(trace(&client.query("DEALLOCATE s1").await), ["Complete DEALLOCATE", "Ready I"]);
    assert_eq!(trace(&client.query("DEALLOCATE s1").await), ["ERROR 26000", "Ready I"]);
    client.send(&[bind("", "s1", vec![], vec![]), sync()]).await;
    assert_eq!(trace(&client.until_ready().await), ["ERROR 26000", "Ready I"]);
    client.send(&[bind("", "s2", vec![], vec![]), execute("", 0), sync()]).await;
    assert_eq!(trace(&client.until_ready().await), ["BindComplete", "Row 2", "Complete SELECT 1", "Ready I"]);
    // psycopg's rollback(): DEALLOCATE ALL; s2 is gone, and its name can be used again.
    assert_eq!(trace(&client.query("DEALLOCATE ALL").await), ["Complete DEALLOCATE ALL", "Ready I"]);
    client.send(&[bind("", "s2", vec![], vec![]), sync()]).await;
    assert_eq!(trace(&client.until_ready().await), ["ERROR 26000", "Ready I"]);
    client.send(&[parse("s2", "SELECT 3", vec![]), sync()]).await;
    assert_eq!(trace(&client.until_ready().await), ["ParseComplete", "Ready I"]);
    // A portal kept by a transaction block goes with CLOSE ALL; DISCARD ALL drops statements too.
    client.query("BEGIN").await;
    client.send(&[bind("p", "s2", vec![], vec![]), sync()]).await;
    assert_eq!(trace(&client.until_ready().await), ["BindComplete", "Ready T"]);
    assert_eq!(trace(&client.query("CLOSE ALL").await), ["Complete CLOSE CURSOR ALL", "Ready T"]);
    client.send(&[execute("p", 0), sync()]).await;
    assert_eq!(trace(&client.until_ready().await), ["ERROR 34000", "Ready E"]);
    assert_eq!(trace(&client.query("DISCARD ALL").await), ["ERROR 25P02", "Ready E"]);
    client.query("ROLLBACK").await;
    assert_eq!(trace(&client.query("DISCARD ALL").await), ["Complete DISCARD ALL", "Ready I"]);
    client.send(&[bind("", "s2", vec![], vec![]), sync()]).await;
    assert_eq!(trace(&client.until_ready().await), ["ERROR 26000", "Ready I"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_commands_run_over_the_extended_protocol() {
    let addr = start_engine_server().await;
    let (mut client, _) = RawClient::login(addr, "admin").await;
    let run = |sql: &str| [parse("", sql, vec![]), bind("", "", vec![], vec![]), execute("", 0), sync()];
    assert_eq!(
        trace(&{
            client.send(&run("PREPARE five AS SELECT 5")).await;
            client.until_ready().await
        }),
        ["ParseComplete", "BindComplete", "Complete PREPARE", "Ready I"]
    );
    // EXECUTE describes the rows of the statement it names.
    client
        .send(&[
            parse("", "EXECUTE five", vec![]),
            describe(b'S', ""),
            bind("", "", vec![], vec![]),
            execute("", 0),
            sync(),
        ])
        .await;
    assert_eq!(
        trace(&client.until_ready().await),
        ["ParseComplete", "Params []", "Columns 23/0", "BindComplete", "Row 5", "Complete SELECT 1", "Ready I"]
    );
    for (sql, tag) in [
        ("RESET ALL", "Complete RESET"),
        ("DEALLOCATE five", "Complete DEALLOCATE"),
        ("DISCARD ALL", "Complete DISCARD ALL"),
    ] {
        client.send(&run(sql)).await;
        assert_eq!(trace(&client.until_ready().await), ["ParseComplete", "BindComplete", tag, "Ready I"], "{sql}");
    }
    client.send(&run("EXECUTE five")).await;
    assert_eq!(trace(&client.until_ready().await), ["ERROR 26000", "Ready I"]);
    // SQL PREPARE and the protocol's Parse share names.
    client.query("PREPARE shared AS SELECT 1").await;
    client.send(&[parse("shared", "SELECT 2", vec![]), sync()]).await;
    assert_eq!(trace(&client.until_ready().await), ["ERROR 42P05", "Ready I"]);
    client.send(&[parse("protocol_only", "SELECT 2", vec![]), sync()]).await;
    client.until_ready().await;
    assert_eq!(trace(&client.query("PREPARE protocol_only AS SELECT 3").await), ["ERROR 42P05", "Ready I"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pg_terminate_backend_ends_another_connection() {
    let addr = start_engine_server().await;
    let (mut admin, _) = RawClient::login(addr, "admin").await;
    let (mut idle, messages) = RawClient::login(addr, "admin").await;
    let pid = messages
        .iter()
        .find_map(|m| match m {
            PgWireBackendMessage::BackendKeyData(key) => Some(key.pid),
            _ => None,
        })
        .expect("BackendKeyData");
    idle.query("BEGIN").await;
    let answer = trace(&admin.query(&format!("SELECT pg_terminate_backend({pid})")).await);
    assert_eq!(answer[1], "Row t");
    // The idle connection gets PostgreSQL's FATAL and is closed; its open transaction is gone with it.
    assert_eq!(trace(&[idle.recv().await.expect("fatal")]), ["FATAL 57P01"]);
    assert!(idle.recv().await.is_none());
    let answer = trace(&admin.query(&format!("SELECT pg_terminate_backend({pid})")).await);
    assert_eq!(answer[1], "Row f");
    // Another role may not end an administrator's connection.
    admin.query("CREATE ROLE bob WITH LOGIN").await;
    let (mut bob, _) = RawClient::login(addr, "bob").await;
    let admin_pid = trace(&admin.query("SELECT pg_backend_pid()").await)[1].trim_start_matches("Row ").to_owned();
    let refused = trace(&bob.query(&format!("SELECT pg_terminate_backend({admin_pid})")).await);
    assert_eq!(refused, ["ERROR 42501", "Ready I"]);
    assert_eq!(trace(&admin.query("SELECT 1").await)[1], "Row 1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_is_sent_at_once_when_the_client_flushes() {
    // asyncpg and postgres.js follow Parse (Describe, Bind, Execute) with Flush and wait for the answer
    // before they send Sync: the ErrorResponse must not wait for the Sync.
    let addr = start_server().await;
    let (mut client, _) = RawClient::login(addr, "admin").await;
    client.send(&[parse("bad", "nonsense", vec![]), PgWireFrontendMessage::Flush(Flush::new())]).await;
    assert_eq!(trace(&[client.recv().await.expect("error")]), ["ERROR 42601"]);
    // Everything up to Sync is discarded, Flush included; Sync answers ReadyForQuery.
    client
        .send(&[
            describe(b'S', "bad"),
            PgWireFrontendMessage::Flush(Flush::new()),
            bind("", "bad", vec![], vec![]),
            sync(),
        ])
        .await;
    assert_eq!(trace(&client.until_ready().await), ["Ready I"]);
    // An error at Execute, flushed the same way.
    client
        .send(&[
            parse("", "boom", vec![]),
            bind("", "", vec![], vec![]),
            execute("", 0),
            PgWireFrontendMessage::Flush(Flush::new()),
        ])
        .await;
    let mut seen = Vec::new();
    while !matches!(seen.last(), Some(PgWireBackendMessage::ErrorResponse(_))) {
        seen.push(client.recv().await.expect("message"));
    }
    assert_eq!(trace(&seen), ["ParseComplete", "BindComplete", "ERROR 42P01"]);
    client.send(&[sync()]).await;
    assert_eq!(trace(&client.until_ready().await), ["Ready I"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_open_failure_is_fatal() {
    let addr = start_server().await;
    let mut client = RawClient::connect(addr).await;
    let mut startup = Startup::new();
    startup.parameters.insert("user".into(), "nobody".into());
    client.send(&[PgWireFrontendMessage::Startup(startup)]).await;
    client.recv().await.expect("auth request");
    let password = PasswordMessageFamily::Password(Password::new("x".into()));
    client.send(&[PgWireFrontendMessage::PasswordMessageFamily(password)]).await;
    let mut rest = Vec::new();
    while let Some(message) = client.recv().await {
        rest.push(message);
    }
    assert_eq!(trace(&rest), ["AuthOk", "FATAL 28000"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ssl_request_is_refused_and_plaintext_continues() {
    let addr = start_server().await;
    let mut client = RawClient::connect(addr).await;
    client.send_raw(&[0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]).await;
    let mut answer = [0u8; 1];
    client.stream.read_exact(&mut answer).await.expect("ssl answer");
    assert_eq!(&answer, b"N");
    let mut startup = Startup::new();
    startup.parameters.insert("user".into(), "admin".into());
    client.send(&[PgWireFrontendMessage::Startup(startup)]).await;
    assert!(matches!(client.recv().await, Some(PgWireBackendMessage::Authentication(_))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simple_query_runs_each_statement_and_stops_at_error() {
    let addr = start_server().await;
    let (mut client, _) = RawClient::login(addr, "admin").await;
    assert_eq!(
        trace(&client.query("select 1; rows 2").await),
        [
            "Columns 23/0",
            "Row 1",
            "Complete SELECT 1",
            "Columns 20/0",
            "Row 0",
            "Row 1",
            "Complete SELECT 2",
            "Ready I"
        ]
    );
    assert_eq!(
        trace(&client.query("select 1; boom; select 3").await),
        ["Columns 23/0", "Row 1", "Complete SELECT 1", "ERROR 42P01", "Ready I"]
    );
    assert_eq!(trace(&client.query("").await), ["EmptyQuery", "Ready I"]);
    assert_eq!(trace(&client.query(" ; ").await), ["EmptyQuery", "Ready I"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transaction_status_follows_the_session() {
    let addr = start_server().await;
    let (mut client, _) = RawClient::login(addr, "admin").await;
    assert_eq!(trace(&client.query("begin").await), ["Complete BEGIN", "Ready T"]);
    assert_eq!(trace(&client.query("boom").await), ["ERROR 42P01", "Ready E"]);
    assert_eq!(trace(&client.query("select 1").await), ["ERROR 25P02", "Ready E"]);
    assert_eq!(trace(&client.query("commit").await), ["Complete ROLLBACK", "Ready I"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extended_query_with_text_parameters() {
    let addr = start_server().await;
    let (mut client, _) = RawClient::login(addr, "admin").await;
    client
        .send(&[
            parse("echo", "select $1", vec![]),
            describe(b'S', "echo"),
            bind("", "echo", vec![Some("42")], vec![]),
            describe(b'P', ""),
            execute("", 0),
            sync(),
        ])
        .await;
    assert_eq!(
        trace(&client.until_ready().await),
        [
            "ParseComplete",
            "Params [23]",
            "Columns 23/0",
            "BindComplete",
            "Columns 23/0",
            "Row 42",
            "Complete SELECT 1",
            "Ready I"
        ]
    );
    // The named statement is reused without a new Parse; a declared type (text, OID 25) is honoured.
    client.send(&[bind("", "echo", vec![None], vec![]), execute("", 0), sync()]).await;
    assert_eq!(trace(&client.until_ready().await), ["BindComplete", "Row NULL", "Complete SELECT 1", "Ready I"]);
    client.send(&[parse("", "select $1", vec![25]), describe(b'S', ""), sync()]).await;
    assert_eq!(trace(&client.until_ready().await), ["ParseComplete", "Params [25]", "Columns 25/0", "Ready I"]);
    // Statements without a result set describe as NoData.
    client
        .send(&[parse("", "begin", vec![]), describe(b'S', ""), bind("", "", vec![], vec![]), execute("", 0), sync()])
        .await;
    assert_eq!(
        trace(&client.until_ready().await),
        ["ParseComplete", "Params []", "NoData", "BindComplete", "Complete BEGIN", "Ready T"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn execute_respects_max_rows() {
    let addr = start_server().await;
    let (mut client, _) = RawClient::login(addr, "admin").await;
    client
        .send(&[
            parse("", "rows 5", vec![]),
            bind("cursor", "", vec![], vec![]),
            execute("cursor", 2),
            execute("cursor", 2),
            execute("cursor", 2),
            sync(),
        ])
        .await;
    assert_eq!(
        trace(&client.until_ready().await),
        [
            "ParseComplete",
            "BindComplete",
            "Row 0",
            "Row 1",
            "PortalSuspended",
            "Row 2",
            "Row 3",
            "PortalSuspended",
            "Row 4",
            "Complete SELECT 1",
            "Ready I"
        ]
    );
    // The portal died with the implicit transaction at Sync.
    client.send(&[execute("cursor", 0), sync()]).await;
    assert_eq!(trace(&client.until_ready().await), ["ERROR 34000", "Ready I"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_discards_messages_until_sync() {
    let addr = start_server().await;
    let (mut client, _) = RawClient::login(addr, "admin").await;
    client
        .send(&[
            parse("", "select $1", vec![]),
            bind("", "", vec![Some("not a number")], vec![]),
            execute("", 0),
            PgWireFrontendMessage::Query(Query::new("select 1".into())),
            sync(),
        ])
        .await;
    assert_eq!(trace(&client.until_ready().await), ["ParseComplete", "ERROR 22P02", "Ready I"]);
    // Wrong parameter count, unknown statement, bad syntax: each reported once, then Sync recovers.
    client.send(&[bind("", "", vec![], vec![]), execute("", 0), sync()]).await;
    assert_eq!(trace(&client.until_ready().await), ["ERROR 08P01", "Ready I"]);
    client.send(&[bind("", "missing", vec![], vec![]), sync()]).await;
    assert_eq!(trace(&client.until_ready().await), ["ERROR 26000", "Ready I"]);
    client.send(&[parse("", "nonsense", vec![]), sync()]).await;
    assert_eq!(trace(&client.until_ready().await), ["ERROR 42601", "Ready I"]);
    // A Bind error inside a block fails the block, as in PostgreSQL.
    client.query("begin").await;
    client.send(&[parse("", "select $1", vec![]), bind("", "", vec![Some("x")], vec![]), sync()]).await;
    assert_eq!(trace(&client.until_ready().await), ["ParseComplete", "ERROR 22P02", "Ready E"]);
    assert_eq!(trace(&client.query("rollback").await), ["Complete ROLLBACK", "Ready I"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_and_flush() {
    let addr = start_server().await;
    let (mut client, _) = RawClient::login(addr, "admin").await;
    client.send(&[parse("s1", "select 7", vec![]), PgWireFrontendMessage::Flush(Flush::new())]).await;
    assert_eq!(trace(&[client.recv().await.expect("parse complete")]), ["ParseComplete"]);
    client.send(&[parse("s1", "select 8", vec![]), sync()]).await;
    assert_eq!(trace(&client.until_ready().await), ["ERROR 42P05", "Ready I"]);
    client
        .send(&[
            PgWireFrontendMessage::Close(Close::new(b'S', Some("s1".into()))),
            parse("s1", "select 8", vec![]),
            bind("", "s1", vec![], vec![]),
            execute("", 0),
            sync(),
        ])
        .await;
    assert_eq!(
        trace(&client.until_ready().await),
        ["CloseComplete", "ParseComplete", "BindComplete", "Row 8", "Complete SELECT 1", "Ready I"]
    );
    client.send(&[PgWireFrontendMessage::Terminate(Terminate::new())]).await;
    assert!(client.recv().await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_closes_only_that_connection() {
    let addr = start_server().await;
    let (mut good, _) = RawClient::login(addr, "admin").await;

    // A startup packet claiming 2 GiB.
    let mut bad = RawClient::connect(addr).await;
    bad.send_raw(&[0x7f, 0xff, 0xff, 0xff, 0, 3, 0, 0]).await;
    let mut messages = Vec::new();
    while let Some(message) = bad.recv().await {
        messages.push(message);
    }
    assert_eq!(trace(&messages), ["FATAL 08P01"]);

    // After login: an unknown message type, a length over 1 GiB, a truncated Bind body.
    let cases: [&[u8]; 3] =
        [b"\x01\x00\x00\x00\x04", b"Q\x7f\xff\xff\xffselect 1", b"B\x00\x00\x00\x08\x00\x00\xff\xff"];
    for bytes in cases {
        let (mut bad, _) = RawClient::login(addr, "admin").await;
        bad.send_raw(bytes).await;
        let mut messages = Vec::new();
        while let Some(message) = bad.recv().await {
            messages.push(message);
        }
        assert_eq!(trace(&messages), ["FATAL 08P01"], "for {bytes:?}");
    }

    // Random bytes instead of a startup packet.
    let mut noise = RawClient::connect(addr).await;
    noise.send_raw(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await;
    while noise.recv().await.is_some() {}

    assert_eq!(trace(&good.query("select 5").await), ["Columns 23/0", "Row 5", "Complete SELECT 1", "Ready I"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_request_is_accepted() {
    let addr = start_server().await;
    let mut cancel = RawClient::connect(addr).await;
    cancel.send_raw(&[0, 0, 0, 16, 0x04, 0xd2, 0x16, 0x2e, 0, 0, 0, 1, 0, 0, 0, 2]).await;
    assert!(cancel.recv().await.is_none());
    let (mut client, _) = RawClient::login(addr, "admin").await;
    assert_eq!(trace(&client.query("select 1").await).last().map(String::as_str), Some("Ready I"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn integrity_errors_name_their_schema_table_column_and_constraint() {
    // PostgreSQL 15's fields (psql \set VERBOSITY verbose shows them as SCHEMA / TABLE / COLUMN /
    // CONSTRAINT NAME); node-postgres reads them as err.schema / err.table / err.column / err.constraint.
    let addr = start_engine_server().await;
    let (mut client, _) = RawClient::login(addr, "admin").await;
    client.query("create table ep (id int primary key, u int unique, c int check (c > 0), n int not null)").await;
    client.query("create table ec (id int primary key, p int references ep (id))").await;
    client.query("insert into ep values (1, 1, 1, 1)").await;
    client.query("insert into ec values (1, 1)").await;
    let object_fields = |messages: Vec<PgWireBackendMessage>| -> Vec<String> {
        let error = messages.iter().find_map(|m| match m {
            PgWireBackendMessage::ErrorResponse(e) => Some(e),
            _ => None,
        });
        let fields = &error.expect("an ErrorResponse").fields;
        fields.iter().filter(|(k, _)| b"Cstcn".contains(k)).map(|(k, v)| format!("{}={v}", *k as char)).collect()
    };
    let cases: [(&str, &[&str]); 6] = [
        ("insert into ep values (1, 2, 1, 1)", &["C=23505", "s=public", "t=ep", "n=ep_pkey"]),
        ("insert into ep values (2, 1, 1, 1)", &["C=23505", "s=public", "t=ep", "n=ep_u_key"]),
        ("insert into ep values (3, 3, -1, 1)", &["C=23514", "s=public", "t=ep", "n=ep_c_check"]),
        ("insert into ep values (4, 4, 1, null)", &["C=23502", "s=public", "t=ep", "c=n"]),
        ("insert into ec values (2, 9)", &["C=23503", "s=public", "t=ec", "n=ec_p_fkey"]),
        ("delete from ep", &["C=23503", "s=public", "t=ec", "n=ec_p_fkey"]),
    ];
    for (sql, expected) in cases {
        assert_eq!(object_fields(client.query(sql).await), expected, "{sql}");
    }
    // Other errors name no object.
    assert_eq!(object_fields(client.query("select 1/0").await), ["C=22012"]);
}
