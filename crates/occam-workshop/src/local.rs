//! Where the workshop's database is: an endpoint from the environment (as the talk's `CLUSTER_ENDPOINT`,
//! `PGHOST`, `PGUSER`, `PGPASSWORD`, `PGPORT`, `PGDATABASE`), or, with none set, an occam started in this
//! process on a data directory (durable, as a real server), and the workshop's schema and application role
//! as the talk's psql steps create them.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;

use occam::wire::{LocalAuth, ServerOptions};
use occam::{Config, Database};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_postgres::error::SqlState;

use crate::connect::{self, Connector};

/// The role the function connects as (the talk's Lambda logs in as `myapp`).
pub const APP_ROLE: &str = "myapp";

/// The IAM role the local function stands for, in `AWS IAM GRANT` (the talk's `LambdaRoleArn`).
pub const FUNCTION_ROLE_ARN: &str = "arn:aws:iam::000000000000:role/occam-workshop-function";

/// The talk's psql steps, in its order, each its own transaction (DSQL allows one DDL per transaction):
/// the set-up's application role and its IAM mapping, chapter 1's accounts (1..=1000 with a balance of
/// 100) and chapter 3's history table, each granted to `myapp`.
pub const SCHEMA_STEPS: &[&str] = &[
    "CREATE ROLE myapp WITH LOGIN",
    "AWS IAM GRANT myapp TO 'arn:aws:iam::000000000000:role/occam-workshop-function'",
    "CREATE TABLE accounts (id INT PRIMARY KEY, balance INT)",
    "INSERT INTO accounts (id, balance) SELECT id, 100 FROM generate_series(1, 1000) AS id",
    "GRANT ALL ON public.accounts TO myapp",
    "CREATE TABLE transactions (id UUID DEFAULT gen_random_uuid() PRIMARY KEY, payer_id INT, payee_id INT, \
     amount INT, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP)",
    "GRANT ALL ON public.transactions TO myapp",
];

/// Runs [`SCHEMA_STEPS`] unless `accounts` already exists; an existing `myapp` role is kept. Returns whether
/// it created the tables.
pub async fn create_schema(client: &tokio_postgres::Client) -> anyhow::Result<bool> {
    match client.batch_execute("SELECT 1 FROM accounts LIMIT 1").await {
        Ok(()) => return Ok(false),
        Err(err) if err.code() == Some(&SqlState::UNDEFINED_TABLE) => {}
        Err(err) => return Err(err).context("looking for the accounts table"),
    }
    for (i, sql) in SCHEMA_STEPS.iter().enumerate() {
        match client.batch_execute(sql).await {
            Ok(()) => {}
            // The role and its mapping (the first two steps) are there from an earlier set-up.
            Err(err) if i < 2 && err.code() == Some(&SqlState::DUPLICATE_OBJECT) => {}
            Err(err) => return Err(err).with_context(|| format!("running {sql}")),
        }
    }
    Ok(true)
}

/// Where the in-process database lives between runs unless `--data-dir` says otherwise, so that chapters
/// run one after another share their data as they share the talk's cluster.
pub fn default_data_dir() -> PathBuf {
    std::env::temp_dir().join("occam-workshop")
}

/// An occam serving on a local port from this process.
pub struct LocalServer {
    pub addr: SocketAddr,
    server: JoinHandle<std::io::Result<()>>,
}

impl LocalServer {
    /// Opens `data_dir` (None: in memory) and serves it on 127.0.0.1 at a free port, any password accepted.
    pub async fn start(data_dir: Option<&Path>) -> anyhow::Result<LocalServer> {
        LocalServer::start_with(data_dir, |_| ServerOptions::default()).await
    }

    /// The workshop's own server on `data_dir`, served as `occam serve` serves it by default and as DSQL
    /// insists: TLS required (the self-signed certificate kept in the data directory), any password for a
    /// role that exists and may log in. Connect with [`LocalServer::tls_connector`].
    pub async fn start_like_dsql(data_dir: &Path) -> anyhow::Result<LocalServer> {
        // The certificate is kept in the data directory, which the database would create only later.
        std::fs::create_dir_all(data_dir).with_context(|| format!("creating {}", data_dir.display()))?;
        let tls = occam::wire::tls::load_or_generate(None, Some(data_dir)).map_err(anyhow::Error::msg)?;
        LocalServer::start_with(Some(data_dir), |database| ServerOptions {
            authenticator: Arc::new(LocalAuth { roles: Arc::new(database.clone()) }),
            tls: Some(tls),
            require_tls: true,
            ..ServerOptions::default()
        })
        .await
    }

    /// As [`LocalServer::start`], served with the options `options` makes for the opened database (TLS,
    /// an authenticator over its roles, ...).
    pub async fn start_with(
        data_dir: Option<&Path>,
        options: impl FnOnce(&Database) -> ServerOptions,
    ) -> anyhow::Result<LocalServer> {
        let config = Config { data_dir: data_dir.map(Path::to_path_buf), ..Config::default() };
        let database = tokio::task::spawn_blocking(move || Database::open(&config))
            .await?
            .map_err(|err| anyhow::anyhow!("cannot open the database: {err}"))?;
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let options = options(&database);
        let server = tokio::spawn(occam::wire::serve_with_options(listener, database, options));
        Ok(LocalServer { addr, server })
    }

    /// The connection settings of the `admin` role on this server.
    pub fn config(&self) -> tokio_postgres::Config {
        let mut config = tokio_postgres::Config::new();
        config
            .host(self.addr.ip().to_string())
            .port(self.addr.port())
            .user("admin")
            .password("local")
            .dbname("postgres");
        config
    }

    /// A [`Connector`] for [`LocalServer::config`].
    pub fn connector(&self) -> Connector {
        Connector::new(self.config())
    }

    /// A [`Connector`] for [`LocalServer::config`] over TLS (`sslmode=require`, as the talk's `PGSSLMODE`).
    pub fn tls_connector(&self) -> Connector {
        let mut config = self.config();
        config.ssl_mode(tokio_postgres::config::SslMode::Require);
        Connector::new(config)
    }
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// The endpoint named by the environment, if any: `CLUSTER_ENDPOINT` or `PGHOST`, with `PGPORT` (5432),
/// `PGUSER` (admin), `PGDATABASE` (postgres), `PGSSLMODE` (see [`connect::ssl_mode`]) and `PGPASSWORD`;
/// without a password, each connection signs an IAM auth token with the AWS credentials of the environment
/// or `~/.aws/credentials` (`AWS_REGION`, else the endpoint's region; see [`connect::region_for`]).
pub fn endpoint_from_env() -> anyhow::Result<Option<Connector>> {
    connect::endpoint_from_vars(|name| std::env::var(name).ok())
}
