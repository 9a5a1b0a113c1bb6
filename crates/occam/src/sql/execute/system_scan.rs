//! Scan of a system relation (`sys`, `pg_catalog`, `information_schema`): its rows computed from the
//! statement's catalog snapshot and transaction (`sql::system`).

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
        let rows = crate::sql::system::scan(self.relation, ctx.txn, ctx.functions)?;
        Ok(if rows.is_empty() { None } else { Some(rows) })
    }
}
