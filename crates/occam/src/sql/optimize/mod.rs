//! The optimizer: a bound query tree (`sql::plan`) -> a physical plan (`sql::plan::physical`).
//!
//! PostgreSQL's planner in miniature, in two steps per query level:
//! 1. **Rewrites** that never make a plan worse: WHERE conjuncts that read one side of an inner join (or
//!    the preserved side of an outer join) are pushed into that side, ON conjuncts that read only the inner
//!    side of a LEFT join into that side; so each table read sees every condition it can use.
//! 2. **Costed choices** (`access`, `cost`, `selectivity`): for each table every access path (full scan,
//!    key ranges on the primary key or a secondary index, ordered reads forward or backward, index-only
//!    reads) is costed from row estimates and the cheapest kept, counting the Sort an unordered path would
//!    need and the early stop a LIMIT gives an ordered one; for each join a lookup per left row (when the
//!    ON condition pins a key of the right table), a hash join (on its equalities) or a nested loop; for
//!    each region of inner joins the order of its relations (`join_order`: equivalence classes of
//!    equalities, dynamic programming over subsets of relations).
//!
//! Settings mirror PostgreSQL's `enable_*` switches, so tests can force alternative plans and check that
//! results never depend on the plan.

pub mod access;
pub mod cost;
mod join_order;
pub mod parallel;
pub mod selectivity;
mod sublink;

use std::sync::Arc;

use crate::catalog::Table;
use crate::sql::ast::JoinKind;
use crate::sql::plan::physical::{
    AggregatePhase, Estimate, Join, JoinAlgorithm, LimitCount, Node, PhysicalPlan, PhysicalQuery, TableRead,
};
use crate::sql::plan::{BoundExpr, JoinPlan, QueryPlan, Source, TableFunction};
use crate::sql::scalar::BinaryOp;
use crate::statistics::TableStatistics;
use crate::txn::Timestamp;
use crate::types::{DataType, Value};

use access::{AccessPath, TableInfo};
use cost::{CPU_OPERATOR_COST, CPU_TUPLE_COST};

/// Where the optimizer gets row counts and column statistics.
pub trait Estimates {
    /// Rows the table holds now, as far as anyone knows.
    fn table_rows(&self, table: &Table) -> Option<f64>;
    /// The table's last ANALYZE.
    fn table_statistics(&self, table: &Table) -> Option<Arc<TableStatistics>>;
    /// A number that changes whenever some table's statistics change (a kept plan is then planned again).
    fn epoch(&self) -> u64 {
        0
    }
}

/// No estimates at all: every table gets PostgreSQL's default guesses.
pub struct NoEstimates;

impl Estimates for NoEstimates {
    fn table_rows(&self, _: &Table) -> Option<f64> {
        None
    }
    fn table_statistics(&self, _: &Table) -> Option<Arc<TableStatistics>> {
        None
    }
}

/// PostgreSQL's planner switches (`SET enable_indexscan = off`, ...): a disabled kind of path is only
/// taken when nothing else can run the query. And its parallel query settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    pub enable_seqscan: bool,
    pub enable_indexscan: bool,
    pub enable_indexonlyscan: bool,
    pub enable_hashjoin: bool,
    pub enable_nestloop: bool,
    pub enable_sort: bool,
    /// `max_parallel_workers_per_gather`: the threads one `Gather` may start (0: no parallel plans).
    pub max_parallel_workers_per_gather: usize,
    /// `min_parallel_table_scan_size` in bytes: a table estimated smaller is read by one thread.
    pub min_parallel_table_scan_size: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            enable_seqscan: true,
            enable_indexscan: true,
            enable_indexonlyscan: true,
            enable_hashjoin: true,
            enable_nestloop: true,
            enable_sort: true,
            max_parallel_workers_per_gather: parallel::default_workers(),
            min_parallel_table_scan_size: parallel::MIN_PARALLEL_TABLE_SCAN_SIZE,
        }
    }
}

impl Settings {
    /// The names of the settings, as `SET` takes them.
    pub const NAMES: &'static [&'static str] = &[
        "enable_seqscan",
        "enable_indexscan",
        "enable_indexonlyscan",
        "enable_hashjoin",
        "enable_nestloop",
        "enable_sort",
        "max_parallel_workers_per_gather",
        "min_parallel_table_scan_size",
    ];

    /// Applies `SET name = value` as the session checked it (`crate::settings`); false for a name that is
    /// not a planner setting.
    pub fn apply(&mut self, name: &str, value: &str) -> bool {
        let switch = match name {
            "enable_seqscan" => &mut self.enable_seqscan,
            "enable_indexscan" => &mut self.enable_indexscan,
            "enable_indexonlyscan" => &mut self.enable_indexonlyscan,
            "enable_hashjoin" => &mut self.enable_hashjoin,
            "enable_nestloop" => &mut self.enable_nestloop,
            "enable_sort" => &mut self.enable_sort,
            "max_parallel_workers_per_gather" => {
                self.max_parallel_workers_per_gather = value.trim().parse().unwrap_or(0);
                return true;
            }
            "min_parallel_table_scan_size" => {
                self.min_parallel_table_scan_size = parallel::parse_scan_size(value).unwrap_or(0);
                return true;
            }
            _ => return false,
        };
        *switch = matches!(value.to_ascii_lowercase().as_str(), "on" | "true" | "1" | "yes" | "t");
        true
    }
}

/// PostgreSQL's `disable_cost`: added to a disabled path so it loses to any enabled one.
const DISABLED: f64 = 1.0e10;

/// What planning one statement may look at.
pub struct Environment<'a> {
    /// The snapshot the plan will run at (an index is usable only from its `usable_from` on).
    pub snapshot: Timestamp,
    pub estimates: &'a dyn Estimates,
    pub settings: Settings,
}

/// Plans a query.
pub fn plan_query(query: &QueryPlan, env: &Environment) -> PhysicalQuery {
    let mut planner = Planner { env, next_id: 0, subplans: Vec::new(), work_table_rows: Vec::new() };
    let mut root = planner.query(query);
    parallel::parallelize(&mut root, env, &mut planner.next_id);
    PhysicalQuery { root, subplans: planner.subplans, node_count: planner.next_id }
}

/// The physical plan of a prepared statement's query, kept from one execution to the next as PostgreSQL
/// keeps a generic plan: a plan depends on the parameters' types, not their values (key ranges are
/// evaluated when the read opens), so it is planned again only when what it was planned with changed: the
/// planner settings, the statistics (an ANALYZE, automatic or not, or a TRUNCATE anywhere) or the size of
/// a table it reads (by more than [`SIZE_DRIFT`]), or when it would run at a snapshot older than the one
/// it was planned at (which might not see an index it reads: an index is usable from a commit on). The
/// bound statement it belongs to is bound again, with an empty cache, when the catalog changes (a new
/// index, one that became usable, a dropped one).
#[derive(Default)]
pub struct PlanCache(parking_lot::Mutex<Option<CachedPlan>>);

