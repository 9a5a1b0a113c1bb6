//! `Unique` (hashed): passes the first row of each group of rows equal in the key columns (NULLs equal
//! each other, as DISTINCT treats them): DISTINCT's distinct rows (keyed by every output column) and
//! DISTINCT ON's first row per group (keyed by its expressions, after ORDER BY).

use std::collections::HashSet;

use super::memory::Reservation;
use super::{Batch, BoxedOperator, ExecContext, Operator};
use crate::error::Result;
use crate::storage::keycode::encode_for_equality;

pub struct DistinctOp<'a> {
    input: BoxedOperator<'a>,
    columns: &'a [usize],
    seen: HashSet<Vec<u8>>,
    reservation: Option<Reservation>,
}

impl<'a> DistinctOp<'a> {
    pub fn new(input: BoxedOperator<'a>, columns: &'a [usize]) -> Self {
        DistinctOp { input, columns, seen: HashSet::new(), reservation: None }
    }
}

impl<'a> Operator<'a> for DistinctOp<'a> {
    fn pull(&mut self, ctx: &mut ExecContext<'a>) -> Result<Option<Batch>> {
        let reservation = self.reservation.get_or_insert_with(|| ctx.memory.reservation());
        while let Some(batch) = self.input.next(ctx)? {
            let mut kept = Vec::with_capacity(batch.len());
            for row in batch {
                let mut key = Vec::with_capacity(9 * self.columns.len());
                for &column in self.columns {
                    encode_for_equality(&mut key, &row[column]);
                }
                if !self.seen.contains(&key) {
                    reservation.grow(key.len() + 48)?;
                    self.seen.insert(key);
                    kept.push(row);
                }
            }
            if !kept.is_empty() {
                return Ok(Some(kept));
            }
        }
        Ok(None)
    }
}
