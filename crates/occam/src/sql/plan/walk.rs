//! Structural questions about bound expressions that the optimizer asks: which columns an expression
//! reads, its conjuncts, whether it is known before a scan starts, and the subqueries inside it.
//!
//! Every walk goes through [`BoundExpr::children`], so a new expression variant is taught to all of them
//! in one place.

use std::ops::Range;

use crate::sql::plan::{AggregateCall, BoundExpr, QueryPlan, Source, SubqueryPlan};
use crate::sql::scalar::BinarySignature;
use crate::types::DataType;

impl BoundExpr {
    /// The expressions directly inside this one (subquery plans are not expressions: see
    /// [`BoundExpr::subqueries`]).
    pub fn children(&self) -> Vec<&BoundExpr> {
        match self {
            BoundExpr::Literal(_) | BoundExpr::Column(_) | BoundExpr::OuterColumn { .. } | BoundExpr::Parameter(_) => {
                Vec::new()
            }
            BoundExpr::Binary { left, right, .. } => vec![left, right],
            BoundExpr::And(operands) | BoundExpr::Or(operands) => operands.iter().collect(),
            BoundExpr::Not(inner)
            | BoundExpr::Negate { expr: inner, .. }
            | BoundExpr::IsNull { expr: inner, .. }
            | BoundExpr::Cast { expr: inner, .. }
            | BoundExpr::TruncateText { expr: inner, .. } => vec![inner],
            BoundExpr::InList { expr, list, .. } => std::iter::once(expr.as_ref()).chain(list).collect(),
            BoundExpr::Case { branches, else_result } => {
                branches.iter().flat_map(|(when, then)| [when, then]).chain(else_result.as_deref()).collect()
            }
            BoundExpr::Function { args, .. } => args.iter().collect(),
            BoundExpr::Subquery(_) | BoundExpr::Exists { .. } => Vec::new(),
            BoundExpr::InSubquery { expr, .. } => vec![expr],
        }
    }

    /// The subquery directly in this node, if any.
    fn own_subquery(&self) -> Option<&SubqueryPlan> {
        match self {
            BoundExpr::Subquery(subquery)
            | BoundExpr::Exists { subquery, .. }
            | BoundExpr::InSubquery { subquery, .. } => Some(subquery),
            _ => None,
        }
    }

    /// Calls `f` on this expression and every expression inside it (not inside subqueries), iteratively.
    pub fn visit<'s>(&'s self, f: &mut impl FnMut(&'s BoundExpr)) {
        let mut pending = vec![self];
        while let Some(expr) = pending.pop() {
            f(expr);
            pending.extend(expr.children());
        }
    }

    /// Whether some node satisfies `predicate` (not looking into subqueries).
    pub fn any(&self, mut predicate: impl FnMut(&BoundExpr) -> bool) -> bool {
        let mut found = false;
        self.visit(&mut |e| found = found || predicate(e));
        found
    }

    /// The subqueries in this expression (outermost level; each subquery's own are in its plan).
    pub fn subqueries(&self) -> Vec<&SubqueryPlan> {
        let mut out = Vec::new();
        self.visit(&mut |e| out.extend(e.own_subquery()));
        out
    }

    /// Marks in `used` (grown as needed) every row position this expression reads.
    pub fn mark_columns(&self, used: &mut Vec<bool>) {
        self.visit(&mut |e| {
            if let BoundExpr::Column(c) = e {
                if used.len() <= *c {
                    used.resize(c + 1, false);
                }
                used[*c] = true;
            }
        });
    }

    /// Whether it reads only row positions in `columns` (constants, parameters and outer rows are fine) and
    /// contains no subquery, so it can run on one side of a join alone.
    pub fn reads_only(&self, columns: &Range<usize>) -> bool {
        !self.any(|e| match e {
            BoundExpr::Column(c) => !columns.contains(c),
            other => other.own_subquery().is_some(),
        })
    }

