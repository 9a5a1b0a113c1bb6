//! `Function Scan`: the rows of a set-returning function in FROM: `generate_series` (integers from start to
//! stop by step, streamed) and the json functions (`jsonb_array_elements`, `jsonb_each`, ...; their rows
//! computed at once from the evaluated arguments, `sql::json::table_rows`).
//!
//! Without an input the arguments are evaluated once. With one (`FROM t, jsonb_each(t.doc)`: the function
//! reads the FROM items before it, PostgreSQL's implicit LATERAL) they are evaluated against each input row,
//! and each of the function's rows is appended to that input row.

use super::eval::eval;
use super::{Batch, BoxedOperator, ExecContext, Operator};
use crate::error::{sqlstate, Error, Result};
use crate::sql::plan::{BoundExpr, TableFunction};
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
                if let Some(produced) = rows.next() {
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
    /// generate_series: the next value, the stop and the step (None after the end).
    Series(Option<(i64, i64, i64)>),
    Computed(std::vec::IntoIter<Row>),
}

impl FunctionRows {
    fn open(function: TableFunction, args: &[Value]) -> Result<FunctionRows> {
        match function {
            TableFunction::Series => {
                let step = args.get(2).cloned().unwrap_or(Value::Int(1));
                let (Some(Value::Int(start)), Some(Value::Int(stop)), Value::Int(step)) =
                    (args.first(), args.get(1), step)
                else {
                    return Ok(FunctionRows::Series(None)); // a NULL argument gives no rows
                };
                if step == 0 {
                    return Err(Error::new(sqlstate::INVALID_PARAMETER_VALUE, "step size cannot equal zero"));
                }
                Ok(FunctionRows::Series(Some((*start, *stop, step))))
            }
            TableFunction::Json(json) => {
                Ok(FunctionRows::Computed(crate::sql::json::table_rows(json, args)?.into_iter()))
            }
        }
    }
}

impl Iterator for FunctionRows {
    type Item = Row;

    fn next(&mut self) -> Option<Row> {
        match self {
            FunctionRows::Series(state) => {
                let (current, stop, step) = (*state)?;
                if !((step > 0 && current <= stop) || (step < 0 && current >= stop)) {
                    *state = None;
                    return None;
                }
                *state = current.checked_add(step).map(|next| (next, stop, step));
                Some(vec![Value::Int(current)])
            }
            FunctionRows::Computed(rows) => rows.next(),
        }
    }
}
