//! `occam-workshop`: the DAT401 workshop's helper CLI, against occam.
//!
//! `occam-workshop --test-chapter N` runs chapter N's test (0 to 3) as the talk's `cargo run -- --test-chapter N`
//! does, calling the transfer function in-process. With `CLUSTER_ENDPOINT` or `PGHOST` set it connects
//! there (`PGPORT`, `PGUSER`, `PGPASSWORD` or an IAM auth token, `PGDATABASE`, `PGSSLMODE`); otherwise it
//! starts occam in this process on a temporary data directory (or `--data-dir`, kept between runs) and creates the workshop's schema.
//!
//! `occam-workshop serve-function` serves the same function over HTTP instead (see
//! [`occam_workshop::serve`]): the Lambda Invoke API and `POST /transfer`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};
use occam_workshop::connect::Connector;
use occam_workshop::local::{self, LocalServer};
use occam_workshop::pool::{Pool, DEFAULT_MAX_SIZE};
use occam_workshop::stress::StressConfig;
use occam_workshop::transfer::{RetryPolicy, TransferFunction};
use occam_workshop::{chapters, setup};

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Retries {
    /// Retry 40001 conflicts until the transfer commits (chapter 2 after the retry loop).
    On,
    /// Return 40001 to the caller (chapter 2 before the retry loop).
    Off,
}

#[derive(Parser)]
#[command(name = "occam-workshop", version, about = "The DAT401 Aurora DSQL workshop, run locally against occam")]
#[command(args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,

    /// Run chapter N's test (0: connect, 1: one transfer, 2: stress test, 3: transaction history).
    #[arg(long, value_name = "N")]
    test_chapter: Option<u32>,

    /// Chapter 4's set-up: grow `accounts` to --accounts rows with parallel workers (then run
    /// --test-chapter, if given).
    #[arg(long)]
    setup_ch04: bool,

    /// --setup-ch04: how many accounts in all.
    #[arg(long, value_name = "N", default_value_t = setup::CH04_ACCOUNTS)]
    accounts: i64,

    /// Chapter 2: invocations in all.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    calls: usize,

    /// Chapter 2: invocations in flight at once (one batch).
    #[arg(long, value_name = "N", default_value_t = 1_000)]
    parallel: usize,

    #[command(flatten)]
    function: FunctionArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the transfer function over HTTP until interrupted: the Lambda Invoke API (`POST
    /// /2015-03-31/functions/NAME/invocations`, e.g. for `aws lambda invoke --endpoint-url`) and `POST /transfer`.
    ServeFunction {
        /// Address and port to listen on.
        #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:9000")]
        listen: String,

        #[command(flatten)]
        function: FunctionArgs,
    },
}

/// The function and its database.
#[derive(Args)]
struct FunctionArgs {
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
    if let Some(Command::ServeFunction { listen, function }) = cli.command {
        let listener =
            tokio::net::TcpListener::bind(&listen).await.with_context(|| format!("listening on {listen}"))?;
        let addr = listener.local_addr()?;
        let setup = FunctionSetup::new(&function).await?;
        eprintln!(
            "Serving the transfer function on http://{addr}: POST /2015-03-31/functions/NAME/invocations \
             (aws lambda invoke --endpoint-url http://{addr} ...) and POST /transfer; Ctrl-C stops"
        );
        tokio::select! {
            result = occam_workshop::serve::serve(listener, setup.function.clone()) => result?,
            _ = tokio::signal::ctrl_c() => {}
        }
        return Ok(());
    }
    if cli.test_chapter.is_none() && !cli.setup_ch04 {
        anyhow::bail!("nothing to do: give --test-chapter N, --setup-ch04 or the serve-function command (see --help)");
    }
    if let Some(chapter) = cli.test_chapter {
        chapters::check(chapter)?;
    }
    let stress_config = StressConfig { calls: cli.calls, parallel: cli.parallel, ..StressConfig::default() };
    let setup = FunctionSetup::new(&cli.function).await?;
    let mut stdout = std::io::stdout();
    if cli.setup_ch04 {
        setup::setup_ch04(&setup.connector, cli.accounts, setup::CH04_WORKERS, &mut stdout).await?;
    }
    let Some(chapter) = cli.test_chapter else {
        return Ok(());
    };
    chapters::run(chapter, &setup.function, stress_config, &mut stdout).await
}

/// The transfer function over the endpoint of the environment, or over an occam started in this process
/// (held, with its temporary directory, as long as this is).
struct FunctionSetup {
    function: TransferFunction,
    connector: Connector,
    _server: Option<LocalServer>,
    _temp_dir: Option<tempfile::TempDir>,
}

impl FunctionSetup {
    async fn new(args: &FunctionArgs) -> anyhow::Result<FunctionSetup> {
        let retry = match (args.retries, args.backoff_ms) {
            (Retries::Off, _) => RetryPolicy::Off,
            (Retries::On, 0) => RetryPolicy::Immediate,
            (Retries::On, ms) => RetryPolicy::Backoff {
                base: Duration::from_millis(ms),
                max: Duration::from_millis(ms.saturating_mul(64)),
            },
        };
        let mut server = None;
        let mut temp_dir = None;
        let connector = match local::endpoint_from_env()? {
            Some(connector) => {
                let hosts: Vec<String> = connector.config().get_hosts().iter().map(|h| format!("{h:?}")).collect();
                let auth = if connector.iam().is_some() { "an IAM auth token" } else { "PGPASSWORD" };
                eprintln!("Connecting to {} with {auth}", hosts.join(","));
                if args.create_schema {
                    create_schema(&connector).await?;
                }
                connector
            }
            None => {
                let dir = match &args.data_dir {
                    Some(dir) => dir.clone(),
                    None => {
                        let temp = tempfile::Builder::new().prefix("occam-workshop-").tempdir()?;
                        let path = temp.path().to_path_buf();
                        temp_dir = Some(temp);
                        path
                    }
                };
                let local = LocalServer::start(Some(&dir)).await?;
                eprintln!(
                    "No CLUSTER_ENDPOINT or PGHOST: started occam in-process on {} (data in {})",
                    local.addr,
                    dir.display()
                );
                let connector = local.connector();
                server = Some(local);
                create_schema(&connector).await?;
                connector
            }
        };
        let function = TransferFunction::new(Pool::new(connector.clone(), args.pool_size), retry);
        Ok(FunctionSetup { function, connector, _server: server, _temp_dir: temp_dir })
    }
}

async fn create_schema(connector: &Connector) -> anyhow::Result<()> {
    let client = connector.connect().await.context("connecting")?;
    if local::create_schema(&client).await? {
        eprintln!("Created the workshop schema: accounts 1..1000 with balance 100, transactions");
    }
    Ok(())
}
