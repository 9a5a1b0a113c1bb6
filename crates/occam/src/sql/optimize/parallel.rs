//! Parallel plans: puts a `Gather` under the operators that read their whole input before they hand up a
//! row (aggregation, sorting), over a full scan of a table large enough to be worth splitting, or over hash
//! joins that probe with such a scan (the workers share the join's right input). Aggregates that merge
//! exactly and top-N sorts are then split: a partial half per morsel in the workers, a final half above.
//!
//! A `Gather`'s workers read the table in key ranges (morsels) cut at the bounds of the ANALYZE histogram
//! of the first primary-key column, taken in key order; the executor (`execute::gather`) hands the rows up
//! morsel by morsel in that order. So a parallel plan returns exactly the rows of the serial one, in the
//! same order: every aggregate (`string_agg`, `array_agg`, float sums) and every sort gives the same
//! answer, only sooner. Like PostgreSQL it runs after the plan is chosen (its `Gather` is a path costed with
//! the rest; here the choice is by size alone, as `min_parallel_table_scan_size` gates PostgreSQL's).
//!
//! What a worker runs must not depend on the thread it runs in: no subqueries (their results are cached
//! per executor context), no volatile functions (`random()`, `nextval`) and no outer rows' columns (a
//! LATERAL item's); such scans stay serial, as do inputs run again and again (LATERAL, WITH RECURSIVE).

use super::cost::{PARALLEL_SETUP_COST, ROW_OVERHEAD};
use super::Environment;
use crate::sql::ast::JoinKind;
use crate::sql::functions;
use crate::sql::plan::physical::{AggregatePhase, Estimate, Join, JoinAlgorithm, Node, PhysicalPlan, TableRead};
use crate::sql::plan::{AggregateCall, BoundExpr};
use crate::storage::keycode::encode_value;

/// PostgreSQL's default `min_parallel_table_scan_size` (8MB).
pub const MIN_PARALLEL_TABLE_SCAN_SIZE: u64 = 8 * 1024 * 1024;
/// At most this many morsels per scan (enough for the workers to share the work evenly).
const MAX_MORSELS: usize = 64;

/// `max_parallel_workers_per_gather` by default: the machine's cores, at most 8; none on one core.
/// (PostgreSQL's default is 2; occam's default uses every core of the machine it runs on.)
pub fn default_workers() -> usize {
    match std::thread::available_parallelism().map_or(1, |n| n.get()) {
        1 => 0,
        cores => cores.min(8),
    }
}

/// A `min_parallel_table_scan_size` value in bytes: a number of 8kB blocks, or a number with a unit (`B`,
/// `kB`, `MB`, `GB`, `TB`), as PostgreSQL takes it. None when it is not one.
pub fn parse_scan_size(value: &str) -> Option<u64> {
    let value = value.trim();
    let digits = value.find(|c: char| !c.is_ascii_digit()).unwrap_or(value.len());
    let number: u64 = value[..digits].parse().ok()?;
    let unit = match value[digits..].trim() {
        "" => 8 * 1024,
        "B" => 1,
        "kB" => 1024,
        "MB" => 1024 * 1024,
        "GB" => 1024 * 1024 * 1024,
        "TB" => 1024 * 1024 * 1024 * 1024,
        _ => return None,
    };
    number.checked_mul(unit)
}

/// Puts `Gather`s into `plan` where they pay (see the module comment); `next_id` numbers the new nodes.
pub fn parallelize(plan: &mut PhysicalPlan, env: &Environment, next_id: &mut usize) {
    if env.settings.max_parallel_workers_per_gather == 0 {
        return;
    }
    let reads_all_input = matches!(plan.node, Node::Aggregate { .. } | Node::Sort { .. });
    // Inputs run again and again (a LATERAL item per outer row, a recursive term per round) would start
    // their workers as often: they stay serial.
    let rerun = match &plan.node {
        Node::Join(join) => matches!(join.algorithm, JoinAlgorithm::Lateral).then_some(1),
        Node::RecursiveUnion { .. } => Some(1),
        _ => None,
    };
    for (position, child) in plan.children_mut().into_iter().enumerate() {
        if rerun == Some(position) {
            continue;
        }
        match reads_all_input.then(|| gather_over(child, env)).flatten() {
            Some((workers, splits)) => {
                let input =
                    std::mem::replace(child, PhysicalPlan { id: 0, node: Node::Result, estimate: Estimate::default() });
                let estimate = Estimate {
                    startup_cost: input.estimate.startup_cost + PARALLEL_SETUP_COST,
                    total_cost: input.estimate.startup_cost
                        + PARALLEL_SETUP_COST
                        + (input.estimate.total_cost - input.estimate.startup_cost) / workers as f64,
                    ..input.estimate
                };
                *child = PhysicalPlan {
                    id: *next_id,
                    node: Node::Gather { input: Box::new(input), workers, splits },
                    estimate,
                };
                *next_id += 1;
                if let Node::Gather { input, .. } = &mut child.node {
                    morsel_source_mut(input).parallel = true;
                }
            }
            None => parallelize(child, env, next_id),
        }
    }
    split_aggregate(plan, next_id);
    split_top_n(plan, next_id);
}

