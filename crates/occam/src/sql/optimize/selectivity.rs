//! Selectivity: the fraction of a table's rows a predicate keeps, of a join's row pairs an equality keeps,
//! and the number of distinct values of a column, estimated from ANALYZE's statistics
//! (`crate::statistics`) the way PostgreSQL's `selfuncs.c` and `clausesel.c` do. The cost-based planner
//! multiplies row counts by these to estimate every plan node's rows.
//!
//! ```text
//!   col = const          the MCV's frequency, else the rest shared evenly by the other distinct values
//!   col <,<=,>,>= const  MCVs that satisfy it + histogram interpolation over the rest
//!   a < col AND col < b  both bounds of one column combined: hi + lo - 1 (not their product)
//!   col IN (...)         sum of the equalities (the values are distinct); NOT IN: 1 - sum
//!   col LIKE 'abc%'      the range 'abc' <= col < 'abd' (histogram matches when it is large)
//!   col IS [NOT] NULL    the null fraction
//!   AND / OR / NOT       product (independence), s1 + s2 - s1·s2, 1 - s
//!   join col1 = col2     matching MCV lists, else 1 / max(distinct1, distinct2)
//! ```
//! Without statistics (never analyzed, or a parameter instead of a constant) PostgreSQL's defaults apply:
//! [`DEFAULT_EQ_SEL`], [`DEFAULT_INEQ_SEL`], [`DEFAULT_RANGE_INEQ_SEL`], [`DEFAULT_MATCH_SEL`],
//! [`DEFAULT_NUM_DISTINCT`], [`DEFAULT_NULL_SEL`].

use std::cmp::Ordering;

use crate::catalog::{IndexState, Table};
use crate::sql::plan::BoundExpr;
use crate::sql::scalar::{self, BinaryOp};
use crate::statistics::{ColumnStatistics, TableStatistics};
use crate::types::{DataType, Value};

/// `col = something` with nothing better known.
pub const DEFAULT_EQ_SEL: f64 = 0.005;
/// `col < something` with nothing better known.
pub const DEFAULT_INEQ_SEL: f64 = 1.0 / 3.0;
/// A pair of bounds on one column (`col > a AND col < b`) with nothing better known.
pub const DEFAULT_RANGE_INEQ_SEL: f64 = 0.005;
/// `col LIKE pattern` with nothing better known.
pub const DEFAULT_MATCH_SEL: f64 = 0.005;
/// Distinct values of a column of unknown content.
pub const DEFAULT_NUM_DISTINCT: f64 = 200.0;
/// `col IS NULL` with nothing better known (PostgreSQL's `DEFAULT_UNK_SEL`).
pub const DEFAULT_NULL_SEL: f64 = 0.005;
/// A boolean expression nothing is known about.
pub const DEFAULT_BOOL_SEL: f64 = 0.5;
/// A boolean function call (PostgreSQL's default function selectivity).
const DEFAULT_FUNCTION_SEL: f64 = 1.0 / 3.0;

/// LIKE heuristics for the pattern after its fixed prefix (PostgreSQL's `like_selectivity`).
const FIXED_CHAR_SEL: f64 = 0.20;
const ANY_CHAR_SEL: f64 = 0.9;
const FULL_WILDCARD_SEL: f64 = 5.0;
/// A histogram of at least this many bounds is matched against a LIKE pattern directly...
const MIN_MATCHED_HISTOGRAM: usize = 10;
/// ...and trusted alone from this many on (in between, blended with the prefix estimate).
const TRUSTED_HISTOGRAM: usize = 100;

/// The fraction of `table`'s rows for which `predicate` (over the table's row, `BoundExpr::Column(i)` being
/// `table.columns[i]`) is true, in [0, 1], from the table's statistics when it has any.
pub fn restriction_selectivity(predicate: &BoundExpr, table: &Table, stats: Option<&TableStatistics>) -> f64 {
    probability(Restriction { table, stats }.clause(predicate))
}

/// The fraction of the pairs of a join of two relations (of `left_rows` and `right_rows` rows) for which
/// `left column = right column` holds (PostgreSQL's `eqjoinsel`): from the matching most common values
/// when both columns have them, else `(1 - nulls1)(1 - nulls2) / max(distinct1, distinct2)`.
pub fn join_selectivity(
    left: Option<&ColumnStatistics>,
    left_rows: f64,
    right: Option<&ColumnStatistics>,
    right_rows: f64,
) -> f64 {
    let (nd1, nd2) = (distinct_values(left, left_rows), distinct_values(right, right_rows));
    let (nulls1, nulls2) = (left.map_or(0.0, |c| c.null_fraction), right.map_or(0.0, |c| c.null_fraction));
    // Every non-null value of the side with fewer distinct values finds its matches in the other.
    let spread_evenly = probability((1.0 - nulls1) * (1.0 - nulls2) / nd1.max(nd2));
    let (Some(left), Some(right)) = (left, right) else { return spread_evenly };
    if left.most_common.is_empty() || right.most_common.is_empty() {
        return spread_evenly;
    }
    // Pair up the MCVs that are equal: their joint frequency is known exactly.
    let mut matched_right = vec![false; right.most_common.len()];
    let (mut matched_product, mut matched1, mut unmatched1, mut matches) = (0.0, 0.0, 0.0, 0.0);
    for (value, frequency) in &left.most_common {
        let found =
            right.most_common.iter().enumerate().find(|(j, (other, _))| !matched_right[*j] && equal(value, other));
        match found {
            Some((j, (_, other_frequency))) => {
                matched_right[j] = true;
                matched_product += frequency * other_frequency;
                matched1 += frequency;
                matches += 1.0;
            }
            None => unmatched1 += frequency,
        }
    }
    let matched2: f64 = right.most_common.iter().zip(&matched_right).filter(|(_, &m)| m).map(|((_, f), _)| f).sum();
    let unmatched2: f64 = right.most_common.iter().zip(&matched_right).filter(|(_, &m)| !m).map(|((_, f), _)| f).sum();
    let (matched1, unmatched1) = (probability(matched1), probability(unmatched1));
    let (matched2, unmatched2) = (probability(matched2), probability(unmatched2));
    let other1 = probability(1.0 - nulls1 - matched1 - unmatched1);
    let other2 = probability(1.0 - nulls2 - matched2 - unmatched2);
    let (mcvs1, mcvs2) = (left.most_common.len() as f64, right.most_common.len() as f64);
    // From either side: the known matches, its unmatched MCVs meeting the other's non-MCV values, and its
    // non-MCV values meeting the other's non-MCV and unmatched MCV values (evenly spread over the rest).
    let mut total1 = matched_product;
    if nd2 > mcvs2 {
        total1 += unmatched1 * other2 / (nd2 - mcvs2);
    }
    if nd2 > matches {
        total1 += other1 * (other2 + unmatched2) / (nd2 - matches);
    }
    let mut total2 = matched_product;
    if nd1 > mcvs1 {
        total2 += unmatched2 * other1 / (nd1 - mcvs1);
    }
    if nd1 > matches {
        total2 += other2 * (other1 + unmatched1) / (nd1 - matches);
    }
    probability(total1.min(total2))
}

