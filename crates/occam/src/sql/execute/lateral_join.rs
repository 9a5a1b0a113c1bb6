//! `Nested Loop` over a LATERAL item: for each left row the right input is built and run again with that
//! row as its outer row (the right side reads it as `OuterColumn { depth: 1 }`, as a correlated subquery
//! reads its enclosing row), and its rows are joined to it under the ON condition; a LEFT join keeps a left
//! row without matches, NULL-padded. EXPLAIN ANALYZE counts the right side's loops.

use super::join::{after_left_row, joined_row, matching};
use super::{for_each_batch, Batch, BoxedOperator, ExecContext, Operator};
use crate::error::Result;
use crate::sql::plan::physical::Join;
use crate::types::Row;

pub struct LateralJoinOp<'a> {
    join: &'a Join,
    left: BoxedOperator<'a>,
    left_done: bool,
}

impl<'a> LateralJoinOp<'a> {
    pub fn new(join: &'a Join, left: BoxedOperator<'a>) -> Self {
        LateralJoinOp { join, left, left_done: false }
    }

    /// The right side's rows for one left row (counted against the query's memory limit as they are read). The
    /// left row is the outer row only while the right side is built and pulled: the left input's own
    /// subqueries count their outer rows without it.
    fn right_rows(&self, left: &Row, ctx: &mut ExecContext<'a>) -> Result<Vec<Row>> {
        ctx.outer.push(left.clone());
        let result = (|| {
            let mut right = super::build(&self.join.right, ctx)?;
            let mut reservation = ctx.memory.reservation();
            let mut rows = Vec::new();
            for_each_batch(&mut right, ctx, |batch, _| {
                reservation.grow_rows(&batch)?;
                rows.extend(batch);
                Ok(())
            })?;
            Ok(rows)
        })();
        ctx.outer.pop();
        result
    }
}

impl<'a> Operator<'a> for LateralJoinOp<'a> {
    fn pull(&mut self, ctx: &mut ExecContext<'a>) -> Result<Option<Batch>> {
        while !self.left_done {
            let Some(batch) = self.left.next(ctx)? else {
                self.left_done = true;
                break;
            };
            let mut out = Vec::new();
            for left in &batch {
                let mut matched = false;
                for right in self.right_rows(left, ctx)? {
                    if let Some(row) = matching(self.join, joined_row(left, &right, self.join.merged.len()), ctx)? {
                        matched = true;
                        out.push(row);
                    }
                }
                out.extend(after_left_row(self.join, left, matched, ctx)?);
            }
            if !out.is_empty() {
                return Ok(Some(out));
            }
        }
        Ok(None)
    }
}
