//! `Function Scan`: the rows of a set-returning function in FROM: `generate_series` (integers or numerics
//! from start to stop by step, or timestamps by an interval step; streamed) and the json functions (`jsonb_array_elements`, `jsonb_each`, ...; their rows
//! computed at once from the evaluated arguments, `sql::json::table_rows`).
//!
//! Without an input the arguments are evaluated once. With one (`FROM t, jsonb_each(t.doc)`: the function
//! reads the FROM items before it, PostgreSQL's implicit LATERAL) they are evaluated against each input row,
//! and each of the function's rows is appended to that input row.

use std::cmp::Ordering;

use super::eval::eval;
use super::{Batch, BoxedOperator, ExecContext, Operator};
use crate::error::{sqlstate, Error, Result};
use crate::sql::plan::{ArrayRows, BoundExpr, TableFunction};
use crate::sql::scalar;
use crate::types::{Row, Value};

pub struct FunctionScanOp<'a> {
    input: Option<BoxedOperator<'a>>,
    function: TableFunction,
    args: &'a [BoundExpr],
    /// Input rows not yet expanded (the rest of the input's last batch).
    pending: std::vec::IntoIter<Row>,
    /// The row being expanded and the function's remaining rows for it.
    current: Option<(Row, FunctionRows)>,
    /// Without an input: whether the arguments were evaluated already. With one: whether it is exhausted.
    started: bool,
}

impl<'a> FunctionScanOp<'a> {
    pub fn new(input: Option<BoxedOperator<'a>>, function: TableFunction, args: &'a [BoundExpr]) -> Self {
        FunctionScanOp { input, function, args, pending: Vec::new().into_iter(), current: None, started: false }
    }

    /// The next row whose function rows to produce (the empty row once, without an input); None at the end.
    fn next_input_row(&mut self, ctx: &mut ExecContext<'a>) -> Result<Option<Row>> {
        loop {
            if let Some(row) = self.pending.next() {
                return Ok(Some(row));
            }
            let Some(input) = &mut self.input else {
                let first = !self.started;
                self.started = true;
                return Ok(first.then(Vec::new));
            };
            if self.started {
                return Ok(None);
            }
            match input.next(ctx)? {
                Some(batch) => self.pending = batch.into_iter(),
                None => self.started = true,
            }
        }
    }
}

impl<'a> Operator<'a> for FunctionScanOp<'a> {
    fn pull(&mut self, ctx: &mut ExecContext<'a>) -> Result<Option<Batch>> {
        let mut batch = Vec::new();
        while batch.len() < ctx.batch_size {
            if let Some((row, rows)) = &mut self.current {
                if let Some(produced) = rows.next_row()? {
                    let mut out = Vec::with_capacity(row.len() + produced.len());
                    out.extend(row.iter().cloned());
                    out.extend(produced);
                    batch.push(out);
                    continue;
                }
                self.current = None;
            }
            let Some(row) = self.next_input_row(ctx)? else { break };
            let args = self.args.iter().map(|arg| eval(arg, &row, ctx)).collect::<Result<Vec<_>>>()?;
            self.current = Some((row, FunctionRows::open(self.function, &args)?));
        }
        Ok(if batch.is_empty() { None } else { Some(batch) })
    }
}

/// One call's rows.
enum FunctionRows {
    /// generate_series: None after the end.
    Series(Option<Series>),
    Computed(std::vec::IntoIter<Row>),
}

struct Series {
    next: Value,
    stop: Value,
    step: Value,
    /// Whether the step is positive (the series climbs towards `stop`).
    ascending: bool,
}

impl Series {
    /// generate_series(start, stop[, step]) over evaluated arguments; None when one is NULL (no rows).
    fn open(args: &[Value]) -> Result<Option<Series>> {
        let (Some(start), Some(stop)) = (args.first(), args.get(1)) else { return Ok(None) };
        let step = match args.get(2) {
            Some(step) => step.clone(),
            None => match start {
                Value::Numeric(_) => Value::Numeric(1.into()),
                _ => Value::Int(1),
            },
        };
        if start.is_null() || stop.is_null() || step.is_null() {
            return Ok(None);
        }
        let sign = match &step {
            Value::Int(i) => i.signum(),
            Value::Numeric(d) => d.signum() as i64,
            Value::Interval(i) => i.span_micros().signum() as i64,
            other => return Err(Error::internal(format!("generate_series step {other:?}"))),
        };
        if sign == 0 {
            return Err(Error::new(sqlstate::INVALID_PARAMETER_VALUE, "step size cannot equal zero"));
        }
        Ok(Some(Series { next: start.clone(), stop: stop.clone(), step, ascending: sign > 0 }))
    }

    /// The value after `current`, None past the end of the type's range (integers end there).
    fn advance(&self, current: &Value) -> Result<Option<Value>> {
        Ok(match (current, &self.step) {
            (Value::Int(a), Value::Int(b)) => a.checked_add(*b).map(Value::Int),
            (Value::Numeric(a), Value::Numeric(b)) => Some(Value::Numeric(a.add(b)?)),
            (Value::Timestamp(ts), Value::Interval(step)) => {
                Some(Value::Timestamp(crate::sql::datetime::timestamp_plus(ts, step, false)?))
            }
            (Value::Timestamptz(ts), Value::Interval(step)) => Some(Value::Timestamptz(
                crate::sql::datetime::timestamptz_plus(&ts.naive_utc(), step, false)?.and_utc(),
            )),
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

impl FunctionRows {
    fn open(function: TableFunction, args: &[Value]) -> Result<FunctionRows> {
        match function {
            TableFunction::Series => Ok(FunctionRows::Series(Series::open(args)?)),
            TableFunction::Json(json) => {
                Ok(FunctionRows::Computed(crate::sql::json::table_rows(json, args)?.into_iter()))
            }
            TableFunction::ArrayRows(rows) => Ok(FunctionRows::Computed(array_rows(rows, args).into_iter())),
        }
    }

    /// The call's next row, None at its end.
    fn next_row(&mut self) -> Result<Option<Row>> {
        match self {
            FunctionRows::Series(state) => {
                let Some(series) = state else { return Ok(None) };
                if !series.within(&series.next) {
                    *state = None;
                    return Ok(None);
                }
                let current = series.next.clone();
                match series.advance(&current)? {
                    Some(next) => series.next = next,
                    None => *state = None,
                }
                Ok(Some(vec![current]))
            }
            FunctionRows::Computed(rows) => Ok(rows.next()),
        }
    }
}

/// The rows of zipped `unnest` / `generate_subscripts` columns (`args`: each column's array and dimension):
/// as many as the longest column, a shorter one NULL past its end. A NULL array, or a dimension other than
/// 1 (occam's arrays have one), gives a column no rows.
fn array_rows(columns: ArrayRows, args: &[Value]) -> Vec<Row> {
    let elements = |column: usize| match (&args[2 * column], &args[2 * column + 1]) {
        (Value::Array(elements), Value::Int(1)) => elements.as_slice(),
        _ => &[],
    };
    let width = columns.width as usize;
    let count = (0..width).map(|column| elements(column).len()).max().unwrap_or(0);
    (0..count)
        .map(|i| {
            (0..width)
                .map(|column| {
                    let bit = 1u8 << column;
                    if i >= elements(column).len() {
                        Value::Null
                    } else if columns.subscripts & bit != 0 {
                        let first = if columns.zero_based & bit != 0 { 0 } else { 1 };
                        Value::Int(first + i as i64)
                    } else {
                        elements(column)[i].clone()
                    }
                })
                .collect()
        })
        .collect()
}
