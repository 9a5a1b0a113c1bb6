//! The `occam` binary: a thin command-line front end over the `occam` engine library.
//!
//! `occam serve` opens a database (on disk, or in memory) and serves PostgreSQL clients on a TCP port, with
//! TLS (a self-signed certificate unless one is given), a connection limit and one of three authentication
//! modes (`--auth local|iam|password`). `occam token` prints a DSQL auth token for `--auth iam`, exactly as
//! `aws dsql generate-db-connect[-admin]-auth-token` does. Each subcommand is a variant of [`Command`] with
//! its own argument struct.
//! Failures the operator can fix (a busy port, an unusable data directory) end the process with one
//! `error: ...` line and a non-zero exit status.

/// mimalloc instead of the system allocator: rows and values are many small allocations, often freed by
/// another thread than the one that made them (a `Gather`'s workers hand their rows to the statement's
/// thread), which glibc's allocator serves slowly.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use occam::auth::token::{self, TokenVerifier};
use occam::compat::ConnectionRate;
use occam::wire::{self, IamAuth, LocalAuth, PasswordAuth, ServerOptions};
use occam::{Config, Database, Rules};
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
    /// Print an auth token for `serve --auth iam` (as `aws dsql generate-db-connect[-admin]-auth-token`).
    Token(TokenArgs),
}

/// How clients prove who they are.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum AuthMode {
    /// Any password is accepted; the role must exist.
    Local,
    /// The password is a DSQL auth token signed with the server's AWS credentials.
    Iam,
    /// SCRAM-SHA-256 against passwords set with CREATE/ALTER ROLE ... PASSWORD.
    Password,
}

/// Where AWS credentials come from (for `--auth iam` and `occam token`).
#[derive(Args)]
struct CredentialArgs {
    /// A credentials file in the ~/.aws/credentials format (default: AWS_ACCESS_KEY_ID /
    /// AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN from the environment, else ~/.aws/credentials).
    #[arg(long, value_name = "PATH")]
    aws_credentials_file: Option<PathBuf>,

    /// The profile to read from the credentials file (default: AWS_PROFILE, else `default`).
    #[arg(long, value_name = "NAME")]
    aws_profile: Option<String>,
}

impl CredentialArgs {
    fn load(&self) -> Result<occam::auth::sigv4::Credentials, Failure> {
        token::load_credentials(self.aws_credentials_file.as_deref(), self.aws_profile.as_deref()).map_err(Failure)
    }
}

#[derive(Args)]
struct TokenArgs {
    /// The host name the client connects to (signed into the token; the server accepts any).
    #[arg(long, value_name = "HOST")]
    hostname: String,

    /// A token for the `admin` role (Action=DbConnectAdmin); otherwise for other roles (DbConnect).
    #[arg(long)]
    admin: bool,

    /// The region of the credential scope.
    #[arg(long, value_name = "REGION", default_value = "us-east-1")]
    region: String,

