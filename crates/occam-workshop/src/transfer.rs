//! The workshop's transfer function (the Lambda of chapters 1–3), as a library.
//!
//! One invocation takes a pooled connection and runs, in one transaction:
//! `UPDATE accounts SET balance = balance - $1 WHERE id = $2 RETURNING balance` (no row: "Payer account not
//! found"; a negative new balance: "Insufficient balance"), the payee's credit (no row: "Payee account not
//! found"), the history row `INSERT INTO transactions ...`, then COMMIT; any error rolls back. A
//! serialization failure (SQLSTATE 40001, DSQL's OCC conflict at COMMIT) is retried on the same connection,
//! immediately as in the talk (or after a backoff), until it succeeds; with [`RetryPolicy::Off`] (the
//! chapter 2 "before" code) the 40001 is returned as `{"error": ..., "errorCode": "40001"}`.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio_postgres::error::SqlState;

use crate::pool::{Pool, PooledClient};

/// The function's payload: `{"payer_id":1,"payee_id":2,"amount":10}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    pub payer_id: i32,
    pub payee_id: i32,
    pub amount: i32,
}

/// The function's result: `{"balance":80,"duration":18,"retries":0}` or
/// `{"error":"...","errorCode":"40001","duration":..,"retries":..}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Response {
    /// The payer's balance after the transfer.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub balance: Option<i32>,
    /// Why the transfer did not happen: a business error ("Insufficient balance") or the database's message.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error: Option<String>,
    /// The SQLSTATE of a database error (business errors have none).
    #[serde(rename = "errorCode", skip_serializing_if = "Option::is_none", default)]
    pub error_code: Option<String>,
    /// Milliseconds from the invocation's start (including the wait for a connection) to its end.
    pub duration: u64,
    /// How many times a 40001 conflict made the transfer start over.
    pub retries: u32,
}

impl Response {
    /// Whether the transfer committed.
    pub fn is_success(&self) -> bool {
        self.error.is_none()
    }
}

/// What the function does after a serialization failure (40001).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryPolicy {
    /// Return the error (chapter 2 before the retry loop).
    Off,
    /// Start over at once, forever (the talk's loop).
    Immediate,
    /// Start over after `base * 2^(retry-1)` (capped at `max`), with random jitter of up to that much again.
    Backoff { base: Duration, max: Duration },
}

impl RetryPolicy {
    fn delay(&self, retry: u32) -> Option<Duration> {
        match *self {
            RetryPolicy::Backoff { base, max } => {
                let exp = base.saturating_mul(1u32 << retry.saturating_sub(1).min(16)).min(max);
                let jitter = exp.mul_f64(rand::random::<f64>());
                Some(exp + jitter)
            }
            _ => None,
        }
    }
}

/// A hook run before each COMMIT with the attempt's retry number (0 for the first try); tests use it to
/// commit a conflicting write at a known moment.
pub type BeforeCommit = Arc<dyn Fn(u32) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// A failure of one attempt.
enum Failure {
    /// A business rule refused the transfer (no such account, insufficient balance).
    Business(&'static str),
    /// The database refused a statement.
    Db(tokio_postgres::Error),
}

impl From<tokio_postgres::Error> for Failure {
    fn from(err: tokio_postgres::Error) -> Self {
        Failure::Db(err)
    }
}

/// The transfer function with its connection pool.
#[derive(Clone)]
pub struct TransferFunction {
    pool: Pool,
    retry: RetryPolicy,
    before_commit: Option<BeforeCommit>,
}

impl TransferFunction {
    /// The function over `pool`, retrying conflicts as `retry` says.
    pub fn new(pool: Pool, retry: RetryPolicy) -> TransferFunction {
        TransferFunction { pool, retry, before_commit: None }
    }

    /// Installs a hook run before every COMMIT (see [`BeforeCommit`]).
    pub fn with_before_commit(mut self, hook: BeforeCommit) -> TransferFunction {
        self.before_commit = Some(hook);
        self
    }

    /// The function's pool.
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> RetryPolicy {
        self.retry
    }