/// A top-N sort over a `Gather` becomes `Sort -> Gather -> Sort`: each morsel is sorted down to its best
/// LIMIT + OFFSET rows in the workers, and the leader sorts those (PostgreSQL's `Gather Merge` over
/// per-worker sorts does the same job). The sort is stable and morsels come up in key order, so the
/// answer is the serial one's even among ties (`execute::sort`).
fn split_top_n(plan: &mut PhysicalPlan, next_id: &mut usize) {
    let Node::Sort { input, keys, limit: Some(count) } = &mut plan.node else { return };
    let Node::Gather { input: gathered, splits, .. } = &mut input.node else { return };
    if count.limit.is_none() || !count.limit.iter().chain(&count.offset).all(thread_safe) {
        return;
    }
    let below =
        std::mem::replace(&mut **gathered, PhysicalPlan { id: 0, node: Node::Result, estimate: Estimate::default() });
    // Per morsel at most the rows the whole keeps, and at most its rows.
    let rows = (plan.estimate.rows * (splits.len() + 1) as f64).min(below.estimate.rows);
    let partial = Node::Sort { input: Box::new(below), keys: keys.clone(), limit: Some(count.clone()) };
    **gathered = PhysicalPlan { id: *next_id, node: partial, estimate: Estimate { rows, ..plan.estimate } };
    *next_id += 1;
    input.estimate.rows = rows;
}

/// An aggregation over a `Gather` whose aggregates all merge exactly ([`functions::splits`]) becomes
/// `Finalize Aggregate -> Gather -> Partial Aggregate`: the workers aggregate their morsels and the leader
/// merges a few rows per morsel instead of aggregating every row.
fn split_aggregate(plan: &mut PhysicalPlan, next_id: &mut usize) {
    let Node::Aggregate { input, group_by, grouping_sets, aggregates, phase } = &mut plan.node else { return };
    let Node::Gather { input: gathered, splits, .. } = &mut input.node else { return };
    let splittable = |call: &AggregateCall| {
        call.order_by.is_empty() && call.grouping.is_empty() && functions::splits(&call.aggregate)
    };
    if *phase != AggregatePhase::Whole || !grouping_sets.is_empty() || !aggregates.iter().all(splittable) {
        return;
    }
    let keys = group_by.len();
    let below =
        std::mem::replace(&mut **gathered, PhysicalPlan { id: 0, node: Node::Result, estimate: Estimate::default() });
    // Per morsel at most the groups of the whole, and at most its rows.
    let rows = (plan.estimate.rows * (splits.len() + 1) as f64).min(below.estimate.rows);
    let estimate = Estimate { rows, ..plan.estimate };
    let partial = Node::Aggregate {
        input: Box::new(below),
        group_by: std::mem::take(group_by),
        grouping_sets: Vec::new(),
        aggregates: aggregates.clone(),
        phase: AggregatePhase::Partial,
    };
    **gathered = PhysicalPlan { id: *next_id, node: partial, estimate };
    *next_id += 1;
    input.estimate.rows = rows;
    *group_by = (0..keys).map(BoundExpr::Column).collect();
    for (i, call) in aggregates.iter_mut().enumerate() {
        call.arg = Some(BoundExpr::Column(keys + i));
    }
    *phase = AggregatePhase::Finalize;
}

/// The workers and morsel bounds of a `Gather` over `plan`, when it is a full scan (under filters and
/// projections that any thread can compute) of a table large enough, with statistics to cut it by.
fn gather_over(plan: &PhysicalPlan, env: &Environment) -> Option<(usize, Vec<Vec<u8>>)> {
    let read = morsel_source(plan)?;
    let table = &read.table;
    let stats = env.estimates.table_statistics(table)?;
    let first_key = &table.columns[*table.primary_key.first()?];
    let bounds = &stats.columns.iter().find(|c| c.name == first_key.name)?.histogram;
    let width: f64 = stats.columns.iter().map(|c| c.average_width).sum::<f64>() + ROW_OVERHEAD;
    let bytes = read.rows_before_filter.max(stats.row_count as f64) * width;
    let settings = &env.settings;
    if bytes < settings.min_parallel_table_scan_size as f64 || bounds.len() < 2 {
        return None;
    }
    // PostgreSQL's compute_parallel_worker: one worker, one more each time the table is three times larger.
    let mut workers = 1;
    let mut threshold = (settings.min_parallel_table_scan_size as f64).max(1.0) * 3.0;
    while bytes >= threshold && workers < settings.max_parallel_workers_per_gather {
        workers += 1;
        threshold *= 3.0;
    }
    if settings.min_parallel_table_scan_size == 0 {
        workers = settings.max_parallel_workers_per_gather;
    }
    // Evenly spaced histogram bounds, as storage keys in key order.
    let step = bounds.len().div_ceil(MAX_MORSELS - 1).max(1);
    let mut splits: Vec<Vec<u8>> = bounds
        .iter()
        .step_by(step)
        .filter(|value| !value.is_null())
        .map(|value| {
            let mut key = table.key_prefix.clone();
            encode_value(&mut key, value, false);
            key
        })
        .collect();
    splits.sort();
    splits.dedup();
    (!splits.is_empty()).then_some((workers.min(splits.len() + 1), splits))
}

