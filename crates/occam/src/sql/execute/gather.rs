//! `Gather`: runs its input in worker threads, one morsel (key range of the input's table read) at a time,
//! and hands the rows up morsel by morsel in key order, so its output is exactly its input's, sooner.
//!
//! ```text
//!   leader (this operator)             workers (threads of their own, each with its own executor)
//!     pull: the batches of morsel m,     take the next morsel in key order (never more than two
//!     in order; m+1 once m is done       per worker past the one the leader hands up), read it,
//!     waits, checking for a cancel       append its batches to the morsel's slot
//! ```
//! A worker reads through a read-only copy of the statement's transaction (the same snapshot and own
//! writes, `Transaction::statement_snapshot`) and its own copies of the plan, the parameters and the
//! function context (whose cancel flag and deadline are the statement's). A worker's error reaches the
//! leader at its next pull; a leader that stops early (an error above, a LIMIT) stops the workers at their
//! next batch. Memory: a morsel not yet handed up holds at most `SLOT_BATCHES` batches; a worker past that
//! waits. A locking query (whose reads must name every row key they return) runs the input itself.

use std::collections::{HashMap, VecDeque};
use std::ops::Bound;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::{Condvar, Mutex};

use super::instrument::NodeStats;
use super::join::SharedBuilds;
use super::memory::{MemoryBudget, MemoryLimits};
use super::{build, Batch, BoxedOperator, ExecContext, Operator};
use crate::error::{Error, Result};
use crate::sql::functions::FunctionContext;
use crate::sql::plan::physical::{KeySpan, PhysicalPlan};
use crate::storage::prefix_end;
use crate::txn::Transaction;
use crate::types::Value;

/// How many morsels per worker the workers may read past the one being handed up.
const AHEAD_PER_WORKER: usize = 2;
/// Batches a morsel not yet handed up may hold.
const SLOT_BATCHES: usize = 16;
/// How often a waiting leader looks at the statement's cancel flag and deadline.
const CANCEL_CHECK: Duration = Duration::from_millis(50);

pub struct GatherOp<'a> {
    input: &'a PhysicalPlan,
    workers: usize,
    splits: &'a [Vec<u8>],
    state: Running<'a>,
}

enum Running<'a> {
    NotStarted,
    /// The input run by the leader itself (a locking query).
    Serial(BoxedOperator<'a>),
    Parallel {
        shared: Arc<Shared>,
        current: usize,
        morsels: usize,
    },
}

/// What the leader and its workers share.
struct Shared {
    state: Mutex<State>,
    changed: Condvar,
    /// Set when the leader is gone or a worker failed: workers stop at their next batch.
    stop: AtomicBool,
    /// How many morsels past the one being handed up the workers may read (all of them busy, and each
    /// with one more to go on with).
    ahead: usize,
    /// The right inputs of hash joins under the `Gather`, read once for every worker and morsel.
    builds: Arc<SharedBuilds>,
}

#[derive(Default)]
struct State {
    /// The next morsel a worker takes.
    next_morsel: usize,
    /// The morsel the leader hands up (workers keep at most `Shared::ahead` morsels past it).
    current: usize,
    slots: HashMap<usize, Slot>,
    error: Option<Error>,
    /// Workers still running.
    running: usize,
    /// EXPLAIN ANALYZE: what the workers counted, per node id.
    stats: Option<Vec<NodeStats>>,
}

#[derive(Default)]
struct Slot {
    batches: VecDeque<Batch>,
    finished: bool,
}

impl<'a> GatherOp<'a> {
    pub fn new(input: &'a PhysicalPlan, workers: usize, splits: &'a [Vec<u8>]) -> Self {
        GatherOp { input, workers, splits, state: Running::NotStarted }
    }

    fn start(&mut self, ctx: &mut ExecContext<'a>) -> Result<()> {
        if ctx.read_keys.is_some() {
            self.state = Running::Serial(build(self.input, ctx)?);
            return Ok(());
        }
        let morsels = self.splits.len() + 1;
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                running: self.workers,
                stats: ctx.stats.as_ref().map(|s| vec![NodeStats::default(); s.len()]),
                ..State::default()
            }),
            changed: Condvar::new(),
            stop: AtomicBool::new(false),
            ahead: AHEAD_PER_WORKER * self.workers,
            builds: Arc::default(),
        });
        let spans = Arc::new(spans(self.input, self.splits));
        for worker in 0..self.workers {
            let job = WorkerJob {
                shared: Arc::clone(&shared),
                input: self.input.clone(),
                spans: Arc::clone(&spans),
                txn: ctx.txn.statement_snapshot(),
                params: ctx.params.to_vec(),
                functions: ctx.functions.clone(),
                memory: ctx.memory.limits(),
                node_count: ctx.stats.as_ref().map(Vec::len),
            };
            let spawned = std::thread::Builder::new()
                .name(format!("occam-gather-{worker}"))
                .stack_size(crate::stack::STATEMENT_STACK_SIZE)
                .spawn(move || job.run());
            if let Err(err) = spawned {
                shared.stop.store(true, Ordering::SeqCst);
                return Err(Error::internal(format!("cannot start a parallel worker: {err}")));
            }
        }
        self.state = Running::Parallel { shared, current: 0, morsels };
        Ok(())
    }
}

