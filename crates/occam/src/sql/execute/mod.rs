//! The executor: runs physical plans (`sql::plan::physical`) against one [`Transaction`].
//!
//! Each plan node becomes one operator (one file each, as PostgreSQL's `executor/node*.c`) that its parent
//! pulls batches of rows from ([`Operator::next`]); a batch is at most [`BATCH_SIZE`] rows, so a LIMIT above
//! stops the work below after the batch it needed, and no row is ever passed through a callback. With
//! EXPLAIN ANALYZE every operator is wrapped in an [`instrument::Instrumented`] that counts its rows, loops
//! and time into the context.
//!
//! DML (`modify`) runs in phases: read and compute every new row first (against a shared borrow of the
//! transaction, through the same operators), then write them, then evaluate RETURNING.

mod aggregate;
mod distinct;
pub mod eval;
mod filter;
mod gather;
mod instrument;
mod join;
mod lateral_join;
mod limit;
mod lookup_join;
mod materialized_join;
pub mod memory;
mod modify;
mod project;
mod recursive_union;
mod referential;
mod result;
mod series;
mod set_operation;
mod sort;
mod stored_filter;
mod system_scan;
mod table_read;
mod values;
mod window;
mod work_table_scan;

use std::collections::HashMap;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::session::QueryResult;
use crate::sql::functions::FunctionContext;
use crate::sql::optimize::{self, Environment, Estimates, PlanCache, Settings};
use crate::sql::plan::physical::{Node, PhysicalPlan, PhysicalQuery};
use crate::sql::plan::{BoundExpr, Plan, QueryPlan, Source};
use crate::txn::{RowLock, Transaction};
use crate::types::{Row, Value};

pub use eval::eval;
pub use instrument::NodeStats;
pub use modify::index_entry;
pub use referential::check_parents_now;

/// Rows an operator hands its parent at a time.
pub const BATCH_SIZE: usize = 1024;

pub type Batch = Vec<Row>;

/// A running plan node.
pub trait Operator<'a> {
    /// The next batch (never empty), or None when the operator is done. Parents call this, never
    /// [`pull`](Self::pull): every batch of every operator crosses this boundary, so this is where a
    /// cancelled or timed-out statement stops (see `crate::interrupt`).
    fn next(&mut self, ctx: &mut ExecContext<'a>) -> Result<Option<Batch>> {
        ctx.check_interrupts()?;
        self.pull(ctx)
    }

    /// Computes the next batch (what each operator implements).
    fn pull(&mut self, ctx: &mut ExecContext<'a>) -> Result<Option<Batch>>;

    /// Steps over up to `n` of the rows it would return next without building them, where it can do so
    /// more cheaply than returning them (OFFSET: a table read steps over stored rows without decoding
    /// them); returns how many it stepped over, never more than `n`, 0 when it cannot (the caller then
    /// reads and drops them).
    fn skip(&mut self, _n: usize, _ctx: &mut ExecContext<'a>) -> Result<usize> {
        Ok(0)
    }
}

pub type BoxedOperator<'a> = Box<dyn Operator<'a> + 'a>;

/// What operators and expression evaluation may look at besides the current row.
pub struct ExecContext<'a> {
    pub txn: &'a Transaction,
    pub params: &'a [Value],
    pub functions: &'a FunctionContext,
    /// Plans of the statement's subqueries, by subquery id.
    pub subplans: &'a [(usize, PhysicalPlan)],
    /// Rows of enclosing queries while a correlated subquery runs (innermost last).
    outer: Vec<Row>,
    /// Results of uncorrelated subqueries, computed once per statement.
    subquery_cache: HashMap<usize, Arc<Vec<Row>>>,
    /// Hash sets of uncorrelated `IN (subquery)` values, with whether a NULL was among them.
    subquery_sets: HashMap<usize, Arc<eval::HashedSet>>,
    /// While a locking query runs: the storage key of every table row its reads produce.
    read_keys: Option<Vec<Vec<u8>>>,
    /// Rows per batch (1 while locking, so that a LIMIT stops the reads at exactly the rows it returns).
    batch_size: usize,
    /// EXPLAIN ANALYZE's counters, by node id.
    stats: Option<Vec<NodeStats>>,
    /// What the query's operators may hold in memory.
    pub memory: memory::MemoryBudget,
    /// `WITH RECURSIVE`: each running recursive union's previous round (work table id, rows).
    work_tables: Vec<(usize, Arc<Vec<Row>>)>,
    /// In a parallel plan's worker: the joins' right inputs, built once for all workers.
    shared_builds: Option<Arc<join::SharedBuilds>>,
}