/// The one full table read at the bottom of `plan` when everything down to it is Filter and Project
/// nodes and the probe (left) sides of hash joins, and any thread may compute their expressions.
fn morsel_source(plan: &PhysicalPlan) -> Option<&TableRead> {
    match &plan.node {
        Node::Filter { input, predicate } => thread_safe(predicate).then(|| morsel_source(input)).flatten(),
        Node::Project { input, exprs } => exprs.iter().all(thread_safe).then(|| morsel_source(input)).flatten(),
        Node::Join(join) => probes_in_parallel(join).then(|| morsel_source(&join.left)).flatten(),
        Node::TableRead(read) => {
            let whole = read.index.is_none() && read.ranges.is_empty() && read.key_span.is_none();
            let simple = !read.backward && !read.with_row_key && !read.index_only;
            (whole && simple && read.filter.as_ref().is_none_or(thread_safe)).then_some(read)
        }
        _ => None,
    }
}

/// The read [`morsel_source`] found, to mark it as the one the workers split.
fn morsel_source_mut(plan: &mut PhysicalPlan) -> &mut TableRead {
    match &mut plan.node {
        Node::Filter { input, .. } | Node::Project { input, .. } => morsel_source_mut(input),
        Node::Join(join) => morsel_source_mut(&mut join.left),
        Node::TableRead(read) => read,
        _ => unreachable!("morsel_source found a read down this path"),
    }
}

/// Whether a hash join may run in every worker over the worker's morsels of its left input: each left
/// row's matches are found in a right input that the workers share (read once, by the first of them), so
/// the kinds whose unmatched right rows come out at the end (RIGHT, FULL) stay serial.
fn probes_in_parallel(join: &Join) -> bool {
    let JoinAlgorithm::Hash { left_keys, right_keys } = &join.algorithm else { return false };
    matches!(join.kind, JoinKind::Inner | JoinKind::Left | JoinKind::Semi | JoinKind::Anti)
        && left_keys.iter().chain(right_keys).chain(&join.condition).chain(&join.merged).all(thread_safe)
        && runs_in_any_thread(&join.right)
}

/// Whether `plan` (a hash join's right input) is Filter and Project nodes over a table read whose every
/// expression any thread may compute.
fn runs_in_any_thread(plan: &PhysicalPlan) -> bool {
    match &plan.node {
        Node::Filter { input, predicate } => thread_safe(predicate) && runs_in_any_thread(input),
        Node::Project { input, exprs } => exprs.iter().all(thread_safe) && runs_in_any_thread(input),
        Node::TableRead(read) => {
            let bounds = read.ranges.iter().flat_map(|range| {
                range.prefix.iter().chain(range.lower.iter().chain(&range.upper).map(|(bound, _)| bound))
            });
            !read.with_row_key && read.filter.iter().chain(bounds).all(thread_safe)
        }
        _ => false,
    }
}

/// Whether a worker thread computes `expr` exactly as the statement's own thread would: no subquery, no
/// volatile function, no column of an enclosing query's row (a worker has none).
fn thread_safe(expr: &BoundExpr) -> bool {
    expr.subqueries().is_empty()
        && !crate::sql::bind::is_volatile(expr)
        && !expr.any(|e| matches!(e, BoundExpr::OuterColumn { .. }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_sizes_read_as_postgresql_reads_them() {
        assert_eq!(parse_scan_size("8MB"), Some(8 * 1024 * 1024));
        assert_eq!(parse_scan_size("1024"), Some(8 * 1024 * 1024), "8kB blocks");
        assert_eq!(parse_scan_size("0"), Some(0));
        assert_eq!(parse_scan_size(" 64kB "), Some(64 * 1024));
        assert_eq!(parse_scan_size("1 GB"), Some(1024 * 1024 * 1024));
        assert_eq!(parse_scan_size("8mb"), None, "units are case-sensitive, as in PostgreSQL");
        assert_eq!(parse_scan_size("-1"), None);
        assert_eq!(parse_scan_size("lots"), None);
        assert_eq!(parse_scan_size("99999999999999999999TB"), None);
    }
}
