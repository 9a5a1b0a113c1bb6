//! Access paths: the ways to read one table's rows for a set of conjuncts, each costed (PostgreSQL's
//! `optimizer/path/indxpath.c` and `costsize.c` in one small file).
//!
//! A table is its primary-key B-tree; each valid secondary index is another B-tree whose entries lead to
//! rows. For each B-tree the conjuncts decide a key range: `=` on leading key columns makes an equality
//! prefix, then `<`, `<=`, `>`, `>=` (and BETWEEN, which the binder made two of them) bound the next key
//! column, or an `IN` list on it makes one range per item. Any B-tree can also be read whole, forward or
//! backward, for the order it delivers. The conjuncts a range came from still run as part of the filter
//! (cheap, and it keeps NULLs and any encoding subtlety out of the result), so a range only has to include
//! every matching row.

use std::sync::Arc;

use crate::catalog::{Index, IndexKey, IndexState, Table};
use crate::sql::optimize::cost::{self, CPU_INDEX_TUPLE_COST, CPU_OPERATOR_COST, CPU_TUPLE_COST, RANDOM_PAGE_COST};
use crate::sql::optimize::selectivity::restriction_selectivity;
use crate::sql::plan::physical::{KeyRange, TableRead};
use crate::sql::plan::{BoundExpr, SortKey};
use crate::sql::scalar::BinaryOp;
use crate::statistics::TableStatistics;
use crate::txn::Timestamp;
use crate::types::DataType;

/// What the optimizer knows about one table while planning its reads.
pub struct TableInfo<'a> {
    pub table: &'a Arc<Table>,
    pub rows: f64,
    pub stats: Option<&'a TableStatistics>,
    /// Average row width in bytes.
    pub width: f64,
}

/// One way to read a table, with its cost.
pub struct AccessPath {
    pub read: TableRead,
    /// Estimated rows out (after the whole filter).
    pub rows: f64,
    pub startup_cost: f64,
    pub total_cost: f64,
    /// Whether its rows come in the order the query asked for.
    pub ordered: bool,
}

/// An order a query wants from its table: (table column, descending, nulls first) per key.
pub type WantedOrder = Vec<(usize, bool, bool)>;

/// Every way to read `info.table` filtered by `conjuncts` (over the table's row, whose values are known
/// through `is_value`): the full scan, key ranges on the primary key and on each valid index, and ordered
/// reads that deliver `order`. `columns` are the row positions the query reads (for index-only scans).
pub fn paths(
    info: &TableInfo,
    conjuncts: &[&BoundExpr],
    order: Option<&WantedOrder>,
    columns: Option<&[bool]>,
    snapshot: Timestamp,
    is_value: &dyn Fn(&BoundExpr) -> bool,
) -> Vec<AccessPath> {
    let table = info.table;
    let filter = BoundExpr::and_of(conjuncts.iter().map(|c| (*c).clone()).collect());
    let selectivity =
        filter.as_ref().map(|f| restriction_selectivity(f, table, info.stats)).unwrap_or(1.0).clamp(0.0, 1.0);
    let out_rows = cost::clamp_rows(info.rows * selectivity);
    let mut paths = Vec::new();

    // The primary-key B-tree: ranges on the key, or the whole tree, in whichever direction gives `order`.
    let mut full = full_scan(info, &filter, out_rows);
    if !table.has_hidden_key() {
        let key = primary_key_parts(table);
        if let Some((ranges, used)) = key_ranges(0, table, &key, conjuncts, is_value) {
            let direction = if ranges.len() == 1 {
                order.and_then(|o| delivered_direction(table, &key, &pinned(0, &key, conjuncts, table, is_value), o))
            } else {
                None
            };
            let mut path = primary_key_path(info, ranges, used, &filter, out_rows, direction.unwrap_or(false));
            path.ordered = direction.is_some();
            paths.push(path);
        }
        if let Some(backward) = order.and_then(|o| delivered_direction(table, &key, &[], o)) {
            full.read.backward = backward;
            full.ordered = true;
        }
    }
    paths.push(full);

    for index in &table.indexes {
        if index.state != IndexState::Valid || snapshot < index.usable_from || !predicate_implied(index, conjuncts) {
            continue;
        }
        let key = index_parts(index, 0);
        let ranges = key_ranges(0, table, &key, conjuncts, is_value);
        let direction = match &ranges {
            Some((ranges, _)) if ranges.len() > 1 => None,
            Some(_) => {
                order.and_then(|o| delivered_direction(table, &key, &pinned(0, &key, conjuncts, table, is_value), o))
            }
            None => order.and_then(|o| delivered_direction(table, &key, &[], o)),
        };
        if ranges.is_none() && direction.is_none() {
            continue;
        }
        let (ranges, used) = ranges.unwrap_or_default();
        let mut path = index_path(info, index, ranges, used, &filter, out_rows, direction.unwrap_or(false), columns);
        path.ordered = direction.is_some();
        paths.push(path);
    }
    paths
}

