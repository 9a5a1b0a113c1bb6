//! The helper CLI's `--test-chapter N`: what each chapter's test does and prints, as in the talk.

use std::io::Write;

use anyhow::{bail, Context};

use crate::connect::Connector;
use crate::invoke::FunctionClient;
use crate::stress::{self, short_count, thousands, StressConfig};
use crate::transfer::Request;

/// The function name the talk invokes.
pub const FUNCTION_NAME: &str = "reinvent-dat401";

/// What the chapters work with: the function, invoked over HTTP, and the database, for the checks the
/// talk's helper makes there (as the admin).
pub struct Helper {
    pub function: FunctionClient,
    pub database: Connector,
}

/// How a chapter's stress test runs (chapters 2 and 4).
#[derive(Debug, Clone, Copy)]
pub struct StressOptions {
    pub config: StressConfig,
    /// Whether to print the OCC retry statistics (the function retries conflicts).
    pub retries_on: bool,
}

/// Runs chapter `chapter`'s test, printing to `out`. An `Err` is a failed test.
pub async fn run(
    chapter: u32,
    helper: &Helper,
    stress: StressOptions,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    check(chapter)?;
    match chapter {
        0 => chapter0(helper, out).await,
        1 => chapter1(helper, out).await,
        2 => stress_test(2, "Stress Test", helper, stress, out).await,
        3 => chapter3(helper, out).await,
        _ => {
            check_accounts(&helper.database, stress.config.accounts).await?;
            stress_test(4, "Extreme Stress Test", helper, stress, out).await
        }
    }
}

/// Whether chapter `chapter` has a test (0 to 4).
pub fn check(chapter: u32) -> anyhow::Result<()> {
    match chapter {
        0..=4 => Ok(()),
        n => bail!("there is no chapter {n} (the workshop has chapters 0 to 4)"),
    }
}

fn invoking(out: &mut (dyn Write + Send), helper: &Helper, payload: Option<&str>) -> std::io::Result<()> {
    let endpoint = helper.function.endpoint();
    match payload {
        Some(payload) => {
            writeln!(out, "Invoking function '{FUNCTION_NAME}' at {endpoint} with payload '{payload}'")
        }
        None => writeln!(out, "Invoking function '{FUNCTION_NAME}' at {endpoint}"),
    }
}

async fn chapter0(helper: &Helper, out: &mut (dyn Write + Send)) -> anyhow::Result<()> {
    writeln!(out, "Testing Chapter 0: Connecting to DSQL\n")?;
    invoking(out, helper, None)?;
    let response = helper.function.greet().await?;
    writeln!(out, "Response: {}\n", serde_json::to_string_pretty(&response)?)?;
    let greeting = response["greeting"].as_str().unwrap_or_default();
    if !greeting.contains("connected to DSQL successfully") {
        bail!("unexpected greeting {greeting:?}");
    }
    writeln!(out, "✅ Chapter 0 test PASSED")?;
    Ok(())
}

/// Invokes the transfer of 10 from account 1 to 2 and prints the response; the payer's balance on success.
async fn transfer_1_to_2(helper: &Helper, out: &mut (dyn Write + Send)) -> anyhow::Result<i32> {
    let request = Request { payer_id: 1, payee_id: 2, amount: 10 };
    invoking(out, helper, Some(&serde_json::to_string(&request)?))?;
    let response = helper.function.transfer(request).await.map_err(anyhow::Error::msg)?;
    writeln!(out, "Response: {}\n", serde_json::to_string_pretty(&response)?)?;
    match (response.balance, &response.error) {
        (Some(balance), None) => Ok(balance),
        (_, error) => bail!("the transfer failed: {}", error.as_deref().unwrap_or("no balance in the response")),
    }
}

async fn chapter1(helper: &Helper, out: &mut (dyn Write + Send)) -> anyhow::Result<()> {
    writeln!(out, "Testing Chapter 1: Money transfer from account 1 to account 2\n")?;
    let balance = transfer_1_to_2(helper, out).await?;
    let client = helper.database.connect().await.context("connecting to the database")?;
    let stored: i32 = client
        .query_opt("SELECT balance FROM accounts WHERE id = 1", &[])
        .await?
        .context("account 1 does not exist")?
        .get(0);
    if stored != balance {
        bail!("the function returned balance {balance} but account 1 holds {stored}");
    }
    writeln!(out, "✅ Chapter 1 test PASSED")?;
    writeln!(out, "Payer balance after transfer: {balance}")?;
    Ok(())
}

