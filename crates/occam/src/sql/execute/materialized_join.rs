//! `Hash Join` and `Nested Loop` (without lookups): the right input is read once and kept, then each
//! left row meets its candidates — the right rows with equal join keys (found through a hash table), or
//! every right row. Unmatched right rows of RIGHT / FULL joins come out at the end.
//!
//! The hash table is flat (a bucket array and per-row chains, hashes and encoded keys in a few vectors,
//! no allocation per row), so that probing a million left rows stays in cache. In a parallel plan the
//! workers share one right input: the first worker to need it builds it (`SharedBuilds`), the others wait
//! for it, as PostgreSQL's Parallel Hash does.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;
use xxhash_rust::xxh3::xxh3_64;

use super::join::{after_left_row, encode_key, joined_row, keeps_right, matching, right_only, yields_left_rows};
use super::memory::{row_bytes, Reservation};
use super::{for_each_batch, Batch, BoxedOperator, ExecContext, Operator};
use crate::error::Result;
use crate::interrupt::CHECK_EVERY;
use crate::sql::ast::JoinKind;
use crate::sql::plan::physical::Join;
use crate::sql::plan::BoundExpr;
use crate::types::{Row, Value};

pub struct MaterializedJoinOp<'a> {
    /// The join node's id (which right input a parallel plan's workers share).
    id: usize,
    join: &'a Join,
    left: BoxedOperator<'a>,
    right: Option<BoxedOperator<'a>>,
    keys: Option<(&'a [BoundExpr], &'a [BoundExpr])>,
    built: Option<Arc<BuiltRight>>,
    right_matched: Vec<bool>,
    left_done: bool,
    finished: bool,
    reservation: Option<Reservation>,
    /// A left row's encoded join key (one buffer for all).
    probe: Vec<u8>,
    /// Candidate pairs tried since the last interrupt check (a nested loop may try millions per batch).
    pairs: usize,
}

/// The right input, read once: its rows and, for a hash join, the table from join keys to them.
pub struct BuiltRight {
    rows: Vec<Row>,
    table: Option<KeyTable>,
    /// What the rows and the table take in memory: each operator using them charges it to its budget.
    bytes: usize,
}

/// Right inputs built once for all of a parallel plan's workers, by join node id.
#[derive(Default)]
pub struct SharedBuilds {
    slots: Mutex<HashMap<usize, Arc<BuildSlot>>>,
}

/// One join's right input once a worker built it; locked while it is being built.
type BuildSlot = Mutex<Option<Arc<BuiltRight>>>;

/// Rows by the encoded values of their join keys: a chained hash table over flat vectors.
struct KeyTable {
    /// Per bucket: 1 + the first row of its chain, or 0.
    heads: Vec<u32>,
    /// Per row: 1 + the next row of its bucket's chain, or 0. Chains run in row order.
    next: Vec<u32>,
    hashes: Vec<u64>,
    /// Row i's encoded key is `encoded[ends[i - 1]..ends[i]]` (empty for a NULL key, never chained).
    ends: Vec<usize>,
    encoded: Vec<u8>,
}

impl KeyTable {
    fn build(rows: &[Row], right_keys: &[BoundExpr], left_width: usize, ctx: &mut ExecContext) -> Result<Self> {
        let mut ends = Vec::with_capacity(rows.len());
        let mut encoded = Vec::new();
        let mut hashes = Vec::with_capacity(rows.len());
        // Right keys are bound against the joined row, so they are evaluated with the left part NULL.
        let mut padded = vec![Value::Null; left_width];
        let mut key = Vec::new();
        for row in rows {
            padded.truncate(left_width);
            padded.extend_from_slice(row);
            let present = encode_key(right_keys, &padded, ctx, &mut key)?;
            if present {
                encoded.extend_from_slice(&key);
            }
            hashes.push(if present { xxh3_64(&key) } else { 0 });
            ends.push(encoded.len());
        }
        let buckets = rows.len().max(1).next_power_of_two();
        let mut table = KeyTable { heads: vec![0u32; buckets], next: vec![0u32; rows.len()], hashes, ends, encoded };
        // Pushed at the chains' heads from the last row back, so that each chain runs in row order. A NULL
        // key's encoding is empty (a present value's never is: it starts with its tag).
        for i in (0..rows.len()).rev() {
            if table.key(i).is_empty() {
                continue;
            }
            let bucket = table.hashes[i] as usize & (buckets - 1);
            table.next[i] = table.heads[bucket];
            table.heads[bucket] = u32::try_from(i + 1).expect("fewer than 2^32 rows in a hash join");
        }
        Ok(table)
    }

    fn key(&self, row: usize) -> &[u8] {
        let start = if row == 0 { 0 } else { self.ends[row - 1] };
        &self.encoded[start..self.ends[row]]
    }

    /// The rows whose key is `key`, in row order.
    fn matches<'t>(&'t self, key: &'t [u8]) -> impl Iterator<Item = usize> + 't {
        let hash = xxh3_64(key);
        let mut at = self.heads[hash as usize & (self.heads.len() - 1)];
        std::iter::from_fn(move || {
            while at != 0 {
                let row = at as usize - 1;
                at = self.next[row];
                if self.hashes[row] == hash && self.key(row) == key {
                    return Some(row);
                }
            }
            None
        })
    }

