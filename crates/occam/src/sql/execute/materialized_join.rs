//! `Hash Join` and `Nested Loop` (without lookups): the right input is read once and kept, then each
//! left row meets its candidates — the right rows in its hash bucket (equal join keys), or every right row.
//! Unmatched right rows of RIGHT / FULL joins come out at the end.

use std::collections::HashMap;

use super::join::{after_left_row, hash_key, joined_row, keeps_right, matching, right_only, yields_left_rows};
use super::memory::Reservation;
use super::{for_each_batch, Batch, BoxedOperator, ExecContext, Operator};
use crate::error::Result;
use crate::interrupt::CHECK_EVERY;
use crate::sql::plan::physical::Join;
use crate::sql::plan::BoundExpr;
use crate::types::{Row, Value};

pub struct MaterializedJoinOp<'a> {
    join: &'a Join,
    left: BoxedOperator<'a>,
    right: Option<BoxedOperator<'a>>,
    keys: Option<(&'a [BoundExpr], &'a [BoundExpr])>,
    right_rows: Vec<Row>,
    buckets: Option<HashMap<Vec<u8>, Vec<usize>>>,
    right_matched: Vec<bool>,
    left_done: bool,
    finished: bool,
    reservation: Option<Reservation>,
    /// Candidate pairs tried since the last interrupt check (a nested loop may try millions per batch).
    pairs: usize,
}

impl<'a> MaterializedJoinOp<'a> {
    pub fn new(
        join: &'a Join,
        left: BoxedOperator<'a>,
        right: BoxedOperator<'a>,
        keys: Option<(&'a Vec<BoundExpr>, &'a Vec<BoundExpr>)>,
    ) -> Self {
        MaterializedJoinOp {
            join,
            left,
            right: Some(right),
            keys: keys.map(|(l, r)| (l.as_slice(), r.as_slice())),
            right_rows: Vec::new(),
            buckets: None,
            right_matched: Vec::new(),
            left_done: false,
            finished: false,
            reservation: None,
            pairs: 0,
        }
    }

    fn load_right(&mut self, mut right: BoxedOperator<'a>, ctx: &mut ExecContext<'a>) -> Result<()> {
        let mut reservation = ctx.memory.reservation();
        let mut rows = Vec::new();
        for_each_batch(&mut right, ctx, |batch, _| {
            // The rows, and a hash table entry each when hashing.
            reservation.grow_rows(&batch)?;
            reservation.grow(48 * batch.len())?;
            rows.extend(batch);
            Ok(())
        })?;
        self.right_rows = rows;
        self.reservation = Some(reservation);
        if keeps_right(self.join.kind) {
            self.right_matched = vec![false; self.right_rows.len()];
        }
        if let Some((_, right_keys)) = self.keys {
            let mut buckets: HashMap<Vec<u8>, Vec<usize>> = HashMap::with_capacity(self.right_rows.len());
            // Right keys are bound against the joined row, so they are evaluated with the left part NULL.
            let mut padded = vec![Value::Null; self.join.left_width];
            for (i, row) in self.right_rows.iter().enumerate() {
                padded.truncate(self.join.left_width);
                padded.extend_from_slice(row);
                if let Some(key) = hash_key(right_keys, &padded, ctx)? {
                    buckets.entry(key).or_default().push(i);
                }
            }
            self.buckets = Some(buckets);
        }
        Ok(())
    }

    fn join_left_row(&mut self, left: &[Value], out: &mut Batch, ctx: &mut ExecContext<'a>) -> Result<()> {
        let every;
        let candidates: &[usize] = match (&self.buckets, self.keys) {
            (Some(buckets), Some((left_keys, _))) => match hash_key(left_keys, left, ctx)? {
                Some(key) => buckets.get(&key).map(Vec::as_slice).unwrap_or(&[]),
                None => &[],
            },
            _ => {
                every = (0..self.right_rows.len()).collect::<Vec<_>>();
                &every
            }
        };
        self.pairs += candidates.len();
        if self.pairs >= CHECK_EVERY {
            self.pairs = 0;
            ctx.check_interrupts()?;
        }
        let mut matched = false;
        for &i in candidates {
            let row = joined_row(left, &self.right_rows[i], self.join.merged.len());
            if let Some(row) = matching(self.join, row, ctx)? {
                matched = true;
                if yields_left_rows(self.join.kind) {
                    break;
                }
                if let Some(flag) = self.right_matched.get_mut(i) {
                    *flag = true;
                }
                out.push(row);
            }
        }
        out.extend(after_left_row(self.join, left, matched, ctx)?);
        Ok(())
    }
}

impl<'a> Operator<'a> for MaterializedJoinOp<'a> {
    fn pull(&mut self, ctx: &mut ExecContext<'a>) -> Result<Option<Batch>> {
        if let Some(right) = self.right.take() {
            self.load_right(right, ctx)?;
        }
        while !self.left_done {
            let Some(batch) = self.left.next(ctx)? else {
                self.left_done = true;
                break;
            };
            let mut out = Vec::new();
            for left in &batch {
                self.join_left_row(left, &mut out, ctx)?;
            }
            if !out.is_empty() {
                return Ok(Some(out));
            }
        }
        if self.finished || !keeps_right(self.join.kind) {
            return Ok(None);
        }
        self.finished = true;
        let mut out = Vec::new();
        for (row, matched) in self.right_rows.iter().zip(&self.right_matched) {
            if !matched {
                out.push(right_only(self.join, row, ctx)?);
            }
        }
        Ok(if out.is_empty() { None } else { Some(out) })
    }
}
