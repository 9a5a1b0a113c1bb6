//! The client side of `bench/idle_connections.sh`: opens N connections to an occam server, runs one
//! `SELECT 1` on each so every session is fully started, prints `open N` and then holds them, idle, until
//! its standard input closes. The script reads the server's memory while they are held. Given the
//! server's certificate (`server.crt` in its data directory), the connections use TLS (`sslmode=require`,
//! as DSQL's clients do), trusting exactly that certificate.
//!
//!   cargo run --release -p occam-server --example idle_clients -- PORT N [CERT_PEM]

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::AsyncReadExt;
use tokio::sync::Semaphore;
use tokio_postgres::config::SslMode;
use tokio_postgres::{Client, Config};
use tokio_postgres_rustls::MakeRustlsConnect;

/// Connections being opened at one time (the rest queue), so the server's accept backlog never overflows.
const OPENING_AT_ONCE: usize = 64;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let usage = "usage: idle_clients PORT N [CERT_PEM]";
    let port: u16 = args.next().and_then(|arg| arg.parse().ok()).expect(usage);
    let count: usize = args.next().and_then(|arg| arg.parse().ok()).expect(usage);
    let tls = args.next().map(|cert| MakeRustlsConnect::new(trusting(&cert)));
    let mut config = Config::new();
    config.host("localhost").port(port).user("admin").password("x").dbname("postgres");
    config.ssl_mode(if tls.is_some() { SslMode::Require } else { SslMode::Disable });

    let started = Instant::now();
    let opening = Arc::new(Semaphore::new(OPENING_AT_ONCE));
    let mut tasks = Vec::with_capacity(count);
    for _ in 0..count {
        let (config, tls) = (config.clone(), tls.clone());
        let opening = opening.clone();
        tasks.push(tokio::spawn(async move {
            let permit = opening.acquire_owned().await.expect("semaphore open");
            let client = connect_with_retry(&config, tls.as_ref()).await;
            client.simple_query("SELECT 1").await.expect("SELECT 1");
            drop(permit);
            client
        }));
    }
    let mut held = Vec::with_capacity(count);
    for task in tasks {
        held.push(task.await.expect("connection task"));
    }
    println!("open {} in {:.1}s", held.len(), started.elapsed().as_secs_f64());

    // Hold every connection until the script closes our standard input.
    let mut rest = Vec::new();
    let _ = tokio::io::stdin().read_to_end(&mut rest).await;
    let closed = held.iter().filter(|client| client.is_closed()).count();
    println!("closed by the server while held: {closed}");
}

/// Connects (over TLS when `tls` is given), retrying while the server is still starting (connection
/// refused) for up to a minute; the connection is driven by a task of its own.
async fn connect_with_retry(config: &Config, tls: Option<&MakeRustlsConnect>) -> Client {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let connected = match tls {
            Some(tls) => config.connect(tls.clone()).await.map(|(client, connection)| {
                tokio::spawn(connection);
                client
            }),
            None => config.connect(tokio_postgres::NoTls).await.map(|(client, connection)| {
                tokio::spawn(connection);
                client
            }),
        };
        match connected {
            Ok(client) => return client,
            Err(err) if Instant::now() < deadline && err.as_db_error().is_none() => {
                tokio::time::sleep(Duration::from_millis(50)).await
            }
            Err(err) => panic!("cannot connect: {err}"),
        }
    }
}

/// A TLS client configuration that trusts exactly the certificate in the PEM file `path`.
fn trusting(path: &str) -> rustls::ClientConfig {
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls::pki_types::CertificateDer::pem_file_iter(path).expect("certificate file") {
        roots.add(cert.expect("PEM certificate")).expect("trusted root");
    }
    rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth()
}
