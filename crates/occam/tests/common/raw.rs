//! A protocol-level test client, for what tokio-postgres cannot do: text-format parameters and results,
//! the ReadyForQuery status, and COPY messages sent by hand (CopyFail with a message).

use std::net::SocketAddr;

use bytes::{Bytes, BytesMut};
use pgwire::messages::extendedquery::{Bind, Execute, Parse, Sync as SyncMessage};
use pgwire::messages::simplequery::Query;
use pgwire::messages::startup::{Password, PasswordMessageFamily, SecretKey, Startup};
use pgwire::messages::{DecodeContext, PgWireBackendMessage, PgWireFrontendMessage, ProtocolVersion};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// What an extended-protocol round trip produced.
#[derive(Debug, Default)]
pub struct Outcome {
    pub rows: Vec<Vec<Option<String>>>,
    pub tag: Option<String>,
    pub error: Option<String>,
    pub status: u8,
}

/// A protocol-level client for what tokio-postgres cannot do: text-format parameters and results, and
/// reading the ReadyForQuery status.
pub struct RawClient {
    pub stream: TcpStream,
    buf: BytesMut,
    /// BackendKeyData: (process id, secret key).
    pub key: (i32, i32),
}

impl RawClient {
    pub async fn login(addr: SocketAddr) -> RawClient {
        let stream = TcpStream::connect(addr).await.expect("connect");
        let mut client = RawClient { stream, buf: BytesMut::new(), key: (0, 0) };
        let mut startup = Startup::new();
        startup.parameters.insert("user".into(), "admin".into());
        startup.parameters.insert("database".into(), "postgres".into());
        client.send(&[PgWireFrontendMessage::Startup(startup)]).await;
        client.recv().await;
        let password = PasswordMessageFamily::Password(Password::new("anything".into()));
        client.send(&[PgWireFrontendMessage::PasswordMessageFamily(password)]).await;
        loop {
            match client.recv().await {
                PgWireBackendMessage::BackendKeyData(key) => {
                    let SecretKey::I32(secret) = key.secret_key else { panic!("a 4-byte secret key") };
                    client.key = (key.pid, secret);
                }
                PgWireBackendMessage::ReadyForQuery(_) => return client,
                _ => {}
            }
        }
    }

    pub async fn send(&mut self, messages: &[PgWireFrontendMessage]) {
        let mut out = BytesMut::new();
        for message in messages {
            message.encode(&mut out).expect("encode");
        }
        self.stream.write_all(&out).await.expect("write");
    }

    pub async fn recv(&mut self) -> PgWireBackendMessage {
        let ctx = DecodeContext::new(ProtocolVersion::PROTOCOL3_0);
        loop {
            if let Some(message) = PgWireBackendMessage::decode(&mut self.buf, &ctx).expect("decode") {
                return message;
            }
            let read = self.stream.read_buf(&mut self.buf).await.expect("read");
            assert!(read > 0, "server closed the connection");
        }
    }

    pub async fn until_ready(&mut self) -> Outcome {
        let mut outcome = Outcome::default();
        loop {
            match self.recv().await {
                PgWireBackendMessage::DataRow(row) => outcome.rows.push(text_fields(&row.data)),
                PgWireBackendMessage::CommandComplete(complete) => outcome.tag = Some(complete.tag),
                PgWireBackendMessage::ErrorResponse(error) => {
                    outcome.error = error.fields.iter().find(|(k, _)| *k == b'C').map(|(_, v)| v.clone());
                }
                PgWireBackendMessage::ReadyForQuery(ready) => {
                    outcome.status = ready.status as u8;
                    return outcome;
                }
                _ => {}
            }
        }
    }

    /// A simple query; returns the SQLSTATE of its error, if any, and the ReadyForQuery status.
    pub async fn simple(&mut self, sql: &str) -> (Option<String>, u8) {
        self.send(&[PgWireFrontendMessage::Query(Query::new(sql.into()))]).await;
        let outcome = self.until_ready().await;
        (outcome.error, outcome.status)
    }

    /// Parse + Bind (text parameters, text results) + Execute + Sync.
    pub async fn extended(&mut self, sql: &str, params: Vec<Option<&str>>) -> Outcome {
        let params = params.into_iter().map(|p| p.map(|s| Bytes::copy_from_slice(s.as_bytes()))).collect();
        self.send(&[
            PgWireFrontendMessage::Parse(Parse::new(None, sql.into(), vec![])),
            PgWireFrontendMessage::Bind(Bind::new(None, None, vec![0], params, vec![0])),
            PgWireFrontendMessage::Execute(Execute::new(None, 0)),
            PgWireFrontendMessage::Sync(SyncMessage::new()),
        ])
        .await;
        self.until_ready().await
    }
}

pub fn text_fields(mut data: &[u8]) -> Vec<Option<String>> {
    let mut fields = Vec::new();
    while data.len() >= 4 {
        let len = i32::from_be_bytes([data[0], data[1], data[2], data[3]]);
        data = &data[4..];
        if len < 0 {
            fields.push(None);
        } else {
            fields.push(Some(String::from_utf8_lossy(&data[..len as usize]).into_owned()));
            data = &data[len as usize..];
        }
    }
    fields
}
