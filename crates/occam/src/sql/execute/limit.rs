//! `Limit`: skips OFFSET rows, passes LIMIT rows, then stops pulling its input.

use super::{eval_count, Batch, BoxedOperator, ExecContext, Operator};
use crate::error::Result;
use crate::sql::plan::physical::LimitCount;

pub struct LimitOp<'a> {
    input: BoxedOperator<'a>,
    count: &'a LimitCount,
    /// (rows still to skip, rows still to pass) once evaluated.
    remaining: Option<(usize, Option<usize>)>,
}

impl<'a> LimitOp<'a> {
    pub fn new(input: BoxedOperator<'a>, count: &'a LimitCount) -> Self {
        LimitOp { input, count, remaining: None }
    }
}

impl<'a> Operator<'a> for LimitOp<'a> {
    fn pull(&mut self, ctx: &mut ExecContext<'a>) -> Result<Option<Batch>> {
        if self.remaining.is_none() {
            let limit = eval_count(self.count.limit.as_ref(), ctx, "LIMIT")?;
            let offset = eval_count(self.count.offset.as_ref(), ctx, "OFFSET")?.unwrap_or(0);
            // What the input can step over without building the rows, it does.
            let skipped = if offset > 0 && limit != Some(0) { self.input.skip(offset, ctx)? } else { 0 };
            self.remaining = Some((offset - skipped, limit));
        }
        loop {
            let Some((skip, pass)) = self.remaining.as_mut() else { return Ok(None) };
            if *pass == Some(0) {
                return Ok(None);
            }
            // Ask the input for no more rows than are still wanted, so that a read below stops there.
            let wanted = pass.map_or(usize::MAX, |p| p.saturating_add(*skip));
            let batch_size = ctx.batch_size;
            ctx.batch_size = batch_size.min(wanted).max(1);
            let next = self.input.next(ctx);
            ctx.batch_size = batch_size;
            let Some(mut batch) = next? else { return Ok(None) };
            let skipped = (*skip).min(batch.len());
            batch.drain(..skipped);
            *skip -= skipped;
            if let Some(pass) = pass {
                batch.truncate(*pass);
                *pass -= batch.len();
            }
            if !batch.is_empty() {
                return Ok(Some(batch));
            }
        }
    }
}
