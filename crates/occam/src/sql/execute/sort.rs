//! `Sort`: reads its whole input and sorts it by the ORDER BY keys (NULLS FIRST/LAST as asked), stably:
//! rows with equal keys stay in their input's order. Under a LIMIT it is a top-N sort: it keeps at most
//! about twice the rows LIMIT + OFFSET needs while reading, and once it holds that many, a row that does
//! not sort before the last of them is dropped after one comparison. Its answer is the first rows of the
//! stable sort of its whole input, so a top-N sort of each morsel under a `Gather` followed by one over
//! their rows in morsel order (`optimize::parallel`) gives exactly the serial answer.

use std::cmp::Ordering;

use super::memory::Reservation;
use super::{eval_count, for_each_batch, Batch, BoxedOperator, ExecContext, Operator};
use crate::error::Result;
use crate::sql::plan::physical::LimitCount;
use crate::sql::plan::SortKey;
use crate::types::{Row, Value};

pub struct SortOp<'a> {
    id: usize,
    input: Option<BoxedOperator<'a>>,
    keys: &'a [SortKey],
    limit: Option<&'a LimitCount>,
    output: std::vec::IntoIter<Row>,
    reservation: Option<Reservation>,
}

impl<'a> SortOp<'a> {
    pub fn new(id: usize, input: BoxedOperator<'a>, keys: &'a [SortKey], limit: Option<&'a LimitCount>) -> Self {
        SortOp { id, input: Some(input), keys, limit, output: Vec::new().into_iter(), reservation: None }
    }
}

/// Orders two rows by `keys`.
pub fn compare_rows(a: &Row, b: &Row, keys: &[SortKey]) -> Ordering {
    for key in keys {
        let order = compare_values(&a[key.column], &b[key.column], key.descending, key.nulls_first);
        if order != Ordering::Equal {
            return order;
        }
    }
    Ordering::Equal
}

/// Orders two values as one ORDER BY key does.
pub fn compare_values(x: &Value, y: &Value, descending: bool, nulls_first: bool) -> Ordering {
    match (x.is_null(), y.is_null()) {
        (true, true) => Ordering::Equal,
        (true, false) if nulls_first => Ordering::Less,
        (true, false) => Ordering::Greater,
        (false, true) if nulls_first => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) if descending => x.total_cmp(y).reverse(),
        (false, false) => x.total_cmp(y),
    }
}

/// The first `keep` rows of the stable sort of `input` by `keys`. Rows are gathered in input order; once
/// there are more than `room`, they are sorted and cut to the best `keep`, and from then on (`full`)
/// `rows[keep - 1]` is the row a newcomer must sort before to be gathered at all.
fn top_n<'a>(
    input: &mut BoxedOperator<'a>,
    ctx: &mut ExecContext<'a>,
    keys: &[SortKey],
    keep: usize,
    reservation: &mut Reservation,
) -> Result<Vec<Row>> {
    let mut rows: Vec<Row> = Vec::new();
    let mut full = false;
    let room = keep.max(512).saturating_mul(2);
    for_each_batch(input, ctx, |batch, _| {
        if keep == 0 {
            return Ok(());
        }
        let start = rows.len();
        for row in batch {
            if full && compare_rows(&row, &rows[keep - 1], keys) != Ordering::Less {
                continue;
            }
            rows.push(row);
        }
        reservation.grow_rows(&rows[start..])?;
        if rows.len() > room {
            rows.sort_by(|a, b| compare_rows(a, b, keys));
            rows.truncate(keep);
            full = true;
            reservation.release();
            reservation.grow_rows(&rows)?;
        }
        Ok(())
    })?;
    rows.sort_by(|a, b| compare_rows(a, b, keys));
    rows.truncate(keep);
    Ok(rows)
}

impl<'a> Operator<'a> for SortOp<'a> {
    fn pull(&mut self, ctx: &mut ExecContext<'a>) -> Result<Option<Batch>> {
        if let Some(mut input) = self.input.take() {
            let keep = match self.limit {
                Some(count) => {
                    let limit = eval_count(count.limit.as_ref(), ctx, "LIMIT")?;
                    let offset = eval_count(count.offset.as_ref(), ctx, "OFFSET")?.unwrap_or(0);
                    limit.map(|l| l.saturating_add(offset))
                }
                None => None,
            };
            let keys = self.keys;
            let reservation = self.reservation.get_or_insert_with(|| ctx.memory.reservation());
            let rows = match keep {
                None => {
                    let mut rows: Vec<Row> = Vec::new();
                    for_each_batch(&mut input, ctx, |batch, _| {
                        reservation.grow_rows(&batch)?;
                        rows.extend(batch);
                        Ok(())
                    })?;
                    rows.sort_by(|a, b| compare_rows(a, b, keys));
                    rows
                }
                Some(keep) => top_n(&mut input, ctx, keys, keep, reservation)?,
            };
            let bytes = self.reservation.as_ref().map_or(0, Reservation::bytes);
            if let Some(stats) = ctx.stats_mut(self.id) {
                stats.sort_bytes = stats.sort_bytes.max(bytes as u64);
            }
            self.output = rows.into_iter();
        }
        let batch: Batch = self.output.by_ref().take(ctx.batch_size).collect();
        Ok(if batch.is_empty() { None } else { Some(batch) })
    }
}
