//! `HashAggregate` / `Aggregate`: groups its input by the GROUP BY keys (hashing their key encodings)
//! and folds each aggregate over each group; outputs `keys ++ results`, one row per group, or exactly one
//! row when there is no GROUP BY. With GROUPING SETS / ROLLUP / CUBE each row joins one group per set,
//! whose keys outside the set are NULL. An ordered aggregate (`string_agg(x, ',' ORDER BY y)`, `percentile_cont
//! (0.5) WITHIN GROUP (ORDER BY x)`) keeps its group's values with their sort keys and folds them in order
//! when the group is complete.
//!
//! In a parallel plan the work is split as PostgreSQL splits it: a `Partial Aggregate` in each worker
//! outputs `keys ++ states` per group of its morsel, and the `Finalize Aggregate` over the `Gather` groups
//! those rows again and merges the states. Morsels come up in key order and each one's groups in the order
//! they first appear, so the groups come out in the order a single pass would give them.

use std::collections::HashMap;

use super::eval::eval;
use super::memory::{row_bytes, Reservation};
use super::sort::compare_values;
use super::{for_each_batch, Batch, BoxedOperator, ExecContext, Operator};
use crate::error::Result;
use crate::sql::functions::{self, Accumulator};
use crate::sql::plan::physical::AggregatePhase;
use crate::sql::plan::{AggregateCall, BoundExpr};
use crate::storage::keycode::encode_for_equality;
use crate::types::{Row, Value};

pub struct AggregateOp<'a> {
    input: Option<BoxedOperator<'a>>,
    group_by: &'a [BoundExpr],
    /// The grouping sets as indices into `group_by`; one set of all of them for a plain GROUP BY.
    sets: Vec<Vec<usize>>,
    aggregates: &'a [AggregateCall],
    phase: AggregatePhase,
    output: std::vec::IntoIter<Row>,
}

/// One group: its key row (NULL where its grouping set leaves a key out), its set, its aggregates' states.
struct Group {
    keys: Row,
    set: usize,
    folds: Vec<Fold>,
}

impl<'a> AggregateOp<'a> {
    pub fn new(
        input: BoxedOperator<'a>,
        group_by: &'a [BoundExpr],
        grouping_sets: &'a [Vec<usize>],
        aggregates: &'a [AggregateCall],
        phase: AggregatePhase,
    ) -> Self {
        let sets = if grouping_sets.is_empty() { vec![(0..group_by.len()).collect()] } else { grouping_sets.to_vec() };
        AggregateOp { input: Some(input), group_by, sets, aggregates, phase, output: Vec::new().into_iter() }
    }

    fn new_folds(&self) -> Vec<Fold> {
        self.aggregates
            .iter()
            .map(|a| {
                let accumulator = functions::accumulator(&a.aggregate);
                if a.order_by.is_empty() {
                    Fold::InInputOrder(accumulator)
                } else {
                    Fold::Sorted(accumulator, Vec::new())
                }
            })
            .collect()
    }

    /// Whether only the number of input rows matters: one group (no GROUP BY), aggregates without an
    /// argument (`count(*)`), and not a `Finalize Aggregate` (which merges its input's states).
    fn counts_rows_only(&self) -> bool {
        self.group_by.is_empty()
            && self.sets.len() == 1
            && self.phase != AggregatePhase::Finalize
            && self.aggregates.iter().all(|a| a.arg.is_none() && a.order_by.is_empty() && a.grouping.is_empty())
    }

    /// Folds one input row into a group's aggregates.
    fn fold_row(
        &self,
        folds: &mut [Fold],
        row: &[Value],
        reservation: &mut Reservation,
        ctx: &mut ExecContext<'a>,
    ) -> Result<()> {
        for (call, fold) in self.aggregates.iter().zip(folds.iter_mut()) {
            if !call.grouping.is_empty() {
                continue;
            }
            let value = match &call.arg {
                Some(arg) => eval(arg, row, ctx)?,
                None => Value::Null,
            };
            match fold {
                Fold::InInputOrder(accumulator) if self.phase == AggregatePhase::Finalize => {
                    accumulator.merge_partial(&value)?
                }
                Fold::InInputOrder(accumulator) => {
                    // An aggregate that keeps its input (string_agg, array_agg, ...) holds memory as it goes.
                    if accumulator.retains_input() && !value.is_null() {
                        reservation.grow(row_bytes(std::slice::from_ref(&value)))?;
                    }
                    accumulator.update(&value)?
                }
                Fold::Sorted(_, pending) => {
                    let keys = call.order_by.iter().map(|o| eval(&o.expr, row, ctx)).collect::<Result<Row>>()?;
                    reservation.grow(row_bytes(&keys) + row_bytes(std::slice::from_ref(&value)))?;
                    pending.push((keys, value));
                }
            }
        }
        Ok(())
    }