impl<'a> ExecContext<'a> {
    pub fn new(txn: &'a Transaction, params: &'a [Value], functions: &'a FunctionContext) -> Self {
        ExecContext {
            txn,
            params,
            functions,
            subplans: &[],
            outer: Vec::new(),
            subquery_cache: HashMap::new(),
            subquery_sets: HashMap::new(),
            read_keys: None,
            batch_size: BATCH_SIZE,
            stats: None,
            memory: memory::MemoryBudget::default(),
            work_tables: functions.with_results.clone(),
            shared_builds: None,
        }
    }

    /// A context for running `query` within `memory`'s bounds on operator state, counting for EXPLAIN
    /// ANALYZE when `analyze`.
    pub fn for_query(
        txn: &'a Transaction,
        params: &'a [Value],
        functions: &'a FunctionContext,
        query: &'a PhysicalQuery,
        memory: &memory::MemoryLimits,
        analyze: bool,
    ) -> Self {
        let mut ctx = ExecContext::new(txn, params, functions);
        ctx.subplans = &query.subplans;
        ctx.memory = memory::MemoryBudget::new(memory);
        if analyze {
            ctx.stats = Some(vec![NodeStats::default(); query.node_count]);
        }
        ctx
    }

    /// 57014 once the statement was cancelled or ran past its `statement_timeout` (see `crate::interrupt`);
    /// called at every batch and in the loops that may run long without producing one.
    #[inline]
    pub fn check_interrupts(&self) -> Result<()> {
        self.functions.interrupt.check()
    }

    /// EXPLAIN ANALYZE's counters (None when not analyzing).
    pub fn take_stats(&mut self) -> Option<Vec<NodeStats>> {
        self.stats.take()
    }

    fn stats_mut(&mut self, id: usize) -> Option<&mut NodeStats> {
        self.stats.as_mut().and_then(|s| s.get_mut(id))
    }
}

/// How a statement's plans are made and run: estimates, the session's planner settings, and the memory
/// a query's operators may hold.
pub struct Planning<'p> {
    pub estimates: &'p dyn Estimates,
    pub settings: Settings,
    pub memory: memory::MemoryLimits,
}

impl Planning<'_> {
    pub fn environment(&self, txn: &Transaction) -> Environment<'_> {
        Environment { snapshot: txn.start_ts(), estimates: self.estimates, settings: self.settings }
    }
}

/// Builds the operator for `plan` (and, recursively, its inputs).
pub fn build<'a>(plan: &'a PhysicalPlan, ctx: &mut ExecContext<'a>) -> Result<BoxedOperator<'a>> {
    crate::stack::check()?;
    let operator: BoxedOperator<'a> = match &plan.node {
        Node::Result => Box::new(result::ResultOp::default()),
        Node::TableRead(read) => Box::new(table_read::TableReadOp::new(plan.id, read)),
        Node::SystemScan { relation } => Box::new(system_scan::SystemScanOp::new(relation)),
        Node::Function { input, function, args } => {
            let input = match input {
                Some(input) => Some(build(input, ctx)?),
                None => None,
            };
            Box::new(series::FunctionScanOp::new(input, *function, args))
        }
        Node::Values { rows } => Box::new(values::ValuesOp::new(rows)),
        Node::Filter { input, predicate } => Box::new(filter::FilterOp::new(build(input, ctx)?, predicate)),
        Node::Project { input, exprs } => Box::new(project::ProjectOp::new(build(input, ctx)?, exprs)),
        Node::Truncate { input, columns } => Box::new(project::TruncateOp::new(build(input, ctx)?, *columns)),
        Node::Aggregate { input, group_by, grouping_sets, aggregates, phase } => {
            Box::new(aggregate::AggregateOp::new(build(input, ctx)?, group_by, grouping_sets, aggregates, *phase))
        }
        Node::Distinct { input, columns, .. } => Box::new(distinct::DistinctOp::new(build(input, ctx)?, columns)),
        Node::Window { input, windows } => Box::new(window::WindowOp::new(build(input, ctx)?, windows)),
        Node::Sort { input, keys, limit } => {
            Box::new(sort::SortOp::new(plan.id, build(input, ctx)?, keys, limit.as_ref()))
        }
        Node::Limit { input, count } => Box::new(limit::LimitOp::new(build(input, ctx)?, count)),
        Node::Join(join) => join::build(plan.id, join, ctx)?,
        Node::SetOperation { op, all, left, right } => {
            Box::new(set_operation::SetOperationOp::new(*op, *all, build(left, ctx)?, build(right, ctx)?))
        }
        Node::RecursiveUnion { work_table, all, anchor, recursive } => {
            Box::new(recursive_union::RecursiveUnionOp::new(*work_table, *all, build(anchor, ctx)?, recursive))
        }
        Node::WorkTableScan { work_table, .. } => Box::new(work_table_scan::WorkTableScanOp::new(*work_table)),
        Node::Gather { input, workers, splits } => Box::new(gather::GatherOp::new(input, *workers, splits)),
    };
    if let Some(stats) = ctx.stats_mut(plan.id) {
        stats.loops += 1;
        return Ok(Box::new(instrument::Instrumented::new(plan.id, operator)));
    }
    Ok(operator)
}

