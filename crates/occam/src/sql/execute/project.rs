//! Projection: each output row is a list of expressions over the input row; `Truncate` keeps a prefix of
//! the columns (drops the hidden ORDER BY keys once the sort is done).

use super::eval::eval_all;
use super::{Batch, BoxedOperator, ExecContext, Operator};
use crate::error::Result;
use crate::sql::plan::BoundExpr;

pub struct ProjectOp<'a> {
    input: BoxedOperator<'a>,
    exprs: &'a [BoundExpr],
}

impl<'a> ProjectOp<'a> {
    pub fn new(input: BoxedOperator<'a>, exprs: &'a [BoundExpr]) -> Self {
        ProjectOp { input, exprs }
    }
}

impl<'a> Operator<'a> for ProjectOp<'a> {
    fn pull(&mut self, ctx: &mut ExecContext<'a>) -> Result<Option<Batch>> {
        let Some(batch) = self.input.next(ctx)? else { return Ok(None) };
        let mut out = Vec::with_capacity(batch.len());
        for row in &batch {
            out.push(eval_all(self.exprs, row, ctx)?);
        }
        Ok(Some(out))
    }

    /// Rows it would only copy columns of may be stepped over below it; an expression that could fail or
    /// has effects is computed for every row, as PostgreSQL projects the rows an OFFSET skips.
    fn skip(&mut self, n: usize, ctx: &mut ExecContext<'a>) -> Result<usize> {
        let copies = self.exprs.iter().all(|e| matches!(e, BoundExpr::Column(_) | BoundExpr::Literal(_)));
        if copies {
            self.input.skip(n, ctx)
        } else {
            Ok(0)
        }
    }
}

pub struct TruncateOp<'a> {
    input: BoxedOperator<'a>,
    columns: usize,
}

impl<'a> TruncateOp<'a> {
    pub fn new(input: BoxedOperator<'a>, columns: usize) -> Self {
        TruncateOp { input, columns }
    }
}

impl<'a> Operator<'a> for TruncateOp<'a> {
    fn pull(&mut self, ctx: &mut ExecContext<'a>) -> Result<Option<Batch>> {
        let Some(mut batch) = self.input.next(ctx)? else { return Ok(None) };
        for row in &mut batch {
            row.truncate(self.columns);
        }
        Ok(Some(batch))
    }

    fn skip(&mut self, n: usize, ctx: &mut ExecContext<'a>) -> Result<usize> {
        self.input.skip(n, ctx)
    }
}
