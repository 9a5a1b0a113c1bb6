//! `Function Scan`: the rows of a set-returning function in FROM. `generate_series` streams integers from
//! start to stop by step; the json functions (`jsonb_array_elements`, `jsonb_each`, ...) compute their rows
//! from their evaluated arguments at the first pull (`sql::json::table_rows`) and hand them out in batches.

use super::eval::eval;
use super::{Batch, BoxedOperator, ExecContext, Operator};
use crate::error::{sqlstate, Error, Result};
use crate::sql::plan::{BoundExpr, TableFunction};
use crate::types::{Row, Value};

/// The operator for `function(args)`.
pub fn function_scan<'a>(function: TableFunction, args: &'a [BoundExpr]) -> BoxedOperator<'a> {
    match function {
        TableFunction::Series => Box::new(SeriesOp::new(&args[0], &args[1], args.get(2))),
        TableFunction::Json(json) => Box::new(ComputedRowsOp { function: json, args, rows: None }),
    }
}

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

/// A function whose rows are computed at once from its arguments (they are as large as the arguments).
struct ComputedRowsOp<'a> {
    function: crate::sql::json::JsonTable,
    args: &'a [BoundExpr],
    rows: Option<std::vec::IntoIter<Row>>,
}

impl<'a> Operator<'a> for ComputedRowsOp<'a> {
    fn pull(&mut self, ctx: &mut ExecContext<'a>) -> Result<Option<Batch>> {
        if self.rows.is_none() {
            let args = self.args.iter().map(|arg| eval(arg, &[], ctx)).collect::<Result<Vec<_>>>()?;
            self.rows = Some(crate::sql::json::table_rows(self.function, &args)?.into_iter());
        }
        let rows = self.rows.as_mut().expect("computed above");
        let batch: Batch = rows.by_ref().take(ctx.batch_size).collect();
        Ok(if batch.is_empty() { None } else { Some(batch) })
    }
}