fn full_scan(info: &TableInfo, filter: &Option<BoundExpr>, out_rows: f64) -> AccessPath {
    let pages = cost::pages(info.rows, info.width);
    let quals = filter.as_ref().map_or(0, |f| f.conjuncts().len()) as f64;
    let total = pages * cost::SEQ_PAGE_COST + info.rows * (CPU_TUPLE_COST + quals * CPU_OPERATOR_COST);
    AccessPath {
        read: TableRead {
            alias: None,
            table: info.table.clone(),
            index: None,
            ranges: Vec::new(),
            backward: false,
            index_only: false,
            index_condition: Vec::new(),
            filter: filter.clone(),
            columns: None,
            rows_before_filter: cost::clamp_rows(info.rows),
            with_row_key: false,
            parallel: false,
            key_span: None,
        },
        rows: out_rows,
        startup_cost: 0.0,
        total_cost: total,
        ordered: false,
    }
}

/// Selectivity of the conjuncts a range was built from.
fn range_selectivity(info: &TableInfo, used: &[BoundExpr]) -> f64 {
    match BoundExpr::and_of(used.to_vec()) {
        Some(condition) => restriction_selectivity(&condition, info.table, info.stats),
        None => 1.0,
    }
}

fn primary_key_path(
    info: &TableInfo,
    ranges: Vec<KeyRange>,
    used: Vec<BoundExpr>,
    filter: &Option<BoundExpr>,
    out_rows: f64,
    backward: bool,
) -> AccessPath {
    let table = info.table;
    let points = !ranges.is_empty()
        && ranges.iter().all(|r| r.prefix.len() == table.primary_key.len() && r.lower.is_none() && r.upper.is_none());
    let quals = filter.as_ref().map_or(0, |f| f.conjuncts().len()) as f64;
    let (read_rows, startup, total) = if points {
        let n = ranges.len() as f64;
        let per_row = CPU_TUPLE_COST + quals * CPU_OPERATOR_COST;
        (n, 0.0, n * (RANDOM_PAGE_COST + per_row))
    } else {
        // A key range of the table itself is read in order: one descent (a comparison per level of the
        // tree), then the range's share of the table's pages, sequentially. Never more than the whole scan.
        let fraction = range_selectivity(info, &used);
        let rows = cost::clamp_rows(info.rows * fraction);
        let pages = (cost::pages(info.rows, info.width) * fraction).ceil().max(1.0);
        let descent = CPU_OPERATOR_COST * info.rows.max(2.0).log2();
        let per_row = CPU_TUPLE_COST + quals * CPU_OPERATOR_COST;
        (rows, descent, descent + pages * cost::SEQ_PAGE_COST + rows * per_row)
    };
    AccessPath {
        read: TableRead {
            alias: None,
            table: table.clone(),
            index: None,
            ranges,
            backward,
            index_only: false,
            index_condition: used,
            filter: filter.clone(),
            columns: None,
            rows_before_filter: read_rows,
            with_row_key: false,
            parallel: false,
            key_span: None,
        },
        rows: out_rows.min(read_rows),
        startup_cost: startup,
        total_cost: total,
        ordered: false,
    }
}

