//! `Nested Loop` with lookups (Aurora DSQL's "Nested Loop (Batched Join)"): for each batch of left rows,
//! each row's key range is looked up in the right table's primary key or in one of its indexes, instead of
//! reading the right table whole. INNER and LEFT joins (the optimizer picks it only for those).

use super::join::{joined_row, keeps_left, left_only, matching};
use super::table_read::TableReader;
use super::{Batch, BoxedOperator, ExecContext, Operator};
use crate::error::Result;
use crate::sql::plan::physical::{Join, TableRead};

pub struct LookupJoinOp<'a> {
    join: &'a Join,
    left: BoxedOperator<'a>,
    read: &'a TableRead,
    /// The right read's plan node (EXPLAIN ANALYZE counts its loops and rows).
    read_id: usize,
}

impl<'a> LookupJoinOp<'a> {
    pub fn new(join: &'a Join, left: BoxedOperator<'a>, read: &'a TableRead, read_id: usize) -> Self {
        LookupJoinOp { join, left, read, read_id }
    }
}

impl<'a> Operator<'a> for LookupJoinOp<'a> {
    fn pull(&mut self, ctx: &mut ExecContext<'a>) -> Result<Option<Batch>> {
        while let Some(batch) = self.left.next(ctx)? {
            if let Some(stats) = ctx.stats_mut(self.read_id) {
                stats.loops += 1;
            }
            let mut out = Vec::new();
            for left in &batch {
                let mut reader = TableReader::open(self.read, left, self.read_id, ctx)?;
                let mut matched = false;
                while let Some((key, right)) = reader.next_row(ctx)? {
                    if let Some(stats) = ctx.stats_mut(self.read_id) {
                        stats.rows += 1;
                    }
                    if let Some(keys) = &mut ctx.read_keys {
                        keys.push(key);
                    }
                    let row = joined_row(left, &right, self.join.merged.len());
                    if let Some(row) = matching(self.join, row, ctx)? {
                        matched = true;
                        out.push(row);
                    }
                }
                if !matched && keeps_left(self.join.kind) {
                    out.push(left_only(self.join, left, ctx)?);
                }
            }
            if !out.is_empty() {
                return Ok(Some(out));
            }
        }
        Ok(None)
    }
}