struct CachedPlan {
    settings: Settings,
    epoch: u64,
    snapshot: Timestamp,
    /// The estimated rows of each table the plan reads, when it was made.
    sizes: Vec<(Arc<Table>, Option<f64>)>,
    plan: Arc<PhysicalQuery>,
}

/// How far a table's estimated rows may move (as a fraction of the larger count) before a plan kept for
/// it is made again: a table that grows from six rows to a million is planned again long before the
/// automatic ANALYZE (which waits for a 10 % change too) has run.
const SIZE_DRIFT: f64 = 0.1;

/// The estimated rows of each table `plan` reads.
fn table_sizes(plan: &PhysicalQuery, estimates: &dyn Estimates) -> Vec<(Arc<Table>, Option<f64>)> {
    let subplans = plan.subplans.iter().flat_map(|(_, subplan)| subplan.table_reads());
    let mut tables: Vec<Arc<Table>> =
        plan.root.table_reads().into_iter().chain(subplans).map(|read| Arc::clone(&read.table)).collect();
    tables.sort_by_key(|table| table.id);
    tables.dedup_by_key(|table| table.id);
    tables.into_iter().map(|table| (Arc::clone(&table), estimates.table_rows(&table))).collect()
}

/// Whether every table's estimated rows are still near what they were (see [`SIZE_DRIFT`]).
fn sizes_hold(sizes: &[(Arc<Table>, Option<f64>)], estimates: &dyn Estimates) -> bool {
    sizes.iter().all(|(table, then)| match (*then, estimates.table_rows(table)) {
        (Some(then), Some(now)) => (then - now).abs() <= SIZE_DRIFT * then.max(now),
        (None, None) => true,
        _ => false,
    })
}

impl std::fmt::Debug for PlanCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PlanCache")
    }
}

impl PlanCache {
    /// The kept plan of `query` when it is still good for `env`, else a new one, kept.
    pub fn plan_query(&self, query: &QueryPlan, env: &Environment) -> Arc<PhysicalQuery> {
        let epoch = env.estimates.epoch();
        let mut cached = self.0.lock();
        if let Some(kept) = cached.as_ref() {
            if kept.settings == env.settings
                && kept.epoch == epoch
                && kept.snapshot <= env.snapshot
                && sizes_hold(&kept.sizes, env.estimates)
            {
                return Arc::clone(&kept.plan);
            }
        }
        let plan = Arc::new(plan_query(query, env));
        let sizes = table_sizes(&plan, env.estimates);
        *cached =
            Some(CachedPlan { settings: env.settings, epoch, snapshot: env.snapshot, sizes, plan: Arc::clone(&plan) });
        plan
    }
}

/// Plans the read of the rows an UPDATE or DELETE changes: the table's rows that pass `filter`.
pub fn plan_table_rows(table: &Arc<Table>, filter: Option<&BoundExpr>, env: &Environment) -> PhysicalQuery {
    let mut planner = Planner { env, next_id: 0, subplans: Vec::new(), work_table_rows: Vec::new() };
    if let Some(filter) = filter {
        planner.plan_subqueries(&[filter]);
    }
    let conjuncts: Vec<BoundExpr> = filter.map(|f| f.conjuncts().into_iter().cloned().collect()).unwrap_or_default();
    let (root, _) = planner.table(table, &conjuncts, None, None, None);
    PhysicalQuery { root, subplans: planner.subplans, node_count: planner.next_id }
}

/// Plans the subqueries inside expressions that run outside any query's plan (INSERT's VALUES, UPDATE's
/// SET, RETURNING): one empty row (`Result`) carrying them as its subplans, for an executor context.
pub fn plan_expressions(exprs: &[&BoundExpr], env: &Environment) -> PhysicalQuery {
    let mut planner = Planner { env, next_id: 0, subplans: Vec::new(), work_table_rows: Vec::new() };
    planner.plan_subqueries(exprs);
    let root = planner.node(Node::Result, Estimate::default());
    PhysicalQuery { root, subplans: planner.subplans, node_count: planner.next_id }
}

struct Planner<'e, 'a> {
    env: &'e Environment<'a>,
    next_id: usize,
    subplans: Vec<(usize, PhysicalPlan)>,
    /// (work table id, its estimated rows per round) while a recursive term is planned.
    work_table_rows: Vec<(usize, f64)>,
}

impl Planner<'_, '_> {
    fn node(&mut self, node: Node, estimate: Estimate) -> PhysicalPlan {
        let id = self.next_id;
        self.next_id += 1;
        PhysicalPlan { id, node, estimate }
    }

    /// Plans the subqueries inside `exprs` (each once, by id).
    fn plan_subqueries(&mut self, exprs: &[&BoundExpr]) {
        for expr in exprs {
            for subquery in expr.subqueries() {
                if self.subplans.iter().any(|(id, _)| *id == subquery.id) {
                    continue;
                }
                let plan = self.query(&subquery.plan);
                self.subplans.push((subquery.id, plan));
            }
        }
    }

