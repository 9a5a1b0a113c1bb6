//! `Values Scan`: the rows of a VALUES list, each expression evaluated when its row is produced.

use super::eval::eval_all;
use super::{Batch, ExecContext, Operator};
use crate::error::Result;
use crate::sql::plan::BoundExpr;

pub struct ValuesOp<'a> {
    rows: &'a [Vec<BoundExpr>],
    next: usize,
}

impl<'a> ValuesOp<'a> {
    pub fn new(rows: &'a [Vec<BoundExpr>]) -> Self {
        ValuesOp { rows, next: 0 }
    }
}

impl<'a> Operator<'a> for ValuesOp<'a> {
    fn pull(&mut self, ctx: &mut ExecContext<'a>) -> Result<Option<Batch>> {
        if self.next >= self.rows.len() {
            return Ok(None);
        }
        let end = (self.next + ctx.batch_size).min(self.rows.len());
        let mut batch = Vec::with_capacity(end - self.next);
        for row in &self.rows[self.next..end] {
            batch.push(eval_all(row, &[], ctx)?);
        }
        self.next = end;
        Ok(Some(batch))
    }
}