#[allow(clippy::too_many_arguments)]
fn index_path(
    info: &TableInfo,
    index: &Arc<Index>,
    ranges: Vec<KeyRange>,
    used: Vec<BoundExpr>,
    filter: &Option<BoundExpr>,
    out_rows: f64,
    backward: bool,
    columns: Option<&[bool]>,
) -> AccessPath {
    let table = info.table;
    let fraction = range_selectivity(info, &used);
    let mut entries = cost::clamp_rows(info.rows * fraction);
    // A unique index pinned whole by `=` holds at most one entry per range (NULLs never match `=`).
    let points = ranges.iter().all(|r| r.prefix.len() == index.columns.len() && r.lower.is_none() && r.upper.is_none());
    if index.unique && !ranges.is_empty() && points {
        entries = entries.min(ranges.len() as f64);
    }
    let index_width = 8.0 * (index.columns.len() + index.include.len() + table.primary_key.len()) as f64;
    let index_pages = (cost::pages(info.rows, index_width) * fraction).ceil().max(1.0);
    let quals = filter.as_ref().map_or(0, |f| f.conjuncts().len()) as f64;
    let index_cost = RANDOM_PAGE_COST
        + index_pages * cost::SEQ_PAGE_COST
        + entries * (CPU_INDEX_TUPLE_COST + used.len() as f64 * CPU_OPERATOR_COST);
    let covered = columns.is_some_and(|columns| {
        columns.iter().enumerate().filter(|(_, used)| **used).all(|(c, _)| {
            // A key column's value comes from its key encoding, which must give it back as written.
            let from_key = index.columns.iter().any(|k| k.table_column() == Some(c)) || table.primary_key.contains(&c);
            index.include.contains(&c) || (from_key && table.columns[c].data_type.key_keeps_value())
        })
    });
    let row_cost = if covered {
        0.0
    } else {
        // Each entry leads to a point read of its row; many of them share pages.
        cost::pages_fetched(entries, cost::pages(info.rows, info.width)) * RANDOM_PAGE_COST
    };
    let total = index_cost + row_cost + entries * (CPU_TUPLE_COST + quals * CPU_OPERATOR_COST);
    AccessPath {
        read: TableRead {
            alias: None,
            table: table.clone(),
            index: Some(index.clone()),
            ranges,
            backward,
            index_only: covered,
            index_condition: used,
            filter: filter.clone(),
            columns: None,
            rows_before_filter: entries,
            with_row_key: false,
            parallel: false,
            key_span: None,
        },
        rows: out_rows.min(entries),
        startup_cost: RANDOM_PAGE_COST,
        total_cost: total,
        ordered: false,
    }
}

/// Whether a partial index's predicate holds for every row the conjuncts keep: each of its conjuncts is
/// one of the query's (up to casts the binder inserted alike), or follows from one (`x > 10` implies
/// `x > 5` and `x IS NOT NULL`; `x = 3` implies `x IS NOT NULL`).
fn predicate_implied(index: &Index, conjuncts: &[&BoundExpr]) -> bool {
    let Some(predicate) = &index.predicate else { return true };
    predicate.conjuncts().iter().all(|required| conjuncts.iter().any(|given| implies(given, required)))
}

fn implies(given: &BoundExpr, required: &BoundExpr) -> bool {
    if given == required {
        return true;
    }
    // A strict comparison on a column implies that the column is not NULL.
    if let BoundExpr::IsNull { expr, negated: true } = required {
        if let BoundExpr::Binary { op, left, .. } = given {
            if is_comparison(*op) && left == expr {
                return true;
            }
        }
    }
    // `col > a` implies `col > b` when a >= b (and the other directions alike), for literal bounds.
    if let (
        BoundExpr::Binary { op: given_op, left: given_column, right: given_value, .. },
        BoundExpr::Binary { op: required_op, left: required_column, right: required_value, .. },
    ) = (given, required)
    {
        if given_column != required_column {
            return false;
        }
        let (BoundExpr::Literal(a), BoundExpr::Literal(b)) = (given_value.as_ref(), required_value.as_ref()) else {
            return false;
        };
        if a.is_null() || b.is_null() {
            return false;
        }
        let order = a.total_cmp(b);
        use std::cmp::Ordering::*;
        use BinaryOp::*;
        return match (given_op, required_op) {
            (Eq, Eq) => order == Equal,
            (Eq, Gt) | (Gt, Gt) | (Gt, GtEq) => order == Greater || (*given_op == Gt && order == Equal),
            (Eq, GtEq) | (GtEq, GtEq) => order != Less,
            (Eq, Lt) | (Lt, Lt) | (Lt, LtEq) => order == Less || (*given_op == Lt && order == Equal),
            (Eq, LtEq) | (LtEq, LtEq) => order != Greater,
            (Eq, NotEq) => order != Equal,
            _ => false,
        };
    }
    false
}