impl<'a> Operator<'a> for GatherOp<'a> {
    fn pull(&mut self, ctx: &mut ExecContext<'a>) -> Result<Option<Batch>> {
        if matches!(self.state, Running::NotStarted) {
            self.start(ctx)?;
        }
        let (shared, current, morsels) = match &mut self.state {
            Running::NotStarted => unreachable!("started above"),
            Running::Serial(input) => return input.next(ctx),
            Running::Parallel { shared, current, morsels } => (shared, current, *morsels),
        };
        let mut state = shared.state.lock();
        loop {
            if let Some(err) = state.error.take() {
                return Err(err);
            }
            if *current == morsels {
                // Every morsel was handed up: wait for the workers' counters, if EXPLAIN ANALYZE wants them.
                if let (Some(totals), Some(_)) = (ctx.stats.as_mut(), state.stats.as_ref()) {
                    while state.running > 0 {
                        shared.changed.wait(&mut state);
                    }
                    for (total, worker) in totals.iter_mut().zip(state.stats.take().unwrap_or_default()) {
                        total.add(&worker);
                    }
                }
                return Ok(None);
            }
            let slot = state.slots.entry(*current).or_default();
            if let Some(batch) = slot.batches.pop_front() {
                shared.changed.notify_all();
                return Ok(Some(batch));
            }
            if slot.finished {
                state.slots.remove(current);
                *current += 1;
                state.current = *current;
                shared.changed.notify_all();
                continue;
            }
            shared.changed.wait_for(&mut state, CANCEL_CHECK);
            ctx.check_interrupts()?;
        }
    }
}

impl Drop for GatherOp<'_> {
    fn drop(&mut self) {
        if let Running::Parallel { shared, .. } = &self.state {
            shared.stop.store(true, Ordering::SeqCst);
            shared.changed.notify_all();
        }
    }
}

/// The storage key bounds of each morsel: from the tree's start to the first split, between splits, from
/// the last split to the tree's end.
fn spans(input: &PhysicalPlan, splits: &[Vec<u8>]) -> Vec<KeySpan> {
    let prefix = input
        .table_reads()
        .into_iter()
        .find(|read| read.parallel)
        .map_or_else(Vec::new, |read| read.table.key_prefix.clone());
    let end = match prefix_end(&prefix) {
        Some(end) => Bound::Excluded(end),
        None => Bound::Unbounded,
    };
    let mut spans = Vec::with_capacity(splits.len() + 1);
    let mut start = Bound::Included(prefix);
    for split in splits {
        spans.push((start, Bound::Excluded(split.clone())));
        start = Bound::Included(split.clone());
    }
    spans.push((start, end));
    spans
}

/// What one worker thread owns.
struct WorkerJob {
    shared: Arc<Shared>,
    input: PhysicalPlan,
    spans: Arc<Vec<KeySpan>>,
    txn: Transaction,
    params: Vec<Value>,
    functions: FunctionContext,
    memory: MemoryLimits,
    node_count: Option<usize>,
}

impl WorkerJob {
    fn run(self) {
        let mut stats = self.node_count.map(|n| vec![NodeStats::default(); n]);
        // A panic fails the statement, as one in the statement's own thread fails its connection only.
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.read_morsels(&mut stats)))
            .unwrap_or_else(|_| Err(Error::internal("a parallel worker failed")));
        let mut state = self.shared.state.lock();
        if let Err(err) = outcome {
            state.error.get_or_insert(err);
            self.shared.stop.store(true, Ordering::SeqCst);
        }
        if let (Some(total), Some(mine)) = (state.stats.as_mut(), stats) {
            for (total, mine) in total.iter_mut().zip(&mine) {
                total.add(mine);
            }
        }
        state.running -= 1;
        self.shared.changed.notify_all();
    }

    /// Takes morsels in key order until none is left (or the leader stopped), reading each into its slot.
    fn read_morsels(&self, stats: &mut Option<Vec<NodeStats>>) -> Result<()> {
        loop {
            let morsel = {
                let mut state = self.shared.state.lock();
                while !self.stopped() && state.next_morsel >= state.current + self.shared.ahead {
                    self.shared.changed.wait(&mut state);
                }
                if self.stopped() || state.next_morsel >= self.spans.len() {
                    return Ok(());
                }
                let morsel = state.next_morsel;
                state.next_morsel += 1;
                state.slots.entry(morsel).or_default();
                morsel
            };
            let mut plan = self.input.clone();
            for read in plan.table_reads_mut().into_iter().filter(|read| read.parallel) {
                read.key_span = Some(self.spans[morsel].clone());
            }
            let mut ctx = ExecContext::new(&self.txn, &self.params, &self.functions);
            ctx.memory = MemoryBudget::new(&self.memory);
            ctx.shared_builds = Some(Arc::clone(&self.shared.builds));
            ctx.stats = stats.take();
            let outcome = self.read_morsel(morsel, &plan, &mut ctx);
            *stats = ctx.take_stats();
            outcome?;
        }
    }

    fn read_morsel<'p>(&self, morsel: usize, plan: &'p PhysicalPlan, ctx: &mut ExecContext<'p>) -> Result<()> {
        let mut operator = build(plan, ctx)?;
        while let Some(batch) = operator.next(ctx)? {
            let mut state = self.shared.state.lock();
            while !self.stopped() && morsel != state.current && slot_len(&state, morsel) >= SLOT_BATCHES {
                self.shared.changed.wait(&mut state);
            }
            if self.stopped() {
                return Ok(());
            }
            state.slots.entry(morsel).or_default().batches.push_back(batch);
            self.shared.changed.notify_all();
        }
        let mut state = self.shared.state.lock();
        state.slots.entry(morsel).or_default().finished = true;
        self.shared.changed.notify_all();
        Ok(())
    }

    fn stopped(&self) -> bool {
        self.shared.stop.load(Ordering::SeqCst)
    }
}

fn slot_len(state: &State, morsel: usize) -> usize {
    state.slots.get(&morsel).map_or(0, |slot| slot.batches.len())
}
