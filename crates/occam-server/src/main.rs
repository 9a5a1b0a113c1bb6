//! The `occam` binary: a thin command-line front end over the `occam` engine library.
//!
//! `occam serve` opens a database (on disk, or in memory) and serves PostgreSQL clients on a TCP port.
//! Each subcommand is a variant of [`Command`] with its own argument struct, so later subcommands
//! (`token`) and server options (`--auth`, `--compat`, TLS) are new fields or variants, not new plumbing.
//! Failures the operator can fix (a busy port, an unusable data directory) end the process with one
//! `error: ...` line and a non-zero exit status.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use occam::wire::{self, ServerOptions};
use occam::{Config, Database};
use tracing::info;
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(name = "occam", version, about = "A PostgreSQL-compatible database with Aurora DSQL semantics")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve PostgreSQL clients (psql, drivers) on a TCP port.
    Serve(ServeArgs),
}

#[derive(Args)]
struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:5432")]
    listen: String,

    /// Directory holding the database files (created if missing).
    #[arg(long, value_name = "DIR", default_value = "./occam-data")]
    data_dir: PathBuf,

    /// Keep everything in memory; nothing is written to disk and all data is lost at exit.
    #[arg(long)]
    in_memory: bool,
}

/// An error for the operator: printed as `error: <message>`.
struct Failure(String);

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(err: E) -> Self {
        Failure(err.to_string())
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let outcome = match cli.command {
        Command::Serve(args) => serve(args),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(message)) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Logs go to stderr, filtered by `RUST_LOG` (default `info`).
fn init_logging() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let colors = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(colors).init();
}

fn serve(args: ServeArgs) -> Result<(), Failure> {
    let data_dir = if args.in_memory { None } else { Some(prepare_data_dir(&args.data_dir)?) };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("occam-worker")
        .build()
        .map_err(|err| Failure(format!("cannot start the async runtime: {err}")))?;
    runtime.block_on(async move {
        // Bind before opening the database, so a busy port fails fast and leaves no files behind.
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .map_err(|err| Failure(format!("cannot listen on {}: {}", args.listen, describe_io_error(&err))))?;
        let address: SocketAddr = listener.local_addr()?;

        let config = Config { data_dir: data_dir.clone() };
        let database = tokio::task::spawn_blocking(move || Database::open(&config))
            .await?
            .map_err(|err| Failure(format!("cannot open database: {}", err.message)))?;
        match &data_dir {
            Some(dir) => {
                info!(listen = %address, data_dir = %dir.display(), "occam {} listening", env!("CARGO_PKG_VERSION"))
            }
            None => info!(listen = %address, data_dir = "(in memory)", "occam {} listening", env!("CARGO_PKG_VERSION")),
        }

        tokio::select! {
            served = wire::serve_with_options(listener, database, ServerOptions::default()) => {
                served.map_err(|err| Failure(format!("server stopped: {err}")))
            }
            _ = tokio::signal::ctrl_c() => {
                info!("interrupted; shutting down");
                Ok(())
            }
        }
    })
}

/// Makes sure `dir` is a directory we can write to, creating it if needed.
fn prepare_data_dir(dir: &Path) -> Result<PathBuf, Failure> {
    let unusable = |reason: String| Failure(format!("cannot use data directory {}: {reason}", dir.display()));
    if dir.exists() && !dir.is_dir() {
        return Err(unusable("not a directory".into()));
    }
    std::fs::create_dir_all(dir).map_err(|err| unusable(describe_io_error(&err)))?;
    // Permissions are checked by trying, which also covers read-only mounts and ACLs.
    let probe = dir.join(".occam-write-probe");
    std::fs::write(&probe, b"").map_err(|err| unusable(describe_io_error(&err)))?;
    let _ = std::fs::remove_file(&probe);
    Ok(dir.to_path_buf())
}

/// An I/O error as a short lowercase phrase (`address already in use`), without the `(os error N)` tail.
fn describe_io_error(err: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match err.kind() {
        ErrorKind::AddrInUse => "address already in use".into(),
        ErrorKind::AddrNotAvailable => "address not available".into(),
        ErrorKind::PermissionDenied => "permission denied".into(),
        ErrorKind::NotFound => "no such file or directory".into(),
        _ => {
            let text = err.to_string();
            let text = text.split(" (os error").next().unwrap_or(&text).to_owned();
            text.to_lowercase()
        }
    }
}
