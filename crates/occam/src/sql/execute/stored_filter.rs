//! A table read's filter checked on a stored row's bytes before the row is decoded. The conjuncts that
//! compare a column with a constant (`amount > 500`, `created_at >= $1`, `status = 'paid'`) become
//! comparisons of the column's stored bytes with the constant's encoding: stored values are `keycode`
//! components, which order as the values do for the types admitted here. A row one of them rejects is never
//! decoded; when they are the whole filter, a row they all accept passes without the filter being evaluated
//! (a `count(*)` then decodes nothing). The table read evaluates the rest of the filter on the decoded row as
//! before. This is the "filters evaluate on the encoded batch" of the engine's design, for the comparisons
//! that dominate scans; every other expression keeps the general evaluator.

use crate::catalog::Table;
use crate::error::Result;
use crate::sql::plan::BoundExpr;
use crate::sql::scalar::BinaryOp;
use crate::storage::keycode::{encode_value, is_null_component, skip_stored_value, stored_value_bytes};
use crate::types::{DataType, Value};

/// The comparisons of a filter that can be checked on stored bytes.
pub struct StoredFilter {
    /// Sorted by column, so one pass over a stored row checks them all.
    comparisons: Vec<Comparison>,
    /// Whether the comparisons are the whole filter (a row they accept passes it).
    complete: bool,
}

/// `column <op> constant`.
struct Comparison {
    column: usize,
    op: BinaryOp,
    /// The constant as the column's stored bytes would be.
    constant: Vec<u8>,
}

/// What the comparisons decided about a stored row.
pub enum Verdict {
    /// One of them is false or NULL: the row fails the filter.
    Rejected,
    /// They all hold and are the whole filter.
    Passed,
    /// The row must be decoded and the filter evaluated (the comparisons hold but are not the whole
    /// filter, or the row was stored before a compared column was added).
    Undecided,
}

impl StoredFilter {
    /// The comparisons among `filter`'s conjuncts (over the table's row; `params` resolve `$n`), or None
    /// when there are none.
    pub fn new(table: &Table, filter: &BoundExpr, params: &[Value]) -> Option<StoredFilter> {
        let conjuncts = filter.conjuncts();
        let mut comparisons: Vec<Comparison> =
            conjuncts.iter().filter_map(|conjunct| comparison(table, conjunct, params)).collect();
        if comparisons.is_empty() {
            return None;
        }
        comparisons.sort_by_key(|c| c.column);
        let complete = comparisons.len() == conjuncts.len();
        Some(StoredFilter { comparisons, complete })
    }

    /// Checks the comparisons against a row as [`Table::encode_row`] stored it.
    pub fn check(&self, table: &Table, stored: &[u8]) -> Result<Verdict> {
        let mut input = stored;
        // The next column to step over, and the last one read (two comparisons may share a column).
        let mut next = 0;
        let mut last: &[u8] = &[];
        for comparison in &self.comparisons {
            while next <= comparison.column {
                if input.is_empty() {
                    // Stored before this column was added: its value is the column's default.
                    return Ok(Verdict::Undecided);
                }
                let data_type = &table.columns[next].data_type;
                if next == comparison.column {
                    last = stored_value_bytes(&mut input, data_type)?;
                } else {
                    skip_stored_value(&mut input, data_type)?;
                }
                next += 1;
            }
            if is_null_component(last) || !comparison.op.holds(last.cmp(&comparison.constant)) {
                return Ok(Verdict::Rejected);
            }
        }
        Ok(if self.complete { Verdict::Passed } else { Verdict::Undecided })
    }
}

/// `conjunct` as a comparison of stored bytes, if it compares a column with a constant of a type whose
/// stored bytes order as its values do.
fn comparison(table: &Table, conjunct: &BoundExpr, params: &[Value]) -> Option<Comparison> {
    let BoundExpr::Binary { op, left, right, .. } = conjunct else { return None };
    let (column, constant, op) = match (left.as_ref(), right.as_ref()) {
        (BoundExpr::Column(column), constant) => (*column, constant, *op),
        (constant, BoundExpr::Column(column)) => (*column, constant, op.commuted()),
        _ => return None,
    };
    let constant = match constant {
        BoundExpr::Literal(value) => value,
        BoundExpr::Parameter(index) => params.get(*index)?,
        _ => return None,
    };
    let data_type = &table.columns.get(column)?.data_type;
    let admitted = match (data_type, constant) {
        (DataType::Int2 | DataType::Int4 | DataType::Int8, Value::Int(_))
        | (DataType::Date, Value::Date(_))
        | (DataType::Timestamp, Value::Timestamp(_))
        | (DataType::Timestamptz, Value::Timestamptz(_)) => op.is_comparison(),
        // Equal texts are equal bytes; their order is a collation's, which bytes need not follow.
        (DataType::Text | DataType::Varchar(_), Value::Text(_)) => matches!(op, BinaryOp::Eq | BinaryOp::NotEq),
        _ => false,
    };
    if !admitted {
        return None;
    }
    let mut encoded = Vec::new();
    encode_value(&mut encoded, constant, false);
    Some(Comparison { column, op, constant: encoded })
}