    fn query(&mut self, query: &QueryPlan) -> PhysicalPlan {
        let expressions = query.expressions();
        // WHERE's [NOT] EXISTS and IN subqueries that can become semi and anti joins (`sublink`) are joined
        // below; the other subqueries are planned to run from expressions.
        let outer_width = source_width(&query.source);
        let mut sublinks = Vec::new();
        let mut conjuncts: Vec<BoundExpr> = Vec::new();
        for conjunct in query.filter.iter().flat_map(|f| f.conjuncts()) {
            match sublink::pull_up(conjunct, outer_width) {
                Some(sublink) => sublinks.push(sublink),
                None => conjuncts.push(conjunct.clone()),
            }
        }
        let mut with_subplans: Vec<&BoundExpr> = conjuncts.iter().collect();
        // (`expressions()` lists the filter first)
        with_subplans.extend(expressions.iter().skip(usize::from(query.filter.is_some())));
        self.plan_subqueries(&with_subplans);
        let limit = query.limit.as_ref().and_then(literal_count);
        let offset = query.offset.as_ref().and_then(literal_count).unwrap_or(0.0);
        let wanted = match (&query.source, &query.aggregate, query.distinct) {
            (Source::Table { table, .. }, None, false) if !query.order_by.is_empty() && query.windows.is_empty() => {
                access::wanted_order(&query.order_by, &query.projection, table.columns.len())
            }
            _ => None,
        };
        // The columns of its table a single-table query reads (decoded, and for index-only reads): those of
        // the expressions over the table's row — WHERE, and GROUP BY and the aggregates' arguments, or else
        // the projection. A subquery may read any column through an outer reference, so then all of them.
        let columns = match &query.source {
            Source::Table { .. } if expressions.iter().all(|e| e.subqueries().is_empty()) => {
                let mut used = Vec::new();
                let mut over_rows: Vec<&BoundExpr> = match &query.aggregate {
                    Some(aggregate) => aggregate
                        .group_by
                        .iter()
                        .chain(aggregate.aggregates.iter().flat_map(crate::sql::plan::AggregateCall::inputs))
                        .collect(),
                    None => query.projection.iter().collect(),
                };
                if query.aggregate.is_none() {
                    for window in &query.windows {
                        over_rows.extend(window.args.iter().chain(&window.partition_by));
                        over_rows.extend(window.order_by.iter().map(|o| &o.expr));
                    }
                }
                for expr in over_rows.into_iter().chain(query.filter.as_ref()) {
                    expr.mark_columns(&mut used);
                }
                Some(used)
            }
            _ => None,
        };
        let wanted_rows = limit.map(|l| l + offset);
        let first_row = if sublinks.is_empty() && query.windows.is_empty() {
            self.min_max_from_an_end(query, &conjuncts)
        } else {
            None
        };
        let (mut plan, remaining, ordered) = match first_row {
            Some(first_row) => (first_row, Vec::new(), false),
            None => self.source(&query.source, conjuncts, wanted.as_ref(), columns, wanted_rows),
        };
        if let Some(predicate) = BoundExpr::and_of(remaining) {
            plan = self.filter(plan, predicate);
        }
        // Semi and anti joins keep their left input's order.
        for sublink in sublinks {
            let (joined, leftover) = self.join_planned(
                sublink.kind,
                plan,
                outer_width,
                sublink.source,
                sublink.width,
                sublink.condition.as_ref(),
                &[],
                Vec::new(),
            );
            plan = joined;
            if let Some(predicate) = BoundExpr::and_of(leftover) {
                plan = self.filter(plan, predicate);
            }
        }
        if let Some(aggregate) = &query.aggregate {
            let input_rows = plan.estimate.rows;
            let groups = if aggregate.group_by.is_empty() {
                1.0
            } else {
                cost::clamp_rows((input_rows / 10.0).min(200.0).max(input_rows.min(1.0)))
            } * aggregate.grouping_sets.len().max(1) as f64;
            let work = input_rows * CPU_OPERATOR_COST * (aggregate.group_by.len() + aggregate.aggregates.len()) as f64;
            let estimate = Estimate {
                rows: groups,
                startup_cost: plan.estimate.total_cost + work,
                total_cost: plan.estimate.total_cost + work + groups * CPU_TUPLE_COST,
                width: 8 * (aggregate.group_by.len() + aggregate.aggregates.len()) as u32,
            };
            plan = self.node(
                Node::Aggregate {
                    input: Box::new(plan),
                    group_by: aggregate.group_by.clone(),
                    grouping_sets: aggregate.grouping_sets.clone(),
                    aggregates: aggregate.aggregates.clone(),
                    phase: AggregatePhase::Whole,
                },
                estimate,
            );
            if let Some(having) = &aggregate.having {
                plan = self.filter(plan, having.clone());
            }
        }
        if !query.windows.is_empty() {
            // Each window sorts its rows by partition and order keys, then walks them.
            let rows = plan.estimate.rows;
            let work = query.windows.len() as f64 * (cost::sort_cost(rows, None, 2) + rows * CPU_OPERATOR_COST);
            let estimate = Estimate {
                startup_cost: plan.estimate.total_cost + work,
                total_cost: plan.estimate.total_cost + work + rows * CPU_TUPLE_COST,
                ..plan.estimate
            };
            plan = self.node(Node::Window { input: Box::new(plan), windows: query.windows.clone() }, estimate);
        }
        let estimate = Estimate {
            total_cost: plan.estimate.total_cost
                + plan.estimate.rows * CPU_OPERATOR_COST * query.projection.len() as f64,
            width: 8 * query.visible as u32,
            ..plan.estimate
        };
        plan = self.node(Node::Project { input: Box::new(plan), exprs: query.projection.clone() }, estimate);
        if query.distinct {
            let estimate = Estimate {
                rows: cost::clamp_rows(plan.estimate.rows / 2.0),
                startup_cost: plan.estimate.total_cost,
                total_cost: plan.estimate.total_cost + plan.estimate.rows * CPU_OPERATOR_COST,
                ..plan.estimate
            };
            let columns = (0..query.visible).collect();
            plan = self.node(Node::Distinct { input: Box::new(plan), columns, on: false }, estimate);
        }
        let count = LimitCount { limit: query.limit.clone(), offset: query.offset.clone() };
        let has_count = query.limit.is_some() || query.offset.is_some();
        if !query.order_by.is_empty() && !ordered {
            let rows = plan.estimate.rows;
            let sort = cost::sort_cost(rows, wanted_rows, query.order_by.len());
            let estimate = Estimate {
                rows: wanted_rows.map_or(rows, |w| rows.min(w.max(1.0))),
                startup_cost: plan.estimate.total_cost + sort,
                total_cost: plan.estimate.total_cost + sort + rows * CPU_OPERATOR_COST,
                ..plan.estimate
            };
            // (LIMIT counts DISTINCT ON's rows, which the sort cannot know.)
            let top_n = if query.limit.is_some() && query.distinct_on.is_empty() { Some(count.clone()) } else { None };
            plan =
                self.node(Node::Sort { input: Box::new(plan), keys: query.order_by.clone(), limit: top_n }, estimate);
        }
        if !query.distinct_on.is_empty() {
            let estimate = Estimate {
                rows: cost::clamp_rows(plan.estimate.rows / 2.0),
                total_cost: plan.estimate.total_cost + plan.estimate.rows * CPU_OPERATOR_COST,
                ..plan.estimate
            };
            let columns = query.distinct_on.clone();
            plan = self.node(Node::Distinct { input: Box::new(plan), columns, on: true }, estimate);
        }
        if has_count {
            let rows = plan.estimate.rows;
            let kept = limit.map_or(rows - offset, |l| l.min(rows - offset)).max(1.0);
            let fraction = if rows > 0.0 { ((kept + offset) / rows).min(1.0) } else { 1.0 };
            let estimate = Estimate {
                rows: cost::clamp_rows(kept),
                total_cost: plan.estimate.startup_cost
                    + (plan.estimate.total_cost - plan.estimate.startup_cost) * fraction,
                ..plan.estimate
            };
            plan = self.node(Node::Limit { input: Box::new(plan), count }, estimate);
        }
        if query.projection.len() > query.visible {
            let estimate = plan.estimate;
            plan = self.node(Node::Truncate { input: Box::new(plan), columns: query.visible }, estimate);
        }
        plan
    }

