//! `HashAggregate` / `Aggregate`: groups its input by the GROUP BY keys (hashing their key encodings)
//! and folds each aggregate over each group; outputs `keys ++ results`, one row per group, or exactly one
//! row when there is no GROUP BY.

use std::collections::HashMap;

use super::eval::eval;
use super::memory::row_bytes;
use super::{for_each_batch, Batch, BoxedOperator, ExecContext, Operator};
use crate::error::Result;
use crate::sql::functions::{self, Accumulator};
use crate::sql::plan::{AggregateCall, BoundExpr};
use crate::storage::keycode::encode_for_equality;
use crate::types::{Row, Value};

pub struct AggregateOp<'a> {
    input: Option<BoxedOperator<'a>>,
    group_by: &'a [BoundExpr],
    aggregates: &'a [AggregateCall],
    output: std::vec::IntoIter<Row>,
}

impl<'a> AggregateOp<'a> {
    pub fn new(input: BoxedOperator<'a>, group_by: &'a [BoundExpr], aggregates: &'a [AggregateCall]) -> Self {
        AggregateOp { input: Some(input), group_by, aggregates, output: Vec::new().into_iter() }
    }

    fn aggregate(&self, input: &mut BoxedOperator<'a>, ctx: &mut ExecContext<'a>) -> Result<Vec<Row>> {
        let mut reservation = ctx.memory.reservation();
        let mut index: HashMap<Vec<u8>, usize> = HashMap::new();
        let mut groups: Vec<(Row, Vec<Box<dyn Accumulator>>)> = Vec::new();
        let new_accumulators =
            || self.aggregates.iter().map(|a| functions::accumulator(&a.aggregate)).collect::<Vec<_>>();
        if self.group_by.is_empty() {
            groups.push((Vec::new(), new_accumulators()));
        }
        // Reused for every row: a row allocates only when it starts a new group.
        let mut keys: Row = Vec::with_capacity(self.group_by.len());
        let mut encoded: Vec<u8> = Vec::new();
        for_each_batch(input, ctx, |batch, ctx| {
            for row in batch {
                let position = if self.group_by.is_empty() {
                    0
                } else {
                    keys.clear();
                    encoded.clear();
                    for expr in self.group_by {
                        let key = eval(expr, &row, ctx)?;
                        encode_for_equality(&mut encoded, &key);
                        keys.push(key);
                    }
                    match index.get(encoded.as_slice()) {
                        Some(&position) => position,
                        None => {
                            // The keys twice (the group and the hash table's encoding) and its accumulators.
                            reservation.grow(2 * row_bytes(&keys) + 64 * self.aggregates.len())?;
                            groups.push((keys.clone(), new_accumulators()));
                            index.insert(encoded.clone(), groups.len() - 1);
                            groups.len() - 1
                        }
                    }
                };
                for (call, accumulator) in self.aggregates.iter().zip(groups[position].1.iter_mut()) {
                    match &call.arg {
                        Some(arg) => accumulator.update(&eval(arg, &row, ctx)?)?,
                        None => accumulator.update(&Value::Null)?,
                    }
                }
            }
            Ok(())
        })?;
        let mut out = Vec::with_capacity(groups.len());
        for (mut keys, accumulators) in groups {
            keys.reserve(accumulators.len());
            for accumulator in &accumulators {
                keys.push(accumulator.finish()?);
            }
            out.push(keys);
        }
        Ok(out)
    }
}

impl<'a> Operator<'a> for AggregateOp<'a> {
    fn pull(&mut self, ctx: &mut ExecContext<'a>) -> Result<Option<Batch>> {
        if let Some(mut input) = self.input.take() {
            self.output = self.aggregate(&mut input, ctx)?.into_iter();
        }
        let batch: Batch = self.output.by_ref().take(ctx.batch_size).collect();
        Ok(if batch.is_empty() { None } else { Some(batch) })
    }
}
