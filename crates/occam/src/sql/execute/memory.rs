//! The per-query memory budget: operators that hold rows (sort, aggregate, hash join build side,
//! DISTINCT, set operations) reserve what they hold, and a query that needs more than its budget fails
//! with Aurora DSQL's `54000 query requires more than allowed temp space` instead of exhausting the
//! server's memory. A reservation is returned when its operator is dropped, so a correlated subquery run
//! per outer row reuses the same budget.

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
        if self.budget.limit.is_some_and(|limit| used > limit) {
            return Err(Error::new(sqlstate::PROGRAM_LIMIT_EXCEEDED, "query requires more than allowed temp space")
                .with_detail(format!(
                    "The query's sorts, hashes and aggregates need more than {} MiB.",
                    self.budget.limit.unwrap_or_default() >> 20
                )));
        }
        self.budget.used.set(used);
        self.bytes += bytes;
        Ok(())
    }

    /// Reserves the memory `rows` take.
    pub fn grow_rows(&mut self, rows: &[Row]) -> Result<()> {
        self.grow(rows.iter().map(row_bytes).sum())
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

/// The memory a row takes: the vector, each value, and what text, bytea and numerics own on the heap.
pub fn row_bytes(row: &Row) -> usize {
    24 + row
        .iter()
        .map(|value| {
            std::mem::size_of::<Value>()
                + match value {
                    Value::Text(s) => s.capacity(),
                    Value::Bytea(b) => b.capacity(),
                    _ => 0,
                }
        })
        .sum::<usize>()
}