    /// Whether its value is known before a scan starts: no columns of the current row, and only
    /// uncorrelated subqueries (run once per statement, as PostgreSQL's InitPlans).
    pub fn is_constant(&self) -> bool {
        !self.any(|e| match e {
            BoundExpr::Column(_) => true,
            other => other.own_subquery().is_some_and(|s| s.correlated),
        })
    }

    /// Its conjuncts (itself if it is no AND).
    pub fn conjuncts(&self) -> Vec<&BoundExpr> {
        let mut out = Vec::new();
        let mut pending = vec![self];
        while let Some(expr) = pending.pop() {
            match expr {
                BoundExpr::And(operands) => pending.extend(operands.iter().rev()),
                other => out.push(other),
            }
        }
        out
    }

    /// A copy with every `Column(c)` replaced by `Column(map(c))`.
    pub fn map_columns(&self, map: &impl Fn(usize) -> usize) -> BoundExpr {
        self.replace_columns(&|c| BoundExpr::Column(map(c)))
    }

    /// A copy with every `Column(c)` replaced by `replace(c)` (not inside subqueries: their outer references
    /// are not rewritten, so callers keep expressions with subqueries where they were bound).
    pub fn replace_columns(&self, replace: &impl Fn(usize) -> BoundExpr) -> BoundExpr {
        self.replace_references(&|e| match e {
            BoundExpr::Column(c) => Some(replace(*c)),
            _ => None,
        })
    }

    /// A copy with every column or outer-row reference for which `replace` gives an expression replaced by
    /// it (not inside subqueries).
    pub fn replace_references(&self, replace: &impl Fn(&BoundExpr) -> Option<BoundExpr>) -> BoundExpr {
        let mut copy = self.clone();
        let mut pending = vec![&mut copy];
        while let Some(expr) = pending.pop() {
            match expr {
                BoundExpr::Column(_) | BoundExpr::OuterColumn { .. } => {
                    if let Some(new) = replace(expr) {
                        *expr = new;
                    }
                }
                BoundExpr::Binary { left, right, .. } => pending.extend([left.as_mut(), right.as_mut()]),
                BoundExpr::And(operands) | BoundExpr::Or(operands) => pending.extend(operands.iter_mut()),
                BoundExpr::Not(inner)
                | BoundExpr::Negate { expr: inner, .. }
                | BoundExpr::IsNull { expr: inner, .. }
                | BoundExpr::Cast { expr: inner, .. }
                | BoundExpr::TruncateText { expr: inner, .. }
                | BoundExpr::InSubquery { expr: inner, .. } => pending.push(inner),
                BoundExpr::InList { expr, list, .. } => {
                    pending.push(expr);
                    pending.extend(list.iter_mut());
                }
                BoundExpr::Case { branches, else_result } => {
                    for (when, then) in branches {
                        pending.extend([when, then]);
                    }
                    pending.extend(else_result.as_deref_mut());
                }
                BoundExpr::Function { args, .. } => pending.extend(args.iter_mut()),
                BoundExpr::Literal(_) | BoundExpr::Parameter(_) | BoundExpr::Subquery(_) | BoundExpr::Exists { .. } => {
                }
            }
        }
        copy
    }

    /// A copy moved `by` query levels in (into a subquery of the query it was bound in): its row's columns
    /// become outer references, and every reference, in it or in its subqueries, that reaches its level or
    /// beyond reaches `by` levels further out.
    pub fn moved_in(&self, by: usize) -> BoundExpr {
        let mut copy = self.clone();
        shift_expression(&mut copy, 0, by);
        copy
    }

    /// The cast an `IN (subquery)` applies to the subquery's values (from their type to `sig.right`).
    pub fn in_subquery_cast(subquery: &SubqueryPlan, sig: &BinarySignature) -> Option<(DataType, DataType)> {
        let values = subquery.plan.columns[0].data_type;
        (values != sig.right).then_some((values, sig.right))
    }