/// The number of distinct values of a column in a relation of `rows` rows (for GROUP BY and DISTINCT
/// estimates; PostgreSQL's `get_variable_numdistinct`): from the statistics, else the row count of a small
/// relation, else [`DEFAULT_NUM_DISTINCT`]. Never above `rows` (when `rows >= 1`), never below 1.
pub fn distinct_values(column: Option<&ColumnStatistics>, rows: f64) -> f64 {
    let estimate = match column {
        Some(column) if column.n_distinct != 0.0 => column.distinct_in(rows),
        _ if rows > 0.0 && rows < DEFAULT_NUM_DISTINCT => rows,
        _ => DEFAULT_NUM_DISTINCT,
    };
    let estimate = if rows >= 1.0 { estimate.min(rows) } else { estimate };
    estimate.round().max(1.0)
}

/// A selectivity forced into [0, 1] (NaN, from degenerate statistics, counts as unknown).
fn probability(selectivity: f64) -> f64 {
    if selectivity.is_nan() {
        DEFAULT_BOOL_SEL
    } else {
        selectivity.clamp(0.0, 1.0)
    }
}

/// SQL equality of two non-null values (across numeric types, dates and timestamps).
fn equal(a: &Value, b: &Value) -> bool {
    compare(a, b) == Ordering::Equal
}

fn compare(a: &Value, b: &Value) -> Ordering {
    scalar::compare(a, b).unwrap_or_else(|| a.total_cmp(b))
}

/// Whether `value op constant` holds for a comparison operator.
fn satisfies(value: &Value, op: BinaryOp, constant: &Value) -> bool {
    op.holds(compare(value, constant))
}

fn is_inequality(op: BinaryOp) -> bool {
    matches!(op, BinaryOp::Lt | BinaryOp::LtEq | BinaryOp::Gt | BinaryOp::GtEq)
}

/// Whether a cast keeps values and their order (so statistics of the column still describe the cast
/// value), like the binary-compatible relabelings PostgreSQL looks through.
fn keeps_order(from: &DataType, to: &DataType) -> bool {
    use DataType::*;
    (from.is_integer() && to.is_numeric_family())
        || (matches!(from, Float4 | Float8 | Numeric(_)) && matches!(to, Float8 | Numeric(_)))
        || (from.is_string() && to.is_string())
        || (matches!(from, Date | Timestamp | Timestamptz) && matches!(to, Timestamp | Timestamptz))
}

/// A column of the table as a clause refers to it.
#[derive(Clone, Copy)]
struct ColumnRef<'a> {
    /// Index into the table's columns.
    index: usize,
    /// The column alone is the primary key or a unique index's key: every value occurs once.
    unique: bool,
    not_null: bool,
    stats: Option<&'a ColumnStatistics>,
}

/// What a column is compared with: a value known at planning time, or one that is not (a parameter, an
/// outer query's column, an uncorrelated subquery), constant for the whole scan either way.
enum Operand {
    Known(Value),
    Unknown,
}

/// `restriction_selectivity` for one table.
struct Restriction<'a> {
    table: &'a Table,
    stats: Option<&'a TableStatistics>,
}

/// The selectivities of the clauses of one AND that bound one column from below and from above.
struct RangeBounds {
    column: usize,
    lower: Option<f64>,
    upper: Option<f64>,
}

impl<'a> Restriction<'a> {
    fn clause(&self, expr: &BoundExpr) -> f64 {
        // Planning already walked this tree with checks; an exhausted stack only costs precision here.
        if crate::stack::check().is_err() {
            return DEFAULT_BOOL_SEL;
        }
        match expr {
            BoundExpr::And(clauses) => self.conjunction(clauses),
            BoundExpr::Or(clauses) => clauses.iter().fold(0.0, |s1, clause| {
                let s2 = self.clause(clause);
                s1 + s2 - s1 * s2
            }),
            BoundExpr::Not(inner) => self.negation(inner),
            BoundExpr::Literal(Value::Bool(true)) => 1.0,
            BoundExpr::Literal(_) => 0.0,
            BoundExpr::IsNull { expr, negated } => self.null_test(expr, *negated),
            BoundExpr::InList { expr, list, negated } => self.in_list(expr, list, *negated),
            BoundExpr::Binary { op, left, right, .. } => match op {
                BinaryOp::Like | BinaryOp::ILike => self.pattern(left, right, *op == BinaryOp::ILike),
                BinaryOp::Eq | BinaryOp::NotEq | BinaryOp::Lt | BinaryOp::LtEq | BinaryOp::Gt | BinaryOp::GtEq => {
                    self.comparison(*op, left, right)
                }
                _ => DEFAULT_BOOL_SEL,
            },
            BoundExpr::Function { .. } => DEFAULT_FUNCTION_SEL,
            other => match self.column(other) {
                // A boolean column: the fraction of rows where it is true.
                Some(column) if column.stats.is_some() => self.equality(column, &Operand::Known(Value::Bool(true))),
                _ => DEFAULT_BOOL_SEL,
            },
        }
    }

