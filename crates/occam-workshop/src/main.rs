//! `occam-workshop`: the DAT401 workshop's helper CLI, against occam.
//!
//! `occam-workshop --test-chapter N` runs chapter N's test (0 to 4) as the talk's `cargo run -- --test-chapter
//! N` does: it invokes the transfer function over the Lambda Invoke API and checks the database. The
//! database is the endpoint of `CLUSTER_ENDPOINT` or `PGHOST` (`PGPORT`, `PGUSER`, `PGPASSWORD` or an IAM
//! auth token, `PGDATABASE`, `PGSSLMODE`) or, with neither set, an occam started in this process on a data
//! directory kept between runs, set up as the talk's psql steps do (tables, the `myapp` role, its grants).
//! The function is the one `AWS_ENDPOINT_URL_LAMBDA` points at, or one started in this process on a local
//! port, connected to the database as `myapp`.
//!
//! `occam-workshop serve-function` serves the function over HTTP on its own (see [`occam_workshop::serve`]).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};
use occam_workshop::chapters::{Helper, StressOptions};
use occam_workshop::connect::Connector;
use occam_workshop::invoke::{self, FunctionClient};
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

    /// Run chapter N's test (0: connect, 1: one transfer, 2: stress test, 3: transaction history, 4: extreme
    /// stress test over --setup-ch04's accounts).
    #[arg(long, value_name = "N")]
    test_chapter: Option<u32>,

    /// Chapter 4's set-up: grow `accounts` to --accounts rows with parallel workers (then run
    /// --test-chapter, if given).
    #[arg(long)]
    setup_ch04: bool,

    /// --setup-ch04: how many accounts in all; chapter 4: transfer between accounts 1 to N.
    #[arg(long, value_name = "N", default_value_t = StressConfig::CHAPTER_4.accounts)]
    accounts: i32,

    /// Chapters 2 and 4: invocations in all [default: 10,000 and 1,000,000].
    #[arg(long, value_name = "N")]
    calls: Option<usize>,

    /// Chapters 2 and 4: invocations in flight at once (one batch) [default: 1,000 and 10,000].
    #[arg(long, value_name = "N")]
    parallel: Option<usize>,

    /// Chapters 2 and 4: workers sharing the invocations in flight [default: 1 and 50].
    #[arg(long, value_name = "N")]
    workers: Option<usize>,

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

    /// occam only: make this share (0 to 1) of the function's COMMITs fail with an injected 40001
    /// (`occam.inject_conflicts = 'commit:FRACTION'`), to see its retry loop work without any load.
    #[arg(long, value_name = "FRACTION", value_parser = parse_fraction)]
    inject_conflicts: Option<f64>,

    /// The function's connection pool size.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_SIZE)]
    pool_size: usize,

    /// The role the function connects as [default: myapp without an endpoint, else PGUSER].
    #[arg(long, value_name = "ROLE")]
    function_user: Option<String>,

    /// Without an endpoint: the in-process database's directory, created and set up on first use and kept
    /// between runs (delete it to start over) [default: occam-workshop in the temporary directory].
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,

    /// With an endpoint: run the talk's set-up there first (tables, `myapp` role, grants) if `accounts`
    /// does not exist (without an endpoint this always happens).
    #[arg(long)]
    create_schema: bool,
}

