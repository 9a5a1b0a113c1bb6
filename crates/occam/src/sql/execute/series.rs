//! `Function Scan on generate_series`: integers or numerics from start to stop by step, or timestamps by
//! an interval step.

use std::cmp::Ordering;

use super::eval::eval;
use super::{Batch, ExecContext, Operator};
use crate::error::{sqlstate, Error, Result};
use crate::sql::plan::BoundExpr;
use crate::sql::scalar;
use crate::types::Value;

pub struct SeriesOp<'a> {
    start: &'a BoundExpr,
    stop: &'a BoundExpr,
    step: Option<&'a BoundExpr>,
    /// The next value, stop and step once evaluated; None after the end.
    state: Option<Option<Series>>,
}

struct Series {
    next: Value,
    stop: Value,
    step: Value,
    /// Whether the step is positive (the series climbs towards `stop`).
    ascending: bool,
}

impl Series {
    /// The value after `current`, None past the end of the type's range (integers end there).
    fn advance(&self, current: &Value) -> Result<Option<Value>> {
        Ok(match (current, &self.step) {
            (Value::Int(a), Value::Int(b)) => a.checked_add(*b).map(Value::Int),
            (Value::Numeric(a), Value::Numeric(b)) => {
                Some(Value::Numeric(a.checked_add(*b).ok_or_else(crate::types::text::numeric_overflow)?))
            }
            (Value::Timestamp(ts), Value::Interval(step)) => {
                Some(Value::Timestamp(crate::sql::datetime::timestamp_plus(ts, step, false)?))
            }
            (Value::Timestamptz(ts), Value::Interval(step)) => {
                Some(Value::Timestamptz(crate::sql::datetime::timestamp_plus(&ts.naive_utc(), step, false)?.and_utc()))
            }
            (current, step) => return Err(Error::internal(format!("generate_series step {current:?} by {step:?}"))),
        })
    }

    fn within(&self, value: &Value) -> bool {
        match scalar::compare(value, &self.stop) {
            Some(Ordering::Less) => self.ascending,
            Some(Ordering::Greater) => !self.ascending,
            Some(Ordering::Equal) => true,
            None => false,
        }
    }
}

impl<'a> SeriesOp<'a> {
    pub fn new(start: &'a BoundExpr, stop: &'a BoundExpr, step: Option<&'a BoundExpr>) -> Self {
        SeriesOp { start, stop, step, state: None }
    }

    fn open(&self, ctx: &mut ExecContext<'a>) -> Result<Option<Series>> {
        let start = eval(self.start, &[], ctx)?;
        let stop = eval(self.stop, &[], ctx)?;
        let step = match self.step {
            Some(step) => eval(step, &[], ctx)?,
            None => match start {
                Value::Numeric(_) => Value::Numeric(1.into()),
                _ => Value::Int(1),
            },
        };
        if start.is_null() || stop.is_null() || step.is_null() {
            return Ok(None); // a NULL argument gives no rows
        }
        let sign = match &step {
            Value::Int(i) => i.signum(),
            Value::Numeric(d) if d.is_zero() => 0,
            Value::Numeric(d) => {
                if d.is_sign_negative() {
                    -1
                } else {
                    1
                }
            }
            Value::Interval(i) => i.span_micros().signum() as i64,
            other => return Err(Error::internal(format!("generate_series step {other:?}"))),
        };
        if sign == 0 {
            return Err(Error::new(sqlstate::INVALID_PARAMETER_VALUE, "step size cannot equal zero"));
        }
        Ok(Some(Series { next: start, stop, step, ascending: sign > 0 }))
    }
}

impl<'a> Operator<'a> for SeriesOp<'a> {
    fn pull(&mut self, ctx: &mut ExecContext<'a>) -> Result<Option<Batch>> {
        if self.state.is_none() {
            self.state = Some(self.open(ctx)?);
        }
        let Some(Some(series)) = &mut self.state else { return Ok(None) };
        let mut batch = Vec::new();
        let mut finished = false;
        while batch.len() < ctx.batch_size {
            if !series.within(&series.next) {
                finished = true;
                break;
            }
            let current = series.next.clone();
            match series.advance(&current)? {
                Some(next) => series.next = next,
                None => finished = true,
            }
            batch.push(vec![current]);
            if finished {
                break;
            }
        }
        if finished {
            self.state = Some(None);
        }
        Ok(if batch.is_empty() { None } else { Some(batch) })
    }
}