    /// AND: the product of the clauses' selectivities (assuming independence), except that a lower and
    /// an upper bound of one column form a range (PostgreSQL's `clauselist_selectivity`).
    fn conjunction(&self, clauses: &[BoundExpr]) -> f64 {
        let mut product = 1.0;
        let mut ranges: Vec<RangeBounds> = Vec::new();
        for clause in clauses {
            let selectivity = self.clause(clause);
            let Some((column, is_lower)) = self.range_bound(clause) else {
                product *= selectivity;
                continue;
            };
            let position = ranges.iter().position(|r| r.column == column).unwrap_or_else(|| {
                ranges.push(RangeBounds { column, lower: None, upper: None });
                ranges.len() - 1
            });
            let bound = if is_lower { &mut ranges[position].lower } else { &mut ranges[position].upper };
            // Two bounds on one side: the more restrictive one decides.
            *bound = Some(bound.map_or(selectivity, |s: f64| s.min(selectivity)));
        }
        for range in ranges {
            product *= match (range.lower, range.upper) {
                (Some(lower), Some(upper)) => self.range(range.column, lower, upper),
                (lower, upper) => lower.unwrap_or(1.0) * upper.unwrap_or(1.0),
            };
        }
        product
    }

    /// `lower-bound clause AND upper-bound clause` on one column: the rows below the upper bound that are
    /// not below the lower one. NULLs were excluded by both, so they are added back once.
    fn range(&self, column: usize, lower: f64, upper: f64) -> f64 {
        if lower == DEFAULT_INEQ_SEL || upper == DEFAULT_INEQ_SEL {
            return DEFAULT_RANGE_INEQ_SEL;
        }
        let selectivity = upper + lower - 1.0 + self.null_fraction(self.column_ref(column), false);
        if selectivity > 0.0 {
            selectivity
        } else if selectivity < -0.01 {
            // The bounds contradict the statistics by more than rounding: they are out of date.
            DEFAULT_RANGE_INEQ_SEL
        } else {
            1.0e-10
        }
    }

    /// The column a clause `column op constant` (either way round) bounds, and whether from below.
    fn range_bound(&self, clause: &BoundExpr) -> Option<(usize, bool)> {
        let BoundExpr::Binary { op, left, right, .. } = clause else { return None };
        if !is_inequality(*op) {
            return None;
        }
        let (column, _, op) = self.column_and_operand(*op, left, right)?;
        Some((column.index, matches!(op, BinaryOp::Gt | BinaryOp::GtEq)))
    }

    fn negation(&self, inner: &BoundExpr) -> f64 {
        // NOT LIKE excludes NULLs as LIKE does (PostgreSQL's `nlikesel`).
        if let BoundExpr::Binary { op: op @ (BinaryOp::Like | BinaryOp::ILike), left, right, .. } = inner {
            let nulls = self.column(left).map_or(0.0, |c| self.null_fraction(c, false));
            return 1.0 - self.pattern(left, right, *op == BinaryOp::ILike) - nulls;
        }
        1.0 - self.clause(inner)
    }

