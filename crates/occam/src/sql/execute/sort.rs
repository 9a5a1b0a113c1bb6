//! `Sort`: reads its whole input and sorts it by the ORDER BY keys (NULLS FIRST/LAST as asked). Under a
//! LIMIT it is a top-N sort: it keeps at most about twice the rows LIMIT + OFFSET needs while reading
//! (selecting the best ones whenever the buffer fills), so memory stays bounded by the limit.

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
            let mut rows: Vec<Row> = Vec::new();
            let reservation = self.reservation.get_or_insert_with(|| ctx.memory.reservation());
            for_each_batch(&mut input, ctx, |batch, _| {
                reservation.grow_rows(&batch)?;
                rows.extend(batch);
                if let Some(keep) = keep {
                    if keep > 0 && rows.len() > keep.max(512).saturating_mul(2) {
                        rows.select_nth_unstable_by(keep - 1, |a, b| compare_rows(a, b, keys));
                        rows.truncate(keep);
                        reservation.release();
                        reservation.grow_rows(&rows)?;
                    }
                }
                Ok(())
            })?;
            rows.sort_by(|a, b| compare_rows(a, b, keys));
            if let Some(keep) = keep {
                rows.truncate(keep);
            }
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
