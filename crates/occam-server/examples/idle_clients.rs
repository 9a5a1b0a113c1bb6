//! The client side of `bench/idle_connections.sh`: opens N connections to an occam server, runs one
//! `SELECT 1` on each so every session is fully started, prints `open N` and then holds them, idle, until
//! its standard input closes. The script reads the server's memory while they are held.
//!
//!   cargo run --release -p occam-server --example idle_clients -- PORT N

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::AsyncReadExt;
use tokio::sync::Semaphore;

/// Connections being opened at one time (the rest queue), so the server's accept backlog never overflows.
const OPENING_AT_ONCE: usize = 64;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let usage = "usage: idle_clients PORT N";
    let port: u16 = args.next().and_then(|arg| arg.parse().ok()).expect(usage);
    let count: usize = args.next().and_then(|arg| arg.parse().ok()).expect(usage);
    let config = format!("host=127.0.0.1 port={port} user=admin password=x dbname=postgres sslmode=disable");

    let started = Instant::now();
    let opening = Arc::new(Semaphore::new(OPENING_AT_ONCE));
    let mut tasks = Vec::with_capacity(count);
    for _ in 0..count {
        let config = config.clone();
        let opening = opening.clone();
        tasks.push(tokio::spawn(async move {
            let permit = opening.acquire_owned().await.expect("semaphore open");
            let (client, connection) = connect_with_retry(&config).await;
            let connection = tokio::spawn(connection);
            client.simple_query("SELECT 1").await.expect("SELECT 1");
            drop(permit);
            (client, connection)
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
    let closed = held.iter().filter(|(client, _)| client.is_closed()).count();
    println!("closed by the server while held: {closed}");
}

/// Connects, retrying while the server is still starting (connection refused) for up to a minute.
async fn connect_with_retry(
    config: &str,
) -> (tokio_postgres::Client, tokio_postgres::Connection<tokio_postgres::Socket, tokio_postgres::tls::NoTlsStream>) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match tokio_postgres::connect(config, tokio_postgres::NoTls).await {
            Ok(pair) => return pair,
            Err(err) if Instant::now() < deadline && err.as_db_error().is_none() => {
                tokio::time::sleep(Duration::from_millis(50)).await
            }
            Err(err) => panic!("cannot connect: {err}"),
        }
    }
}