    fn column_ref(&self, index: usize) -> ColumnRef<'a> {
        let info = self.table.columns.get(index);
        ColumnRef {
            index,
            unique: self.table.primary_key == [index]
                || self.table.indexes.iter().any(|i| {
                    let on_this_column = i.columns.len() == 1 && i.columns[0].table_column() == Some(index);
                    on_this_column && i.unique && i.predicate.is_none() && i.state == IndexState::Valid
                }),
            not_null: info.is_some_and(|c| c.not_null) || self.table.primary_key.contains(&index),
            stats: info.and_then(|c| self.stats.and_then(|s| s.column(&c.name))),
        }
    }

    /// The column `expr` is, looking through casts that keep values.
    fn column(&self, expr: &BoundExpr) -> Option<ColumnRef<'a>> {
        match expr {
            BoundExpr::Column(index) => Some(self.column_ref(*index)),
            BoundExpr::Cast { expr, from, to } if keeps_order(from, to) => self.column(expr),
            _ => None,
        }
    }

    /// `expr` as an operand constant during the scan, evaluated when it is a literal (possibly cast).
    fn operand(expr: &BoundExpr) -> Option<Operand> {
        Some(match expr {
            BoundExpr::Literal(value) => Operand::Known(value.clone()),
            BoundExpr::Parameter(_) | BoundExpr::OuterColumn { .. } => Operand::Unknown,
            BoundExpr::Subquery(subquery) if !subquery.correlated => Operand::Unknown,
            BoundExpr::Cast { expr, from, to } => match Self::operand(expr)? {
                Operand::Known(value) => scalar::cast(value, from, to).map_or(Operand::Unknown, Operand::Known),
                Operand::Unknown => Operand::Unknown,
            },
            BoundExpr::Negate { expr, data_type } => match Self::operand(expr)? {
                Operand::Known(value) => scalar::negate(&value, data_type).map_or(Operand::Unknown, Operand::Known),
                Operand::Unknown => Operand::Unknown,
            },
            _ => return None,
        })
    }

    /// `left op right` as `column op' operand`, whichever side the column is on.
    fn column_and_operand(
        &self,
        op: BinaryOp,
        left: &BoundExpr,
        right: &BoundExpr,
    ) -> Option<(ColumnRef<'a>, Operand, BinaryOp)> {
        if let (Some(column), Some(operand)) = (self.column(left), Self::operand(right)) {
            return Some((column, operand, op));
        }
        if let (Some(column), Some(operand)) = (self.column(right), Self::operand(left)) {
            return Some((column, operand, op.commuted()));
        }
        None
    }

    fn comparison(&self, op: BinaryOp, left: &BoundExpr, right: &BoundExpr) -> f64 {
        let Some((column, operand, op)) = self.column_and_operand(op, left, right) else {
            if let (Some(Operand::Known(a)), Some(Operand::Known(b))) = (Self::operand(left), Self::operand(right)) {
                let holds = !a.is_null() && !b.is_null() && satisfies(&a, op, &b);
                return if holds { 1.0 } else { 0.0 };
            }
            return match op {
                BinaryOp::Eq => DEFAULT_EQ_SEL,
                BinaryOp::NotEq => 1.0 - DEFAULT_EQ_SEL,
                _ => DEFAULT_INEQ_SEL,
            };
        };
        match op {
            BinaryOp::Eq => self.equality(column, &operand),
            BinaryOp::NotEq => self.inequality_not_equal(column, &operand),
            _ => self.inequality(column, op, &operand),
        }
    }

    /// Rows in the table when analyzed.
    fn rows(&self) -> Option<f64> {
        self.stats.map(|s| s.row_count as f64)
    }

    /// Distinct non-null values of a column in the analyzed table.
    fn distinct(&self, column: ColumnRef) -> f64 {
        match self.rows() {
            Some(rows) if column.unique && rows >= 1.0 => rows,
            rows => distinct_values(column.stats, rows.unwrap_or(0.0)),
        }
    }

    fn null_fraction(&self, column: ColumnRef, negated: bool) -> f64 {
        let is_null = if column.not_null { 0.0 } else { column.stats.map_or(0.0, |s| s.null_fraction) };
        if negated {
            1.0 - is_null
        } else {
            is_null
        }
    }

    fn null_test(&self, expr: &BoundExpr, negated: bool) -> f64 {
        let is_null = match self.column(expr) {
            Some(column) if column.not_null => 0.0,
            Some(ColumnRef { stats: Some(stats), .. }) => stats.null_fraction,
            _ => DEFAULT_NULL_SEL,
        };
        if negated {
            1.0 - is_null
        } else {
            is_null
        }
    }

    /// `column = operand` (PostgreSQL's `var_eq_const` and `var_eq_non_const`).
    fn equality(&self, column: ColumnRef, operand: &Operand) -> f64 {
        if let Operand::Known(Value::Null) = operand {
            return 0.0;
        }
        if let (true, Some(rows)) = (column.unique, self.rows()) {
            if rows >= 1.0 {
                return 1.0 / rows;
            }
        }
        let Some(stats) = column.stats else { return 1.0 / self.distinct(column) };
        match operand {
            Operand::Known(value) => {
                if let Some((_, frequency)) = stats.most_common.iter().find(|(mcv, _)| equal(mcv, value)) {
                    return *frequency;
                }
                // Not an MCV: the other values share what the MCVs and NULLs leave, evenly, and none is
                // more common than the least common MCV.
                let common: f64 = stats.most_common.iter().map(|(_, f)| f).sum();
                let mut selectivity = probability(1.0 - common - stats.null_fraction);
                let others = self.distinct(column) - stats.most_common.len() as f64;
                if others > 1.0 {
                    selectivity /= others;
                }
                match stats.most_common.last() {
                    Some((_, least)) => selectivity.min(*least),
                    None => selectivity,
                }
            }
            Operand::Unknown => {
                let mut selectivity = 1.0 - stats.null_fraction;
                let distinct = self.distinct(column);
                if distinct > 1.0 {
                    selectivity /= distinct;
                }
                match stats.most_common.first() {
                    Some((_, most)) => selectivity.min(*most),
                    None => selectivity,
                }
            }
        }
    }

    /// `column <> operand`: neither equal nor NULL.
    fn inequality_not_equal(&self, column: ColumnRef, operand: &Operand) -> f64 {
        if let Operand::Known(Value::Null) = operand {
            return 0.0;
        }
        1.0 - self.equality(column, operand) - self.null_fraction(column, false)
    }

    /// `column < <= > >= operand` (PostgreSQL's `scalarineqsel`): the MCVs that satisfy it, plus the
    /// histogram's estimate for the rest.
    fn inequality(&self, column: ColumnRef, op: BinaryOp, operand: &Operand) -> f64 {
        let Operand::Known(value) = operand else { return DEFAULT_INEQ_SEL };
        if value.is_null() {
            return 0.0;
        }
        let Some(stats) = column.stats else { return DEFAULT_INEQ_SEL };
        let (mut satisfied, mut common) = (0.0, 0.0);
        for (mcv, frequency) in &stats.most_common {
            common += frequency;
            if satisfies(mcv, op, value) {
                satisfied += frequency;
            }
        }
        let is_greater = matches!(op, BinaryOp::Gt | BinaryOp::GtEq);
        let or_equal = matches!(op, BinaryOp::LtEq | BinaryOp::GtEq);
        // Without a histogram, half the other values are assumed to qualify.
        let histogram = self.histogram_fraction(column, stats, is_greater, or_equal, value).unwrap_or(0.5);
        probability((1.0 - stats.null_fraction - common) * histogram + satisfied)
    }

    /// The fraction of the histogram's population (non-null, non-MCV values) that satisfies `column op
    /// value` (PostgreSQL's `ineq_histogram_selectivity`); None without a histogram.
    fn histogram_fraction(
        &self,
        column: ColumnRef,
        stats: &ColumnStatistics,
        is_greater: bool,
        or_equal: bool,
        value: &Value,
    ) -> Option<f64> {
        let bounds = &stats.histogram;
        let n = bounds.len();
        if n < 2 {
            return None;
        }
        let op = match (is_greater, or_equal) {
            (false, false) => BinaryOp::Lt,
            (false, true) => BinaryOp::LtEq,
            (true, false) => BinaryOp::Gt,
            (true, true) => BinaryOp::GtEq,
        };
        // The first bound for which `bound op value` fails (for < and <=) or holds (for > and >=).
        let (mut low, mut high) = (0, n);
        while low < high {
            let probe = (low + high) / 2;
            if satisfies(&bounds[probe], op, value) != is_greater {
                low = probe + 1;
            } else {
                high = probe;
            }
        }
        let below = if low == 0 {
            0.0
        } else if low >= n {
            1.0
        } else {
            // bounds[low - 1] <= value <= bounds[low]: interpolate within that bucket.
            let i = low;
            let equal_part = if i == 1 || is_greater == or_equal {
                let others = self.distinct(column) - stats.most_common.len() as f64;
                if others > 1.0 {
                    1.0 / others
                } else {
                    0.0
                }
            } else {
                0.0
            };
            let within = bucket_fraction(value, &bounds[i - 1], &bounds[i]);
            let mut below = ((i - 1) as f64 + within) / (n - 1) as f64;
            // The first bound is its bucket's smallest value, not its largest like the others.
            if i == 1 {
                below += equal_part * (1.0 - within);
            }
            // So far "column <= value"; "<" and ">=" leave out the values equal to it.
            if is_greater == or_equal {
                below -= equal_part;
            }
            below
        };
        let fraction = if is_greater { 1.0 - below } else { below };
        // The bounds are a sample: never trust an estimate of (almost) none or all.
        let cutoff = 0.01 / (n - 1) as f64;
        Some(fraction.clamp(cutoff, 1.0 - cutoff))
    }

    /// `column IN (list)` as the sum of the equalities (the list's values are taken as distinct), `NOT IN`
    /// as 1 minus what the equalities and NULLs take (PostgreSQL's `scalararraysel`).
    fn in_list(&self, expr: &BoundExpr, list: &[BoundExpr], negated: bool) -> f64 {
        let column = self.column(expr);
        let nulls = column.map_or(0.0, |c| self.null_fraction(c, false));
        let mut selectivity = if negated { 1.0 } else { 0.0 };
        for item in list {
            let operand = Self::operand(item);
            // A NULL item never compares true, neither equal nor unequal.
            let null_item = matches!(operand, Some(Operand::Known(Value::Null)));
            let equality = match (column, operand) {
                (_, _) if null_item => 0.0,
                (Some(column), Some(operand)) => self.equality(column, &operand),
                _ => DEFAULT_EQ_SEL,
            };
            if !negated {
                selectivity += equality;
            } else if null_item {
                selectivity = 0.0;
            } else {
                selectivity -= equality + nulls;
            }
        }
        probability(selectivity)
    }

    /// `column [I]LIKE pattern` (PostgreSQL's `patternsel`): an exact pattern is an equality; otherwise
    /// the histogram's bounds are matched against the pattern (when there are enough of them) or the fixed
    /// prefix is estimated as a range and the rest of the pattern by heuristics; MCVs are matched exactly.
    fn pattern(&self, subject: &BoundExpr, pattern: &BoundExpr, case_insensitive: bool) -> f64 {
        let (Some(column), Some(operand)) = (self.column(subject), Self::operand(pattern)) else {
            return DEFAULT_MATCH_SEL;
        };
        let pattern = match operand {
            Operand::Known(Value::Text(pattern)) => pattern,
            Operand::Known(Value::Null) => return 0.0,
            _ => return DEFAULT_MATCH_SEL,
        };
        let fixed = FixedPrefix::of(&pattern, case_insensitive);
        if fixed.exact {
            return self.equality(column, &Operand::Known(Value::Text(fixed.prefix)));
        }
        let matches = |value: &Value| match value {
            Value::Text(text) => scalar::like(text, &pattern, case_insensitive).unwrap_or(false),
            _ => false,
        };
        let histogram = column.stats.map_or(&[][..], |s| &s.histogram[..]);
        let matched = (histogram.len() >= MIN_MATCHED_HISTOGRAM).then(|| {
            let inner = &histogram[1..histogram.len() - 1];
            inner.iter().filter(|v| matches(v)).count() as f64 / inner.len() as f64
        });
        let mut selectivity = matched.unwrap_or(0.0);
        if histogram.len() < TRUSTED_HISTOGRAM {
            let prefix = if fixed.prefix.is_empty() { 1.0 } else { self.prefix_selectivity(column, &fixed.prefix) };
            let heuristic = prefix * rest_of_pattern_selectivity(fixed.rest);
            selectivity = match matched {
                None => heuristic,
                Some(matched) => {
                    let weight = histogram.len() as f64 / TRUSTED_HISTOGRAM as f64;
                    matched * weight + heuristic * (1.0 - weight)
                }
            };
        }
        selectivity = selectivity.clamp(0.0001, 0.9999);
        let Some(stats) = column.stats else { return selectivity };
        let (mut satisfied, mut common) = (0.0, 0.0);
        for (mcv, frequency) in &stats.most_common {
            common += frequency;
            if matches(mcv) {
                satisfied += frequency;
            }
        }
        selectivity * (1.0 - stats.null_fraction - common) + satisfied
    }

    /// `column LIKE 'prefix%'` over the histogram's population as `prefix <= column < next string`
    /// (PostgreSQL's `prefix_selectivity`), at least the selectivity of `column = prefix`.
    fn prefix_selectivity(&self, column: ColumnRef, prefix: &str) -> f64 {
        let Some(stats) = column.stats else { return DEFAULT_MATCH_SEL };
        let Some(at_least) = self.histogram_fraction(column, stats, true, true, &Value::Text(prefix.to_string()))
        else {
            return DEFAULT_MATCH_SEL;
        };
        let mut selectivity = at_least;
        if let Some(greater) = greater_string(prefix) {
            let below = self.histogram_fraction(column, stats, false, false, &Value::Text(greater)).unwrap_or(1.0);
            selectivity = below + at_least - 1.0;
        }
        selectivity.max(self.equality(column, &Operand::Known(Value::Text(prefix.to_string()))))
    }
}

