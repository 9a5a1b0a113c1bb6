//! The per-query memory budget: operators that hold rows (sort, aggregate, hash join build side,
//! DISTINCT, set operations) reserve what they hold, and a query that needs more than its budget fails
//! with Aurora DSQL's `54000 query requires more than allowed temp space` instead of exhausting the
//! server's memory. A reservation is returned when its operator is dropped, so a correlated subquery run
//! per outer row reuses the same budget.
//!
//! Values are checked before they are made: a function that builds a large value (`repeat`, `lpad`,
//! `concat`, `||`, ...) computes its size first and asks its [`ValueLimit`], which refuses PostgreSQL's
//! values over 1 GB with that function's PostgreSQL error and any value larger than what is left of the
//! query's budget with the temp-space error, so `repeat('x', 1000000000)` never allocates a gigabyte in
//! dsql mode.

use std::cell::Cell;
use std::rc::Rc;

use crate::error::{sqlstate, Error, Result};
use crate::types::{Row, Value};

/// The bytes reserved by every operator of one query, against its limit.
#[derive(Clone, Default)]
pub struct MemoryBudget {
    used: Rc<Cell<usize>>,
    limit: Option<usize>,
}

impl MemoryBudget {
    pub fn new(limit: Option<usize>) -> Self {
        MemoryBudget { used: Rc::new(Cell::new(0)), limit }
    }

    /// What a value made now may take (see [`ValueLimit`]).
    pub fn value_limit(&self) -> ValueLimit {
        ValueLimit { room: self.limit.map(|limit| limit.saturating_sub(self.used.get())), limit: self.limit }
    }

    /// A reservation of nothing yet, for one operator.
    pub fn reservation(&self) -> Reservation {
        Reservation { budget: self.clone(), bytes: 0 }
    }
}

/// What one operator holds; returned to the budget when dropped.
pub struct Reservation {
    budget: MemoryBudget,
    bytes: usize,
}

impl Reservation {
    /// Reserves `bytes` more; 54000 when the query's total would pass its limit.
    pub fn grow(&mut self, bytes: usize) -> Result<()> {
        let used = self.budget.used.get() + bytes;
        if let Some(limit) = self.budget.limit.filter(|&limit| used > limit) {
            return Err(temp_space_exceeded(format!(
                "The query's sorts, hashes and aggregates need more than {} MiB.",
                limit >> 20
            )));
        }
        self.budget.used.set(used);
        self.bytes += bytes;
        Ok(())
    }

    /// Reserves the memory `rows` take.
    pub fn grow_rows(&mut self, rows: &[Row]) -> Result<()> {
        self.grow(rows.iter().map(|row| row_bytes(row)).sum())
    }

    /// Returns everything reserved so far (the rows were handed on).
    pub fn release(&mut self) {
        self.budget.used.set(self.budget.used.get() - self.bytes);
        self.bytes = 0;
    }

    pub fn bytes(&self) -> usize {
        self.bytes
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.release();
    }
}

/// The memory a row takes: the vector, each value, and what text, bytea, numerics and jsonb trees own on the
/// heap.
pub fn row_bytes(row: &[Value]) -> usize {
    24 + row
        .iter()
        .map(|value| {
            std::mem::size_of::<Value>()
                + match value {
                    Value::Text(s) => s.capacity(),
                    Value::Bytea(b) => b.capacity(),
                    Value::Jsonb(j) => j.heap_bytes(),
                    Value::Array(items) => row_bytes(items),
                    _ => 0,
                }
        })
        .sum::<usize>()
}

/// Aurora DSQL's error for a query past its memory budget.
fn temp_space_exceeded(detail: String) -> Error {
    Error::new(sqlstate::PROGRAM_LIMIT_EXCEEDED, "query requires more than allowed temp space").with_detail(detail)
}

/// PostgreSQL's largest value: `MaxAllocSize` (1 GB - 1) less the 4-byte varlena header.
pub const MAX_VALUE_BYTES: usize = 0x3fff_ffff - 4;

/// How large a value an expression may make now: at most [`MAX_VALUE_BYTES`], and at most what is left of
/// the query's memory budget.
#[derive(Debug, Clone, Copy)]
pub struct ValueLimit {
    /// Bytes left in the budget (None: no budget).
    room: Option<usize>,
    limit: Option<usize>,
}

impl ValueLimit {
    /// Only PostgreSQL's 1 GB limit (expressions evaluated outside a query's budget).
    pub const UNBUDGETED: ValueLimit = ValueLimit { room: None, limit: None };

    /// Checks a value of `bytes` before it is allocated: `too_large` (the function's PostgreSQL error)
    /// over 1 GB, the temp-space error (54000) over what is left of the budget.
    pub fn check(&self, bytes: usize, too_large: impl FnOnce() -> Error) -> Result<()> {
        if bytes > MAX_VALUE_BYTES {
            return Err(too_large());
        }
        if let (Some(room), Some(limit)) = (self.room, self.limit) {
            if bytes > room {
                return Err(temp_space_exceeded(format!(
                    "A value of {bytes} bytes does not fit in the query's {} MiB.",
                    limit >> 20
                )));
            }
        }
        Ok(())
    }
}

/// PostgreSQL's error for a function result over 1 GB (`repeat`, `lpad`, `rpad`).
pub fn requested_length_too_large() -> Error {
    Error::new(sqlstate::PROGRAM_LIMIT_EXCEEDED, "requested length too large")
}

/// The bytes a value's text (or bytes) take when it is concatenated: exact for text and bytea, a bound for
/// the short text forms of other types.
pub fn concat_bytes(value: &Value) -> usize {
    match value {
        Value::Text(s) => s.len(),
        Value::Bytea(b) => b.len(),
        Value::Null => 0,
        _ => 64,
    }
}