    /// `SELECT min(c) / max(c) FROM t [WHERE ...]` (one aggregate, no GROUP BY) as PostgreSQL's planagg.c
    /// plans it when an index (or the primary key) is ordered on `c` after its pinned columns: the first
    /// non-NULL row in that order, read from the index's end, is the answer. None when no such ordered read
    /// exists (then the aggregate reads everything as usual).
    fn min_max_from_an_end(&mut self, query: &QueryPlan, conjuncts: &[BoundExpr]) -> Option<PhysicalPlan> {
        let (Source::Table { table, alias }, Some(aggregate)) = (&query.source, &query.aggregate) else { return None };
        if !aggregate.group_by.is_empty()
            || !aggregate.grouping_sets.is_empty()
            || aggregate.having.is_some()
            || aggregate.aggregates.len() != 1
        {
            return None;
        }
        let call = &aggregate.aggregates[0];
        let descending = match call.aggregate.function {
            crate::sql::functions::AggregateFunction::Min => false,
            crate::sql::functions::AggregateFunction::Max => true,
            _ => return None,
        };
        let Some(BoundExpr::Column(column)) = &call.arg else { return None };
        if conjuncts.iter().any(|c| !c.subqueries().is_empty()) {
            return None;
        }
        // NULLs are no candidates; they sort last ascending and first descending, either way skipped here.
        let mut with_not_null = conjuncts.to_vec();
        with_not_null.push(BoundExpr::IsNull { expr: Box::new(BoundExpr::Column(*column)), negated: true });
        let wanted = vec![(*column, descending, descending)];
        let mut used = Vec::new();
        for conjunct in &with_not_null {
            conjunct.mark_columns(&mut used);
        }
        let (mut read, ordered) = self.table(table, &with_not_null, Some(&wanted), Some(&used), Some(1.0));
        name_read(&mut read, alias);
        if !ordered {
            return None;
        }
        let count = LimitCount { limit: Some(BoundExpr::Literal(Value::Int(1))), offset: None };
        let estimate = Estimate {
            rows: 1.0,
            total_cost: read.estimate.startup_cost
                + (read.estimate.total_cost - read.estimate.startup_cost) / read.estimate.rows.max(1.0),
            ..read.estimate
        };
        Some(self.node(Node::Limit { input: Box::new(read), count }, estimate))
    }

    /// `left = right` over two key columns (None: not a plain table column), PostgreSQL's eqjoinsel: from
    /// their statistics, a column that is its table's whole primary key being unique.
    fn key_join_selectivity(
        &self,
        left: Option<&(Arc<Table>, usize)>,
        left_rows: f64,
        right: Option<&(Arc<Table>, usize)>,
        right_rows: f64,
    ) -> f64 {
        let stats = |origin: Option<&(Arc<Table>, usize)>| {
            origin.and_then(|(table, column)| {
                let stats = self.env.estimates.table_statistics(table)?;
                let name = &table.columns.get(*column)?.name;
                stats.column(name).cloned()
            })
        };
        let unique_rows = |origin: Option<&(Arc<Table>, usize)>| {
            origin.filter(|(table, column)| table.primary_key == [*column]).map(|(table, _)| self.table_size(table).0)
        };
        if let Some(rows) = unique_rows(left).or(unique_rows(right)) {
            return (1.0 / rows.max(1.0)).min(1.0);
        }
        selectivity::join_selectivity(stats(left).as_ref(), left_rows, stats(right).as_ref(), right_rows)
    }

    /// The table's estimated rows (PostgreSQL's default guess when nothing is known) and statistics.
    fn table_size(&self, table: &Table) -> (f64, Option<Arc<TableStatistics>>) {
        let stats = self.env.estimates.table_statistics(table);
        let rows = self
            .env
            .estimates
            .table_rows(table)
            .or_else(|| stats.as_ref().map(|s| s.row_count as f64))
            .unwrap_or(cost::DEFAULT_TABLE_ROWS)
            .max(1.0);
        (rows, stats)
    }

    fn filter(&mut self, input: PhysicalPlan, predicate: BoundExpr) -> PhysicalPlan {
        let quals = predicate.conjuncts().len() as f64;
        let estimate = Estimate {
            rows: cost::clamp_rows(input.estimate.rows * 0.5f64.powf(quals.min(3.0))),
            total_cost: input.estimate.total_cost + input.estimate.rows * quals * CPU_OPERATOR_COST,
            ..input.estimate
        };
        self.node(Node::Filter { input: Box::new(input), predicate }, estimate)
    }