    /// The AND of `parts` (None for no parts).
    pub fn and_of(mut parts: Vec<BoundExpr>) -> Option<BoundExpr> {
        match parts.len() {
            0 => None,
            1 => parts.pop(),
            _ => Some(BoundExpr::And(parts)),
        }
    }
}

impl QueryPlan {
    /// Every expression of the query at its own level (not inside its FROM subqueries' plans; a lateral
    /// join's right side included).
    pub fn expressions(&self) -> Vec<&BoundExpr> {
        let mut out = self.clause_expressions();
        self.source.collect_expressions(&mut out);
        out
    }

    /// The expressions of the query's own clauses (WHERE, grouping, windows, select list, LIMIT), not those
    /// of its FROM tree.
    fn clause_expressions(&self) -> Vec<&BoundExpr> {
        let mut out: Vec<&BoundExpr> = Vec::new();
        out.extend(self.filter.as_ref());
        if let Some(aggregate) = &self.aggregate {
            out.extend(&aggregate.group_by);
            out.extend(aggregate.aggregates.iter().flat_map(AggregateCall::inputs));
            out.extend(aggregate.having.as_ref());
        }
        for window in &self.windows {
            out.extend(&window.args);
            out.extend(&window.partition_by);
            out.extend(window.order_by.iter().map(|o| &o.expr));
        }
        out.extend(&self.projection);
        out.extend(self.limit.as_ref());
        out.extend(self.offset.as_ref());
        out
    }

    /// Whether this query, or anything nested in it, reads a row of a query around it (an outer-row
    /// reference reaching out of this query), other than through `own` — expressions of this query itself
    /// whose references are accounted for by the caller (their subqueries are still looked into).
    pub fn reaches_out(&self, own: &[&BoundExpr]) -> bool {
        any_outer_reference(vec![(Part::Query(self), 1)], own, |depth, reach| depth >= reach)
    }
}

