//! `Unique` (hashed): passes each distinct row once, comparing the first `columns` columns (NULLs equal
//! each other, as DISTINCT treats them).

use std::collections::HashSet;

use super::{encode_values, Batch, BoxedOperator, ExecContext, Operator};
use crate::error::Result;

pub struct DistinctOp<'a> {
    input: BoxedOperator<'a>,
    columns: usize,
    seen: HashSet<Vec<u8>>,
}

impl<'a> DistinctOp<'a> {
    pub fn new(input: BoxedOperator<'a>, columns: usize) -> Self {
        DistinctOp { input, columns, seen: HashSet::new() }
    }
}

impl<'a> Operator<'a> for DistinctOp<'a> {
    fn next(&mut self, ctx: &mut ExecContext<'a>) -> Result<Option<Batch>> {
        while let Some(mut batch) = self.input.next(ctx)? {
            batch.retain(|row| self.seen.insert(encode_values(&row[..self.columns.min(row.len())])));
            if !batch.is_empty() {
                return Ok(Some(batch));
            }
        }
        Ok(None)
    }
}