    /// The chapter 0 function: connects through the pool, runs `SELECT 1` and greets.
    pub async fn greet(&self) -> anyhow::Result<serde_json::Value> {
        let client = self.pool.get().await?;
        let one: i32 = client.query_one("SELECT 1", &[]).await?.get(0);
        anyhow::ensure!(one == 1, "SELECT 1 returned {one}");
        Ok(serde_json::json!({ "greeting": "Hello! I connected to DSQL successfully!" }))
    }

    /// Invokes the function with a JSON payload and returns its JSON result. A payload that does not parse,
    /// or a lost connection, is an `Err` (a failed Lambda invocation rather than an error response).
    pub async fn invoke_json(&self, payload: &str) -> anyhow::Result<String> {
        let request: Request = serde_json::from_str(payload)?;
        Ok(serde_json::to_string(&self.invoke(request).await?)?)
    }

    /// Invokes the function. Business errors and database errors are responses; failing to get a
    /// connection or to roll back (the connection is then discarded) is an `Err`.
    pub async fn invoke(&self, request: Request) -> Result<Response, tokio_postgres::Error> {
        let start = Instant::now();
        let mut client = self.pool.get().await?;
        let mut retries = 0u32;
        loop {
            let result = self.attempt(&mut client, request, retries).await;
            let failure = match result {
                Ok(balance) => {
                    return Ok(Response {
                        balance: Some(balance),
                        error: None,
                        error_code: None,
                        duration: elapsed_ms(start),
                        retries,
                    })
                }
                Err(failure) => failure,
            };
            if let Err(err) = client.batch_execute("ROLLBACK").await {
                client.discard();
                return Err(err);
            }
            let (error, error_code) = match failure {
                Failure::Business(message) => (message.to_string(), None),
                Failure::Db(err) => match err.as_db_error() {
                    Some(db) if *db.code() == SqlState::T_R_SERIALIZATION_FAILURE && self.retry != RetryPolicy::Off => {
                        retries += 1;
                        if let Some(delay) = self.retry.delay(retries) {
                            tokio::time::sleep(delay).await;
                        }
                        continue;
                    }
                    Some(db) => (db.message().to_string(), Some(db.code().code().to_string())),
                    None => {
                        client.discard();
                        return Err(err);
                    }
                },
            };
            return Ok(Response {
                balance: None,
                error: Some(error),
                error_code,
                duration: elapsed_ms(start),
                retries,
            });
        }
    }

    /// One try of the transaction; returns the payer's new balance after COMMIT.
    async fn attempt(&self, client: &mut PooledClient, request: Request, retry: u32) -> Result<i32, Failure> {
        client.batch_execute("BEGIN").await?;
        let debit = client.prepared(DEBIT_PAYER).await?;
        let rows = client.query(&debit, &[&request.amount, &request.payer_id]).await?;
        let Some(row) = rows.first() else {
            return Err(Failure::Business("Payer account not found"));
        };
        let payer_balance: i32 = row.try_get(0)?;
        if payer_balance < 0 {
            return Err(Failure::Business("Insufficient balance"));
        }
        let credit = client.prepared(CREDIT_PAYEE).await?;
        let credited = client.execute(&credit, &[&request.amount, &request.payee_id]).await?;
        if credited == 0 {
            return Err(Failure::Business("Payee account not found"));
        }
        let record = client.prepared(RECORD_TRANSFER).await?;
        client.execute(&record, &[&request.payer_id, &request.payee_id, &request.amount]).await?;
        if let Some(hook) = &self.before_commit {
            hook(retry).await;
        }
        client.batch_execute("COMMIT").await?;
        Ok(payer_balance)
    }
}

/// The payer's debit; no row: "Payer account not found".
const DEBIT_PAYER: &str = "UPDATE accounts SET balance = balance - $1 WHERE id = $2 RETURNING balance";
/// The payee's credit; no row: "Payee account not found".
const CREDIT_PAYEE: &str = "UPDATE accounts SET balance = balance + $1 WHERE id = $2";
/// The history row of chapter 3.
const RECORD_TRANSFER: &str = "INSERT INTO transactions (payer_id, payee_id, amount) VALUES ($1, $2, $3)";

fn elapsed_ms(start: Instant) -> u64 {
    start.elapsed().as_millis() as u64
}