/// A piece of a bound query tree that outer references are looked for in.
enum Part<'a> {
    Query(&'a QueryPlan),
    Source(&'a Source),
}

/// Whether some outer-row reference in `start` (each piece with how many levels out of the piece a
/// reference must reach to leave the tree being asked about) satisfies `reaches(depth, reach)`; the
/// expressions in `exempt` are not looked at themselves (their subqueries are).
fn any_outer_reference(
    start: Vec<(Part<'_>, usize)>,
    exempt: &[&BoundExpr],
    reaches: impl Fn(usize, usize) -> bool,
) -> bool {
    let mut stack = start;
    while let Some((part, reach)) = stack.pop() {
        let mut expressions: Vec<(&BoundExpr, usize)> = Vec::new();
        match part {
            Part::Query(query) => {
                expressions.extend(query.clause_expressions().into_iter().map(|e| (e, reach)));
                stack.push((Part::Source(&query.source), reach));
            }
            Part::Source(source) => source.parts(reach, &mut stack, &mut expressions),
        }
        for (expr, reach) in expressions {
            let own = exempt.iter().any(|o| std::ptr::eq(*o, expr));
            if !own && expr.any(|e| matches!(e, BoundExpr::OuterColumn { depth, .. } if reaches(*depth, reach))) {
                return true;
            }
            stack.extend(expr.subqueries().into_iter().map(|s| (Part::Query(&s.plan), reach + 1)));
        }
    }
    false
}

impl Source {
    /// Whether something in this FROM tree reads the row `level` levels out of it (1: the row of the FROM
    /// items before it, which a LATERAL item reads as its outer row).
    pub fn reads_outer_level(&self, level: usize) -> bool {
        any_outer_reference(vec![(Part::Source(self), level)], &[], |depth, reach| depth == reach)
    }

    /// The queries and expressions directly in this FROM tree, each with the reach of its level (a
    /// lateral join's right side runs one level further in: the left row is its outer row).
    fn parts<'a>(
        &'a self,
        reach: usize,
        queries: &mut Vec<(Part<'a>, usize)>,
        expressions: &mut Vec<(&'a BoundExpr, usize)>,
    ) {
        match self {
            Source::Subquery(query) => queries.push((Part::Query(query), reach)),
            Source::SetOperation { left, right, .. } => {
                queries.extend([(Part::Query(left), reach), (Part::Query(right), reach)]);
            }
            Source::RecursiveUnion { anchor, recursive, .. } => {
                queries.extend([(Part::Query(anchor), reach), (Part::Query(recursive), reach)]);
            }
            Source::Cross(sources) => queries.extend(sources.iter().map(|s| (Part::Source(s), reach))),
            Source::Function { input, args, .. } => {
                expressions.extend(args.iter().map(|a| (a, reach)));
                queries.extend(input.as_deref().map(|i| (Part::Source(i), reach)));
            }
            Source::Values(rows) => expressions.extend(rows.iter().flatten().map(|e| (e, reach))),
            Source::Join(join) => {
                queries.push((Part::Source(&join.left), reach));
                queries.push((Part::Source(&join.right), reach + usize::from(join.lateral)));
                expressions.extend(join.condition.iter().chain(&join.merged).map(|e| (e, reach)));
            }
            Source::Single | Source::Table { .. } | Source::System(_) | Source::WorkTable { .. } => {}
        }
    }
}

impl QueryPlan {
    /// A locking clause anywhere below this query's own level (FROM subqueries, set operations,
    /// subqueries in expressions).
    pub fn nested_locking(&self) -> Option<crate::sql::ast::LockStrength> {
        let mut stack: Vec<&QueryPlan> = vec![self];
        let mut first = true;
        while let Some(query) = stack.pop() {
            if !first {
                if let Some(lock) = query.locking {
                    return Some(lock);
                }
            }
            first = false;
            for expr in query.expressions() {
                stack.extend(expr.subqueries().into_iter().map(|s| &s.plan));
            }
            query.source.collect_queries(&mut stack);
        }
        None
    }
}

impl Source {
    /// The queries directly inside this FROM tree.
    fn collect_queries<'a>(&'a self, out: &mut Vec<&'a QueryPlan>) {
        match self {
            Source::Subquery(query) => out.push(query),
            Source::SetOperation { left, right, .. } => out.extend([left.as_ref(), right.as_ref()]),
            Source::RecursiveUnion { anchor, recursive, .. } => out.extend([anchor.as_ref(), recursive.as_ref()]),
            Source::Cross(sources) => sources.iter().for_each(|s| s.collect_queries(out)),
            Source::Function { input: Some(input), .. } => input.collect_queries(out),
            Source::Join(join) => {
                join.left.collect_queries(out);
                join.right.collect_queries(out);
            }
            _ => {}
        }
    }

    fn collect_expressions<'a>(&'a self, out: &mut Vec<&'a BoundExpr>) {
        match self {
            Source::Single | Source::Table { .. } | Source::System(_) | Source::Subquery(_) => {}
            Source::SetOperation { .. } | Source::RecursiveUnion { .. } | Source::WorkTable { .. } => {}
            Source::Function { input, args, .. } => {
                out.extend(args);
                if let Some(input) = input {
                    input.collect_expressions(out);
                }
            }
            Source::Values(rows) => out.extend(rows.iter().flatten()),
            Source::Cross(sources) => sources.iter().for_each(|s| s.collect_expressions(out)),
            Source::Join(join) => {
                join.left.collect_expressions(out);
                join.right.collect_expressions(out);
                out.extend(join.condition.as_ref());
                out.extend(&join.merged);
            }
        }
    }
}

/// Shifts the references of `expr`, which stands `level` query levels inside the expression being moved
/// (see [`BoundExpr::moved_in`]): at level 0 a column of the row becomes an outer reference; at any level an
/// outer reference reaching the moved expression's level or beyond (`depth >= level`) goes `by` further.
fn shift_expression(expr: &mut BoundExpr, level: usize, by: usize) {
    let mut pending = vec![expr];
    while let Some(expr) = pending.pop() {
        match expr {
            BoundExpr::Column(index) if level == 0 => *expr = BoundExpr::OuterColumn { depth: by, index: *index },
            BoundExpr::Column(_) | BoundExpr::Literal(_) | BoundExpr::Parameter(_) => {}
            BoundExpr::OuterColumn { depth, .. } => {
                if *depth >= level {
                    *depth += by;
                }
            }
            BoundExpr::Binary { left, right, .. } => pending.extend([left.as_mut(), right.as_mut()]),
            BoundExpr::And(operands) | BoundExpr::Or(operands) => pending.extend(operands.iter_mut()),
            BoundExpr::Not(inner)
            | BoundExpr::Negate { expr: inner, .. }
            | BoundExpr::IsNull { expr: inner, .. }
            | BoundExpr::Cast { expr: inner, .. }
            | BoundExpr::TruncateText { expr: inner, .. } => pending.push(inner),
            BoundExpr::InList { expr, list, .. } => {
                pending.push(expr);
                pending.extend(list.iter_mut());
            }
            BoundExpr::Case { branches, else_result } => {
                for (when, then) in branches {
                    pending.extend([when, then]);
                }
                pending.extend(else_result.as_deref_mut());
            }
            BoundExpr::Function { args, .. } => pending.extend(args.iter_mut()),
            BoundExpr::Subquery(subquery) | BoundExpr::Exists { subquery, .. } => {
                shift_query(&mut subquery.plan, level + 1, by);
            }
            BoundExpr::InSubquery { expr, subquery, .. } => {
                shift_query(&mut subquery.plan, level + 1, by);
                pending.push(expr);
            }
        }
    }
}

/// [`shift_expression`] over every expression of a query at `level` (its FROM subqueries and set
/// operations at the same level, a lateral join's right side one further in).
fn shift_query(query: &mut QueryPlan, level: usize, by: usize) {
    let mut expressions: Vec<&mut BoundExpr> = Vec::new();
    expressions.extend(query.filter.as_mut());
    if let Some(aggregate) = &mut query.aggregate {
        expressions.extend(aggregate.group_by.iter_mut());
        for call in &mut aggregate.aggregates {
            expressions.extend(call.arg.as_mut());
            expressions.extend(call.order_by.iter_mut().map(|o| &mut o.expr));
        }
        expressions.extend(aggregate.having.as_mut());
    }
    for window in &mut query.windows {
        expressions.extend(window.args.iter_mut());
        expressions.extend(window.partition_by.iter_mut());
        expressions.extend(window.order_by.iter_mut().map(|o| &mut o.expr));
    }
    expressions.extend(query.projection.iter_mut());
    expressions.extend(query.limit.as_mut());
    expressions.extend(query.offset.as_mut());
    for expr in expressions {
        shift_expression(expr, level, by);
    }
    shift_source(&mut query.source, level, by);
}

fn shift_source(source: &mut Source, level: usize, by: usize) {
    match source {
        Source::Single | Source::Table { .. } | Source::System(_) | Source::WorkTable { .. } => {}
        Source::Subquery(query) => shift_query(query, level, by),
        Source::SetOperation { left, right, .. } => {
            shift_query(left, level, by);
            shift_query(right, level, by);
        }
        Source::RecursiveUnion { anchor, recursive, .. } => {
            shift_query(anchor, level, by);
            shift_query(recursive, level, by);
        }
        Source::Cross(sources) => sources.iter_mut().for_each(|s| shift_source(s, level, by)),
        Source::Function { input, args, .. } => {
            args.iter_mut().for_each(|a| shift_expression(a, level, by));
            if let Some(input) = input {
                shift_source(input, level, by);
            }
        }
        Source::Values(rows) => rows.iter_mut().flatten().for_each(|e| shift_expression(e, level, by)),
        Source::Join(join) => {
            shift_source(&mut join.left, level, by);
            shift_source(&mut join.right, level + usize::from(join.lateral), by);
            join.condition.iter_mut().chain(join.merged.iter_mut()).for_each(|e| shift_expression(e, level, by));
        }
    }
}
