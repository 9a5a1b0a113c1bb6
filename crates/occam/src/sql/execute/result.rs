//! `Result`: one row without columns, for a SELECT without FROM.

use super::{Batch, ExecContext, Operator};
use crate::error::Result;

#[derive(Default)]
pub struct ResultOp {
    done: bool,
}

impl<'a> Operator<'a> for ResultOp {
    fn pull(&mut self, _: &mut ExecContext<'a>) -> Result<Option<Batch>> {
        if std::mem::replace(&mut self.done, true) {
            return Ok(None);
        }
        Ok(Some(vec![Vec::new()]))
    }
}