    /// Plans a FROM source with the conjuncts that may be applied inside it. Returns the plan, the conjuncts
    /// it did not apply, and whether its rows come in `wanted` order.
    fn source(
        &mut self,
        source: &Source,
        conjuncts: Vec<BoundExpr>,
        wanted: Option<&access::WantedOrder>,
        columns: Option<Vec<bool>>,
        wanted_rows: Option<f64>,
    ) -> (PhysicalPlan, Vec<BoundExpr>, bool) {
        let leaf = |rows: f64, width: usize| Estimate {
            rows,
            startup_cost: 0.0,
            total_cost: rows * CPU_TUPLE_COST,
            width: 8 * width as u32,
        };
        if let Some(region) = join_order::Region::of(source) {
            let (plan, leftover) = self.plan_region(region, conjuncts);
            return (plan, leftover, false);
        }
        match source {
            Source::Single => (self.node(Node::Result, leaf(1.0, 0)), conjuncts, false),
            Source::Table { table, alias } => {
                let (mut plan, ordered) = self.table(table, &conjuncts, wanted, columns.as_deref(), wanted_rows);
                name_read(&mut plan, alias);
                (plan, Vec::new(), ordered)
            }
            Source::System(relation) => {
                (self.node(Node::SystemScan { relation }, leaf(100.0, relation.width())), conjuncts, false)
            }
            Source::Function { input: Some(input), function, args } => {
                // The conjuncts on the input alone go into it; the rest filter the joined rows.
                let input_width = source_width(input);
                let (inner, outer): (Vec<BoundExpr>, Vec<BoundExpr>) =
                    conjuncts.into_iter().partition(|c| c.reads_only(&(0..input_width)));
                let (input_plan, leftover, _) = self.source(input, inner, None, None, None);
                let input_plan = match BoundExpr::and_of(leftover) {
                    Some(predicate) => self.filter(input_plan, predicate),
                    None => input_plan,
                };
                // PostgreSQL's estimate for a set-returning function it knows nothing about: 100 rows each.
                let rows = input_plan.estimate.rows * 100.0;
                let estimate = Estimate {
                    rows,
                    startup_cost: input_plan.estimate.startup_cost,
                    total_cost: input_plan.estimate.total_cost + rows * CPU_TUPLE_COST,
                    width: input_plan.estimate.width + 8 * function.width() as u32,
                };
                let node =
                    Node::Function { input: Some(Box::new(input_plan)), function: *function, args: args.clone() };
                (self.node(node, estimate), outer, false)
            }
            Source::Function { input: None, function, args } => {
                let literals: Vec<Option<i64>> = args.iter().map(literal_int).collect();
                // PostgreSQL's estimate for a set-returning function it knows nothing about is 100 rows.
                let rows = match (function, literals.as_slice()) {
                    // In floating point: the bounds may be any integers (`generate_series(5, i64::MIN, -1)`).
                    (TableFunction::Series, [Some(a), Some(b)]) => (*b as f64 - *a as f64 + 1.0).max(0.0),
                    (TableFunction::Series, [Some(a), Some(b), Some(s)]) if *s != 0 => {
                        ((*b as f64 - *a as f64) / *s as f64 + 1.0).floor().max(0.0)
                    }
                    (TableFunction::Series, _) => 1000.0,
                    _ => 100.0,
                };
                let node = Node::Function { input: None, function: *function, args: args.clone() };
                (self.node(node, leaf(rows, function.width())), conjuncts, false)
            }
            Source::Values(rows) => {
                let width = rows.first().map_or(0, Vec::len);
                (self.node(Node::Values { rows: rows.clone() }, leaf(rows.len() as f64, width)), conjuncts, false)
            }
            Source::Subquery(query) => (self.query(query), conjuncts, false),
            Source::SetOperation { op, all, left, right } => {
                let left = self.query(left);
                let right = self.query(right);
                let rows = left.estimate.rows + right.estimate.rows;
                let estimate = Estimate {
                    rows,
                    startup_cost: left.estimate.startup_cost,
                    total_cost: left.estimate.total_cost + right.estimate.total_cost + rows * CPU_OPERATOR_COST,
                    width: left.estimate.width,
                };
                let node = Node::SetOperation { op: *op, all: *all, left: Box::new(left), right: Box::new(right) };
                (self.node(node, estimate), conjuncts, false)
            }
            Source::RecursiveUnion { work_table, all, anchor, recursive } => {
                let anchor = self.query(anchor);
                // PostgreSQL's guesses: a round reads ten times the anchor's rows, and there are ten rounds.
                self.work_table_rows.push((*work_table, anchor.estimate.rows * 10.0));
                let recursive = self.query(recursive);
                self.work_table_rows.pop();
                let estimate = Estimate {
                    rows: anchor.estimate.rows + recursive.estimate.rows * 10.0,
                    startup_cost: anchor.estimate.startup_cost,
                    total_cost: anchor.estimate.total_cost + recursive.estimate.total_cost * 10.0,
                    width: anchor.estimate.width,
                };
                let node = Node::RecursiveUnion {
                    work_table: *work_table,
                    all: *all,
                    anchor: Box::new(anchor),
                    recursive: Box::new(recursive),
                };
                (self.node(node, estimate), conjuncts, false)
            }
            Source::WorkTable { id, modifying, name, columns } => {
                let rows = self.work_table_rows.iter().rev().find(|(w, _)| w == id).map_or(1000.0, |(_, r)| *r);
                let node = Node::WorkTableScan {
                    work_table: *id,
                    modifying: *modifying,
                    name: name.clone(),
                    columns: columns.clone(),
                };
                (self.node(node, leaf(rows, columns.len())), conjuncts, false)
            }
            Source::Cross(sources) => {
                // A comma list is a chain of inner joins without a condition.
                let mut widths = Vec::with_capacity(sources.len());
                for source in sources {
                    widths.push(source_width(source));
                }
                self.join_chain(sources, &widths, conjuncts)
            }
            Source::Join(join) if join.lateral => {
                let (plan, leftover) = self.lateral_join(join, conjuncts);
                (plan, leftover, false)
            }
            Source::Join(join) => {
                let plan = self.join(
                    join.kind,
                    &join.left,
                    join.left_width,
                    &join.right,
                    join.right_width,
                    join.condition.as_ref(),
                    &join.merged,
                    conjuncts,
                );
                (plan.0, plan.1, false)
            }
        }
    }

    /// A join whose right side reads the left row (LATERAL): the right side is planned on its own (its
    /// outer references to the left row are constants to it, so they can pin keys) and run again for each
    /// left row. WHERE conjuncts on the left side alone filter that side; the others stay above the join.
    fn lateral_join(&mut self, join: &JoinPlan, conjuncts: Vec<BoundExpr>) -> (PhysicalPlan, Vec<BoundExpr>) {
        let (left_conjuncts, mut rest): (Vec<BoundExpr>, Vec<BoundExpr>) =
            conjuncts.into_iter().partition(|c| c.reads_only(&(0..join.left_width)));
        let (left, leftover, _) = self.source(&join.left, left_conjuncts, None, None, None);
        rest.extend(leftover);
        let (right, right_leftover, _) = self.source(&join.right, Vec::new(), None, None, None);
        let right = match BoundExpr::and_of(right_leftover) {
            Some(predicate) => self.filter(right, predicate),
            None => right,
        };
        let left_rows = left.estimate.rows;
        let matched = left_rows * right.estimate.rows * if join.condition.is_some() { 1.0 / 3.0 } else { 1.0 };
        let estimate = Estimate {
            rows: cost::clamp_rows(if join.kind == JoinKind::Left { matched.max(left_rows) } else { matched }),
            startup_cost: left.estimate.startup_cost + right.estimate.startup_cost,
            total_cost: left.estimate.total_cost
                + left_rows * right.estimate.total_cost
                + left_rows * right.estimate.rows * CPU_OPERATOR_COST,
            width: left.estimate.width + right.estimate.width,
        };
        let node = Node::Join(Join {
            kind: join.kind,
            algorithm: JoinAlgorithm::Lateral,
            left: Box::new(left),
            right: Box::new(right),
            left_width: join.left_width,
            right_width: join.right_width,
            // (`ON true`, the usual spelling of a LATERAL join's condition, checks nothing)
            condition: join.condition.clone().filter(|c| *c != BoundExpr::Literal(Value::Bool(true))),
            merged: join.merged.clone(),
        });
        (self.node(node, estimate), rest)
    }

