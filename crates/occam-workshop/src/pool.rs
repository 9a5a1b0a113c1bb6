//! A small connection pool, in the role of node-postgres' `Pool` in the workshop's Lambda: at most
//! `max_size` connections, opened on demand and reused; callers beyond that wait for a free one.
//!
//! Each connection keeps the statements it prepared (see [`PooledClient::prepared`]): the function's three
//! statements are parsed once per connection and then cost one round trip each, as node-postgres' queries
//! do, instead of a Parse round trip before every execution.
//!
//! A connection handed back after an error the transaction could not be cleaned up from (a failed
//! ROLLBACK: node-postgres' `client.release(true)`) is discarded, as is one whose socket has closed.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_postgres::{Client, Statement};

use crate::connect::Connector;

/// The workshop's default pool size (the Lambda's `max: 20`).
pub const DEFAULT_MAX_SIZE: usize = 20;

/// A pool of connections to one server.
#[derive(Clone)]
pub struct Pool {
    inner: Arc<PoolInner>,
}

struct PoolInner {
    connector: Connector,
    idle: Mutex<Vec<Connection>>,
    permits: Arc<Semaphore>,
    max_size: usize,
}

impl Pool {
    /// A pool of at most `max_size` connections (at least one) made with `connector` (or a
    /// `tokio_postgres::Config`).
    pub fn new(connector: impl Into<Connector>, max_size: usize) -> Pool {
        let connector = connector.into();
        let max_size = max_size.max(1);
        Pool {
            inner: Arc::new(PoolInner {
                connector,
                idle: Mutex::new(Vec::new()),
                permits: Arc::new(Semaphore::new(max_size)),
                max_size,
            }),
        }
    }

    /// The most connections the pool opens.
    pub fn max_size(&self) -> usize {
        self.inner.max_size
    }

    /// How many open connections are idle in the pool.
    pub fn idle(&self) -> usize {
        self.inner.idle.lock().len()
    }

    /// A connection: an idle one, or a new one while fewer than `max_size` are in use; otherwise waits.
    pub async fn get(&self) -> Result<PooledClient, tokio_postgres::Error> {
        let permit = self.inner.permits.clone().acquire_owned().await.expect("the pool's semaphore is never closed");
        loop {
            let idle = self.inner.idle.lock().pop();
            match idle {
                Some(connection) if connection.client.is_closed() => continue,
                Some(connection) => {
                    return Ok(PooledClient { connection: Some(connection), pool: self.clone(), _permit: permit })
                }
                None => break,
            }
        }
        let client = self.inner.connector.connect().await?;
        let connection = Connection { client, statements: HashMap::new() };
        Ok(PooledClient { connection: Some(connection), pool: self.clone(), _permit: permit })
    }
}

/// An open connection and the statements prepared on it.
struct Connection {
    client: Client,
    statements: HashMap<&'static str, Statement>,
}

/// A connection taken from a [`Pool`]; it goes back when dropped (unless [`PooledClient::discard`]ed).
pub struct PooledClient {
    connection: Option<Connection>,
    pool: Pool,
    _permit: OwnedSemaphorePermit,
}

impl PooledClient {
    /// Closes the connection instead of returning it to the pool (its state is unknown).
    pub fn discard(mut self) {
        self.connection = None;
    }

    /// `sql` prepared on this connection: by the first call on the connection, then from its cache.
    pub async fn prepared(&mut self, sql: &'static str) -> Result<Statement, tokio_postgres::Error> {
        let connection = self.connection.as_mut().expect("present until dropped");
        if let Some(statement) = connection.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = connection.client.prepare(sql).await?;
        connection.statements.insert(sql, statement.clone());
        Ok(statement)
    }
}

impl std::ops::Deref for PooledClient {
    type Target = Client;
    fn deref(&self) -> &Client {
        &self.connection.as_ref().expect("present until dropped").client
    }
}

impl Drop for PooledClient {
    fn drop(&mut self) {
        if let Some(connection) = self.connection.take() {
            if !connection.client.is_closed() {
                self.pool.inner.idle.lock().push(connection);
            }
        }
    }
}
