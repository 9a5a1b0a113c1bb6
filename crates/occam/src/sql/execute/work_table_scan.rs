//! `WorkTable Scan`: inside a `WITH RECURSIVE` query's recursive term, the rows the previous round
//! produced (set by `recursive_union` before it builds the round).

use std::sync::Arc;

use super::{Batch, ExecContext, Operator};
use crate::error::{Error, Result};
use crate::types::Row;

pub struct WorkTableScanOp {
    work_table: usize,
    /// The round's rows (taken from the context when the scan first runs) and the next one to return.
    rows: Option<(Arc<Vec<Row>>, usize)>,
}

impl WorkTableScanOp {
    pub fn new(work_table: usize) -> Self {
        WorkTableScanOp { work_table, rows: None }
    }
}

impl<'a> Operator<'a> for WorkTableScanOp {
    fn pull(&mut self, ctx: &mut ExecContext<'a>) -> Result<Option<Batch>> {
        if self.rows.is_none() {
            let rows = ctx
                .work_tables
                .iter()
                .find(|(id, _)| *id == self.work_table)
                .map(|(_, rows)| rows.clone())
                .ok_or_else(|| Error::internal("a work table read outside its recursive union"))?;
            self.rows = Some((rows, 0));
        }
        let (rows, next) = self.rows.as_mut().expect("set above");
        if *next >= rows.len() {
            return Ok(None);
        }
        let end = (*next + ctx.batch_size).min(rows.len());
        let batch = rows[*next..end].to_vec();
        *next = end;
        Ok(Some(batch))
    }
}