    /// Plans a table read: the cheapest access path, counting the Sort an unordered one needs.
    fn table(
        &mut self,
        table: &Arc<Table>,
        conjuncts: &[BoundExpr],
        wanted: Option<&access::WantedOrder>,
        columns: Option<&[bool]>,
        wanted_rows: Option<f64>,
    ) -> (PhysicalPlan, bool) {
        let (rows, stats) = self.table_size(table);
        let info = TableInfo { table, rows, stats: stats.as_deref(), width: 8.0 * table.columns.len() as f64 };
        let refs: Vec<&BoundExpr> = conjuncts.iter().collect();
        let candidates =
            access::paths(&info, &refs, wanted, columns, self.env.snapshot, &|e: &BoundExpr| e.is_constant());
        let settings = self.env.settings;
        // A disabled kind of path carries `DISABLED` in its own cost, so plans above it see it too.
        let penalty = |path: &AccessPath| -> f64 {
            let uses_index = path.read.index.is_some() || !path.read.ranges.is_empty();
            let mut penalty = 0.0;
            if (uses_index && !settings.enable_indexscan) || (!uses_index && !settings.enable_seqscan) {
                penalty += DISABLED;
            }
            if path.read.index_only && !settings.enable_indexonlyscan {
                penalty += DISABLED;
            }
            penalty
        };
        let effective = |path: &AccessPath| -> f64 {
            let mut total = path.total_cost;
            if let (Some(_), false) = (wanted, path.ordered) {
                total += cost::sort_cost(path.rows, wanted_rows, wanted.map_or(1, Vec::len));
            } else if let (Some(want), true) = (wanted_rows, path.ordered && wanted.is_some()) {
                // An ordered read stops after the rows LIMIT wants.
                let fraction = (want / path.rows.max(1.0)).min(1.0);
                total = path.startup_cost + (path.total_cost - path.startup_cost) * fraction;
            }
            total + penalty(path)
        };
        let best = candidates
            .into_iter()
            .min_by(|a, b| effective(a).total_cmp(&effective(b)))
            .expect("the full scan is always a path");
        let ordered = best.ordered && wanted.is_some();
        let best_penalty = penalty(&best);
        let mut read = best.read;
        // Only the columns the query reads are decoded (and an index-only read has no others).
        read.columns = columns.map(<[bool]>::to_vec);
        let estimate = Estimate {
            rows: best.rows,
            startup_cost: best.startup_cost,
            total_cost: best.total_cost + best_penalty,
            width: (info.width as u32)
                .min(8 * columns.map_or(table.columns.len(), |c| c.iter().filter(|u| **u).count().max(1)) as u32),
        };
        (self.node(Node::TableRead(read), estimate), ordered)
    }

    /// Plans `sources[0] × sources[1] × ...` as left-deep inner joins, pushing each conjunct to the first
    /// join that has all its columns.
    fn join_chain(
        &mut self,
        sources: &[Source],
        widths: &[usize],
        conjuncts: Vec<BoundExpr>,
    ) -> (PhysicalPlan, Vec<BoundExpr>, bool) {
        let first_width = widths[0];
        let (first_conjuncts, mut rest): (Vec<_>, Vec<_>) =
            conjuncts.into_iter().partition(|c| c.reads_only(&(0..first_width)));
        let (mut plan, leftover, _) = self.source(&sources[0], first_conjuncts, None, None, None);
        rest.extend(leftover);
        let mut width = first_width;
        for (source, &source_width) in sources.iter().zip(widths).skip(1) {
            let joined = width + source_width;
            let (here, later): (Vec<_>, Vec<_>) = rest.into_iter().partition(|c| c.reads_only(&(0..joined)));
            rest = later;
            let (joined_plan, leftover) =
                self.join_planned(JoinKind::Inner, plan, width, source, source_width, None, &[], here);
            plan = joined_plan;
            rest.extend(leftover);
            width = joined;
        }
        (plan, rest, false)
    }

    #[allow(clippy::too_many_arguments)]
    fn join(
        &mut self,
        kind: JoinKind,
        left: &Source,
        left_width: usize,
        right: &Source,
        right_width: usize,
        condition: Option<&BoundExpr>,
        merged: &[BoundExpr],
        conjuncts: Vec<BoundExpr>,
    ) -> (PhysicalPlan, Vec<BoundExpr>) {
        let left_columns = 0..left_width;
        // WHERE conjuncts on the preserved side of the join (both sides of an inner one) filter that side.
        let pushes_left = matches!(kind, JoinKind::Inner | JoinKind::Cross | JoinKind::Left);
        let (left_conjuncts, rest): (Vec<_>, Vec<_>) =
            conjuncts.into_iter().partition(|c| pushes_left && c.reads_only(&left_columns));
        let (left_plan, left_leftover, _) = self.source(left, left_conjuncts, None, None, None);
        let mut rest = rest;
        // (left-only leftovers stay above the join: they are over the left row's positions, which the
        // joined row keeps)
        rest.extend(left_leftover);
        self.join_planned(kind, left_plan, left_width, right, right_width, condition, merged, rest)
    }