/// The fixed start of a LIKE pattern (what every match begins with).
struct FixedPrefix<'p> {
    prefix: String,
    /// The pattern has no wildcard: it matches exactly `prefix`.
    exact: bool,
    /// The pattern from its first wildcard (or case-folded letter, for ILIKE) on.
    rest: &'p str,
}

impl<'p> FixedPrefix<'p> {
    fn of(pattern: &'p str, case_insensitive: bool) -> FixedPrefix<'p> {
        let has_case = |c: char| c.to_lowercase().ne(c.to_uppercase());
        let mut prefix = String::new();
        let mut chars = pattern.char_indices();
        while let Some((position, c)) = chars.next() {
            let literal = match c {
                '%' | '_' => None,
                '\\' => chars.next().map(|(_, escaped)| escaped),
                c => Some(c),
            };
            match literal {
                Some(literal) if !(case_insensitive && has_case(literal)) => prefix.push(literal),
                _ => return FixedPrefix { prefix, exact: false, rest: &pattern[position..] },
            }
        }
        FixedPrefix { prefix, exact: true, rest: "" }
    }
}

/// The selectivity of the non-fixed part of a LIKE pattern (PostgreSQL's `like_selectivity`): leading
/// wildcards are free, every further fixed character keeps a fifth, `_` most, `%` widens.
fn rest_of_pattern_selectivity(rest: &str) -> f64 {
    let mut selectivity: f64 = 1.0;
    let mut chars = rest.chars().skip_while(|c| matches!(c, '%' | '_'));
    while let Some(c) = chars.next() {
        selectivity *= match c {
            '%' => FULL_WILDCARD_SEL,
            '_' => ANY_CHAR_SEL,
            '\\' => {
                if chars.next().is_none() {
                    break;
                }
                FIXED_CHAR_SEL
            }
            _ => FIXED_CHAR_SEL,
        };
    }
    selectivity.min(1.0)
}

/// The smallest string greater than every string starting with `prefix` that we can name: the prefix
/// with its last character incremented (dropping characters that cannot be).
fn greater_string(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = (last as u32 + 1..=char::MAX as u32).find_map(char::from_u32);
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// Where `value` lies between two adjacent histogram bounds, 0..1 (PostgreSQL's `convert_to_scalar`):
/// numbers, dates and times linearly, strings and bytes as base-N fractions after their common prefix;
/// the middle when the values cannot be measured.
fn bucket_fraction(value: &Value, low: &Value, high: &Value) -> f64 {
    let Some((value, low, high)) = scalar_positions(value, low, high) else { return 0.5 };
    if high <= low {
        0.5
    } else if value <= low {
        0.0
    } else if value >= high {
        1.0
    } else {
        let fraction = (value - low) / (high - low);
        if fraction.is_finite() && (0.0..=1.0).contains(&fraction) {
            fraction
        } else {
            0.5
        }
    }
}

fn scalar_positions(value: &Value, low: &Value, high: &Value) -> Option<(f64, f64, f64)> {
    if let (Some(v), Some(l), Some(h)) = (as_number(value), as_number(low), as_number(high)) {
        return Some((v, l, h));
    }
    let bytes = |v: &'_ Value| -> Option<Vec<u8>> {
        match v {
            Value::Text(s) => Some(s.as_bytes().to_vec()),
            Value::Bytea(b) => Some(b.clone()),
            Value::Uuid(u) => Some(u.as_bytes().to_vec()),
            _ => None,
        }
    };
    let is_text = matches!(value, Value::Text(_));
    Some(scale_byte_strings(&bytes(value)?, &bytes(low)?, &bytes(high)?, is_text))
}

/// Numbers, dates, timestamps and intervals (in microseconds, so that they compare with each other) as f64.
fn as_number(value: &Value) -> Option<f64> {
    const MICROS_PER_DAY: f64 = 86_400_000_000.0;
    Some(match value {
        Value::Int(i) => *i as f64,
        Value::Float(f) => *f,
        Value::Numeric(d) => d.to_f64(),
        Value::Bool(b) => *b as u8 as f64,
        Value::Date(d) => d.signed_duration_since(chrono::NaiveDate::default()).num_days() as f64 * MICROS_PER_DAY,
        Value::Timestamp(ts) => ts.and_utc().timestamp_micros() as f64,
        Value::Timestamptz(ts) => ts.timestamp_micros() as f64,
        // The span with a month of 30 days (PostgreSQL's convert_to_scalar counts 30.4375: estimates only).
        Value::Interval(interval) => interval.span_micros() as f64,
        _ => return None,
    })
}

/// Three byte strings as fractions in one base (PostgreSQL's `convert_string_to_scalar`): the base spans
/// the characters seen in the bounds (widened to whole letter and digit ranges, or to printable ASCII when
/// narrow, for text; every byte for binary data), after the prefix all three share.
fn scale_byte_strings(value: &[u8], low: &[u8], high: &[u8], is_text: bool) -> (f64, f64, f64) {
    let (mut range_low, mut range_high) = (0i32, 255i32);
    if is_text {
        range_low = high.first().copied().unwrap_or(0) as i32;
        range_high = range_low;
        for &c in low.iter().chain(high) {
            range_low = range_low.min(c as i32);
            range_high = range_high.max(c as i32);
        }
        for (first, last) in [(b'A', b'Z'), (b'a', b'z'), (b'0', b'9')] {
            if range_low <= last as i32 && range_high >= first as i32 {
                range_low = range_low.min(first as i32);
                range_high = range_high.max(last as i32);
            }
        }
        if range_high - range_low < 9 {
            range_low = b' ' as i32;
            range_high = 127;
        }
    }
    let common = value.iter().zip(low).zip(high).take_while(|((v, l), h)| v == l && l == h).count();
    let scale = |s: &[u8]| {
        let base = (range_high - range_low + 1) as f64;
        let (mut number, mut denominator) = (0.0, base);
        for &c in s.iter().skip(common).take(12) {
            let c = (c as i32).clamp(range_low - 1, range_high + 1);
            number += (c - range_low) as f64 / denominator;
            denominator *= base;
        }
        number
    };
    (scale(value), scale(low), scale(high))
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, OnceLock};

