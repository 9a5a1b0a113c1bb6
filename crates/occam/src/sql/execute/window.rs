//! `WindowAgg`: window functions. The input is read whole; for each window call its rows are ordered by
//! the call's PARTITION BY and ORDER BY keys, each partition is walked, and the call's value for every row
//! is computed from its partition (ranking, offsets) or its frame (aggregates and `first_value` /
//! `last_value` / `nth_value`). Rows come out in input order with the calls' values appended.
//!
//! Frames follow PostgreSQL: the default frame is `RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW`,
//! where a row's frame ends with its last *peer* (the rows equal to it in the ORDER BY keys; all rows of the
//! partition without ORDER BY); `ROWS` frames count rows. A frame aggregate is computed incrementally when
//! the frame only grows (the default frames), and from scratch per row otherwise.

use std::cmp::Ordering;

use super::eval::eval;
use super::memory::row_bytes;
use super::sort::compare_values;
use super::{drain, Batch, BoxedOperator, ExecContext, Operator};
use crate::error::{sqlstate, Error, Result};
use crate::sql::ast::FrameBound;
use crate::sql::functions;
use crate::sql::plan::{WindowCall, WindowFunction};
use crate::types::{Row, Value};

pub struct WindowOp<'a> {
    input: Option<BoxedOperator<'a>>,
    windows: &'a [WindowCall],
    output: std::vec::IntoIter<Row>,
}

impl<'a> WindowOp<'a> {
    pub fn new(input: BoxedOperator<'a>, windows: &'a [WindowCall]) -> Self {
        WindowOp { input: Some(input), windows, output: Vec::new().into_iter() }
    }
}

impl<'a> Operator<'a> for WindowOp<'a> {
    fn pull(&mut self, ctx: &mut ExecContext<'a>) -> Result<Option<Batch>> {
        if let Some(mut input) = self.input.take() {
            let mut rows = drain(&mut input, ctx)?;
            let mut reservation = ctx.memory.reservation();
            for row in &rows {
                reservation.grow(row_bytes(row) + 16 * self.windows.len())?;
            }
            for call in self.windows {
                let values = compute(call, &rows, ctx)?;
                for (row, value) in rows.iter_mut().zip(values) {
                    row.push(value);
                }
            }
            self.output = rows.into_iter();
        }
        let batch: Batch = self.output.by_ref().take(ctx.batch_size).collect();
        Ok(if batch.is_empty() { None } else { Some(batch) })
    }
}

/// One row's partition and order keys, with its position in the input.
struct Keyed {
    partition: Vec<Value>,
    order: Vec<Value>,
    index: usize,
}

/// The call's value for each of `rows` (in input order).
fn compute(call: &WindowCall, rows: &[Row], ctx: &mut ExecContext) -> Result<Vec<Value>> {
    let mut keyed = Vec::with_capacity(rows.len());
    for (index, row) in rows.iter().enumerate() {
        let partition = call.partition_by.iter().map(|e| eval(e, row, ctx)).collect::<Result<Vec<_>>>()?;
        let order = call.order_by.iter().map(|o| eval(&o.expr, row, ctx)).collect::<Result<Vec<_>>>()?;
        keyed.push(Keyed { partition, order, index });
    }
    let order_cmp = |a: &Keyed, b: &Keyed| -> Ordering {
        for ((x, y), key) in a.order.iter().zip(&b.order).zip(&call.order_by) {
            let ordering = compare_values(x, y, key.descending, key.nulls_first);
            if ordering != Ordering::Equal {
                return ordering;
            }
        }
        Ordering::Equal
    };
    // Stable: rows equal in every key keep their input order, as PostgreSQL's sort of the same input.
    keyed.sort_by(|a, b| {
        for (x, y) in a.partition.iter().zip(&b.partition) {
            let ordering = compare_values(x, y, false, false);
            if ordering != Ordering::Equal {
                return ordering;
            }
        }
        order_cmp(a, b)
    });
    let mut values = vec![Value::Null; rows.len()];
    let mut start = 0;
    while start < keyed.len() {
        let mut end = start + 1;
        let same_partition = |a: &Keyed, b: &Keyed| {
            a.partition.iter().zip(&b.partition).all(|(x, y)| compare_values(x, y, false, false) == Ordering::Equal)
        };
        while end < keyed.len() && same_partition(&keyed[end], &keyed[start]) {
            end += 1;
        }
        let partition = &keyed[start..end];
        // Peer groups: [peer_start[i], peer_end[i]) holds row i's peers.
        let mut peer_start = vec![0; partition.len()];
        let mut peer_end = vec![0; partition.len()];
        let mut group = 0;
        while group < partition.len() {
            let mut next = group + 1;
            while next < partition.len() && order_cmp(&partition[group], &partition[next]) == Ordering::Equal {
                next += 1;
            }
            for i in group..next {
                peer_start[i] = group;
                peer_end[i] = next;
            }
            group = next;
        }
        ctx.check_interrupts()?;
        let partition_rows: Vec<&Row> = partition.iter().map(|k| &rows[k.index]).collect();
        let results = partition_values(call, &partition_rows, &peer_start, &peer_end, ctx)?;
        for (k, value) in partition.iter().zip(results) {
            values[k.index] = value;
        }
        start = end;
    }
    Ok(values)
}

