//! `Nested Loop` with lookups (Aurora DSQL's "Nested Loop (Batched Join)"): for each batch of left rows,
//! each row's key range is looked up in the right table's primary key or in one of its indexes, instead of
//! reading the right table whole. INNER, LEFT, SEMI and ANTI joins (the optimizer picks it only for those).

use super::join::{after_left_row, joined_row, matching, yields_left_rows};
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
                        keys.push(key.to_vec());
                    }
                    let row = joined_row(left, &right, self.join.merged.len());
                    if let Some(row) = matching(self.join, row, ctx)? {
                        matched = true;
                        if yields_left_rows(self.join.kind) {
                            break;
                        }
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