/// Runs `plan` to completion. The rows it collects count against the query's memory budget as they
/// come (a result set past it fails with 54000 rather than growing without bound); the caller holds them
/// from then on (the session counts a statement's result until it is sent: `ServerMemory::hold_rows`).
pub fn run<'a>(plan: &'a PhysicalPlan, ctx: &mut ExecContext<'a>) -> Result<Vec<Row>> {
    let mut operator = build(plan, ctx)?;
    let mut held = ctx.memory.reservation();
    let mut rows = Vec::new();
    while let Some(batch) = operator.next(ctx)? {
        held.grow_rows(&batch)?;
        if rows.is_empty() {
            rows = batch;
        } else {
            rows.extend(batch);
        }
    }
    Ok(rows)
}

/// Runs the deferred constraint checks `which` selects (see `referential::run_deferred`).
pub fn run_deferred_checks(
    txn: &mut Transaction,
    which: impl Fn(&crate::txn::ConstraintId) -> bool,
    functions: &FunctionContext,
    planning: &Planning,
) -> Result<()> {
    referential::run_deferred(txn, which, functions, planning)
}

/// Runs DML or a query. DDL is executed by the session (it touches the catalog).
pub fn execute(
    plan: &Plan,
    txn: &mut Transaction,
    params: &[Value],
    functions: &FunctionContext,
    planning: &Planning,
) -> Result<QueryResult> {
    match plan {
        Plan::Query(query) => execute_query(query, None, txn, params, functions, planning),
        Plan::Insert(insert) => modify::insert(insert, txn, params, functions, planning, None, None),
        Plan::Update(update) => modify::update(update, txn, params, functions, planning, None, None),
        Plan::Delete(delete) => modify::delete(delete, txn, params, functions, planning, None, None),
        Plan::Truncate { tables, .. } => modify::truncate(tables, txn, params, functions, planning),
        _ => Err(Error::internal("executed by the session")),
    }
}

/// Runs a query without a locking clause, by the plan `cache` keeps for it when that is still good (a
/// prepared statement's, `optimize::PlanCache`), else by a new one.
pub fn execute_query(
    query: &QueryPlan,
    cache: Option<&PlanCache>,
    txn: &mut Transaction,
    params: &[Value],
    functions: &FunctionContext,
    planning: &Planning,
) -> Result<QueryResult> {
    if let Some(lock) = query.locking {
        return Err(Error::internal(format!("{} runs through execute_locking_query", lock.sql())));
    }
    check_no_nested_locking(query)?;
    let env = planning.environment(txn);
    let physical = match cache {
        Some(cache) => cache.plan_query(query, &env),
        None => Arc::new(optimize::plan_query(query, &env)),
    };
    let rows = {
        let mut ctx = ExecContext::for_query(txn, params, functions, &physical, &planning.memory, false);
        run(&physical.root, &mut ctx)?
    };
    Ok(QueryResult::Rows { columns: query.columns.clone(), tag: format!("SELECT {}", rows.len()), rows })
}