    use super::*;
    use crate::session::{QueryResult, Session};
    use crate::sql::scalar::BinarySignature;
    use crate::{CompatMode, Config, Database};

    /// Rows of the generated table: more than `statistics::SAMPLE_ROWS`, so ANALYZE samples.
    const ROWS: i64 = 60_000;

    /// A table analyzed through the real ANALYZE job, with a session to count actual rows.
    struct Analyzed {
        session: Session,
        table: Arc<Table>,
        stats: Arc<TableStatistics>,
    }

    /// The generated table, built once for every test of this module.
    static GENERATED: OnceLock<(Database, Arc<Table>, Arc<TableStatistics>)> = OnceLock::new();

    fn query(session: &mut Session, sql: &str) -> Vec<Vec<Value>> {
        match session.execute_batch(sql).pop().expect("one result") {
            Ok(QueryResult::Rows { rows, .. }) => rows,
            other => panic!("{sql}: {other:?}"),
        }
    }

    fn count(session: &mut Session, sql: &str) -> f64 {
        match query(session, sql).as_slice() {
            [row] => match row.as_slice() {
                [Value::Int(n)] => *n as f64,
                [Value::Numeric(n)] => n.to_f64(),
                other => panic!("{sql}: {other:?}"),
            },
            other => panic!("{sql}: {other:?}"),
        }
    }

    /// Columns (by index): 0 id (primary key), 1 uniform (g % 1000), 2 skewed (1000 / (g % 1000 + 1):
    /// Zipf-like, half the rows are 1), 3 nullable (20 % NULL, else g % 37), 4 name ('k' || g % 500),
    /// 5 few (g % 3).
    fn analyzed() -> Analyzed {
        let (db, table, stats) = GENERATED.get_or_init(generate);
        Analyzed { session: db.session("admin").unwrap(), table: table.clone(), stats: stats.clone() }
    }

