//! A session: one client's statement lifecycle, transaction block state and prepared statements.
//!
//! This is the contract between the wire layer (and in-process callers such as tests) and the SQL engine.
//! The wire layer never sees ASTs or plans: it hands SQL text and parameter values in, and gets
//! [`QueryResult`]s or [`Error`]s with SQLSTATEs out.

use std::sync::Arc;

use crate::error::Result;
use crate::types::{DataType, Row, Value};

/// The transaction state reported in ReadyForQuery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransactionStatus {
    /// 'I': not in a transaction block.
    Idle,
    /// 'T': in a transaction block.
    InTransaction,
    /// 'E': in a failed transaction block (statements get 25P02 until ROLLBACK/COMMIT).
    Failed,
}

/// A result column.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    pub data_type: DataType,
}

/// The outcome of one statement.
#[derive(Debug, Clone, PartialEq)]
pub enum QueryResult {
    /// A statement that returns rows (SELECT, or DML with RETURNING). `tag` is the command tag
    /// (`SELECT 5`, `UPDATE 1`, ...).
    Rows { columns: Arc<[Column]>, rows: Vec<Row>, tag: String },
    /// A statement without a result set; `tag` is its command tag (`CREATE TABLE`, `INSERT 0 3`, `BEGIN`).
    Command { tag: String },
    /// An empty query string.
    Empty,
}

/// A parsed and planned statement, reusable across executions.
pub struct PreparedStatement {
    pub sql: String,
    /// The type of each `$n` parameter, inferred where the client did not declare it.
    pub param_types: Vec<DataType>,
    /// Result columns (empty for statements without a result set).
    pub columns: Arc<[Column]>,
}

/// One client's session.
pub struct Session {}

impl Session {
    /// Runs a simple-protocol query string that may hold several `;`-separated statements. Returns one
    /// result per statement executed; execution stops after the first error, which is the last element.
    pub fn execute_batch(&mut self, _sql: &str) -> Vec<Result<QueryResult>> {
        todo!("owned by the SQL layer")
    }

    /// Parses and plans one statement (extended protocol Parse). `param_types[i]` is the client-declared
    /// type of `$i+1` or `DataType::Unknown` to infer it; more parameters than declared may be inferred.
    pub fn prepare(&mut self, _sql: &str, _param_types: &[DataType]) -> Result<Arc<PreparedStatement>> {
        todo!("owned by the SQL layer")
    }

    /// Executes a prepared statement with bound parameter values (extended protocol Bind + Execute).
    pub fn execute(&mut self, _statement: &PreparedStatement, _params: &[Value]) -> Result<QueryResult> {
        todo!("owned by the SQL layer")
    }

    /// Marks an error raised outside `execute` (e.g. a Bind that failed to decode a parameter), so an open
    /// transaction block enters the failed state as PostgreSQL does.
    pub fn fail_transaction(&mut self) {
        todo!("owned by the SQL layer")
    }

    /// The state for ReadyForQuery.
    pub fn transaction_status(&self) -> TransactionStatus {
        todo!("owned by the SQL layer")
    }
}