fn is_comparison(op: BinaryOp) -> bool {
    matches!(op, BinaryOp::Eq | BinaryOp::Lt | BinaryOp::LtEq | BinaryOp::Gt | BinaryOp::GtEq)
}

/// One key column of a B-tree as the planner matches conjuncts to it: a table column, or an expression
/// index's expression over the conjuncts' row (the table's columns shifted by the row's offset).
#[derive(Debug, Clone, PartialEq)]
pub enum KeyPart {
    Column(usize),
    Expression(BoundExpr, DataType),
}

/// A B-tree's key as the planner sees it: (key part, descending) per key column.
pub type TreeKey = Vec<(KeyPart, bool)>;

/// The primary key's B-tree key.
fn primary_key_parts(table: &Table) -> TreeKey {
    table.primary_key.iter().map(|&c| (KeyPart::Column(c), false)).collect()
}

/// An index's B-tree key, its expressions reading the table's columns from row position `offset` on.
fn index_parts(index: &Index, offset: usize) -> TreeKey {
    index
        .columns
        .iter()
        .map(|c| {
            let part = match &c.key {
                IndexKey::Column(column) => KeyPart::Column(*column),
                IndexKey::Expression(expression) => {
                    let bound = expression.bound.clone().unwrap_or(BoundExpr::Literal(crate::types::Value::Null));
                    let shifted = if offset == 0 { bound } else { bound.map_columns(&|c| c + offset) };
                    KeyPart::Expression(shifted, expression.data_type)
                }
            };
            (part, c.descending)
        })
        .collect()
}

impl KeyPart {
    /// If `expr` reads this key part unchanged as far as its key encoding goes (a column at `offset` on).
    /// Casts among integer widths or among text types keep the encoding, so `int4_col = int8_param` still
    /// uses a key.
    fn matches(&self, expr: &BoundExpr, offset: usize, table: &Table) -> bool {
        match self {
            KeyPart::Column(column) => is_key_column(expr, offset + column, &table.columns[*column].data_type),
            KeyPart::Expression(key, key_type) => {
                expr == key
                    || matches!(expr, BoundExpr::Cast { expr, from, to }
                        if **expr == *key && from == key_type && same_encoding(from, to))
            }
        }
    }
}

/// Whether values cast from `from` to `to` keep their key encoding.
fn same_encoding(from: &DataType, to: &DataType) -> bool {
    (from.is_integer() && to.is_integer())
        || (matches!(from, DataType::Text | DataType::Varchar(_))
            && matches!(to, DataType::Text | DataType::Varchar(_)))
}

/// If `expr` reads table column `column` unchanged as far as its key encoding goes (see
/// [`KeyPart::matches`]).
pub fn is_key_column(expr: &BoundExpr, column: usize, column_type: &DataType) -> bool {
    match expr {
        BoundExpr::Column(c) => *c == column,
        BoundExpr::Cast { expr, from, to } => {
            same_encoding(from, to) && *from == *column_type && matches!(**expr, BoundExpr::Column(c) if c == column)
        }
        _ => false,
    }
}

