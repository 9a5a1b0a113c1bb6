//! EXPLAIN: a physical plan as text (Aurora DSQL's node names by default, PostgreSQL's with
//! `--compat postgres`) or as PostgreSQL's JSON, with the optimizer's estimates and, for EXPLAIN ANALYZE,
//! what each node really did.
//!
//! The text follows PostgreSQL's layout (`explain.c`): a node line `Name  (cost=a..b rows=n width=w)
//! (actual time=a..b rows=n loops=l)`, its details indented below, its inputs as `->  ` lines six columns
//! further in. Projections, truncations and filters are not nodes of their own there: a filter shows as
//! a `Filter:` line of the node it sits on. In DSQL's style a table read also shows the storage work under
//! it, as DSQL does: `-> Storage Scan` / `-> Storage Lookup` with their `Projections:`, `Filters:` and
//! `Rows Filtered:`, and the `-> B-Tree Scan` / `-> B-Tree Lookup` beneath.

use std::fmt::Write;
use std::time::Duration;

use crate::sql::ast::{ExplainFormat, ExplainOptions, JoinKind, SetOperator};
use crate::sql::execute::NodeStats;
use crate::sql::plan::physical::{AggregatePhase, Join, JoinAlgorithm, Node, PhysicalPlan, PhysicalQuery, TableRead};
use crate::sql::plan::BoundExpr;
use crate::types::{ArrayElement, DataType, Value};

/// Whose node names to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Dsql,
    Postgres,
}

/// A DML statement's top line (`Update on accounts`), when explaining DML.
pub struct DmlTarget {
    pub verb: &'static str,
    pub table: String,
}

/// Everything EXPLAIN prints.
pub struct Explained<'a> {
    pub query: Option<&'a PhysicalQuery>,
    pub stats: Option<&'a [NodeStats]>,
    pub dml: Option<DmlTarget>,
    pub options: ExplainOptions,
    pub style: Style,
    pub planning: Duration,
    pub execution: Option<Duration>,
}

/// The lines of EXPLAIN's output (one row each).
pub fn render(explained: &Explained) -> Vec<String> {
    match explained.options.format {
        ExplainFormat::Text => TextRenderer::new(explained).render(),
        ExplainFormat::Json => vec![json(explained)],
    }
}

/// A column label per row position of a node's output.
type Labels = Vec<String>;

struct TextRenderer<'a> {
    e: &'a Explained<'a>,
    lines: Vec<String>,
    qualify: bool,
    /// While a lateral join's right side is rendered: the left side's labels (innermost last), which
    /// name the right side's outer-row references.
    outer: Vec<Labels>,
}

/// The relations the plan reads (tables and work tables): with more than one, columns are qualified.
fn count_reads(plan: &PhysicalPlan) -> usize {
    let own = matches!(plan.node, Node::TableRead(_) | Node::WorkTableScan { .. }) as usize;
    own + plan.children().into_iter().map(count_reads).sum::<usize>()
}

impl<'a> TextRenderer<'a> {
    fn new(e: &'a Explained<'a>) -> Self {
        // VERBOSE qualifies every column, as PostgreSQL.
        let qualify = e.options.verbose || e.query.is_some_and(|q| count_reads(&q.root) > 1);
        TextRenderer { e, lines: Vec::new(), qualify, outer: Vec::new() }
    }

    fn render(mut self) -> Vec<String> {
        let mut depth = 0;
        if let Some(dml) = &self.e.dml {
            let line = format!("{} on {}", dml.verb, dml.table);
            let suffix = self.e.query.map(|q| self.suffix(&q.root, None)).unwrap_or_default();
            self.lines.push(format!("{line}{suffix}"));
            depth = 1;
        }
        if let Some(query) = self.e.query {
            self.node(&query.root, depth, Vec::new());
            for (id, plan) in &query.subplans {
                self.lines.push(format!("{}SubPlan {}", indent(detail_indent(depth)), id + 1));
                self.node(plan, depth + 1, Vec::new());
            }
        }
        if self.e.options.analyze && self.e.options.summary {
            self.lines.push(format!("Planning Time: {:.3} ms", ms(self.e.planning)));
            if let Some(execution) = self.e.execution {
                self.lines.push(format!("Execution Time: {:.3} ms", ms(execution)));
            }
        }
        self.lines
    }

    /// `expr_text`, with a lateral join's outer-row references named by its left side's labels.
    fn text(&self, expr: &BoundExpr, labels: &Labels) -> String {
        if self.outer.is_empty() || !expr.any(|e| matches!(e, BoundExpr::OuterColumn { .. })) {
            return expr_text(expr, labels);
        }
        let mut all = labels.clone();
        let mut starts = Vec::with_capacity(self.outer.len());
        for outer in self.outer.iter().rev() {
            starts.push(all.len());
            all.extend(outer.iter().cloned());
        }
        let named = expr.replace_references(&|e| match e {
            BoundExpr::OuterColumn { depth, index } => {
                starts.get(depth - 1).map(|start| BoundExpr::Column(start + index))
            }
            _ => None,
        });
        expr_text(&named, &all)
    }

    fn stats(&self, plan: &PhysicalPlan) -> Option<&NodeStats> {
        self.e.stats.and_then(|s| s.get(plan.id))
    }