    /// Joins an already planned left input with `right`.
    #[allow(clippy::too_many_arguments)]
    fn join_planned(
        &mut self,
        kind: JoinKind,
        left: PhysicalPlan,
        left_width: usize,
        right: &Source,
        right_width: usize,
        condition: Option<&BoundExpr>,
        merged: &[BoundExpr],
        conjuncts: Vec<BoundExpr>,
    ) -> (PhysicalPlan, Vec<BoundExpr>) {
        let right_columns = left_width..left_width + right_width;
        let shift = |c: &BoundExpr| c.map_columns(&|i| i - left_width);
        let inner = matches!(kind, JoinKind::Inner | JoinKind::Cross);
        // WHERE conjuncts on the right side of an inner (or RIGHT) join, and ON conjuncts on the right side of
        // an inner or LEFT join, restrict the right rows that can match.
        let pushes_where_right = matches!(kind, JoinKind::Inner | JoinKind::Cross | JoinKind::Right);
        let (right_where, rest): (Vec<_>, Vec<_>) =
            conjuncts.into_iter().partition(|c| pushes_where_right && c.reads_only(&right_columns));
        let on_conjuncts: Vec<BoundExpr> =
            condition.map(|c| c.conjuncts().into_iter().cloned().collect()).unwrap_or_default();
        let pushes_on_right =
            matches!(kind, JoinKind::Inner | JoinKind::Cross | JoinKind::Left | JoinKind::Semi | JoinKind::Anti);
        let mut right_conjuncts: Vec<BoundExpr> = right_where.iter().map(shift).collect();
        // The ON conjuncts that relate the two sides (or read only the left side) stay in the condition;
        // right-only ones of an inner or LEFT join restrict the right rows before they are matched.
        let (right_on, mut relating): (Vec<BoundExpr>, Vec<BoundExpr>) =
            on_conjuncts.into_iter().partition(|c| pushes_on_right && c.reads_only(&right_columns));
        right_conjuncts.extend(right_on.iter().map(shift));
        // For an inner join, WHERE conjuncts over both sides are join conditions too.
        let (join_where, rest): (Vec<_>, Vec<_>) = rest
            .into_iter()
            .partition(|c| inner && c.reads_only(&(0..left_width + right_width)) && c.subqueries().is_empty());
        relating.extend(join_where.iter().cloned());
        let relating_refs: Vec<&BoundExpr> = relating.iter().collect();

        let settings = self.env.settings;
        let left_rows = left.estimate.rows;

        // A lookup per left row into the right table's key or an index.
        let mut lookup: Option<(PhysicalPlan, f64, f64)> = None;
        if let (
            JoinKind::Inner | JoinKind::Left | JoinKind::Cross | JoinKind::Semi | JoinKind::Anti,
            Source::Table { table, alias },
        ) = (kind, right)
        {
            let (rows, stats) = self.table_size(table);
            let info = TableInfo { table, rows, stats: stats.as_deref(), width: 8.0 * table.columns.len() as f64 };
            let filter = BoundExpr::and_of(right_conjuncts.clone());
            if let Some((read, per_lookup_rows, per_lookup_cost)) =
                access::lookup_read(&info, &relating_refs, left_width, filter, self.env.snapshot)
            {
                let estimate = Estimate {
                    rows: per_lookup_rows,
                    startup_cost: 0.0,
                    total_cost: per_lookup_cost,
                    width: info.width as u32,
                };
                let right_plan = self.node(Node::TableRead(TableRead { alias: alias.clone(), ..read }), estimate);
                // A semi or anti join's lookup stops at its first match.
                let per_left_row = if matches!(kind, JoinKind::Semi | JoinKind::Anti) {
                    per_lookup_cost / per_lookup_rows.max(1.0)
                } else {
                    per_lookup_cost
                };
                let total = left.estimate.total_cost + left_rows * per_left_row;
                lookup = Some((
                    right_plan,
                    left_rows * per_lookup_rows.max(if kind == JoinKind::Left { 1.0 } else { 0.0 }),
                    total,
                ));
            }
        }

        // Otherwise plan the right side on its own, then hash or loop.
        let (right_plan, right_leftover, _) = self.source(right, right_conjuncts.clone(), None, None, None);
        let right_rows = right_plan.estimate.rows;
        let mut left_keys = Vec::new();
        let mut right_keys = Vec::new();
        for part in &relating {
            if let BoundExpr::Binary { op: BinaryOp::Eq, sig, left: a, right: b } = part {
                if !hash_compatible(&sig.left, &sig.right) {
                    continue;
                }
                if a.reads_only(&(0..left_width)) && b.reads_only(&right_columns) {
                    left_keys.push((**a).clone());
                    right_keys.push((**b).clone());
                } else if b.reads_only(&(0..left_width)) && a.reads_only(&right_columns) {
                    left_keys.push((**b).clone());
                    right_keys.push((**a).clone());
                }
            }
        }
        let matched_rows = if left_keys.is_empty() {
            if relating.is_empty() {
                left_rows * right_rows
            } else {
                left_rows * right_rows / 3.0
            }
        } else {
            // PostgreSQL's eqjoinsel per key pair, from the key columns' statistics (a unique key: one match).
            let left_origins = column_origins(&left);
            let right_origins = column_origins(&right_plan);
            let mut selectivity = 1.0;
            for (l, r) in left_keys.iter().zip(&right_keys) {
                let left_column = key_origin(l, &left_origins, 0);
                let right_column = key_origin(r, &right_origins, left_width);
                selectivity *= self.key_join_selectivity(left_column, left_rows, right_column, right_rows);
            }
            (left_rows * right_rows * selectivity).max(1.0)
        };
        let hash_cost = left.estimate.total_cost
            + right_plan.estimate.total_cost
            + right_rows * (CPU_OPERATOR_COST + CPU_TUPLE_COST)
            + left_rows * CPU_OPERATOR_COST * left_keys.len() as f64
            + matched_rows * CPU_TUPLE_COST;
        let loop_cost = left.estimate.total_cost
            + right_plan.estimate.total_cost
            + left_rows * right_rows * CPU_OPERATOR_COST * relating.len().max(1) as f64
            + matched_rows * CPU_TUPLE_COST;
        let mut options: Vec<(JoinAlgorithm, f64)> = Vec::new();
        if let Some((_, _, cost)) = &lookup {
            options.push((JoinAlgorithm::Lookup, cost + if settings.enable_nestloop { 0.0 } else { DISABLED }));
        }
        if !left_keys.is_empty() {
            let penalty = if settings.enable_hashjoin { 0.0 } else { DISABLED };
            options.push((
                JoinAlgorithm::Hash { left_keys: left_keys.clone(), right_keys: right_keys.clone() },
                hash_cost + penalty,
            ));
        }
        options.push((JoinAlgorithm::NestedLoop, loop_cost + if settings.enable_nestloop { 0.0 } else { DISABLED }));
        let (algorithm, total_cost) =
            options.into_iter().min_by(|a, b| a.1.total_cmp(&b.1)).expect("a nested loop is always possible");

        let (right_plan, rows, rest) = match (&algorithm, lookup) {
            (JoinAlgorithm::Lookup, Some((plan, rows, _))) => (plan, rows, rest),
            _ => {
                // The right plan's leftovers are over its own row. Those of an inner or RIGHT join filter the
                // joined rows; those of a LEFT join came from ON and must stay in the condition.
                let mut rest = rest;
                let leftovers = right_leftover.iter().map(|c| c.map_columns(&|i| i + left_width));
                if inner || kind == JoinKind::Right {
                    rest.extend(leftovers);
                } else {
                    relating.extend(leftovers);
                }
                (right_plan, matched_rows, rest)
            }
        };
        let condition = BoundExpr::and_of(relating);
        let estimate = Estimate {
            rows: cost::clamp_rows(match kind {
                JoinKind::Semi => rows.min(left_rows),
                JoinKind::Anti => (left_rows - rows.min(left_rows)).max(1.0),
                JoinKind::Left => rows.max(left_rows),
                JoinKind::Right => rows.max(right_rows),
                JoinKind::Full => rows.max(left_rows + right_rows),
                _ => rows,
            }),
            startup_cost: left.estimate.startup_cost,
            total_cost,
            width: left.estimate.width + right_plan.estimate.width,
        };
        let join = Join {
            kind,
            algorithm,
            left: Box::new(left),
            right: Box::new(right_plan),
            left_width,
            right_width,
            condition,
            merged: merged.to_vec(),
        };
        (self.node(Node::Join(join), estimate), rest)
    }
}

