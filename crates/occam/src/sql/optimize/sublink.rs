//! Subqueries in WHERE turned into joins: PostgreSQL's `pull_up_sublinks` (`optimizer/prep/prepjointree.c`).
//!
//! A WHERE conjunct `EXISTS (SELECT ... FROM s WHERE cond)` keeps the outer rows for which some row of `s`
//! satisfies `cond`: a *semi join* of the outer rows with `s` on `cond` (with the subquery's references to
//! the outer row turned into columns of the joined row). `NOT EXISTS` is the *anti join*, and
//! `x IN (SELECT y FROM s WHERE cond)` the semi join on `cond AND x = y`. As joins they get the optimizer's
//! algorithms — a hash table of `s` built once, or a key lookup per outer row — instead of running the
//! subquery once per outer row.
//!
//! Only what keeps its meaning is pulled up: a subquery without aggregates, LIMIT/OFFSET (`EXISTS` may have
//! a constant LIMIT of at least 1), window functions or DISTINCT ON (for IN) or a locking
//! clause, whose references to enclosing queries are in its WHERE (and, for IN, its one output column),
//! not in anything nested inside it. `NOT IN` stays a subquery: it is NULL, not false, when the subquery
//! yields a NULL, which an anti join cannot express (PostgreSQL does not pull it up either).

use crate::sql::ast::JoinKind;
use crate::sql::plan::{BoundExpr, Source};
use crate::sql::scalar::{BinaryOp, BinarySignature};

use super::{literal_int, source_width};

/// A WHERE conjunct to plan as a semi or anti join with the outer query's rows.
pub(super) struct Sublink<'q> {
    pub kind: JoinKind,
    /// The subquery's FROM.
    pub source: &'q Source,
    pub width: usize,
    /// Over `outer row ++ source row`.
    pub condition: Option<BoundExpr>,
}

/// The join `conjunct` can become, for an outer row of `outer_width` columns; None when it is no
/// `[NOT] EXISTS` / `IN` subquery that can be pulled up.
pub(super) fn pull_up(conjunct: &BoundExpr, outer_width: usize) -> Option<Sublink<'_>> {
    let (subquery, kind, compared) = match conjunct {
        BoundExpr::Exists { subquery, negated } => {
            (subquery, if *negated { JoinKind::Anti } else { JoinKind::Semi }, None)
        }
        BoundExpr::InSubquery { expr, subquery, sig, negated: false } => {
            (subquery, JoinKind::Semi, Some((expr, BoundExpr::in_subquery_cast(subquery, sig), sig)))
        }
        _ => return None,
    };
    let plan = &subquery.plan;
    // `EXISTS (... LIMIT 1)` (a common spelling) asks the same as without the LIMIT; any other LIMIT would
    // change which rows IN compares with.
    let harmless_limit = compared.is_none() && plan.limit.as_ref().and_then(literal_int).is_some_and(|n| n >= 1);
    // IN compares with the select list's value: not a window function's (computed over the subquery's
    // rows, after the join would run), nor one DISTINCT ON picks rows for.
    let picks_values = compared.is_some() && (!plan.windows.is_empty() || !plan.distinct_on.is_empty());
    if plan.aggregate.is_some()
        || picks_values
        || (plan.limit.is_some() && !harmless_limit)
        || plan.offset.is_some()
        || plan.locking.is_some()
    {
        return None;
    }
    let mut moved: Vec<&BoundExpr> = plan.filter.iter().collect();
    if compared.is_some() {
        moved.push(plan.projection.first()?);
    }
    if moved.iter().any(|e| !e.subqueries().is_empty()) || plan.reaches_out(&moved) {
        return None;
    }
    // The subquery's row follows the outer row; its references one level out are the outer row's columns,
    // those further out move one level closer.
    let pull = |e: &BoundExpr| {
        e.replace_references(&|r| match r {
            BoundExpr::Column(c) => Some(BoundExpr::Column(outer_width + c)),
            BoundExpr::OuterColumn { depth: 1, index } => Some(BoundExpr::Column(*index)),
            BoundExpr::OuterColumn { depth, index } => Some(BoundExpr::OuterColumn { depth: depth - 1, index: *index }),
            _ => None,
        })
    };
    let mut parts: Vec<BoundExpr> =
        plan.filter.as_ref().map(|f| f.conjuncts().into_iter().map(pull).collect()).unwrap_or_default();
    if let Some((expr, cast, sig)) = compared {
        let mut value = pull(&plan.projection[0]);
        if let Some((from, to)) = cast {
            value = BoundExpr::Cast { expr: Box::new(value), from, to };
        }
        // The subquery's side first, as PostgreSQL prints an index condition (`=` is symmetric).
        let sig = BinarySignature { left: sig.right, right: sig.left, result: sig.result };
        parts.push(BoundExpr::Binary { op: BinaryOp::Eq, sig, left: Box::new(value), right: expr.clone() });
    }
    Some(Sublink { kind, source: &plan.source, width: source_width(&plan.source), condition: BoundExpr::and_of(parts) })
}