/// Chapter 4 needs `--setup-ch04`'s accounts.
async fn check_accounts(database: &Connector, accounts: i32) -> anyhow::Result<()> {
    let client = database.connect().await.context("connecting to the database")?;
    let found = client.query_opt("SELECT 1 FROM accounts WHERE id = $1", &[&accounts]).await?;
    if found.is_none() {
        bail!(
            "chapter 4 transfers between accounts 1 to {}, but account {} does not exist: run --setup-ch04 first",
            thousands(accounts as u64),
            thousands(accounts as u64)
        );
    }
    Ok(())
}

/// Chapters 2 and 4: the stress test, its live progress and the STATS block.
async fn stress_test(
    chapter: u32,
    title: &str,
    helper: &Helper,
    options: StressOptions,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let config = options.config;
    writeln!(
        out,
        "Testing Chapter {chapter}: {title} - {} Invocations ({} parallel x {} iterations)\n",
        short_count(config.calls as u64),
        // As the talk prints them: "1000 parallel" in chapter 2, "10,000 parallel" in chapter 4.
        if config.parallel >= 10_000 { thousands(config.parallel as u64) } else { config.parallel.to_string() },
        config.batches()
    )?;
    writeln!(out, "Total invocations: {}", thousands(config.calls as u64))?;
    writeln!(out, "Parallel requests per batch: {}", thousands(config.parallel as u64))?;
    writeln!(out, "Number of batches: {}", config.batches())?;
    let workers = config.worker_count();
    if workers > 1 {
        writeln!(out, "Number of workers: {workers}\n")?;
        writeln!(out, "Starting {workers} workers...")?;
        writeln!(
            out,
            "Each worker handles {} parallel calls per iteration, for {} iterations",
            config.parallel_per_worker(),
            config.batches()
        )?;
        writeln!(out, "Created {workers} worker(s)")?;
    } else {
        writeln!(out)?;
    }
    out.flush()?;
    let bar = stress::progress_bar(config.calls);
    let stats = stress::run(&helper.function, config, Some(&bar)).await?;
    writeln!(
        out,
        "[100%] {}/{} calls | {:.0} calls/s | Success: {:.1}% | {:.1}s\n",
        stats.total,
        thousands(config.calls as u64),
        stats.throughput(),
        if stats.total == 0 { 0.0 } else { stats.successful as f64 * 100.0 / stats.total as f64 },
        stats.total_time.as_secs_f64()
    )?;
    write!(out, "{}", stats.render(options.retries_on))?;
    writeln!(out, "\n✅ Chapter {chapter} test complete")?;
    Ok(())
}

async fn chapter3(helper: &Helper, out: &mut (dyn Write + Send)) -> anyhow::Result<()> {
    writeln!(out, "Testing Chapter 3: Transaction history with UUID primary keys\n")?;
    transfer_1_to_2(helper, out).await?;
    writeln!(out, "✅ Transfer successful")?;
    writeln!(out, "Checking transactions table...")?;
    let client = helper.database.connect().await.context("connecting to the database")?;
    let rows = client
        .query(
            "SELECT id, payer_id, payee_id, amount, created_at FROM transactions WHERE payer_id = 1 \
             ORDER BY created_at DESC LIMIT 5",
            &[],
        )
        .await
        .context("reading the transactions table")?;
    if rows.is_empty() {
        bail!("no transaction of payer 1 in the transactions table");
    }
    writeln!(out, "Found {} recent transactions:", rows.len())?;
    for (i, row) in rows.iter().enumerate() {
        let id: uuid::Uuid = row.get(0);
        let payer: i32 = row.get(1);
        let payee: i32 = row.get(2);
        let amount: i32 = row.get(3);
        let time: chrono::NaiveDateTime = row.get(4);
        writeln!(
            out,
            "  {}. ID: {id}, Payer: {payer}, Payee: {payee}, Amount: {amount}, Time: {}",
            i + 1,
            time.format("%Y-%m-%d %H:%M:%S%.3f")
        )?;
    }
    writeln!(out, "\n✅ Chapter 3 test PASSED")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chapters_0_to_4_run() {
        assert!((0..=4).all(|n| check(n).is_ok()));
        assert!(check(5).unwrap_err().to_string().contains("there is no chapter 5"));
    }
}