    fn generate() -> (Database, Arc<Table>, Arc<TableStatistics>) {
        let config = Config { compat: CompatMode::Postgres, ..Config::default() };
        let db = Database::open(&config).unwrap();
        let mut session = db.session("admin").unwrap();
        let setup = format!(
            "CREATE TABLE t (id int PRIMARY KEY, uniform int, skewed int, nullable int, name text, few int);
             INSERT INTO t SELECT g, g % 1000, 1000 / (g % 1000 + 1), CASE WHEN g % 5 = 0 THEN NULL ELSE g % 37 END,
                 'k' || (g % 500), g % 3 FROM generate_series(1, {ROWS}) AS g;
             ANALYZE t"
        );
        for result in session.execute_batch(&setup) {
            result.unwrap();
        }
        // The statement's job and the automatic one the INSERT's COMMIT submitted both read every row.
        for job in query(&mut session, "SELECT job_id FROM sys.jobs WHERE job_type = 'ANALYZE'") {
            let Value::Text(id) = &job[0] else { panic!("job id") };
            assert!(crate::jobs::wait_for_job(&db, id, &Default::default()).unwrap());
        }
        let table = db.catalog().find_table("t").unwrap().clone();
        let stats = db.table_statistics(table.id).expect("statistics cached");
        assert_eq!(stats.row_count, ROWS as u64);
        (db, table, stats)
    }

    fn column(index: usize) -> BoundExpr {
        BoundExpr::Column(index)
    }

    fn int(value: i64) -> BoundExpr {
        BoundExpr::Literal(Value::Int(value))
    }

    fn text(value: &str) -> BoundExpr {
        BoundExpr::Literal(Value::Text(value.to_string()))
    }

    fn binary(op: BinaryOp, left: BoundExpr, right: BoundExpr) -> BoundExpr {
        let sig = BinarySignature { left: DataType::Int4, right: DataType::Int4, result: DataType::Bool };
        BoundExpr::Binary { op, sig, left: Box::new(left), right: Box::new(right) }
    }

    fn is_null(expr: BoundExpr, negated: bool) -> BoundExpr {
        BoundExpr::IsNull { expr: Box::new(expr), negated }
    }

    fn in_list(expr: BoundExpr, values: &[i64], negated: bool) -> BoundExpr {
        BoundExpr::InList { expr: Box::new(expr), list: values.iter().map(|v| int(*v)).collect(), negated }
    }

    /// Estimated rows within a factor of 2 of the actual count of `WHERE sql` (both at least one row).
    fn assert_estimate(analyzed: &mut Analyzed, sql: &str, predicate: &BoundExpr) {
        let selectivity = restriction_selectivity(predicate, &analyzed.table, Some(&analyzed.stats));
        let estimate = (selectivity * ROWS as f64).max(1.0);
        let actual = count(&mut analyzed.session, &format!("SELECT count(*) FROM t WHERE {sql}")).max(1.0);
        let ratio = estimate / actual;
        assert!((0.5..=2.0).contains(&ratio), "{sql}: estimated {estimate:.1} rows, actually {actual}");
    }

    #[test]
    fn estimates_from_analyzed_statistics_are_within_a_factor_of_two() {
        use BinaryOp::*;
        let mut analyzed = analyzed();
        let cases = [
            ("uniform = 7", binary(Eq, column(1), int(7))),
            ("7 = uniform", binary(Eq, int(7), column(1))),
            ("skewed = 1", binary(Eq, column(2), int(1))),
            ("skewed = 3", binary(Eq, column(2), int(3))),
            ("skewed = 500", binary(Eq, column(2), int(500))),
            ("skewed = 20", binary(Eq, column(2), int(20))),
            ("skewed <> 1", binary(NotEq, column(2), int(1))),
            ("id = 1234", binary(Eq, column(0), int(1234))),
            ("uniform < 250", binary(Lt, column(1), int(250))),
            ("uniform >= 900", binary(GtEq, column(1), int(900))),
            ("250 > uniform", binary(Gt, int(250), column(1))),
            ("skewed > 2", binary(Gt, column(2), int(2))),
            ("skewed <= 10", binary(LtEq, column(2), int(10))),
            (
                "id BETWEEN 100 AND 5000",
                BoundExpr::And(vec![binary(GtEq, column(0), int(100)), binary(LtEq, column(0), int(5000))]),
            ),
            (
                "uniform > 100 AND uniform < 200",
                BoundExpr::And(vec![binary(Gt, column(1), int(100)), binary(Lt, column(1), int(200))]),
            ),
            ("name LIKE 'k1%'", binary(Like, column(4), text("k1%"))),
            ("name LIKE 'k42%'", binary(Like, column(4), text("k42%"))),
            ("name LIKE 'k42'", binary(Like, column(4), text("k42"))),
            ("name NOT LIKE 'k1%'", BoundExpr::Not(Box::new(binary(Like, column(4), text("k1%"))))),
            ("nullable IS NULL", is_null(column(3), false)),
            ("nullable IS NOT NULL", is_null(column(3), true)),
            ("nullable = 5", binary(Eq, column(3), int(5))),
            ("nullable < 10", binary(Lt, column(3), int(10))),
            (
                "uniform < 500 AND few = 1",
                BoundExpr::And(vec![binary(Lt, column(1), int(500)), binary(Eq, column(5), int(1))]),
            ),
            ("uniform IN (1, 2, 3, 4, 5)", in_list(column(1), &[1, 2, 3, 4, 5], false)),
            ("skewed IN (1, 2)", in_list(column(2), &[1, 2], false)),
            ("few NOT IN (0, 1)", in_list(column(5), &[0, 1], true)),
            ("NOT (few = 1)", BoundExpr::Not(Box::new(binary(Eq, column(5), int(1))))),
            (
                "uniform = 1 OR uniform = 2",
                BoundExpr::Or(vec![binary(Eq, column(1), int(1)), binary(Eq, column(1), int(2))]),
            ),
        ];
        for (sql, predicate) in &cases {
            assert_estimate(&mut analyzed, sql, predicate);
        }
        // A parameter: the average frequency of a value.
        let parameter = binary(Eq, column(1), BoundExpr::Parameter(0));
        let estimate = restriction_selectivity(&parameter, &analyzed.table, Some(&analyzed.stats)) * ROWS as f64;
        assert!((30.0..=120.0).contains(&estimate), "uniform = $1: {estimate}");
    }

