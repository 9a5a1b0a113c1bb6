//! Selectivity of predicates: the fraction of a table's rows a predicate keeps, from ANALYZE's statistics
//! where they exist and PostgreSQL's default guesses where not (`selfuncs.c`).

use crate::catalog::Table;
use crate::sql::plan::BoundExpr;
use crate::sql::scalar::BinaryOp;
use crate::statistics::TableStatistics;

const DEFAULT_EQ_SEL: f64 = 0.005;
const DEFAULT_INEQ_SEL: f64 = 1.0 / 3.0;
const DEFAULT_MATCH_SEL: f64 = 0.005;
const DEFAULT_NULL_SEL: f64 = 0.005;
const DEFAULT_SEL: f64 = 0.5;

/// The fraction of `table`'s rows for which `predicate` (over the table's row) holds.
pub fn restriction_selectivity(predicate: &BoundExpr, table: &Table, stats: Option<&TableStatistics>) -> f64 {
    let column_stats = |c: usize| {
        let name = &table.columns.get(c)?.name;
        stats?.columns.iter().find(|s| &s.name == name)
    };
    let selectivity = match predicate {
        BoundExpr::And(operands) => operands.iter().map(|o| restriction_selectivity(o, table, stats)).product(),
        BoundExpr::Or(operands) => operands.iter().fold(0.0, |s, o| {
            let s2 = restriction_selectivity(o, table, stats);
            s + s2 - s * s2
        }),
        BoundExpr::Not(inner) => 1.0 - restriction_selectivity(inner, table, stats),
        BoundExpr::IsNull { expr, negated } => {
            let null_fraction = match strip_casts(expr) {
                BoundExpr::Column(c) => column_stats(*c).map(|s| s.null_fraction).unwrap_or(DEFAULT_NULL_SEL),
                _ => DEFAULT_NULL_SEL,
            };
            if *negated {
                1.0 - null_fraction
            } else {
                null_fraction
            }
        }
        BoundExpr::InList { list, negated, expr } => {
            let each = equality_selectivity(expr, table, stats);
            let s = (each * list.len() as f64).min(1.0);
            if *negated {
                1.0 - s
            } else {
                s
            }
        }
        BoundExpr::Binary { op, left, right, .. } => match op {
            BinaryOp::Eq => {
                let column = if right.is_constant() { left } else { right };
                equality_selectivity(column, table, stats)
            }
            BinaryOp::NotEq => 1.0 - equality_selectivity(left, table, stats),
            BinaryOp::Lt | BinaryOp::LtEq | BinaryOp::Gt | BinaryOp::GtEq => DEFAULT_INEQ_SEL,
            BinaryOp::Like | BinaryOp::ILike => DEFAULT_MATCH_SEL,
            _ => DEFAULT_SEL,
        },
        BoundExpr::Literal(crate::types::Value::Bool(true)) => 1.0,
        BoundExpr::Literal(_) => 0.0,
        _ => DEFAULT_SEL,
    };
    selectivity.clamp(0.0, 1.0)
}

/// `column = constant`: 1 / distinct values, less the NULLs.
fn equality_selectivity(expr: &BoundExpr, table: &Table, stats: Option<&TableStatistics>) -> f64 {
    let BoundExpr::Column(c) = strip_casts(expr) else { return DEFAULT_EQ_SEL };
    if table.primary_key == [*c] {
        // A unique column: one row.
        let rows = stats.map(|s| s.row_count as f64).unwrap_or(0.0);
        return if rows >= 1.0 { 1.0 / rows } else { DEFAULT_EQ_SEL };
    }
    let name = &table.columns[*c].name;
    match stats.and_then(|s| s.columns.iter().find(|s| &s.name == name)) {
        Some(column) if column.distinct_values > 0 => (1.0 - column.null_fraction) / column.distinct_values as f64,
        _ => DEFAULT_EQ_SEL,
    }
}

fn strip_casts(mut expr: &BoundExpr) -> &BoundExpr {
    while let BoundExpr::Cast { expr: inner, .. } = expr {
        expr = inner;
    }
    expr
}