/// Runs a query with a locking clause: its rows are returned as by [`execute`], and the rows it returned
/// are added to the transaction's conflict set with `lock`. For one table (the usual `SELECT ... WHERE
/// ... [ORDER BY ... LIMIT n] FOR UPDATE`) each row carries its storage key up through sort and limit, so
/// exactly the rows returned are locked; for joins and aggregates every table row read is (more
/// conflicts, never fewer).
pub fn execute_locking_query(
    query: &QueryPlan,
    lock: RowLock,
    txn: &mut Transaction,
    params: &[Value],
    functions: &FunctionContext,
    planning: &Planning,
) -> Result<QueryResult> {
    let env = planning.environment(txn);
    let (rows, keys) = match (&query.source, &query.aggregate, query.distinct) {
        (Source::Table { table, .. }, None, false) if query.nested_locking().is_none() => {
            // The key rides as one more visible column, right after the query's own.
            let mut keyed = query.clone();
            keyed.projection.insert(query.visible, BoundExpr::Column(table.columns.len()));
            for key in &mut keyed.order_by {
                if key.column >= query.visible {
                    key.column += 1;
                }
            }
            keyed.visible += 1;
            let mut physical = optimize::plan_query(&keyed, &env);
            for read in physical.root.table_reads_mut() {
                read.with_row_key = true;
            }
            let mut ctx = ExecContext::for_query(txn, params, functions, &physical, &planning.memory, false);
            let mut rows = run(&physical.root, &mut ctx)?;
            let mut keys = Vec::with_capacity(rows.len());
            for row in &mut rows {
                if let Some(Value::Bytea(key)) = row.pop() {
                    keys.push(key);
                }
            }
            (rows, keys)
        }
        _ => {
            let physical = optimize::plan_query(query, &env);
            let mut ctx = ExecContext::for_query(txn, params, functions, &physical, &planning.memory, false);
            ctx.read_keys = Some(Vec::new());
            ctx.batch_size = 1;
            let rows = run(&physical.root, &mut ctx)?;
            (rows, ctx.read_keys.take().unwrap_or_default())
        }
    };
    for key in keys {
        txn.lock(key, lock);
    }
    Ok(QueryResult::Rows { columns: query.columns.clone(), tag: format!("SELECT {}", rows.len()), rows })
}

/// Only a statement's own query takes locks (`execute_locking_query`); a locking clause nested in a
/// statement that locks nothing would silently lock nothing, so it is refused.
pub fn check_no_nested_locking(query: &QueryPlan) -> Result<()> {
    match query.nested_locking() {
        Some(lock) => Err(Error::unsupported(format!("{} in a subquery is not supported yet", lock.sql()))),
        None => Ok(()),
    }
}

/// Plans a query (for EXPLAIN).
pub fn plan(query: &QueryPlan, txn: &Transaction, planning: &Planning) -> PhysicalQuery {
    optimize::plan_query(query, &planning.environment(txn))
}

/// Runs a planned query with EXPLAIN ANALYZE's counters: (rows, counters per node).
pub fn run_analyzed(
    physical: &PhysicalQuery,
    txn: &Transaction,
    params: &[Value],
    functions: &FunctionContext,
    planning: &Planning,
) -> Result<(usize, Vec<NodeStats>)> {
    let mut ctx = ExecContext::for_query(txn, params, functions, physical, &planning.memory, true);
    let rows = run(&physical.root, &mut ctx)?;
    Ok((rows.len(), ctx.take_stats().unwrap_or_default()))
}

pub use modify::{analyze_dml, fill_table, plan_dml_read, refill_table, truncate, with_modifying, DmlAnalysis};

/// `LIMIT` / `OFFSET` evaluated: None for no limit (or NULL).
fn eval_count(expr: Option<&BoundExpr>, ctx: &mut ExecContext, what: &str) -> Result<Option<usize>> {
    let Some(expr) = expr else { return Ok(None) };
    match eval(expr, &[], ctx)? {
        Value::Null => Ok(None),
        Value::Int(n) if n < 0 => {
            Err(Error::new(if what == "LIMIT" { "2201W" } else { "2201X" }, format!("{what} must not be negative")))
        }
        Value::Int(n) => Ok(Some(usize::try_from(n).unwrap_or(usize::MAX))),
        other => Err(Error::internal(format!("{what} evaluated to {other:?}"))),
    }
}

/// The key-encoding of a tuple of values (hash keys, DISTINCT, set operations: NULLs equal each other).
fn encode_values(values: &[Value]) -> Vec<u8> {
    let mut out = Vec::with_capacity(values.len() * 9);
    for value in values {
        crate::storage::keycode::encode_for_equality(&mut out, value);
    }
    out
}

/// Drains an operator into one vector, in full batches (a LIMIT above a blocking operator does not make
/// the reads below it smaller).
fn drain<'a>(operator: &mut BoxedOperator<'a>, ctx: &mut ExecContext<'a>) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    for_each_batch(operator, ctx, |batch, _| {
        rows.extend(batch);
        Ok(())
    })?;
    Ok(rows)
}

/// Feeds every batch of `operator` to `f`, pulling full batches.
fn for_each_batch<'a>(
    operator: &mut BoxedOperator<'a>,
    ctx: &mut ExecContext<'a>,
    mut f: impl FnMut(Batch, &mut ExecContext<'a>) -> Result<()>,
) -> Result<()> {
    let batch_size = std::mem::replace(&mut ctx.batch_size, if ctx.read_keys.is_some() { 1 } else { BATCH_SIZE });
    let result = (|| {
        while let Some(batch) = operator.next(ctx)? {
            f(batch, ctx)?;
        }
        Ok(())
    })();
    ctx.batch_size = batch_size;
    result
}
