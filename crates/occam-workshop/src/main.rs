//! `occam-workshop`: the DAT401 workshop's helper CLI, against occam.
//!
//! `occam-workshop --test-chapter N` runs chapter N's test (0 to 3) as the talk's `cargo run -- --test-chapter N`
//! does, calling the transfer function in-process. With `CLUSTER_ENDPOINT` or `PGHOST` set it connects
//! there (`PGPORT`, `PGUSER`, `PGPASSWORD`, `PGDATABASE`); otherwise it starts occam in this process on a
//! temporary data directory (or `--data-dir`, kept between runs) and creates the workshop's schema.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, ValueEnum};
use occam_workshop::chapters;
use occam_workshop::connect::Connector;
use occam_workshop::local::{self, LocalServer};
use occam_workshop::pool::{Pool, DEFAULT_MAX_SIZE};
use occam_workshop::stress::StressConfig;
use occam_workshop::transfer::{RetryPolicy, TransferFunction};

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Retries {
    /// Retry 40001 conflicts until the transfer commits (chapter 2 after the retry loop).
    On,
    /// Return 40001 to the caller (chapter 2 before the retry loop).
    Off,
}

#[derive(Parser)]
#[command(name = "occam-workshop", version, about = "The DAT401 Aurora DSQL workshop, run locally against occam")]
struct Cli {
    /// Run chapter N's test (0: connect, 1: one transfer, 2: stress test, 3: transaction history).
    #[arg(long, value_name = "N")]
    test_chapter: u32,

    /// Whether the transfer function retries OCC conflicts (SQLSTATE 40001).
    #[arg(long, value_enum, default_value = "on")]
    retries: Retries,

    /// Wait before each retry: exponential backoff starting at this many milliseconds (0: retry at once,
    /// as in the talk).
    #[arg(long, value_name = "MS", default_value_t = 0)]
    backoff_ms: u64,

    /// The function's connection pool size.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_SIZE)]
    pool_size: usize,

    /// Chapter 2: invocations in all.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    calls: usize,

    /// Chapter 2: invocations in flight at once (one batch).
    #[arg(long, value_name = "N", default_value_t = 1_000)]
    parallel: usize,

    /// Without an endpoint: keep the in-process database in DIR (created with the schema on first use)
    /// instead of a temporary directory, so that chapters run one after another see each other's data.
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,

    /// With an endpoint: create the workshop's tables there first if `accounts` does not exist (without an
    /// endpoint this always happens).
    #[arg(long)]
    create_schema: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            println!("❌ test FAILED: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    chapters::check(cli.test_chapter)?;
    let retry = match (cli.retries, cli.backoff_ms) {
        (Retries::Off, _) => RetryPolicy::Off,
        (Retries::On, 0) => RetryPolicy::Immediate,
        (Retries::On, ms) => {
            RetryPolicy::Backoff { base: Duration::from_millis(ms), max: Duration::from_millis(ms.saturating_mul(64)) }
        }
    };
    let stress_config = StressConfig { calls: cli.calls, parallel: cli.parallel, ..StressConfig::default() };
    // Held until the chapter ends: the in-process server and its temporary directory.
    let mut _server = None;
    let mut _temp_dir = None;
    let connector = match local::endpoint_from_env()? {
        Some(connector) => {
            let hosts: Vec<String> = connector.config().get_hosts().iter().map(|h| format!("{h:?}")).collect();
            let auth = if connector.iam().is_some() { "an IAM auth token" } else { "PGPASSWORD" };
            eprintln!("Connecting to {} with {auth}", hosts.join(","));
            if cli.create_schema {
                create_schema(&connector).await?;
            }
            connector
        }
        None => {
            let dir = match &cli.data_dir {
                Some(dir) => dir.clone(),
                None => {
                    let temp = tempfile::Builder::new().prefix("occam-workshop-").tempdir()?;
                    let path = temp.path().to_path_buf();
                    _temp_dir = Some(temp);
                    path
                }
            };
            let server = LocalServer::start(Some(&dir)).await?;
            eprintln!(
                "No CLUSTER_ENDPOINT or PGHOST: started occam in-process on {} (data in {})",
                server.addr,
                dir.display()
            );
            let connector = server.connector();
            _server = Some(server);
            create_schema(&connector).await?;
            connector
        }
    };
    let function = TransferFunction::new(Pool::new(connector, cli.pool_size), retry);
    let mut stdout = std::io::stdout();
    chapters::run(cli.test_chapter, &function, stress_config, &mut stdout).await
}

async fn create_schema(connector: &Connector) -> anyhow::Result<()> {
    let client = connector.connect().await.context("connecting")?;
    if local::create_schema(&client).await? {
        eprintln!("Created the workshop schema: accounts 1..1000 with balance 100, transactions");
    }
    Ok(())
}
