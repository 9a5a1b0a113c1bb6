//! EXPLAIN ANALYZE's counters: an operator wrapped in [`Instrumented`] adds its rows, loops and time to
//! its node's [`NodeStats`] in the execution context (PostgreSQL's `instrument.c`).

use std::time::{Duration, Instant};

use super::{Batch, BoxedOperator, ExecContext, Operator};
use crate::error::Result;

/// What one plan node did, over all its loops.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NodeStats {
    /// Times the node was started (a lookup join's inner read runs once per outer batch).
    pub loops: u64,
    /// Rows it returned.
    pub rows: u64,
    /// Time until its first row, summed over loops.
    pub startup: Duration,
    /// Time spent in it and its inputs, summed over loops.
    pub total: Duration,
    /// Rows a table read dropped by its filter (DSQL's `Rows Filtered`).
    pub rows_filtered: u64,
    /// Sort: bytes of rows held.
    pub sort_bytes: u64,
    /// Whether a time was recorded for the current loop's first row.
    first_seen: bool,
}

impl NodeStats {
    /// Marks the start of a new loop.
    pub fn start_loop(&mut self) {
        self.first_seen = false;
    }

    /// Adds what another thread counted for the same node (a `Gather` worker's loops).
    pub fn add(&mut self, other: &NodeStats) {
        self.loops += other.loops;
        self.rows += other.rows;
        self.startup += other.startup;
        self.total += other.total;
        self.rows_filtered += other.rows_filtered;
        self.sort_bytes += other.sort_bytes;
    }
}

pub struct Instrumented<'a> {
    id: usize,
    inner: BoxedOperator<'a>,
    elapsed: Duration,
}

impl<'a> Instrumented<'a> {
    pub fn new(id: usize, inner: BoxedOperator<'a>) -> Self {
        Instrumented { id, inner, elapsed: Duration::ZERO }
    }
}

impl<'a> Operator<'a> for Instrumented<'a> {
    fn pull(&mut self, ctx: &mut ExecContext<'a>) -> Result<Option<Batch>> {
        let started = Instant::now();
        let batch = self.inner.next(ctx)?;
        let spent = started.elapsed();
        self.elapsed += spent;
        if let Some(stats) = ctx.stats_mut(self.id) {
            stats.total += spent;
            if let Some(batch) = &batch {
                stats.rows += batch.len() as u64;
                if !stats.first_seen {
                    stats.first_seen = true;
                    stats.startup += self.elapsed;
                }
            }
        }
        Ok(batch)
    }

    fn skip(&mut self, n: usize, ctx: &mut ExecContext<'a>) -> Result<usize> {
        let started = Instant::now();
        let skipped = self.inner.skip(n, ctx)?;
        let spent = started.elapsed();
        self.elapsed += spent;
        if let Some(stats) = ctx.stats_mut(self.id) {
            // Stepped-over rows count as returned, as PostgreSQL's scan under a Limit returns its OFFSET rows.
            stats.total += spent;
            stats.rows += skipped as u64;
        }
        Ok(skipped)
    }
}