    /// Lifetime of the token in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = token::DEFAULT_EXPIRES_IN_SECS,
          value_parser = clap::value_parser!(u64).range(1..=token::MAX_EXPIRES_IN_SECS))]
    expires_in: u64,

    #[command(flatten)]
    credentials: CredentialArgs,
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

    /// How clients authenticate.
    #[arg(long, value_enum, default_value = "local")]
    auth: AuthMode,

    /// With --auth iam: accept only tokens signed for this region (default: any region).
    #[arg(long, value_name = "REGION")]
    region: Option<String>,

    #[command(flatten)]
    credentials: CredentialArgs,

    /// PEM certificate (chain) for TLS; default: a self-signed one generated into the data directory.
    #[arg(long, value_name = "PATH", requires = "tls_key")]
    tls_cert: Option<PathBuf>,

    /// PEM private key of --tls-cert.
    #[arg(long, value_name = "PATH", requires = "tls_cert")]
    tls_key: Option<PathBuf>,

    /// Refuse clients that do not use TLS, as Aurora DSQL does.
    #[arg(long)]
    require_tls: bool,

    /// Connections beyond this many are refused with SQLSTATE 53300.
    #[arg(long, value_name = "N", default_value_t = wire::DEFAULT_MAX_CONNECTIONS)]
    max_connections: usize,

    /// Whose rules to follow: `dsql` (Aurora DSQL's limits and refusals) or `postgres` (lifted).
    #[arg(long, value_name = "MODE", default_value = "dsql")]
    compat: occam::CompatMode,

    /// Close connections this many seconds after they were opened (FATAL 57P01); 0 = never.
    /// Default: 3600 (DSQL's 60 minutes) with --compat dsql, never with --compat postgres.
    #[arg(long, value_name = "SECONDS")]
    max_connection_duration: Option<u64>,

    /// Refuse new connections beyond this many per second, sustained (FATAL 53400); 0 = no limit.
    /// Default: 100 (DSQL's rate) with --compat dsql, no limit with --compat postgres.
    #[arg(long, value_name = "N")]
    connection_rate: Option<u32>,

    /// New connections allowed in one burst (the token bucket's size). Default: 1000 (DSQL's burst) with
    /// --compat dsql, else --connection-rate.
    #[arg(long, value_name = "N")]
    connection_burst: Option<u32>,

    /// Default `statement_timeout` of every session, as PostgreSQL parses it (`5000` milliseconds, `5s`,
    /// `2min`): a statement running longer fails with 57014; sessions may SET their own. Default: 0 (none).
    #[arg(long, value_name = "TIME", value_parser = parse_statement_timeout)]
    statement_timeout: Option<Duration>,

    /// Memory one query's sorts, hashes, aggregates and values may hold, in MiB, beyond which it fails with
    /// 54000. Default: 128 (DSQL's temp space) with --compat dsql, 4096 with --compat postgres.
    #[arg(long, value_name = "MIB", value_parser = clap::value_parser!(u64).range(1..=1 << 30))]
    query_memory: Option<u64>,

    /// Memory all queries together may hold (their sorts, hashes, aggregates and result rows), in MiB: a
    /// query that would pass it fails with 53200 out of memory. Default: half the machine's memory.
    #[arg(long, value_name = "MIB", value_parser = clap::value_parser!(u64).range(1..=1 << 30))]
    server_query_memory: Option<u64>,

    /// Serve Prometheus metrics (commits, OCC conflicts, connections, statements, latencies, garbage
    /// collection) at http://ADDR:PORT/metrics. Off by default.
    #[arg(long, value_name = "ADDR:PORT")]
    metrics_listen: Option<String>,

    /// Inject OCC conflicts into every session's COMMITs that change rows, to test retry logic without
    /// load: `commit:FRACTION` (that share fail with 40001 OC000), `commit:next` or `schema:next` (each
    /// session's next such COMMIT fails once, OC000 or OC001). Sessions may SET occam.inject_conflicts
    /// and occam.inject_seed themselves. Default: off.
    #[arg(long, value_name = "SPEC", value_parser = parse_injection)]
    inject_conflicts: Option<String>,
}

/// `--inject-conflicts`: checked as `SET occam.inject_conflicts` checks it.
fn parse_injection(value: &str) -> Result<String, String> {
    occam::conflicts::InjectionSpec::parse(value).map(|spec| spec.canonical()).map_err(|err| err.message)
}

impl ServeArgs {
    /// The rule table of --compat with the connection limits the flags override.
    fn rules(&self) -> Rules {
        let mut rules = Rules::for_mode(self.compat);
        if let Some(seconds) = self.max_connection_duration {
            rules.max_connection_duration = (seconds > 0).then(|| Duration::from_secs(seconds));
        }
        let default = rules.connection_rate;
        let per_second = self.connection_rate.or(default.map(|rate| rate.per_second)).unwrap_or(0);
        rules.connection_rate = (per_second > 0).then(|| ConnectionRate {
            per_second,
            burst: self.connection_burst.or(default.map(|rate| rate.burst)).unwrap_or(per_second).max(1),
        });
        if let Some(mib) = self.query_memory {
            rules.max_query_memory = Some(usize::try_from(mib << 20).unwrap_or(usize::MAX));
        }
        rules
    }
}