    fn aggregate(&self, input: &mut BoxedOperator<'a>, ctx: &mut ExecContext<'a>) -> Result<Vec<Row>> {
        let mut reservation = ctx.memory.reservation();
        let mut index: HashMap<Vec<u8>, usize> = HashMap::new();
        let mut groups: Vec<Group> = Vec::new();
        // A set without keys (no GROUP BY, or `()`) has its one group even when there are no rows.
        for (set, keys) in self.sets.iter().enumerate() {
            if keys.is_empty() {
                index.insert(set.to_be_bytes().to_vec(), groups.len());
                groups.push(Group { keys: vec![Value::Null; self.group_by.len()], set, folds: self.new_folds() });
            }
        }
        // Reused for every row: a row allocates only when it starts a new group.
        let mut values: Row = Vec::with_capacity(self.group_by.len());
        let mut encoded: Vec<u8> = Vec::new();
        let single_set = self.sets.len() == 1;
        if self.counts_rows_only() {
            // Its rows' values are never looked at: the input steps over them where it can without building
            // them (a table read without decoding, or decoding only what its filter reads), and whatever it
            // cannot step over is read below.
            loop {
                let rows = input.skip(usize::MAX, ctx)?;
                if rows == 0 {
                    break;
                }
                for fold in &mut groups[0].folds {
                    if let Fold::InInputOrder(accumulator) = fold {
                        accumulator.update_repeated(&Value::Null, rows)?;
                    }
                }
            }
        }
        for_each_batch(input, ctx, |batch, ctx| {
            for row in batch {
                values.clear();
                for expr in self.group_by {
                    values.push(eval(expr, &row, ctx)?);
                }
                for (set, members) in self.sets.iter().enumerate() {
                    // No GROUP BY: the one group, without hashing every row.
                    if members.is_empty() && single_set {
                        self.fold_row(&mut groups[0].folds, &row, &mut reservation, ctx)?;
                        continue;
                    }
                    encoded.clear();
                    if !single_set {
                        encoded.extend_from_slice(&set.to_be_bytes());
                    }
                    for &i in members {
                        encode_for_equality(&mut encoded, &values[i]);
                    }
                    let position = match index.get(encoded.as_slice()) {
                        Some(&position) => position,
                        None => {
                            let mut keys = vec![Value::Null; values.len()];
                            for &i in members {
                                keys[i] = values[i].clone();
                            }
                            // The keys twice (the group and the hash table's encoding) and its accumulators.
                            reservation.grow(2 * row_bytes(&keys) + 64 * self.aggregates.len())?;
                            groups.push(Group { keys, set, folds: self.new_folds() });
                            index.insert(encoded.clone(), groups.len() - 1);
                            groups.len() - 1
                        }
                    };
                    self.fold_row(&mut groups[position].folds, &row, &mut reservation, ctx)?;
                }
            }
            Ok(())
        })?;
        let mut out = Vec::with_capacity(groups.len());
        for Group { mut keys, set, folds } in groups {
            keys.reserve(folds.len());
            for (call, fold) in self.aggregates.iter().zip(folds) {
                keys.push(if !call.grouping.is_empty() {
                    Value::Int(grouping_bits(&call.grouping, &self.sets[set]))
                } else if self.phase == AggregatePhase::Partial {
                    fold.partial_state()?
                } else {
                    fold.finish(call)?
                });
            }
            out.push(keys);
        }
        Ok(out)
    }
}

/// One aggregate's state in one group.
enum Fold {
    InInputOrder(Box<dyn Accumulator>),
    /// An ordered aggregate: its (sort keys, value) pairs, folded in order at the end.
    Sorted(Box<dyn Accumulator>, Vec<(Row, Value)>),
}

impl Fold {
    /// A `Partial Aggregate`'s output (only aggregates in input order are split).
    fn partial_state(&self) -> Result<Value> {
        match self {
            Fold::InInputOrder(accumulator) => accumulator.partial_state(),
            Fold::Sorted(..) => Err(crate::error::Error::internal("an ordered aggregate is not computed in parts")),
        }
    }

    fn finish(self, call: &AggregateCall) -> Result<Value> {
        match self {
            Fold::InInputOrder(accumulator) => accumulator.finish(),
            Fold::Sorted(mut accumulator, mut pending) => {
                // Stable: equal keys keep their input order, as PostgreSQL's sort in practice does.
                pending.sort_by(|(a, _), (b, _)| {
                    call.order_by
                        .iter()
                        .zip(a.iter().zip(b))
                        .map(|(o, (x, y))| compare_values(x, y, o.descending, o.nulls_first))
                        .find(|ordering| ordering.is_ne())
                        .unwrap_or(std::cmp::Ordering::Equal)
                });
                for (_, value) in &pending {
                    accumulator.update(value)?;
                }
                accumulator.finish()
            }
        }
    }
}

/// `GROUPING(args)` for a group of grouping set `set`: one bit per argument, the last the lowest, set when
/// the argument is not one of the set's keys.
fn grouping_bits(args: &[usize], set: &[usize]) -> i64 {
    args.iter().fold(0, |bits, arg| (bits << 1) | i64::from(!set.contains(arg)))
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