/// `key OP value` (or `value OP key`, turned around): (operator as seen from the key, value).
fn comparison<'e>(
    conjunct: &'e BoundExpr,
    offset: usize,
    part: &KeyPart,
    table: &Table,
    is_value: &dyn Fn(&BoundExpr) -> bool,
) -> Option<(BinaryOp, &'e BoundExpr)> {
    let BoundExpr::Binary { op, left, right, .. } = conjunct else { return None };
    if !is_comparison(*op) {
        return None;
    }
    if part.matches(left, offset, table) && is_value(right) {
        return Some((*op, right));
    }
    if part.matches(right, offset, table) && is_value(left) {
        return Some((op.commuted(), left));
    }
    None
}

/// The key parts pinned by `=`.
fn pinned(
    offset: usize,
    key: &[(KeyPart, bool)],
    conjuncts: &[&BoundExpr],
    table: &Table,
    is_value: &dyn Fn(&BoundExpr) -> bool,
) -> Vec<KeyPart> {
    key.iter()
        .filter(|(part, _)| {
            conjuncts.iter().any(|c| matches!(comparison(c, offset, part, table, is_value), Some((BinaryOp::Eq, _))))
        })
        .map(|(part, _)| part.clone())
        .collect()
}

/// The key ranges the conjuncts allow on a B-tree with key columns `key` (table column, descending), and
/// the conjuncts they came from; None when they restrict no leading key column. The table's columns start
/// at row position `offset` in the conjuncts (a lookup join's right side follows the left row).
pub fn key_ranges(
    offset: usize,
    table: &Table,
    key: &[(KeyPart, bool)],
    conjuncts: &[&BoundExpr],
    is_value: &dyn Fn(&BoundExpr) -> bool,
) -> Option<(Vec<KeyRange>, Vec<BoundExpr>)> {
    let mut prefix = Vec::new();
    let mut used = Vec::new();
    for (part, descending) in key {
        let descending = *descending;
        if let Some((conjunct, value)) =
            conjuncts.iter().find_map(|c| match comparison(c, offset, part, table, is_value) {
                Some((BinaryOp::Eq, value)) => Some((*c, value)),
                _ => None,
            })
        {
            prefix.push(value.clone());
            used.push(conjunct.clone());
            continue;
        }
        // An IN list of values on this column: one range per item.
        for conjunct in conjuncts {
            if let BoundExpr::InList { expr, list, negated: false } = conjunct {
                if part.matches(expr, offset, table) && list.iter().all(is_value) {
                    let ranges = list
                        .iter()
                        .map(|item| {
                            let mut point = prefix.clone();
                            point.push(item.clone());
                            KeyRange::equal(point)
                        })
                        .collect();
                    used.push((*conjunct).clone());
                    return Some((ranges, used));
                }
            }
        }
        // Bounds on this column.
        let mut range = KeyRange::equal(prefix);
        for conjunct in conjuncts {
            let Some((op, value)) = comparison(conjunct, offset, part, table, is_value) else { continue };
            // On a descending column a larger value sorts first: the key range is the value range turned.
            let (is_lower, inclusive) = match op {
                BinaryOp::Gt => (!descending, false),
                BinaryOp::GtEq => (!descending, true),
                BinaryOp::Lt => (descending, false),
                BinaryOp::LtEq => (descending, true),
                _ => continue,
            };
            let slot = if is_lower { &mut range.lower } else { &mut range.upper };
            if slot.is_none() {
                *slot = Some((value.clone(), inclusive));
                used.push((*conjunct).clone());
            }
        }
        if range.prefix.is_empty() && range.lower.is_none() && range.upper.is_none() {
            return None;
        }
        return Some((vec![range], used));
    }
    // Every key column pinned.
    Some((vec![KeyRange::equal(prefix)], used))
}