    #[test]
    fn statistics_describe_the_generated_columns() {
        let analyzed = analyzed();
        let stats = &analyzed.stats;
        let uniform = stats.column("uniform").unwrap();
        assert!((800.0..1250.0).contains(&uniform.distinct_in(ROWS as f64)), "{}", uniform.n_distinct);
        assert_eq!(uniform.histogram.len(), 101);
        let skewed = stats.column("skewed").unwrap();
        let (top, frequency) = &skewed.most_common[0];
        assert_eq!(top, &Value::Int(1));
        assert!((frequency - 0.5).abs() < 0.02, "{frequency}");
        let nullable = stats.column("nullable").unwrap();
        assert!((nullable.null_fraction - 0.2).abs() < 0.01, "{}", nullable.null_fraction);
        assert_eq!(nullable.distinct_values, 37);
        assert_eq!(stats.column("few").unwrap().most_common.len(), 3);
        // id follows physical order exactly; uniform restarts every 1000 rows.
        assert!(stats.column("id").unwrap().correlation > 0.99);
        assert!(uniform.correlation.abs() < 0.1, "{}", uniform.correlation);
        assert!((stats.column("name").unwrap().average_width - 4.8).abs() < 0.3);
    }

    #[test]
    fn join_and_distinct_estimates() {
        let mut analyzed = analyzed();
        let stats = analyzed.stats.clone();
        let rows = ROWS as f64;
        for column in ["uniform", "skewed", "few", "nullable"] {
            let actual_distinct = count(&mut analyzed.session, &format!("SELECT count(DISTINCT {column}) FROM t"));
            let estimate = distinct_values(stats.column(column), rows);
            assert!((0.5..=2.0).contains(&(estimate / actual_distinct)), "{column}: {estimate} vs {actual_distinct}");
            // t JOIN t ON column = column: the sum of the squares of the value counts.
            let actual_pairs = count(
                &mut analyzed.session,
                &format!("SELECT sum(c * c) FROM (SELECT count(*) AS c FROM t WHERE {column} IS NOT NULL GROUP BY {column}) AS g"),
            );
            let estimate = join_selectivity(stats.column(column), rows, stats.column(column), rows) * rows * rows;
            assert!((0.5..=2.0).contains(&(estimate / actual_pairs)), "{column}: {estimate} vs {actual_pairs}");
        }
        assert_eq!(distinct_values(None, 50.0), 50.0);
        assert_eq!(distinct_values(None, 1e6), DEFAULT_NUM_DISTINCT);
        assert_eq!(join_selectivity(None, 1e6, None, 1e6), 1.0 / DEFAULT_NUM_DISTINCT);
    }

    #[test]
    fn postgres_defaults_without_statistics() {
        use BinaryOp::*;
        let analyzed = analyzed();
        let table = &analyzed.table;
        let estimate = |predicate: &BoundExpr| restriction_selectivity(predicate, table, None);
        assert_eq!(estimate(&binary(Eq, column(1), int(7))), DEFAULT_EQ_SEL);
        assert_eq!(estimate(&binary(Lt, column(1), int(7))), DEFAULT_INEQ_SEL);
        let range = BoundExpr::And(vec![binary(Gt, column(1), int(1)), binary(Lt, column(1), int(7))]);
        assert_eq!(estimate(&range), DEFAULT_RANGE_INEQ_SEL);
        assert_eq!(estimate(&binary(Like, column(4), text("k1%"))), DEFAULT_MATCH_SEL);
        assert_eq!(estimate(&is_null(column(3), false)), DEFAULT_NULL_SEL);
        assert_eq!(estimate(&is_null(column(0), false)), 0.0, "a primary key is never NULL");
        let either = BoundExpr::Or(vec![binary(Eq, column(1), int(7)), binary(Eq, column(2), int(7))]);
        assert!((estimate(&either) - (0.01 - 0.005 * 0.005)).abs() < 1e-12);
        assert_eq!(estimate(&BoundExpr::Not(Box::new(binary(Eq, column(1), int(7))))), 1.0 - DEFAULT_EQ_SEL);
        assert_eq!(estimate(&binary(Eq, column(1), BoundExpr::Literal(Value::Null))), 0.0);
        assert_eq!(estimate(&binary(Lt, int(1), int(2))), 1.0);
        // With statistics, a parameter in a range still gets the default.
        let parameter = binary(Lt, column(1), BoundExpr::Parameter(0));
        assert_eq!(restriction_selectivity(&parameter, table, Some(&analyzed.stats)), DEFAULT_INEQ_SEL);
    }

    #[test]
    fn like_prefixes_and_pattern_heuristics() {
        let fixed = FixedPrefix::of("ab\\%c%d_", false);
        assert_eq!((fixed.prefix.as_str(), fixed.exact, fixed.rest), ("ab%c", false, "%d_"));
        let fixed = FixedPrefix::of("abc", false);
        assert!(fixed.exact);
        assert_eq!(FixedPrefix::of("12aB%", true).prefix, "12");
        assert_eq!(greater_string("abc").as_deref(), Some("abd"));
        assert_eq!(greater_string("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(greater_string(""), None);
        assert_eq!(rest_of_pattern_selectivity("%"), 1.0);
        assert!((rest_of_pattern_selectivity("%ab%") - 0.2).abs() < 1e-12);
        assert!((rest_of_pattern_selectivity("%abc") - 0.008).abs() < 1e-12);
    }

    #[test]
    fn bucket_positions_interpolate_numbers_and_strings() {
        assert_eq!(bucket_fraction(&Value::Int(15), &Value::Int(10), &Value::Int(20)), 0.5);
        assert_eq!(bucket_fraction(&Value::Float(12.5), &Value::Int(10), &Value::Int(20)), 0.25);
        let text = |s: &str| Value::Text(s.to_string());
        let position = bucket_fraction(&text("abm"), &text("aba"), &text("abz"));
        assert!((0.4..0.6).contains(&position), "{position}");
        assert_eq!(bucket_fraction(&Value::Uuid(uuid::Uuid::nil()), &Value::Int(1), &Value::Int(2)), 0.5);
    }
}
