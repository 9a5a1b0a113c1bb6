//! `Filter`: keeps the rows for which a predicate is TRUE.

use super::eval::passes;
use super::{Batch, BoxedOperator, ExecContext, Operator};
use crate::error::Result;
use crate::sql::plan::BoundExpr;

pub struct FilterOp<'a> {
    input: BoxedOperator<'a>,
    predicate: &'a BoundExpr,
}

impl<'a> FilterOp<'a> {
    pub fn new(input: BoxedOperator<'a>, predicate: &'a BoundExpr) -> Self {
        FilterOp { input, predicate }
    }
}

impl<'a> Operator<'a> for FilterOp<'a> {
    fn pull(&mut self, ctx: &mut ExecContext<'a>) -> Result<Option<Batch>> {
        while let Some(batch) = self.input.next(ctx)? {
            let mut kept = Vec::with_capacity(batch.len());
            for row in batch {
                if passes(Some(self.predicate), &row, ctx)? {
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