/// Whether reading a B-tree with key columns `key` delivers `order` (the columns in `pinned` are
/// constant and may be skipped on either side): Some(false) forward, Some(true) backward, None if
/// neither direction does.
fn delivered_direction(
    table: &Table,
    key: &[(KeyPart, bool)],
    pinned: &[KeyPart],
    order: &WantedOrder,
) -> Option<bool> {
    let mut key_columns = key.iter().filter(|(part, _)| !pinned.contains(part));
    let mut backward: Option<bool> = None;
    for &(column, descending, nulls_first) in order {
        if pinned.contains(&KeyPart::Column(column)) {
            continue;
        }
        let (key_part, key_descending) = key_columns.next()?;
        let key_descending = *key_descending;
        if *key_part != KeyPart::Column(column) {
            return None;
        }
        // Forward, an ascending key column gives ASC NULLS LAST and a descending one DESC NULLS FIRST.
        let this_backward = descending != key_descending;
        let delivered_nulls_first = descending;
        if nulls_first != delivered_nulls_first
            && !table.columns[column].not_null
            && !table.primary_key.contains(&column)
        {
            return None;
        }
        match backward {
            None => backward = Some(this_backward),
            Some(b) if b != this_backward => return None,
            _ => {}
        }
    }
    Some(backward.unwrap_or(false))
}

/// The order the query's ORDER BY asks of its single table: each sort key must be a plain table column of
/// the projection.
pub fn wanted_order(keys: &[SortKey], projection: &[BoundExpr], width: usize) -> Option<WantedOrder> {
    keys.iter()
        .map(|key| match projection.get(key.column)? {
            BoundExpr::Column(c) if *c < width => Some((*c, key.descending, key.nulls_first)),
            _ => None,
        })
        .collect()
}

/// The best B-tree of `info.table` to look rows up in for each left row of a join: the join conjuncts
/// (over `left ++ right`, the table's columns starting at `offset`) whose other side reads only the left
/// row pin a prefix of its key. Returns the read (ranges over the left row, `filter` over the table's row),
/// rows per lookup and cost per lookup.
pub fn lookup_read(
    info: &TableInfo,
    join_conjuncts: &[&BoundExpr],
    offset: usize,
    filter: Option<BoundExpr>,
    snapshot: Timestamp,
) -> Option<(TableRead, f64, f64)> {
    let table = info.table;
    let left_only = |e: &BoundExpr| e.reads_only(&(0..offset));
    // (None = the primary key)
    let mut trees: Vec<(Option<Arc<Index>>, TreeKey)> = Vec::new();
    if !table.has_hidden_key() {
        trees.push((None, primary_key_parts(table)));
    }
    for index in &table.indexes {
        if index.state == IndexState::Valid && snapshot >= index.usable_from && index.predicate.is_none() {
            trees.push((Some(index.clone()), index_parts(index, offset)));
        }
    }
    let filter_selectivity = filter.as_ref().map(|f| restriction_selectivity(f, table, info.stats)).unwrap_or(1.0);
    let mut best: Option<(TableRead, f64, f64)> = None;
    for (index, key) in trees {
        let Some((ranges, used)) = key_ranges(offset, table, &key, join_conjuncts, &left_only) else { continue };
        if ranges.len() != 1 || ranges[0].prefix.is_empty() {
            continue;
        }
        let pinned = ranges[0].prefix.len();
        let unique = match &index {
            None => pinned == table.primary_key.len(),
            Some(index) => index.unique && pinned == index.columns.len(),
        };
        // Rows per distinct key prefix: one for a unique key, else PostgreSQL's default 1/200 per column.
        let matches = if unique { 1.0 } else { cost::clamp_rows(info.rows * cost::DEFAULT_EQ_SEL.powi(pinned as i32)) };
        let fetch = if index.is_some() { RANDOM_PAGE_COST } else { 0.0 };
        let per_lookup = RANDOM_PAGE_COST + matches * (fetch + CPU_TUPLE_COST + CPU_INDEX_TUPLE_COST);
        if best.as_ref().is_some_and(|(_, _, cost)| *cost <= per_lookup) {
            continue;
        }
        let read = TableRead {
            alias: None,
            table: table.clone(),
            index,
            ranges,
            backward: false,
            index_only: false,
            index_condition: used,
            filter: filter.clone(),
            columns: None,
            rows_before_filter: matches,
            with_row_key: false,
            parallel: false,
            key_span: None,
        };
        best = Some((read, (matches * filter_selectivity).max(if unique { 0.0 } else { 1.0 }), per_lookup));
    }
    best
}