    /// `  (cost=...) (actual ...)` for a node line; `shown` is the node whose estimate and counters it shows.
    fn suffix(&self, plan: &PhysicalPlan, storage: Option<bool>) -> String {
        let mut out = String::new();
        let separator = if storage.is_some() { " " } else { "  " };
        if self.e.options.costs {
            let e = &plan.estimate;
            let _ = write!(
                out,
                "{separator}(cost={:.2}..{:.2} rows={} width={})",
                e.startup_cost,
                e.total_cost,
                e.rows.round().max(1.0) as u64,
                e.width
            );
        }
        if self.e.options.analyze {
            let separator = if out.is_empty() { separator } else { " " };
            match self.stats(plan) {
                Some(s) if s.loops > 0 => {
                    let loops = s.loops.max(1);
                    let rows = (s.rows as f64 / loops as f64).round() as u64;
                    if self.e.options.timing && storage != Some(true) {
                        let _ = write!(
                            out,
                            "{separator}(actual time={:.3}..{:.3} rows={rows} loops={loops})",
                            ms(s.startup) / loops as f64,
                            ms(s.total) / loops as f64
                        );
                    } else {
                        let _ = write!(out, "{separator}(actual rows={rows} loops={loops})");
                    }
                }
                _ => {
                    let _ = write!(out, "{separator}(never executed)");
                }
            }
        }
        out
    }

    fn header(&mut self, depth: usize, name: &str, plan: &PhysicalPlan) {
        let arrow = if depth == 0 { String::new() } else { format!("{}->  ", indent(6 * depth - 4)) };
        let suffix = self.suffix(plan, None);
        self.lines.push(format!("{arrow}{name}{suffix}"));
    }

    fn detail(&mut self, depth: usize, text: String) {
        self.lines.push(format!("{}{text}", indent(detail_indent(depth))));
    }

    /// Renders `plan` at `depth`; `filters` are predicates of Filter nodes above it (shown on it).
    fn node(&mut self, plan: &PhysicalPlan, depth: usize, filters: Vec<(&PhysicalPlan, &BoundExpr)>) -> Labels {
        match &plan.node {
            Node::Filter { input, predicate } => {
                let mut filters = filters;
                filters.push((plan, predicate));
                self.node(input, depth, filters)
            }
            Node::Project { input, exprs } => {
                let labels = self.node(input, depth, filters);
                exprs.iter().map(|e| self.text(e, &labels)).collect()
            }
            Node::Truncate { input, columns } => {
                let mut labels = self.node(input, depth, filters);
                labels.truncate(*columns);
                labels
            }
            _ => self.operator(plan, depth, filters),
        }
    }

