//! Keeps sqlparser's trees shallow enough for every recursive walk that follows, and takes apart the ones
//! that are not without recursion.
//!
//! sqlparser limits the nesting it parses recursively (parentheses, subqueries), but operators that it
//! reads in a loop build left-deep trees as deep as the input is long: `a OR b OR ...`, `x + y + ...`,
//! `x::int::int...`, `SELECT 1 UNION ALL SELECT 2 UNION ALL ...`. Translating, binding, evaluating and even
//! dropping such a tree recurses once per level, and an overflow aborts the process. So before anything
//! else looks at a statement:
//! - chains of `AND` or of `OR` are rebuilt as balanced trees (the operators are associative in SQL's
//!   three-valued logic, and the operands keep their order), which the translator flattens into one n-ary
//!   node: an ORM's 100,000-term filter needs no depth at all;
//! - every other chain must fit the stack this thread has left ([`max_depth`]); a deeper statement fails
//!   with `54001 stack depth limit exceeded` and its tree is taken apart iteratively ([`dismantle`]),
//!   never by the recursive drop glue.

use std::ops::ControlFlow;

use sqlparser::ast::{self as sp, VisitMut, VisitorMut};

use crate::error::Result;

/// Stack allowed per level of a tree: the largest frame of the recursive walks that have no check of
/// their own (the drop glue, derived `Clone`), with room to spare.
const STACK_PER_LEVEL: usize = 2048;

/// Logical chains whose left spine is at most this long are left as they are (a rebuilt balanced tree's
/// spine is shorter than this, so rebuilding stops).
const REBALANCE_ABOVE: usize = 32;

/// The deepest tree this thread can walk: what is left of its stack below the red zone, per level.
pub fn max_depth() -> usize {
    let remaining = stacker::remaining_stack().unwrap_or(crate::stack::STATEMENT_STACK_SIZE);
    remaining.saturating_sub(crate::stack::RED_ZONE) / STACK_PER_LEVEL
}

/// Rebalances logical chains and checks every other chain against [`max_depth`]. On failure the
/// statement has been taken apart and must not be used.
pub fn bound_statement(statement: &mut sp::Statement) -> Result<()> {
    let mut guard = DepthGuard { max_depth: max_depth(), depth: 0 };
    if statement.visit(&mut guard).is_break() {
        dismantle(std::mem::replace(statement, sp::Statement::Commit { chain: false, end: false, modifier: None }));
        return Err(crate::stack::too_deep());
    }
    Ok(())
}

/// [`bound_statement`] for a lone expression.
pub fn bound_expr(expr: &mut sp::Expr) -> Result<()> {
    let mut guard = DepthGuard { max_depth: max_depth(), depth: 0 };
    if expr.visit(&mut guard).is_break() {
        dismantle_expr(std::mem::replace(expr, placeholder_expr()));
        return Err(crate::stack::too_deep());
    }
    Ok(())
}

/// [`dismantle`] for a lone expression.
pub fn dismantle_expr(expr: sp::Expr) {
    let mut dismantler = Dismantler::default();
    dismantler.take_children_of_expr(expr);
    dismantler.drain();
}

/// Drops a statement of any depth without recursing deeper than its non-chain nesting.
pub fn dismantle(mut statement: sp::Statement) {
    let mut dismantler = Dismantler::default();
    let _ = statement.visit(&mut dismantler);
    dismantler.drain();
}

fn placeholder_expr() -> sp::Expr {
    sp::Expr::Value(sp::Value::Null.with_empty_span())
}

fn placeholder_set_expr() -> sp::SetExpr {
    sp::SetExpr::Values(sp::Values { explicit_row: false, value_keyword: false, rows: Vec::new() })
}

fn is_logical(op: &sp::BinaryOperator) -> bool {
    matches!(op, sp::BinaryOperator::And | sp::BinaryOperator::Or)
}

/// The length of an expression's left spine of `chain_op` operators.
fn chain_length(expr: &sp::Expr, chain_op: &sp::BinaryOperator) -> usize {
    let mut length = 0;
    let mut node = expr;
    while let sp::Expr::BinaryOp { left, op, .. } = node {
        if op != chain_op {
            break;
        }
        length += 1;
        node = left;
    }
    length
}

/// The number of set operations on a query body's left spine.
fn set_spine(body: &sp::SetExpr) -> usize {
    let mut length = 0;
    let mut node = body;
    while let sp::SetExpr::SetOperation { left, .. } = node {
        length += 1;
        node = left;
    }
    length
}

