//! `Function Scan on generate_series`: integers from start to stop by step.

use super::eval::eval;
use super::{Batch, ExecContext, Operator};
use crate::error::{sqlstate, Error, Result};
use crate::sql::plan::BoundExpr;
use crate::types::Value;

pub struct SeriesOp<'a> {
    start: &'a BoundExpr,
    stop: &'a BoundExpr,
    step: Option<&'a BoundExpr>,
    /// (next value, stop, step) once evaluated; None after the end.
    state: Option<Option<(i64, i64, i64)>>,
}

impl<'a> SeriesOp<'a> {
    pub fn new(start: &'a BoundExpr, stop: &'a BoundExpr, step: Option<&'a BoundExpr>) -> Self {
        SeriesOp { start, stop, step, state: None }
    }

    fn open(&self, ctx: &mut ExecContext<'a>) -> Result<Option<(i64, i64, i64)>> {
        let start = eval(self.start, &[], ctx)?;
        let stop = eval(self.stop, &[], ctx)?;
        let step = match self.step {
            Some(step) => eval(step, &[], ctx)?,
            None => Value::Int(1),
        };
        let (Value::Int(start), Value::Int(stop), Value::Int(step)) = (start, stop, step) else {
            return Ok(None); // a NULL argument gives no rows
        };
        if step == 0 {
            return Err(Error::new(sqlstate::INVALID_PARAMETER_VALUE, "step size cannot equal zero"));
        }
        Ok(Some((start, stop, step)))
    }
}

impl<'a> Operator<'a> for SeriesOp<'a> {
    fn pull(&mut self, ctx: &mut ExecContext<'a>) -> Result<Option<Batch>> {
        if self.state.is_none() {
            self.state = Some(self.open(ctx)?);
        }
        let Some(Some((mut current, stop, step))) = self.state else { return Ok(None) };
        let mut batch = Vec::new();
        let mut finished = false;
        while batch.len() < ctx.batch_size {
            if !((step > 0 && current <= stop) || (step < 0 && current >= stop)) {
                finished = true;
                break;
            }
            batch.push(vec![Value::Int(current)]);
            match current.checked_add(step) {
                Some(next) => current = next,
                None => {
                    finished = true;
                    break;
                }
            }
        }
        self.state = Some(if finished { None } else { Some((current, stop, step)) });
        Ok(if batch.is_empty() { None } else { Some(batch) })
    }
}