/// `--statement-timeout`: PostgreSQL's syntax for a time in milliseconds.
fn parse_statement_timeout(value: &str) -> Result<Duration, String> {
    occam::interrupt::parse_milliseconds("statement_timeout", value)
        .map(|milliseconds| Duration::from_millis(milliseconds as u64))
        .map_err(|err| err.message)
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
        Command::Token(args) => print_token(args),
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

fn print_token(args: TokenArgs) -> Result<(), Failure> {
    let credentials = args.credentials.load()?;
    let token =
        token::generate(&args.hostname, &args.region, args.admin, args.expires_in, &credentials, chrono::Utc::now());
    println!("{token}");
    Ok(())
}

fn serve(args: ServeArgs) -> Result<(), Failure> {
    let data_dir = if args.in_memory { None } else { Some(prepare_data_dir(&args.data_dir)?) };
    // Credentials and certificates are checked before anything listens, so a mistake fails at once.
    let token_verifier = match args.auth {
        AuthMode::Iam => Some(TokenVerifier { credentials: args.credentials.load()?, region: args.region.clone() }),
        _ => None,
    };

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("occam-worker")
        // Statements run on these threads (and on blocking threads of the same pool); recursion in them is
        // checked against the stack really left (`occam::stack`), and a larger stack lets long chains work.
        .thread_stack_size(occam::stack::STATEMENT_STACK_SIZE)
        .build()
        .map_err(|err| Failure(format!("cannot start the async runtime: {err}")))?;
    runtime.block_on(async move {
        // Bind before opening the database, so a busy port fails fast and leaves no files behind.
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .map_err(|err| Failure(format!("cannot listen on {}: {}", args.listen, describe_io_error(&err))))?;
        let address: SocketAddr = listener.local_addr()?;
        let metrics_listener =
            match &args.metrics_listen {
                Some(metrics_address) => Some(tokio::net::TcpListener::bind(metrics_address).await.map_err(|err| {
                    Failure(format!("cannot listen on {metrics_address}: {}", describe_io_error(&err)))
                })?),
                None => None,
            };
        let cert_and_key = args.tls_cert.as_deref().zip(args.tls_key.as_deref());
        let tls = wire::tls::load_or_generate(cert_and_key, data_dir.as_deref()).map_err(Failure)?;

        let config = Config {
            data_dir: data_dir.clone(),
            compat: args.compat,
            rules: Some(args.rules()),
            statement_timeout: args.statement_timeout.filter(|timeout| !timeout.is_zero()),
            server_query_memory: args.server_query_memory.map(|mib| usize::try_from(mib << 20).unwrap_or(usize::MAX)),
            session_defaults: args
                .inject_conflicts
                .iter()
                .map(|spec| ("occam.inject_conflicts".to_string(), spec.clone()))
                .collect(),
            ..Config::default()
        };
        let database = tokio::task::spawn_blocking(move || Database::open(&config))
            .await?
            .map_err(|err| Failure(format!("cannot open database: {}", err.message)))?;
        match &data_dir {
            Some(dir) => {
                info!(listen = %address, data_dir = %dir.display(), "occam {} listening", env!("CARGO_PKG_VERSION"))
            }
            None => info!(listen = %address, data_dir = "(in memory)", "occam {} listening", env!("CARGO_PKG_VERSION")),
        }

        if let Some(metrics_listener) = metrics_listener {
            let metrics_address = metrics_listener.local_addr()?;
            info!(%metrics_address, "serving metrics at /metrics");
            let metrics = Arc::clone(database.metrics());
            tokio::spawn(async move {
                if let Err(err) = occam::metrics::serve_metrics(metrics_listener, metrics).await {
                    tracing::error!("the metrics endpoint stopped: {err}");
                }
            });
        }

        let roles: Arc<dyn wire::LoginRoles> = Arc::new(database.clone());
        let authenticator: Arc<dyn wire::Authenticator> = match token_verifier {
            Some(verifier) => Arc::new(IamAuth { roles, verifier }),
            None if args.auth == AuthMode::Password => Arc::new(PasswordAuth { roles }),
            None => Arc::new(LocalAuth { roles }),
        };
        let options = ServerOptions {
            authenticator,
            tls: Some(tls),
            require_tls: args.require_tls,
            max_connections: args.max_connections,
        };
        tokio::select! {
            served = wire::serve_with_options(listener, database, options) => {
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