/// Gives a table read its FROM item's alias.
fn name_read(plan: &mut PhysicalPlan, alias: &Option<String>) {
    if let Node::TableRead(read) = &mut plan.node {
        read.alias = alias.clone();
    }
}

/// For each column of a plan's output rows, the table column it is (None when computed).
fn column_origins(plan: &PhysicalPlan) -> Vec<Option<(Arc<Table>, usize)>> {
    match &plan.node {
        Node::TableRead(read) => (0..read.table.columns.len()).map(|c| Some((read.table.clone(), c))).collect(),
        Node::Filter { input, .. } | Node::Limit { input, .. } | Node::Sort { input, .. } => column_origins(input),
        Node::Join(join) => {
            let mut origins = column_origins(&join.left);
            origins.resize(join.left_width, None);
            let mut right = column_origins(&join.right);
            right.resize(join.right_width, None);
            origins.extend(right);
            origins
        }
        Node::Project { input, exprs } => {
            let inner = column_origins(input);
            exprs
                .iter()
                .map(|e| match e {
                    BoundExpr::Column(c) => inner.get(*c).cloned().flatten(),
                    _ => None,
                })
                .collect()
        }
        _ => Vec::new(),
    }
}

/// The table column a join key is, looked up in its side's origins (`offset`: where that side starts in
/// the joined row the key is bound against).
fn key_origin<'o>(
    key: &BoundExpr,
    origins: &'o [Option<(Arc<Table>, usize)>],
    offset: usize,
) -> Option<&'o (Arc<Table>, usize)> {
    let mut key = key;
    while let BoundExpr::Cast { expr, .. } = key {
        key = expr;
    }
    match key {
        BoundExpr::Column(c) if *c >= offset => origins.get(c - offset).and_then(Option::as_ref),
        _ => None,
    }
}

/// The number of columns a FROM source produces.
fn source_width(source: &Source) -> usize {
    match source {
        Source::Single => 0,
        Source::Table { table, .. } => table.columns.len(),
        Source::System(relation) => relation.width(),
        Source::Function { input, function, .. } => input.as_deref().map_or(0, source_width) + function.width(),
        Source::Values(rows) => rows.first().map_or(0, Vec::len),
        Source::Subquery(query) => query.visible,
        Source::Cross(sources) => sources.iter().map(source_width).sum(),
        Source::Join(join) => join.left_width + join.right_width + join.merged.len(),
        Source::SetOperation { left, .. } => left.visible,
        Source::RecursiveUnion { anchor, .. } => anchor.visible,
        Source::WorkTable { columns, .. } => columns.len(),
    }
}

fn literal_int(expr: &BoundExpr) -> Option<i64> {
    match expr {
        BoundExpr::Literal(Value::Int(n)) => Some(*n),
        BoundExpr::Cast { expr, .. } => literal_int(expr),
        _ => None,
    }
}

fn literal_count(expr: &BoundExpr) -> Option<f64> {
    literal_int(expr).map(|n| n.max(0) as f64)
}

/// Whether equal values of the two types always have equal key encodings (so hashing finds every match).
fn hash_compatible(a: &DataType, b: &DataType) -> bool {
    let texty = |t: &DataType| matches!(t, DataType::Text | DataType::Varchar(_));
    (a.is_integer() && b.is_integer())
        || (texty(a) && texty(b))
        || (a == b
            && matches!(
                a,
                DataType::Bool
                    | DataType::Uuid
                    | DataType::Date
                    | DataType::Timestamp
                    | DataType::Timestamptz
                    | DataType::Bytea
            ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::plan::Plan;
    use crate::Database;

    #[test]
    fn a_kept_plan_is_planned_again_only_when_what_it_was_planned_with_changed() {
        // PostgreSQL mode: ANALYZE is done when the statement returns.
        let config = crate::Config { compat: crate::CompatMode::Postgres, ..crate::Config::default() };
        let db = Database::open(&config).unwrap();
        let mut session = db.session("admin").unwrap();
        for sql in ["CREATE TABLE kept (id int PRIMARY KEY, v int)", "INSERT INTO kept VALUES (1, 2)"] {
            session.execute_batch(sql).into_iter().for_each(|result| drop(result.unwrap()));
        }
        let statement = crate::sql::parse::parse("SELECT v FROM kept WHERE id = $1").unwrap().remove(0);
        let planned = crate::sql::bind::plan_statement(&db.catalog(), &statement, &[DataType::Int4]).unwrap();
        let Plan::Query(query) = &planned.plan else { panic!("a query") };
        let settings = db.planner_defaults();
        let env = |snapshot: Timestamp, settings: Settings| Environment { snapshot, estimates: &db, settings };
        let cache = PlanCache::default();

        let first = cache.plan_query(query, &env(10, settings));
        assert!(Arc::ptr_eq(&first, &cache.plan_query(query, &env(10, settings))));
        assert!(Arc::ptr_eq(&first, &cache.plan_query(query, &env(11, settings))), "a later snapshot keeps it");
        let older = cache.plan_query(query, &env(9, settings));
        assert!(!Arc::ptr_eq(&first, &older), "an older snapshot might not see an index the plan reads");

        let switched = Settings { enable_indexscan: false, ..settings };
        let other = cache.plan_query(query, &env(9, switched));
        assert!(!Arc::ptr_eq(&older, &other), "other planner settings");
        assert!(Arc::ptr_eq(&other, &cache.plan_query(query, &env(9, switched))));

        session.execute_batch("ANALYZE kept").into_iter().for_each(|result| drop(result.unwrap()));
        let analyzed = cache.plan_query(query, &env(9, switched));
        assert!(!Arc::ptr_eq(&other, &analyzed), "new statistics");

        session.execute_batch("INSERT INTO kept VALUES (2, 3)").into_iter().for_each(|result| drop(result.unwrap()));
        assert!(!Arc::ptr_eq(&analyzed, &cache.plan_query(query, &env(9, switched))), "the table doubled");
    }
}
