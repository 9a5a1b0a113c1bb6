//! Where the workshop's database is: an endpoint from the environment (as the talk's `CLUSTER_ENDPOINT`,
//! `PGHOST`, `PGUSER`, `PGPASSWORD`, `PGPORT`, `PGDATABASE`), or, with none set, an occam started in this
//! process on a temporary data directory (durable, as a real server) with the workshop's schema.

use std::net::SocketAddr;
use std::path::Path;

use anyhow::Context;
use occam::wire::ServerOptions;
use occam::{Config, Database};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::connect::{self, Connector};

/// The accounts table of chapter 1.
pub const CREATE_ACCOUNTS: &str = "CREATE TABLE accounts (id INT PRIMARY KEY, balance INT)";
/// Accounts 1..=1000 with a balance of 100, as in chapter 1.
pub const INSERT_ACCOUNTS: &str =
    "INSERT INTO accounts (id, balance) SELECT id, 100 FROM generate_series(1, 1000) AS id";
/// The history table of chapter 3.
pub const CREATE_TRANSACTIONS: &str = "CREATE TABLE transactions (id UUID DEFAULT gen_random_uuid() PRIMARY KEY, \
     payer_id INT, payee_id INT, amount INT, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP)";

/// Creates the workshop's tables (each statement its own transaction, as DSQL wants) unless `accounts`
/// already exists. Returns whether it created them.
pub async fn create_schema(client: &tokio_postgres::Client) -> anyhow::Result<bool> {
    match client.batch_execute("SELECT 1 FROM accounts LIMIT 1").await {
        Ok(()) => return Ok(false),
        Err(err) if err.code() == Some(&tokio_postgres::error::SqlState::UNDEFINED_TABLE) => {}
        Err(err) => return Err(err).context("looking for the accounts table"),
    }
    for sql in [CREATE_ACCOUNTS, INSERT_ACCOUNTS, CREATE_TRANSACTIONS] {
        client.batch_execute(sql).await.with_context(|| format!("running {sql}"))?;
    }
    Ok(true)
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
