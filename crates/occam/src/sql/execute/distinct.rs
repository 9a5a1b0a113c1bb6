//! `Unique` (hashed): passes each distinct row once, comparing the first `columns` columns (NULLs equal
//! each other, as DISTINCT treats them).

use std::collections::HashSet;

use super::memory::Reservation;
use super::{encode_values, Batch, BoxedOperator, ExecContext, Operator};
use crate::error::Result;

pub struct DistinctOp<'a> {
    input: BoxedOperator<'a>,
    columns: usize,
    seen: HashSet<Vec<u8>>,
    reservation: Option<Reservation>,
}

impl<'a> DistinctOp<'a> {
    pub fn new(input: BoxedOperator<'a>, columns: usize) -> Self {
        DistinctOp { input, columns, seen: HashSet::new(), reservation: None }
    }
}

impl<'a> Operator<'a> for DistinctOp<'a> {
    fn pull(&mut self, ctx: &mut ExecContext<'a>) -> Result<Option<Batch>> {
        let reservation = self.reservation.get_or_insert_with(|| ctx.memory.reservation());
        while let Some(batch) = self.input.next(ctx)? {
            let mut kept = Vec::with_capacity(batch.len());
            for row in batch {
                let key = encode_values(&row[..self.columns.min(row.len())]);
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