/// `--inject-conflicts`: a fraction from 0 to 1.
fn parse_fraction(value: &str) -> Result<f64, String> {
    match value.parse::<f64>() {
        Ok(fraction) if (0.0..=1.0).contains(&fraction) => Ok(fraction),
        _ => Err(format!("{value} is not a fraction from 0 to 1")),
    }
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
        let database = WorkshopDatabase::open(&function).await?;
        let transfer = database.function(&function);
        eprintln!(
            "Serving the transfer function on http://{addr}: POST /2015-03-31/functions/NAME/invocations \
             (aws lambda invoke --endpoint-url http://{addr} ...) and POST /transfer; Ctrl-C stops"
        );
        tokio::select! {
            result = occam_workshop::serve::serve(listener, transfer) => result?,
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
    let database = WorkshopDatabase::open(&cli.function).await?;
    let mut stdout = std::io::stdout();
    if cli.setup_ch04 {
        setup::setup_ch04(&database.admin, i64::from(cli.accounts), setup::CH04_WORKERS, &mut stdout).await?;
    }
    let Some(chapter) = cli.test_chapter else {
        return Ok(());
    };
    let (function, _local_function) = match std::env::var(invoke::ENDPOINT_VAR).ok().filter(|v| !v.is_empty()) {
        Some(endpoint) => {
            eprintln!("Invoking the function at {endpoint} ({})", invoke::ENDPOINT_VAR);
            (FunctionClient::connect(&endpoint, chapters::FUNCTION_NAME).await?, None)
        }
        None => {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            let addr = listener.local_addr()?;
            let transfer = database.function(&cli.function);
            eprintln!(
                "Started the transfer function on http://{addr} (as role {}, pool of {}, retries {})",
                database.function_user(&cli.function),
                transfer.pool().max_size(),
                describe(transfer.retry_policy())
            );
            let server = AbortOnDrop(tokio::spawn(occam_workshop::serve::serve(listener, transfer)));
            (FunctionClient::connect(&format!("http://{addr}"), chapters::FUNCTION_NAME).await?, Some(server))
        }
    };
    let base = if chapter == 4 { StressConfig::CHAPTER_4 } else { StressConfig::CHAPTER_2 };
    let config = StressConfig {
        calls: cli.calls.unwrap_or(base.calls),
        parallel: cli.parallel.unwrap_or(base.parallel),
        workers: cli.workers.unwrap_or(base.workers),
        accounts: if chapter == 4 { cli.accounts } else { base.accounts },
    };
    let stress = StressOptions { config, retries_on: cli.function.retries == Retries::On };
    let helper = Helper { function, database: database.admin.clone() };
    chapters::run(chapter, &helper, stress, &mut stdout).await
}

fn describe(retry: RetryPolicy) -> String {
    match retry {
        RetryPolicy::Off => "off: 40001 goes back to the caller".to_string(),
        RetryPolicy::Immediate => "immediate, until success".to_string(),
        RetryPolicy::Backoff { base, max } => format!("after an exponential backoff from {base:?} up to {max:?}"),
    }
}

/// A spawned task that stops when this is dropped.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The workshop's database: the endpoint of the environment, or an occam started in this process (held as
/// long as this is).
struct WorkshopDatabase {
    /// The helper's connections (the talk's psql sessions and helper run as the admin).
    admin: Connector,
    local: bool,
    _server: Option<LocalServer>,
}

impl WorkshopDatabase {
    async fn open(args: &FunctionArgs) -> anyhow::Result<WorkshopDatabase> {
        if let Some(connector) = local::endpoint_from_env()? {
            let hosts: Vec<String> = connector.config().get_hosts().iter().map(|h| format!("{h:?}")).collect();
            let auth = if connector.iam().is_some() { "an IAM auth token" } else { "PGPASSWORD" };
            eprintln!("Connecting to {} with {auth}", hosts.join(","));
            if args.create_schema {
                create_schema(&connector).await?;
            }
            return Ok(WorkshopDatabase { admin: connector, local: false, _server: None });
        }
        let dir = args.data_dir.clone().unwrap_or_else(local::default_data_dir);
        let server = LocalServer::start_like_dsql(&dir).await.with_context(|| {
            format!(
                "starting occam on {} (is another occam-workshop using it? --data-dir picks another)",
                dir.display()
            )
        })?;
        eprintln!(
            "No CLUSTER_ENDPOINT or PGHOST: started occam in-process on {} (TLS required; data in {}, kept between \
             runs)",
            server.addr,
            dir.display()
        );
        let admin = server.tls_connector();
        create_schema(&admin).await?;
        Ok(WorkshopDatabase { admin, local: true, _server: Some(server) })
    }

    fn function_user(&self, args: &FunctionArgs) -> String {
        match &args.function_user {
            Some(user) => user.clone(),
            None if self.local => local::APP_ROLE.to_owned(),
            None => self.admin.config().get_user().unwrap_or("admin").to_owned(),
        }
    }

    /// The transfer function as `args` configure it, connecting as [`WorkshopDatabase::function_user`].
    fn function(&self, args: &FunctionArgs) -> TransferFunction {
        let retry = match (args.retries, args.backoff_ms) {
            (Retries::Off, _) => RetryPolicy::Off,
            (Retries::On, 0) => RetryPolicy::Immediate,
            (Retries::On, ms) => RetryPolicy::Backoff {
                base: Duration::from_millis(ms),
                max: Duration::from_millis(ms.saturating_mul(64)),
            },
        };
        let mut connector = self.admin.for_user(&self.function_user(args));
        if let Some(fraction) = args.inject_conflicts {
            connector = connector.with_startup_options(&format!("-c occam.inject_conflicts=commit:{fraction}"));
        }
        TransferFunction::new(Pool::new(connector, args.pool_size), retry)
    }
}

async fn create_schema(connector: &Connector) -> anyhow::Result<()> {
    let client = connector.connect().await.context("connecting")?;
    if local::create_schema(&client).await? {
        eprintln!(
            "Set up the workshop as the talk's psql steps do: role myapp (AWS IAM GRANT to {}), accounts 1..1000 \
             with balance 100, transactions; both tables granted to myapp",
            local::FUNCTION_ROLE_ARN
        );
    }
    Ok(())
}
