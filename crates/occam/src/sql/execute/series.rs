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
use crate::sql::plan::{BoundExpr, TableFunction};
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
            self.current = Some((row, FunctionRows::open(self.function, &args, ctx)?));
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
    fn open(function: TableFunction, args: &[Value], ctx: &ExecContext) -> Result<FunctionRows> {
        match function {
            TableFunction::Series => Ok(FunctionRows::Series(Series::open(args)?)),
            TableFunction::Json(json) => {
                Ok(FunctionRows::Computed(crate::sql::json::table_rows(json, args)?.into_iter()))
            }
            TableFunction::Options => Ok(FunctionRows::Computed(option_rows(&args[0]).into_iter())),
            TableFunction::ExpandArray => Ok(FunctionRows::Computed(match &args[0] {
                Value::Array(elements) => {
                    (1..).zip(elements).map(|(n, x)| vec![x.clone(), Value::Int(n)]).collect::<Vec<_>>().into_iter()
                }
                _ => Vec::new().into_iter(),
            })),
            TableFunction::SequenceState => Ok(FunctionRows::Computed(sequence_state(&args[0], ctx)?.into_iter())),
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

/// `pg_options_to_table`'s rows: each `name=value` element split at its first `=` (a value-less element
/// has a NULL value); no rows for NULL.
fn option_rows(options: &Value) -> Vec<Row> {
    let Value::Array(elements) = options else { return Vec::new() };
    elements
        .iter()
        .filter_map(|element| match element {
            Value::Text(option) => Some(match option.split_once('=') {
                Some((name, value)) => vec![Value::Text(name.to_string()), Value::Text(value.to_string())],
                None => vec![Value::Text(option.clone()), Value::Null],
            }),
            _ => None,
        })
        .collect()
}

/// A sequence's one row as a relation: last_value, log_cnt (0: occam logs no values ahead), is_called.
fn sequence_state(oid: &Value, ctx: &ExecContext) -> Result<Vec<Row>> {
    let functions = &ctx.functions;
    let sequence =
        functions.catalog.sequences().find(|s| Value::Int(crate::sql::system::oids::table(s.id) as i64) == *oid);
    let (Some(sequence), Some(database)) = (sequence, functions.database.as_ref()) else {
        return Err(Error::internal("the sequence read has gone"));
    };
    let storage = database.txn_manager().storage().as_ref();
    let (last_value, is_called) = database.sequences().state(storage, sequence)?;
    Ok(vec![vec![Value::Int(last_value), Value::Int(0), Value::Bool(is_called)]])
}
