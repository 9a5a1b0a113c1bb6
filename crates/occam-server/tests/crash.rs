//! Durability under SIGKILL: a real `occam serve` process takes concurrent transfers, is killed with
//! SIGKILL mid-load, and is restarted on the same data directory. Every transfer whose COMMIT was
//! acknowledged must be there, and money is conserved (no partial transaction survives).

use std::collections::HashSet;
mod common;
use common::{free_port, Server};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio_postgres::NoTls;

const ACCOUNTS: i32 = 100;
const INITIAL_BALANCE: i64 = 1000;
const CLIENTS: i64 = 8;
/// Acknowledged commits to collect before the kill; enough to overlap many group-commit syncs.
const ACKS_BEFORE_KILL: usize = 400;

/// `occam serve` on `data_dir`, always on `port` so the restarted server is where the clients expect it.
fn start_server(data_dir: &std::path::Path, port: u16) -> Server {
    let data_dir = data_dir.to_str().expect("utf-8 path");
    Server::start_with(std::process::Command::new(common::OCCAM), port, &["--data-dir", data_dir])
}

async fn connect(port: u16) -> tokio_postgres::Client {
    let (client, connection) =
        tokio_postgres::connect(&format!("host=127.0.0.1 port={port} user=admin password=x dbname=postgres"), NoTls)
            .await
            .expect("connect");
    tokio::spawn(connection);
    client
}