/// Takes a left-deep chain of `op` apart (iteratively) into its operands, left to right.
fn chain_operands(expr: sp::Expr, chain_op: &sp::BinaryOperator) -> Vec<sp::Expr> {
    let mut operands = Vec::new();
    let mut rest = expr;
    loop {
        match rest {
            sp::Expr::BinaryOp { left, op, right } if op == *chain_op => {
                operands.push(*right);
                rest = *left;
            }
            other => {
                operands.push(other);
                break;
            }
        }
    }
    operands.reverse();
    operands
}

/// A balanced tree of `op` over `operands` (in order); depth log2(n).
fn balanced(mut operands: Vec<sp::Expr>, op: &sp::BinaryOperator) -> sp::Expr {
    if operands.len() == 1 {
        return operands.pop().expect("one operand");
    }
    let right = operands.split_off(operands.len() / 2);
    sp::Expr::BinaryOp { left: Box::new(balanced(operands, op)), op: op.clone(), right: Box::new(balanced(right, op)) }
}

struct DepthGuard {
    max_depth: usize,
    depth: usize,
}

impl DepthGuard {
    /// One level deeper: too deep past `max_depth` levels, or when the visit itself (whose frames may be
    /// larger than `STACK_PER_LEVEL` in an unoptimised build) nears the end of the stack.
    fn enter(&mut self) -> ControlFlow<()> {
        self.depth += 1;
        if self.depth > self.max_depth || crate::stack::check().is_err() {
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    }
}

impl VisitorMut for DepthGuard {
    type Break = ();

    fn pre_visit_expr(&mut self, expr: &mut sp::Expr) -> ControlFlow<()> {
        let logical_op = match &*expr {
            sp::Expr::BinaryOp { op, .. } if is_logical(op) => Some(op.clone()),
            _ => None,
        };
        if let Some(op) = logical_op {
            if chain_length(expr, &op) > REBALANCE_ABOVE {
                let chain = std::mem::replace(expr, placeholder_expr());
                *expr = balanced(chain_operands(chain, &op), &op);
            }
        }
        self.enter()
    }

    fn post_visit_expr(&mut self, _expr: &mut sp::Expr) -> ControlFlow<()> {
        self.depth -= 1;
        ControlFlow::Continue(())
    }

    fn pre_visit_query(&mut self, query: &mut sp::Query) -> ControlFlow<()> {
        // The visit descends a chain of set operations without passing another query.
        if set_spine(&query.body) > self.max_depth {
            return ControlFlow::Break(());
        }
        self.enter()
    }

    fn post_visit_query(&mut self, _query: &mut sp::Query) -> ControlFlow<()> {
        self.depth -= 1;
        ControlFlow::Continue(())
    }
}

/// Takes a tree apart with a work list: each expression is detached from its parent (replaced by a NULL
/// literal) before the parent is dropped, so no drop recurses more than one expression deep; set-operation
/// chains are unlinked the same way.
#[derive(Default)]
struct Dismantler {
    exprs: Vec<sp::Expr>,
    set_exprs: Vec<sp::SetExpr>,
    /// While taking one expression's children: its own visit must not detach it.
    skip_next_expr: bool,
}

impl Dismantler {
    fn take_children_of_expr(&mut self, mut expr: sp::Expr) {
        self.skip_next_expr = true;
        let _ = expr.visit(self);
    }

    fn drain(&mut self) {
        loop {
            if let Some(expr) = self.exprs.pop() {
                self.take_children_of_expr(expr);
            } else if let Some(mut set_expr) = self.set_exprs.pop() {
                if let sp::SetExpr::SetOperation { left, right, .. } = &mut set_expr {
                    self.set_exprs.push(std::mem::replace(left.as_mut(), placeholder_set_expr()));
                    self.set_exprs.push(std::mem::replace(right.as_mut(), placeholder_set_expr()));
                } else {
                    let _ = set_expr.visit(self);
                }
            } else {
                break;
            }
        }
    }
}

impl VisitorMut for Dismantler {
    type Break = ();

    fn pre_visit_expr(&mut self, expr: &mut sp::Expr) -> ControlFlow<()> {
        if std::mem::take(&mut self.skip_next_expr) {
            return ControlFlow::Continue(());
        }
        self.exprs.push(std::mem::replace(expr, placeholder_expr()));
        ControlFlow::Continue(())
    }

    fn pre_visit_query(&mut self, query: &mut sp::Query) -> ControlFlow<()> {
        if matches!(query.body.as_ref(), sp::SetExpr::SetOperation { .. }) {
            self.set_exprs.push(std::mem::replace(query.body.as_mut(), placeholder_set_expr()));
        }
        ControlFlow::Continue(())
    }
}
