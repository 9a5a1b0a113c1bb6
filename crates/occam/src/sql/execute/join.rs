//! Joins: the operator for each join algorithm, and what they share — a joined row is
//! `left ++ right ++ merged USING columns`, the whole ON condition is re-checked on every candidate pair,
//! and outer joins pad unmatched rows with NULLs.

use super::eval::{eval, eval_all, passes};
use super::{BoxedOperator, ExecContext};
use crate::error::{Error, Result};
use crate::sql::ast::JoinKind;
use crate::sql::plan::physical::{Join, JoinAlgorithm, Node};
use crate::sql::plan::BoundExpr;
use crate::storage::keycode::encode_for_equality;
use crate::types::{Row, Value};

pub use super::lookup_join::LookupJoinOp;
pub use super::materialized_join::{MaterializedJoinOp, SharedBuilds};

pub fn build<'a>(id: usize, join: &'a Join, ctx: &mut ExecContext<'a>) -> Result<BoxedOperator<'a>> {
    let left = super::build(&join.left, ctx)?;
    Ok(match &join.algorithm {
        JoinAlgorithm::NestedLoop => {
            Box::new(MaterializedJoinOp::new(id, join, left, super::build(&join.right, ctx)?, None))
        }
        JoinAlgorithm::Hash { left_keys, right_keys } => Box::new(MaterializedJoinOp::new(
            id,
            join,
            left,
            super::build(&join.right, ctx)?,
            Some((left_keys, right_keys)),
        )),
        JoinAlgorithm::Lookup => {
            let Node::TableRead(read) = &join.right.node else {
                return Err(Error::internal("a lookup join needs a table read on its right"));
            };
            Box::new(LookupJoinOp::new(join, left, read, join.right.id))
        }
        JoinAlgorithm::Lateral => Box::new(super::lateral_join::LateralJoinOp::new(join, left)),
    })
}

/// Whether unmatched left rows are kept (NULL-padded).
pub fn keeps_left(kind: JoinKind) -> bool {
    matches!(kind, JoinKind::Left | JoinKind::Full)
}

/// Whether unmatched right rows are kept (NULL-padded).
pub fn keeps_right(kind: JoinKind) -> bool {
    matches!(kind, JoinKind::Right | JoinKind::Full)
}

/// Whether the join yields left rows only, each at most once (semi and anti joins): the search for a
/// left row's matches stops at the first.
pub fn yields_left_rows(kind: JoinKind) -> bool {
    matches!(kind, JoinKind::Semi | JoinKind::Anti)
}

/// What a left row yields once its matches were searched, besides the joined rows: itself NULL-padded
/// (LEFT / FULL without a match), itself (SEMI with a match, ANTI without) or nothing.
pub fn after_left_row(join: &Join, left: &[Value], matched: bool, ctx: &mut ExecContext) -> Result<Option<Row>> {
    Ok(match join.kind {
        JoinKind::Semi if matched => Some(left.to_vec()),
        JoinKind::Anti if !matched => Some(left.to_vec()),
        kind if !matched && keeps_left(kind) => Some(left_only(join, left, ctx)?),
        _ => None,
    })
}

/// `left ++ right`, with room for the merged columns.
pub fn joined_row(left: &[Value], right: &[Value], merged: usize) -> Row {
    let mut row = Vec::with_capacity(left.len() + right.len() + merged);
    row.extend_from_slice(left);
    row.extend_from_slice(right);
    row
}

/// The joined row if it satisfies the condition (with the merged columns appended).
pub fn matching(join: &Join, row: Row, ctx: &mut ExecContext) -> Result<Option<Row>> {
    if !passes(join.condition.as_ref(), &row, ctx)? {
        return Ok(None);
    }
    finish(join, row, ctx).map(Some)
}

/// Appends the merged USING columns.
pub fn finish(join: &Join, mut row: Row, ctx: &mut ExecContext) -> Result<Row> {
    if !join.merged.is_empty() {
        let values = eval_all(&join.merged, &row, ctx)?;
        row.extend(values);
    }
    Ok(row)
}

/// An unmatched left row, NULL-padded on the right.
pub fn left_only(join: &Join, left: &[Value], ctx: &mut ExecContext) -> Result<Row> {
    let mut row = joined_row(left, &[], join.merged.len());
    row.resize(join.left_width + join.right_width, Value::Null);
    finish(join, row, ctx)
}

/// An unmatched right row, NULL-padded on the left.
pub fn right_only(join: &Join, right: &[Value], ctx: &mut ExecContext) -> Result<Row> {
    let mut row = vec![Value::Null; join.left_width];
    row.extend_from_slice(right);
    finish(join, row, ctx)
}

/// Encodes the join key of `row` into `out`; false when a part is NULL (NULL never equals anything).
pub fn encode_key(keys: &[BoundExpr], row: &[Value], ctx: &mut ExecContext, out: &mut Vec<u8>) -> Result<bool> {
    out.clear();
    for key in keys {
        let value = eval(key, row, ctx)?;
        if value.is_null() {
            return Ok(false);
        }
        encode_for_equality(out, &value);
    }
    Ok(true)
}