/// One transfer; Ok(true) when COMMIT was acknowledged, Ok(false) on a 40001 conflict.
async fn transfer(
    client: &tokio_postgres::Client,
    id: i64,
    payer: i32,
    payee: i32,
) -> Result<bool, tokio_postgres::Error> {
    client.batch_execute("BEGIN").await?;
    let result = async {
        client.execute("UPDATE accounts SET balance = balance - 1 WHERE id = $1", &[&payer]).await?;
        client.execute("UPDATE accounts SET balance = balance + 1 WHERE id = $1", &[&payee]).await?;
        client
            .execute("INSERT INTO history (id, payer_id, payee_id) VALUES ($1, $2, $3)", &[&id, &payer, &payee])
            .await?;
        client.batch_execute("COMMIT").await
    }
    .await;
    match result {
        Ok(()) => Ok(true),
        Err(err) if err.code().map(|c| c.code()) == Some("40001") => {
            let _ = client.batch_execute("ROLLBACK").await;
            Ok(false)
        }
        Err(err) => Err(err),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_commits_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server = start_server(dir.path(), port);

    let setup = connect(port).await;
    setup.batch_execute("CREATE TABLE accounts (id INT PRIMARY KEY, balance BIGINT)").await.unwrap();
    setup.batch_execute("CREATE TABLE history (id BIGINT PRIMARY KEY, payer_id INT, payee_id INT)").await.unwrap();
    setup
        .batch_execute(&format!(
            "INSERT INTO accounts (id, balance) SELECT id, {INITIAL_BALANCE} FROM generate_series(1, {ACCOUNTS}) AS id"
        ))
        .await
        .unwrap();

    let (ack_sender, mut acks) = tokio::sync::mpsc::unbounded_channel::<i64>();
    let killed = Arc::new(AtomicBool::new(false));
    let mut workers = Vec::new();
    for worker in 0..CLIENTS {
        let ack_sender = ack_sender.clone();
        let killed = Arc::clone(&killed);
        workers.push(tokio::spawn(async move {
            let client = connect(port).await;
            let mut n: i64 = 0;
            // Deterministic per-worker account sequence; stops at the first error after the kill.
            while !killed.load(Ordering::SeqCst) {
                n += 1;
                let id = worker * 1_000_000 + n;
                let payer = ((id * 7919) % ACCOUNTS as i64) as i32 + 1;
                let payee = ((id * 104_729 + 13) % ACCOUNTS as i64) as i32 + 1;
                if payer == payee {
                    continue;
                }
                match transfer(&client, id, payer, payee).await {
                    Ok(true) => {
                        let _ = ack_sender.send(id);
                    }
                    Ok(false) => {}
                    Err(_) => break,
                }
            }
        }));
    }

    drop(ack_sender);
    let mut acked = HashSet::new();
    let collect = async {
        while acked.len() < ACKS_BEFORE_KILL {
            acked.insert(acks.recv().await.expect("workers stopped before the kill"));
        }
    };
    tokio::time::timeout(Duration::from_secs(120), collect).await.expect("transfers made no progress");
    server.kill(); // SIGKILL
    killed.store(true, Ordering::SeqCst);
    for worker in workers {
        worker.await.unwrap();
    }
    // Acknowledgements that were in flight when the process died count too.
    while let Ok(id) = acks.try_recv() {
        acked.insert(id);
    }

    let mut server = start_server(dir.path(), port);
    let client = connect(port).await;
    let total: i64 = client.query_one("SELECT sum(balance)::bigint FROM accounts", &[]).await.unwrap().get(0);
    assert_eq!(total, ACCOUNTS as i64 * INITIAL_BALANCE, "money was created or destroyed");
    let present: HashSet<i64> =
        client.query("SELECT id FROM history", &[]).await.unwrap().iter().map(|row| row.get(0)).collect();
    let missing: Vec<_> = acked.difference(&present).collect();
    assert!(missing.is_empty(), "{} acknowledged transfers lost, e.g. {:?}", missing.len(), missing.first());
    // Each surviving history row is one whole transfer: balances must agree with the history.
    for row in client.query("SELECT id, balance FROM accounts", &[]).await.unwrap() {
        let id: i32 = row.get(0);
        let balance: i64 = row.get(1);
        let outgoing: i64 =
            client.query_one("SELECT count(*) FROM history WHERE payer_id = $1", &[&id]).await.unwrap().get(0);
        let incoming: i64 =
            client.query_one("SELECT count(*) FROM history WHERE payee_id = $1", &[&id]).await.unwrap().get(0);
        assert_eq!(balance, INITIAL_BALANCE - outgoing + incoming, "account {id} disagrees with history");
    }
    server.kill();
}

/// The garbage collector's counters from `/metrics` on `port`: (versions visited, passes).
fn gc_progress(port: u16) -> (u64, u64) {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else { return (0, 0) };
    let _ = write!(stream, "GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n");
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    let value = |name: &str| {
        response
            .lines()
            .find_map(|line| line.strip_prefix(name).and_then(|rest| rest.trim().parse::<u64>().ok()))
            .unwrap_or(0)
    };
    (value("occam_gc_versions_visited_total "), value("occam_gc_passes_total "))
}

/// A server killed with SIGKILL while its garbage collector is in the middle of a pass (full-table updates
/// keep making garbage) restarts into a consistent database: every acknowledged update is there, deleted
/// rows stay deleted, the index agrees with the table, and collection goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_crash_during_garbage_collection_leaves_a_consistent_database() {
    const ROWS: i32 = 20_000;
    const KEPT: i32 = 15_000;
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_str().expect("utf-8 path").to_string();
    let (port, metrics_port) = (free_port(), free_port());
    let metrics_listen = format!("127.0.0.1:{metrics_port}");
    let serve_args = ["--data-dir", &data_dir, "--compat", "postgres", "--metrics-listen", &metrics_listen];
    let mut server = Server::start_with(std::process::Command::new(common::OCCAM), port, &serve_args);
    let client = connect(port).await;
    client.batch_execute("CREATE TABLE acc (id INT PRIMARY KEY, balance INT)").await.unwrap();
    client.batch_execute("CREATE INDEX acc_balance ON acc (balance)").await.unwrap();
    client.batch_execute(&format!("INSERT INTO acc SELECT g, 0 FROM generate_series(1, {ROWS}) AS g")).await.unwrap();
    client.batch_execute(&format!("DELETE FROM acc WHERE id > {KEPT}")).await.unwrap();

    // Full-table updates until the collector is seen working on the garbage they made, then a kill.
    let mut acknowledged = 0;
    let deadline = std::time::Instant::now() + Duration::from_secs(300);
    loop {
        client.batch_execute("UPDATE acc SET balance = balance + 1").await.unwrap();
        acknowledged += 1;
        let (visited, _) = gc_progress(metrics_port);
        if acknowledged >= 3 && visited > 0 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the garbage collector never ran");
    }
    let in_flight = tokio::spawn(async move { client.batch_execute("UPDATE acc SET balance = balance + 1").await });
    server.kill(); // SIGKILL
    let _ = in_flight.await;

    let mut server = Server::start_with(std::process::Command::new(common::OCCAM), port, &serve_args);
    let client = connect(port).await;
    let check = |client: tokio_postgres::Client| async move {
        let row = client.query_one("SELECT count(*), min(balance), max(balance) FROM acc", &[]).await.unwrap();
        let (count, min, max): (i64, i32, i32) = (row.get(0), row.get(1), row.get(2));
        assert_eq!(count, KEPT as i64, "no row lost, no deleted row back");
        assert_eq!(min, max, "every row saw the same updates (no partial update survived)");
        assert!(min == acknowledged || min == acknowledged + 1, "balance {min} after {acknowledged} acknowledged");
        let by_index: i64 =
            client.query_one("SELECT count(*) FROM acc WHERE balance = $1", &[&min]).await.unwrap().get(0);
        assert_eq!(by_index, KEPT as i64, "the index agrees with the table");
        let deleted: i64 =
            client.query_one(&format!("SELECT count(*) FROM acc WHERE id > {KEPT}"), &[]).await.unwrap().get(0);
        assert_eq!(deleted, 0);
        client
    };
    let client = check(client).await;
    // Collection goes on after the restart (one more round of garbage to be sure a pass starts).
    let (_, passes_before) = gc_progress(metrics_port);
    client.batch_execute("UPDATE acc SET balance = balance + 0").await.unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(300);
    while gc_progress(metrics_port).1 <= passes_before {
        assert!(std::time::Instant::now() < deadline, "no garbage collection pass after the restart");
        client.query_one("SELECT 1", &[]).await.unwrap();
    }
    check(client).await;
    server.kill();
}
