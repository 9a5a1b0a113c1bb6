//! `Recursive Union`: a `WITH RECURSIVE` query. The anchor's rows come out first; the rows a round
//! produced become the work table the next round's recursive term reads (`work_table_scan`), and the
//! recursive term is built and run again until a round adds nothing. Rows stream out as they are made,
//! so `LIMIT` over an unbounded recursion (`SELECT n + 1 FROM t`) stops it. Without ALL every row ever
//! produced is remembered and a repeated one is neither returned nor fed to the next round, which is what
//! ends a recursion over a cyclic graph.

use std::collections::HashSet;
use std::sync::Arc;

use super::memory::Reservation;
use super::{build, encode_values, Batch, BoxedOperator, ExecContext, Operator};
use crate::error::Result;
use crate::sql::plan::physical::PhysicalPlan;
use crate::types::Row;

pub struct RecursiveUnionOp<'a> {
    work_table: usize,
    all: bool,
    recursive: &'a PhysicalPlan,
    /// The anchor, then the current round's recursive term; None once a round added nothing.
    current: Option<BoxedOperator<'a>>,
    /// The rows this round added: the next round's work table.
    next_round: Vec<Row>,
    /// Without ALL: the key encoding of every row produced so far.
    seen: HashSet<Vec<u8>>,
    /// What `seen` holds.
    seen_reservation: Option<Reservation>,
    /// What the work table and `next_round` hold (released as a round's rows are no longer needed).
    rounds_reservation: Option<Reservation>,
}

impl<'a> RecursiveUnionOp<'a> {
    pub fn new(work_table: usize, all: bool, anchor: BoxedOperator<'a>, recursive: &'a PhysicalPlan) -> Self {
        RecursiveUnionOp {
            work_table,
            all,
            recursive,
            current: Some(anchor),
            next_round: Vec::new(),
            seen: HashSet::new(),
            seen_reservation: None,
            rounds_reservation: None,
        }
    }
}

impl<'a> Operator<'a> for RecursiveUnionOp<'a> {
    fn pull(&mut self, ctx: &mut ExecContext<'a>) -> Result<Option<Batch>> {
        let seen_reservation = self.seen_reservation.get_or_insert_with(|| ctx.memory.reservation());
        let rounds_reservation = self.rounds_reservation.get_or_insert_with(|| ctx.memory.reservation());
        loop {
            let Some(current) = self.current.as_mut() else { return Ok(None) };
            match current.next(ctx)? {
                Some(mut batch) => {
                    if !self.all {
                        let mut added = 0;
                        batch.retain(|row| {
                            let key = encode_values(row);
                            added += key.len();
                            self.seen.insert(key)
                        });
                        seen_reservation.grow(added)?;
                    }
                    if batch.is_empty() {
                        continue;
                    }
                    rounds_reservation.grow_rows(&batch)?;
                    self.next_round.extend(batch.iter().cloned());
                    return Ok(Some(batch));
                }
                None => {
                    self.current = None;
                    if self.next_round.is_empty() {
                        ctx.work_tables.retain(|(id, _)| *id != self.work_table);
                        return Ok(None);
                    }
                    // The previous work table goes; the new one stays while the next round is made.
                    let rows = Arc::new(std::mem::take(&mut self.next_round));
                    rounds_reservation.release();
                    rounds_reservation.grow_rows(&rows)?;
                    match ctx.work_tables.iter_mut().find(|(id, _)| *id == self.work_table) {
                        Some(slot) => slot.1 = rows,
                        None => ctx.work_tables.push((self.work_table, rows)),
                    }
                    self.current = Some(build(self.recursive, ctx)?);
                }
            }
        }
    }
}
