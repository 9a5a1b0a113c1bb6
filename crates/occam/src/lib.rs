//! occam: a PostgreSQL-compatible SQL database with Aurora DSQL's semantics.
//!
//! The engine is a library; the `occam` binary (crate `occam-server`) is a thin front end. A statement
//! flows down through the layers and results flow back up:
//!
//! ```text
//!   wire      PostgreSQL v3 protocol sessions (pgwire)
//!   session   statement lifecycle, transaction blocks, prepared statements
//!   sql       parse (sqlparser -> occam AST) -> plan (bind names and types) -> execute
//!   catalog   tables, columns and indexes, stored as rows in the same transactional key space
//!   jobs      background work per database: asynchronous index builds, index and table drops, ANALYZE
//!             (sys.jobs; statistics in `statistics`, cached with change counters in `table_activity`)
//!   txn       snapshots, write sets, OCC validation at COMMIT, group commit
//!   storage   ordered key-value engine (fjall on disk, a skip list in memory)
//! ```

pub mod alter_table;
pub mod auth;
pub mod catalog;
pub mod compat;
pub mod conflicts;
pub mod cursors;
pub mod database;
pub mod error;
#[doc(hidden)]
pub mod fuzz_targets;
pub mod interrupt;
pub mod jobs;
pub mod metrics;
pub mod notice;
pub mod roles;
pub mod sequences;
pub mod session;
pub mod settings;
pub mod sql;
pub mod stack;
pub mod statement_cache;
pub mod statistics;
pub mod storage;
pub mod table_activity;
pub mod txn;
pub mod types;
pub mod wire;

pub use compat::{CompatMode, Rules};
pub use database::{Config, Database};
pub use error::{Error, Result};
pub use session::{Column, PreparedStatement, QueryResult, Session, TransactionStatus};
pub use types::{DataType, Row, Value};
