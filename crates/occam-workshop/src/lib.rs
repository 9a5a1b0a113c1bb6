//! The DAT401 workshop ("Amazon Aurora DSQL: a developer's perspective") run locally against occam.
//!
//! - [`transfer`]: the workshop's Lambda, the money-transfer function of chapters 1–3, with OCC retries.
//! - [`pool`]: its connection pool.
//! - [`connect`]: TLS (`PGSSLMODE`) and IAM auth tokens for connections to an endpoint.
//! - [`stress`]: the stress tests of chapters 2 and 4 and their STATS block.
//! - [`serve`]: `serve-function`, the function behind the Lambda Invoke API over HTTP.
//! - [`invoke`]: the helper's HTTP client of that API.
//! - [`setup`]: chapter 4's `--setup-ch04`, a million accounts by parallel workers.
//! - [`chapters`]: the helper CLI's `--test-chapter N`.
//! - [`local`]: the endpoint from the environment, or an occam started in-process, and the schema and role.
//!
//! Everything talks to the database as an ordinary PostgreSQL client (tokio-postgres, rustls); occam's
//! library is used to start a server in this process when no endpoint is given, and for its SigV4 signing
//! of IAM auth tokens.

pub mod chapters;
pub mod connect;
pub mod invoke;
pub mod local;
pub mod pool;
pub mod serve;
pub mod setup;
pub mod stress;
pub mod transfer;
