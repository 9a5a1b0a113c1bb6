//! The per-query memory budget: operators that hold rows (sort, aggregate, hash join build side,
//! DISTINCT, set operations) reserve what they hold, and a query that needs more than its budget fails
//! with Aurora DSQL's `54000 query requires more than allowed temp space` instead of exhausting the
//! server's memory. A reservation is returned when its operator is dropped, so a correlated subquery run
//! per outer row reuses the same budget.
//!
//! Every reservation also counts against the server's [`ServerMemory`]: the bytes all queries hold at
//! once, bounded (half the machine's memory by default, `occam serve --server-query-memory`) so that a
//! hundred memory-heavy queries together fail one by one with PostgreSQL's `53200 out of memory` instead
//! of growing the process until the kernel kills it. A query's result rows count too: they are reserved as
//! the query makes them, and the session keeps them counted ([`ResultHold`]) until they are sent.
//!
//! Values are checked before they are made: a function that builds a large value (`repeat`, `lpad`,
//! `concat`, `||`, ...) computes its size first and asks its [`ValueLimit`], which refuses PostgreSQL's
//! values over 1 GB with that function's PostgreSQL error and any value larger than what is left of the
//! query's budget with the temp-space error, so `repeat('x', 1000000000)` never allocates a gigabyte in
//! dsql mode.

use std::cell::Cell;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::error::{sqlstate, Error, Result};
use crate::types::{Row, Value};

/// The bytes every query of the server holds at once, against the server's limit.
#[derive(Debug)]
pub struct ServerMemory {
    used: AtomicUsize,
    limit: usize,
}

impl ServerMemory {
    pub fn new(limit: usize) -> Arc<Self> {
        Arc::new(ServerMemory { used: AtomicUsize::new(0), limit })
    }

    /// Half the machine's memory (MemTotal of /proc/meminfo; 8 GiB where it cannot be read): room for the
    /// storage's caches and the connections beside the queries.
    pub fn default_limit() -> usize {
        let total = std::fs::read_to_string("/proc/meminfo").ok().and_then(|info| {
            let line = info.lines().find(|line| line.starts_with("MemTotal:"))?;
            line.split_whitespace().nth(1)?.parse::<usize>().ok().map(|kib| kib << 10)
        });
        total.unwrap_or(16 << 30) / 2
    }

    /// Bytes reserved now, by all queries.
    pub fn used(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }

    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Takes `bytes` more, or 53200 (nothing taken) when all queries together would pass the limit.
    fn take(&self, bytes: usize) -> Result<()> {
        let before = self.used.fetch_add(bytes, Ordering::Relaxed);
        if before.saturating_add(bytes) > self.limit {
            self.used.fetch_sub(bytes, Ordering::Relaxed);
            return Err(Error::new(sqlstate::OUT_OF_MEMORY, "out of memory").with_detail(format!(
                "Failed on request of size {bytes}: the server's queries hold {} of their {} MiB.",
                before >> 20,
                self.limit >> 20
            )));
        }
        Ok(())
    }

    fn give_back(&self, bytes: usize) {
        self.used.fetch_sub(bytes, Ordering::Relaxed);
    }

    /// Counts `rows` (a finished statement's result, about to be sent) until the hold is dropped. Never
    /// refused: the statement has run (its rows passed the limits as they were made, and a DML statement's
    /// may be committed), so the rows are only counted, for the queries that start while they are held.
    pub fn hold_rows(self: &Arc<Self>, rows: &[Row]) -> ResultHold {
        let bytes = rows.iter().map(|row| row_bytes(row)).sum();
        self.used.fetch_add(bytes, Ordering::Relaxed);
        ResultHold { server: self.clone(), bytes }
    }
}

/// A finished query's result rows, counted against the server's memory until they are sent (dropped).
#[derive(Debug)]
pub struct ResultHold {
    server: Arc<ServerMemory>,
    bytes: usize,
}

impl Drop for ResultHold {
    fn drop(&mut self) {
        self.server.give_back(self.bytes);
    }
}

/// What bounds a query's memory: its own limit and the server's (both None in contexts that run no
/// client query, such as a unit test's).
#[derive(Debug, Clone, Default)]
pub struct MemoryLimits {
    pub query: Option<usize>,
    pub server: Option<Arc<ServerMemory>>,
}

/// The bytes reserved by every operator of one query, against its limit and the server's.
#[derive(Clone, Default)]
pub struct MemoryBudget {
    used: Rc<Cell<usize>>,
    limit: Option<usize>,
    server: Option<Arc<ServerMemory>>,
}

impl MemoryBudget {
    pub fn new(limits: &MemoryLimits) -> Self {
        MemoryBudget { used: Rc::new(Cell::new(0)), limit: limits.query, server: limits.server.clone() }
    }

    /// The limits this budget enforces (for a budget of the same bounds in another thread).
    pub fn limits(&self) -> MemoryLimits {
        MemoryLimits { query: self.limit, server: self.server.clone() }
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
        if let Some(server) = &self.budget.server {
            server.take(bytes)?;
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
        if let Some(server) = &self.budget.server {
            server.give_back(self.bytes);
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(query: usize, server: &Arc<ServerMemory>) -> MemoryLimits {
        MemoryLimits { query: Some(query), server: Some(server.clone()) }
    }

    #[test]
    fn queries_share_the_server_limit_and_give_back_what_they_held() {
        let server = ServerMemory::new(1000);
        let first = MemoryBudget::new(&limits(800, &server));
        let second = MemoryBudget::new(&limits(800, &server));
        let mut sort = first.reservation();
        sort.grow(700).unwrap();
        let mut hash = second.reservation();
        // Within its own 800 bytes, but the two queries together would hold 1,300.
        let err = hash.grow(600).unwrap_err();
        assert_eq!((err.code, err.message.as_str()), (sqlstate::OUT_OF_MEMORY, "out of memory"));
        assert_eq!(server.used(), 700, "a refused request takes nothing");
        hash.grow(300).unwrap();
        drop(sort);
        assert_eq!(server.used(), 300);
        hash.grow(400).unwrap();
        // The query's own 800 bytes still bound it.
        let err = hash.grow(200).unwrap_err();
        assert_eq!(err.code, sqlstate::PROGRAM_LIMIT_EXCEEDED);
        drop(hash);
        assert_eq!(server.used(), 0);
    }

    #[test]
    fn a_held_result_counts_until_dropped_and_is_never_refused() {
        let server = ServerMemory::new(100);
        let rows = vec![vec![Value::Text("x".repeat(200))]];
        let hold = server.hold_rows(&rows);
        assert!(server.used() > 200);
        let budget = MemoryBudget::new(&limits(1000, &server));
        assert_eq!(budget.reservation().grow(1).unwrap_err().code, sqlstate::OUT_OF_MEMORY);
        drop(hold);
        assert_eq!(server.used(), 0);
        budget.reservation().grow(1).unwrap();
    }
}
