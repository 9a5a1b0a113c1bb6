//! Scan of a `sys` relation: its rows computed from database state at the statement's snapshot.

use super::{Batch, ExecContext, Operator};
use crate::error::Result;
use crate::sql::system::SystemRelation;

pub struct SystemScanOp {
    relation: &'static SystemRelation,
    done: bool,
}

impl SystemScanOp {
    pub fn new(relation: &'static SystemRelation) -> Self {
        SystemScanOp { relation, done: false }
    }
}

impl<'a> Operator<'a> for SystemScanOp {
    fn pull(&mut self, ctx: &mut ExecContext<'a>) -> Result<Option<Batch>> {
        if std::mem::replace(&mut self.done, true) {
            return Ok(None);
        }
        let rows = (self.relation.rows)(ctx.txn)?;
        Ok(if rows.is_empty() { None } else { Some(rows) })
    }
}