/// The call's values over one partition (rows in window order).
fn partition_values(
    call: &WindowCall,
    rows: &[&Row],
    peer_start: &[usize],
    peer_end: &[usize],
    ctx: &mut ExecContext,
) -> Result<Vec<Value>> {
    let n = rows.len();
    let arg = |i: usize, row: usize, ctx: &mut ExecContext| -> Result<Value> { eval(&call.args[i], rows[row], ctx) };
    let mut out = Vec::with_capacity(n);
    match &call.function {
        WindowFunction::RowNumber => out.extend((1..=n).map(|i| Value::Int(i as i64))),
        WindowFunction::Rank => out.extend(peer_start.iter().map(|s| Value::Int(*s as i64 + 1))),
        WindowFunction::DenseRank => {
            let mut rank = 0;
            for i in 0..n {
                if i == 0 || peer_start[i] != peer_start[i - 1] {
                    rank += 1;
                }
                out.push(Value::Int(rank));
            }
        }
        WindowFunction::PercentRank => {
            out.extend(peer_start.iter().map(|s| Value::Float(if n > 1 { *s as f64 / (n - 1) as f64 } else { 0.0 })))
        }
        WindowFunction::CumeDist => out.extend(peer_end.iter().map(|e| Value::Float(*e as f64 / n as f64))),
        WindowFunction::Ntile => {
            for row in 0..n {
                let buckets = match arg(0, row, ctx)? {
                    Value::Int(b) if b > 0 => b as usize,
                    Value::Null => {
                        out.push(Value::Null);
                        continue;
                    }
                    _ => {
                        return Err(Error::new(
                            sqlstate::INVALID_PARAMETER_VALUE,
                            "argument of ntile must be greater than zero",
                        ))
                    }
                };
                // PostgreSQL's split: the first `n % buckets` buckets get one row more.
                let size = n / buckets;
                let larger = n % buckets;
                let bucket = if row < larger * (size + 1) {
                    row / (size + 1)
                } else {
                    larger + (row - larger * (size + 1)) / size.max(1)
                };
                out.push(Value::Int(bucket as i64 + 1));
            }
        }
        WindowFunction::Lag | WindowFunction::Lead => {
            let lead = matches!(call.function, WindowFunction::Lead);
            for row in 0..n {
                let offset = match call.args.get(1) {
                    Some(_) => match arg(1, row, ctx)? {
                        Value::Int(o) => Some(o),
                        _ => None,
                    },
                    None => Some(1),
                };
                let Some(offset) = offset else {
                    out.push(Value::Null);
                    continue;
                };
                let target = if lead { row as i64 + offset } else { row as i64 - offset };
                if (0..n as i64).contains(&target) {
                    out.push(arg(0, target as usize, ctx)?);
                } else if call.args.len() > 2 {
                    out.push(arg(2, row, ctx)?);
                } else {
                    out.push(Value::Null);
                }
            }
        }
        WindowFunction::FirstValue | WindowFunction::LastValue | WindowFunction::NthValue => {
            for row in 0..n {
                let (from, to) = frame_of(call, row, n, peer_start, peer_end);
                let position = match call.function {
                    WindowFunction::FirstValue => Some(from),
                    WindowFunction::LastValue => to.checked_sub(1),
                    _ => match arg(1, row, ctx)? {
                        Value::Int(k) if k > 0 => Some(from + k as usize - 1),
                        Value::Null => None,
                        _ => {
                            return Err(Error::new(
                                sqlstate::INVALID_PARAMETER_VALUE,
                                "argument of nth_value must be greater than zero",
                            ))
                        }
                    },
                };
                out.push(match position {
                    Some(p) if p >= from && p < to => arg(0, p, ctx)?,
                    _ => Value::Null,
                });
            }
        }
        WindowFunction::Aggregate(aggregate) => {
            let value_of = |row: usize, ctx: &mut ExecContext| -> Result<Value> {
                match call.args.first() {
                    Some(expr) => eval(expr, rows[row], ctx),
                    None => Ok(Value::Null),
                }
            };
            // A frame that starts at the partition's start only grows: fold each row in once.
            let growing = call.frame.start == FrameBound::UnboundedPreceding;
            let mut accumulator = functions::accumulator(aggregate);
            let mut folded = 0;
            for row in 0..n {
                let (from, to) = frame_of(call, row, n, peer_start, peer_end);
                if growing {
                    while folded < to {
                        accumulator.update(&value_of(folded, ctx)?)?;
                        folded += 1;
                    }
                    out.push(accumulator.finish()?);
                } else {
                    let mut fresh = functions::accumulator(aggregate);
                    for r in from..to {
                        fresh.update(&value_of(r, ctx)?)?;
                    }
                    out.push(fresh.finish()?);
                }
            }
        }
    }
    Ok(out)
}

/// Row `row`'s frame as a range of partition positions `[from, to)` (empty when `from >= to`).
fn frame_of(call: &WindowCall, row: usize, n: usize, peer_start: &[usize], peer_end: &[usize]) -> (usize, usize) {
    let frame = &call.frame;
    let from = match frame.start {
        FrameBound::UnboundedPreceding => 0,
        FrameBound::Preceding(k) => row.saturating_sub(k as usize),
        FrameBound::CurrentRow if frame.rows => row,
        FrameBound::CurrentRow => peer_start[row],
        FrameBound::Following(k) => (row + k as usize).min(n),
        FrameBound::UnboundedFollowing => n,
    };
    let to = match frame.end {
        FrameBound::UnboundedPreceding => 0,
        FrameBound::Preceding(k) => (row + 1).saturating_sub(k as usize),
        FrameBound::CurrentRow if frame.rows => row + 1,
        FrameBound::CurrentRow => peer_end[row],
        FrameBound::Following(k) => (row + 1 + k as usize).min(n),
        FrameBound::UnboundedFollowing => n,
    };
    (from, to)
}
