//! Chapter 4's `--setup-ch04`: grows `accounts` to a million rows (balance 100) with parallel workers, each
//! inserting its range of ids in batches, one transaction per batch (within DSQL's 3,000-row limit).

use std::io::Write;

use anyhow::Context;
use futures::stream::{FuturesUnordered, StreamExt};

use crate::connect::Connector;
use crate::stress::{short_count, thousands};

/// The talk's target: one million accounts.
pub const CH04_ACCOUNTS: i64 = 1_000_000;
/// The talk's worker count.
pub const CH04_WORKERS: usize = 128;
/// Rows per INSERT transaction.
pub const BATCH_ROWS: i64 = 1_000;

/// Inserts accounts `max(id)+1 ..= target` with `workers` connections, printing as the talk's helper does.
pub async fn setup_ch04(
    connector: &Connector,
    target: i64,
    workers: usize,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    writeln!(out, "Setting up Chapter 4: Creating {} accounts\n", short_count(target as u64))?;
    let client = connector.connect().await.context("connecting")?;
    let row = client
        .query_one("SELECT count(*), coalesce(max(id), 0) FROM accounts", &[])
        .await
        .context("counting accounts")?;
    let (count, max_id): (i64, i32) = (row.get(0), row.get(1));
    writeln!(out, "Current account count: {}", thousands(count as u64))?;
    let first = i64::from(max_id) + 1;
    if first > target {
        writeln!(out, "Already at {} or more accounts: nothing to insert", thousands(target as u64))?;
        writeln!(out, "\n✅ Chapter 4 setup complete")?;
        return Ok(());
    }
    let missing = target - first + 1;
    writeln!(out, "Inserting {} more accounts to reach {}...", thousands(missing as u64), thousands(target as u64))?;
    let workers = (workers.max(1) as i64).min(missing);
    let per_worker = (missing + workers - 1) / workers;
    let mut running = FuturesUnordered::new();
    for worker in 0..workers {
        let from = first + worker * per_worker;
        let to = (from + per_worker - 1).min(target);
        if from > to {
            break;
        }
        let connector = connector.clone();
        running.push(tokio::spawn(
            async move { insert_range(&connector, from, to).await.map(|()| (worker + 1, from, to)) },
        ));
    }
    while let Some(done) = running.next().await {
        let (worker, from, to) = done.context("a worker panicked")??;
        writeln!(out, "  [Worker {worker}] Inserted accounts {} to {}", thousands(from as u64), thousands(to as u64))?;
    }
    writeln!(out, "Account insertion complete!")?;
    writeln!(out, "\n✅ Chapter 4 setup complete")?;
    Ok(())
}

/// Inserts accounts `from..=to` on one connection, [`BATCH_ROWS`] per transaction.
async fn insert_range(connector: &Connector, from: i64, to: i64) -> anyhow::Result<()> {
    let client = connector.connect().await.context("connecting")?;
    let mut start = from;
    while start <= to {
        let end = (start + BATCH_ROWS - 1).min(to);
        let (a, b) = (i32::try_from(start)?, i32::try_from(end)?);
        client
            .execute(
                "INSERT INTO accounts (id, balance) SELECT id, 100 FROM generate_series($1::int, $2::int) AS id",
                &[&a, &b],
            )
            .await
            .with_context(|| format!("inserting accounts {start} to {end}"))?;
        start = end + 1;
    }
    Ok(())
}