    /// The plan node whose counters a line shows: the topmost Filter above it, else itself.
    fn shown<'p>(plan: &'p PhysicalPlan, filters: &[(&'p PhysicalPlan, &BoundExpr)]) -> &'p PhysicalPlan {
        filters.first().map(|(f, _)| *f).unwrap_or(plan)
    }

    fn filter_lines(
        &mut self,
        depth: usize,
        plan: &PhysicalPlan,
        filters: &[(&PhysicalPlan, &BoundExpr)],
        labels: &Labels,
    ) {
        for (filter_plan, predicate) in filters.iter().rev() {
            self.detail(depth, format!("Filter: {}", self.text(predicate, labels)));
            if self.e.options.analyze {
                let below = self.stats(plan).map_or(0, |s| s.rows);
                let kept = self.stats(filter_plan).map_or(0, |s| s.rows);
                let loops = self.stats(plan).map_or(1, |s| s.loops.max(1));
                self.detail(depth, format!("Rows Removed by Filter: {}", below.saturating_sub(kept) / loops));
            }
        }
    }

    fn operator(&mut self, plan: &PhysicalPlan, depth: usize, filters: Vec<(&PhysicalPlan, &BoundExpr)>) -> Labels {
        let header_at = self.lines.len();
        let labels = self.operator_lines(plan, depth, filters);
        if self.e.options.verbose {
            // VERBOSE: the columns the node hands up, right below its header (a table read's are those the
            // query reads).
            let shown: Vec<&str> = match &plan.node {
                Node::TableRead(TableRead { columns: Some(read), .. }) => labels
                    .iter()
                    .zip(read.iter().chain(std::iter::repeat(&false)))
                    .filter(|(_, read)| **read)
                    .map(|(l, _)| l.as_str())
                    .collect(),
                _ => labels.iter().map(String::as_str).collect(),
            };
            let line = format!("{}Output: {}", indent(detail_indent(depth)), shown.join(", "));
            self.lines.insert((header_at + 1).min(self.lines.len()), line);
        }
        labels
    }

    fn operator_lines(
        &mut self,
        plan: &PhysicalPlan,
        depth: usize,
        filters: Vec<(&PhysicalPlan, &BoundExpr)>,
    ) -> Labels {
        let shown = Self::shown(plan, &filters);
        match &plan.node {
            Node::TableRead(read) => {
                let labels = self.table_labels(read);
                self.table_read(plan, shown, read, depth, &filters, &labels);
                labels
            }
            Node::Result => {
                self.header(depth, "Result", shown);
                self.filter_lines(depth, plan, &filters, &Vec::new());
                Vec::new()
            }
            Node::SystemScan { relation } => {
                self.header(depth, &format!("Function Scan on {}", relation.name), shown);
                let labels: Labels = relation.columns.iter().map(|(n, _)| n.to_string()).collect();
                self.filter_lines(depth, plan, &filters, &labels);
                labels
            }
            // A function reading each input row: PostgreSQL's Nested Loop over the input and a Function Scan.
            Node::Function { input: Some(input), function, .. } => {
                self.header(depth, "Nested Loop", shown);
                let at = self.lines.len();
                let mut labels = self.node(input, depth + 1, Vec::new());
                self.header(depth + 1, &format!("Function Scan on {}", function.name()), shown);
                labels.extend(function.column_names().iter().map(|n| n.to_string()));
                let end = self.lines.len();
                self.filter_lines(depth, plan, &filters, &labels);
                self.move_details(at, end);
                labels
            }
            Node::Function { function, .. } => {
                self.header(depth, &format!("Function Scan on {}", function.name()), shown);
                let labels: Labels = function.column_names().iter().map(|n| n.to_string()).collect();
                self.filter_lines(depth, plan, &filters, &labels);
                labels
            }
            Node::Values { rows } => {
                self.header(depth, "Values Scan on \"*VALUES*\"", shown);
                let labels: Labels =
                    (1..=rows.first().map_or(0, Vec::len)).map(|i| format!("\"*VALUES*\".column{i}")).collect();
                self.filter_lines(depth, plan, &filters, &labels);
                labels
            }
            Node::Aggregate { input, group_by, grouping_sets, aggregates, phase } => {
                let name = match (group_by.is_empty(), grouping_sets.is_empty()) {
                    (_, false) => "MixedAggregate",
                    (true, true) => "Aggregate",
                    (false, true) => "HashAggregate",
                };
                let name = match phase {
                    AggregatePhase::Whole => name.to_string(),
                    split => format!("{} {name}", partial_mode(*split)),
                };
                self.header(depth, &name, shown);
                let at = self.lines.len();
                let input_labels = self.node(input, depth + 1, Vec::new());
                let mut labels: Labels = group_by.iter().map(|g| self.text(g, &input_labels)).collect();
                for (i, call) in aggregates.iter().enumerate() {
                    let name = snake_case(&format!("{:?}", call.aggregate.function));
                    if *phase == AggregatePhase::Finalize {
                        // Its input is the partial aggregate's output: the aggregate is named there.
                        labels.push(input_labels.get(group_by.len() + i).cloned().unwrap_or_default());
                        continue;
                    }
                    labels.push(match (&call.arg, name.as_str()) {
                        (None, "grouping") => {
                            let args: Vec<&str> = call.grouping.iter().map(|&i| labels[i].as_str()).collect();
                            format!("GROUPING({})", args.join(", "))
                        }
                        (None, _) | (_, "count_star") => "count(*)".to_string(),
                        (Some(arg), _) => format!("{name}({})", self.text(arg, &input_labels)),
                    });
                }
                let children_end = self.lines.len();
                if !grouping_sets.is_empty() {
                    for set in grouping_sets {
                        let keys: Vec<&str> = set.iter().map(|&i| labels[i].as_str()).collect();
                        let keys = if keys.is_empty() { "()".to_string() } else { keys.join(", ") };
                        self.detail(depth, format!("Group Key: {keys}"));
                    }
                } else if !group_by.is_empty() {
                    let keys = labels[..group_by.len()].join(", ");
                    self.detail(depth, format!("Group Key: {keys}"));
                }
                self.filter_lines(depth, plan, &filters, &labels);
                self.move_details(at, children_end);
                labels
            }
            Node::Distinct { input, columns, on } => {
                self.header(depth, if *on { "Unique" } else { "HashAggregate" }, shown);
                let at = self.lines.len();
                let labels = self.node(input, depth + 1, Vec::new());
                if !on {
                    let keys: Vec<String> = columns.iter().filter_map(|c| labels.get(*c).cloned()).collect();
                    let line = format!("{}Group Key: {}", indent(detail_indent(depth)), keys.join(", "));
                    self.lines.insert(at, line);
                }
                labels
            }
            Node::Sort { input, keys, limit } => {
                self.header(depth, "Sort", shown);
                let at = self.lines.len();
                let labels = self.node(input, depth + 1, Vec::new());
                let mut details = Vec::new();
                let rendered: Vec<String> = keys
                    .iter()
                    .map(|k| {
                        let mut text =
                            labels.get(k.column).cloned().unwrap_or_else(|| format!("column{}", k.column + 1));
                        if k.descending {
                            text.push_str(" DESC");
                        }
                        if k.nulls_first != k.descending {
                            text.push_str(if k.nulls_first { " NULLS FIRST" } else { " NULLS LAST" });
                        }
                        text
                    })
                    .collect();
                details.push(format!("{}Sort Key: {}", indent(detail_indent(depth)), rendered.join(", ")));
                if self.e.options.analyze {
                    let kb = self.stats(plan).map_or(0, |s| s.sort_bytes).div_ceil(1024).max(25);
                    let method = if limit.is_some() { "top-N heapsort" } else { "quicksort" };
                    details.push(format!("{}Sort Method: {method}  Memory: {kb}kB", indent(detail_indent(depth))));
                }
                self.lines.splice(at..at, details);
                labels
            }
            Node::Limit { input, .. } => {
                self.header(depth, "Limit", shown);
                self.node(input, depth + 1, Vec::new())
            }
            Node::Gather { input, workers, .. } => {
                self.header(depth, "Gather", shown);
                self.detail(depth, format!("Workers Planned: {workers}"));
                if self.e.options.analyze && self.stats(plan).is_some_and(|s| s.loops > 0) {
                    self.detail(depth, format!("Workers Launched: {workers}"));
                }
                self.node(input, depth + 1, Vec::new())
            }
            Node::Window { input, windows } => {
                self.header(depth, "WindowAgg", shown);
                let mut labels = self.node(input, depth + 1, Vec::new());
                // PostgreSQL names a window result by its call, with its window unnamed.
                for call in windows {
                    let args: Vec<String> = call.args.iter().map(|a| self.text(a, &labels)).collect();
                    let args =
                        if args.is_empty() && call.function.name() == "count" { "*".into() } else { args.join(", ") };
                    labels.push(format!("({}({args}) OVER (?))", call.function.name()));
                }
                labels
            }
            Node::Join(join) => self.join(plan, shown, join, depth, &filters),
            Node::SetOperation { op, all, left, right } => {
                let name = match (op, all) {
                    (SetOperator::Union, true) => "Append".to_string(),
                    (op, all) => format!("HashSetOp {:?}{}", op, if *all { " All" } else { "" }),
                };
                self.header(depth, &name, shown);
                let labels = self.node(left, depth + 1, Vec::new());
                self.node(right, depth + 1, Vec::new());
                labels
            }
            Node::RecursiveUnion { anchor, recursive, .. } => {
                self.header(depth, "Recursive Union", shown);
                let labels = self.node(anchor, depth + 1, Vec::new());
                self.node(recursive, depth + 1, Vec::new());
                labels
            }
            Node::WorkTableScan { name, columns, modifying, .. } => {
                let kind = if *modifying { "CTE Scan" } else { "WorkTable Scan" };
                self.header(depth, &format!("{kind} on {name}"), shown);
                let labels: Labels = columns.iter().map(|c| format!("{name}.{c}")).collect();
                self.filter_lines(depth, plan, &filters, &labels);
                labels
            }
            Node::Filter { .. } | Node::Project { .. } | Node::Truncate { .. } => self.node(plan, depth, filters),
        }
    }

    /// Moves the lines appended after `children_end` (a node's details, written once its inputs were
    /// rendered and named its columns) up to `at`, right below the node's header.
    fn move_details(&mut self, at: usize, children_end: usize) {
        let details: Vec<String> = self.lines.drain(children_end..).collect();
        self.lines.splice(at..at, details);
    }

    fn join(
        &mut self,
        plan: &PhysicalPlan,
        shown: &PhysicalPlan,
        join: &Join,
        depth: usize,
        filters: &[(&PhysicalPlan, &BoundExpr)],
    ) -> Labels {
        let kind = match join.kind {
            JoinKind::Inner | JoinKind::Cross => "",
            JoinKind::Left => " Left Join",
            JoinKind::Right => " Right Join",
            JoinKind::Full => " Full Join",
            JoinKind::Semi => " Semi Join",
            JoinKind::Anti => " Anti Join",
        };
        let name = match (&join.algorithm, self.e.style) {
            (JoinAlgorithm::Hash { .. }, _) => format!("Hash{}", if kind.is_empty() { " Join" } else { kind }),
            (JoinAlgorithm::Lookup, Style::Dsql) => format!("Nested Loop{kind} (Batched Join)"),
            (_, _) => format!("Nested Loop{kind}"),
        };
        self.header(depth, &name, shown);
        let at = self.lines.len();
        let left = self.node(&join.left, depth + 1, Vec::new());
        let right = match &join.algorithm {
            JoinAlgorithm::Hash { .. } => {
                let hash_line = format!("{}->  Hash{}", indent(6 * (depth + 1) - 4), self.suffix(&join.right, None));
                self.lines.push(hash_line);
                self.node(&join.right, depth + 2, Vec::new())
            }
            JoinAlgorithm::Lookup => {
                // The inner read's ranges are over the left row: label them with the left side's names.
                let Node::TableRead(read) = &join.right.node else { return left };
                let labels = self.table_labels(read);
                self.table_read_with(&join.right, &join.right, read, depth + 1, &[], &labels, &left);
                labels
            }
            JoinAlgorithm::NestedLoop => self.node(&join.right, depth + 1, Vec::new()),
            JoinAlgorithm::Lateral => {
                self.outer.push(left.clone());
                let right = self.node(&join.right, depth + 1, Vec::new());
                self.outer.pop();
                right
            }
        };
        let mut labels = left.clone();
        labels.extend(right);
        for merged in &join.merged {
            labels.push(self.text(merged, &labels));
        }
        let children_end = self.lines.len();
        if let Some(condition) = &join.condition {
            let mut conjuncts = condition.conjuncts();
            // A lookup's key conditions show as the inner read's `Index Cond`, not again here.
            if let (JoinAlgorithm::Lookup, Node::TableRead(read)) = (&join.algorithm, &join.right.node) {
                conjuncts.retain(|c| !read.index_condition.contains(c));
            }
            // A hash join shows its key equalities as `Hash Cond` and the rest as `Join Filter`.
            let (keys, others): (Vec<&BoundExpr>, Vec<&BoundExpr>) = match &join.algorithm {
                JoinAlgorithm::Hash { left_keys, right_keys } => conjuncts.into_iter().partition(|c| {
                    matches!(c, BoundExpr::Binary { left, right, .. }
                        if left_keys.iter().zip(right_keys).any(|(l, r)| (**left == *l && **right == *r) || (**left == *r && **right == *l)))
                }),
                _ => (Vec::new(), conjuncts),
            };
            // Each key equality outer side first, as PostgreSQL prints a hash clause.
            let keys: Vec<BoundExpr> = keys
                .into_iter()
                .map(|key| match (key, &join.algorithm) {
                    (BoundExpr::Binary { op, sig, left, right }, JoinAlgorithm::Hash { right_keys, .. })
                        if right_keys.contains(left) && !right_keys.contains(right) =>
                    {
                        let sig = crate::sql::scalar::BinarySignature {
                            left: sig.right,
                            right: sig.left,
                            result: sig.result,
                        };
                        BoundExpr::Binary { op: *op, sig, left: right.clone(), right: left.clone() }
                    }
                    _ => key.clone(),
                })
                .collect();
            if let Some(keys) = BoundExpr::and_of(keys) {
                self.detail(depth, format!("Hash Cond: {}", self.text(&keys, &labels)));
            }
            if let Some(others) = BoundExpr::and_of(others.into_iter().cloned().collect()) {
                self.detail(depth, format!("Join Filter: {}", self.text(&others, &labels)));
            }
        }
        self.filter_lines(depth, plan, filters, &labels);
        self.move_details(at, children_end);
        labels
    }

    fn table_labels(&self, read: &TableRead) -> Labels {
        read.table
            .columns
            .iter()
            .map(|c| {
                if self.qualify {
                    format!("{}.{}", read.alias.as_deref().unwrap_or(&read.table.name), c.name)
                } else {
                    c.name.clone()
                }
            })
            .collect()
    }

    fn table_read(
        &mut self,
        plan: &PhysicalPlan,
        shown: &PhysicalPlan,
        read: &TableRead,
        depth: usize,
        filters: &[(&PhysicalPlan, &BoundExpr)],
        labels: &Labels,
    ) {
        self.table_read_with(plan, shown, read, depth, filters, labels, &Vec::new());
    }

    /// A table read; `range_labels` name the positions its range expressions read (a lookup's left row).
    #[allow(clippy::too_many_arguments)]
    fn table_read_with(
        &mut self,
        plan: &PhysicalPlan,
        shown: &PhysicalPlan,
        read: &TableRead,
        depth: usize,
        filters: &[(&PhysicalPlan, &BoundExpr)],
        labels: &Labels,
        range_labels: &Labels,
    ) {
        let table = &read.table.name;
        // PostgreSQL names a read `table alias` when the FROM item has an alias other than the name.
        // VERBOSE names the relation with its schema, as PostgreSQL.
        let relation = if self.e.options.verbose { read.table.qualified_name() } else { table.clone() };
        let named = match &read.alias {
            Some(alias) if alias != table => format!("{relation} {alias}"),
            _ => relation,
        };
        let tree = match &read.index {
            Some(index) => index.name.clone(),
            None => read.table.primary_key_name(),
        };
        let backward = if read.backward { " Backward" } else { "" };
        let scans_whole_table = read.index.is_none() && read.ranges.is_empty();
        // A whole-table read in reverse key order is an ordered scan of the primary key.
        let full_scan_forward = scans_whole_table && !read.backward;
        let parallel = if read.parallel { "Parallel " } else { "" };
        let name = match (self.e.style, scans_whole_table, read.index_only) {
            (Style::Dsql, true, _) if !read.backward => format!("{parallel}Full Scan (btree-table) on {named}"),
            (Style::Postgres, true, _) if !read.backward => format!("{parallel}Seq Scan on {named}"),
            (_, true, _) => format!("Index Scan{backward} using {tree} on {named}"),
            (_, false, true) => format!("Index Only Scan{backward} using {tree} on {named}"),
            (_, false, false) => format!("Index Scan{backward} using {tree} on {named}"),
        };
        self.header(depth, &name, shown);
        // The range conditions as written over the table's row, with the left row's names for a lookup.
        let mut cond_labels = range_labels.clone();
        cond_labels.extend(labels.iter().cloned());
        let offset = range_labels.len();
        let index_cond = BoundExpr::and_of(read.index_condition.clone()).map(|c| {
            if offset == 0 {
                self.text(&c, labels)
            } else {
                self.text(&c, &cond_labels)
            }
        });
        let filter_text = read.filter.as_ref().map(|f| {
            let remaining: Vec<BoundExpr> =
                f.conjuncts().into_iter().filter(|c| !read.index_condition.contains(c)).cloned().collect();
            BoundExpr::and_of(remaining).map(|r| self.text(&r, labels))
        });
        let filter_text = filter_text.flatten();
        let filtered = self.stats(plan).map_or(0, |s| s.rows_filtered);
        let loops = self.stats(plan).map_or(1, |s| s.loops.max(1));
        match self.e.style {
            Style::Postgres => {
                if let Some(cond) = &index_cond {
                    self.detail(depth, format!("Index Cond: {cond}"));
                }
                if let Some(filter) = &filter_text {
                    self.detail(depth, format!("Filter: {filter}"));
                    if self.e.options.analyze {
                        self.detail(depth, format!("Rows Removed by Filter: {}", filtered / loops));
                    }
                }
                if read.index_only && self.e.options.analyze {
                    self.detail(depth, "Heap Fetches: 0".to_string());
                }
            }
            Style::Dsql => {
                if let Some(cond) = &index_cond {
                    self.detail(depth, format!("Index Cond: {cond}"));
                }
                // The columns the read hands up: all of them, or for an index-only read those the query uses.
                let projections: Vec<String> = read
                    .table
                    .columns
                    .iter()
                    .enumerate()
                    .filter(|(i, c)| {
                        !c.hidden && read.columns.as_ref().is_none_or(|used| used.get(*i).copied().unwrap_or(false))
                    })
                    .map(|(_, c)| c.name.clone())
                    .collect();
                let base = detail_indent(depth);
                let storage =
                    |this: &Self, name: String| format!("{}-> {name}{}", indent(base), this.suffix(plan, Some(true)));
                let storage_nested = |this: &Self, name: String| {
                    format!("{}-> {name}{}", indent(base + 4), this.suffix(plan, Some(true)))
                };
                let mut lines = Vec::new();
                let storage_details = |lines: &mut Vec<String>, this: &Self| {
                    lines.push(format!("{}Projections: {}", indent(base + 4), projections.join(", ")));
                    if let Some(filter) = &filter_text {
                        lines.push(format!("{}Filters: {filter}", indent(base + 4)));
                        if this.e.options.analyze {
                            lines.push(format!("{}Rows Filtered: {}", indent(base + 4), filtered / loops));
                        }
                    }
                };
                if full_scan_forward {
                    lines.push(storage(self, format!("Storage Scan on {table}")));
                    storage_details(&mut lines, self);
                    lines.push(storage_nested(self, format!("B-Tree Scan on {table}")));
                } else if read.index.is_none() || read.index_only {
                    lines.push(storage(self, format!("Storage Scan on {tree}")));
                    storage_details(&mut lines, self);
                    lines.push(storage_nested(self, format!("B-Tree Scan on {tree}")));
                    if let Some(cond) = &index_cond {
                        lines.push(format!("{}Index Cond: {cond}", indent(base + 8)));
                    }
                } else {
                    lines.push(storage(self, format!("Storage Scan on {tree}")));
                    lines.push(storage_nested(self, format!("B-Tree Scan on {tree}")));
                    if let Some(cond) = &index_cond {
                        lines.push(format!("{}Index Cond: {cond}", indent(base + 8)));
                    }
                    lines.push(storage(self, format!("Storage Lookup on {table}")));
                    storage_details(&mut lines, self);
                    lines.push(storage_nested(self, format!("B-Tree Lookup on {table}")));
                }
                self.lines.extend(lines);
            }
        }
        self.filter_lines(depth, plan, filters, labels);
    }
}

fn indent(n: usize) -> String {
    " ".repeat(n)
}

/// The column where a node at `depth` writes its details.
fn detail_indent(depth: usize) -> usize {
    6 * depth + 2
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn snake_case(name: &str) -> String {
    let mut out = String::new();
    for (i, ch) in name.chars().enumerate() {
        if ch.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(ch.to_ascii_lowercase());
        } else {
            out.push(ch);
        }
    }
    out
}

/// An expression as EXPLAIN shows it, with `labels` naming row positions.
pub fn expr_text(expr: &BoundExpr, labels: &Labels) -> String {
    match expr {
        BoundExpr::Literal(value) => literal_text(value),
        BoundExpr::Column(c) => labels.get(*c).cloned().unwrap_or_else(|| format!("column{}", c + 1)),
        BoundExpr::OuterColumn { index, .. } => format!("$outer{}", index + 1),
        BoundExpr::Parameter(p) => format!("${}", p + 1),
        BoundExpr::Binary { op, left, right, .. } => {
            format!("({} {} {})", expr_text(left, labels), op.symbol(), expr_text(right, labels))
        }
        BoundExpr::And(operands) | BoundExpr::Or(operands) => {
            let separator = if matches!(expr, BoundExpr::And(_)) { " AND " } else { " OR " };
            let parts: Vec<String> = operands.iter().map(|o| expr_text(o, labels)).collect();
            format!("({})", parts.join(separator))
        }
        BoundExpr::Not(inner) => format!("(NOT {})", expr_text(inner, labels)),
        BoundExpr::Negate { expr, .. } => format!("(- {})", expr_text(expr, labels)),
        BoundExpr::IsNull { expr, negated } => {
            format!("({} IS {}NULL)", expr_text(expr, labels), if *negated { "NOT " } else { "" })
        }
        BoundExpr::InList { expr, list, negated } => {
            let items: Vec<String> = list.iter().map(|i| expr_text(i, labels)).collect();
            format!("({} {}IN ({}))", expr_text(expr, labels), if *negated { "NOT " } else { "" }, items.join(", "))
        }
        BoundExpr::Case { branches, else_result } => {
            let mut out = "CASE".to_string();
            for (when, then) in branches {
                let _ = write!(out, " WHEN {} THEN {}", expr_text(when, labels), expr_text(then, labels));
            }
            if let Some(otherwise) = else_result {
                let _ = write!(out, " ELSE {}", expr_text(otherwise, labels));
            }
            out.push_str(" END");
            out
        }
        BoundExpr::Cast { expr, to, .. } => format!("({})::{}", expr_text(expr, labels), to),
        BoundExpr::TruncateText { expr, length } => {
            format!("({})::character varying({length})", expr_text(expr, labels))
        }
        BoundExpr::Function { function, args } => {
            use crate::sql::arrays::ArrayFunction;
            use crate::sql::functions::ScalarFunction;
            use crate::sql::regex::RegexFunction;
            let parts: Vec<String> = args.iter().map(|a| expr_text(a, labels)).collect();
            // Operators resolved as functions print as the operators they are.
            match (&function.function, parts.as_slice()) {
                (ScalarFunction::Regex(RegexFunction::Match { case_insensitive }), [l, r]) => {
                    format!("({l} {} {r})", if *case_insensitive { "~*" } else { "~" })
                }
                (ScalarFunction::Array(ArrayFunction::AnyAll { op, all }), [l, r]) => {
                    format!("({l} {} {} ({r}))", op.symbol(), if *all { "ALL" } else { "ANY" })
                }
                (ScalarFunction::Array(ArrayFunction::Subscript), [a, i]) => format!("{a}[{i}]"),
                (ScalarFunction::Array(ArrayFunction::Concat), [l, r]) => format!("({l} || {r})"),
                (ScalarFunction::Array(ArrayFunction::Construct), _) => match function.result_type {
                    DataType::Record(_) => format!("ROW({})", parts.join(", ")),
                    _ => format!("ARRAY[{}]", parts.join(", ")),
                },
                (ScalarFunction::Array(ArrayFunction::Field(index)), [record]) => match function.arg_types[0] {
                    DataType::Record(shape) => format!("({record}).{}", shape.fields()[*index as usize].0),
                    _ => format!("{record}[{index}]"),
                },
                (ScalarFunction::Array(_), _)
                | (ScalarFunction::Regex(_), _)
                | (ScalarFunction::DateTime(_), _)
                | (ScalarFunction::Strings(_), _)
                | (ScalarFunction::Catalog(_), _) => {
                    // The family's wrapper is not part of the name: `Regex(Replace)` prints `replace(...)`.
                    let debug = format!("{:?}", function.function);
                    let inner = debug
                        .split_once('(')
                        .map_or(debug.as_str(), |(_, rest)| rest.strip_suffix(')').unwrap_or(rest));
                    format!("{}({})", snake_case(inner), parts.join(", "))
                }
                (ScalarFunction::Json(json), [l, r]) if json.operator().is_some() => {
                    format!("({l} {} {r})", json.operator().unwrap_or_default())
                }
                (ScalarFunction::Json(json), _) => format!("{}({})", json.function_name(function), parts.join(", ")),
                (other, _) => format!("{}({})", snake_case(&format!("{other:?}")), parts.join(", ")),
            }
        }
        BoundExpr::Subquery(subquery) => format!("(SubPlan {})", subquery.id + 1),
        BoundExpr::Exists { subquery, negated } => {
            format!("({}EXISTS(SubPlan {}))", if *negated { "NOT " } else { "" }, subquery.id + 1)
        }
        BoundExpr::InSubquery { expr, subquery, negated, .. } => format!(
            "({} {}IN (SubPlan {}))",
            expr_text(expr, labels),
            if *negated { "NOT " } else { "" },
            subquery.id + 1
        ),
    }
}

fn literal_text(value: &Value) -> String {
    match value {
        Value::Null => "NULL".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Int(n) => n.to_string(),
        Value::Text(s) => format!("'{}'::text", s.replace('\'', "''")),
        Value::Float(f) => f.to_string(),
        Value::Numeric(d) => d.to_string(),
        Value::Bytea(_) => "'\\x...'::bytea".to_string(),
        Value::Uuid(u) => format!("'{u}'::uuid"),
        Value::Jsonb(j) => format!("'{}'::jsonb", j.to_string().replace('\'', "''")),
        Value::Date(d) => format!("'{d}'::date"),
        Value::Timestamp(t) => format!("'{t}'::timestamp without time zone"),
        Value::Timestamptz(t) => format!("'{t}'::timestamp with time zone"),
        Value::Interval(i) => format!("'{}'::interval", crate::types::interval::format_interval(i)),
        Value::Array(_) => format!("'{}'", crate::types::text::format(value, &DataType::Array(ArrayElement::TEXT))),
    }
}

// ---- FORMAT JSON ----

fn json_string(text: &str) -> String {
    let mut out = String::from("\"");
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn json(e: &Explained) -> String {
    let mut out = String::from("[\n  {\n");
    if let Some(query) = e.query {
        out.push_str("    \"Plan\": ");
        json_node(&mut out, &query.root, e, 4);
    } else {
        out.push_str("    \"Plan\": {\"Node Type\": \"Result\"}");
    }
    if e.options.analyze {
        let _ = write!(out, ",\n    \"Planning Time\": {:.3}", ms(e.planning));
        if let Some(execution) = e.execution {
            let _ = write!(out, ",\n    \"Execution Time\": {:.3}", ms(execution));
        }
    }
    out.push_str("\n  }\n]");
    out
}

fn json_node(out: &mut String, plan: &PhysicalPlan, e: &Explained, level: usize) {
    // Projections and truncations are not nodes in PostgreSQL's output.
    match &plan.node {
        Node::Project { input, .. } | Node::Truncate { input, .. } | Node::Filter { input, .. } => {
            return json_node(out, input, e, level);
        }
        _ => {}
    }
    let pad = indent(level + 2);
    let mut fields: Vec<String> = Vec::new();
    let (node_type, extra): (String, Vec<(String, String)>) = match &plan.node {
        Node::TableRead(read) => {
            let whole = read.index.is_none() && read.ranges.is_empty();
            let tree = read.index.as_ref().map(|i| i.name.clone()).unwrap_or_else(|| read.table.primary_key_name());
            let labels: Labels = read.table.columns.iter().map(|c| c.name.clone()).collect();
            let mut extra = vec![
                ("Relation Name".to_string(), json_string(&read.table.name)),
                ("Alias".to_string(), json_string(read.alias.as_deref().unwrap_or(&read.table.name))),
            ];
            let kind = if whole && !read.backward {
                "Seq Scan"
            } else if read.index_only {
                "Index Only Scan"
            } else {
                "Index Scan"
            };
            if read.parallel {
                extra.push(("Parallel Aware".to_string(), "true".to_string()));
            }
            if kind != "Seq Scan" {
                extra.push(("Scan Direction".into(), json_string(if read.backward { "Backward" } else { "Forward" })));
                extra.push(("Index Name".into(), json_string(&tree)));
            }
            if let Some(cond) = BoundExpr::and_of(read.index_condition.clone()) {
                extra.push(("Index Cond".into(), json_string(&expr_text(&cond, &labels))));
            }
            let remaining: Vec<BoundExpr> = read
                .filter
                .iter()
                .flat_map(|f| f.conjuncts())
                .filter(|c| !read.index_condition.contains(c))
                .cloned()
                .collect();
            if let Some(filter) = BoundExpr::and_of(remaining) {
                extra.push(("Filter".into(), json_string(&expr_text(&filter, &labels))));
            }
            (kind.to_string(), extra)
        }
        Node::Join(join) => {
            let name = match join.algorithm {
                JoinAlgorithm::Hash { .. } => "Hash Join",
                _ => "Nested Loop",
            };
            let join_type = match join.kind {
                JoinKind::Inner | JoinKind::Cross => "Inner",
                JoinKind::Left => "Left",
                JoinKind::Right => "Right",
                JoinKind::Full => "Full",
                JoinKind::Semi => "Semi",
                JoinKind::Anti => "Anti",
            };
            (name.to_string(), vec![("Join Type".into(), json_string(join_type))])
        }
        Node::Aggregate { group_by, phase, .. } => {
            let strategy = if group_by.is_empty() { "Plain" } else { "Hashed" };
            let mode = json_string(partial_mode(*phase));
            let fields = vec![("Strategy".into(), json_string(strategy)), ("Partial Mode".into(), mode)];
            ("Aggregate".to_string(), fields)
        }
        Node::Distinct { on: true, .. } => ("Unique".to_string(), Vec::new()),
        Node::Distinct { .. } => ("Aggregate".to_string(), vec![("Strategy".into(), json_string("Hashed"))]),
        Node::Sort { .. } => ("Sort".to_string(), Vec::new()),
        Node::Limit { .. } => ("Limit".to_string(), Vec::new()),
        Node::Gather { workers, .. } => ("Gather".to_string(), vec![("Workers Planned".into(), workers.to_string())]),
        Node::Window { .. } => ("WindowAgg".to_string(), Vec::new()),
        Node::Result => ("Result".to_string(), Vec::new()),
        Node::Values { .. } => ("Values Scan".to_string(), Vec::new()),
        Node::Function { .. } | Node::SystemScan { .. } => ("Function Scan".to_string(), Vec::new()),
        Node::SetOperation { .. } => ("Append".to_string(), Vec::new()),
        Node::RecursiveUnion { .. } => ("Recursive Union".to_string(), Vec::new()),
        Node::WorkTableScan { modifying: true, .. } => ("CTE Scan".to_string(), Vec::new()),
        Node::WorkTableScan { .. } => ("WorkTable Scan".to_string(), Vec::new()),
        Node::Project { .. } | Node::Truncate { .. } | Node::Filter { .. } => unreachable!("skipped above"),
    };
    fields.push(format!("\"Node Type\": {}", json_string(&node_type)));
    for (key, value) in extra {
        fields.push(format!("{}: {value}", json_string(&key)));
    }
    if e.options.costs {
        let est = &plan.estimate;
        fields.push(format!("\"Startup Cost\": {:.2}", est.startup_cost));
        fields.push(format!("\"Total Cost\": {:.2}", est.total_cost));
        fields.push(format!("\"Plan Rows\": {}", est.rows.round().max(1.0) as u64));
        fields.push(format!("\"Plan Width\": {}", est.width));
    }
    if e.options.analyze {
        if let Some(s) = e.stats.and_then(|s| s.get(plan.id)) {
            let loops = s.loops.max(1);
            if e.options.timing {
                fields.push(format!("\"Actual Startup Time\": {:.3}", ms(s.startup) / loops as f64));
                fields.push(format!("\"Actual Total Time\": {:.3}", ms(s.total) / loops as f64));
            }
            fields.push(format!("\"Actual Rows\": {}", s.rows / loops));
            fields.push(format!("\"Actual Loops\": {}", s.loops));
        }
    }
    let children = plan.children();
    let mut text = format!("{{\n{pad}{}", fields.join(&format!(",\n{pad}")));
    if !children.is_empty() {
        let _ = write!(text, ",\n{pad}\"Plans\": [\n{pad}  ");
        for (i, child) in children.iter().enumerate() {
            if i > 0 {
                let _ = write!(text, ",\n{pad}  ");
            }
            json_node(&mut text, child, e, level + 4);
        }
        let _ = write!(text, "\n{pad}]");
    }
    let _ = write!(text, "\n{}}}", indent(level));
    out.push_str(&text);
}

/// PostgreSQL's word for an aggregate's phase (EXPLAIN's `Partial Mode`; the node name's prefix when split).
fn partial_mode(phase: AggregatePhase) -> &'static str {
    match phase {
        AggregatePhase::Whole => "Simple",
        AggregatePhase::Partial => "Partial",
        AggregatePhase::Finalize => "Finalize",
    }
}