    fn bytes(&self) -> usize {
        4 * (self.heads.len() + self.next.len()) + 8 * (self.hashes.len() + self.ends.len()) + self.encoded.len()
    }
}

impl<'a> MaterializedJoinOp<'a> {
    pub fn new(
        id: usize,
        join: &'a Join,
        left: BoxedOperator<'a>,
        right: BoxedOperator<'a>,
        keys: Option<(&'a Vec<BoundExpr>, &'a Vec<BoundExpr>)>,
    ) -> Self {
        MaterializedJoinOp {
            id,
            join,
            left,
            right: Some(right),
            keys: keys.map(|(l, r)| (l.as_slice(), r.as_slice())),
            built: None,
            right_matched: Vec::new(),
            left_done: false,
            finished: false,
            reservation: None,
            probe: Vec::new(),
            pairs: 0,
        }
    }

    /// Reads the right input, or takes the one a parallel plan's first worker read; charges it to this
    /// operator's budget.
    fn load_right(&mut self, right: BoxedOperator<'a>, ctx: &mut ExecContext<'a>) -> Result<()> {
        // Unmatched right rows (RIGHT / FULL) are known only to the one operator that saw every left row.
        let shared = ctx.shared_builds.clone().filter(|_| !keeps_right(self.join.kind));
        let built = match shared {
            Some(shared) => {
                let slot = Arc::clone(shared.slots.lock().entry(self.id).or_default());
                let mut slot = slot.lock();
                match &*slot {
                    Some(built) => Arc::clone(built),
                    None => {
                        let built = Arc::new(self.build_right(right, ctx)?);
                        *slot = Some(Arc::clone(&built));
                        built
                    }
                }
            }
            None => Arc::new(self.build_right(right, ctx)?),
        };
        let mut reservation = ctx.memory.reservation();
        reservation.grow(built.bytes)?;
        self.reservation = Some(reservation);
        if keeps_right(self.join.kind) {
            self.right_matched = vec![false; built.rows.len()];
        }
        self.built = Some(built);
        Ok(())
    }

    fn build_right(&self, mut right: BoxedOperator<'a>, ctx: &mut ExecContext<'a>) -> Result<BuiltRight> {
        // Charged while it is read, so that a right input too large fails early.
        let mut reservation = ctx.memory.reservation();
        let mut rows = Vec::new();
        let mut bytes = 0;
        for_each_batch(&mut right, ctx, |batch, _| {
            let batch_bytes = batch.iter().map(|row| row_bytes(row)).sum::<usize>();
            reservation.grow(batch_bytes)?;
            bytes += batch_bytes;
            rows.extend(batch);
            Ok(())
        })?;
        let table = match self.keys {
            Some((_, right_keys)) => Some(KeyTable::build(&rows, right_keys, self.join.left_width, ctx)?),
            None => None,
        };
        bytes += table.as_ref().map_or(0, KeyTable::bytes);
        Ok(BuiltRight { rows, table, bytes })
    }

    fn join_left_row(
        &mut self,
        built: &BuiltRight,
        left: Row,
        out: &mut Batch,
        ctx: &mut ExecContext<'a>,
    ) -> Result<()> {
        let candidates: Box<dyn Iterator<Item = usize> + '_> = match (&built.table, self.keys) {
            (Some(table), Some((left_keys, _))) => {
                if encode_key(left_keys, &left, ctx, &mut self.probe)? {
                    Box::new(table.matches(&self.probe))
                } else {
                    Box::new(std::iter::empty())
                }
            }
            _ => Box::new(0..built.rows.len()),
        };
        let mut matched = false;
        // An inner join's left row is not needed once joined: its last candidate takes it instead of a copy.
        let mut left = Some(left);
        let mut candidates = candidates.peekable();
        let mut pairs = 0;
        while let Some(i) = candidates.next() {
            pairs += 1;
            let last = candidates.peek().is_none();
            let right = &built.rows[i];
            let row = match left.take_if(|_| last && self.join.kind == JoinKind::Inner) {
                Some(mut row) => {
                    row.reserve(right.len() + self.join.merged.len());
                    row.extend_from_slice(right);
                    row
                }
                None => joined_row(left.as_deref().expect("kept for other candidates"), right, self.join.merged.len()),
            };
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
        self.pairs += pairs;
        if self.pairs >= CHECK_EVERY {
            self.pairs = 0;
            ctx.check_interrupts()?;
        }
        if let Some(left) = left {
            out.extend(after_left_row(self.join, &left, matched, ctx)?);
        }
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
            let mut out = Vec::with_capacity(batch.len());
            // One reference for the batch: the workers of a parallel plan share it.
            let built = Arc::clone(self.built.as_ref().expect("the right input is read first"));
            for left in batch {
                self.join_left_row(&built, left, &mut out, ctx)?;
            }
            if !out.is_empty() {
                return Ok(Some(out));
            }
        }
        if self.finished || !keeps_right(self.join.kind) {
            return Ok(None);
        }
        self.finished = true;
        let built = self.built.as_ref().expect("the right input is read first");
        let mut out = Vec::new();
        for (row, matched) in built.rows.iter().zip(&self.right_matched) {
            if !matched {
                out.push(right_only(self.join, row, ctx)?);
            }
        }
        Ok(if out.is_empty() { None } else { Some(out) })
    }
}
