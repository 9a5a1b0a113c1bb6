//! `Append` / `SetOp`: UNION / INTERSECT / EXCEPT [ALL] over whole rows; rows are equal when their key
//! encodings are (NULLs equal each other, as set operations treat them). UNION ALL streams both inputs;
//! the others read both first.

use std::collections::{HashMap, HashSet};

use super::{drain, encode_values, Batch, BoxedOperator, ExecContext, Operator};
use crate::error::Result;
use crate::sql::ast::SetOperator;
use crate::types::Row;

pub struct SetOperationOp<'a> {
    op: SetOperator,
    all: bool,
    left: Option<BoxedOperator<'a>>,
    right: Option<BoxedOperator<'a>>,
    output: Option<std::vec::IntoIter<Row>>,
    reservation: Option<super::memory::Reservation>,
}

impl<'a> SetOperationOp<'a> {
    pub fn new(op: SetOperator, all: bool, left: BoxedOperator<'a>, right: BoxedOperator<'a>) -> Self {
        SetOperationOp { op, all, left: Some(left), right: Some(right), output: None, reservation: None }
    }
}

impl<'a> Operator<'a> for SetOperationOp<'a> {
    fn pull(&mut self, ctx: &mut ExecContext<'a>) -> Result<Option<Batch>> {
        if self.op == SetOperator::Union && self.all {
            for side in [&mut self.left, &mut self.right] {
                if let Some(input) = side {
                    if let Some(batch) = input.next(ctx)? {
                        return Ok(Some(batch));
                    }
                    *side = None;
                }
            }
            return Ok(None);
        }
        if self.output.is_none() {
            let left = match self.left.take() {
                Some(mut input) => drain(&mut input, ctx)?,
                None => Vec::new(),
            };
            let right = match self.right.take() {
                Some(mut input) => drain(&mut input, ctx)?,
                None => Vec::new(),
            };
            let mut reservation = ctx.memory.reservation();
            reservation.grow_rows(&left)?;
            reservation.grow_rows(&right)?;
            self.reservation = Some(reservation);
            self.output = Some(set_operation_rows(self.op, self.all, left, right).into_iter());
        }
        let output = self.output.as_mut().expect("computed above");
        let batch: Batch = output.by_ref().take(ctx.batch_size).collect();
        Ok(if batch.is_empty() { None } else { Some(batch) })
    }
}
/// UNION / INTERSECT / EXCEPT of two row sets; without ALL the result is distinct.
fn set_operation_rows(op: SetOperator, all: bool, mut left: Vec<Row>, right: Vec<Row>) -> Vec<Row> {
    match op {
        SetOperator::Union if all => {
            left.extend(right);
            left
        }
        SetOperator::Union => {
            let mut seen = HashSet::with_capacity(left.len() + right.len());
            left.into_iter().chain(right).filter(|row| seen.insert(encode_values(row))).collect()
        }
        SetOperator::Intersect | SetOperator::Except => {
            let mut right_counts: HashMap<Vec<u8>, usize> = HashMap::with_capacity(right.len());
            for row in &right {
                *right_counts.entry(encode_values(row)).or_default() += 1;
            }
            let mut seen = HashSet::new();
            let mut out = Vec::new();
            for row in left {
                let key = encode_values(&row);
                let in_right = right_counts.get_mut(&key);
                let keep = match (op, all) {
                    // ALL: each right row cancels (INTERSECT: pairs with) one left row.
                    (SetOperator::Intersect, true) => match in_right {
                        Some(count) if *count > 0 => {
                            *count -= 1;
                            true
                        }
                        _ => false,
                    },
                    (SetOperator::Except, true) => match in_right {
                        Some(count) if *count > 0 => {
                            *count -= 1;
                            false
                        }
                        _ => true,
                    },
                    (SetOperator::Intersect, false) => in_right.is_some() && seen.insert(key),
                    _ => in_right.is_none() && seen.insert(key),
                };
                if keep {
                    out.push(row);
                }
            }
            out
        }
    }
}
